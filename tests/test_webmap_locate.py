"""webmap.locate_api (从文字定位): proposals from location texts, and a planner confirming one in the editor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import shapely
from flask import Flask

import webmap.locate_api as la
from layers.gazetteer_io import cached_gazetteer
from tests._webapp import logged_in, make_app
from tests.test_layers_gazetteer_io import _grid_graphml
from webmap.auth import CSRF_HEADER

SIZHI = "东至经3路，西至经1路，南至纬1路，北至纬3路"


def _app(tmp_path: Path, **config: Any) -> Flask:
    return make_app(tmp_path, {"planner1": "editor"}, **config)


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    cached_gazetteer.cache_clear()
    return _app(tmp_path, LOCATE_STREETS=str(_grid_graphml(tmp_path / "grid.graphml")))


def test_propose_from_text(app: Flask) -> None:
    c = app.test_client()
    r = c.get("/api/locate", query_string={"text": SIZHI, "area_m2": "150000"})
    assert r.status_code == 200
    body = r.get_json()
    assert body["placed"] is True and body["save_properties"] == {"geometry_method": "sizhi"}
    whole = body["features"][0]
    assert whole["geometry"]["type"] == "Polygon"
    p = whole["properties"]
    assert p["geometry_quality"] == "approximate" and p["geometry_method"] == "sizhi"
    assert 0.9 < p["area_ratio"] < 1.1 and "sizhi" in p["explain"]
    # POST works the same
    r2 = c.post("/api/locate", json={"text": SIZHI})
    assert r2.status_code == 200 and r2.get_json()["placed"] is True


def test_propose_for_a_project(app: Flask) -> None:
    c = app.test_client()
    body = c.get("/api/locate?project_id=xc2016-6").get_json()  # 全区15个街道
    assert body["placed"] is False and body["text"] == "全区15个街道"
    assert "district-wide" in body["features"][0]["properties"]["location_reason"]
    assert body["features"][0]["geometry"] is None


def test_bad_requests(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = app.test_client()
    assert c.get("/api/locate").status_code == 400
    assert c.get("/api/locate?project_id=nope").status_code == 404
    assert c.get("/api/locate", query_string={"text": SIZHI, "area_m2": "big"}).status_code == 400
    assert c.post("/api/locate", data="not json").status_code == 400
    # no gazetteer configured and no ../shared: 503 with a message, never a stack trace
    cached_gazetteer.cache_clear()
    monkeypatch.setattr(la, "_SHARED", tmp_path / "absent")
    bare = _app(tmp_path / "b")
    r = bare.test_client().get("/api/locate", query_string={"text": SIZHI})
    assert r.status_code == 503 and "LOCATE_AREA" in r.get_json()["message"]


def test_planner_confirms_a_proposal(app: Flask) -> None:
    """The proposal loads into the editor, the planner saves it: the history records method and person."""
    c, tok = logged_in(app, "planner1")
    pid = "xc2016-3"
    prop = c.get("/api/locate", query_string={"text": SIZHI}).get_json()
    geom = prop["features"][0]["geometry"]
    cur = c.get(f"/api/edit/projects/{pid}").get_json()
    r = c.patch(
        f"/api/edit/projects/{pid}",
        json={"geometry": geom, "properties": prop["save_properties"], "version": cur["version"]},
        headers={CSRF_HEADER: tok},
    )
    assert r.status_code == 200, r.get_json()
    saved = r.get_json()["feature"]["properties"]
    assert saved["geometry_method"] == "sizhi" and saved["geometry_quality"] == "user"
    hist = c.get(f"/api/edit/projects/{pid}/history").get_json()["history"][-1]
    assert hist["user"] == "planner1"
    assert hist["new_values"]["geometry_method"] == "sizhi"
    assert "geometry" in hist["fields"]
    assert shapely.from_wkt(hist["new_geometry"]).geom_type == "Polygon"


def test_map_page_explains_placements(app: Flask) -> None:
    """The map page carries how each project was placed (popups and the 街道 panel read these), and the
    editor script offers 从文字定位 for a project without geometry."""
    c = app.test_client()
    page = c.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "geometry_method" in html and "location_reason" in html
    with c.get("/static/edit.js") as r:
        js = r.get_data(as_text=True)
    assert "从文字定位" in js and "/api/locate" in js and "geometry_method" in js
    with c.get("/static/app.js") as r:
        app_js = r.get_data(as_text=True)
    assert "placedBy" in app_js and "未上图 not placed" in app_js
