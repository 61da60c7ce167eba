"""JSON API under ``/api``: 街道, projects, coverage, reported indicators, rules and GeoJSON layers.

Invalid parameters answer 400 with ``{"error", "parameter", "message"}``; unknown ids 404; data or engines
that are not available 503. Responses carry an ``ETag`` derived from the data version, and a matching
``If-None-Match`` gets 304.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from flask import Blueprint, Response, current_app, jsonify, make_response, request
from werkzeug.exceptions import HTTPException

from layers.errors import LayerError
from webmap.openapi import openapi_document
from webmap.service import (
    LAYER_KEYS,
    MAP_LAYERS,
    PROJECT_STATUSES,
    ProjectFilter,
    UnavailableError,
    to_feature_collection,
)
from webmap.views import cache_headers, etag_for, not_modified, service

api = Blueprint("api", __name__)

YEAR_MIN, YEAR_MAX = 1949, 2100
_CODE = re.compile(r"^\d{9}$")


class ApiError(Exception):
    """An error answered as JSON."""

    def __init__(self, status: int, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameter = parameter


@api.errorhandler(ApiError)
def _api_error(err: ApiError) -> Response:
    body: dict[str, Any] = {"error": _ERROR_NAMES.get(err.status, "error"), "message": err.message}
    if err.parameter is not None:
        body["parameter"] = err.parameter
    return make_response(jsonify(body), err.status)


@api.errorhandler(UnavailableError)
def _unavailable(err: UnavailableError) -> Response:
    return make_response(jsonify({"error": "unavailable", "message": str(err)}), 503)


@api.errorhandler(LayerError)
def _layer_error(err: LayerError) -> Response:
    first = err.problems[0] if err.problems else None
    body: dict[str, Any] = {"error": _ERROR_NAMES[400], "message": str(err)}
    if first is not None and first.field:
        body["parameter"] = first.field
    return make_response(jsonify(body), 400)


@api.errorhandler(HTTPException)
def _http(err: HTTPException) -> Response:
    code = err.code or 500
    body = {"error": _ERROR_NAMES.get(code, "error"), "message": err.description or ""}
    return make_response(jsonify(body), code)


_ERROR_NAMES = {
    400: "invalid parameter",
    404: "not found",
    405: "method not allowed",
    503: "unavailable",
}


# ------------------------------------------------------------------------------------------ parameters


def _allowed(names: set[str]) -> None:
    for k in request.args:
        if k not in names:
            raise ApiError(400, f"unknown parameter '{k}'; allowed: {sorted(names)}", k)


def _int_param(name: str, lo: int = YEAR_MIN, hi: int = YEAR_MAX) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"-?\d{1,6}", raw.strip()):
        raise ApiError(400, f"parameter '{name}' must be an integer, got {raw!r}", name)
    v = int(raw)
    if not lo <= v <= hi:
        raise ApiError(400, f"parameter '{name}' must be between {lo} and {hi}, got {v}", name)
    return v


def _list_param(name: str, allowed: list[str] | tuple[str, ...]) -> tuple[str, ...] | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    vals = tuple(v.strip() for v in raw.split(",") if v.strip())
    bad = [v for v in vals if v not in allowed]
    if bad or not vals:
        raise ApiError(
            400,
            f"parameter '{name}': unknown value(s) {bad or [raw]}; allowed: {list(allowed)}",
            name,
        )
    return vals


def _subdistrict_param(name: str = "subdistrict") -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if service().subdistrict(raw) is None:
        raise ApiError(400, f"parameter '{name}': unknown 街道 code {raw!r}", name)
    return raw


def _rule_param(name: str = "rule") -> str:
    svc = service()
    ids = svc.rule_ids()
    raw = request.args.get(name)
    if raw is None or raw == "":
        default = svc.default_rule()
        if default is None:
            raise UnavailableError("no rule sets are available")
        return default
    if raw not in ids:
        raise ApiError(400, f"parameter '{name}': unknown rule set {raw!r}; allowed: {ids}", name)
    return raw


def cached_json(make: Callable[[], Any], *parts: Any) -> Response:
    """JSON response with ETag/Cache-Control; 304 when the client's copy is current."""
    tag = etag_for(*parts)
    if (resp := not_modified(tag)) is not None:
        return resp
    body = service().cached(("json", tag), lambda: _dumps(make()))
    resp = Response(body, mimetype="application/json")
    return cache_headers(resp, tag)


def _dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON (serialised once per data version and URL)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ------------------------------------------------------------------------------------------ routes


@api.get("/")
def index() -> Response:
    """Links to the API's resources."""
    return jsonify(
        {
            "openapi": "/api/openapi.json",
            "subdistricts": "/api/subdistricts",
            "projects": "/api/projects",
            "coverage": "/api/coverage",
            "rules": "/api/rules",
            "reported": "/api/indicators/reported",
            "layers": "/api/layers",
            "export": "/api/export",
        }
    )


@api.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document of this API."""
    extra = []
    if "edit_api" in current_app.blueprints:
        from webmap.edit_api import EDIT_OPENAPI

        extra.append(EDIT_OPENAPI)
    return cached_json(lambda: openapi_document(extra), "openapi")


@api.get("/subdistricts")
def subdistricts() -> Response:
    """All 15 街道."""
    _allowed(set())
    return cached_json(lambda: {"subdistricts": service().subdistricts()})


@api.get("/subdistricts/<code>")
def subdistrict(code: str) -> Response:
    """One 街道 with its projects (all years)."""
    _allowed(set())
    svc = service()
    sd = svc.subdistrict(code)
    if sd is None:
        raise ApiError(404, f"no 街道 with code {code!r}")

    def make() -> dict[str, Any]:
        return {**sd, "projects": svc.projects(ProjectFilter(subdistrict=code))}

    return cached_json(make)


def _categories() -> list[str]:
    from layers.schema import PROJECT_CATEGORIES

    return list(PROJECT_CATEGORIES)


@api.get("/projects")
def projects() -> Response:
    """Projects, filtered by ``subdistrict``, ``status`` (comma list), ``year`` (as of), ``category``."""
    _allowed({"subdistrict", "status", "year", "category"})
    flt = ProjectFilter(
        subdistrict=_subdistrict_param(),
        statuses=_list_param("status", PROJECT_STATUSES),
        year=_int_param("year"),
        categories=_list_param("category", _categories()),
    )

    def make() -> dict[str, Any]:
        items = service().projects(flt)
        return {"count": len(items), "projects": items}

    return cached_json(make)


@api.get("/projects/<project_id>")
def project(project_id: str) -> Response:
    """One project by id."""
    _allowed(set())
    found = [p for p in service().projects(ProjectFilter()) if p["project_id"] == project_id]
    if not found:
        raise ApiError(404, f"no project with id {project_id!r}")
    return cached_json(lambda: found[0])


@api.get("/rules")
def rules() -> Response:
    """Rule sets the coverage can be computed under (first: the study area's default)."""
    _allowed(set())
    return cached_json(lambda: {"default": service().default_rule(), "rules": service().rules()})


@api.get("/coverage")
def coverage() -> Response:
    """Computed coverage under ``rule`` as of ``year``; ``subdistrict`` narrows to one 街道."""
    _allowed({"rule", "year", "subdistrict"})
    sd = _subdistrict_param()
    year = _int_param("year")
    rule = _rule_param()

    def make() -> dict[str, Any]:
        cov = service().coverage(rule, year)
        out = {
            "rule": rule,
            "year": year,
            "label": "本工具计算 computed",
            "district": cov["district"],
            "subdistricts": cov["subdistricts"],
        }
        if sd is not None:
            out["subdistricts"] = [r for r in cov["subdistricts"] if r.get("code") == sd]
        return out

    return cached_json(make)


@api.get("/indicators/reported")
def reported() -> Response:
    """The district's officially reported coverage values (官方公布), from the indicators table."""
    _allowed(set())
    return cached_json(
        lambda: {"label": "官方公布 reported", "values": service().reported_series()}
    )


DERIVED_LAYERS = ("radii", "gaps", "candidates")


@api.get("/layers")
def layers_index() -> Response:
    """Layers available as GeoJSON."""
    _allowed(set())
    items = [
        {"name": n, "key": LAYER_KEYS[n], "url": f"/api/layers/{n}.geojson"} for n in MAP_LAYERS
    ]
    items += [
        {"name": "radii", "key": "park_id", "url": "/api/layers/radii.geojson?rule=<id>&year=<y>"},
        {"name": "gaps", "key": "gap_id", "url": "/api/layers/gaps.geojson?rule=<id>&year=<y>"},
        {"name": "candidates", "key": "site_id", "url": "/api/layers/candidates.geojson?rule=<id>"},
    ]
    return jsonify({"layers": items})


def _display(gdf: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    if datum == "wgs84" or gdf.empty:
        return gdf
    from geo.datums import convert_gdf

    g = np.asarray(gdf.geometry.values)
    gdf = gdf[~(shapely.is_missing(g) | shapely.is_empty(g))]
    return convert_gdf(gdf, "wgs84", datum)


@api.get("/layers/<name>.geojson")
def layer_geojson(name: str) -> Response:
    """A layer as a GeoJSON FeatureCollection (EPSG:4326; features without geometry have null).

    ``datum=gcj02`` shifts coordinates for the AMap basemap (features without geometry dropped).
    """
    svc = service()
    if name not in MAP_LAYERS and name not in DERIVED_LAYERS:
        raise ApiError(404, f"no layer {name!r}; layers: {[*MAP_LAYERS, *DERIVED_LAYERS]}")
    if name in ("radii", "gaps"):
        _allowed({"rule", "year", "datum"})
    elif name == "candidates":
        _allowed({"rule", "datum"})
    else:
        _allowed({"datum"})
    datum = (_list_param("datum", ("wgs84", "gcj02")) or ("wgs84",))[0]
    rule = _rule_param() if name in DERIVED_LAYERS else ""
    year = _int_param("year") if name in ("radii", "gaps") else None

    def make() -> dict[str, Any]:
        if name == "radii":
            gdf = svc.radii(rule, year)
        elif name == "gaps":
            gdf = svc.gaps(rule, year)
        elif name == "candidates":
            gdf = svc.candidates(rule)
        else:
            gdf = svc.layer(name)
        return to_feature_collection(_display(gdf, datum))

    resp = cached_json(make, "geojson")
    if resp.status_code == 200:
        resp.headers["Content-Type"] = "application/geo+json"
    return resp


EXPORT_FORMATS = ("geojson", "gpkg", "csv")


@api.get("/export")
def export_file() -> Response:
    """A layer or the coverage results as a file (attachment), honouring the map's filters.

    ``what``: ``projects`` (default; filtered by ``subdistrict``, ``status`` and ``category`` comma lists
    and ``year`` exactly as the map shows them), ``coverage`` (coverage results under ``rule`` as of
    ``year``), ``all`` (every layer, table and coverage result in one GeoPackage) or one layer/result
    name. ``format``: ``geojson`` (default), ``gpkg`` or ``csv``. Built with
    :func:`layers.export.export` from the same data as the map.
    """
    from webmap.download import build_download, download_targets

    _allowed({"what", "format", "subdistrict", "status", "category", "year", "rule"})
    area = str(current_app.config["STUDY_AREA"])
    what = request.args.get("what") or "projects"
    targets = download_targets(area)
    if what not in targets:
        raise ApiError(400, f"parameter 'what': unknown {what!r}; allowed: {targets}", "what")
    fmt = _list_param("format", EXPORT_FORMATS) or ("geojson",)
    if len(fmt) != 1:
        raise ApiError(400, "parameter 'format': give one format", "format")
    if what == "all" and fmt[0] != "gpkg":
        raise ApiError(
            400, "parameter 'format': 'all' is exported as one GeoPackage (gpkg)", "format"
        )
    flt = ProjectFilter(
        subdistrict=_subdistrict_param(),
        statuses=_list_param("status", PROJECT_STATUSES),
        year=_int_param("year"),
        categories=_list_param("category", _categories()),
    )
    rule = _rule_param()
    dl = build_download(service(), area, what, fmt[0], flt, rule)
    resp = Response(dl.data, content_type=dl.media_type)
    resp.headers["Content-Disposition"] = dl.content_disposition()
    resp.headers["Cache-Control"] = "no-store"
    return resp
