"""The write API of the projects layer: edit fields and geometry, history, restore.

Register with :func:`init_edit_api` (after :func:`webmap.auth.init_auth`); routes under
``/api/edit`` (the prefix is a parameter):

* ``GET /api/edit/projects`` — FeatureCollection with versions (filters ``status``,
  ``subdistrict``, ``category``, ``has_geometry``). Public.
* ``GET /api/edit/projects/{project_id}`` — one Feature; ``ETag`` is its version. Public.
* ``PATCH`` (or ``PUT``, same meaning) ``/api/edit/projects/{project_id}`` — body
  ``{"properties": {...}, "geometry": GeoJSON | null, "version": n}`` (a GeoJSON Feature is
  accepted too); the version the edit is based on in ``If-Match: "n"`` or ``version``. A
  ``"geometry": null`` removes the geometry; leaving ``geometry`` out keeps it. Editors only,
  with the CSRF token.
* ``GET /api/edit/projects/{project_id}/history`` — every version (logged-in users).
* ``POST /api/edit/projects/{project_id}/restore`` — body ``{"version": n}`` plus ``If-Match``
  (or ``expected_version``): the old version comes back as a new version. Editors only.

Answers: 200 ``{"project_id", "version", "feature", "messages", "coverage_gain"}`` with the new
``ETag``; 400 bad input naming each field (``problems``); 401 not logged in; 403 CSRF or role;
404 unknown project; 409 stale version (``current_version`` and the current ``feature``); 413
payload over ``MAX_CONTENT_LENGTH``; 428 no version given; 503 store busy. :data:`EDIT_OPENAPI`
describes these routes for ``/api/openapi.json``.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
from datetime import date
from typing import Any, cast

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from layers.errors import LayerError, Problem
from layers.schema import PROJECT_CATEGORIES, PROJECT_STATUSES
from layers.store import (
    EDITABLE_FIELDS,
    ProjectStore,
    StaleEdit,
    UnknownProject,
    open_store,
)
from layers.studyarea import default_area
from webmap.auth import current_user, editor_required, login_required

__all__ = ["EDIT_OPENAPI", "edit_api", "get_store", "init_edit_api"]

edit_api = Blueprint("edit_api", __name__)
_EXT_STORE = "greenmap_store"
_store_lock = threading.Lock()
_BODY_KEYS = {"type", "id", "properties", "geometry", "version", "repair"}


def init_edit_api(
    app: Flask, store: ProjectStore | None = None, *, url_prefix: str = "/api/edit"
) -> None:
    """Register the write API.

    Parameters
    ----------
    app : Flask
        With :func:`webmap.auth.init_auth` applied.
    store : ProjectStore, optional
        Default: opened on first use from ``app.config["PROJECT_STORE"]`` (a ``.gpkg`` path or a
        ``postgresql://`` URL; default ``<DATA_DIR>/<area>/projects.gpkg``).
    url_prefix : str

    Configuration read: ``PROJECT_STORE``, ``DATA_DIR``, ``STUDY_AREA``, ``EDIT_COVERAGE_GAIN``
    (default True: the response carries the project's recomputed coverage gain).
    """
    if store is not None:
        app.extensions[_EXT_STORE] = store
    app.register_blueprint(edit_api, url_prefix=url_prefix)


def get_store(app: Flask | None = None) -> ProjectStore:
    """The app's projects store (opened on first use)."""
    app = app or cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    store = app.extensions.get(_EXT_STORE)
    if store is None:
        with _store_lock:
            store = app.extensions.get(_EXT_STORE)
            if store is None:
                from pathlib import Path

                area = app.config.get("STUDY_AREA") or default_area()
                loc = app.config.get("PROJECT_STORE")
                if loc is None and app.config.get("DATA_DIR"):
                    loc = Path(app.config["DATA_DIR"]) / area / "projects.gpkg"
                store = open_store(loc, area)
                app.extensions[_EXT_STORE] = store
    return cast(ProjectStore, store)


# ------------------------------------------------------------------------------------------
# responses


def _clean(obj: Any) -> Any:
    """JSON-ready: NaN/inf -> null, numpy scalars -> Python, tuples -> lists."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str | bytes):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


_HTML_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def _json(body: Any, status: int = 200) -> Response:
    """JSON with ``<``, ``>`` and ``&`` escaped as ``\\u003c`` etc. (same value, never HTML)."""
    text = json.dumps(_clean(body), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    # lone surrogates (from \\ud800 escapes in a request) become JSON escapes again
    data = (text.translate(_HTML_SAFE) + "\n").encode("utf-8", "backslashreplace")
    resp = Response(data, status, mimetype="application/json")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _error(status: int, code: str, message: str, **extra: Any) -> Response:
    return _json({"error": code, "message": message, **extra}, status)


def _bad(problems: list[Problem]) -> Response:
    err = LayerError(problems)
    return _error(
        400,
        "invalid_edit",
        str(err),
        parameter=problems[0].field if problems else None,
        problems=[{"field": p.field, "message": p.message} for p in problems],
    )


def _etag(resp: Response, version: int) -> Response:
    resp.headers["ETag"] = f'"{version}"'
    return resp


@edit_api.after_request
def _headers(resp: Response) -> Response:
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    return resp


@edit_api.errorhandler(LayerError)
def _layer_error(err: LayerError) -> Response:
    return _bad(err.problems)


@edit_api.errorhandler(UnknownProject)
def _unknown(err: UnknownProject) -> Response:
    return _error(404, "not_found", str(err), parameter="project_id")


@edit_api.errorhandler(RequestEntityTooLarge)
def _too_large(err: RequestEntityTooLarge) -> Response:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return _error(413, "too_large", f"request body larger than {limit} bytes")


@edit_api.errorhandler(sqlite3.OperationalError)
def _busy(err: sqlite3.OperationalError) -> Response:
    current_app.logger.warning("store busy: %s", err)
    return _retry_later("the store is busy; try again")


def _retry_later(message: str) -> Response:
    resp = _error(503, "busy", message)
    resp.headers["Retry-After"] = "1"
    return resp


try:  # PostgreSQL back end: connection lost or lock timeout -> 503 as well
    import psycopg as _psycopg

    @edit_api.errorhandler(_psycopg.OperationalError)
    def _pg_busy(err: Exception) -> Response:
        current_app.logger.warning("store unavailable: %s", err)
        return _retry_later("the store is unavailable; try again")

except ImportError:  # pragma: no cover - psycopg is optional
    pass


# ------------------------------------------------------------------------------------------
# request parsing

_TAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


def _body() -> dict[str, Any]:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length and request.content_length > limit:
        raise RequestEntityTooLarge()
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict):
        raise LayerError([Problem("request", None, "body", "send a JSON object")])
    return data


def _version(body_value: Any, name: str) -> int:
    """The expected version from ``If-Match`` and/or the body; 428 when neither is given."""
    header = request.headers.get("If-Match")
    from_header = None
    if header is not None:
        m = _TAG.match(header)
        if not m:
            raise LayerError(
                [Problem("request", None, "If-Match", 'expected one version, e.g. If-Match: "3"')]
            )
        from_header = int(m.group(1))
    from_body = None
    if body_value is not None:
        if isinstance(body_value, bool) or not isinstance(body_value, int) or body_value < 1:
            raise LayerError([Problem("request", None, name, "must be a positive whole number")])
        from_body = int(body_value)
    if from_header is not None and from_body is not None and from_header != from_body:
        raise LayerError([Problem("request", None, name, f"differs from If-Match ({from_header})")])
    v = from_header if from_header is not None else from_body
    if v is None:
        raise _PreconditionError(name)
    if v < 1:
        raise LayerError([Problem("request", None, name, "must be a positive whole number")])
    return v


class _PreconditionError(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


@edit_api.errorhandler(_PreconditionError)
def _precondition(err: _PreconditionError) -> Response:
    return _error(
        428,
        "version_required",
        f'send the version the edit is based on: If-Match: "n" or "{err.name}"',
        parameter=err.name,
    )


def _user() -> str:
    user = current_user()
    assert user is not None  # guarded by editor_required
    return user.username


def _stale(store: ProjectStore, project_id: str, err: StaleEdit) -> Response:
    current = store.get(project_id)
    resp = _error(
        409,
        "stale_edit",
        f"已被他人修改 the project changed since you loaded it: now at version "
        f"{err.current_version}; reload and edit again",
        current_version=err.current_version,
        feature=current,
    )
    return _etag(resp, err.current_version)


def _finite(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def coverage_gain(store: ProjectStore, project_id: str) -> dict[str, Any] | None:
    """The project's marginal coverage gain with the stored projects (``None`` when unavailable).

    Uses ``geo.scenarios.marginal_gains`` (this year, planned projects included, the study
    area's default rule). Projects without geometry or not green give ``None``.
    """
    try:
        from geo.scenarios import green_projects, marginal_gains
        from layers.io import read_layer
        from layers.rules import load_rule
    except ImportError:
        return None
    projects = store.to_geodataframe()
    mine = projects[projects["project_id"] == project_id]
    if mine.empty or mine.geometry.isna().all() or green_projects(mine).empty:
        return None
    area = store.area
    m = area.metric_crs
    rule_id = area.default_rule
    if not rule_id:
        return None
    rule = load_rule(rule_id)
    year = date.today().year
    table = marginal_gains(
        read_layer("residential", area).to_crs(m),
        read_layer("parks", area).to_crs(m),
        projects.to_crs(m),
        rule,
        year,
        historic_blocks=read_layer("historic_blocks", area).to_crs(m),
        include_planned=True,
    )
    rows = table[table["project_id"] == project_id]
    return {
        "year": year,
        "rule_id": rule_id,
        "include_planned": True,
        "rows": [{k: _finite(v) for k, v in r.items()} for r in rows.to_dict("records")],
    }


def _gain(store: ProjectStore, project_id: str) -> dict[str, Any] | None:
    if not current_app.config.get("EDIT_COVERAGE_GAIN", True):
        return None
    try:
        return coverage_gain(store, project_id)
    except Exception as exc:  # optional extra: a failure here must not fail the saved edit
        current_app.logger.warning("coverage gain of %s not computed: %s", project_id, exc)
        return {"error": f"not computed: {type(exc).__name__}"}


# ------------------------------------------------------------------------------------------
# routes


@edit_api.get("/projects")
def list_projects() -> Response:
    """All projects with their versions (filters: status, subdistrict, category, has_geometry)."""
    flt: dict[str, Any] = {}
    args = request.args
    if "status" in args:
        if args["status"] not in PROJECT_STATUSES:
            return _bad(
                [Problem("request", None, "status", f"one of {', '.join(PROJECT_STATUSES)}")]
            )
        flt["latest_status"] = args["status"]
    if "category" in args:
        if args["category"] not in PROJECT_CATEGORIES:
            return _bad([Problem("request", None, "category", "unknown category")])
        flt["category"] = args["category"]
    if "subdistrict" in args:
        if not re.fullmatch(r"[0-9]{9}", args["subdistrict"]):
            return _bad([Problem("request", None, "subdistrict", "a 9-digit 街道 code")])
        flt["subdistrict_code"] = args["subdistrict"]
    if "has_geometry" in args:
        val = args["has_geometry"].lower()
        if val not in ("true", "false"):
            return _bad([Problem("request", None, "has_geometry", "true or false")])
        flt["has_geometry"] = val == "true"
    store = get_store()
    feats = store.list(flt)
    resp = _json({"type": "FeatureCollection", "revision": store.revision(), "features": feats})
    return resp


@edit_api.get("/projects/<project_id>")
def get_project(project_id: str) -> Response:
    """One project as a GeoJSON Feature with its version (ETag)."""
    feat = get_store().get(project_id)
    return _etag(_json(feat), int(feat["version"]))


@edit_api.route("/projects/<project_id>", methods=["PATCH", "PUT"])
@editor_required
def edit_project(project_id: str) -> Response:
    """Change fields and/or geometry of one project."""
    body = _body()
    unknown = sorted(str(k) for k in body if k not in _BODY_KEYS)
    problems = [Problem("request", None, k[:80], "unknown key") for k in unknown]
    if body.get("type", "Feature") != "Feature":
        problems.append(Problem("request", None, "type", 'must be "Feature" when given'))
    props = body.get("properties", {})
    if props is None:
        props = {}
    if not isinstance(props, dict):
        problems.append(Problem("request", None, "properties", "must be an object"))
        props = {}
    # properties echoed back from GET (read-only ones unchanged) are tolerated; changes are not
    store = get_store()
    current = store.get(project_id)
    cur_props = current["properties"]
    changes = {}
    for k, v in props.items():
        if k not in EDITABLE_FIELDS and k in cur_props and cur_props[k] == v:
            continue
        changes[k] = v
    repair = body.get("repair", True)
    if not isinstance(repair, bool):
        problems.append(Problem("request", None, "repair", "true or false"))
        repair = True
    if problems:
        return _bad(problems)
    expected = _version(body.get("version"), "version")
    has_geom = "geometry" in body
    geometry = body.get("geometry") if has_geom else None
    if has_geom and geometry is not None and not isinstance(geometry, dict):
        return _bad([Problem("request", None, "geometry", "a GeoJSON geometry object or null")])
    edit = store.validate(
        project_id, changes, geometry, clear_geometry=has_geom and geometry is None, repair=repair
    )
    try:
        version = store.update(
            project_id,
            edit.changes,
            edit.geometry,
            expected,
            _user(),
            clear_geometry=edit.clear_geometry,
            repair=repair,
        )
    except StaleEdit as err:
        return _stale(store, project_id, err)
    feat = store.get(project_id)
    body_out = {
        "project_id": project_id,
        "version": version,
        "feature": feat,
        "messages": edit.messages,
        "coverage_gain": _gain(store, project_id),
    }
    return _etag(_json(body_out), version)


@edit_api.get("/projects/<project_id>/history")
@login_required
def project_history(project_id: str) -> Response:
    """Every version of one project (who, when, which fields, old and new values)."""
    entries = get_store().history(project_id)
    return _json({"project_id": project_id, "history": [e.to_dict() for e in entries]})


@edit_api.post("/projects/<project_id>/restore")
@editor_required
def restore_project(project_id: str) -> Response:
    """Bring back an earlier version as a new version."""
    body = _body()
    unknown = sorted(str(k)[:80] for k in body if k not in ("version", "expected_version"))
    if unknown:
        return _bad([Problem("request", None, k, "unknown key") for k in unknown])
    target = body.get("version")
    if isinstance(target, bool) or not isinstance(target, int) or target < 1:
        return _bad([Problem("request", None, "version", "the version to restore (a number ≥ 1)")])
    expected = _version(body.get("expected_version"), "expected_version")
    store = get_store()
    try:
        version = store.restore(project_id, target, _user(), expected)
    except StaleEdit as err:
        return _stale(store, project_id, err)
    body_out = {
        "project_id": project_id,
        "version": version,
        "restored_from": target,
        "feature": store.get(project_id),
        "messages": [],
        "coverage_gain": _gain(store, project_id),
    }
    return _etag(_json(body_out), version)


# ------------------------------------------------------------------------------------------
# OpenAPI

_ERR = {"$ref": "#/components/responses/EditError"}
_PID = {
    "name": "project_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    "example": "xc2016-22",
    "description": "Project id (e.g. xc2016-22).",
}
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "example": '"1"',
    "description": 'The version the edit is based on, e.g. "3" (or send "version" in the body).',
}
_NULL_STR = {"type": "string", "nullable": True, "maxLength": 4000}
_NULL_INT = {"type": "integer", "nullable": True}
_NULL_YEAR = {"type": "integer", "nullable": True, "minimum": 1949, "maximum": 2100}
_NULL_NUM = {"type": "number", "nullable": True, "minimum": 0}
_FEATURE = {"$ref": "#/components/schemas/EditFeature"}
_RESULT = {
    "description": "Saved: the new version (also in ETag), the feature, repair messages, coverage gain.",
    "headers": {"ETag": {"schema": {"type": "string"}, "description": 'The new version, "n".'}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EditResult"}}},
}


def _responses(*codes: str) -> dict[str, Any]:
    text = {
        "400": "Bad input; problems name each field",
        "401": "Not logged in",
        "403": "CSRF token missing or wrong, or not an editor",
        "404": "Unknown project",
        "409": "Stale version: current_version and the current feature",
        "413": "Body larger than MAX_CONTENT_LENGTH",
        "428": "No version given (If-Match or version)",
        "503": "Store busy; retry",
    }
    return {c: _json_response(text[c], {"$ref": "#/components/schemas/EditError"}) for c in codes}


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": _json_content(schema)}


def _object(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, **extra, "properties": properties}


def _write_op(summary: str, body_schema: dict[str, Any]) -> dict[str, Any]:
    """A write route: editors with the CSRF header, ``If-Match``, a JSON body, EditResult."""
    return {
        "summary": summary,
        "tags": ["edit"],
        "security": [{"sessionCookie": [], "csrfHeader": []}],
        "parameters": [_IF_MATCH],
        "requestBody": {"required": True, "content": _json_content(body_schema)},
        "responses": {
            "200": _RESULT,
            **_responses("400", "401", "403", "404", "409", "413", "428", "503"),
        },
    }


_PROJECT_EDIT = {"$ref": "#/components/schemas/ProjectEdit"}


#: OpenAPI 3.0 fragment (``paths`` and ``components``) of the write API, to merge into
#: ``/api/openapi.json``. Paths assume the ``/api/edit`` prefix.
EDIT_OPENAPI: dict[str, Any] = {
    "paths": {
        "/api/edit/projects": {
            "get": {
                "summary": "项目（可编辑）Projects with versions",
                "tags": ["edit"],
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "enum": list(PROJECT_STATUSES)},
                    },
                    {
                        "name": "category",
                        "in": "query",
                        "schema": {"type": "string", "enum": list(PROJECT_CATEGORIES)},
                    },
                    {
                        "name": "subdistrict",
                        "in": "query",
                        "schema": {"type": "string", "pattern": "^[0-9]{9}$"},
                    },
                    {
                        "name": "has_geometry",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["true", "false"]},
                    },
                ],
                "responses": {
                    "200": _json_response(
                        "FeatureCollection; each feature has version.",
                        _object(
                            ["type", "features"],
                            {
                                "type": {"type": "string"},
                                "revision": {"type": "integer"},
                                "features": {"type": "array", "items": _FEATURE},
                            },
                        ),
                    ),
                    **_responses("400", "503"),
                },
            }
        },
        "/api/edit/projects/{project_id}": {
            "parameters": [_PID],
            "get": {
                "summary": "一个项目 One project with its version",
                "tags": ["edit"],
                "responses": {
                    "200": _json_response("Feature (ETag: version).", _FEATURE),
                    **_responses("404", "503"),
                },
            },
            "patch": _write_op(
                "编辑项目 Edit fields and/or geometry (editors; CSRF header)", _PROJECT_EDIT
            ),
            "put": _write_op(
                "Same as PATCH (partial update) for clients without PATCH", _PROJECT_EDIT
            ),
        },
        "/api/edit/projects/{project_id}/history": {
            "parameters": [_PID],
            "get": {
                "summary": "修改记录 Edit history (logged-in users)",
                "tags": ["edit"],
                "security": [{"sessionCookie": []}],
                "responses": {
                    "200": _json_response(
                        "Every version, oldest first.",
                        _object(
                            ["project_id", "history"],
                            {
                                "project_id": {"type": "string"},
                                "history": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/HistoryEntry"},
                                },
                            },
                        ),
                    ),
                    **_responses("401", "403", "404", "503"),
                },
            },
        },
        "/api/edit/projects/{project_id}/restore": {
            "parameters": [_PID],
            "post": _write_op(
                "恢复旧版本 Restore an earlier version as a new version (editors; CSRF header)",
                _object(
                    ["version"],
                    {
                        "version": {"type": "integer", "minimum": 1},
                        "expected_version": {"type": "integer", "minimum": 1},
                    },
                    additionalProperties=False,
                ),
            ),
        },
    },
    "components": {
        "securitySchemes": {
            "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "greenmap_session"},
            "csrfHeader": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
        },
        "schemas": {
            "EditError": _object(
                ["error", "message"],
                {
                    "error": {"type": "string"},
                    "message": {"type": "string"},
                    "parameter": {"type": "string", "nullable": True},
                    "problems": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string", "nullable": True},
                                "message": {"type": "string"},
                            },
                        },
                    },
                    "current_version": {"type": "integer"},
                    "feature": {"type": "object"},
                },
            ),
            "ProjectEdit": {
                "type": "object",
                "additionalProperties": False,
                "description": "Changed fields and/or geometry. Leave geometry out to keep it; null removes it.",
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "version": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "Instead of If-Match.",
                    },
                    "repair": {
                        "type": "boolean",
                        "description": "Repair invalid polygons (default true).",
                    },
                    "properties": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "name_zh": {"type": "string", "minLength": 1, "maxLength": 4000},
                            "category": {"type": "string", "enum": list(PROJECT_CATEGORIES)},
                            "location_zh": _NULL_STR,
                            "sizhi_zh": _NULL_STR,
                            "area_m2": _NULL_NUM,
                            "households": {**_NULL_INT, "minimum": 0},
                            "investment_wan_cny": _NULL_NUM,
                            "start_year": _NULL_YEAR,
                            "planned_end_year": _NULL_YEAR,
                            "latest_status": {
                                "type": "string",
                                "nullable": True,
                                "enum": [*PROJECT_STATUSES, None],
                            },
                            "latest_status_year": _NULL_YEAR,
                            "adds_green_space": {"type": "boolean", "nullable": True},
                            "note": _NULL_STR,
                            # issue 11: how a geometry proposed from text (从文字定位) was derived
                            "geometry_method": _NULL_STR,
                        },
                    },
                    "geometry": {
                        "type": "object",
                        "nullable": True,
                        "required": ["type", "coordinates"],
                        "description": "GeoJSON geometry, WGS-84 lon/lat (EPSG:4326).",
                        "properties": {
                            "type": {
                                "type": "string",
                                "enum": [
                                    "Polygon",
                                    "MultiPolygon",
                                    "Point",
                                    "LineString",
                                    "MultiLineString",
                                ],
                            },
                            "coordinates": {"type": "array"},
                        },
                    },
                },
            },
            "EditFeature": _object(
                ["type", "id", "version", "properties", "geometry"],
                {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"type": "string"},
                    "version": {"type": "integer"},
                    "properties": {"type": "object"},
                    "geometry": {"type": "object", "nullable": True},
                },
            ),
            "EditResult": _object(
                ["project_id", "version", "feature", "messages"],
                {
                    "project_id": {"type": "string"},
                    "version": {"type": "integer"},
                    "restored_from": {"type": "integer"},
                    "feature": {"$ref": "#/components/schemas/EditFeature"},
                    "messages": {"type": "array", "items": {"type": "string"}},
                    "coverage_gain": {"type": "object", "nullable": True},
                },
            ),
            "HistoryEntry": _object(
                ["version", "action", "user", "at", "fields"],
                {
                    "project_id": {"type": "string"},
                    "version": {"type": "integer"},
                    "action": {"type": "string", "enum": ["import", "update", "restore"]},
                    "user": {"type": "string"},
                    "at": {"type": "string"},
                    "fields": {"type": "array", "items": {"type": "string"}},
                    "old_values": {"type": "object"},
                    "new_values": {"type": "object"},
                    "old_geometry": {"type": "string", "nullable": True},
                    "new_geometry": {"type": "string", "nullable": True},
                    "restored_from": {"type": "integer", "nullable": True},
                },
            ),
        },
    },
}
