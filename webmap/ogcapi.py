"""OGC API – Features (Part 1: Core, GeoJSON, HTML) over the study area's layers and coverage results.

Register the blueprint at ``/ogc``::

    app.register_blueprint(ogcapi, url_prefix="/ogc")

Routes: ``/ogc/`` (landing page), ``/ogc/conformance``, ``/ogc/collections``, ``/ogc/collections/{id}``,
``/ogc/collections/{id}/items`` (``bbox``, ``limit``, ``offset``) and ``/ogc/collections/{id}/items/{featureId}``.
Every resource is JSON (GeoJSON for features) or HTML, chosen by ``f=json|html`` or else the ``Accept`` header.
Collections are every layer of the study area and the coverage results under the study area's default rule
(``coverage-subdistricts``, ``coverage-residential``, ``coverage-service-areas``). Features without geometry are
returned with ``"geometry": null``; coordinates are WGS-84 lon/lat (CRS84), 7 decimals.

Layers are read through the app's ``MapService`` (``app.extensions["greenmap"]``) when present, so the web map and
this API show the same data; otherwise through :func:`layers.read_layer` for ``STUDY_AREA``.

This module is the thin Flask adapter (request parsing, URLs, responses); the framework-free core is
:mod:`webmap.ogc_core` (constants, errors, parameter validation), :mod:`webmap.ogc_data` (collections and their
features) and :mod:`webmap.ogc_docs` (the documents).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for

from layers.studyarea import default_area, load_study_area
from webmap.ogc_core import (
    CONFORMANCE,
    CRS84,
    DEFAULT_LIMIT,
    GEOJSON,
    HTML,
    JSON,
    MAX_LIMIT,
    OgcError,
    check_items_params,
    parse_bbox,
    parse_format,
    parse_int,
    timestamp,
)
from webmap.ogc_data import OgcSource, collection_ids, feature_key, titles
from webmap.ogc_docs import (
    collection_doc,
    collections_doc,
    conformance_doc,
    filter_bbox,
    item_doc,
    items_doc,
    landing_doc,
)

__all__ = [
    "CONFORMANCE",
    "CRS84",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "OgcError",
    "collection_ids",
    "ogcapi",
]

ogcapi = Blueprint("ogcapi", __name__, template_folder="templates")


@ogcapi.errorhandler(OgcError)
def _ogc_error(exc: OgcError) -> Response:
    body = {"code": exc.code, "description": exc.description}
    return Response(
        json.dumps(body, ensure_ascii=False), status=exc.status, mimetype="application/json"
    )


# ------------------------------------------------------------------------------------------ adapter
def _area() -> str:
    return str(current_app.config.get("STUDY_AREA") or default_area())


def _source() -> OgcSource:
    # The fallback cache lives on the app, so a bare app computes coverage once, not per request.
    ext = current_app.extensions
    return OgcSource(ext.get("greenmap"), _area(), lambda: ext.setdefault("ogcapi_cache", {}))


def _format() -> str:
    fmt = parse_format(request.args.get("f"))
    if fmt is not None:
        return fmt
    accept = request.accept_mimetypes
    best = accept.best_match([GEOJSON, JSON, HTML], default=JSON)
    # HTML only when the client prefers it strictly: browsers send */* too, clients send nothing.
    if best == HTML and accept[HTML] > max(accept[JSON], accept[GEOJSON]):
        return "html"
    return "json"


def _url(resource: str, fmt: str | None = None, /, **values: Any) -> str:
    if fmt is not None:
        values["f"] = fmt
    return url_for(f"ogcapi.{resource}", _external=True, **values)


def _json(body: Any, mimetype: str = JSON, status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False, allow_nan=False, default=str)
    return Response(text, status=status, mimetype=mimetype)


def _html(template: str, **context: Any) -> Response:
    text = render_template(template, **context)
    return Response(text, mimetype=HTML)


def _openapi_url() -> str | None:
    for rule in current_app.url_map.iter_rules():
        if rule.rule == "/api/openapi.json":
            return request.host_url.rstrip("/") + rule.rule
    return None


def _collection(src: OgcSource, cid: str, fmt: str) -> dict[str, Any]:
    title = titles(cid)
    gdf = src.collection(cid)
    return collection_doc(_url, cid, fmt, title, gdf, src.extent(gdf))


# ------------------------------------------------------------------------------------------ routes
@ogcapi.route("/")
def landing() -> Response:
    """Landing page."""
    fmt = _format()
    study = load_study_area(_area())
    doc = landing_doc(_url, study, fmt, _openapi_url())
    if fmt == "html":
        return _html("ogc_landing.html", doc=doc)
    return _json(doc)


@ogcapi.route("/conformance")
def conformance() -> Response:
    """Conformance declaration."""
    fmt = _format()
    doc = conformance_doc(_url, fmt)
    if fmt == "html":
        return _html("ogc_conformance.html", doc=doc)
    return _json(doc)


@ogcapi.route("/collections")
def collections() -> Response:
    """All collections."""
    fmt = _format()
    src = _source()
    docs = [_collection(src, cid, "json") for cid in collection_ids(src.area)]
    doc = collections_doc(_url, fmt, docs)
    if fmt == "html":
        return _html("ogc_collections.html", doc=doc)
    return _json(doc)


@ogcapi.route("/collections/<collection_id>")
def collection(collection_id: str) -> Response:
    """One collection."""
    fmt = _format()
    doc = _collection(_source(), collection_id, fmt)
    if fmt == "html":
        return _html("ogc_collection.html", doc=doc)
    return _json(doc)


@ogcapi.route("/collections/<collection_id>/items")
def items(collection_id: str) -> Response:
    """Features of a collection: ``bbox``, ``limit`` (default 100, at most 10000), ``offset``."""
    args = request.args
    check_items_params(args)
    fmt = _format()
    limit = min(parse_int("limit", args.get("limit"), DEFAULT_LIMIT, 1), MAX_LIMIT)
    offset = parse_int("offset", args.get("offset"), 0, 0)
    box = parse_bbox(args.get("bbox"), args.get("bbox-crs"))
    gdf = _source().collection(collection_id)
    if box is not None:
        gdf = filter_bbox(gdf, box)
    key = feature_key(collection_id, gdf)
    doc = items_doc(
        _url,
        collection_id,
        fmt,
        gdf.iloc[offset : offset + limit],
        key,
        matched=len(gdf),
        limit=limit,
        offset=offset,
        keep={k: v for k, v in args.items() if k in ("bbox", "bbox-crs", "datetime")},
        stamp=timestamp(),
    )
    if fmt == "html":
        zh, en = titles(collection_id)
        return _html(
            "ogc_items.html", doc=doc, cid=collection_id, title=f"{zh} {en}", key=key, offset=offset
        )
    return _json(doc, mimetype=GEOJSON)


@ogcapi.route("/collections/<collection_id>/items/<path:feature_id>")
def item(collection_id: str, feature_id: str) -> Response:
    """One feature by its id (the layer's key)."""
    fmt = _format()
    gdf = _source().collection(collection_id)
    key = feature_key(collection_id, gdf)
    feat = item_doc(_url, collection_id, fmt, gdf, key, feature_id)
    if fmt == "html":
        zh, en = titles(collection_id)
        return _html("ogc_item.html", feat=feat, cid=collection_id, title=f"{zh} {en}")
    return _json(feat, mimetype=GEOJSON)
