"""Reading a GeoJSON file GDAL refuses: a plain JSON parser that closes unclosed polygon rings.

Part of the :mod:`layers.repair` family (import from :mod:`layers.repair`; it re-exports
:func:`read_json_lenient`). Rings are closed by repeating their first position; rings with fewer
than 3 distinct positions are removed. Coordinates are kept as the file has them (CRS: a legacy
``crs`` member when present, else none).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import LayerError, Problem
from layers.repair_report import _shown

__all__ = ["read_json_lenient"]


def _close_ring(ring: list[Any]) -> tuple[list[Any], bool]:
    """The ring ending on its first position, and whether a position had to be added."""
    if len(ring) >= 1 and list(ring[0]) != list(ring[-1]):
        return [*ring, ring[0]], True
    return ring, False


def _close_rings(geom: dict[str, Any]) -> tuple[int, int]:
    """Close the rings of a GeoJSON (Multi)Polygon in place; (rings closed, degenerate rings removed).

    A ring with fewer than 3 distinct positions encloses nothing: it is removed (a polygon whose exterior
    goes loses its holes too).
    """
    kind = geom.get("type")
    if kind == "GeometryCollection":
        counts = [_close_rings(g) for g in geom.get("geometries") or []]
        return sum(c[0] for c in counts), sum(c[1] for c in counts)
    if kind not in ("Polygon", "MultiPolygon"):
        return 0, 0
    polys = [geom.get("coordinates") or []] if kind == "Polygon" else geom.get("coordinates") or []
    closed_n = removed = 0
    kept_polys = []
    for poly in polys:
        rings = []
        for j, ring in enumerate(poly):
            ring, closed = _close_ring(ring)
            closed_n += closed
            if len(ring) < 4:
                if j == 0:  # the exterior: the polygon goes, holes included
                    removed += len(poly)
                    break
                removed += 1
                continue
            rings.append(ring)
        if rings:
            kept_polys.append(rings)
    if kind == "Polygon":
        geom["coordinates"] = kept_polys[0] if kept_polys else []
    else:
        geom["coordinates"] = kept_polys
    return closed_n, removed


def read_json_lenient(path: str | os.PathLike[str]) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read a GeoJSON file with a plain JSON parser, closing unclosed rings (which GDAL refuses).

    Returns the features (CRS as declared by a legacy ``crs`` member, else none) and notes of what was
    changed. Raises :class:`LayerError` naming the file and the feature when a geometry cannot be built.
    """
    p = Path(path)
    name = str(p)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise LayerError([Problem(name, None, None, f"not UTF-8 text: {exc}")]) from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise LayerError([Problem(name, None, None, f"not readable JSON: {exc}")]) from exc
    if not isinstance(doc, dict):
        raise LayerError([Problem(name, None, None, "not a GeoJSON object")])
    feats = doc.get("features") if doc.get("type") == "FeatureCollection" else None
    if feats is None:
        feats = [doc] if doc.get("type") == "Feature" else None
    if feats is None:
        raise LayerError(
            [Problem(name, None, "type", "not a GeoJSON FeatureCollection or Feature")]
        )
    props: list[dict[str, Any]] = []
    geoms = np.empty(len(feats), dtype=object)
    closed_rows: list[int] = []
    degenerate_rows: list[int] = []
    problems: list[Problem] = []
    for i, f in enumerate(feats):
        if not isinstance(f, dict):
            problems.append(Problem(name, i + 1, None, "feature is not a JSON object"))
            props.append({})
            continue
        props.append(dict(f.get("properties") or {}))
        g = f.get("geometry")
        if not g:
            continue
        closed, removed = _close_rings(g)
        if closed:
            closed_rows.append(i + 1)
        if removed:
            degenerate_rows.append(i + 1)
        if not g.get("coordinates") and g.get("type") in ("Polygon", "MultiPolygon"):
            continue  # nothing left: no geometry (the loader reports it)
        try:
            geoms[i] = shapely.geometry.shape(g)
        except Exception as exc:  # shapely raises several types on malformed coordinates
            problems.append(Problem(name, i + 1, "geometry", f"cannot build geometry: {exc}"))
    if problems:
        raise LayerError(problems[:50])
    crs = None
    legacy = doc.get("crs")
    if isinstance(legacy, dict):
        crs = (legacy.get("properties") or {}).get("name")
    gdf = gpd.GeoDataFrame(pd.DataFrame(props), geometry=gpd.GeoSeries(geoms), crs=crs)
    notes = []
    if closed_rows:
        notes.append(
            f"closed unclosed polygon rings of {len(closed_rows)} features "
            f"(rows {_shown(closed_rows, 10)}); "
            "read with a plain JSON reader because GDAL refused the file"
        )
    if degenerate_rows:
        notes.append(
            f"removed degenerate rings (fewer than 3 distinct points) of {len(degenerate_rows)} "
            f"features (rows {_shown(degenerate_rows, 10)})"
        )
    return gdf, notes
