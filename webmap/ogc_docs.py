"""OGC API – Features: the JSON documents (landing page, conformance, collections, feature pages, features).

Framework-free: each builder gets a :class:`UrlFor` that turns a resource name (the view names of
:mod:`webmap.ogcapi`: ``landing``, ``conformance``, ``collections``, ``collection``, ``items``, ``item``), a
format (``"json"``/``"html"``, sent as ``f``) and path/query values into an absolute URL, plus the data already
read; it returns the plain dict the adapter serialises as JSON or hands to a template.  Coordinates are CRS84.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import shapely

from layers.export import feature_collection
from layers.studyarea import StudyArea
from webmap.ogc_core import CONFORMANCE, CRS84, GEOJSON, HTML, JSON, OgcError

__all__ = [
    "UrlFor",
    "collection_doc",
    "collections_doc",
    "conformance_doc",
    "feature_doc",
    "filter_bbox",
    "item_doc",
    "items_doc",
    "landing_doc",
    "links",
]


class UrlFor(Protocol):
    """Absolute URL of ``resource`` with ``f=fmt`` (when given) and ``values`` as path/query values."""

    def __call__(self, resource: str, fmt: str | None = None, /, **values: Any) -> str: ...


def links(
    url: UrlFor, resource: str, fmt: str, json_type: str = JSON, **values: Any
) -> list[dict[str, str]]:
    """``self`` and ``alternate`` links of a resource in JSON and HTML (``self`` in ``fmt``)."""
    jl = {"href": url(resource, "json", **values), "type": json_type, "title": "JSON"}
    hl = {"href": url(resource, "html", **values), "type": HTML, "title": "HTML"}
    if fmt == "html":
        return [{"rel": "self", **hl}, {"rel": "alternate", **jl}]
    return [{"rel": "self", **jl}, {"rel": "alternate", **hl}]


def _collection_link(url: UrlFor, cid: str) -> dict[str, str]:
    return {
        "rel": "collection",
        "href": url("collection", "json", collection_id=cid),
        "type": JSON,
        "title": "the collection",
    }


def landing_doc(url: UrlFor, study: StudyArea, fmt: str, openapi_url: str | None) -> dict[str, Any]:
    """Landing page; ``openapi_url`` (the GreenMap JSON API's OpenAPI document) adds ``service-desc``."""
    out = links(url, "landing", fmt)
    if openapi_url:
        out.append(
            {
                "rel": "service-desc",
                "href": openapi_url,
                "type": "application/vnd.oai.openapi+json;version=3.0",
                "title": "OpenAPI document of the GreenMap JSON API",
            }
        )
    out += [
        {
            "rel": "conformance",
            "href": url("conformance", "json"),
            "type": JSON,
            "title": "Conformance classes",
        },
        {
            "rel": "data",
            "href": url("collections", "json"),
            "type": JSON,
            "title": "Collections",
        },
    ]
    return {
        "title": f"GreenMap {study.title_zh} OGC API – Features",
        "description": (
            f"{study.title_zh} {study.title_en}: layers and park service-radius coverage results "
            "(OGC API – Features Part 1: Core, GeoJSON, HTML)."
        ),
        "links": out,
    }


def conformance_doc(url: UrlFor, fmt: str) -> dict[str, Any]:
    """Conformance declaration."""
    return {"conformsTo": list(CONFORMANCE), "links": links(url, "conformance", fmt)}


def collection_doc(
    url: UrlFor,
    cid: str,
    fmt: str,
    title: tuple[str, str],
    gdf: gpd.GeoDataFrame,
    bbox: list[float],
) -> dict[str, Any]:
    """One collection: ``title`` is (Chinese, English), ``bbox`` its CRS84 extent, ``gdf`` its features."""
    zh, en = title
    return {
        "id": cid,
        "title": f"{zh} {en}",
        "description": f"{zh} — {en}. Every feature has `source` and `geometry_quality`.",
        "links": [
            *links(url, "collection", fmt, collection_id=cid),
            {
                "rel": "items",
                "href": url("items", "json", collection_id=cid),
                "type": GEOJSON,
                "title": "Features (GeoJSON)",
            },
            {
                "rel": "items",
                "href": url("items", "html", collection_id=cid),
                "type": HTML,
                "title": "Features (HTML)",
            },
        ],
        "extent": {"spatial": {"bbox": [bbox], "crs": CRS84}},
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "numberOfFeatures": len(gdf),
    }


def collections_doc(url: UrlFor, fmt: str, docs: list[dict[str, Any]]) -> dict[str, Any]:
    """All collections, ``docs`` being their :func:`collection_doc` documents."""
    return {"links": links(url, "collections", fmt), "collections": docs}


def filter_bbox(gdf: gpd.GeoDataFrame, box: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """Rows whose geometry intersects the CRS84 ``box``; rows without geometry never match."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    hit = np.zeros(len(geoms), dtype=bool)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any():
        hit[ok] = shapely.intersects(geoms[ok], shapely.box(*box))
    return gdf[hit]


def feature_doc(gdf: gpd.GeoDataFrame, key: str) -> dict[str, Any]:
    """GeoJSON FeatureCollection of ``gdf`` with ``id`` from column ``key``."""
    return feature_collection(gdf, id_column=key)


def items_doc(
    url: UrlFor,
    cid: str,
    fmt: str,
    page: gpd.GeoDataFrame,
    key: str,
    *,
    matched: int,
    limit: int,
    offset: int,
    keep: Mapping[str, str],
    stamp: str,
) -> dict[str, Any]:
    """One page of features.

    Parameters
    ----------
    page
        The features of this page (``offset`` … ``offset + limit`` of the ``matched`` ones).
    keep
        Filter parameters (``bbox``, ``bbox-crs``, ``datetime``) repeated in the self/alternate/paging links.
    stamp
        ``timeStamp`` of the response (see :func:`webmap.ogc_core.timestamp`).
    """
    doc = feature_doc(page, key)
    out = []
    for rel, fm in (("self", fmt), ("alternate", "html" if fmt == "json" else "json")):
        out.append(
            {
                "rel": rel,
                "href": url("items", fm, collection_id=cid, limit=limit, offset=offset, **keep),
                "type": HTML if fm == "html" else GEOJSON,
                "title": "HTML" if fm == "html" else "GeoJSON",
            }
        )
    page_type = HTML if fmt == "html" else GEOJSON
    if offset + limit < matched:
        out.append(
            {
                "rel": "next",
                "href": url(
                    "items", fmt, collection_id=cid, limit=limit, offset=offset + limit, **keep
                ),
                "type": page_type,
                "title": "next page",
            }
        )
    if offset > 0:
        out.append(
            {
                "rel": "prev",
                "href": url(
                    "items",
                    fmt,
                    collection_id=cid,
                    limit=limit,
                    offset=max(0, offset - limit),
                    **keep,
                ),
                "type": page_type,
                "title": "previous page",
            }
        )
    out.append(_collection_link(url, cid))
    # Keys after the FeatureCollection's own, in this order (clients and tests read them by name).
    doc["links"] = out
    doc["numberMatched"] = matched
    doc["numberReturned"] = len(page)
    doc["timeStamp"] = stamp
    return doc


def item_doc(
    url: UrlFor, cid: str, fmt: str, gdf: gpd.GeoDataFrame, key: str, feature_id: str
) -> dict[str, Any]:
    """The GeoJSON Feature of ``gdf`` whose ``key`` column (as text) equals ``feature_id``.

    Raises
    ------
    OgcError
        404 when no feature has that id.
    """
    match = gdf[(gdf[key].astype(str) == feature_id).to_numpy()]
    if match.empty:
        raise OgcError(404, "NotFound", f"feature {feature_id!r} not found in collection {cid!r}")
    feat: dict[str, Any] = feature_doc(match.iloc[:1], key)["features"][0]
    feat["links"] = [
        *links(url, "item", fmt, json_type=GEOJSON, collection_id=cid, feature_id=feature_id),
        _collection_link(url, cid),
    ]
    return feat
