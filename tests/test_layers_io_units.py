"""layers.io_units: an imported residential layer fitted to the study area's 街道 before it is stored."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import layers
from layers.errors import LayerError
from tests._shared import BAIDU, needs_realdata

METRIC = "EPSG:4548"


def _neighbours() -> tuple[str, str]:
    """Two shipped 街道 that share the longest stretch of boundary."""
    subs = layers.read_layer("subdistricts").to_crs(METRIC).set_index("code").geometry
    pairs = [(a, b) for i, a in enumerate(subs.index) for b in subs.index[i + 1 :]]
    shared = [shapely.length(shapely.intersection(subs[a].boundary, subs[b])) for a, b in pairs]
    return pairs[max(range(len(pairs)), key=shared.__getitem__)]


def _parcels(path: Path) -> Path:
    """Three parcels on the shipped (approximate) 街道: inside one, across its line with a
    neighbour, and inside the study extent but outside the district."""
    subs = layers.read_layer("subdistricts").to_crs(METRIC).set_index("code")
    ca, cb = _neighbours()
    a, b = subs.geometry[ca], subs.geometry[cb]
    inside = shapely.buffer(shapely.point_on_surface(a), 40)
    line = shapely.intersection(a.boundary, b)
    on_line = shapely.buffer(shapely.line_interpolate_point(line, 0.5, normalized=True), 60)
    w, s, _, _ = layers.read_layer("district").to_crs(METRIC).total_bounds
    outside = shapely.box(w + 5, s + 5, w + 60, s + 60)
    district = layers.read_layer("district").to_crs(METRIC).union_all()
    assert not outside.intersects(district) and on_line.intersects(a) and on_line.intersects(b)
    assert a.contains(inside)
    gpd.GeoDataFrame(
        {"parcel_id": ["in", "across", "out"], "population": [10.0, 100.0, 1.0]},
        geometry=[inside, on_line, outside],
        crs=METRIC,
    ).to_crs("EPSG:4326").to_file(path, engine="pyogrio")
    return path


def test_tolerant_import_cuts_drops_and_reports(tmp_path: Path) -> None:
    res = layers.import_layer(
        _parcels(tmp_path / "r.geojson"),
        "residential",
        user_data=tmp_path / "ud",
        source="test parcels",
        geometry_quality="user",
        tolerant=True,
    )
    stored = layers.read_layer("residential", user_data=tmp_path / "ud").set_index("parcel_id")
    ca, cb = _neighbours()
    assert stored.loc["in", "subdistrict_code"] == ca
    assert {f"across@{ca}", f"across@{cb}"} <= set(stored.index)
    assert "out" not in stored.index
    assert stored["population"].sum() == pytest.approx(110.0)  # shared by area, none lost
    text = "\n".join(res.changes)
    assert "subdistrict_code filled for 2 parcels" in text
    assert "1 parcels crossing a 街道 boundary cut" in text and "population shared" in text
    assert "dropped 1 parcels outside every 街道 of the study area: out" in text


def test_strict_import_rejects_parcels_outside_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(LayerError) as err:
        layers.import_layer(
            _parcels(tmp_path / "r.geojson"),
            "residential",
            user_data=tmp_path / "ud",
            source="test parcels",
            geometry_quality="user",
        )
    (problem,) = err.value.problems
    assert (problem.row, problem.field) == (3, "subdistrict_code")
    assert "parcel out lies in no 街道" in problem.message
    assert not (tmp_path / "ud").exists() or not any((tmp_path / "ud").rglob("residential*"))


def test_parcels_with_a_code_are_kept_as_given(tmp_path: Path) -> None:
    path = _parcels(tmp_path / "r.geojson")
    gdf = gpd.read_file(path).iloc[:2]
    gdf["subdistrict_code"] = ["110102007", "110102007"]  # 月坛, wrong on purpose: the user's call
    gdf.to_file(tmp_path / "coded.geojson", engine="pyogrio")
    res = layers.import_layer(
        tmp_path / "coded.geojson", "residential", user_data=tmp_path / "ud",
        source="test parcels", geometry_quality="user", tolerant=True,
    )  # fmt: skip
    stored = layers.read_layer("residential", user_data=tmp_path / "ud")
    assert sorted(stored["parcel_id"]) == ["across", "in"]
    assert set(stored["subdistrict_code"]) == {"110102007"}
    assert not any("subdistrict_code filled" in c for c in res.changes)


@needs_realdata
def test_real_baidu_compounds_import_into_xicheng_osm(xicheng_osm, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if not BAIDU.is_file():
        pytest.skip("../shared/realdata/xicheng/baidu-compounds is absent")
    ud = tmp_path / "ud"
    shutil.copytree(xicheng_osm.user_data, ud)  # the session's build stays as it is
    area = layers.load_study_area("xicheng-osm", user_data=ud)
    res = layers.import_layer(
        BAIDU, "residential", area=area, user_data=ud, source_crs="bd09",
        column_map={"src_index": "parcel_id"}, source="Baidu mapv demo (BSD-3-Clause)",
        geometry_quality="user", tolerant=True,
    )  # fmt: skip
    stored = layers.read_layer("residential", area, user_data=ud)
    # measured: 308 compounds inside the 15 街道, 5 of them cut, 520 in the extent but outside
    assert (
        stored["subdistrict_code"].isin(set(layers.read_layer("subdistricts", area)["code"])).all()
    )
    assert any("parcels outside every 街道" in c for c in res.changes)
    units = layers.read_layer("subdistricts", area).to_crs(area.metric_crs).union_all()
    inside = shapely.area(shapely.intersection(stored.to_crs(area.metric_crs).union_all(), units))
    assert inside == pytest.approx(float(stored.to_crs(area.metric_crs).area.sum()), rel=1e-6)
