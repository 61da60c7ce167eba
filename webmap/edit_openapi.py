"""OpenAPI 3.0 description of the write API (:data:`EDIT_OPENAPI`), merged into ``/api/openapi.json``.

Pure data: no Flask, no store. :func:`webmap.api.openapi` merges the fragment when the
``edit_api`` blueprint is registered; paths assume the default ``/api/edit`` prefix.
"""

from __future__ import annotations

from typing import Any

from layers.schema import PROJECT_CATEGORIES, PROJECT_STATUSES

__all__ = ["EDIT_OPENAPI"]

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
