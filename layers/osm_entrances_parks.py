"""Entrance points against parks: which park a point is a gate of, and whether the park is fenced.

All distances in metres, measured in the study area's metric CRS; inputs and outputs keep their own
CRS (fences and buildings as EPSG:4326 lines). Vectorised with STRtree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.repair import Tally

__all__ = ["attach_to_parks", "drop_open_park_gates", "fenced_share"]


def fenced_share(
    parks: gpd.GeoDataFrame, fences: np.ndarray, metric_crs: str, tolerance_m: float
) -> pd.Series:
    """Share (0–1) of each park's boundary within ``tolerance_m`` (m) of a fence/wall line.

    ``fences`` in EPSG:4326; measured in ``metric_crs``. Indexed by ``park_id``.

    >>> from shapely import LineString, box
    >>> p = gpd.GeoDataFrame({"park_id": ["a"]}, geometry=[box(0, 0, 100, 100)], crs="EPSG:4548")
    >>> f = gpd.GeoSeries([LineString([(0, -1), (100, -1)])], crs="EPSG:4548").to_crs("EPSG:4326")
    >>> round(float(fenced_share(p, f.values, "EPSG:4548", 3.0)["a"]), 6)  # (100 + 2 + 2) / 400
    0.26
    """
    pm = parks.to_crs(metric_crs)
    bnd = shapely.boundary(np.asarray(pm.geometry.values, dtype=object))
    ids = pm["park_id"].astype(str).to_numpy()
    share = np.zeros(len(bnd))
    if len(fences):
        fm = np.asarray(gpd.GeoSeries(fences, crs="EPSG:4326").to_crs(metric_crs).values)
        zones = shapely.buffer(fm, tolerance_m, quad_segs=4)
        pi, fj = shapely.STRtree(zones).query(bnd, predicate="intersects")
        for i in np.unique(pi):  # parks with a fence nearby: union their fence zones once
            zone = shapely.union_all(zones[fj[pi == i]])
            share[i] = shapely.length(shapely.intersection(bnd[i], zone)) / shapely.length(bnd[i])
    return pd.Series(share, index=ids)


def attach_to_parks(
    entrances: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    metric_crs: str,
    rule: Mapping[str, Any],
    *,
    buildings: np.ndarray | None = None,
    tally: Tally | None = None,
) -> gpd.GeoDataFrame:
    """Entrances within ``max_boundary_distance_m`` of a park boundary, with that park's ``park_id``.

    Points within ``building_tolerance_m`` of a building outline (``buildings``, EPSG:4326 lines)
    are dropped first: they are doors. Distances in ``metric_crs`` (m). Vectorised (STRtree).

    >>> from shapely import Point, box
    >>> from layers.osm_entrances_tags import entrance_rule
    >>> parks = gpd.GeoDataFrame({"park_id": ["p"]}, geometry=[box(0, 0, 100, 100)], crs="EPSG:4548")
    >>> e = gpd.GeoDataFrame({"entrance_id": ["on", "far", "in"]},
    ...     geometry=[Point(100, 50), Point(150, 50), Point(50, 50)], crs="EPSG:4548")
    >>> attach_to_parks(e, parks, "EPSG:4548", entrance_rule())[["entrance_id", "park_id"]].values.tolist()
    [['on', 'p']]
    """
    tally = tally if tally is not None else Tally("entrances")
    em = np.asarray(entrances.to_crs(metric_crs).geometry.values, dtype=object)
    keep = np.ones(len(em), dtype=bool)
    tol = float(rule.get("building_tolerance_m", 0.5))
    if buildings is not None and len(buildings) and len(em):
        bm = np.asarray(gpd.GeoSeries(buildings, crs="EPSG:4326").to_crs(metric_crs).values)
        (ei, _bj) = shapely.STRtree(bm).query(em, predicate="dwithin", distance=tol)
        door = np.zeros(len(em), dtype=bool)
        door[ei] = True
        ids = entrances["entrance_id"].astype(str).to_numpy()[door]
        tally.drop(int(door.sum()), f"on a building outline (within {tol:g} m): a door", ids)
        keep &= ~door
    pm = parks.to_crs(metric_crs)
    pg = np.asarray(pm.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(pg) | shapely.is_empty(pg))
    bnd = shapely.boundary(pg[ok])
    pids = pm["park_id"].astype(str).to_numpy(dtype=object)[ok]
    park = np.full(len(em), None, dtype=object)
    maxd = float(rule.get("max_boundary_distance_m", 5.0))
    if len(bnd) and keep.any():
        cand = np.flatnonzero(keep)
        (ei, pj), _d = shapely.STRtree(bnd).query_nearest(
            em[cand], max_distance=maxd, return_distance=True, all_matches=False
        )
        park[cand[ei]] = pids[pj]
    far = keep & pd.isna(park)
    tally.drop(int(far.sum()), f"not within {maxd:g} m of a park boundary")
    keep &= ~far
    out = entrances[keep].copy()
    out["park_id"] = park[keep]
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=entrances.crs)


def drop_open_park_gates(
    attached: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    fences: np.ndarray,
    metric_crs: str,
    rule: Mapping[str, Any],
    tally: Tally,
) -> gpd.GeoDataFrame:
    """``attached`` (:func:`attach_to_parks` output) without the gates of unfenced parks.

    A park counts as fenced when ``fences`` (EPSG:4326 lines) run along at least ``fenced_min_share``
    of its boundary, within ``fence_tolerance_m`` (m, in ``metric_crs``); an open park keeps its
    streets and pseudo-entrances instead. Drops and notes go to ``tally``.
    """
    with_gate = parks[parks["park_id"].astype(str).isin(set(attached["park_id"].astype(str)))]
    share = fenced_share(with_gate, fences, metric_crs, float(rule.get("fence_tolerance_m", 3.0)))
    need = float(rule.get("fenced_min_share", 0.5))
    open_parks = sorted(share.index[share < need])
    drop = attached["park_id"].astype(str).isin(open_parks).to_numpy()
    tally.drop(
        int(drop.sum()),
        f"gate of a park fenced along less than {need:.0%} of its boundary (an open park: "
        f"its streets reach it anyway): {', '.join(open_parks[:8])}",
    )
    for pid in sorted(share.index[share >= need]):
        tally.note(f"{pid}: fenced along {share[pid]:.0%} of its boundary, entrances only")
    return attached[~drop].reset_index(drop=True)
