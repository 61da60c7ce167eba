"""OGC API – Features (webmap/ogcapi.py): Flask client tests and GDAL's OAPIF driver against a live server."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from flask import Flask
from werkzeug.serving import make_server

import layers
from webmap import create_app
from webmap.ogcapi import CONFORMANCE, MAX_LIMIT, collection_ids, ogcapi

OGRINFO = shutil.which("ogrinfo")
OGR2OGR = shutil.which("ogr2ogr")


def _app() -> Flask:
    app = create_app({"TESTING": True, "LOG_LEVEL": "WARNING"})
    if "ogcapi" not in app.blueprints:
        app.register_blueprint(ogcapi, url_prefix="/ogc")
    return app


@pytest.fixture(scope="module")
def app() -> Flask:
    return _app()


@pytest.fixture()
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()


def _rels(doc: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for link in doc["links"]:
        out.setdefault(link["rel"], []).append(link)
    return out


def test_tiny_app_without_create_app() -> None:
    app = Flask(__name__)
    app.register_blueprint(ogcapi, url_prefix="/ogc")
    r = app.test_client().get("/ogc/collections/subdistricts/items?limit=3")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["numberMatched"] == 15 and doc["numberReturned"] == 3


def test_landing_page(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/ogc/")
    assert r.status_code == 200 and r.mimetype == "application/json"
    rels = _rels(r.get_json())
    assert rels["self"][0]["type"] == "application/json"
    assert rels["alternate"][0]["type"] == "text/html"
    assert rels["conformance"][0]["href"].split("?")[0].endswith("/ogc/conformance")
    assert rels["data"][0]["href"].split("?")[0].endswith("/ogc/collections")
    if "service-desc" in rels:
        assert rels["service-desc"][0]["href"].endswith("/api/openapi.json")
        assert client.get("/api/openapi.json").status_code == 200


def test_conformance(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/ogc/conformance").get_json()
    assert set(CONFORMANCE) <= set(doc["conformsTo"])
    assert any(c.endswith("/conf/core") for c in doc["conformsTo"])


def test_collections_list_every_layer_and_coverage(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/ogc/collections").get_json()
    ids = [c["id"] for c in doc["collections"]]
    study = layers.load_study_area("xicheng")
    spatial = [n for n in study.layers if not layers.SCHEMAS[n].is_table]
    assert ids[: len(spatial)] == spatial
    assert "coverage-subdistricts" in ids
    assert ids == collection_ids("xicheng")
    for c in doc["collections"]:
        bbox = c["extent"]["spatial"]["bbox"][0]
        assert 116 < bbox[0] < bbox[2] < 117 and 39 < bbox[1] < bbox[3] < 41
        rels = _rels(c)
        assert {link["type"] for link in rels["items"]} == {"application/geo+json", "text/html"}


def test_items_paging_and_links(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/ogc/collections/projects/items?limit=50&offset=50")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    doc = r.get_json()
    assert doc["numberMatched"] == 216 and doc["numberReturned"] == 50
    assert doc["timeStamp"].endswith("Z")
    rels = _rels(doc)
    assert "offset=100" in rels["next"][0]["href"]
    assert "offset=0" in rels["prev"][0]["href"]
    assert rels["alternate"][0]["type"] == "text/html"
    last = client.get("/ogc/collections/projects/items?limit=50&offset=200").get_json()
    assert last["numberReturned"] == 16 and "next" not in _rels(last)
    default = client.get("/ogc/collections/residential/items").get_json()
    assert default["numberReturned"] == 100
    big = client.get(f"/ogc/collections/residential/items?limit={MAX_LIMIT + 5}").get_json()
    assert big["numberReturned"] == big["numberMatched"] == 1041  # issue 11: more park discs


def test_features_without_geometry_are_null(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/ogc/collections/parks/items?limit=100").get_json()
    nulls = [f for f in doc["features"] if f["geometry"] is None]
    want = sum(1 for f in doc["features"] if f["properties"]["geometry_quality"] == "none")
    assert 0 < len(nulls) == want < len(doc["features"])
    assert all(f["properties"]["geometry_quality"] == "none" for f in nulls)
    assert all(f["id"] == f["properties"]["park_id"] for f in doc["features"])


def test_bbox_filter(client) -> None:  # type: ignore[no-untyped-def]
    sub = layers.read_layer("subdistricts")
    x, y = sub.geometry.iloc[0].representative_point().coords[0]
    r = client.get(f"/ogc/collections/subdistricts/items?bbox={x},{y},{x + 1e-4},{y + 1e-4}")
    doc = r.get_json()
    box = shapely.box(x, y, x + 1e-4, y + 1e-4)
    expected = int(sub.intersects(box).sum())
    assert doc["numberMatched"] == expected >= 1
    assert "bbox=" in _rels(doc)["self"][0]["href"]
    far = client.get("/ogc/collections/subdistricts/items?bbox=0,0,1,1").get_json()
    assert far["numberMatched"] == 0 and far["features"] == []


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=10,0,5,1", "bbox"),
        ("bbox=0,95,1,96", "bbox"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("f=xml", "f"),
        ("colour=red", "colour"),
    ],
)
def test_bad_parameters_are_400_json(client, query: str, param: str) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"/ogc/collections/parks/items?{query}")
    assert r.status_code == 400
    assert r.mimetype == "application/json"
    assert param in r.get_json()["description"]


def test_unknown_collection_and_feature_404(client) -> None:  # type: ignore[no-untyped-def]
    for url in (
        "/ogc/collections/nope",
        "/ogc/collections/nope/items",
        "/ogc/collections/parks/items/no-such-park",
    ):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.get_json()["code"] == "NotFound"


def test_single_feature(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/ogc/collections/subdistricts/items/110102001")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    feat = r.get_json()
    assert feat["type"] == "Feature" and feat["id"] == "110102001"
    assert feat["properties"]["name_zh"] == "西长安街街道"
    rels = _rels(feat)
    assert {"self", "alternate", "collection"} <= set(rels)
    cov = client.get("/ogc/collections/coverage-subdistricts/items/110102001").get_json()
    assert 0 <= cov["properties"]["rate_pct"] <= 100


def test_html_by_param_and_accept(client) -> None:  # type: ignore[no-untyped-def]
    for url in (
        "/ogc/?f=html",
        "/ogc/conformance?f=html",
        "/ogc/collections?f=html",
        "/ogc/collections/parks?f=html",
        "/ogc/collections/parks/items?f=html",
        "/ogc/collections/subdistricts/items/110102001?f=html",
    ):
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.mimetype == "text/html", url
        assert "<html" in r.get_data(as_text=True)
    r = client.get("/ogc/collections", headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.mimetype == "text/html"
    assert "公园绿地" in r.get_data(as_text=True)
    r = client.get("/ogc/collections", headers={"Accept": "application/json"})
    assert r.mimetype == "application/json"
    cov = client.get("/ogc/collections/coverage-subdistricts/items?f=html").get_data(as_text=True)
    assert "覆盖率" in cov and "西长安街街道" in cov
    items = client.get("/ogc/collections/parks/items?f=html&limit=5").get_data(as_text=True)
    assert "next page" in items or "offset=5" in items


# ------------------------------------------------------------------------------------------ GDAL
@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, _app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/ogc/"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.mark.skipif(OGRINFO is None, reason="ogrinfo (gdal-bin) not installed")
def test_gdal_oapif_lists_and_reads_every_collection(live_url: str) -> None:
    assert OGRINFO is not None
    r = subprocess.run(
        [OGRINFO, f"OAPIF:{live_url}", "-so", "-al"], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    assert "ERROR" not in r.stderr
    for cid in collection_ids("xicheng"):
        assert f"Layer name: {cid}\n" in r.stdout, cid
    assert "Feature Count: 216" in r.stdout  # projects: every feature counted, geometry or not


@pytest.mark.skipif(OGR2OGR is None, reason="ogr2ogr (gdal-bin) not installed")
@pytest.mark.parametrize("cid", ["projects", "coverage-subdistricts", "residential"])
def test_gdal_ogr2ogr_copies_a_collection(live_url: str, tmp_path: Path, cid: str) -> None:
    assert OGR2OGR is not None
    out = tmp_path / f"{cid}.gpkg"
    r = subprocess.run(
        [OGR2OGR, "-f", "GPKG", str(out), f"OAPIF:{live_url}", cid],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    import geopandas as gpd

    got = gpd.read_file(out)
    # issue 11: parks placed from the gazetteer add park discs, so the residential proxy has 1041 cells
    expected = {"projects": 216, "coverage-subdistricts": 15, "residential": 1041}[cid]
    assert len(got) == expected
    assert got["source"].notna().all() and got["geometry_quality"].notna().all()
    if cid == "coverage-subdistricts":
        assert got["rate_pct"].between(0, 100).all()
