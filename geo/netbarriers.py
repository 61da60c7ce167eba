"""Barriers to walking: railways, rivers and canals, motorways and trunk roads (issue 12).

Network rules
    :func:`walkable_mask` forbids (a) street edges that cross a barrier line unless the edge is
    a bridge or a tunnel, and (b) motorway and trunk edges themselves (their ``*_link`` ramps
    stay walkable). Crossings at grade keep working: a street that meets a trunk road at a shared
    node walks through that node even though the trunk edges are gone. Barrier lines are the
    barrier layer's rows that are not in a tunnel or culvert, plus the motorway/trunk edges that
    are not bridges or tunnels (a street under a viaduct passes).

Euclidean rules (Berlin Umweltatlas 06.05 style)
    :func:`cut_by_barriers` splits each service area (a park buffer) along the barrier lines and
    keeps the pieces that touch the park. Bridges are not modelled there (the network rules do
    that); the barrier lines are widened by ``gap_m`` / 2 on each side to split the polygon.

All in the study area's metric CRS (metres).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.netgraph import StreetGraph, flag, subgraph

__all__ = [
    "BARRIER_HIGHWAYS",
    "BARRIER_LINE_KINDS",
    "apply_barriers",
    "barrier_geometries",
    "cut_by_barriers",
    "walkable_mask",
]

#: Road classes that are barriers (not walkable, not crossable except at crossings and links).
BARRIER_HIGHWAYS: tuple[str, ...] = ("motorway", "trunk")
#: Kinds of barrier-layer rows used as barrier lines. Motorways and trunk roads come from the street
#: graph's own ``highway`` tags instead (same edges, shared crossing nodes); water areas are left
#: out (lake shores drawn a metre off the street would cut shore roads).
BARRIER_LINE_KINDS: tuple[str, ...] = ("rail", "river", "canal")


def _is_barrier_highway(highway: pd.Series) -> NDArray[np.bool_]:
    """Highway tags naming only motorway/trunk (lists from simplified OSMnx edges included)."""
    txt = highway.astype(str).str.lower()
    words = txt.str.findall(r"[a-z_]+")
    return np.array([bool(w) and all(x in BARRIER_HIGHWAYS for x in w) for w in words], dtype=bool)


def barrier_geometries(
    barriers: gpd.GeoDataFrame | gpd.GeoSeries | None,
    kinds: tuple[str, ...] = BARRIER_LINE_KINDS,
    water: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    water_tolerance_m: float = 15.0,
) -> NDArray[np.object_]:
    """Barrier lines/polygons of a barrier layer, without the parts in tunnels or on bridges.

    Rows with a truthy ``tunnel`` (``yes``, ``culvert``, ...) or ``bridge`` column are left out
    (streets pass over or under them); with a ``kind`` column, only rows of ``kinds``.

    With ``water`` (water-area polygons), river and canal lines are kept only where they run
    within ``water_tolerance_m`` of open water: a waterway line with no water area around it is
    culverted or underground (Beijing's 前三门护城河 runs under 前三门大街) even when the extract
    has no ``tunnel`` tag (BBBike shapefiles have none), and streets cross it at grade.

    >>> from shapely import LineString
    >>> b = gpd.GeoDataFrame({"tunnel": [None, "yes"]},
    ...     geometry=[LineString([(0, 0), (1, 0)]), LineString([(0, 1), (1, 1)])], crs="EPSG:4548")
    >>> len(barrier_geometries(b))
    1
    """
    if barriers is None or len(barriers) == 0:
        return np.empty(0, dtype=object)
    if isinstance(barriers, gpd.GeoSeries):
        g = np.asarray(barriers.values, dtype=object)
        keep = np.ones(len(g), dtype=bool)
    else:
        g = np.asarray(barriers.geometry.values, dtype=object)
        keep = ~flag(barriers["tunnel"] if "tunnel" in barriers.columns else None, len(g))
        keep &= ~flag(barriers["bridge"] if "bridge" in barriers.columns else None, len(g))
        if "kind" in barriers.columns:
            keep &= barriers["kind"].isin(kinds).to_numpy()
    keep &= ~(shapely.is_missing(g) | shapely.is_empty(g))
    if water is not None and isinstance(barriers, gpd.GeoDataFrame) and "kind" in barriers.columns:
        wg = np.asarray(
            water.geometry.values if isinstance(water, gpd.GeoDataFrame) else water.values,
            dtype=object,
        )
        wg = wg[~(shapely.is_missing(wg) | shapely.is_empty(wg))]
        wet = barriers["kind"].isin(["river", "canal"]).to_numpy() & keep
        if wet.any():
            near = (
                shapely.union_all(shapely.buffer(wg, water_tolerance_m, quad_segs=2))
                if len(wg)
                else shapely.Polygon()
            )
            g = g.copy()
            g[wet] = shapely.intersection(g[wet], near)
            keep &= ~(shapely.is_missing(g) | shapely.is_empty(g))
    return g[keep]


def walkable_mask(
    graph: StreetGraph,
    barriers: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    *,
    forbid_highways: bool = True,
    water: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> tuple[NDArray[np.bool_], dict[str, int]]:
    """Which edges a pedestrian may use.

    Parameters
    ----------
    graph : StreetGraph
    barriers : GeoDataFrame or GeoSeries, optional
        Railway / river / canal lines (or water polygons), metric CRS; optional ``tunnel``.
    forbid_highways : bool
        Motorway and trunk edges are barriers.
    water : GeoDataFrame or GeoSeries, optional
        Water areas: river/canal lines away from open water are not barriers (see
        :func:`barrier_geometries`).

    Returns
    -------
    mask : ndarray of bool
        True for walkable edges.
    counts : dict
        ``highway_edges`` (motorway/trunk removed), ``crossing_edges`` (removed for crossing a
        barrier without bridge/tunnel), ``bridge_or_tunnel_kept``.

    Examples
    --------
    >>> from shapely import LineString
    >>> from geo.netgraph import build_graph
    >>> e = gpd.GeoDataFrame({"u": [0, 2], "v": [1, 3], "bridge": [None, "yes"]},
    ...     geometry=[LineString([(0, -5), (0, 5)]), LineString([(10, -5), (10, 5)])],
    ...     crs="EPSG:4548")
    >>> river = gpd.GeoSeries([LineString([(-20, 0), (20, 0)])], crs="EPSG:4548")
    >>> m, c = walkable_mask(build_graph(e), river)
    >>> m.tolist(), c["crossing_edges"]
    ([False, True], 1)
    """
    e = graph.edges
    n = len(e)
    lines = graph.lines()
    bt = e["bridge"].to_numpy(dtype=bool) | e["tunnel"].to_numpy(dtype=bool)
    hw = (
        _is_barrier_highway(e["highway"])
        if forbid_highways and "highway" in e.columns
        else np.zeros(n, dtype=bool)
    )
    bar = barrier_geometries(barriers, water=water)
    hw_lines = lines[hw & ~bt]
    allbar = np.concatenate([bar, hw_lines]).astype(object)
    cross = np.zeros(n, dtype=bool)
    if len(allbar) and n:
        tree = shapely.STRtree(allbar)
        ei, bj = tree.query(lines, predicate="intersects")
        if len(ei):
            bg = allbar[bj]
            poly = np.isin(shapely.get_type_id(bg), (3, 6))
            # a line barrier is crossed when the street passes through it (not just touches
            # it at an end); a polygon barrier (water area) when the street enters its interior
            hit = np.where(
                poly,
                shapely.relate_pattern(lines[ei], bg, "T********"),
                shapely.crosses(lines[ei], bg),
            )
            cross[np.unique(ei[hit])] = True
    cross_removed = cross & ~bt & ~hw
    mask = ~(hw | cross_removed)
    counts = {
        "highway_edges": int(hw.sum()),
        "crossing_edges": int(cross_removed.sum()),
        "bridge_or_tunnel_kept": int((cross & bt & ~hw).sum()),
    }
    return mask, counts


def apply_barriers(
    graph: StreetGraph,
    barriers: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    *,
    forbid_highways: bool = True,
    water: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> StreetGraph:
    """The walking graph with the barrier rules applied (see :func:`walkable_mask`)."""
    mask, c = walkable_mask(graph, barriers, forbid_highways=forbid_highways, water=water)
    note = (
        f"barriers: {c['highway_edges']} motorway/trunk edge(s) and {c['crossing_edges']} edge(s) "
        f"crossing a railway/river/canal removed; {c['bridge_or_tunnel_kept']} bridge/tunnel "
        "crossing(s) kept"
    )
    return subgraph(graph, mask, note)


def cut_by_barriers(
    service_areas: NDArray[np.object_] | gpd.GeoSeries,
    parks: NDArray[np.object_] | gpd.GeoSeries,
    barriers: gpd.GeoDataFrame | gpd.GeoSeries | None,
    *,
    gap_m: float = 0.1,
) -> NDArray[np.object_]:
    """Each service area split along the barrier lines, keeping the pieces that touch its park.

    Parameters
    ----------
    service_areas, parks : arrays of geometries, same length
        Park buffers and the parks (metric CRS).
    barriers : GeoDataFrame or GeoSeries
        Barrier lines (see :func:`barrier_geometries`).
    gap_m : float
        Width (m) of the cut along each barrier line.

    Returns
    -------
    ndarray of (Multi)Polygon

    Examples
    --------
    >>> from shapely import LineString, Point
    >>> sa = shapely.buffer(np.array([Point(0, 0)]), 100.0)
    >>> river = gpd.GeoSeries([LineString([(-200, 50), (200, 50)])], crs="EPSG:4548")
    >>> cut = cut_by_barriers(sa, np.array([Point(0, 0)]), river)
    >>> bool(cut[0].bounds[3] < 50), bool(cut[0].area < sa[0].area)
    (True, True)
    """
    sa = np.asarray(service_areas, dtype=object)
    pk = np.asarray(parks, dtype=object)
    bar = barrier_geometries(barriers)
    if len(bar) == 0 or len(sa) == 0:
        return sa
    tree = shapely.STRtree(bar)
    si, bj = tree.query(sa, predicate="intersects")
    if len(si) == 0:
        return sa
    out = sa.copy()
    cut_lines = shapely.buffer(bar, gap_m / 2.0, quad_segs=1)
    blade = pd.Series(cut_lines[bj]).groupby(si).agg(lambda x: shapely.union_all(x.to_numpy()))
    idx = blade.index.to_numpy()
    pieces, k = shapely.get_parts(shapely.difference(sa[idx], blade.to_numpy()), return_index=True)
    touch = shapely.dwithin(pieces, pk[idx][k], gap_m)
    kept = pd.Series(pieces[touch]).groupby(k[touch]).agg(lambda x: shapely.union_all(x.to_numpy()))
    res = np.array([shapely.Polygon()] * len(idx), dtype=object)
    res[kept.index.to_numpy()] = kept.to_numpy()
    out[idx] = res
    return out
