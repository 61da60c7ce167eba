"""Loader, validation and import tests (layers/io.py), on small fixtures made in code."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import layers
from geo import datums as gdatums
from layers import LayerError, load_file

# A point inside Xicheng (WGS-84) and a small square around it.
LON, LAT = 116.3600, 39.9100


def _parks(n: int = 3, **overrides: object) -> gpd.GeoDataFrame:
    data: dict[str, object] = {
        "park_id": [f"p{i}" for i in range(n)],
        "name_zh": [f"公园{i}" for i in range(n)],
        "kind": ["community_park"] * n,
        "area_m2": [10_000.0 * (i + 1) for i in range(n)],
        "source": ["test fixture"] * n,
        "geometry_quality": ["user"] * n,
    }
    data.update(overrides)
    geoms = [
        shapely.box(LON + i * 0.003, LAT, LON + i * 0.003 + 0.001, LAT + 0.001) for i in range(n)
    ]
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326")


def _write(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    gdf.to_file(path, engine="pyogrio")
    return path


def _problems(exc: pytest.ExceptionInfo[LayerError]) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.field) for p in exc.value.problems]


def test_valid_file_loads_in_wgs84(tmp_path: Path) -> None:
    res = load_file(_write(_parks(), tmp_path / "p.geojson"), "parks")
    assert len(res.gdf) == 3
    assert res.gdf.crs.to_epsg() == 4326
    assert res.gdf["area_m2"].tolist() == [10_000.0, 20_000.0, 30_000.0]


def test_missing_required_column_is_named(tmp_path: Path) -> None:
    path = _write(_parks().drop(columns=["kind"]), tmp_path / "p.geojson")
    with pytest.raises(LayerError) as exc:
        load_file(path, "parks")
    assert (None, "kind") in _problems(exc)
    assert "p.geojson" in str(exc.value)


def test_extra_column_rejected_then_dropped_or_mapped(tmp_path: Path) -> None:
    path = _write(_parks().assign(colour="green"), tmp_path / "p.geojson")
    with pytest.raises(LayerError, match="colour"):
        load_file(path, "parks")
    assert "colour" not in load_file(path, "parks", extra="drop").gdf.columns
    assert "colour" in load_file(path, "parks", extra="keep").gdf.columns
    renamed = _write(_parks().rename(columns={"name_zh": "名称"}), tmp_path / "r.geojson")
    assert (
        load_file(renamed, "parks", column_map={"名称": "name_zh"}).gdf["name_zh"].iloc[0]
        == "公园0"
    )


def test_wrong_type_names_row_and_field(tmp_path: Path) -> None:
    gdf = _parks()
    gdf["area_m2"] = ["100", "abc", "300"]
    with pytest.raises(LayerError) as exc:
        load_file(_write(gdf, tmp_path / "p.geojson"), "parks")
    assert _problems(exc) == [(2, "area_m2")]
    assert "abc" in str(exc.value)


def test_bad_choice_negative_and_empty_required(tmp_path: Path) -> None:
    gdf = _parks()
    gdf["kind"] = ["community_park", "castle", "garden"]
    gdf["area_m2"] = [1.0, 2.0, -5.0]
    gdf["name_zh"] = ["a", "b", ""]
    with pytest.raises(LayerError) as exc:
        load_file(_write(gdf, tmp_path / "p.geojson"), "parks")
    assert set(_problems(exc)) == {(2, "kind"), (3, "area_m2"), (3, "name_zh")}


def test_duplicate_keys(tmp_path: Path) -> None:
    gdf = _parks(park_id=["a", "b", "a"])
    with pytest.raises(LayerError) as exc:
        load_file(_write(gdf, tmp_path / "p.geojson"), "parks")
    assert _problems(exc) == [(1, "park_id"), (3, "park_id")]


def test_unknown_subdistrict_code(tmp_path: Path) -> None:
    gdf = _parks(subdistrict_code=["110102001", "110102999", None])
    with pytest.raises(LayerError) as exc:
        load_file(_write(gdf, tmp_path / "p.geojson"), "parks")
    assert _problems(exc) == [(2, "subdistrict_code")]
    assert "110102999" in str(exc.value)


def test_empty_geometry_rejected_where_required(tmp_path: Path) -> None:
    res = gpd.GeoDataFrame(
        {
            "parcel_id": ["r1", "r2"],
            "source": ["t", "t"],
            "geometry_quality": ["user", "user"],
        },
        geometry=[shapely.box(LON, LAT, LON + 0.001, LAT + 0.001), shapely.Polygon()],
        crs="EPSG:4326",
    )
    with pytest.raises(LayerError) as exc:
        load_file(_write(res, tmp_path / "r.gpkg"), "residential")
    assert (2, "geometry") in _problems(exc)


def test_invalid_geometry_repaired_and_reported_or_rejected(tmp_path: Path) -> None:
    bowtie = shapely.Polygon(
        [(LON, LAT), (LON + 0.001, LAT + 0.001), (LON + 0.001, LAT), (LON, LAT + 0.001), (LON, LAT)]
    )
    gdf = _parks(1)
    gdf.geometry = [bowtie]
    path = _write(gdf, tmp_path / "p.geojson")
    with pytest.raises(LayerError, match="invalid geometry"):
        load_file(path, "parks", repair=False)
    res = load_file(path, "parks", repair=True)
    assert res.gdf.geometry.is_valid.all()
    assert any("repaired" in c for c in res.changes)
    assert res.gdf.geometry.iloc[0].area == pytest.approx(bowtie.buffer(0).area, rel=0.01) or (
        res.gdf.geometry.iloc[0].area > 0
    )


def test_outside_extent_suggests_crs_problem(tmp_path: Path) -> None:
    gdf = _parks(1)
    gdf.geometry = [shapely.box(LAT, LON, LAT + 0.001, LON + 0.001)]  # swapped axes
    with pytest.raises(LayerError, match="wrong CRS"):
        load_file(_write(gdf, tmp_path / "p.geojson"), "parks")


def test_nothing_half_loaded_all_problems_reported_together(tmp_path: Path) -> None:
    gdf = _parks(park_id=["a", "a", "c"])
    gdf["area_m2"] = ["1", "x", "3"]
    with pytest.raises(LayerError) as exc:
        load_file(_write(gdf, tmp_path / "p.geojson"), "parks")
    assert {f for _, f in _problems(exc)} == {"park_id", "area_m2"}


def test_quality_must_agree_with_geometry(tmp_path: Path) -> None:
    gdf = _parks(2)
    gdf.loc[1, "geometry"] = None
    with pytest.raises(LayerError, match="has no geometry"):
        load_file(_write(gdf, tmp_path / "p.geojson"), "parks")
    # Filling quality from a parameter marks geometry-less rows 'none'.
    res = load_file(
        _write(gdf.drop(columns=["geometry_quality"]), tmp_path / "q.geojson"),
        "parks",
        geometry_quality="official",
    )
    assert res.gdf["geometry_quality"].tolist() == ["official", "none"]


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp", ".fgb"])
def test_formats_round_trip(tmp_path: Path, suffix: str) -> None:
    gdf = _parks()
    if suffix == ".shp":  # shapefile field names are at most 10 characters
        gdf = gdf.rename(columns={"geometry_quality": "geom_qual"})
        path = _write(gdf, tmp_path / f"p{suffix}")
        res = load_file(path, "parks", column_map={"geom_qual": "geometry_quality"})
    else:
        res = load_file(_write(gdf, tmp_path / f"p{suffix}"), "parks")
    assert sorted(res.gdf["park_id"]) == ["p0", "p1", "p2"]  # FlatGeobuf reorders spatially
    assert res.gdf.to_crs(4548).area.sum() == pytest.approx(_parks().to_crs(4548).area.sum())


def test_csv_with_lonlat_and_table_csv(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    pd.DataFrame(
        {
            "park_id": ["a"],
            "name_zh": ["点"],
            "kind": ["garden"],
            "lon": [LON],
            "lat": [LAT],
            "source": ["t"],
            "geometry_quality": ["user"],
        }
    ).to_csv(path, index=False)
    res = load_file(path, "parks", extra="drop")
    assert res.gdf.geometry.iloc[0].equals(shapely.Point(LON, LAT))
    assert res.gdf.crs.to_epsg() == 4326


def test_projected_cgcs2000_and_4490_inputs(tmp_path: Path) -> None:
    gdf = _parks()
    metric = _write(gdf.to_crs("EPSG:4548"), tmp_path / "m.gpkg")
    res = load_file(metric, "parks")
    assert any("reprojected" in c for c in res.changes)
    assert res.gdf.geometry.iloc[0].centroid.distance(gdf.geometry.iloc[0].centroid) < 1e-7
    cg = _write(gdf.set_crs("EPSG:4490", allow_override=True), tmp_path / "c.gpkg")
    assert load_file(cg, "parks").gdf.crs.to_epsg() == 4326


def test_projected_without_crs_needs_declaration(tmp_path: Path) -> None:
    path = tmp_path / "m.geojson"
    fc = json.loads(_parks().to_crs("EPSG:4548").to_json(drop_id=True))
    fc.pop("crs", None)
    path.write_text(json.dumps(fc))
    with pytest.raises(LayerError):
        load_file(path, "parks")
    res = load_file(path, "parks", source_crs="EPSG:4548")
    assert res.gdf.total_bounds[0] == pytest.approx(LON, abs=1e-6)


def test_gcj02_import_is_converted(tmp_path: Path) -> None:
    gdf = _parks(1)
    glon, glat = gdatums.wgs84_to_gcj02(np.array([LON]), np.array([LAT]))
    gdf.geometry = [shapely.Point(glon[0], glat[0]).buffer(0.0005)]
    res = load_file(_write(gdf, tmp_path / "g.geojson"), "parks", source_crs="gcj02")
    c = res.gdf.geometry.iloc[0].centroid
    assert abs(c.x - LON) < 1e-5 and abs(c.y - LAT) < 1e-5
    assert any("GCJ-02" in ch for ch in res.changes)


def test_unreadable_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(LayerError, match="not found"):
        load_file(tmp_path / "nope.geojson", "parks")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(LayerError, match="cannot read"):
        load_file(bad, "parks")
    with pytest.raises(LayerError, match="unknown layer"):
        load_file(bad, "lakes")


def test_import_layer_takes_precedence(tmp_path: Path) -> None:
    path = _write(_parks(), tmp_path / "p.geojson")
    res = layers.import_layer(path, "parks", user_data=tmp_path / "user")
    assert res.changes[-1].startswith("stored as")
    assert len(layers.read_layer("parks", user_data=tmp_path / "user")) == 3
    assert len(layers.read_layer("parks")) > 3  # the shipped layer is untouched


def test_study_area_is_configuration(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "studyareas").mkdir(parents=True)
    (root / "demo").mkdir()
    (root / "studyareas" / "demo.toml").write_text(
        'name = "demo"\ntitle_zh = "示例"\ntitle_en = "Demo"\nmetric_crs = "EPSG:32635"\n'
        'extent = [24.0, 60.0, 25.5, 60.5]\ndata_dir = "demo"\n[layers]\nparks = "parks.geojson"\n'
    )
    gdf = _parks()
    gdf.geometry = gdf.geometry.translate(24.94 - LON, 60.17 - LAT)
    gdf.to_file(root / "demo" / "parks.geojson")
    area = layers.load_study_area("demo", root=root)
    assert area.metric_crs == "EPSG:32635"
    assert len(load_file(root / "demo" / "parks.geojson", "parks", area=area).gdf) == 3
    with pytest.raises(LayerError, match="outside"):
        load_file(_write(_parks(), tmp_path / "x.geojson"), "parks", area=area)
    with pytest.raises(LayerError, match="unknown study area"):
        layers.load_study_area("atlantis", root=root)
