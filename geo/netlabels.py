"""Remaining walking distance of several labelled park sets in one Dijkstra call.

:func:`labelled_reach` is step 2 of :mod:`geo.netgains`: each label (a set of parks: the baseline,
one project alone, the baseline without one project) gets a virtual super-source tied to the access
nodes of its parks, and one :func:`scipy.sparse.csgraph.dijkstra` call from all super-sources gives
an ``L × n`` matrix of remaining distance (m) at every node of the split graph of
:func:`geo.netengine.network_reach`. Metric CRS, metres.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.sparse import csgraph

from geo.netaccess import AccessPoints
from geo.netengine import _BASE, _END_TOL, Reach, network_reach
from geo.netgraph import StreetGraph, edge_matrix

__all__ = ["labelled_reach"]


def _access_nodes(reach: Reach, access: AccessPoints) -> NDArray[np.intp]:
    """The node of the split graph at each access point (as placed by ``network_reach``)."""
    edges = reach.graph.edges
    eu = edges["u"].to_numpy(dtype=np.intp)
    ev = edges["v"].to_numpy(dtype=np.intp)
    el = edges["length"].to_numpy(dtype=float)
    t = np.clip(access.t, 0.0, el[access.edge])
    at_u = t <= _END_TOL
    at_v = ~at_u & (t >= el[access.edge] - _END_TOL)
    node = np.where(at_u, eu[access.edge], ev[access.edge]).astype(np.intp)
    virt = ~(at_u | at_v)
    # virtual nodes are the piece ends that are not original nodes, at the access point's t
    n0 = reach.graph.n_nodes
    a, b = reach.seg_a >= n0, reach.seg_b >= n0
    ends = pd.Series(
        np.concatenate([reach.seg_a[a], reach.seg_b[b]]),
        index=pd.MultiIndex.from_arrays(
            [
                np.concatenate([reach.seg_edge[a], reach.seg_edge[b]]),
                np.concatenate([reach.seg_t0[a], reach.seg_t1[b]]),
            ]
        ),
    )
    ends = ends[~ends.index.duplicated()]
    pos = ends.index.get_indexer(pd.MultiIndex.from_arrays([access.edge[virt], t[virt]]))
    found = np.where(pos >= 0, ends.to_numpy()[np.maximum(pos, 0)], -1)
    node[virt] = found
    return node


def labelled_reach(
    graph: StreetGraph,
    access: AccessPoints,
    park_radius: ArrayLike,
    member_label: ArrayLike,
    member_park: ArrayLike,
    n_labels: int,
) -> tuple[Reach, NDArray[np.float64], NDArray[np.bool_]]:
    """Remaining walking distance of several labelled park sets, one Dijkstra call for all.

    The split graph comes from :func:`geo.netengine.network_reach` (every access point within its
    park's radius a node), whose own Dijkstra run is kept to the access offsets (tens of metres);
    then one :func:`scipy.sparse.csgraph.dijkstra` from one super-source per label, ``limit`` the
    largest radius. Metres.

    Parameters
    ----------
    graph : StreetGraph
    access : AccessPoints
        Access points of all parks; ``access.park`` indexes ``park_radius``.
    park_radius : array-like of float
        Service radius (m) per park.
    member_label, member_park : array-like of int
        Label ``member_label[i]`` contains park ``member_park[i]`` (a park may be in many).
    n_labels : int

    Returns
    -------
    reach : Reach
        The split graph of all access points; its ``rem`` is the largest over the labels.
    rem : ndarray (n_labels, n)
        Remaining distance (m) per label and node of the split graph, ``-inf`` where not reached.
    own : ndarray of bool (n_labels, n)
        The original nodes and each label's own access nodes (where its node disks may be).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString
    >>> from geo.netgraph import build_graph
    >>> e = gpd.GeoDataFrame({"u": [0], "v": [1]}, geometry=[LineString([(0, 0), (300, 0)])],
    ...     crs="EPSG:4548")
    >>> ap = AccessPoints(np.array([0, 1]), np.array([0, 0]), np.array([100.0, 200.0]),
    ...     np.array([0.0, 0.0]), np.array(["crossing"] * 2, dtype=object))
    >>> r, rem, own = labelled_reach(build_graph(e), ap, [150.0, 150.0], [0, 1, 1], [0, 0, 1], 2)
    >>> rem.round(6).tolist()  # nodes x = 0, 300, 100, 200: park 0 alone; both parks
    [[50.0, -inf, 150.0, 50.0], [50.0, 50.0, 150.0, 150.0]]
    >>> own.tolist()
    [[True, True, True, False], [True, True, True, True]]
    """
    radius = np.asarray(park_radius, dtype=float)
    ml = np.asarray(member_label, dtype=np.intp)
    mp = np.asarray(member_park, dtype=np.intp)
    fin = radius[np.isfinite(radius)]
    r_max = float(fin.max()) if len(fin) else 0.0
    # the same weights and the same test as network_reach: an access point farther from its park
    # than the park's radius is no source (and no node of the split graph)
    w = access.offset + (r_max - radius[access.park]) if len(access) else np.empty(0)
    ap_i = np.flatnonzero(np.isfinite(w) & (w <= r_max))
    sub = AccessPoints(
        access.park[ap_i], access.edge[ap_i], access.t[ap_i], access.offset[ap_i], access.kind[ap_i]
    )
    # the split graph of those points from network_reach, every park's radius set to the largest
    # offset: all points are kept and that run's Dijkstra stops within a few tens of metres
    c = float(sub.offset.max()) if len(sub) else 0.0
    split = network_reach(graph, sub, np.full(len(radius), c))
    n = len(split.rem)
    node = _access_nodes(split, sub)
    # (label, access point) pairs: every access point of every member park of the label
    by_park = pd.DataFrame({"park": sub.park, "node": node, "w": w[ap_i] + _BASE})
    pairs = pd.DataFrame({"label": ml, "park": mp}).merge(by_park, on="park")
    sw = pairs.groupby(["label", "node"])["w"].min()
    lab = sw.index.get_level_values(0).to_numpy(dtype=np.intp)
    nod = sw.index.get_level_values(1).to_numpy(dtype=np.intp)
    own = np.zeros((n_labels, n), dtype=bool)
    own[:, : graph.n_nodes] = True
    own[lab, nod] = True
    rem = np.full((n_labels, n), -np.inf)
    if n_labels and len(sw):
        m = edge_matrix(split.seg_a, split.seg_b, split.seg_t1 - split.seg_t0, n + n_labels)
        m_src = sparse.csr_matrix((sw.to_numpy(), (n + lab, nod)), shape=(n + n_labels,) * 2)
        dist = csgraph.dijkstra(
            m + m_src, directed=True, indices=n + np.arange(n_labels), limit=r_max + _BASE
        )
        # rem = r_max − (dist − base), in place (inf, not reached, becomes −inf)
        rem = np.ascontiguousarray(np.asarray(dist, dtype=float)[:, :n])
        del dist
        rem -= _BASE
        np.subtract(r_max, rem, out=rem)
    reach = dataclasses.replace(
        split,
        rem=rem.max(axis=0) if n_labels else np.full(n, -np.inf),
        r_max=r_max,
        n_sources=len(np.unique(nod)),
    )
    return reach, rem, own
