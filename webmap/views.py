"""The map page: a Folium map embedded in a Flask template, plus shared HTTP caching helpers."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, current_app, make_response, render_template, request

from layers.edits import EDITABLE_FIELDS, YEAR_RANGE
from webmap.render import BASEMAPS, PARK_KINDS, PROJECT_CATEGORIES, QUALITY, STATUSES, render_map
from webmap.respcache import mark_cacheable
from webmap.service import MapService, UnavailableError

views = Blueprint("views", __name__, template_folder="templates", static_folder=None)


def service() -> MapService:
    """The app's :class:`~webmap.service.MapService`."""
    return current_app.extensions["greenmap"]  # type: ignore[no-any-return]


def etag_for(*parts: Any) -> str:
    """A strong ETag from the data version and the request (path + query)."""
    raw = "|".join(str(p) for p in (service().version(), request.full_path, *parts))
    return hashlib.sha1(raw.encode()).hexdigest()[:20]


def not_modified(tag: str) -> Response | None:
    """A 304 response when the client already has ``tag``."""
    if tag in request.if_none_match:
        resp = make_response("", 304)
        cache_headers(resp, tag)
        return resp
    return None


def cache_headers(resp: Response, tag: str) -> Response:
    """``ETag`` + ``Cache-Control`` (revalidate after ``CACHE_MAX_AGE`` seconds); the response may be
    kept by the response cache (its body depends only on the data version and the URL)."""
    mark_cacheable()
    resp.set_etag(tag)
    age = int(current_app.config.get("CACHE_MAX_AGE", 0))
    resp.headers["Cache-Control"] = f"public, max-age={age}, must-revalidate"
    return resp


def _page_config(svc: MapService, basemap: str, names: dict[str, Any]) -> dict[str, Any]:
    lo, hi = svc.year_range()
    projects = [
        {
            k: p.get(k)
            for k in (
                "project_id",
                "name_zh",
                "category",
                "subdistrict_codes",
                "subdistricts_zh",
                "location_zh",
                "area_m2",
                "start_year",
                "planned_end_year",
                "latest_status",
                "latest_status_year",
                "status_history",
                "adds_green_space",
                "source",
                "source_lines",
                "geometry_quality",
                "has_geometry",
            )
        }
        for p in svc.project_records()
    ]
    return {
        "names": names,
        "basemap": basemap,
        "basemaps": {k: list(v) for k, v in BASEMAPS.items()},
        "years": [lo, hi],
        "rules": svc.rules(),
        "default_rule": svc.default_rule(),
        "subdistricts": svc.subdistricts(),
        "projects": projects,
        "reported": svc.reported_series(),
        "labels": {
            "categories": {k: list(v) for k, v in PROJECT_CATEGORIES.items()},
            "statuses": {k: list(v[:2]) for k, v in STATUSES.items()},
            "park_kinds": {k: list(v) for k, v in PARK_KINDS.items()},
            "quality": {k: list(v) for k, v in QUALITY.items()},
        },
        "category_colours": {k: v[2] for k, v in PROJECT_CATEGORIES.items()},
        "edit": {
            "fields": list(EDITABLE_FIELDS),
            "year_range": list(YEAR_RANGE),
            "api": "/api/edit/projects/",
            "auth": "/auth/",
        },
        "version": svc.version(),
    }


@views.get("/")
def index() -> Response:
    """The map page (``?basemap=none|osm|tianditu|amap``; view state lives in the URL hash)."""
    svc = service()
    basemap = request.args.get("basemap", current_app.config["BASEMAP"])
    if basemap not in BASEMAPS:
        return _html_error(400, f"参数 basemap 无效 invalid parameter 'basemap': {basemap}")
    if basemap == "tianditu" and not current_app.config.get("TIANDITU_KEY"):
        return _html_error(400, "天地图需要密钥 parameter 'basemap': tianditu needs TIANDITU_KEY")
    tag = etag_for("page", basemap)
    if (resp := not_modified(tag)) is not None:
        return resp

    def make() -> str:
        from webmap.tiles_api import tile_service, tiled_layers

        tiled = tiled_layers(tile_service())
        rendered = render_map(svc, basemap, current_app.config.get("TIANDITU_KEY"), tiled)
        return render_template(
            "map.html",
            folium_header=rendered.header,
            folium_html=rendered.html,
            folium_script=rendered.script,
            page_config=_page_config(svc, basemap, rendered.names),
        )

    try:
        body = svc.cached(("page", basemap), make)
    except UnavailableError as exc:
        return _html_error(503, f"数据暂不可用 data unavailable: {exc}")
    resp = make_response(body)
    resp.headers["Content-Type"] = "text/html; charset=utf-8"
    return cache_headers(resp, tag)


@views.get("/healthz")
def healthz() -> Response:
    """Liveness: the data version."""
    return make_response({"ok": True, "version": service().version()})


def _html_error(status: int, message: str) -> Response:
    resp = make_response(render_template("error.html", message=message, status=status), status)
    resp.headers["Content-Type"] = "text/html; charset=utf-8"
    return resp
