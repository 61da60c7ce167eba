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
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from flask import Blueprint, Response, current_app, render_template, request, url_for

from layers.errors import LayerError
from layers.export import COVERAGE_RESULTS, coverage_results, feature_collection
from layers.schema import SCHEMAS
from layers.studyarea import default_area, load_study_area

__all__ = [
    "CONFORMANCE",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "OgcError",
    "collection_ids",
    "ogcapi",
]

ogcapi = Blueprint("ogcapi", __name__, template_folder="templates")

#: Conformance classes implemented.
CONFORMANCE: tuple[str, ...] = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
)
DEFAULT_LIMIT = 100
MAX_LIMIT = 10000
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_GEOJSON = "application/geo+json"
_JSON = "application/json"
_HTML = "text/html"
_COVERAGE_LAYERS = tuple(c for c in COVERAGE_RESULTS if c != "coverage-table")
_ITEMS_PARAMS = {"f", "bbox", "bbox-crs", "limit", "offset", "datetime"}
_COVERAGE_TITLES = {
    "coverage-subdistricts": ("公园服务半径覆盖率（街道）", "Park service-radius coverage by 街道"),
    "coverage-residential": (
        "居住用地覆盖情况",
        "Residential land covered / not covered by park service radii",
    ),
    "coverage-service-areas": ("公园服务半径", "Park service areas (dissolved per radius)"),
}


class OgcError(Exception):
    """An error answered as JSON ``{"code", "description"}`` with an HTTP status."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description


@ogcapi.errorhandler(OgcError)
def _ogc_error(exc: OgcError) -> Response:
    body = {"code": exc.code, "description": exc.description}
    return Response(
        json.dumps(body, ensure_ascii=False), status=exc.status, mimetype="application/json"
    )


# ------------------------------------------------------------------------------------------ data
def _area() -> str:
    return str(current_app.config.get("STUDY_AREA") or default_area())


def _service() -> Any:
    return current_app.extensions.get("greenmap")


def _cached(key: Any, make: Any) -> Any:
    svc = _service()
    if svc is not None and hasattr(svc, "cached"):
        return svc.cached(("ogcapi", *key), make)
    store = current_app.extensions.setdefault("ogcapi_cache", {})
    if key not in store:
        store[key] = make()
    return store[key]


def _read_layer(name: str) -> gpd.GeoDataFrame:
    svc = _service()
    if svc is not None and hasattr(svc, "layer"):
        return svc.layer(name)
    import layers

    return layers.read_layer(name, _area())


def collection_ids(area: str | None = None) -> list[str]:
    """Collection ids of a study area: its layers (not attribute tables) and the coverage results.

    >>> collection_ids("xicheng")[:3], collection_ids("xicheng")[-1]
    (['district', 'subdistricts', 'parks'], 'coverage-service-areas')
    """
    study = load_study_area(area)
    out = [n for n in study.layers if not SCHEMAS[n].is_table]
    if {"residential", "parks"} <= set(study.layers):
        cov = [c for c in _COVERAGE_LAYERS if c != "coverage-subdistricts"]
        if "subdistricts" in study.layers:
            cov.insert(0, "coverage-subdistricts")
        out += cov
    return out


def _coverage(name: str) -> gpd.GeoDataFrame:
    study = load_study_area(_area())

    def make() -> dict[str, pd.DataFrame]:
        frames: dict[str, gpd.GeoDataFrame] = {
            n: _read_layer(n)
            for n in ("residential", "parks", "subdistricts", "historic_blocks")
            if n in study.layers
        }
        return coverage_results(study, frames=frames).layers

    try:
        results = _cached(("coverage", study.name), make)
    except (LayerError, ValueError, ImportError) as exc:
        raise OgcError(503, "ServiceUnavailable", f"coverage cannot be computed: {exc}") from exc
    out = results[name]
    assert isinstance(out, gpd.GeoDataFrame)
    return out


def _collection_data(cid: str) -> gpd.GeoDataFrame:
    if cid not in collection_ids(_area()):
        raise OgcError(404, "NotFound", f"collection {cid!r} does not exist")
    if cid in _COVERAGE_LAYERS:
        return _coverage(cid)
    try:
        return _read_layer(cid)
    except Exception as exc:
        raise OgcError(503, "ServiceUnavailable", f"layer {cid!r} cannot be read: {exc}") from exc


def _key(cid: str, gdf: pd.DataFrame) -> str:
    if cid in SCHEMAS:
        return SCHEMAS[cid].key
    for col in ("code", "part_id", "radius_id"):
        if col in gdf.columns:
            return col
    return str(gdf.columns[0])


def _titles(cid: str) -> tuple[str, str]:
    if cid in SCHEMAS:
        return SCHEMAS[cid].title_zh, SCHEMAS[cid].title_en
    return _COVERAGE_TITLES.get(cid, (cid, cid))


# ------------------------------------------------------------------------------------------ helpers
def _format() -> str:
    f = request.args.get("f")
    if f is not None:
        f = f.strip().lower()
        if f in ("json", "geojson", "application/json", _GEOJSON):
            return "json"
        if f in ("html", _HTML):
            return "html"
        raise OgcError(400, "InvalidParameterValue", f"f: unknown format {f!r}; use json or html")
    best = request.accept_mimetypes.best_match([_GEOJSON, _JSON, _HTML], default=_JSON)
    if best == _HTML and request.accept_mimetypes[_HTML] > max(
        request.accept_mimetypes[_JSON], request.accept_mimetypes[_GEOJSON]
    ):
        return "html"
    return "json"


def _url(endpoint: str, fmt: str | None = None, **values: Any) -> str:
    if fmt is not None:
        values["f"] = fmt
    return url_for(endpoint, _external=True, **values)


def _links(endpoint: str, fmt: str, json_type: str = _JSON, **values: Any) -> list[dict[str, str]]:
    """``self`` and ``alternate`` links of a resource in JSON and HTML."""
    jl = {"href": _url(endpoint, "json", **values), "type": json_type, "title": "JSON"}
    hl = {"href": _url(endpoint, "html", **values), "type": _HTML, "title": "HTML"}
    if fmt == "html":
        return [{"rel": "self", **hl}, {"rel": "alternate", **jl}]
    return [{"rel": "self", **jl}, {"rel": "alternate", **hl}]


def _json(body: Any, mimetype: str = _JSON, status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False, allow_nan=False, default=str)
    return Response(text, status=status, mimetype=mimetype)


def _html(template: str, **context: Any) -> Response:
    text = render_template(template, **context)
    return Response(text, mimetype=_HTML)


def _openapi_url() -> str | None:
    for rule in current_app.url_map.iter_rules():
        if rule.rule == "/api/openapi.json":
            return request.host_url.rstrip("/") + rule.rule
    return None


def _bbox(gdf: gpd.GeoDataFrame) -> list[float]:
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any():
        b = shapely.total_bounds(geoms[ok])
        return [round(float(v), 7) for v in b]
    study = load_study_area(_area())
    return [float(v) for v in study.extent]


def _collection_doc(cid: str, fmt: str) -> dict[str, Any]:
    zh, en = _titles(cid)
    gdf = _collection_data(cid)
    doc: dict[str, Any] = {
        "id": cid,
        "title": f"{zh} {en}",
        "description": f"{zh} — {en}. Every feature has `source` and `geometry_quality`.",
        "links": [
            *_links("ogcapi.collection", fmt, collection_id=cid),
            {
                "rel": "items",
                "href": _url("ogcapi.items", "json", collection_id=cid),
                "type": _GEOJSON,
                "title": "Features (GeoJSON)",
            },
            {
                "rel": "items",
                "href": _url("ogcapi.items", "html", collection_id=cid),
                "type": _HTML,
                "title": "Features (HTML)",
            },
        ],
        "extent": {"spatial": {"bbox": [_bbox(gdf)], "crs": CRS84}},
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "numberOfFeatures": len(gdf),
    }
    return doc


def _int_param(name: str, default: int, minimum: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise OgcError(
            400, "InvalidParameterValue", f"{name}: expected an integer, got {raw!r}"
        ) from None
    if value < minimum:
        raise OgcError(400, "InvalidParameterValue", f"{name}: must be >= {minimum}, got {value}")
    return value


def _parse_bbox() -> tuple[float, float, float, float] | None:
    raw = request.args.get("bbox")
    if raw is None:
        return None
    crs = request.args.get("bbox-crs")
    if crs is not None and crs.strip() not in (CRS84, "CRS84", "EPSG:4326"):
        raise OgcError(400, "InvalidParameterValue", f"bbox-crs: only {CRS84} is supported")
    parts = [p.strip() for p in raw.split(",")]
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise OgcError(
            400,
            "InvalidParameterValue",
            f"bbox: expected 4 or 6 comma-separated numbers, got {raw!r}",
        ) from None
    if len(nums) not in (4, 6) or not all(math.isfinite(v) for v in nums):
        raise OgcError(
            400,
            "InvalidParameterValue",
            f"bbox: expected 4 or 6 finite numbers (minLon,minLat,maxLon,maxLat), got {raw!r}",
        )
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    w, s, e, n = nums
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= n <= 90 and w <= e):
        raise OgcError(
            400,
            "InvalidParameterValue",
            f"bbox: not a lon/lat box with minLon<=maxLon and -90<=minLat<=maxLat<=90: {raw!r}",
        )
    return (w, s, e, n)


def _stamp() -> str:
    return _dt.datetime.now(tz=_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _feature_doc(gdf: gpd.GeoDataFrame, cid: str) -> dict[str, Any]:
    key = _key(cid, gdf)
    return feature_collection(gdf, id_column=key)


# ------------------------------------------------------------------------------------------ routes
@ogcapi.route("/")
def landing() -> Response:
    """Landing page."""
    fmt = _format()
    study = load_study_area(_area())
    links = _links("ogcapi.landing", fmt)
    api = _openapi_url()
    if api:
        links.append(
            {
                "rel": "service-desc",
                "href": api,
                "type": "application/vnd.oai.openapi+json;version=3.0",
                "title": "OpenAPI document of the GreenMap JSON API",
            }
        )
    links += [
        {
            "rel": "conformance",
            "href": _url("ogcapi.conformance", "json"),
            "type": _JSON,
            "title": "Conformance classes",
        },
        {
            "rel": "data",
            "href": _url("ogcapi.collections", "json"),
            "type": _JSON,
            "title": "Collections",
        },
    ]
    doc = {
        "title": f"GreenMap {study.title_zh} OGC API – Features",
        "description": (
            f"{study.title_zh} {study.title_en}: layers and park service-radius coverage results "
            "(OGC API – Features Part 1: Core, GeoJSON, HTML)."
        ),
        "links": links,
    }
    if fmt == "html":
        return _html("ogc_landing.html", doc=doc)
    return _json(doc)


@ogcapi.route("/conformance")
def conformance() -> Response:
    """Conformance declaration."""
    fmt = _format()
    doc = {"conformsTo": list(CONFORMANCE), "links": _links("ogcapi.conformance", fmt)}
    if fmt == "html":
        return _html("ogc_conformance.html", doc=doc)
    return _json(doc)


@ogcapi.route("/collections")
def collections() -> Response:
    """All collections."""
    fmt = _format()
    docs = [_collection_doc(cid, "json") for cid in collection_ids(_area())]
    doc = {"links": _links("ogcapi.collections", fmt), "collections": docs}
    if fmt == "html":
        return _html("ogc_collections.html", doc=doc)
    return _json(doc)


@ogcapi.route("/collections/<collection_id>")
def collection(collection_id: str) -> Response:
    """One collection."""
    fmt = _format()
    doc = _collection_doc(collection_id, fmt)
    if fmt == "html":
        return _html("ogc_collection.html", doc=doc)
    return _json(doc)


@ogcapi.route("/collections/<collection_id>/items")
def items(collection_id: str) -> Response:
    """Features of a collection: ``bbox``, ``limit`` (default 100, at most 10000), ``offset``."""
    unknown = sorted(set(request.args) - _ITEMS_PARAMS)
    if unknown:
        raise OgcError(
            400,
            "InvalidParameterValue",
            f"unknown query parameter(s): {', '.join(unknown)}; supported: "
            + ", ".join(sorted(_ITEMS_PARAMS)),
        )
    fmt = _format()
    limit = min(_int_param("limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
    offset = _int_param("offset", 0, 0)
    box = _parse_bbox()
    gdf = _collection_data(collection_id)
    if box is not None:
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        hit = np.zeros(len(geoms), dtype=bool)
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        if ok.any():
            hit[ok] = shapely.intersects(geoms[ok], shapely.box(*box))
        gdf = gdf[hit]
    matched = len(gdf)
    page = gdf.iloc[offset : offset + limit]
    doc = _feature_doc(page, collection_id)
    keep = {k: v for k, v in request.args.items() if k in ("bbox", "bbox-crs", "datetime")}
    links = []
    for rel, fm, typ in (
        ("self", fmt, None),
        ("alternate", "html" if fmt == "json" else "json", None),
    ):
        ftype = _HTML if fm == "html" else _GEOJSON
        links.append(
            {
                "rel": rel,
                "href": _url(
                    "ogcapi.items",
                    fm,
                    collection_id=collection_id,
                    limit=limit,
                    offset=offset,
                    **keep,
                ),
                "type": typ or ftype,
                "title": "HTML" if fm == "html" else "GeoJSON",
            }
        )
    page_type = _HTML if fmt == "html" else _GEOJSON
    if offset + limit < matched:
        links.append(
            {
                "rel": "next",
                "href": _url(
                    "ogcapi.items",
                    fmt,
                    collection_id=collection_id,
                    limit=limit,
                    offset=offset + limit,
                    **keep,
                ),
                "type": page_type,
                "title": "next page",
            }
        )
    if offset > 0:
        links.append(
            {
                "rel": "prev",
                "href": _url(
                    "ogcapi.items",
                    fmt,
                    collection_id=collection_id,
                    limit=limit,
                    offset=max(0, offset - limit),
                    **keep,
                ),
                "type": page_type,
                "title": "previous page",
            }
        )
    links.append(
        {
            "rel": "collection",
            "href": _url("ogcapi.collection", "json", collection_id=collection_id),
            "type": _JSON,
            "title": "the collection",
        }
    )
    doc["links"] = links
    doc["numberMatched"] = matched
    doc["numberReturned"] = len(page)
    doc["timeStamp"] = _stamp()
    if fmt == "html":
        zh, en = _titles(collection_id)
        return _html(
            "ogc_items.html",
            doc=doc,
            cid=collection_id,
            title=f"{zh} {en}",
            key=_key(collection_id, gdf),
            offset=offset,
        )
    return _json(doc, mimetype=_GEOJSON)


@ogcapi.route("/collections/<collection_id>/items/<path:feature_id>")
def item(collection_id: str, feature_id: str) -> Response:
    """One feature by its id (the layer's key)."""
    fmt = _format()
    gdf = _collection_data(collection_id)
    key = _key(collection_id, gdf)
    match = gdf[(gdf[key].astype(str) == feature_id).to_numpy()]
    if match.empty:
        raise OgcError(
            404, "NotFound", f"feature {feature_id!r} not found in collection {collection_id!r}"
        )
    feat = _feature_doc(match.iloc[:1], collection_id)["features"][0]
    feat["links"] = [
        *_links(
            "ogcapi.item",
            fmt,
            json_type=_GEOJSON,
            collection_id=collection_id,
            feature_id=feature_id,
        ),
        {
            "rel": "collection",
            "href": _url("ogcapi.collection", "json", collection_id=collection_id),
            "type": _JSON,
            "title": "the collection",
        },
    ]
    if fmt == "html":
        zh, en = _titles(collection_id)
        return _html("ogc_item.html", feat=feat, cid=collection_id, title=f"{zh} {en}")
    return _json(feat, mimetype=_GEOJSON)
