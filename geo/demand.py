"""Demand polygons (residential land) made disjoint, so that no area is counted twice."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo._common import (
    _POLYGONAL,
    _geoms,
)


def _polygonal_part(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
    """Drop lines/points left over by overlays; keep (Multi)Polygons (possibly empty)."""
    out = geoms.copy()
    tid = shapely.get_type_id(out)
    coll = tid == 7  # GeometryCollection
    for i in np.flatnonzero(coll):
        parts = shapely.get_parts(out[i])
        parts = parts[np.isin(shapely.get_type_id(parts), _POLYGONAL)]
        out[i] = shapely.union_all(parts) if len(parts) else shapely.Polygon()
    other = ~np.isin(tid, (*_POLYGONAL, 7))
    out[other] = shapely.Polygon()
    return out


def normalise_demand(
    demand: gpd.GeoDataFrame,
    by: str | None = None,
) -> gpd.GeoDataFrame:
    """Make demand polygons disjoint so that no area is counted twice.

    Where polygons overlap, the overlap is kept by exactly one of them and cut from the
    others. Priority is deterministic: rows are ranked by the ``by`` column (ascending, when
    given) and then by their position; a polygon keeps only what no higher-ranked polygon
    already has. Overlaps within a ``by`` group therefore go to the earlier row, and overlaps
    across groups to the group with the smaller key. Attributes are kept unchanged (also
    ``population``: cutting a parcel does not move people); a polygon swallowed entirely by
    higher-ranked ones keeps its row with an empty geometry (area 0). Polygons that merely
    touch are left alone; when nothing overlaps, the input is returned as a copy (fast path, one
    STRtree query).

    Parameters
    ----------
    demand : GeoDataFrame
        Residential polygons (any CRS; areas are compared in it).
    by : str, optional
        Column ranking groups (e.g. ``"subdistrict_code"``).

    Returns
    -------
    GeoDataFrame
        Same rows, index, columns and CRS; geometries disjoint up to rounding.

    Raises
    ------
    ValueError
        If ``by`` is not a column, or on missing/non-polygonal geometries.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> d = gpd.GeoDataFrame({"k": ["b", "a"]},
    ...                      geometry=[box(0, 0, 10, 10), box(5, 0, 15, 10)], crs="EPSG:4548")
    >>> normalise_demand(d).area.tolist()
    [100.0, 50.0]
    >>> normalise_demand(d, by="k").area.tolist()
    [50.0, 100.0]
    """
    if not isinstance(demand, gpd.GeoDataFrame):
        raise ValueError(f"demand: expected a GeoDataFrame, got {type(demand).__name__}")
    if by is not None and by not in demand.columns:
        raise ValueError(f"by={by!r} is not a column of demand")
    arr = _geoms(demand.geometry, "demand", polygonal=True)
    out = demand.copy()
    n = len(arr)
    if n < 2:
        return out
    # rank: position in priority order (0 = highest priority)
    if by is None:
        rank = np.arange(n)
    else:
        keys = pd.Series(demand[by].to_numpy(), dtype=object).fillna("")
        order = np.lexsort((np.arange(n), pd.factorize(keys.astype(str), sort=True)[0]))
        rank = np.empty(n, dtype=np.intp)
        rank[order] = np.arange(n)
    tree = shapely.STRtree(arr)
    a_idx, b_idx = tree.query(arr, predicate="intersects")
    sel = a_idx != b_idx
    a_idx, b_idx = a_idx[sel], b_idx[sel]
    # Interiors can only meet where the bounding boxes overlap with positive area: this drops
    # neighbours that share an edge (a tiling of parcels) without an exact test.
    if len(a_idx):
        bb = shapely.bounds(arr)
        ox = np.minimum(bb[a_idx, 2], bb[b_idx, 2]) - np.maximum(bb[a_idx, 0], bb[b_idx, 0])
        oy = np.minimum(bb[a_idx, 3], bb[b_idx, 3]) - np.maximum(bb[a_idx, 1], bb[b_idx, 1])
        keep = (ox > 0) & (oy > 0)
        a_idx, b_idx = a_idx[keep], b_idx[keep]
    # interiors intersect <=> intersects and not merely touching
    if len(a_idx):
        inter = ~shapely.touches(arr[a_idx], arr[b_idx])
        a_idx, b_idx = a_idx[inter], b_idx[inter]
    # each loser a is cut by winners b (rank[b] < rank[a])
    lose = rank[b_idx] < rank[a_idx]
    a_idx, b_idx = a_idx[lose], b_idx[lose]
    if len(a_idx) == 0:
        return out
    order = np.argsort(a_idx, kind="stable")
    a_idx, b_idx = a_idx[order], b_idx[order]
    uniq, start, counts = np.unique(a_idx, return_index=True, return_counts=True)
    width = int(counts.max())
    grid = np.full((len(uniq), width), None, dtype=object)
    rows = np.repeat(np.arange(len(uniq)), counts)
    cols = np.arange(len(a_idx)) - np.repeat(start, counts)
    grid[rows, cols] = arr[b_idx]
    cutters = shapely.union_all(grid, axis=1)
    new = arr.copy()
    new[uniq] = _polygonal_part(np.asarray(shapely.difference(arr[uniq], cutters), dtype=object))
    out[demand.geometry.name] = gpd.GeoSeries(new, index=demand.index, crs=demand.crs)
    return out
