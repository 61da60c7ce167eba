"""从文字定位 "propose from text": the editor's JSON endpoint that resolves a location text into a proposal.

Register with :func:`init_locate_api`; route ``GET`` or ``POST /api/locate`` with ``text`` (the location text),
or ``project_id`` (its ``sizhi_zh`` else ``location_zh`` from the projects store; the name is the segment hint),
optionally ``area_m2``. Public and read-only: nothing is saved — the editor loads the proposal, the planner
adjusts it and saves it through ``/api/edit`` with ``geometry_method`` and ``confirmed_by``, which the history
records.

Answer 200: a GeoJSON FeatureCollection (EPSG:4326) whose first feature is the whole text and the others its
parts, each with ``geometry_method``, ``geometry_confidence``, ``location_matches``, ``area_ratio``,
``location_reason``, ``geometry_quality`` and ``explain``; plus ``placed`` (bool), ``text`` and
``save_properties`` (what the editor sends when the planner confirms). 400 no text; 404 unknown project; 503 no
gazetteer configured.

The gazetteer: app config or environment ``LOCATE_AREA`` / ``GREENMAP_LOCATE_AREA`` (a study area with named
streets, e.g. ``xicheng-osm``), or ``LOCATE_STREETS`` + ``LOCATE_FEATURES`` (GraphML and a BBBike folder),
else ``../shared/realdata/xicheng`` beside the clone when present.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from layers.errors import LayerError

__all__ = ["init_locate_api", "locate_api"]

locate_api = Blueprint("locate_api", __name__)
_SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "realdata" / "xicheng"
_MAX_TEXT = 2000


def init_locate_api(app: Flask, *, url_prefix: str = "/api") -> None:
    """Register the blueprint (``/api/locate``)."""
    app.register_blueprint(locate_api, url_prefix=url_prefix)


def _setting(key: str) -> str | None:
    value = current_app.config.get(key) or os.environ.get(f"GREENMAP_{key}")
    return str(value) if value else None


def _gazetteer() -> Any:
    from layers.gazetteer_io import cached_gazetteer

    area, streets, feats = (
        _setting("LOCATE_AREA"),
        _setting("LOCATE_STREETS"),
        _setting("LOCATE_FEATURES"),
    )
    if not (area or streets or feats):
        graphml = _SHARED / "osmnx-drive" / "xicheng_drive.graphml"
        if graphml.is_file():
            streets, feats = str(graphml), str(_SHARED / "bbbike-shp")
        else:
            return None
    return cached_gazetteer(area if not (streets or feats) else None, streets, feats)


def _error(status: int, code: str, message: str) -> Response:
    resp = jsonify({"error": code, "message": message})
    resp.status_code = status
    return resp


def _args() -> dict[str, Any]:
    if request.method == "POST":
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValueError("body: expected a JSON object with 'text' or 'project_id'")
        return body
    return dict(request.args)


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


@locate_api.route("/locate", methods=["GET", "POST"])
def locate() -> Response:
    """Resolve a location text (or a project's) into a proposal; nothing is saved."""
    try:
        args = _args()
    except ValueError as exc:
        return _error(400, "bad request", str(exc))
    text = args.get("text")
    hint = args.get("name")
    area: Any = args.get("area_m2")
    pid = args.get("project_id")
    if pid and not text:
        from layers.store import UnknownProject
        from webmap.edit_api import get_store

        try:
            props = get_store().get(str(pid))["properties"]
        except UnknownProject:
            return _error(404, "not found", f"project_id: no project {pid!r}")
        text = props.get("sizhi_zh") or props.get("location_zh")
        hint = hint or props.get("name_zh")
        area = area if area not in (None, "") else props.get("area_m2")
        if not text:
            return _error(
                400, "bad request", f"project {pid}: no location text to resolve 无位置文字"
            )
    if not isinstance(text, str) or not text.strip():
        return _error(400, "bad request", "text: give the location text (or project_id)")
    if len(text) > _MAX_TEXT:
        return _error(400, "bad request", f"text: longer than {_MAX_TEXT} characters")
    try:
        area_m2 = float(area) if area not in (None, "") else None
    except (TypeError, ValueError):
        return _error(400, "bad request", f"area_m2: not a number: {area!r}")
    try:
        gz = _gazetteer()
    except LayerError as exc:
        return _error(503, "unavailable", f"gazetteer: {exc}")
    if gz is None:
        return _error(
            503,
            "unavailable",
            "no gazetteer configured 未配置地名库: set LOCATE_AREA (e.g. xicheng-osm) or LOCATE_STREETS",
        )
    from geo.locate import locate_text, results_frame
    from layers.gazetteer_io import read_rules

    res = locate_text(text, gz, read_rules(), published_area_m2=area_m2, hint=hint)
    rows = [res, *res.parts]
    frame = results_frame(rows, gz.crs).to_crs("EPSG:4326")
    features = []
    for r, (_, row) in zip(rows, frame.iterrows(), strict=True):
        props = {k: _clean(row[k]) for k in frame.columns if k != "geometry"}
        props["explain"] = r.explain()
        geom = row.geometry.__geo_interface__ if row.geometry is not None else None
        features.append({"type": "Feature", "properties": props, "geometry": geom})
    body = {
        "type": "FeatureCollection",
        "text": text,
        "project_id": pid,
        "placed": res.placed,
        "features": features,
        "save_properties": {"geometry_method": res.method} if res.placed else None,
    }
    return jsonify(body)
