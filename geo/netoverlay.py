"""Covered area per parcel under the walking-network service sources (issue 12).

The overlay of :func:`geo.netcoverage.service_sources` (thousands of long, overlapping street
buffers) with the demand polygons: per (label, parcel) pair the buffers meeting the parcel,
clipped to its box and unioned, then intersected with the parcel once. The same areas as
:func:`geo.coverage.covered_area` with the sources as parks (to ~1e-11 relative), made for
street buffers rather than a few hundred park disks; :mod:`geo.netgains` uses the labelled form.
No Python loop over sources, labels or parcels. Metric CRS, metres and m².
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from geo.coverage import DEFAULT_QUAD_SEGS
from geo.rules import _num

__all__ = ["ParcelUnions", "network_covered_area", "parcel_unions"]


#: Margin (m) by which a parcel's box is grown before a buffer is clipped to it, so that no clip
#: edge runs along the parcel's own boundary.
_CLIP_MARGIN_M = 1.0
#: Parcels touched by at most this many buffers have them unioned pairwise, others cascaded.
_PAIRWISE_MAX = 12


@dataclass
class ParcelUnions:
    """Per (label, parcel) pair (sorted; ``parcel`` a demand position): the union of the label's
    buffers meeting the parcel, each clipped to the parcel's box grown by 1 m (the same set inside
    the parcel), ``None`` where ``full`` (the parcel lies wholly inside one of them)."""

    label: NDArray[np.intp]
    parcel: NDArray[np.intp]
    union: NDArray[np.object_]
    full: NDArray[np.bool_]


def _geoms(demand: gpd.GeoSeries | gpd.GeoDataFrame | ArrayLike) -> NDArray[np.object_]:
    return np.asarray(getattr(demand, "geometry", demand), dtype=object)


def parcel_unions(
    demand: gpd.GeoSeries | gpd.GeoDataFrame | ArrayLike,
    sources: gpd.GeoDataFrame,
    *,
    quad_segs: int = DEFAULT_QUAD_SEGS,
    label: str | None = None,
    pairs: ArrayLike | None = None,
) -> ParcelUnions:
    """The buffered sources of each label meeting each demand polygon, unioned per pair.

    The core of :func:`network_covered_area`; see there for the method. ``label`` names an int
    column of ``sources`` (default: one label, 0). ``pairs`` (int64 keys ``label * n + parcel``,
    ``n`` demand polygons) keeps only those pairs. Metric CRS, metres.
    """
    darr = _geoms(demand)
    n = len(darr)
    g = np.asarray(sources.geometry.values, dtype=object)
    lab = sources[label].to_numpy(dtype=np.intp) if label else np.zeros(len(g), np.intp)
    z = np.empty(0, dtype=np.intp)
    none = ParcelUnions(z, z, np.empty(0, dtype=object), np.empty(0, dtype=bool))
    if n == 0 or len(g) == 0:
        return none
    r = _num(sources["radius_m"])
    # only sources whose box grown by their radius meets a parcel's box are buffered (a GEOS
    # buffer lies within r of its source); the box pairs are refined on the buffers below
    sb = np.asarray(shapely.bounds(g), dtype=np.float64)
    pad = np.where(np.isfinite(r), r, 0.0) + 1e-6 * (1.0 + np.abs(np.nan_to_num(sb)).max(axis=1))
    grown = shapely.box(sb[:, 0] - pad, sb[:, 1] - pad, sb[:, 2] + pad, sb[:, 3] + pad)
    s, k = shapely.STRtree(darr).query(grown)
    if pairs is not None:
        keep = np.isin(lab[s].astype(np.int64) * n + k, np.asarray(pairs, dtype=np.int64))
        s, k = s[keep], k[keep]
    if len(s) == 0:
        return none
    used, s = np.unique(s, return_inverse=True)
    sa = np.asarray(shapely.buffer(g[used], r[used], quad_segs=quad_segs), dtype=object)
    sa[shapely.is_missing(sa)] = shapely.Polygon()
    db = np.asarray(shapely.bounds(darr), dtype=np.float64)
    shapely.prepare(sa)
    hit = shapely.intersects(sa[s], darr[k])
    s, k = s[hit], k[hit]
    key = lab[used][s].astype(np.int64) * n + k
    full_key = np.unique(key[shapely.contains_properly(sa[s], darr[k])])
    edge = ~np.isin(key, full_key)
    s, k, key = s[edge], k[edge], key[edge]
    uniq = np.empty(0, dtype=np.int64)
    union = np.empty(0, dtype=object)
    if len(k):
        order = np.argsort(key, kind="stable")
        s, k, key = s[order], k[order], key[order]
        m = _CLIP_MARGIN_M
        # shapely.clip_by_rect takes one rectangle; its ufunc takes one per geometry
        local = np.asarray(
            shapely.lib.clip_by_rect(sa[s], db[k, 0] - m, db[k, 1] - m, db[k, 2] + m, db[k, 3] + m),
            dtype=object,
        )
        bad = ~shapely.is_valid(local)
        local[bad] = sa[s[bad]]
        # union of the clipped buffers of each pair (``key`` sorted): for pairs with a few
        # buffers, pairwise unions one column at a time cost less than a cascaded union per pair;
        # pairs with many (large parcels) get the cascaded one
        uniq, start, count = np.unique(key, return_index=True, return_counts=True)
        union = local[start].copy()
        few = np.flatnonzero(count <= _PAIRWISE_MAX)
        for c in range(1, int(count[few].max()) if len(few) else 0):  # < _PAIRWISE_MAX passes
            more = few[count[few] > c]
            union[more] = shapely.union(union[more], local[start[more] + c])
        many = np.flatnonzero(count > _PAIRWISE_MAX)
        if len(many):
            cnt = count[many]
            grid = np.full((len(many), int(cnt.max())), None, dtype=object)
            rows = np.repeat(np.arange(len(many)), cnt)
            cols = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            grid[rows, cols] = local[np.repeat(start[many], cnt) + cols]
            union[many] = shapely.union_all(grid, axis=1)
    keys = np.concatenate([uniq, full_key])
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    return ParcelUnions(
        label=(keys // n).astype(np.intp),
        parcel=(keys % n).astype(np.intp),
        union=np.concatenate([union, np.full(len(full_key), None, dtype=object)])[order],
        full=np.concatenate([np.zeros(len(uniq), bool), np.ones(len(full_key), bool)])[order],
    )


@overload
def network_covered_area(
    demand: gpd.GeoSeries | gpd.GeoDataFrame | ArrayLike,
    sources: gpd.GeoDataFrame,
    *,
    quad_segs: int = ...,
    label: None = ...,
    pairs: ArrayLike | None = ...,
) -> NDArray[np.float64]: ...
@overload
def network_covered_area(
    demand: gpd.GeoSeries | gpd.GeoDataFrame | ArrayLike,
    sources: gpd.GeoDataFrame,
    *,
    quad_segs: int = ...,
    label: str,
    pairs: ArrayLike | None = ...,
) -> pd.DataFrame: ...
def network_covered_area(
    demand: gpd.GeoSeries | gpd.GeoDataFrame | ArrayLike,
    sources: gpd.GeoDataFrame,
    *,
    quad_segs: int = DEFAULT_QUAD_SEGS,
    label: str | None = None,
    pairs: ArrayLike | None = None,
) -> NDArray[np.float64] | pd.DataFrame:
    """Area (m²) of each demand polygon covered by the union of the buffered service sources.

    The same number as :func:`geo.coverage.covered_area` ``(demand, sources.geometry,
    sources["radius_m"])`` (GEOS buffers at ``quad_segs``; equal to ~1e-11 relative, see the
    tests), made for the many long, overlapping street buffers of :func:`service_sources`
    rather than a few hundred park disks:

    * (buffer, parcel) pairs from one :class:`shapely.STRtree` query, then prepared
      ``intersects`` and ``contains_properly`` tests: parcels wholly inside one buffer count
      their full area;
    * for every parcel on an edge, each buffer touching it is first clipped to the parcel's box
      grown by 1 m (GEOS rectangle clipping, linear in the buffer's vertices; a clip that is not
      valid falls back to the whole buffer), so the overlay ``parcel ∩ ⋃ buffers`` works on a few
      dozen vertices per pair instead of the few hundred of a street buffer's round caps. The
      clip does not change the part of a buffer inside the parcel, so the result is the same;
      the clipped buffers of a parcel are unioned (pairwise when there are a few), then
      intersected with the parcel once (:func:`parcel_unions`).

    With ``label`` (an int column of ``sources``, e.g. from :func:`service_sources` with a
    ``rem`` matrix) the same for every label at once: the area of each parcel covered by that
    label's sources, per (label, parcel) pair; the unlabelled call is the one-label case.
    ``pairs`` (int64 keys ``label * len(demand) + parcel``) restricts the pairs computed.

    No Python loop over sources, labels or parcels. Metric CRS, metres and m². Gives ``cov``
    only: the arc-error bracket (``arc_error_bound_pp`` of the tables) still comes from
    :func:`geo.coverage.covered_area_bracket`, as :func:`geo.nettable.network_coverage_table` computes it.

    Returns
    -------
    ndarray or DataFrame
        Without ``label``: the covered area per demand polygon (m²). With it: ``label``,
        ``parcel`` (position in ``demand``) and ``covered_m2`` for the pairs where a buffer of
        the label meets the parcel.

    Examples
    --------
    >>> from shapely import LineString, Point, box
    >>> s = gpd.GeoDataFrame({"radius_m": [10.0, 5.0], "label": [0, 1]},
    ...     geometry=[LineString([(0, 0), (100, 0)]), Point(200, 0)], crs="EPSG:4548")
    >>> d = gpd.GeoSeries([box(10, -5, 20, 5), box(50, 5, 60, 25), box(195, 0, 310, 10)],
    ...     crs="EPSG:4548")
    >>> network_covered_area(d, s).round(6).tolist()  # inside, half in, half a disk
    [100.0, 50.0, 39.265966]
    >>> network_covered_area(d, s, label="label").round(6).values.tolist()
    [[0.0, 0.0, 100.0], [0.0, 1.0, 50.0], [1.0, 2.0, 39.265966]]
    """
    darr = _geoms(demand)
    pu = parcel_unions(darr, sources, quad_segs=quad_segs, label=label, pairs=pairs)
    area = np.asarray(shapely.area(darr[pu.parcel]), dtype=np.float64)
    cov = area.copy()
    part = ~pu.full
    cov[part] = shapely.area(shapely.intersection(darr[pu.parcel[part]], pu.union[part]))
    # an overlay can exceed the parcel's own area by rounding; never report more than 100 %
    np.minimum(cov, area, out=cov)
    if label is None:
        out = np.zeros(len(darr))
        out[pu.parcel] = cov
        return out
    return pd.DataFrame({"label": pu.label, "parcel": pu.parcel, "covered_m2": cov})
