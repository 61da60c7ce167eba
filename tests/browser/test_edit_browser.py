"""The planners' editing walk-through in headless Chromium: log in, pick 鱼藻池公园, draw it with
Leaflet-Geoman, save, see the recomputed coverage gain, a 400 and a 409, log out, and be refused.

The module runs twice: once with a mouse, once in a touch-screen context (``has_touch=True``) where
the polygon is drawn with taps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import shapely
from _webmap_support import (
    ARTIFACTS,
    XSS_NAME,
    Recorder,
    open_map,
    require_data_and_assets,
    serve_app,
)

import layers
from layers.users import UserStore

EDITOR = "planner.li"
VIEWER = "reader.wang"
PASSWORD = "correct horse battery staple"
PARK = "鱼藻池公园"
# An approximate digitisation of 鱼藻池公园 for this test only, not survey data: its published 四至
# (东起广安门外南街，南至原马连道东街，西起广安门火车站，北至广安门外南街63号) puts it just west of
# 广安门外南街, by the 广安门 railway station, within about lon 116.345–116.352, lat 39.883–39.889.
# (lon, lat) vertices, clicked on the map in this order; the first is clicked again to close.
VERTICES = [(116.3462, 39.8840), (116.3512, 39.8840), (116.3512, 39.8882), (116.3462, 39.8882)]
#: Geoman toolbar (``.leaflet-pm-toolbar``) and its buttons.
TOOLBAR = ".leaflet-pm-toolbar"
DRAW_POLYGON = ".leaflet-pm-toolbar .leaflet-pm-icon-polygon"
EDIT_MODE = ".leaflet-pm-toolbar .leaflet-pm-icon-edit"


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    """The 鱼藻池公园 project row of the shipped projects layer (found by name)."""
    prj = layers.read_layer("projects")
    rows = prj[prj["name_zh"] == PARK]
    assert len(rows) == 1, f"{PARK} not in the projects layer"
    row = rows.iloc[0]
    return {
        k: row[k] for k in ("project_id", "sizhi_zh", "source", "source_file", "source_lines")
    } | {"code": str(row["subdistrict_codes"]).split(";")[0]}


@pytest.fixture(scope="module", params=["mouse", "touch"])
def pointer(request: pytest.FixtureRequest) -> str:
    """How the planner points: a mouse, or taps on a touch screen."""
    return str(request.param)


@pytest.fixture()
def page(browser: Any, pointer: str) -> Iterator[Any]:
    """A page in a mouse context, or in a touch-screen context for ``pointer == "touch"``."""
    ctx = browser.new_context(
        viewport={"width": 1400, "height": 900}, locale="zh-CN", has_touch=pointer == "touch"
    )
    pg = ctx.new_page()
    pg.recorder = Recorder(pg)
    pg.pointer = pointer
    try:
        yield pg
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def edit_server(
    tmp_path_factory: pytest.TempPathFactory, pointer: str
) -> Iterator[tuple[str, Any]]:
    """The app with a fresh data directory (projects store + users.sqlite) and one editor."""
    from webmap import create_app

    require_data_and_assets()
    data_dir: Path = tmp_path_factory.mktemp("greenmap-data")
    users = UserStore(data_dir / "users.sqlite")
    users.add(EDITOR, PASSWORD, "editor")
    users.add(VIEWER, PASSWORD, "viewer")
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(data_dir),
            "SECRET_KEY": "browser-test-secret",
            "LOG_LEVEL": "WARNING",
            "VERSION_TTL": 0.0,
        }
    )
    with serve_app(app) as url:
        yield url, app


def _click_latlng(page: Any, box: dict[str, float], lon: float, lat: float) -> None:
    pt = page.evaluate("ll => GREENMAP.map.latLngToContainerPoint(ll)", [lat, lon])
    assert 0 < pt["x"] < box["width"] and 0 < pt["y"] < box["height"], (lon, lat, pt)
    if page.pointer == "touch":
        page.touchscreen.tap(box["x"] + pt["x"], box["y"] + pt["y"])
        page.wait_for_timeout(400)  # separate taps, not a double tap
    else:
        page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
        page.wait_for_timeout(120)  # separate clicks, not a double click


def _login(page: Any, user: str) -> None:
    page.fill("#gm-login-user", user)
    page.fill("#gm-login-pass", PASSWORD)
    page.click("#gm-login-btn")
    page.wait_for_selector(f"body[data-user='{user}']", timeout=5_000)


def _district_gain(body: dict[str, Any]) -> dict[str, Any]:
    rows = [r for r in body["coverage_gain"]["rows"] if r["scope"] == "district"]
    assert len(rows) == 1, body["coverage_gain"]
    return rows[0]


def test_editor_draws_saves_sees_gain_and_logs_out(
    page: Any, edit_server: tuple[str, Any], project: dict[str, Any]
) -> None:
    url, app = edit_server
    pid = project["project_id"]
    open_map(page, f"{url}/#sd={project['code']}")
    page.wait_for_selector("body[data-auth-ready='1']", timeout=10_000)
    # reading needs no login; no editing controls for anonymous readers
    assert page.locator("#gm-login").is_visible()
    assert page.locator(f"li[data-project-id='{pid}']").count() == 1
    assert page.locator(".gm-edit-btn").count() == 0
    assert page.locator(TOOLBAR).count() == 0

    # wrong password: an error, still logged out
    page.fill("#gm-login-user", EDITOR)
    page.fill("#gm-login-pass", "not the password")
    page.click("#gm-login-btn")
    page.wait_for_selector("#gm-auth-msg.gm-msg-error", timeout=5_000)
    assert page.get_attribute("body", "data-role") == ""

    page.fill("#gm-login-pass", PASSWORD)
    page.click("#gm-login-btn")
    page.wait_for_selector("body[data-role='editor']", timeout=5_000)
    assert page.locator("#gm-user").inner_text() == EDITOR

    # choose the project from the panel's list: the edit panel shows 四至 and citation
    page.click(f"li[data-project-id='{pid}'] .gm-edit-btn")
    page.wait_for_selector("#gm-edit-sizhi", timeout=5_000)
    assert page.locator("#gm-edit-sizhi").inner_text() == project["sizhi_zh"]
    cite = page.locator("#gm-edit-cite").inner_text()
    first_file = str(project["source_file"]).split(";")[0]
    first_lines = str(project["source_lines"]).split(";")[0]
    assert f"{first_file}:{first_lines}" in cite
    assert str(project["source"]).split(";")[0] in cite
    assert page.get_attribute("#gm-edit-quality", "data-quality") == "none"
    assert page.get_attribute("#gm-edit-gain", "data-state") == "pending"
    gain_before = page.locator("#gm-edit-gain").inner_text()
    page.wait_for_selector(DRAW_POLYGON, timeout=10_000)  # Geoman, loaded for the editor
    assert page.locator(DRAW_POLYGON).count() == 1

    # the planner zooms in on the place, then draws the polygon with the Geoman toolbar
    centre = [
        sum(v[1] for v in VERTICES) / len(VERTICES),
        sum(v[0] for v in VERTICES) / len(VERTICES),
    ]
    page.evaluate("c => GREENMAP.map.setView(c, 16, {animate: false})", centre)
    if page.pointer == "touch":
        page.tap(DRAW_POLYGON)
    else:
        page.click(DRAW_POLYGON)
    box = page.locator(".folium-map").bounding_box()
    assert box is not None
    for lon, lat in [*VERTICES, VERTICES[0]]:
        _click_latlng(page, box, lon, lat)
    page.wait_for_selector("body[data-edit-dirty='1']", timeout=5_000)
    assert "1 个图形" in page.locator("#gm-edit-geom").inner_text()

    with page.expect_response(
        lambda r: r.request.method == "PATCH" and r.url.endswith(f"/api/edit/projects/{pid}")
    ) as info:
        page.click("#gm-edit-save")
    resp = info.value
    assert resp.status == 200, resp.text()
    body = resp.json()
    page.wait_for_selector(f"body[data-edit-saved='{body['version']}']", timeout=10_000)
    sent = json.loads(resp.request.post_data or "{}")
    assert sent["geometry"]["type"] == "Polygon"
    assert resp.request.headers.get("x-csrf-token")
    assert resp.request.headers.get("if-match") == '"1"'

    # the panel shows the gain the API recomputed (the park covers part of the proxy residential land)
    gain = _district_gain(body)
    assert gain["gain_m2"] > 0 and gain["gain_pp"] > 0
    assert page.get_attribute("#gm-edit-gain", "data-state") == "value"
    assert page.locator("#gm-edit-gain").inner_text() != gain_before
    assert float(page.get_attribute("#gm-gain-m2", "data-value") or "nan") == gain["gain_m2"]
    shown_m2 = float(page.locator("#gm-gain-m2").inner_text().replace(",", ""))
    shown_pp = float(page.locator("#gm-gain-pp").inner_text().replace(",", ""))
    assert shown_m2 == round(gain["gain_m2"]) and shown_pp == round(gain["gain_pp"], 2)
    assert page.get_attribute("#gm-edit-quality", "data-quality") == "user"
    page.wait_for_selector(f"#gm-edit-history .gm-history-user:text-is('{EDITOR}')", timeout=5_000)

    # the project is on the map now: user geometry, not dashed, inside the digitised box
    on_map = page.evaluate(
        """pid => GREENMAP.projectLayers()
            .filter(l => l.feature.properties.project_id === pid)
            .map(l => ({q: l.feature.properties.geometry_quality, dash: l.options.dashArray || null,
                        shown: GREENMAP.map.hasLayer(l), c: l.getBounds().getCenter()}))""",
        pid,
    )
    assert len(on_map) == 1 and on_map[0]["q"] == "user" and on_map[0]["dash"] is None
    assert on_map[0]["shown"]
    assert 116.345 < on_map[0]["c"]["lng"] < 116.352 and 39.883 < on_map[0]["c"]["lat"] < 39.889
    item = page.locator(f"li[data-project-id='{pid}']")
    assert "无位置" not in item.inner_text()

    # the write is in the store: geometry_quality user, the editor in the history
    stored = page.request.get(f"{url}/api/edit/projects/{pid}").json()
    assert stored["version"] == body["version"] == 2
    assert stored["properties"]["geometry_quality"] == "user"
    geom = shapely.geometry.shape(stored["geometry"])
    assert shapely.box(116.345, 39.883, 116.352, 39.889).contains(geom)
    hist = page.request.get(f"{url}/api/edit/projects/{pid}/history").json()["history"]
    assert hist[-1]["user"] == EDITOR and "geometry" in hist[-1]["fields"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "edit.png"))

    # a bad field: 400 naming it, shown beside the input
    year = page.locator("#gm-f-latest_status_year")
    original_year = year.input_value()
    year.fill("1800")
    page.click("#gm-edit-save")
    page.wait_for_selector(".gm-problems li[data-field='latest_status_year']", timeout=5_000)
    assert "gm-invalid" in (year.get_attribute("class") or "")
    year.fill(original_year)

    # someone else saved meanwhile: 409, the message, and the current version reloaded
    from webmap.edit_api import get_store

    get_store(app).update(pid, {"note": "changed by another editor"}, None, 2, "other.editor")
    page.fill("#gm-f-note", "my note")
    page.click("#gm-edit-save")
    page.wait_for_selector("body[data-edit-conflict='3']", timeout=5_000)
    assert "已被他人修改" in page.locator("#gm-edit-msg").inner_text()
    assert page.locator("#gm-edit-version").inner_text() == "3"
    assert page.locator("#gm-f-note").input_value() == "changed by another editor"

    # log out: the editing controls go, and a direct write is refused
    page.click("#gm-logout")
    page.wait_for_selector("#gm-login", timeout=5_000)
    assert page.get_attribute("body", "data-role") == ""
    for sel in (".gm-edit-btn", "#gm-edit-save", TOOLBAR, "#gm-edit-pick"):
        assert page.locator(sel).count() == 0, sel
    status = page.evaluate(
        """async pid => {
            const s = await (await fetch('/auth/session')).json();
            const r = await fetch('/api/edit/projects/' + pid, {method: 'PATCH',
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token,
                          'If-Match': '"3"'},
                body: JSON.stringify({properties: {note: 'after logout'}})});
            return r.status;
        }""",
        pid,
    )
    assert status == 401
    assert page.request.get(f"{url}/api/edit/projects/{pid}").json()["version"] == 3
    # the browser logs the expected 401/400/409 answers as "Failed to load resource"; nothing else
    expected = "Failed to load resource: the server responded with a status of 4"
    assert [e for e in page.recorder.errors if not e.startswith(expected)] == []
    assert page.recorder.dialogs == []
    hosts = {urlparse(u).hostname for u in page.recorder.requests if not u.startswith("data:")}
    assert hosts == {"127.0.0.1"}, hosts


def test_editor_modifies_drawn_shape_from_popup_and_viewer_cannot_edit(
    page: Any, edit_server: tuple[str, Any], project: dict[str, Any]
) -> None:
    url, app = edit_server
    pid = project["project_id"]
    from webmap.edit_api import get_store

    store = get_store(app)
    if store.get(pid)["geometry"] is None:  # this test on its own: give the park its polygon first
        poly = shapely.Polygon(VERTICES)
        store.update(pid, {}, poly, store.get(pid)["version"], "fixture")
    # another editor typed markup into the 四至 text: the panel must show it as text
    hostile = XSS_NAME + " 东起广安门外南街"
    store.update(pid, {"sizhi_zh": hostile}, None, store.get(pid)["version"], "other.editor")
    before = store.get(pid)
    open_map(page, f"{url}/#sd={project['code']}")
    page.wait_for_selector("body[data-auth-ready='1']", timeout=10_000)
    _login(page, EDITOR)
    assert page.locator("#gm-edit-pick option").count() > 100  # every project can be chosen

    # click the park on the map, then 编辑 Edit in its popup
    centre = page.evaluate(
        """pid => { const l = GREENMAP.projectLayers()
                .filter(x => x.feature.properties.project_id === pid)[0];
            GREENMAP.map.fitBounds(l.getBounds(), {maxZoom: 16, animate: false});
            const c = GREENMAP.map.latLngToContainerPoint(l.getBounds().getCenter());
            return {x: c.x, y: c.y}; }""",
        pid,
    )
    box = page.locator(".folium-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + centre["x"], box["y"] + centre["y"])
    page.click(".leaflet-popup-content .gm-edit-btn")
    page.wait_for_selector(f"body[data-edit-version='{before['version']}']", timeout=5_000)
    assert "1 个图形" in page.locator("#gm-edit-geom").inner_text()
    assert page.locator("#gm-edit-sizhi").inner_text() == hostile
    assert page.locator("img[src='x']").count() == 0

    # Geoman's edit mode: drag the north-east vertex 40 px further north-east
    page.wait_for_selector(EDIT_MODE, timeout=10_000)
    page.click(EDIT_MODE)
    ne = page.evaluate(
        "ll => GREENMAP.map.latLngToContainerPoint(ll)", [VERTICES[2][1], VERTICES[2][0]]
    )
    x, y = box["x"] + ne["x"], box["y"] + ne["y"]
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 20, y - 20, steps=4)
    page.mouse.move(x + 40, y - 40, steps=4)
    page.mouse.up()
    page.wait_for_selector("body[data-edit-dirty='1']", timeout=5_000)
    with page.expect_response(
        lambda r: r.request.method == "PATCH" and r.url.endswith(f"/api/edit/projects/{pid}")
    ) as info:
        page.click("#gm-edit-save")  # also ends the edit mode, keeping the moved vertex
    assert info.value.status == 200, info.value.text()
    after = store.get(pid)
    assert after["version"] == before["version"] + 1
    old_b = shapely.geometry.shape(before["geometry"]).bounds
    new_b = shapely.geometry.shape(after["geometry"]).bounds
    assert new_b[2] > old_b[2] and new_b[3] > old_b[3]
    assert new_b[0] == pytest.approx(old_b[0]) and new_b[1] == pytest.approx(old_b[1])
    assert after["properties"]["geometry_quality"] == "user"
    assert store.history(pid)[-1].user == EDITOR

    # a viewer reads but gets no editing controls
    page.click("#gm-logout")
    page.wait_for_selector("#gm-login", timeout=5_000)
    _login(page, VIEWER)
    assert "只读" in page.locator("#gm-auth").inner_text()
    page.mouse.click(box["x"] + centre["x"], box["y"] + centre["y"])
    page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    for sel in (".gm-edit-btn", "#gm-edit-pick", TOOLBAR, "#gm-edit-save"):
        assert page.locator(sel).count() == 0, sel
    assert page.recorder.dialogs == []
