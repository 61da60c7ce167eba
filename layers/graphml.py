"""One reader of GraphML street networks as OSMnx saves them, for every consumer.

:func:`read_graphml_file` parses the file once with the standard library's streaming XML parser
(no OSMnx, no networkx graph): the graph's CRS, the node ids and coordinates, and one row per
``<edge>`` element with every data attribute as the text written (``None`` when absent), in file
order. :func:`edge_geometries` gives the edges as lines: the ``geometry`` attribute (WKT) where
there is one, else the straight line between the two nodes. The street-network loader
(:mod:`layers.network_io`), the study-area build (:func:`layers.graphml_streets.read_street_edges`)
and the gazetteer (:mod:`layers.gazetteer_io`) all read GraphML through it.

>>> import tempfile, networkx as nx
>>> g = nx.MultiDiGraph(crs="epsg:4326")
>>> g.add_node(1, x=116.38, y=39.90); g.add_node(2, x=116.39, y=39.90)
>>> _ = g.add_edge(1, 2, name="甲街", length=850.0)
>>> path = tempfile.mktemp(suffix=".graphml"); nx.write_graphml(g, path)
>>> data = read_graphml_file(path)
>>> data.crs, data.node_id, data.edges[["u", "v", "name", "length"]].values.tolist()
('epsg:4326', ['1', '2'], [['1', '2', '甲街', '850.0']])
>>> edge_geometries(data)[0].wkt
'LINESTRING (116.38 39.9, 116.39 39.9)'
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from layers.errors import LayerError, Problem

__all__ = ["GraphMLData", "edge_geometries", "read_graphml_file"]

_NS = "{http://graphml.graphdrawing.org/xmlns}"


@dataclass(frozen=True)
class GraphMLData:
    """What a GraphML file holds, as written.

    Attributes
    ----------
    path : str
        The file read (for messages).
    crs : str
        The graph's ``crs`` attribute (``EPSG:4326`` when absent, as OSMnx writes unprojected graphs).
    node_id : list of str
        Node ids in file order.
    x, y : ndarray
        Node coordinates in ``crs`` units.
    edges : DataFrame
        ``u``, ``v`` (node ids) and one column per edge attribute name, text or ``None``.
    """

    path: str
    crs: str
    node_id: list[str]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    edges: pd.DataFrame

    def attr(self, name: str) -> NDArray[np.object_]:
        """Edge attribute ``name`` per edge, the text as written; ``None`` where absent."""
        if name in self.edges:
            return self.edges[name].to_numpy(dtype=object)
        return np.full(len(self.edges), None, dtype=object)


def _err(path: str, msg: str, fld: str | None = None, row: int | None = None) -> LayerError:
    return LayerError([Problem(path, row, fld, msg)])


def read_graphml_file(path: str | os.PathLike[str]) -> GraphMLData:
    """Parse a GraphML street network (OSMnx's ``save_graphml`` layout) in one streaming pass.

    Raises
    ------
    LayerError
        Naming the file: not found, not valid GraphML/XML, no ``<graph>`` element, a node without
        ``x``/``y`` (naming the node), no edges.
    """
    p = Path(path)
    name = str(p)
    if not p.is_file():
        raise _err(name, "file not found")
    keys: dict[str, str] = {}
    node_id: list[str] = []
    xs: list[float] = []
    ys: list[float] = []
    rows: list[dict[str, str | None]] = []
    crs: str | None = None
    seen_graph = False
    try:
        for _event, el in ET.iterparse(p, events=("end",)):
            tag = el.tag.replace(_NS, "")
            if tag == "key":
                keys[el.get("id", "")] = el.get("attr.name", "")
            elif tag == "node":
                data = {keys.get(d.get("key", ""), ""): d.text for d in el.findall(f"{_NS}data")}
                nid = el.get("id", "")
                try:  # absent or empty: NaN, reported once after the pass
                    xs.append(float(data.get("x") or "nan"))
                    ys.append(float(data.get("y") or "nan"))
                except ValueError:
                    raise _err(name, f"node {nid!r} without x/y coordinates", "x") from None
                node_id.append(nid)
                el.clear()
            elif tag == "edge":
                data = {keys.get(d.get("key", ""), ""): d.text for d in el.findall(f"{_NS}data")}
                data["u"], data["v"] = el.get("source"), el.get("target")
                rows.append(data)
                el.clear()
            elif tag == "graph":
                seen_graph = True
                for d in el.findall(f"{_NS}data"):  # graph-level attributes, e.g. crs
                    if keys.get(d.get("key", ""), "") == "crs" and d.text:
                        crs = d.text
    except ET.ParseError as exc:
        raise _err(name, f"not valid GraphML/XML: {exc}") from None
    if not seen_graph:
        raise _err(name, "no <graph> element")
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if np.isnan(x).any() or np.isnan(y).any():
        bad = node_id[int(np.flatnonzero(np.isnan(x) | np.isnan(y))[0])]
        raise _err(name, f"node {bad!r} without x/y coordinates", "x")
    if not rows:
        raise _err(name, "no edges in the GraphML file", "edge")
    cols = ["u", "v", *sorted({k for r in rows for k in r} - {"u", "v"})]
    # object columns: the text as written, None where absent (pandas would infer strings, NaN)
    edges = pd.DataFrame({c: pd.Series([r.get(c) for r in rows], dtype=object) for c in cols})
    return GraphMLData(name, crs or "EPSG:4326", node_id, x, y, edges)


def edge_geometries(data: GraphMLData) -> NDArray[np.object_]:
    """The edges as lines in ``data.crs``: their WKT ``geometry``, else node to node.

    Raises
    ------
    LayerError
        An edge without geometry refers to a node the file does not have (naming the edge's row).
    """
    n = len(data.edges)
    geom = np.empty(n, dtype=object)
    wkt = data.attr("geometry")
    has = pd.notna(wkt) & (wkt != "")
    if has.any():
        geom[has] = shapely.from_wkt(wkt[has])
    if (~has).any():
        pos = pd.Index(data.node_id)
        u = pos.get_indexer(data.edges["u"].to_numpy()[~has])
        v = pos.get_indexer(data.edges["v"].to_numpy()[~has])
        miss = (u < 0) | (v < 0)
        if miss.any():
            i = int(np.flatnonzero(~has)[np.flatnonzero(miss)[0]])
            node = data.edges["u"].iloc[i] if u[miss][0] < 0 else data.edges["v"].iloc[i]
            raise _err(data.path, f"edge refers to unknown node {node!r}", "edge", i + 1)
        a = np.stack([data.x[u], data.y[u]], axis=1)
        b = np.stack([data.x[v], data.y[v]], axis=1)
        geom[~has] = shapely.linestrings(np.stack([a, b], axis=1))
    return geom
