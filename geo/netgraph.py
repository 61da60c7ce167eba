"""A street network as an undirected CSR graph for walking distances (issue 12).

:func:`build_graph` turns an edges GeoDataFrame (one row per street segment: ``u``, ``v``, a
LineString from ``u`` to ``v``, optionally ``highway``, ``bridge``, ``tunnel``) into a
:class:`StreetGraph`: node coordinates, edges with integer node positions, and a symmetric
``scipy.sparse`` CSR matrix of edge lengths. Walking is undirected: one-way tags are ignored and
the two directions of a two-way street (a directed OSMnx graph holds both) become one edge.

Edge lengths are the *planar length of the edge geometry in the metric CRS* (metres), not the
OSMnx geodesic ``length`` attribute, so that a distance along the graph and a position along an
edge's geometry are the same number (partially reached edges are cut at exact positions).

The graph is built once per study area and network and cached by the caller
(``greenmap.netanalysis``); everything here is pure and vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy import sparse

__all__ = ["MIN_EDGE_M", "StreetGraph", "build_graph", "flag"]

#: Weight (m) given to an edge of zero length between distinct nodes: scipy's csgraph would read an
#: explicit 0 in a sparse matrix as "no edge".
MIN_EDGE_M = 1e-9

_TRUE = {"yes", "true", "1", "viaduct", "aqueduct", "covered", "building_passage", "culvert"}


def flag(values: object, n: int) -> NDArray[np.bool_]:
    """Truthy OSM-style flags (``bridge``/``tunnel``): ``yes``, ``viaduct``, ``True``, ... → True.

    Lists (OSMnx merges tags of simplified edges into lists, GraphML stores them as text like
    ``"['yes', 'no']"``) count when any element is truthy.

    >>> flag(["yes", None, "no", "['no', 'viaduct']", True], 5).tolist()
    [True, False, False, True, True]
    """
    if values is None:
        return np.zeros(n, dtype=bool)
    s = pd.Series(
        values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    )
    txt = s.astype(str).str.lower()
    direct = txt.isin(_TRUE)
    listy = txt.str.startswith("[") & txt.str.contains(
        "|".join(f"'{t}'" for t in sorted(_TRUE)), regex=True
    )
    return (direct | listy).to_numpy(dtype=bool)


@dataclass
class StreetGraph:
    """An undirected street graph in a projected metric CRS.

    Attributes
    ----------
    edges : GeoDataFrame
        One row per undirected edge: ``u``, ``v`` (int node positions), ``length`` (m, geometry
        length), ``highway`` (str, may be empty), ``bridge``, ``tunnel`` (bool), ``edge_id``
        (position in the input frame) and the LineString oriented from ``u`` to ``v``.
    node_xy : ndarray, shape (n_nodes, 2)
        Node coordinates (m).
    node_id : ndarray
        The input's node ids, by position.
    crs : str
        The metric CRS.
    notes : list of str
        What was dropped or merged while building (for the output notes).
    """

    edges: gpd.GeoDataFrame
    node_xy: NDArray[np.float64]
    node_id: NDArray[np.object_]
    crs: object
    notes: list[str] = field(default_factory=list)
    _csr: sparse.csr_matrix | None = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
        return len(self.edges)

    def csr(self) -> sparse.csr_matrix:
        """Symmetric CSR matrix of edge lengths (m); parallel edges keep the shortest."""
        if self._csr is None:
            u = self.edges["u"].to_numpy()
            v = self.edges["v"].to_numpy()
            w = self.edges["length"].to_numpy(dtype=float)
            self._csr = edge_matrix(u, v, w, self.n_nodes)
        return self._csr

    def lines(self) -> NDArray[np.object_]:
        """Edge LineStrings (oriented ``u`` → ``v``)."""
        return np.asarray(self.edges.geometry.values, dtype=object)


def edge_matrix(
    u: NDArray[np.intp], v: NDArray[np.intp], w: NDArray[np.float64], n: int
) -> sparse.csr_matrix:
    """Symmetric CSR matrix with the minimum weight per node pair; self-loops dropped.

    >>> m = edge_matrix(np.array([0, 1, 0]), np.array([1, 0, 2]), np.array([5.0, 3.0, 0.0]), 3)
    >>> m.toarray().tolist()
    [[0.0, 3.0, 1e-09], [3.0, 0.0, 0.0], [1e-09, 0.0, 0.0]]
    """
    keep = u != v
    a = np.minimum(u, v)[keep]
    b = np.maximum(u, v)[keep]
    ww = np.maximum(np.asarray(w, dtype=float)[keep], MIN_EDGE_M)
    if len(a):
        df = pd.DataFrame({"a": a, "b": b, "w": ww}).groupby(["a", "b"], sort=False)["w"].min()
        a = df.index.get_level_values(0).to_numpy()
        b = df.index.get_level_values(1).to_numpy()
        ww = df.to_numpy()
    rows = np.concatenate([a, b])
    cols = np.concatenate([b, a])
    data = np.concatenate([ww, ww])
    return sparse.csr_matrix((data, (rows, cols)), shape=(n, n))


def build_graph(
    edges: gpd.GeoDataFrame,
    *,
    nodes: gpd.GeoDataFrame | None = None,
    u_col: str = "u",
    v_col: str = "v",
    snap_m: float = 0.01,
) -> StreetGraph:
    """Build the undirected walking graph of a street network.

    Parameters
    ----------
    edges : GeoDataFrame
        Street segments (LineStrings) in a projected metric CRS. With ``u``/``v`` columns (OSMnx,
        pyrosm) those are the end nodes; without them, nodes are the segment end points snapped to
        a ``snap_m`` grid (shapefile roads: streets must be split at their junctions, as OSM ways
        exported per segment are; overpasses are not noded, which is what walking needs).
        Optional columns ``highway``, ``bridge``, ``tunnel``.
    nodes : GeoDataFrame, optional
        Node points indexed by node id (OSMnx/pyrosm); used to orient the edge geometries. Without
        it, node coordinates come from the edge end points.
    u_col, v_col : str
        Names of the end-node columns.
    snap_m : float
        Grid (m) for end points when there are no ``u``/``v`` columns.

    Returns
    -------
    StreetGraph

    Raises
    ------
    ValueError
        Geographic CRS, missing or non-line geometries.

    Examples
    --------
    >>> from shapely import LineString
    >>> e = gpd.GeoDataFrame({"u": [1, 2, 2], "v": [2, 3, 1]},
    ...     geometry=[LineString([(0, 0), (3, 4)]), LineString([(3, 4), (3, 10)]),
    ...               LineString([(3, 4), (0, 0)])], crs="EPSG:4548")
    >>> g = build_graph(e)
    >>> g.n_nodes, g.n_edges, g.edges["length"].tolist()
    (3, 2, [5.0, 6.0])
    """
    if edges.crs is None or not edges.crs.is_projected:
        raise ValueError(
            "edges: CRS is not a projected metric CRS; reproject the network to the study area's "
            "metric CRS first"
        )
    geom = np.asarray(edges.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    if not ok.all():
        raise ValueError(f"edges: {int((~ok).sum())} row(s) without geometry")
    tid = shapely.get_type_id(geom)
    if (tid == 5).any():  # MultiLineString: merge when contiguous, else keep the parts
        geom = geom.copy()
        geom[tid == 5] = shapely.line_merge(geom[tid == 5])
        tid = shapely.get_type_id(geom)
    if not np.isin(tid, (1, 2)).all():
        raise ValueError(
            "edges: geometries must be LineStrings (found "
            f"{sorted(set(shapely.get_type_id(geom).tolist()) - {1, 2})} type ids)"
        )
    notes: list[str] = []
    start = shapely.get_coordinates(shapely.get_point(geom, 0))
    end = shapely.get_coordinates(shapely.get_point(geom, -1))
    n_in = len(geom)
    if u_col in edges.columns and v_col in edges.columns:
        ids = pd.concat([edges[u_col], edges[v_col]], ignore_index=True)
        codes, uniq = pd.factorize(ids)
        u = codes[:n_in]
        v = codes[n_in:]
        node_id = np.asarray(uniq, dtype=object)
        xy = np.full((len(uniq), 2), np.nan)
        if nodes is not None:
            pos = pd.Index(uniq).get_indexer(nodes.index)
            m = pos >= 0
            xy[pos[m]] = shapely.get_coordinates(np.asarray(nodes.geometry.values)[m])
        # orient each line from u to v, then fill missing node coordinates from the line ends
        miss = np.isnan(xy[:, 0])
        if miss.any():
            cand = np.full_like(xy, np.nan)
            cand[v] = end
            cand[u] = start
            xy[miss] = cand[miss]
        d_fwd = np.hypot(*(start - xy[u]).T) + np.hypot(*(end - xy[v]).T)
        d_rev = np.hypot(*(end - xy[u]).T) + np.hypot(*(start - xy[v]).T)
        rev = d_rev < d_fwd
        if rev.any():
            geom = geom.copy()
            geom[rev] = shapely.reverse(geom[rev])
    else:
        ends = np.round(np.concatenate([start, end]) / snap_m).astype(np.int64)
        key = pd.MultiIndex.from_arrays([ends[:, 0], ends[:, 1]])
        codes, uniq = pd.factorize(key)
        u = codes[:n_in]
        v = codes[n_in:]
        xy = np.column_stack(
            [uniq.get_level_values(0).to_numpy(), uniq.get_level_values(1).to_numpy()]
        ).astype(float) * float(snap_m)
        node_id = np.arange(len(xy)).astype(object)
        notes.append(f"nodes from segment end points snapped to {snap_m:g} m")
    length = shapely.length(geom)
    df = pd.DataFrame(
        {
            "u": u.astype(np.intp),
            "v": v.astype(np.intp),
            "length": length,
            "highway": (
                edges["highway"].astype(object).where(edges["highway"].notna(), "").astype(str)
                if "highway" in edges.columns
                else ""
            ),
            "bridge": flag(edges["bridge"] if "bridge" in edges.columns else None, n_in),
            "tunnel": flag(edges["tunnel"] if "tunnel" in edges.columns else None, n_in),
            "edge_id": np.arange(n_in),
        }
    )
    # one undirected edge per (unordered pair, length): the two directions of a two-way street
    a = np.minimum(df["u"], df["v"])
    b = np.maximum(df["u"], df["v"])
    dup = pd.DataFrame({"a": a, "b": b, "l": np.round(length, 3)}).duplicated()
    if dup.any():
        notes.append(f"{int(dup.sum())} reverse-direction duplicate edge(s) merged (walking)")
    keep = ~dup.to_numpy()
    out = gpd.GeoDataFrame(df[keep].reset_index(drop=True), geometry=geom[keep], crs=edges.crs)
    return StreetGraph(edges=out, node_xy=xy, node_id=node_id, crs=edges.crs, notes=notes)


def subgraph(graph: StreetGraph, keep: NDArray[np.bool_], note: str = "") -> StreetGraph:
    """The graph with only the edges where ``keep`` is true (nodes unchanged).

    >>> from shapely import LineString
    >>> e = gpd.GeoDataFrame({"u": [1, 2], "v": [2, 3]},
    ...     geometry=[LineString([(0, 0), (1, 0)]), LineString([(1, 0), (2, 0)])], crs="EPSG:4548")
    >>> subgraph(build_graph(e), np.array([True, False])).n_edges
    1
    """
    notes = list(graph.notes) + ([note] if note else [])
    return StreetGraph(
        edges=graph.edges[np.asarray(keep, dtype=bool)].reset_index(drop=True),
        node_xy=graph.node_xy,
        node_id=graph.node_id,
        crs=graph.crs,
        notes=notes,
    )
