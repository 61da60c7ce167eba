"""One multi-source shortest-path run from all park access points, and the reached street portions.

Method (issue 12)
    Every access point (:mod:`geo.netaccess`) is inserted as a virtual node by splitting its edge
    (vectorised: one sort of all break points). A super-source ``S`` gets a one-way edge to every
    access node with weight ``offset + (R_max - R_park)``: the distance already walked to the
    point, plus the difference between the largest service radius and the park's own. One call of
    :func:`scipy.sparse.csgraph.dijkstra` from ``S`` with ``limit = R_max`` then gives, for every
    node, ``d = min over parks (network distance + R_max - R_park)``, so the *remaining distance*
    ``R_max - d = max over parks (R_park - network distance)`` serves all radius tiers in one run
    (equivalent to one run per tier followed by a union; ``min_only`` of csgraph cannot carry the
    offsets, the super-source can). No Python loop over parks or nodes.

    On an edge piece from node ``a`` to node ``b`` of length ``L`` with remaining distances
    ``r_a``, ``r_b``, the point at ``x`` from ``a`` has remaining distance
    ``max(r_a - x, r_b - (L - x))``. :func:`reached_pieces` cuts every piece at the exact position
    where that falls below a threshold, with a vectorised substring (:func:`substrings`).

Units: metres, in the graph's metric CRS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.sparse import csgraph

from geo.netaccess import AccessPoints
from geo.netgraph import StreetGraph, edge_matrix

__all__ = ["Reach", "network_reach", "reached_pieces", "substrings"]

#: Constant added to the super-source edges (m) so that a zero offset is not read as "no edge";
#: subtracted again from the distances.
_BASE = 1.0
#: Access points this close (m) to an edge end are put on the end node.
_END_TOL = 1e-9


@dataclass
class Reach:
    """Remaining walking distance on the split graph.

    Attributes
    ----------
    graph : StreetGraph
        The graph searched.
    node_xy : ndarray (n, 2)
        Coordinates of the original nodes followed by the virtual (access) nodes.
    rem : ndarray (n,)
        Remaining distance (m) at each node: ``max over parks (R_park - distance)``; ``-inf`` where
        not reached.
    dist_park : ndarray (n,)
        ``R_max - rem``: the network distance when every park has radius ``R_max`` (m).
    seg_edge, seg_a, seg_b : ndarray of intp
        Pieces of the split edges: original edge row, end node positions.
    seg_t0, seg_t1 : ndarray of float
        Positions of the piece along the original edge (m from its ``u`` end).
    r_max : float
        Largest service radius (m).
    n_sources : int
        Access nodes used as sources.
    """

    graph: StreetGraph
    node_xy: NDArray[np.float64]
    rem: NDArray[np.float64]
    seg_edge: NDArray[np.intp]
    seg_a: NDArray[np.intp]
    seg_b: NDArray[np.intp]
    seg_t0: NDArray[np.float64]
    seg_t1: NDArray[np.float64]
    r_max: float
    n_sources: int

    @property
    def node_distance(self) -> NDArray[np.float64]:
        """Network distance (m) to the original nodes when all parks have radius ``r_max``."""
        return (self.r_max - self.rem)[: self.graph.n_nodes]


def network_reach(
    graph: StreetGraph,
    access: AccessPoints,
    park_radius: ArrayLike,
) -> Reach:
    """Remaining walking distance from all access points at once (one Dijkstra run).

    Parameters
    ----------
    graph : StreetGraph
    access : AccessPoints
        From :func:`geo.netaccess.access_points`; ``access.park`` indexes ``park_radius``.
    park_radius : array-like of float
        Service radius (m) per park.

    Returns
    -------
    Reach

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString
    >>> from geo.netgraph import build_graph
    >>> e = gpd.GeoDataFrame({"u": [0, 1], "v": [1, 2]},
    ...     geometry=[LineString([(0, 0), (100, 0)]), LineString([(100, 0), (300, 0)])],
    ...     crs="EPSG:4548")
    >>> g = build_graph(e)
    >>> ap = AccessPoints(np.array([0]), np.array([0]), np.array([40.0]), np.array([5.0]),
    ...     np.array(["pseudo"], dtype=object))
    >>> r = network_reach(g, ap, [150.0])
    >>> r.node_distance.tolist()  # 5 m snap leg + 40 m / 60 m / 260 m along the street
    [45.0, 65.0, inf]
    """
    radius = np.asarray(park_radius, dtype=float)
    n0 = graph.n_nodes
    edges = graph.edges
    eu = edges["u"].to_numpy(dtype=np.intp)
    ev = edges["v"].to_numpy(dtype=np.intp)
    el = edges["length"].to_numpy(dtype=float)
    r_max = float(np.nanmax(radius)) if len(radius) else 0.0
    w = access.offset + (r_max - radius[access.park]) if len(access) else np.empty(0)
    ok = np.isfinite(w) & (w <= r_max)
    a_edge, a_t, w = access.edge[ok], np.clip(access.t[ok], 0.0, el[access.edge[ok]]), w[ok]

    at_u = a_t <= _END_TOL
    at_v = ~at_u & (a_t >= el[a_edge] - _END_TOL)
    virt = ~(at_u | at_v)
    src_node = np.where(at_u, eu[a_edge], ev[a_edge]).astype(np.intp)
    # virtual nodes: one per distinct (edge, t)
    vkey = pd.MultiIndex.from_arrays([a_edge[virt], a_t[virt]])
    vcode, vuniq = pd.factorize(vkey, sort=True)
    nv = len(vuniq)
    src_node[virt] = n0 + vcode
    v_edge = vuniq.get_level_values(0).to_numpy(dtype=np.intp) if nv else np.empty(0, np.intp)
    v_t = vuniq.get_level_values(1).to_numpy(dtype=float) if nv else np.empty(0)
    v_xy = (
        shapely.get_coordinates(shapely.line_interpolate_point(graph.lines()[v_edge], v_t))
        if nv
        else np.empty((0, 2))
    )

    # split the edges that carry virtual nodes: sort all break points of those edges
    split = np.zeros(len(edges), dtype=bool)
    split[v_edge] = True
    se = np.flatnonzero(split)
    bp_e = np.concatenate([se, se, v_edge])
    bp_t = np.concatenate([np.zeros(len(se)), el[se], v_t])
    bp_n = np.concatenate([eu[se], ev[se], n0 + np.arange(nv)])
    # the end break point sorts last even when a virtual node has the same t
    bp_o = np.concatenate([np.zeros(len(se)), np.full(len(se), 2), np.ones(nv)])
    order = np.lexsort((bp_o, bp_t, bp_e))
    bp_e, bp_t, bp_n = bp_e[order], bp_t[order], bp_n[order]
    same = bp_e[1:] == bp_e[:-1]
    keep = np.flatnonzero(~split)
    seg_edge = np.concatenate([keep, bp_e[:-1][same]]).astype(np.intp)
    seg_a = np.concatenate([eu[keep], bp_n[:-1][same]]).astype(np.intp)
    seg_b = np.concatenate([ev[keep], bp_n[1:][same]]).astype(np.intp)
    seg_t0 = np.concatenate([np.zeros(len(keep)), bp_t[:-1][same]])
    seg_t1 = np.concatenate([el[keep], bp_t[1:][same]])

    n = n0 + nv + 1
    s = n - 1
    m = edge_matrix(seg_a, seg_b, seg_t1 - seg_t0, n)
    sw = pd.Series(w + _BASE).groupby(src_node).min()
    m_src = sparse.csr_matrix(
        (sw.to_numpy(), (np.full(len(sw), s), sw.index.to_numpy())), shape=(n, n)
    )
    if len(sw):
        dist = csgraph.dijkstra(m + m_src, directed=True, indices=s, limit=r_max + _BASE)
        dist = np.asarray(dist, dtype=float)[: n - 1] - _BASE
    else:
        dist = np.full(n - 1, np.inf)
    rem = np.where(np.isfinite(dist), r_max - dist, -np.inf)
    return Reach(
        graph=graph,
        node_xy=np.concatenate([graph.node_xy, v_xy]),
        rem=rem,
        seg_edge=seg_edge,
        seg_a=seg_a,
        seg_b=seg_b,
        seg_t0=seg_t0,
        seg_t1=seg_t1,
        r_max=r_max,
        n_sources=len(sw),
    )


def substrings(lines: ArrayLike, start: ArrayLike, end: ArrayLike) -> NDArray[np.object_]:
    """Vectorised ``shapely.ops.substring``: the part of each line between two distances (m).

    Parameters
    ----------
    lines : array of LineString
    start, end : array of float
        Distances along each line, ``0 <= start < end <= length``.

    Returns
    -------
    ndarray of LineString

    Examples
    --------
    >>> from shapely import LineString
    >>> l = LineString([(0, 0), (10, 0), (10, 10)])
    >>> [g.wkt for g in substrings([l, l], [5.0, 0.0], [15.0, 20.0])]
    ['LINESTRING (5 0, 10 0, 10 5)', 'LINESTRING (0 0, 10 0, 10 10)']
    """
    ln = np.asarray(lines, dtype=object)
    s0 = np.asarray(start, dtype=float)
    s1 = np.asarray(end, dtype=float)
    if len(ln) == 0:
        return np.empty(0, dtype=object)
    xy, idx = shapely.get_coordinates(ln, return_index=True)
    step = np.hypot(*np.diff(xy, axis=0).T)
    step[idx[1:] != idx[:-1]] = 0.0
    cum = np.concatenate([[0.0], np.cumsum(step)])
    first = np.searchsorted(idx, np.arange(len(ln)))
    cum = cum - cum[first[idx]]
    inner = (cum > s0[idx]) & (cum < s1[idx])
    p0 = shapely.get_coordinates(shapely.line_interpolate_point(ln, s0))
    p1 = shapely.get_coordinates(shapely.line_interpolate_point(ln, s1))
    k = np.arange(len(ln))
    all_xy = np.concatenate([p0, xy[inner], p1])
    all_k = np.concatenate([k, idx[inner], k])
    all_o = np.concatenate([np.full(len(ln), -np.inf), cum[inner], np.full(len(ln), np.inf)])
    order = np.lexsort((all_o, all_k))
    return np.asarray(shapely.linestrings(all_xy[order], indices=all_k[order]), dtype=object)


def reached_pieces(
    reach: Reach, threshold: float = 0.0
) -> tuple[NDArray[np.object_], NDArray[np.intp]]:
    """The street portions whose remaining distance is at least ``threshold`` (m).

    Parameters
    ----------
    reach : Reach
    threshold : float
        Minimum remaining distance (m); 0 gives everything reached within the radius.

    Returns
    -------
    lines : ndarray of LineString
        Reached portions (pieces of positive length; parts cut at the exact position).
    edge : ndarray of intp
        Row of the original edge of each portion.
    """
    rem = reach.rem
    seg_len = reach.seg_t1 - reach.seg_t0
    ea = rem[reach.seg_a] - threshold
    eb = rem[reach.seg_b] - threshold
    whole = (ea >= 0) & (eb >= 0) & (ea + eb >= seg_len)
    from_a = ~whole & (ea > 0)
    from_b = ~whole & (eb > 0)
    i_w, i_a, i_b = np.flatnonzero(whole), np.flatnonzero(from_a), np.flatnonzero(from_b)
    seg = np.concatenate([i_w, i_a, i_b])
    x0 = np.concatenate([np.zeros(len(i_w)), np.zeros(len(i_a)), seg_len[i_b] - eb[i_b]])
    x1 = np.concatenate([seg_len[i_w], np.minimum(ea[i_a], seg_len[i_a]), seg_len[i_b]])
    x0 = np.maximum(x0, 0.0)
    pos = x1 - x0 > 0
    seg, x0, x1 = seg[pos], x0[pos], x1[pos]
    edge = reach.seg_edge[seg]
    t0 = reach.seg_t0[seg] + x0
    t1 = reach.seg_t0[seg] + x1
    lines = reach.graph.lines()[edge]
    return substrings(lines, t0, t1), edge
