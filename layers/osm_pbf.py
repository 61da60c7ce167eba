"""Offline OSM import: read an ``.osm.pbf`` extract with pyrosm, one tag query per key.

:func:`read_osm_pbf` maps the polygons of an extract to a project layer (see :mod:`layers.osm`);
:func:`require_pyrosm` and :func:`query_by_key` / :func:`query_each_key` are the pyrosm access shared with
:mod:`layers.osm_entrances_read` and :mod:`layers.osm_extract_pbf`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from layers.errors import LayerError, Problem
from layers.osm_mapping import DEFAULT_TAGS, What, check_what, map_osm_features

__all__ = ["query_by_key", "query_each_key", "read_osm_pbf", "require_pyrosm"]


def require_pyrosm(where: str) -> ModuleType:
    """The ``pyrosm`` module, or a :class:`LayerError` naming ``where`` when it is not installed."""
    try:
        import pyrosm
    except ImportError as exc:  # pragma: no cover - pyrosm is an optional dependency
        raise LayerError(
            [Problem(where, None, None, "reading .osm.pbf needs pyrosm: pip install pyrosm")]
        ) from exc
    return pyrosm


def query_by_key(
    osm: Any, filters: Mapping[str, Any], *, quiet: str = "Could not find any", **kwargs: Any
) -> dict[str, gpd.GeoDataFrame]:
    """The non-empty result of one ``get_data_by_custom_criteria`` query per filter key, by key.

    One query per key because pyrosm drops a feature whose *other* filter key has an unlisted value
    (e.g. leisure=park with landuse=grass under a landuse=[recreation_ground] filter). Warnings whose
    message starts with ``quiet`` are silenced (``""``: all). ``kwargs`` go to pyrosm.
    """
    found = {}
    for key, values in filters.items():
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=quiet)
            part = osm.get_data_by_custom_criteria(
                custom_filter={key: values}, filter_type="keep", **kwargs
            )
        if part is not None and len(part):
            found[key] = part
    return found


def query_each_key(
    osm: Any, filters: Mapping[str, Any], *, quiet: str = "Could not find any", **kwargs: Any
) -> list[gpd.GeoDataFrame]:
    """The non-empty results of :func:`query_by_key`, in filter order."""
    return list(query_by_key(osm, filters, quiet=quiet, **kwargs).values())


def _check_bbox(bbox: Sequence[float], name: str) -> list[float]:
    """``[west, south, east, north]`` (WGS-84 degrees) or a :class:`LayerError` on field ``bbox``."""
    try:
        w, s, e, n = (float(v) for v in bbox)
    except (TypeError, ValueError) as exc:
        raise LayerError(
            [Problem(name, None, "bbox", f"expected 4 numbers (west, south, east, north): {exc}")]
        ) from exc
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise LayerError(
            [Problem(name, None, "bbox", f"not a lon/lat box with west<east, south<north: {bbox}")]
        )
    return [w, s, e, n]


def read_osm_pbf(
    path: str | os.PathLike[str],
    what: What = "parks",
    bbox: Sequence[float] | None = None,
    *,
    tags: Mapping[str, Sequence[str]] | None = None,
    kind_map: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read an OpenStreetMap ``.osm.pbf`` extract offline and map it to a project layer.

    Parameters
    ----------
    path : path
        The PBF file (e.g. a Geofabrik or BBBike extract).
    what : {"parks", "residential", "boundaries"}
        Which layer to build (see the :mod:`layers.osm` docstring for the tag mapping).
    bbox : (west, south, east, north), optional
        WGS-84 degrees; only features in this box are read.
    tags : mapping, optional
        OSM tag filter ``{key: [values]}`` replacing :data:`DEFAULT_TAGS` ``[what]``.
    kind_map : mapping, optional
        Park kind per ``"key=value"`` tag (see :func:`map_osm_features`).

    Returns
    -------
    GeoDataFrame
        The layer in EPSG:4326 with the schema's columns (``parks``, ``residential`` or, for
        ``boundaries``, ``subdistricts``); ``geometry_quality = "osm"``, ``source`` = :data:`OSM_SOURCE`.
        Empty (with the columns) when the extract has no matching feature.

    Raises
    ------
    LayerError
        Missing/unreadable file, bad ``what`` or ``bbox``; pyrosm not installed.
    """
    p = Path(path)
    name = str(p)
    check_what(what, name)
    if not p.exists():
        raise LayerError([Problem(name, None, None, "file not found")])
    box = None if bbox is None else _check_bbox(bbox, name)
    pyrosm = require_pyrosm(name)
    flt = {k: list(v) for k, v in (tags or DEFAULT_TAGS[what]).items()}
    try:
        osm = pyrosm.OSM(str(p), bounding_box=box)
        parts = query_each_key(osm, flt, keep_nodes=False, keep_ways=True, keep_relations=True)
        raw = None
        if parts:
            raw = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
            raw = raw.drop_duplicates(subset=["osm_type", "id"]).reset_index(drop=True)
    except Exception as exc:  # pyrosm raises many types on a corrupt file
        raise LayerError([Problem(name, None, None, f"cannot read OSM PBF: {exc}")]) from exc
    if raw is None or len(raw) == 0:
        raw = gpd.GeoDataFrame({"id": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    out = map_osm_features(raw, what, kind_map=kind_map)
    if box is not None and len(out):
        # pyrosm keeps ways that cross the box; keep those that intersect it, as documented.
        out = out[out.intersects(shapely.box(*box))].reset_index(drop=True)
    return out
