"""``GET /api/export``: downloads honouring the map's filters (Flask test client, shipped data)."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pandas as pd
import pytest
import shapely
from flask import Flask
from flask.testing import FlaskClient

from webmap import create_app

SHICHAHAI = "110102012"  # 什刹海街道


@pytest.fixture(scope="module")
def app() -> Flask:
    try:
        import layers

        layers.read_layer("subdistricts")
    except Exception as exc:
        pytest.skip(f"layers not readable: {exc}")
    return create_app({"TESTING": True, "LOG_LEVEL": "WARNING"})


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _utf8_filename(disposition: str) -> str:
    assert disposition.startswith("attachment;")
    part = disposition.split("filename*=UTF-8''", 1)[1]
    return unquote(part)


def test_projects_geojson_honours_subdistrict_filter(client: FlaskClient) -> None:
    r = client.get(f"/api/export?what=projects&format=geojson&subdistrict={SHICHAHAI}&year=2025")
    assert r.status_code == 200, r.get_json()
    assert r.mimetype == "application/geo+json"
    name = _utf8_filename(r.headers["Content-Disposition"])
    assert name.endswith(".geojson") and "什刹海" in name and "2025" in name
    assert (
        f'filename="greenmap-xicheng-projects-{SHICHAHAI}-2025.geojson"'
        in (r.headers["Content-Disposition"])
    )
    doc = json.loads(r.data.decode("utf-8"))
    feats = doc["features"]
    assert feats, "什刹海 has projects"
    for f in feats:
        codes = str(f["properties"]["subdistrict_codes"]).split(";")
        assert SHICHAHAI in [c.strip() for c in codes]
    md = doc["metadata"]
    assert md["filters"] == {"subdistrict": SHICHAHAI, "year": 2025}
    assert md["layers"]["projects"]["filters_applied"] == ["subdistrict", "year"]
    assert md["projects_source"] == {"kind": "layer"}
    # exactly the projects the map (and /api/projects) shows for the same filters
    listed = client.get(f"/api/projects?subdistrict={SHICHAHAI}&year=2025").get_json()
    assert sorted(f["properties"]["project_id"] for f in feats) == sorted(
        p["project_id"] for p in listed["projects"]
    )
    # and fewer than the whole district
    everything = json.loads(client.get("/api/export?what=projects").data)
    assert len(everything["features"]) > len(feats)
    assert everything["metadata"]["filters"] == {}


def test_status_and_category_lists_match_the_map(client: FlaskClient) -> None:
    q = "status=done,under_way&category=park,pocket_park&year=2020"
    doc = json.loads(client.get(f"/api/export?what=projects&{q}").data)
    listed = client.get(f"/api/projects?{q}").get_json()["projects"]
    got = {f["properties"]["project_id"]: f["properties"]["status_as_of"] for f in doc["features"]}
    assert got == {p["project_id"]: p["status_as_of"] for p in listed}
    assert set(got.values()) <= {"done", "under_way"}
    assert doc["metadata"]["filters"]["status"] == "done,under_way"


def test_projects_csv_has_bom_and_filtered_rows(client: FlaskClient) -> None:
    r = client.get(f"/api/export?what=projects&format=csv&subdistrict={SHICHAHAI}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.data.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(io.BytesIO(r.data), encoding="utf-8-sig", dtype=str)
    assert len(df) > 0
    assert df["subdistrict_codes"].str.contains(SHICHAHAI).all()


def test_coverage_results_for_rule_and_year(client: FlaskClient) -> None:
    rules = client.get("/api/rules").get_json()["rules"]
    rule = [r["id"] for r in rules if not r["id"].endswith(("-walk", "-10min"))][-1]
    r = client.get(f"/api/export?what=coverage&format=geojson&rule={rule}&year=2020")
    assert r.status_code == 200
    doc = json.loads(r.data)
    assert len(doc["features"]) == 15
    assert doc["metadata"]["rule_set"]["id"] == rule and doc["metadata"]["year"] == 2020
    assert {f["properties"]["rule_id"] for f in doc["features"]} == {rule}
    # the 街道 rates equal the map's coverage for the same rule and year
    cov = client.get(f"/api/coverage?rule={rule}&year=2020").get_json()
    want = {s["code"]: s["coverage_pct"] for s in cov["subdistricts"]}
    for f in doc["features"]:
        p = f["properties"]
        rate = next(v for k, v in p.items() if k in ("rate_pct", "coverage_pct", "all_land_pct"))
        assert rate == pytest.approx(want[p["code"]], abs=0.01)
    table = client.get(f"/api/export?what=coverage&format=csv&rule={rule}&year=2020")
    df = pd.read_csv(io.BytesIO(table.data), encoding="utf-8-sig", dtype={"unit_code": str})
    assert {"scope", "unit_code", "variant", "rate_pct"} <= set(df.columns)


def test_all_layers_as_one_geopackage(client: FlaskClient, tmp_path: Path) -> None:
    pyogrio = pytest.importorskip("pyogrio")
    r = client.get(f"/api/export?what=all&format=gpkg&subdistrict={SHICHAHAI}&year=2025")
    assert r.status_code == 200 and r.mimetype == "application/geopackage+sqlite3"
    path = tmp_path / "all.gpkg"
    path.write_bytes(r.data)
    names = {str(n) for n in pyogrio.list_layers(path)[:, 0]}
    assert {"projects", "parks", "subdistricts", "coverage_subdistricts"} <= names
    projects = pyogrio.read_dataframe(path, layer="projects")
    assert len(projects) > 0
    assert projects["subdistrict_codes"].str.contains(SHICHAHAI).all()
    subs = pyogrio.read_dataframe(path, layer="subdistricts")
    assert subs["code"].tolist() == [SHICHAHAI]
    with sqlite3.connect(path) as con:
        md = dict(con.execute("select key, value from greenmap_metadata").fetchall())
    assert json.loads(md["filters"]) == {"subdistrict": SHICHAHAI, "year": 2025}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("what=nope", "what"),
        ("format=shp", "format"),
        ("what=all&format=csv", "format"),
        ("what=indicators&format=geojson", "format"),
        ("subdistrict=999999999", "subdistrict"),
        ("status=finished", "status"),
        ("category=zoo", "category"),
        ("year=19x", "year"),
        ("rule=nope", "rule"),
        ("colour=red", "colour"),
    ],
)
def test_bad_parameters_answer_400_naming_it(
    client: FlaskClient, query: str, parameter: str
) -> None:
    r = client.get(f"/api/export?{query}")
    assert r.status_code == 400
    body = r.get_json()
    assert body["parameter"] == parameter and body["message"]


def test_export_is_in_the_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/api/openapi.json").get_json()
    op = doc["paths"]["/api/export"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"what", "format", "subdistrict", "status", "category", "year", "rule"} <= names
    assert "400" in op["responses"]


def test_export_reads_the_editing_store(tmp_path: Path) -> None:
    """An edit in the planners' store shows in the download at once (same data as the map)."""
    app = create_app({"TESTING": True, "LOG_LEVEL": "WARNING", "DATA_DIR": str(tmp_path)})
    from webmap.edit_api import get_store

    store = get_store(app)
    frame = store.to_geodataframe()
    row = frame[frame["subdistrict_codes"].astype(str).str.contains(SHICHAHAI)].iloc[0]
    pid = str(row["project_id"])
    poly = shapely.Polygon(
        [(116.385, 39.94), (116.386, 39.94), (116.386, 39.941), (116.385, 39.941)]
    )
    version = int(store.get(pid)["properties"]["version"])
    store.update(pid, {}, poly, expected_version=version, user="tester")
    r = app.test_client().get(f"/api/export?what=projects&subdistrict={SHICHAHAI}")
    doc: dict[str, Any] = json.loads(r.data)
    hit = next(f for f in doc["features"] if f["properties"]["project_id"] == pid)
    assert hit["geometry"]["type"] == "Polygon"
    assert hit["properties"]["geometry_quality"] == "user"
    assert doc["metadata"]["projects_source"]["kind"] == "store"


def test_network_rule_export_is_refused_not_mislabelled(client: FlaskClient) -> None:
    r = client.get("/api/export?what=coverage&format=geojson&rule=xicheng-2016-walk")
    assert 400 <= r.status_code < 500
    assert "along streets" in r.get_data(as_text=True)
