"""The OpenAPI 3 document of the ``/api`` routes."""

from __future__ import annotations

from typing import Any

from webmap.service import MAP_LAYERS, PROJECT_STATUSES


def _param(
    name: str, where: str, schema: dict[str, Any], desc: str, required: bool = False
) -> dict:
    return {"name": name, "in": where, "required": required, "schema": schema, "description": desc}


_YEAR = _param(
    "year", "query", {"type": "integer", "minimum": 1949, "maximum": 2100}, "As-of year."
)
_SD = _param(
    "subdistrict", "query", {"type": "string", "pattern": "^[0-9]{9}$"}, "街道 NBS code (9 digits)."
)
_RULE = _param("rule", "query", {"type": "string"}, "Rule-set id (default: the study area's).")
_ERR = {"$ref": "#/components/responses/Error"}


def _ok(desc: str, schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"description": desc, "content": {media: {"schema": schema}}}


def _op(summary: str, params: list[dict], ok: dict, not_found: bool = False) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": ok, "304": {"description": "Not modified (ETag matched)."}}
    responses["400"] = _ERR
    if not_found:
        responses["404"] = _ERR
    responses["503"] = _ERR
    return {"get": {"summary": summary, "parameters": params, "responses": responses}}


def openapi_document(extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """OpenAPI 3.0 description of the API (paths, parameters, error shape).

    ``extra``: fragments with ``paths`` and ``components`` of other registered blueprints (e.g. the
    editing API's ``EDIT_OPENAPI``), merged in.

    >>> doc = openapi_document()
    >>> doc["openapi"], "/api/projects" in doc["paths"]
    ('3.0.3', True)
    """
    doc = _base_document()
    for frag in extra or []:
        doc["paths"].update(frag.get("paths", {}))
        for section, items in frag.get("components", {}).items():
            doc["components"].setdefault(section, {}).update(items)
    return doc


def _base_document() -> dict[str, Any]:
    obj = {"type": "object", "additionalProperties": True}
    fc = {"$ref": "#/components/schemas/FeatureCollection"}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "GreenMap Xicheng API 西城区城市更新与绿化地图服务",
            "version": "0.1.0",
            "description": (
                "街道, renewal and greening projects, park service-radius coverage (本工具计算 computed) "
                "and the district's reported values (官方公布 reported). Responses carry an ETag; "
                "send If-None-Match to get 304 when the data has not changed."
            ),
        },
        "paths": {
            "/api/subdistricts": _op(
                "All 街道 (subdistricts)", [], _ok("街道 list", {"type": "object"})
            ),
            "/api/subdistricts/{code}": _op(
                "One 街道 and its projects",
                [_param("code", "path", {"type": "string"}, "NBS code", required=True)],
                _ok("街道", obj),
                not_found=True,
            ),
            "/api/projects": _op(
                "Projects, filtered",
                [
                    _SD,
                    _param(
                        "status",
                        "query",
                        {"type": "string"},
                        f"Comma-separated statuses as of `year`: {', '.join(PROJECT_STATUSES)}.",
                    ),
                    _YEAR,
                    _param("category", "query", {"type": "string"}, "Comma-separated categories."),
                ],
                _ok("Projects", obj),
            ),
            "/api/projects/{project_id}": _op(
                "One project",
                [_param("project_id", "path", {"type": "string"}, "Project id", required=True)],
                _ok("Project", obj),
                not_found=True,
            ),
            "/api/rules": _op("Coverage rule sets", [], _ok("Rule sets", obj)),
            "/api/coverage": _op(
                "Computed coverage (all land and non-historic) by 街道",
                [_RULE, _YEAR, _SD],
                _ok("Coverage", obj),
            ),
            "/api/indicators/reported": _op(
                "Officially reported coverage values", [], _ok("Reported values", obj)
            ),
            "/api/layers": _op("Layers available as GeoJSON", [], _ok("Layer list", obj)),
            "/api/layers/{name}.geojson": _op(
                "A layer as GeoJSON (EPSG:4326)",
                [
                    _param(
                        "name",
                        "path",
                        {"type": "string", "enum": [*MAP_LAYERS, "radii", "gaps"]},
                        "Layer name",
                        required=True,
                    ),
                    _param("rule", "query", {"type": "string"}, "Rule set (radii and gaps only)."),
                ],
                _ok("FeatureCollection", fc, "application/geo+json"),
                not_found=True,
            ),
            "/api/export": {
                "get": {
                    "summary": "Download a layer or the coverage results as a file (attachment)",
                    "description": (
                        "Built with layers.export.export from the same data as the map (the "
                        "planners' editing store when configured), honouring the map's filters. "
                        "GeoJSON carries a `metadata` member (rule set, year, filters, data "
                        "vintage, licence); GeoPackage a `greenmap_metadata` table. "
                        "Content-Disposition: attachment with a UTF-8 filename*."
                    ),
                    "parameters": [
                        _param(
                            "what",
                            "query",
                            {"type": "string", "default": "projects"},
                            "projects, coverage (results under `rule` as of `year`), all (one "
                            "GeoPackage: every layer, table and coverage result), or a layer/table/"
                            "coverage-result name (see /api/layers).",
                        ),
                        _param(
                            "format",
                            "query",
                            {"type": "string", "enum": ["geojson", "gpkg", "csv"]},
                            "File format (default geojson; `all` needs gpkg).",
                        ),
                        _SD,
                        _param(
                            "status",
                            "query",
                            {"type": "string"},
                            "Projects: comma-separated statuses as of `year`: "
                            f"{', '.join(PROJECT_STATUSES)}.",
                        ),
                        _param(
                            "category",
                            "query",
                            {"type": "string"},
                            "Projects: comma-separated categories.",
                        ),
                        _YEAR,
                        _RULE,
                    ],
                    "responses": {
                        "200": {
                            "description": "The file",
                            "headers": {
                                "Content-Disposition": {
                                    "schema": {"type": "string"},
                                    "description": "attachment; filename=…; filename*=UTF-8''…",
                                }
                            },
                            "content": {
                                "application/geo+json": {"schema": fc},
                                "application/geopackage+sqlite3": {
                                    "schema": {"type": "string", "format": "binary"}
                                },
                                "text/csv": {"schema": {"type": "string"}},
                            },
                        },
                        "400": _ERR,
                        "503": _ERR,
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": _ok("OpenAPI document", obj)},
                }
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "parameter": {"type": "string", "description": "The parameter at fault."},
                    },
                },
                "FeatureCollection": {
                    "type": "object",
                    "required": ["type", "features"],
                    "properties": {
                        "type": {"type": "string", "enum": ["FeatureCollection"]},
                        "features": {"type": "array", "items": obj},
                    },
                },
            },
            "responses": {
                "Error": {
                    "description": "Error (400 invalid parameter, 404 unknown id, 503 unavailable)",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
        },
    }
