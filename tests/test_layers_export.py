"""Exports (layers/export.py): RFC 7946 GeoJSON, GeoPackage, CSV with metadata; read back with GDAL's ogrinfo."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import layers
from layers import LayerError
from layers.export import (
    COVERAGE_RESULTS,
    OSM_ATTRIBUTION,
    coverage_results,
    export,
    export_metadata,
    feature_collection,
    filter_layer,
    write_csv,
    write_geojson,
)

OGRINFO = shutil.which("ogrinfo")
needs_gdal = pytest.mark.skipif(OGRINFO is None, reason="ogrinfo (gdal-bin) not installed")


def _ogrinfo(path: Path) -> subprocess.CompletedProcess[str]:
    assert OGRINFO is not None
    return subprocess.run(
        [OGRINFO, "-al", "-so", str(path)], capture_output=True, text=True, timeout=120
    )


def _assert_clean_open(path: Path) -> str:
    r = _ogrinfo(path)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "", r.stderr
    assert "Warning" not in r.stdout and "ERROR" not in r.stdout
    return r.stdout


def _rings_ccw(geom: dict) -> bool:
    if geom["type"] not in ("Polygon", "MultiPolygon"):
        return True  # points and lines have no rings
    polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    for poly in polys:
        ext = shapely.LinearRing(poly[0])
        if not ext.is_ccw:
            return False
    return True


def _decimals(x: float) -> int:
    text = repr(x)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


@pytest.fixture(scope="module")
def cov() -> layers.export.CoverageResults:
    return coverage_results("xicheng", rule="xicheng-2016")


# ------------------------------------------------------------------------------------------ GeoJSON
@pytest.mark.parametrize(
    "name", ["district", "subdistricts", "parks", "historic_blocks", "projects", "residential"]
)
def test_every_layer_exports_as_rfc7946_geojson(tmp_path: Path, name: str) -> None:
    out = tmp_path / f"{name}.geojson"
    report = export(name, "geojson", out)
    raw = out.read_text(encoding="utf-8")
    doc = json.loads(raw)
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc
    assert list(doc)[:2] == ["type", "metadata"]
    src = layers.read_layer(name)
    assert len(doc["features"]) == len(src) == report.counts[name]
    for f in doc["features"]:
        assert f["properties"]["source"]
        assert f["properties"]["geometry_quality"] in layers.GEOMETRY_QUALITIES
        g = f["geometry"]
        if f["properties"]["geometry_quality"] == "none":
            assert g is None
            continue
        assert _rings_ccw(g)
        coords = np.asarray(shapely.get_coordinates(shapely.from_geojson(json.dumps(g))))
        assert coords[:, 0].min() > 116 and coords[:, 1].max() < 41  # lon/lat order, WGS-84
        assert max(_decimals(float(v)) for v in coords.ravel()[:200]) <= 7
    # Chinese text is written as UTF-8, never \u escapes
    if name in ("subdistricts", "parks", "projects"):
        assert "\\u" not in raw
        assert src["name_zh"].iloc[0] in raw
    md = doc["metadata"]
    assert md["study_area"]["name"] == "xicheng"
    assert len(md["data_vintage"]["fingerprint"]) == 16
    assert md["generated_at"].endswith("+00:00")


@needs_gdal
@pytest.mark.parametrize("name", ["subdistricts", "parks", "projects"])
def test_geojson_opens_in_ogrinfo_without_warnings(tmp_path: Path, name: str) -> None:
    out = tmp_path / f"{name}.geojson"
    export(name, "geojson", out)
    text = _assert_clean_open(out)
    assert f"Feature Count: {len(layers.read_layer(name))}" in text
    assert 'ID["EPSG",4326]' in text


def test_osm_attribution_only_for_osm_derived(tmp_path: Path) -> None:
    md_sub = export("subdistricts", "geojson", tmp_path / "s.geojson").metadata
    assert any(OSM_ATTRIBUTION in a for a in md_sub["attribution"])
    md_res = export("residential", "geojson", tmp_path / "r.geojson").metadata
    assert not any(OSM_ATTRIBUTION in a for a in md_res["attribution"])
    g = gpd.GeoDataFrame(
        {"source": ["x"], "geometry_quality": ["osm"]}, geometry=[shapely.box(0, 0, 1, 1)]
    )
    assert any(OSM_ATTRIBUTION in a for a in export_metadata(frames={"t": g})["attribution"])


def test_feature_collection_orients_and_rounds() -> None:
    cw = shapely.Polygon([(0, 0), (0, 1.123456789), (1, 1), (1, 0)])
    assert not cw.exterior.is_ccw
    g = gpd.GeoDataFrame({"k": ["a"], "v": [pd.NA]}, geometry=[cw], crs="EPSG:4326")
    fc = feature_collection(g, id_column="k", metadata={"m": 1})
    geom = fc["features"][0]["geometry"]
    assert _rings_ccw(geom)
    assert [1.0, 1.0] in geom["coordinates"][0]
    assert [0.0, 1.1234568] in geom["coordinates"][0]
    assert fc["features"][0]["properties"]["v"] is None
    assert fc["metadata"] == {"m": 1}


def test_write_geojson_reprojects_metric_input(tmp_path: Path) -> None:
    g = gpd.GeoDataFrame(
        {"name_zh": ["测试"], "source": ["t"], "geometry_quality": ["user"]},
        geometry=[shapely.box(445000, 4420000, 445100, 4420100)],
        crs="EPSG:4548",
    )
    doc = json.loads(write_geojson(g, tmp_path / "m.geojson", {"a": "b"}).read_text("utf-8"))
    x, y = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert 116 < x < 117 and 39 < y < 41
    assert doc["features"][0]["properties"]["name_zh"] == "测试"


# ------------------------------------------------------------------------------------------ coverage
def test_coverage_results_layers(cov: layers.export.CoverageResults) -> None:
    assert set(cov.layers) == set(COVERAGE_RESULTS)
    sub = cov.layers["coverage-subdistricts"]
    assert len(sub) == 15 and sub.crs.to_epsg() == 4326
    assert sub["rate_pct"].between(0, 100).all()
    for name, df in cov.layers.items():
        assert df["source"].str.contains("xicheng-2016").all(), name
        if isinstance(df, gpd.GeoDataFrame):
            assert set(df["geometry_quality"]) <= set(layers.GEOMETRY_QUALITIES), name
    table = cov.layers["coverage-table"]
    district = table[(table.scope == "district") & (table.variant == "all_land")].iloc[0]
    covered = cov.layers["coverage-residential"]
    metric = covered.to_crs("EPSG:4548")
    share = metric[metric.covered].area.sum() / metric.area.sum() * 100
    assert share == pytest.approx(district["rate_pct"], abs=0.05)


@needs_gdal
def test_coverage_geojson_and_csv(tmp_path: Path, cov: layers.export.CoverageResults) -> None:
    report = export("coverage", "geojson", tmp_path / "cov.geojson", rule="xicheng-2016")
    doc = json.loads((tmp_path / "cov.geojson").read_text("utf-8"))
    assert report.counts == {"coverage-subdistricts": 15}
    assert doc["metadata"]["rule_set"]["id"] == "xicheng-2016"
    assert any(OSM_ATTRIBUTION in a for a in doc["metadata"]["attribution"])
    _assert_clean_open(tmp_path / "cov.geojson")
    export("coverage", "csv", tmp_path / "cov.csv", bom=True)
    raw = (tmp_path / "cov.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(tmp_path / "cov.csv", encoding="utf-8-sig", dtype={"unit_code": str})
    assert "西长安街街道" in set(table["unit_name_zh"])
    assert len(table) == len(cov.layers["coverage-table"])
    meta = json.loads((tmp_path / "cov.meta.json").read_text("utf-8"))
    assert meta["rule_set"]["id"] == "xicheng-2016"


def test_csv_without_bom_and_wkt_geometry(tmp_path: Path) -> None:
    parks = layers.read_layer("parks")
    write_csv(parks, tmp_path / "p.csv", {"x": 1})
    raw = (tmp_path / "p.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(tmp_path / "p.csv", dtype=str, keep_default_na=False)
    has = back["geometry"] != ""
    assert has.sum() == (parks.geometry_quality != "none").sum()
    assert back.loc[has, "geometry"].str.match(r"^(MULTI)?(POLYGON|POINT) ").all()
    assert json.loads((tmp_path / "p.meta.json").read_text("utf-8")) == {"x": 1}


# ------------------------------------------------------------------------------------------ GeoPackage
@needs_gdal
def test_all_as_one_geopackage(tmp_path: Path) -> None:
    out = tmp_path / "all.gpkg"
    report = export("all", "gpkg", out)
    text = _assert_clean_open(out)
    for name in layers.load_study_area("xicheng").layers:
        assert f"Layer name: {name}\n" in text
        assert report.counts[name] == len(layers.read_layer(name))
    for name in COVERAGE_RESULTS:
        assert f"Layer name: {name.replace('-', '_')}\n" in text
    with sqlite3.connect(out) as con:
        rows = dict(con.execute("select key, value from greenmap_metadata").fetchall())
        gpkg_md = con.execute("select metadata from gpkg_metadata").fetchall()
        version = con.execute("pragma user_version").fetchone()[0]
    assert json.loads(rows["study_area"])["code"] == "110102"
    assert json.loads(rows["rule_set"])["id"] == "xicheng-2016"
    assert any("data_vintage" in m[0] for m in gpkg_md)
    assert version == 10300
    back = gpd.read_file(out, layer="projects")
    assert len(back) == 216 and back["name_zh"].str.len().min() > 0


# ------------------------------------------------------------------------------------------ filters
def test_filters() -> None:
    projects = layers.read_layer("projects")
    code = projects["subdistrict_codes"].dropna().iloc[0].split(";")[0]
    by_sub = filter_layer(projects, "projects", subdistrict=code)
    assert len(by_sub) > 0
    assert by_sub["subdistrict_codes"].str.contains(code).all()
    done = filter_layer(projects, "projects", status="done")
    assert len(done) == (projects["latest_status"] == "done").sum()
    cat = projects["category"].iloc[0]
    assert (filter_layer(projects, "projects", category=cat)["category"] == cat).all()
    early = filter_layer(projects, "projects", year=2016)
    sy = pd.to_numeric(early["start_year"], errors="coerce")
    assert not (sy > 2016).any()
    assert "status_as_of" in early.columns
    ind = layers.read_table("indicators")
    y = int(ind["year"].iloc[0])
    assert (filter_layer(ind, "indicators", year=y)["year"] == y).all()
    with pytest.raises(LayerError, match="category"):
        filter_layer(layers.read_layer("district"), "district", category="park")


def test_export_bad_input(tmp_path: Path) -> None:
    with pytest.raises(LayerError, match="layer"):
        export("nope", "geojson", tmp_path / "x.geojson")
    with pytest.raises(LayerError, match="format"):
        export("parks", "shp", tmp_path / "x.shp")
    with pytest.raises(LayerError, match="format"):
        export("indicators", "geojson", tmp_path / "x.geojson")
    with pytest.raises(LayerError, match="status"):
        export("district", "geojson", tmp_path / "x.geojson", status="done")


def test_export_filtered_layer(tmp_path: Path) -> None:
    report = export("subdistricts", "geojson", tmp_path / "one.geojson", subdistrict="110102001")
    doc = json.loads((tmp_path / "one.geojson").read_text("utf-8"))
    assert report.counts == {"subdistricts": 1}
    assert doc["features"][0]["properties"]["code"] == "110102001"
    assert doc["metadata"]["filters"] == {"subdistrict": "110102001"}


def test_export_all_csv_folder(tmp_path: Path) -> None:
    report = export("all", "csv", tmp_path / "out", bom=True)
    names = {p.name for p in report.files}
    assert "projects.csv" in names and "projects.meta.json" in names
    assert "coverage-table.csv" in names


def test_multi_layer_export_applies_only_fitting_filters(tmp_path: Path) -> None:
    report = export("all", "gpkg", tmp_path / "f.gpkg", status="done")
    projects = layers.read_layer("projects")
    assert report.counts["projects"] == (projects["latest_status"] == "done").sum()
    assert report.counts["district"] == 1  # no status column: exported unfiltered
    assert report.metadata["layers"]["projects"]["filters_applied"] == ["status"]
    assert report.metadata["layers"]["district"]["filters_applied"] == []


# ------------------------------------------------------------------------------------------ CLI
def test_cli_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from greenmap.export_cmd import main

    out = tmp_path / "p.geojson"
    assert main(["export", "parks", "-o", str(out), "--category", "special_park", "-q"]) == 0
    doc = json.loads(out.read_text("utf-8"))
    assert doc["features"] and all(
        f["properties"]["kind"] == "special_park" for f in doc["features"]
    )
    assert str(out) in capsys.readouterr().out
    code = main(["export", "coverage", "-f", "csv", "-o", str(tmp_path / "c.csv"), "--rule",
                 "who-europe-2016", "--subdistrict", "110102001", "-q"])  # fmt: skip
    assert code == 0
    table = pd.read_csv(tmp_path / "c.csv", dtype={"unit_code": str})
    assert set(table["rule_id"]) == {"who-europe-2016"}
    assert set(table["unit_code"]) == {"110102001"}
    assert main(["export", "all", "-o", str(tmp_path / "x.gpkg"), "-q"]) == 0
    assert (tmp_path / "x.gpkg").stat().st_size > 0


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["export", "nope", "-o", "x.geojson"], "nope"),
        (["export", "parks", "-o", "x.txt"], "--format"),
        (["export", "district", "-o", "x.geojson", "--status", "done"], "status"),
        (["export", "coverage", "-o", "x.csv", "--rule", "no-such-rule"], "no-such-rule"),
    ],
)
def test_cli_export_bad_input_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    from greenmap.export_cmd import main

    argv = [a if not a.startswith("x.") else str(tmp_path / a) for a in argv]
    assert main([*argv, "-q"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and needle in err
