"""Spatial partitions of parcels, their bounding boxes, and the park halo of each partition.

:func:`spatial_partition` sorts rows by Hilbert distance (optionally by city first) and cuts
partitions of equal row count; :func:`partition_boxes` gives each partition's bounding box;
:func:`halo_index` selects, per box, the parks whose service-area envelope (park bounds grown by
the reach) meets it. Coordinates and reaches are in metres of the inputs' projected CRS.
"""

from __future__ import annotations

from typing import Literal

import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.partition_checks import FloatArray, _need_columns

__all__ = ["halo_index", "partition_boxes", "spatial_partition"]


def _hilbert(gdf: gpd.GeoDataFrame) -> NDArray[np.int64]:
    """Hilbert distance (level 16, dask-geopandas) of each row; empty geometries get 0."""
    g = np.asarray(gdf.geometry.values, dtype=object)
    ok = ~shapely.is_empty(g)
    out = np.zeros(len(g), dtype=np.int64)
    if ok.any():
        sub = gpd.GeoDataFrame(geometry=gpd.GeoSeries(g[ok], crs=gdf.crs))
        dist = dask_geopandas.from_geopandas(sub, npartitions=1).hilbert_distance()
        out[ok] = np.asarray(dist.compute(scheduler="synchronous"), dtype=np.int64)
    return out


def _boxes_of_chunks(g: NDArray[np.object_], starts: NDArray[np.intp]) -> FloatArray:
    """Bounding box of each run ``g[starts[i]:starts[i+1]]`` (NaN for all-empty runs)."""
    b = shapely.bounds(g)
    n = len(starts) - 1
    out = np.full((n, 4), np.nan)
    for i in range(n):  # one vectorised reduction per partition
        chunk = b[starts[i] : starts[i + 1]]
        if len(chunk) and not np.isnan(chunk).all():
            out[i] = (
                np.nanmin(chunk[:, 0]),
                np.nanmin(chunk[:, 1]),
                np.nanmax(chunk[:, 2]),
                np.nanmax(chunk[:, 3]),
            )
    return out


def spatial_partition(
    gdf: gpd.GeoDataFrame,
    npartitions: int,
    *,
    how: Literal["hilbert", "city"] = "hilbert",
    city_col: str = "city_code",
) -> dask_geopandas.GeoDataFrame:
    """Sort rows spatially and cut them into ``npartitions`` partitions of equal row count.

    ``how="hilbert"``: by the Hilbert distance of each geometry's bounds midpoint (level 16,
    as :meth:`dask_geopandas.GeoDataFrame.hilbert_distance`). ``how="city"``: by ``city_col``
    first, then Hilbert distance, so partitions follow city boundaries where cities are large
    enough. The result carries ``spatial_partitions`` (each partition's bounding box).

    Parameters
    ----------
    gdf : GeoDataFrame
        Rows to partition (any CRS).
    npartitions : int
        Number of partitions (>= 1; fewer if ``gdf`` has fewer rows).
    how : {"hilbert", "city"}
        Sort order.
    city_col : str
        City column for ``how="city"``.

    Returns
    -------
    dask_geopandas.GeoDataFrame
        The sorted rows (new RangeIndex) with ``spatial_partitions`` set.

    Raises
    ------
    ValueError
        On a bad ``npartitions`` or ``how``, or a missing ``city_col``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> g = gpd.GeoDataFrame(geometry=[box(i, 0, i + 1, 1) for i in (5, 0, 9, 1)],
    ...                      crs="EPSG:4548")
    >>> d = spatial_partition(g, 2)
    >>> d.npartitions, d.spatial_partitions.total_bounds.tolist()
    (2, [0.0, 0.0, 10.0, 1.0])
    """
    if isinstance(npartitions, bool) or not isinstance(npartitions, int) or npartitions < 1:
        raise ValueError(f"npartitions must be a positive integer, got {npartitions!r}")
    if how not in ("hilbert", "city"):
        raise ValueError(f"how must be 'hilbert' or 'city', got {how!r}")
    h = _hilbert(gdf)
    if how == "city":
        _need_columns(list(gdf.columns), [city_col], "residential")
        keys = pd.factorize(gdf[city_col].astype(str), sort=True)[0]
        order = np.lexsort((np.arange(len(gdf)), h, keys))
    else:
        order = np.lexsort((np.arange(len(gdf)), h))
    srt = gdf.iloc[order].reset_index(drop=True)
    n = max(1, min(npartitions, len(srt)))
    ddf = dask_geopandas.from_geopandas(srt, npartitions=n, sort=True)
    divisions = np.asarray(ddf.divisions, dtype=np.int64)
    starts = divisions.copy()
    starts[-1] = len(srt)
    boxes = _boxes_of_chunks(np.asarray(srt.geometry.values, dtype=object), starts)
    ddf.spatial_partitions = gpd.GeoSeries(
        shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]), crs=gdf.crs
    )
    return ddf


def _bounds_frame(df: gpd.GeoDataFrame) -> pd.DataFrame:
    b = shapely.bounds(np.asarray(df.geometry.values, dtype=object))
    if len(b) == 0 or np.isnan(b).all():
        vals = [np.nan] * 4
    else:
        vals = [
            np.nanmin(b[:, 0]),
            np.nanmin(b[:, 1]),
            np.nanmax(b[:, 2]),
            np.nanmax(b[:, 3]),
        ]
    return pd.DataFrame([vals], columns=["minx", "miny", "maxx", "maxy"])


def partition_boxes(ddf: dask_geopandas.GeoDataFrame) -> FloatArray:
    """Bounding box ``(minx, miny, maxx, maxy)`` of each partition, shape ``(npartitions, 4)``.

    Taken from ``ddf.spatial_partitions`` when set (e.g. by :func:`spatial_partition`, or by
    :func:`dask_geopandas.read_parquet` from the GeoParquet ``bbox`` metadata); otherwise one
    pass over the data computes them. Empty partitions get NaN. Partition tasks check that
    their data lies inside the recorded box, so stale metadata fails loudly.

    Parameters
    ----------
    ddf : dask_geopandas.GeoDataFrame
        Partitioned geometries.

    Returns
    -------
    numpy.ndarray
        ``float64`` array of shape ``(npartitions, 4)``, metres in ``ddf``'s CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(5, 5, 6, 6)], crs="EPSG:4548")
    >>> partition_boxes(spatial_partition(g, 2)).tolist()
    [[0.0, 0.0, 1.0, 1.0], [5.0, 5.0, 6.0, 6.0]]
    """
    sp = ddf.spatial_partitions
    if sp is not None and len(sp) == ddf.npartitions:
        b = np.asarray(shapely.bounds(np.asarray(sp.values, dtype=object)), dtype=np.float64)
        return b.reshape(-1, 4)
    meta = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in ("minx", "miny", "maxx", "maxy")})
    frame = ddf.map_partitions(_bounds_frame, meta=meta).compute()
    return np.asarray(frame.to_numpy(dtype=np.float64)).reshape(-1, 4)


def _reach_bounds_frame(df: gpd.GeoDataFrame, radius_col: str, factor: float) -> pd.DataFrame:
    """Bounds of one park partition grown by each park's (clipped, finite) radius."""
    r = pd.to_numeric(df[radius_col], errors="coerce").to_numpy(dtype=np.float64)
    r = np.where(np.isfinite(r) & (r > 0), r, 0.0) * factor
    b = np.asarray(shapely.bounds(np.asarray(df.geometry.values, dtype=object))).reshape(-1, 4)
    b = b.copy()
    b[:, :2] -= r[:, None]
    b[:, 2:] += r[:, None]
    g = gpd.GeoDataFrame(geometry=shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3]))
    return _bounds_frame(g)


def _reach_boxes(parks: gpd.GeoDataFrame, reach: FloatArray) -> FloatArray:
    b = np.asarray(shapely.bounds(np.asarray(parks.geometry.values, dtype=object)))
    b = b.reshape(-1, 4).copy()
    b[:, :2] -= reach[:, None]
    b[:, 2:] += reach[:, None]
    return b


def halo_index(
    boxes: FloatArray,
    parks: gpd.GeoDataFrame,
    reach: FloatArray,
) -> list[NDArray[np.intp]]:
    """Positions of the parks in each partition's halo.

    Park ``j`` is in the halo of partition ``i`` when the park's bounds grown by ``reach[j]``
    (its service radius, or more) intersect box ``i``; the buffer of a park at radius ``r`` lies
    inside that grown envelope, so no park whose service area meets a parcel of the partition
    is missed. One :class:`shapely.STRtree` query for all partitions.

    Parameters
    ----------
    boxes : numpy.ndarray
        ``(n, 4)`` partition bounding boxes (NaN rows: empty partitions, empty halo).
    parks : GeoDataFrame
        Parks, in the partitions' CRS.
    reach : numpy.ndarray
        Per-park reach (m), ``>= 0``.

    Returns
    -------
    list of numpy.ndarray
        For each partition, sorted positions into ``parks``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> parks = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(2000, 0)], crs="EPSG:4548")
    >>> boxes = np.array([[600.0, 0.0, 700.0, 10.0], [1450.0, 0.0, 1460.0, 1.0]])
    >>> [h.tolist() for h in halo_index(boxes, parks, np.array([500.0, 600.0]))]
    [[], [1]]
    """
    n = len(boxes)
    out: list[NDArray[np.intp]] = [np.zeros(0, dtype=np.intp) for _ in range(n)]
    if len(parks) == 0 or n == 0:
        return out
    env = _reach_boxes(parks, reach)
    ok = ~np.isnan(env).any(axis=1)  # empty park geometries serve nothing
    tree = shapely.STRtree(shapely.box(env[ok, 0], env[ok, 1], env[ok, 2], env[ok, 3]))
    valid = ~np.isnan(boxes).any(axis=1)
    qboxes = shapely.box(boxes[valid, 0], boxes[valid, 1], boxes[valid, 2], boxes[valid, 3])
    q_idx, t_idx = tree.query(qboxes, predicate="intersects")
    park_pos = np.flatnonzero(ok)[t_idx]
    part_pos = np.flatnonzero(valid)[q_idx]
    order = np.lexsort((park_pos, part_pos))
    part_pos, park_pos = part_pos[order], park_pos[order]
    cuts = np.searchsorted(part_pos, np.arange(n + 1))
    for i in range(n):
        out[i] = park_pos[cuts[i] : cuts[i + 1]].astype(np.intp)
    return out
