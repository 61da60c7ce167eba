"""The write API (webmap.edit_api) and login/CSRF/roles (webmap.auth) on the real app factory."""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import shapely
from flask import Flask
from flask.testing import FlaskClient

import layers
from layers.store import EDITABLE_FIELDS
from tests._webapp import PW, csrf, logged_in, login, make_app, session_cookie
from webmap.auth import CSRF_HEADER
from webmap.edit_api import EDIT_OPENAPI

PID = "xc2016-22"  # 鱼藻池公园 (a park project: coverage gain applies)
CENTRE = layers.read_layer("district").geometry.iloc[0].representative_point()
SQUARE = shapely.box(CENTRE.x - 0.001, CENTRE.y - 0.001, CENTRE.x + 0.001, CENTRE.y + 0.001)
URL = f"/api/edit/projects/{PID}"


def build_app(tmp_path: Path, **config: Any) -> Flask:
    return make_app(
        tmp_path, {"editor1": "editor", "editor2": "editor", "viewer1": "viewer"}, **config
    )


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return build_app(tmp_path)


def patch(c: FlaskClient, tok: str | None, body: Any, version: int | None = 1, **kw: Any) -> Any:
    headers = {} if tok is None else {CSRF_HEADER: tok}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    return c.patch(URL, json=body, headers=headers, **kw)


# ------------------------------------------------------------------------------ login


def test_login_session_cookie_flags(tmp_path: Path) -> None:
    app = build_app(tmp_path, AUTH_COOKIE_SECURE=True)
    c = app.test_client()
    r = login(c)
    assert r.status_code == 200
    body = r.get_json()
    assert body["user"] == {"username": "editor1", "role": "editor"}
    cookie = r.headers["Set-Cookie"]
    assert "greenmap_session=" in cookie and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Secure" in cookie
    assert r.headers["Cache-Control"] == "no-store"
    assert PW not in json.dumps(body)


def test_login_failures(app: Flask) -> None:
    c = app.test_client()
    assert login(c, pw="wrong password!").status_code == 401
    assert login(c, user="nobody").status_code == 401
    # no CSRF token on login -> 403
    r = c.post("/auth/login", json={"username": "editor1", "password": PW})
    assert r.status_code == 403
    tok = csrf(c)
    r = c.post("/auth/login", json={"username": "editor1"}, headers={CSRF_HEADER: tok})
    assert r.status_code == 400
    r = c.post("/auth/login", data="not json", headers={CSRF_HEADER: tok})
    assert r.status_code == 400


def test_login_rate_limited_per_ip_and_per_user(app: Flask) -> None:
    c = app.test_client()
    for _ in range(5):
        assert login(c, pw="wrong password!").status_code == 401
    r = login(c)  # right password, but too many failures from this address
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    # the same user name from other addresses is limited too
    other = app.test_client()
    r = login(other, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert r.status_code == 429
    # another user from a fresh address is fine
    r = login(app.test_client(), user="editor2", environ_base={"REMOTE_ADDR": "10.0.0.10"})
    assert r.status_code == 200
    # one address trying many names is limited
    c3 = app.test_client()
    for i in range(5):
        r = login(c3, user=f"guess{i}", environ_base={"REMOTE_ADDR": "10.0.0.11"})
        assert r.status_code == 401
    r = login(c3, user="viewer1", environ_base={"REMOTE_ADDR": "10.0.0.11"})
    assert r.status_code == 429


def test_form_login_redirects_only_locally(app: Flask) -> None:
    c = app.test_client()
    page = c.get("/auth/login")
    assert page.status_code == 200 and b"csrf_token" in page.data
    tok = csrf(c)
    r = c.post(
        "/auth/login?next=//evil.example/x",
        data={"username": "editor1", "password": PW, "csrf_token": tok},
    )
    assert r.status_code == 303 and r.headers["Location"] == "/"


def test_logout_kills_the_session_cookie(app: Flask) -> None:
    c, tok = logged_in(app)
    stolen = session_cookie(c)
    r = c.post("/auth/logout", headers={CSRF_HEADER: tok})
    assert r.status_code == 200 and r.get_json()["user"] is None
    # replaying the old cookie after logout does not work
    thief = app.test_client()
    thief.set_cookie("greenmap_session", stolen)
    assert thief.get("/auth/session").get_json()["user"] is None
    assert patch(thief, tok, {"properties": {"note": "x"}}).status_code == 401


# ------------------------------------------------------------------------------ authorisation


def test_reading_needs_no_login(app: Flask) -> None:
    c = app.test_client()
    r = c.get(URL)
    assert r.status_code == 200 and r.headers["ETag"] == '"1"'
    assert r.get_json()["properties"]["project_id"] == PID
    fc = c.get("/api/edit/projects?has_geometry=false").get_json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) > 100
    assert c.get("/api/edit/projects/nope").status_code == 404


def test_write_needs_login_csrf_and_editor_role(app: Flask) -> None:
    anon = app.test_client()
    tok = csrf(anon)
    assert patch(anon, tok, {"properties": {"note": "x"}}).status_code == 401
    assert anon.post(f"{URL}/restore", json={"version": 1}).status_code == 401
    assert anon.get(f"{URL}/history").status_code == 401
    viewer, vtok = logged_in(app, "viewer1")
    r = patch(viewer, vtok, {"properties": {"note": "x"}})
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"
    assert viewer.get(f"{URL}/history").status_code == 200
    ed, etok = logged_in(app)
    assert patch(ed, None, {"properties": {"note": "x"}}).status_code == 403  # no token
    assert patch(ed, "0" * 43, {"properties": {"note": "x"}}).status_code == 403  # wrong token
    assert patch(ed, vtok, {"properties": {"note": "x"}}).status_code == 403  # other session's
    # the token may come as a form field: a wrong one is refused, the right one passes the
    # check (and the form body is then refused as not JSON)
    r = ed.patch(URL, data={"csrf_token": vtok}, headers={"If-Match": '"1"'})
    assert r.status_code == 403
    r = ed.patch(URL, data={"csrf_token": etok}, headers={"If-Match": '"1"'})
    assert r.status_code == 400
    # forged / tampered session cookies
    forged = app.test_client()
    forged.set_cookie("greenmap_session", session_cookie(ed)[:-3] + "abc")
    assert patch(forged, etok, {"properties": {"note": "x"}}).status_code == 401
    # nothing was written by any of these
    assert app.test_client().get(URL).get_json()["version"] == 1
    assert patch(ed, etok, {"properties": {"note": "x"}}).status_code == 200


def test_password_change_ends_sessions(app: Flask) -> None:
    ed, tok = logged_in(app)
    app.extensions["greenmap_users"].add("editor1", PW + "!", role="editor", replace=True)
    assert patch(ed, tok, {"properties": {"note": "x"}}).status_code == 401


def test_role_downgrade_takes_effect_at_once(app: Flask) -> None:
    ed, tok = logged_in(app)
    users = app.extensions["greenmap_users"]
    users.add("editor1", PW, role="viewer", replace=True)
    assert patch(ed, tok, {"properties": {"note": "x"}}).status_code == 401


# ------------------------------------------------------------------------------ editing


def test_patch_fields_and_geometry(app: Flask) -> None:
    ed, tok = logged_in(app)
    r = patch(
        ed,
        tok,
        {
            "properties": {"latest_status": "done", "latest_status_year": 2025},
            "geometry": shapely.geometry.mapping(SQUARE),
        },
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["version"] == 2 and r.headers["ETag"] == '"2"'
    props = body["feature"]["properties"]
    assert props["geometry_quality"] == "user" and props["updated_by"] == "editor1"
    assert props["latest_status"] == "done"
    assert shapely.geometry.shape(body["feature"]["geometry"]).equals(SQUARE)
    hist = ed.get(f"{URL}/history").get_json()["history"]
    assert [h["version"] for h in hist] == [1, 2] and hist[1]["user"] == "editor1"
    # PUT means the same; version in the body instead of If-Match
    r = ed.put(
        URL, json={"properties": {"note": "via PUT"}, "version": 2}, headers={CSRF_HEADER: tok}
    )
    assert r.status_code == 200 and r.get_json()["version"] == 3
    # a GeoJSON Feature echoed back from GET, with one field changed, is accepted
    feat = ed.get(URL).get_json()
    feat["properties"]["note"] = "echo"
    r = ed.patch(URL, json=feat, headers={CSRF_HEADER: tok, "If-Match": '"3"'})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["version"] == 4
    # geometry null removes it
    r = patch(ed, tok, {"geometry": None}, version=4)
    assert r.status_code == 200 and r.get_json()["feature"]["geometry"] is None


def test_stale_edit_409_with_current_version(app: Flask) -> None:
    a, atok = logged_in(app, "editor1")
    b, btok = logged_in(app, "editor2")
    assert patch(a, atok, {"properties": {"note": "A"}}, version=1).status_code == 200
    r = patch(b, btok, {"properties": {"note": "B"}}, version=1)
    assert r.status_code == 409
    body = r.get_json()
    assert body["current_version"] == 2 and body["feature"]["properties"]["note"] == "A"
    assert r.headers["ETag"] == '"2"'
    assert app.test_client().get(URL).get_json()["properties"]["note"] == "A"


def test_version_required_and_checked(app: Flask) -> None:
    ed, tok = logged_in(app)
    assert patch(ed, tok, {"properties": {"note": "x"}}, version=None).status_code == 428
    r = ed.patch(URL, json={"properties": {}}, headers={CSRF_HEADER: tok, "If-Match": "*"})
    assert r.status_code == 400
    r = ed.patch(
        URL,
        json={"properties": {"note": "x"}, "version": 2},
        headers={CSRF_HEADER: tok, "If-Match": '"1"'},
    )
    assert r.status_code == 400 and r.get_json()["problems"][0]["field"] == "version"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"properties": {"area_m2": "big", "colour": 1}}, {"area_m2", "colour"}),
        ({"properties": {"source": "mine"}}, {"source"}),
        ({"properties": {"latest_status": "finished"}}, {"latest_status"}),
        ({"properties": {"households": -1}}, {"households"}),
        ({"properties": "note"}, {"properties"}),
        ({"colour": 1}, {"colour"}),
        ({"geometry": {"type": "Point", "coordinates": [39.9, 116.37]}}, {"geometry"}),
        ({"geometry": {"type": "Point", "coordinates": [446000, 4419000]}}, {"geometry"}),
        ({"geometry": {"type": "Polygon", "coordinates": []}}, {"geometry"}),
        ({"geometry": "POINT (116.37 39.91)"}, {"geometry"}),
        ([1, 2], {"body"}),
    ],
)
def test_bad_input_400_names_fields(app: Flask, body: Any, fields: set[str]) -> None:
    ed, tok = logged_in(app)
    r = patch(ed, tok, body)
    assert r.status_code == 400, r.get_json()
    out = r.get_json()
    assert {p["field"] for p in out["problems"]} == fields
    assert app.test_client().get(URL).get_json()["version"] == 1


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 50_000 + "]" * 50_000,
        '{"properties": {"\\ud800": 1}}',
        '{"properties": {"note": "\\ud800"}}',
        '{"properties": {"area_m2": NaN, "households": Infinity}}',
        '{"geometry": {"type": "Point", "coordinates": [NaN, 39.9]}}',
        '{"geometry": {"type": "Polygon", "coordinates": ' + "[" * 5000 + "]" * 5000 + "}}",
        '{"geometry": {"type": "LineString", "coordinates": [[1, 2, 3, 4, 5]]}}',
        '{"properties": {"households": 1e400}}',
        "\xff\xfe not utf-8",
        "",
    ],
)
def test_hostile_bodies_are_400_not_500(app: Flask, raw: str) -> None:
    ed, tok = logged_in(app)
    r = ed.patch(
        URL,
        data=raw.encode("utf-8", "surrogateescape"),
        headers={CSRF_HEADER: tok, "If-Match": '"1"', "Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    assert r.get_json()["error"] == "invalid_edit"
    assert app.test_client().get(URL).get_json()["version"] == 1


def test_invalid_polygon_repaired_with_message(app: Flask) -> None:
    ed, tok = logged_in(app)
    x, y = CENTRE.x, CENTRE.y
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + 0.001, y + 0.001], [x + 0.001, y], [x, y + 0.001], [x, y]]],
    }
    r = patch(ed, tok, {"geometry": bowtie, "repair": False})
    assert r.status_code == 400
    r = patch(ed, tok, {"geometry": bowtie})
    assert r.status_code == 200
    assert any("make_valid" in m for m in r.get_json()["messages"])


def test_oversized_payload_413(tmp_path: Path) -> None:
    app = build_app(tmp_path, MAX_CONTENT_LENGTH=10_000)
    ed, tok = logged_in(app)
    r = patch(ed, tok, {"properties": {"note": "x" * 20_000}})
    assert r.status_code == 413 and r.get_json()["error"] == "too_large"
    assert app.test_client().get(URL).get_json()["version"] == 1


def test_restore_via_api(app: Flask) -> None:
    ed, tok = logged_in(app)
    patch(
        ed, tok, {"properties": {"note": "changed"}, "geometry": shapely.geometry.mapping(SQUARE)}
    )
    r = ed.post(
        f"{URL}/restore", json={"version": 1}, headers={CSRF_HEADER: tok, "If-Match": '"2"'}
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["version"] == 3 and body["restored_from"] == 1
    assert body["feature"]["geometry"] is None
    r = ed.post(
        f"{URL}/restore", json={"version": 1}, headers={CSRF_HEADER: tok, "If-Match": '"2"'}
    )
    assert r.status_code == 409 and r.get_json()["current_version"] == 3
    r = ed.post(
        f"{URL}/restore", json={"version": 9}, headers={CSRF_HEADER: tok, "If-Match": '"3"'}
    )
    assert r.status_code == 400


XSS = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}} ${7*7} <% 7*7 %>",
    "\u2028\u2029'\"\\ 鱼藻池 &amp; &lt;b&gt;",
]


@pytest.mark.parametrize("field", [f for f in EDITABLE_FIELDS if f.endswith(("_zh", "note"))])
def test_xss_payloads_stored_verbatim_returned_as_json(app: Flask, field: str) -> None:
    ed, tok = logged_in(app)
    version = 1
    for payload in XSS:
        r = patch(ed, tok, {"properties": {field: payload}}, version=version)
        assert r.status_code == 200, r.get_json()
        version = r.get_json()["version"]
        got = app.test_client().get(URL)
        assert got.mimetype == "application/json"
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert got.get_json()["properties"][field] == payload  # stored verbatim
        raw = got.get_data(as_text=True)
        assert json.loads(raw)["properties"][field] == payload
        # JSON-escaped: no markup characters at all in the body (\\u003c, \\u003e, \\u0026)
        assert not {"<", ">", "&"} & set(raw)
    store = app.extensions["greenmap_store"]
    assert store.get(PID)["properties"][field] == XSS[-1]


def test_coverage_gain_after_saving(tmp_path: Path) -> None:
    pytest.importorskip("geo.scenarios")
    app = build_app(tmp_path, EDIT_COVERAGE_GAIN=True)
    ed, tok = logged_in(app)
    r = patch(ed, tok, {"geometry": shapely.geometry.mapping(SQUARE)})
    assert r.status_code == 200
    gain = r.get_json()["coverage_gain"]
    assert gain is not None and "error" not in gain, gain
    district = [row for row in gain["rows"] if row["scope"] == "district"]
    assert len(district) == 1 and district[0]["project_id"] == PID
    assert district[0]["gain_m2"] is None or district[0]["gain_m2"] >= 0


# ------------------------------------------------------------------------------ fuzzing


def store_history(app: Flask, pid: str) -> list[Any]:
    return list(app.extensions["greenmap_store"].history(pid))


def test_openapi_fragment_shape() -> None:
    paths = EDIT_OPENAPI["paths"]
    assert set(paths) == {
        "/api/edit/projects",
        "/api/edit/projects/{project_id}",
        "/api/edit/projects/{project_id}/history",
        "/api/edit/projects/{project_id}/restore",
    }
    assert {"patch", "put", "get"} <= set(paths["/api/edit/projects/{project_id}"])
    props = EDIT_OPENAPI["components"]["schemas"]["ProjectEdit"]["properties"]["properties"]
    assert set(props["properties"]) == set(EDITABLE_FIELDS)


def test_schemathesis_fuzz_no_server_errors(tmp_path: Path) -> None:
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings

    app = build_app(tmp_path)
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "GreenMap edit API", "version": "0.1.0"},
        **json.loads(json.dumps(EDIT_OPENAPI)),
    }
    # a second copy aimed at real projects and plausible versions, so edits get through
    targeted = json.loads(json.dumps(doc))
    for path in targeted["paths"].values():
        for param in path.get("parameters", []):
            if param["name"] == "project_id":
                param["schema"] = {"type": "string", "enum": [PID, "xc2016-1", "xc2016-2"]}
        for op in path.values():
            for param in op.get("parameters", []) if isinstance(op, dict) else []:
                if param["name"] == "If-Match":
                    param["schema"] = {"type": "string", "pattern": '^"[1-3]"$'}
                    param["required"] = True
    edit_props = targeted["components"]["schemas"]["ProjectEdit"]["properties"]
    del edit_props["geometry"], edit_props["version"]  # (geometry and version: the broad copy)
    app.add_url_rule("/edit-openapi.json", "edit_openapi", lambda: doc)
    app.add_url_rule("/edit-openapi-targeted.json", "edit_openapi_t", lambda: targeted)
    ed, tok = logged_in(app)
    cookie = session_cookie(ed)
    codes: Counter[int] = Counter()
    server_errors: list[str] = []
    t0 = time.perf_counter()
    operations = [
        r
        for url in ("/edit-openapi.json", "/edit-openapi-targeted.json")
        for r in schemathesis.openapi.from_wsgi(url, app).get_all_operations()
    ]
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    for result, mode in itertools.product(operations, modes):
        op = result.ok()
        writes = op.method.upper() in ("PATCH", "PUT", "POST")
        if mode is schemathesis.GenerationMode.NEGATIVE and not writes:
            continue

        @settings(
            max_examples=(30 if writes else 15) // (2 if mode.value == "negative" else 1),
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy(mode))
        def run(case: Any) -> None:
            resp = case.call(headers={CSRF_HEADER: tok}, cookies={"greenmap_session": cookie})
            codes[resp.status_code] += 1
            if resp.status_code >= 500:
                server_errors.append(f"{case.method} {case.formatted_path}: {resp.status_code}")

        run()
    print(
        f"\nschemathesis: {sum(codes.values())} requests in {time.perf_counter() - t0:.1f} s, "
        f"status codes {dict(sorted(codes.items()))}, 5xx: {len(server_errors)}"
    )
    assert server_errors == []
    assert codes[400] > 0 and codes[200] > 0 and codes[409] > 0
    edits = [h for p in (PID, "xc2016-1", "xc2016-2") for h in store_history(app, p)[1:]]
    print(f"schemathesis: {len(edits)} edits applied")
    # the session survived the fuzzing and the store is sound
    assert app.extensions["greenmap_store"].integrity_check() == "ok"
