"""The web map's JSON API and map page, through Flask's test client (shipped Xicheng data)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient

from webmap import create_app
from webmap.render import check_offline

XSS = "<img src=x onerror=alert(1)>"


def _hook(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Adds a project with a hostile name and no geometry (test only)."""
    if name != "projects":
        return frame
    row: dict[str, Any] = {c: None for c in frame.columns}
    row.update(
        project_id="test-xss",
        name_zh=XSS,
        category="park",
        subdistrict_codes="110102001",
        latest_status="planned",
        latest_status_year=2021,
        status_history="2021:planned",
        source="test fixture",
        geometry_quality="none",
    )
    out = pd.concat([frame, frame.iloc[:0].__class__([row], crs=frame.crs)], ignore_index=True)
    return out.set_crs(frame.crs, allow_override=True)


@pytest.fixture(scope="module")
def app() -> Flask:
    try:
        import layers

        layers.read_layer("subdistricts")
    except Exception as exc:
        pytest.skip(f"layers not readable: {exc}")
    return create_app({"TESTING": True, "LAYER_HOOK": _hook, "LOG_LEVEL": "WARNING"})


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _code(client: FlaskClient) -> str:
    return str(client.get("/api/subdistricts").get_json()["subdistricts"][0]["code"])


# ------------------------------------------------------------------------------------------ resources


def test_subdistricts_lists_fifteen_with_names(client: FlaskClient) -> None:
    body = client.get("/api/subdistricts").get_json()
    subs = body["subdistricts"]
    assert len(subs) == 15
    assert all(s["name_zh"].endswith("街道") for s in subs)
    assert all(len(s["code"]) == 9 for s in subs)
    assert all(
        s["geometry_quality"] in {"official", "osm", "user", "approximate", "none"} for s in subs
    )


def test_subdistrict_detail_and_404(client: FlaskClient) -> None:
    code = _code(client)
    body = client.get(f"/api/subdistricts/{code}").get_json()
    assert body["code"] == code
    assert all(code in (p["subdistrict_codes"] or "") for p in body["projects"])
    r = client.get("/api/subdistricts/110102999")
    assert r.status_code == 404 and r.get_json()["error"] == "not found"


def test_projects_filters(client: FlaskClient) -> None:
    all_ = client.get("/api/projects").get_json()
    assert all_["count"] == len(all_["projects"]) > 100
    done = client.get("/api/projects?status=done&year=2021").get_json()["projects"]
    assert done and all(p["status_as_of"] == "done" for p in done)
    early = client.get("/api/projects?year=2016").get_json()["count"]
    late = client.get("/api/projects?year=2025").get_json()["count"]
    assert early < late  # more projects have been listed by 2025
    code = _code(client)
    in_sd = client.get(f"/api/projects?subdistrict={code}").get_json()["projects"]
    assert in_sd and all(code in p["subdistrict_codes"] for p in in_sd)
    parks = client.get("/api/projects?category=park,pocket_park").get_json()["projects"]
    assert parks and {p["category"] for p in parks} <= {"park", "pocket_park"}


def test_project_without_geometry_is_listed_and_text_is_verbatim(client: FlaskClient) -> None:
    body = client.get("/api/projects/test-xss").get_json()
    assert body["name_zh"] == XSS
    assert body["has_geometry"] is False
    assert client.get("/api/projects/nope").status_code == 404


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("/api/projects?year=abc", "year"),
        ("/api/projects?year=99999", "year"),
        ("/api/projects?status=finished", "status"),
        ("/api/projects?category=castle", "category"),
        ("/api/projects?subdistrict=110102999", "subdistrict"),
        ("/api/projects?colour=red", "colour"),
        ("/api/coverage?rule=no-such-rule", "rule"),
        ("/api/coverage?year=20x0", "year"),
        ("/api/layers/gaps.geojson?rule=%3Cscript%3E", "rule"),
        ("/api/layers/parks.geojson?datum=bd99", "datum"),
    ],
)
def test_invalid_parameters_answer_400_naming_the_parameter(
    client: FlaskClient, query: str, param: str
) -> None:
    r = client.get(query)
    assert r.status_code == 400
    body = r.get_json()
    assert body["parameter"] == param
    assert param in body["message"]


def test_unknown_routes_and_layers_are_json_404(client: FlaskClient) -> None:
    for url in ("/api/layers/castles.geojson", "/api/nothing"):
        r = client.get(url)
        assert r.status_code == 404
        assert r.get_json()["error"] == "not found"


def test_coverage_by_subdistrict_is_labelled_computed(client: FlaskClient) -> None:
    body = client.get("/api/coverage?year=2021").get_json()
    assert body["label"] == "本工具计算 computed"
    assert body["rule"] and body["year"] == 2021
    subs = body["subdistricts"]
    assert len(subs) == 15
    for s in subs:
        for k in ("coverage_pct", "coverage_non_historic_pct"):
            v = s[k]
            assert v is None or 0.0 <= v <= 100.0
    code = subs[0]["code"]
    one = client.get(f"/api/coverage?subdistrict={code}").get_json()["subdistricts"]
    assert [s["code"] for s in one] == [code]
    rules = client.get("/api/rules").get_json()
    assert rules["default"] == rules["rules"][0]["id"]


def test_reported_series_comes_from_the_indicators_table(client: FlaskClient) -> None:
    body = client.get("/api/indicators/reported").get_json()
    assert body["label"] == "官方公布 reported"
    got = {(v["year"], v["value"]) for v in body["values"]}
    import layers

    ind = layers.read_table("indicators")
    ind = ind[ind["indicator_id"].isin(["park_500m_coverage", "park_500m_coverage_non_historic"])]
    assert got == {(int(y), float(v)) for y, v in zip(ind["year"], ind["value"], strict=True)}


def test_layers_as_geojson(client: FlaskClient) -> None:
    idx = client.get("/api/layers").get_json()["layers"]
    assert {"district", "subdistricts", "parks", "projects"} <= {x["name"] for x in idx}
    r = client.get("/api/layers/parks.geojson")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    fc = r.get_json()
    assert fc["type"] == "FeatureCollection" and fc["features"]
    assert all("geometry_quality" in f["properties"] for f in fc["features"])
    gaps = client.get("/api/layers/gaps.geojson?year=2020").get_json()
    assert all(f["properties"]["year"] == 2020 for f in gaps["features"])
    shifted = client.get("/api/layers/district.geojson?datum=gcj02").get_json()
    plain = client.get("/api/layers/district.geojson").get_json()
    assert shifted["features"][0]["geometry"] != plain["features"][0]["geometry"]


def test_etag_and_cache_control(client: FlaskClient) -> None:
    r = client.get("/api/subdistricts")
    tag = r.headers["ETag"]
    assert "must-revalidate" in r.headers["Cache-Control"]
    again = client.get("/api/subdistricts", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/api/projects?year=2020")
    assert other.headers["ETag"] != tag


def test_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for path in (
        "/api/subdistricts",
        "/api/projects",
        "/api/coverage",
        "/api/layers/{name}.geojson",
    ):
        assert path in doc["paths"]
    params = {p["name"] for p in doc["paths"]["/api/projects"]["get"]["parameters"]}
    assert params == {"subdistrict", "status", "year", "category"}


# ------------------------------------------------------------------------------------------ page


def test_map_page_is_offline_and_escapes_user_text(client: FlaskClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    check_offline(html)  # no script/stylesheet/image from another host
    assert "cdn." not in html and "cdnjs" not in html and "code.jquery.com" not in html
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert XSS not in html  # only the JSON-escaped form (\u003cimg ...) is in the page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    assert "西城区" in html and "GreenMap Xicheng" in html
    again = client.get("/", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_map_page_rejects_bad_basemap(client: FlaskClient) -> None:
    assert client.get("/?basemap=google").status_code == 400
    assert client.get("/?basemap=tianditu").status_code == 400  # no key configured


def test_osm_basemap_page_names_tile_host_only_in_script(client: FlaskClient) -> None:
    html = client.get("/?basemap=osm").get_data(as_text=True)
    assert "tile.openstreetmap.org" in html
    check_offline(html)  # tiles are requested by Leaflet, not by <script>/<link>


def test_create_app_rejects_unknown_basemap() -> None:
    with pytest.raises(ValueError, match="BASEMAP"):
        create_app({"BASEMAP": "bing"})


def test_environment_configures_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENMAP_BASEMAP", "osm")
    monkeypatch.setenv("GREENMAP_TIANDITU_KEY", "k123")
    app = create_app({"LOG_LEVEL": "WARNING"})
    assert app.config["BASEMAP"] == "osm" and app.config["TIANDITU_KEY"] == "k123"
    assert create_app({"BASEMAP": "none", "LOG_LEVEL": "WARNING"}).config["BASEMAP"] == "none"


def test_tianditu_basemap_uses_configured_key(app: Flask) -> None:
    app2 = create_app(
        {
            "TESTING": True,
            "TIANDITU_KEY": "testkey42",
            "LOG_LEVEL": "WARNING",
            "BASEMAP": "tianditu",
        }
    )
    html = app2.test_client().get("/").get_data(as_text=True)
    assert "tianditu.gov.cn" in html and "tk=testkey42" in html
    check_offline(html)


def test_amap_basemap_shifts_overlays_to_gcj02(client: FlaskClient) -> None:
    plain = client.get("/").get_data(as_text=True)
    amap = client.get("/?basemap=amap").get_data(as_text=True)
    assert "autonavi.com" in amap and "autonavi.com" not in plain
    wgs = client.get("/api/layers/district.geojson").get_json()["features"][0]["geometry"]
    gcj = client.get("/api/layers/district.geojson?datum=gcj02").get_json()["features"][0]
    ring = wgs["coordinates"][0] if wgs["type"] == "Polygon" else wgs["coordinates"][0][0]
    ring2 = gcj["geometry"]["coordinates"]
    ring2 = ring2[0] if gcj["geometry"]["type"] == "Polygon" else ring2[0][0]
    # GCJ-02 lies about 0.006 deg east and 0.001 deg north of WGS-84 in Xicheng
    assert 0.003 < ring2[0][0] - ring[0][0] < 0.01
    assert 0.0 < ring2[0][1] - ring[0][1] < 0.004
    assert json.dumps(ring[0]) in plain and json.dumps(ring[0]) not in amap
    assert json.dumps(ring2[0]) in amap


def test_map_follows_the_editable_projects_store(tmp_path: Any) -> None:
    """With a projects store configured, an edit shows in the API and the page on the next request."""
    pytest.importorskip("webmap.edit_api")
    app = create_app(
        {
            "TESTING": True,
            "LOG_LEVEL": "WARNING",
            "PROJECT_STORE": str(tmp_path / "projects.gpkg"),
            "VERSION_TTL": 0,
        }
    )
    c = app.test_client()
    before = c.get("/api/projects/xc2016-1")
    assert before.status_code == 200
    from webmap.edit_api import get_store

    store = get_store(app)
    version = int(store.get("xc2016-1")["version"])
    store.update("xc2016-1", {"name_zh": "测试改名 renamed"}, expected_version=version, user="t")
    after = c.get("/api/projects/xc2016-1")
    assert after.get_json()["name_zh"] == "测试改名 renamed"
    assert after.headers["ETag"] != before.headers["ETag"]
    assert "测试改名 renamed" in c.get("/").get_data(as_text=True)


def test_candidate_sites_are_labelled_with_their_land_basis(client: FlaskClient) -> None:
    r = client.get("/api/layers/candidates.geojson?rule=xicheng-2016")
    assert r.status_code == 200
    feats = r.get_json()["features"]
    assert len(feats) == 10
    # The demo residential proxy leaves no non-residential land: sites are on land to be vacated.
    assert {f["properties"]["land_basis"] for f in feats} == {"vacated"}
    assert all("腾退" in f["properties"]["source"] for f in feats)
    assert [f["properties"]["rank"] for f in feats] == list(range(1, 11))
