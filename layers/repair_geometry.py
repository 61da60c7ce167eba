"""Geometry repairs of a tolerant import: make valid, keep the layer's kind, clip, flag absurd sizes.

Part of the :mod:`layers.repair` family (import from :mod:`layers.repair`; it re-exports these
names). The array functions take and return arrays of shapely geometries; missing (``None``) and
empty geometries pass through untouched. Geometries and region share the caller's CRS;
:func:`drop_absurd` measures metres, so it needs a metric CRS. :func:`tolerate_geometry` applies
them to a whole layer in EPSG:4326 for ``greenmap import --tolerant``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from layers.errors import LayerError
from layers.repair_report import _shown

__all__ = ["clip_to", "drop_absurd", "polygonal", "repair_invalid", "tolerate_geometry"]

_POLY_IDS = (3, 6)  # shapely type ids of Polygon, MultiPolygon
_LINE_IDS = (1, 5)


def _present(geoms: np.ndarray) -> np.ndarray:
    """Mask of the geometries that are neither missing nor empty."""
    return ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)


def _parts_of(g: shapely.Geometry, type_ids: tuple[int, ...]) -> list[shapely.Geometry]:
    """The single parts of ``g`` whose type id is one of ``type_ids``."""
    return [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in type_ids]


def polygonal(g: shapely.Geometry | None) -> shapely.Geometry | None:
    """The polygonal part of a geometry (a collection from ``make_valid`` or a clip), or an empty polygon.

    >>> from shapely import GeometryCollection, LineString, box
    >>> polygonal(GeometryCollection([box(0, 0, 1, 1), LineString([(0, 0), (2, 2)])])).area
    1.0
    """
    if g is None or shapely.get_type_id(g) in _POLY_IDS:
        return g
    parts = _parts_of(g, _POLY_IDS)
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _lineal(g: shapely.Geometry | None) -> shapely.Geometry | None:
    """The lineal part of a geometry, merged into as few lines as possible, or an empty line."""
    if g is None or shapely.get_type_id(g) in _LINE_IDS:
        return g
    parts = _parts_of(g, _LINE_IDS)
    if not parts:
        return shapely.LineString()
    return shapely.line_merge(shapely.MultiLineString(parts))


def _keep_kind(geoms: np.ndarray, kind: str) -> np.ndarray:
    """Reduce each geometry to the layer's ``kind`` (``"polygon"``, ``"line"``; others: as is)."""
    if kind == "polygon":
        return np.array([polygonal(g) for g in geoms], dtype=object)
    if kind == "line":
        return np.array([_lineal(g) for g in geoms], dtype=object)
    return geoms


def repair_invalid(
    geoms: np.ndarray, kind: str = "polygon"
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Repair invalid geometries with ``make_valid``.

    Parameters
    ----------
    geoms : array of shapely geometries
    kind : {"polygon", "line", "point"}
        What the layer holds: the repaired result keeps only that part.

    Returns
    -------
    geoms, repaired, reasons
        New array, boolean mask of the repaired ones, GEOS' reason per repaired geometry.

    >>> bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    >>> out, mask, why = repair_invalid(np.array([bowtie, shapely.box(0, 0, 1, 1)]))
    >>> mask.tolist(), round(out[0].area, 2), why[0].startswith("Self-intersection")
    ([True, False], 0.5, True)
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    invalid = _present(geoms) & ~shapely.is_valid(geoms)
    reasons = [str(r) for r in shapely.is_valid_reason(geoms[invalid])]
    if invalid.any():
        geoms[invalid] = _keep_kind(shapely.make_valid(geoms[invalid]), kind)
    return geoms, invalid, reasons


def drop_absurd(metric_geoms: np.ndarray, max_extent_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Features wider or taller than ``max_extent_m`` (metres, bounding box in a metric CRS).

    Returns the mask of absurd features and the extent (m) of every feature.

    >>> mask, ext = drop_absurd(np.array([shapely.box(0, 0, 50, 20), shapely.box(0, 0, 22000, 5)]), 10000)
    >>> mask.tolist(), ext.tolist()
    ([False, True], [50.0, 22000.0])
    """
    b = shapely.bounds(np.asarray(metric_geoms, dtype=object))
    with np.errstate(invalid="ignore"):  # missing geometries have NaN bounds: extent 0
        ext = np.fmax(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    ext = np.nan_to_num(ext, nan=0.0)
    return ext > max_extent_m, ext


def clip_to(
    geoms: np.ndarray, region: shapely.Geometry, kind: str = "polygon"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clip geometries to ``region`` (same CRS): those not inside it are intersected with it.

    Returns
    -------
    geoms, clipped, outside
        The new array, the mask of features that were cut, and of those wholly outside (now empty).

    >>> region = shapely.box(0, 0, 10, 10)
    >>> g, c, o = clip_to(np.array([shapely.box(1, 1, 2, 2), shapely.box(8, 8, 12, 12), shapely.box(20, 20, 21, 21)]), region)
    >>> c.tolist(), o.tolist(), g[1].area
    ([False, True, False], [False, False, True], 4.0)
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    shapely.prepare(region)
    present = _present(geoms)
    inside = np.zeros(len(geoms), dtype=bool)
    inside[present] = shapely.covers(region, geoms[present])
    touching = np.zeros(len(geoms), dtype=bool)
    touching[present] = shapely.intersects(region, geoms[present])
    outside = present & ~touching
    cut = present & touching & ~inside
    if cut.any():
        geoms[cut] = _keep_kind(shapely.intersection(geoms[cut], region), kind)
        gone = shapely.is_empty(geoms) & cut
        if kind == "polygon":
            gone |= cut & (shapely.area(geoms) <= 0)
        outside |= gone
        cut &= ~gone
    return geoms, cut, outside


# ------------------------------------------------------------------------------------------ import
def _max_extent(layer: str) -> float | None:
    """Largest plausible feature (m) of ``layer`` for ``greenmap import --tolerant``.

    The layer's ``max_extent_m`` in ``data/osm/mapping.toml`` when it has one, else ``None`` (no
    limit; also when the mapping cannot be read).
    """
    try:
        from layers.osm_extract import load_mapping

        value = load_mapping().get(layer, {}).get("max_extent_m")
    except LayerError:
        return None
    return float(value) if value is not None else None


def tolerate_geometry(
    gdf: gpd.GeoDataFrame,
    schema: Any,
    name: str,
    extent: tuple[float, float, float, float] | None,
    metric_crs: str | None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Drop absurd features (wider than the layer's ``max_extent_m``), clip those crossing the extent.

    ``gdf`` is in EPSG:4326. Features wholly outside the extent are dropped and reported when they are a
    minority; when most are outside the file is probably in the wrong CRS and they are left for the loader
    to reject with that message.
    """
    notes: list[str] = []
    if extent is None or not len(gdf):
        return gdf, notes
    geoms = gdf.geometry.array
    present = ~(gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
    kind = (
        "polygon" if all(t in ("Polygon", "MultiPolygon") for t in schema.geometry_types) else "any"
    )
    keys = (
        gdf[schema.key].astype(str).to_numpy() if schema.key in gdf.columns else np.arange(len(gdf))
    )
    drop = np.zeros(len(gdf), dtype=bool)
    if schema.geometry_required and (~present).any():
        rows = np.flatnonzero(~present)
        notes.append(
            f"dropped {len(rows)} features without geometry (rows {_shown(rows + 1, 10)}): "
            "layer needs one"
        )
        drop |= ~present
    limit = _max_extent(schema.name)
    if limit is not None and metric_crs and present.any():
        metric = np.asarray(
            gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(metric_crs).values, dtype=object
        )
        metric[~present] = None
        absurd, ext = drop_absurd(metric, limit)
        for i in np.flatnonzero(absurd & present):
            notes.append(
                f"row {i + 1} ({schema.key} {keys[i]}): dropped, spans {ext[i] / 1000:.1f} km, more than "
                f"max_extent_m = {limit:g} m for layer {schema.name} (data/osm/mapping.toml)"
            )
        drop |= absurd & present
    box = shapely.box(*extent)
    clipped, cut, outside = clip_to(np.asarray(geoms, dtype=object), box, kind)
    outside &= present & ~drop
    if outside.sum() * 2 > present.sum():
        outside[:] = False  # most features outside: wrong CRS, left for the loader's message
        cut[:] = False
        clipped = np.asarray(geoms, dtype=object)
    for i in np.flatnonzero(outside)[:20]:
        notes.append(
            f"row {i + 1} ({schema.key} {keys[i]}): dropped, wholly outside the study extent"
        )
    if outside.sum() > 20:
        notes.append(f"... {int(outside.sum()) - 20} more features outside the extent dropped")
    drop |= outside
    n_cut = int((cut & ~drop).sum())
    if n_cut:
        notes.append(f"clipped {n_cut} features crossing the study extent {extent}")
    out = gdf.copy()
    out = out.set_geometry(gpd.GeoSeries(clipped, index=gdf.index, crs=gdf.crs))
    return out[~drop].reset_index(drop=True), notes
