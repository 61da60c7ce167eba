"""The build steps of :mod:`layers.studyarea_steps` on their own, with made-up inputs."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import layers
from layers.errors import LayerError
from layers.osm_extract import Extract
from layers.studyarea_steps import (
    NETWORK_NOTES,
    area_meta,
    check_build_params,
    entrances_step,
    inherited_layers,
    metric_district,
    network_edges,
)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("xicheng", "osm", "b.geojson", None), "name: 'xicheng' is a shipped"),
        (("new-area", "none", "b.geojson", None), "geometry_quality: 'none'"),
        (("new-area", "guess", "b.geojson", None), "geometry_quality: 'guess'"),
        (("new-area", "osm", None, None), "boundaries:"),
    ],
)
def test_check_build_params_names_the_parameter(args: tuple, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        check_build_params(*args)


def test_check_build_params_accepts_a_new_area() -> None:
    check_build_params("new-area", "user", None, "xicheng")  # no error: inherits its units


def test_network_edges_needs_graphml_and_guesses_the_mode(tmp_path: Path) -> None:
    assert network_edges(None, None) == (None, {})
    with pytest.raises(LayerError, match=r"roads\.shp.*expected an OSMnx \.graphml file"):
        network_edges(tmp_path / "roads.shp", None)
    from tests.test_layers_network_io import _graphml

    edges, net = network_edges(_graphml(tmp_path / "city_walk.graphml"), None)
    assert edges is not None and len(edges) >= 2
    assert net["mode"] == "walk" and net["note"] == NETWORK_NOTES["walk"]
    _, net = network_edges(_graphml(tmp_path / "city.graphml"), None)
    assert net["mode"] == "drive" and "upper bounds" in net["note"]
    _, net = network_edges(tmp_path / "city.graphml", "walk")  # the mode given wins
    assert net["mode"] == "walk"


def test_entrances_step_of_a_shapefile_extract_is_a_note() -> None:
    ext = Extract(Path("x"), "bbbike")
    frame, tally, note = entrances_step(
        ext, gpd.GeoDataFrame(geometry=[]), "EPSG:4548", {}, None, "osm"
    )
    assert frame is None and tally is None
    assert note is not None and "bbbike shapefiles carry no entrance points" in note


def test_metric_district_and_meta_extent() -> None:
    d = gpd.GeoDataFrame(
        geometry=[
            shapely.box(116.35, 39.90, 116.36, 39.91),
            shapely.box(116.36, 39.90, 116.37, 39.91),
        ],
        crs="EPSG:4326",
    )
    dm = metric_district(d, "EPSG:4548")
    assert dm.geom_type == "Polygon"  # the two units unioned into one outline
    assert 1.5e6 < dm.area < 2.0e6  # 0.02° x 0.01° at 39.9° N: about 1.71 km x 1.11 km
    meta = area_meta("new-area", None, "EPSG:4548", dm, None, None)
    w, s, e, n = meta["extent"]
    # the district plus 2 km: about 0.023° of longitude, 0.018° of latitude each side
    assert w < 116.33 and e > 116.39 and s < 39.885 and n > 39.925
    assert meta["title_zh"] == "new-area" and meta["default_rule"] == "xicheng-2016"


def test_inherited_layers_keep_projects_only_with_all_their_codes() -> None:
    base = layers.load_study_area("xicheng")
    units = layers.read_layer("subdistricts", base)
    got, notes = inherited_layers(base, units)
    assert "projects" in got and len(got["projects"]) > 0
    assert notes[-1].startswith("inherited from 'xicheng'")
    got2, notes2 = inherited_layers(base, units.iloc[:3])
    assert "projects" not in got2 and "historic_blocks" in got2
    assert any("projects of 'xicheng' not inherited" in n for n in notes2)
    assert inherited_layers(None, units) == ({}, [])
    assert set(NETWORK_NOTES) == {"drive", "walk"}
