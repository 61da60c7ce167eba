"""Park access points on a street graph (issue 12).

Where a walk to a park starts, following TPL ParkServe (access points where walkable streets meet
the park) and GHSCI (pseudo-entrances every 20 m along the boundary within 30 m of a street):

``crossing``
    a street edge meets the park boundary (offset 0);
``inside``
    a street node lies inside the park (offset 0);
``pseudo``
    points every ``spacing_m`` (at most) along the park boundary, each snapped to the nearest
    street within ``max_distance_m``; the snap leg is the point's *offset*;
``entrance``
    tagged entrances (points), snapped to the nearest street within ``max_distance_m``; the offset
    is the distance from the park to the entrance plus the snap leg. With ``tagged="only"`` (the
    default) a park that has tagged entrances gets only those (walled parks: no crossings, inside
    nodes or pseudo-entrances); ``"add"`` gives it the other kinds as well, ``"ignore"`` drops the
    tagged entrances (the ``[network] tagged_entrances`` rule field, :mod:`geo.netrules`).

Every access point is a position on an edge (``edge``, ``t`` metres from the edge's ``u`` end) with
an ``offset`` (m) that the walk distance starts at. Counting the offset keeps network distance
≥ Euclidean distance from the park boundary. All in the graph's metric CRS; vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from geo.netgraph import StreetGraph
from geo.netrules import TAGGED_ENTRANCES

__all__ = ["TAGGED_MODES", "AccessPoints", "access_points"]

KINDS = ("crossing", "inside", "pseudo", "entrance")
#: How tagged entrances are used: the only access of their park, added to the other kinds, unused.
TAGGED_MODES = TAGGED_ENTRANCES


@dataclass
class AccessPoints:
    """Access points of parks on a street graph.

    Attributes
    ----------
    park : ndarray of intp
        Row position of the park.
    edge : ndarray of intp
        Row position of the edge in ``graph.edges``.
    t : ndarray of float
        Position along the edge from its ``u`` end (m).
    offset : ndarray of float
        Distance already walked when the point is reached (m).
    kind : ndarray of str
        One of ``crossing``, ``inside``, ``pseudo``, ``entrance``.
    """

    park: NDArray[np.intp]
    edge: NDArray[np.intp]
    t: NDArray[np.float64]
    offset: NDArray[np.float64]
    kind: NDArray[np.object_]

    def __len__(self) -> int:
        return len(self.park)

    def points(self, graph: StreetGraph) -> NDArray[np.object_]:
        """The access points as shapely Points on their edges."""
        return shapely.line_interpolate_point(graph.lines()[self.edge], self.t)

    def to_frame(self, graph: StreetGraph) -> gpd.GeoDataFrame:
        """A GeoDataFrame of the access points (for the map and for checking)."""
        return gpd.GeoDataFrame(
            {
                "park": self.park,
                "edge": self.edge,
                "t": self.t,
                "offset_m": self.offset,
                "kind": self.kind,
            },
            geometry=self.points(graph),
            crs=graph.crs,
        )


def _concat(parts: list[AccessPoints]) -> AccessPoints:
    return AccessPoints(
        park=np.concatenate([p.park for p in parts]).astype(np.intp),
        edge=np.concatenate([p.edge for p in parts]).astype(np.intp),
        t=np.concatenate([p.t for p in parts]).astype(float),
        offset=np.concatenate([p.offset for p in parts]).astype(float),
        kind=np.concatenate([p.kind for p in parts]).astype(object),
    )


def _empty() -> AccessPoints:
    z = np.empty(0, dtype=np.intp)
    return AccessPoints(z, z, np.empty(0), np.empty(0), np.empty(0, dtype=object))


def _pseudo_points(
    boundaries: NDArray[np.object_], spacing_m: float
) -> tuple[NDArray[np.intp], NDArray[np.object_]]:
    """Points at most ``spacing_m`` apart along each boundary, evenly spaced, with the park index."""
    parts, idx = shapely.get_parts(boundaries, return_index=True)
    parts_l = shapely.line_merge(parts) if len(parts) else parts
    parts2, idx2 = shapely.get_parts(parts_l, return_index=True)
    owner = idx[idx2]
    length = shapely.length(parts2)
    n = np.maximum(1, np.ceil(length / spacing_m)).astype(np.intp)
    rep = np.repeat(np.arange(len(parts2)), n)
    first = np.repeat(np.cumsum(n) - n, n)
    k = np.arange(len(rep)) - first
    dist = k * (length[rep] / n[rep])
    return owner[rep], shapely.line_interpolate_point(parts2[rep], dist)


def access_points(
    graph: StreetGraph,
    parks: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    max_distance_m: float = 30.0,
    spacing_m: float = 20.0,
    entrances: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    entrance_park: ArrayLike | None = None,
    tagged: str = "only",
) -> AccessPoints:
    """All access points of all parks, in one vectorised pass.

    Parameters
    ----------
    graph : StreetGraph
        The (barrier-filtered) walking graph, metric CRS.
    parks : GeoSeries or GeoDataFrame
        Park polygons (points are allowed: a point park gets only pseudo-entrance snapping).
    max_distance_m : float
        N: a pseudo-entrance or tagged entrance counts when a street is within this distance (m).
    spacing_m : float
        Pseudo-entrance spacing along the boundary (m), GHSCI 20 m; the spacing used is the
        boundary length divided evenly, never more than this.
    entrances : GeoDataFrame or GeoSeries, optional
        Tagged entrance points; each belongs to the nearest park within ``max_distance_m``.
    entrance_park : array-like of int, optional
        The row position of the park each entrance belongs to instead (``-1``: none), e.g. when
        ``parks`` holds the same park several times (:mod:`geo.netgains`); one entrance per row,
        repeat a point to give it to several parks. Still only within ``max_distance_m``.
    tagged : {"only", "add", "ignore"}
        ``only``: a park with tagged entrances is reached only through them (walled parks);
        ``add``: through them and its crossings, inside nodes and pseudo-entrances; ``ignore``:
        the entrances are not used.

    Returns
    -------
    AccessPoints

    Examples
    --------
    >>> from shapely import LineString, box
    >>> from geo.netgraph import build_graph
    >>> e = gpd.GeoDataFrame({"u": [0], "v": [1]}, geometry=[LineString([(-50, 5), (150, 5)])],
    ...     crs="EPSG:4548")
    >>> parks = gpd.GeoSeries([box(0, 0, 10, 10)], crs="EPSG:4548")
    >>> ap = access_points(build_graph(e), parks, spacing_m=20)
    >>> sorted(set(ap.kind)), sorted(ap.t[ap.kind == "crossing"].tolist())
    (['crossing', 'pseudo'], [50.0, 60.0])
    >>> gate = gpd.GeoSeries(shapely.points([(5, 10)]), crs="EPSG:4548")
    >>> [sorted(set(access_points(build_graph(e), parks, entrances=gate, tagged=m).kind))
    ...  for m in TAGGED_MODES]
    [['entrance'], ['crossing', 'entrance', 'pseudo'], ['crossing', 'pseudo']]
    """
    if spacing_m <= 0 or max_distance_m < 0:
        raise ValueError(
            f"spacing_m must be > 0 and max_distance_m ≥ 0 (got {spacing_m}, {max_distance_m})"
        )
    if tagged not in TAGGED_MODES:
        raise ValueError(f"tagged must be one of {', '.join(TAGGED_MODES)}, got {tagged!r}")
    pg = np.asarray(
        parks.geometry.values if isinstance(parks, gpd.GeoDataFrame) else parks.values, dtype=object
    )
    lines = graph.lines()
    if len(pg) == 0 or len(lines) == 0:
        return _empty()
    tree = shapely.STRtree(lines)
    parts: list[AccessPoints] = []

    walled = np.zeros(len(pg), dtype=bool)
    if entrances is not None and len(entrances) and tagged != "ignore":
        eg = np.asarray(
            entrances.geometry.values
            if isinstance(entrances, gpd.GeoDataFrame)
            else entrances.values,
            dtype=object,
        )
        ok = ~(shapely.is_missing(eg) | shapely.is_empty(eg))
        if entrance_park is None:
            eg = eg[ok]
            (ei, pj), d_park = shapely.STRtree(pg).query_nearest(
                eg, max_distance=max_distance_m, return_distance=True, all_matches=False
            )
        else:
            own = np.asarray(entrance_park, dtype=np.intp)
            if own.shape != (len(eg),) or (own >= len(pg)).any():
                raise ValueError(
                    f"entrance_park: one park row (< {len(pg)}) or -1 per entrance "
                    f"({len(eg)}), got shape {own.shape}"
                )
            ei = np.flatnonzero(ok & (own >= 0))
            pj = own[ei]
            d_park = shapely.distance(eg[ei], pg[pj])
            near = d_park <= max_distance_m
            ei, pj, d_park = ei[near], pj[near], d_park[near]
        (si, ej), d_snap = tree.query_nearest(
            eg[ei], max_distance=max_distance_m, return_distance=True, all_matches=False
        )
        if tagged == "only":
            walled[np.unique(pj)] = True
        if len(si):
            t = shapely.line_locate_point(lines[ej], eg[ei][si])
            parts.append(
                AccessPoints(
                    park=pj[si],
                    edge=ej,
                    t=t,
                    offset=d_park[si] + d_snap,
                    kind=np.full(len(si), "entrance", dtype=object),
                )
            )
    free = np.flatnonzero(~walled)
    pgf = pg[free]
    poly = np.isin(shapely.get_type_id(pgf), (3, 6))
    # crossings: street edges meeting the park boundary
    bnd = shapely.boundary(pgf[poly])
    if len(bnd):
        bi, ej = tree.query(bnd, predicate="intersects")
        inter = shapely.intersection(bnd[bi], lines[ej])
        pts, k = shapely.get_parts(shapely.extract_unique_points(inter), return_index=True)
        if len(pts):
            t = shapely.line_locate_point(lines[ej[k]], pts)
            parts.append(
                AccessPoints(
                    park=free[np.flatnonzero(poly)[bi[k]]],
                    edge=ej[k],
                    t=t,
                    offset=np.zeros(len(pts)),
                    kind=np.full(len(pts), "crossing", dtype=object),
                )
            )
    # street nodes inside the park
    if poly.any():
        nodes = shapely.points(graph.node_xy)
        pi, nj = shapely.STRtree(nodes).query(pgf[poly], predicate="contains")
        if len(nj):
            eu = graph.edges["u"].to_numpy()
            ev = graph.edges["v"].to_numpy()
            # one incident edge per node: the node is at t=0 (u end) or t=length (v end)
            first_u = pd.Series(np.arange(len(eu))).groupby(eu).first()
            first_v = pd.Series(np.arange(len(ev))).groupby(ev).first()
            e_u = first_u.reindex(nj).to_numpy()
            e_v = first_v.reindex(nj).to_numpy()
            use_u = ~np.isnan(e_u)
            has = use_u | ~np.isnan(e_v)
            edge = np.where(use_u, e_u, e_v)[has].astype(np.intp)
            t = np.where(use_u[has], 0.0, graph.edges["length"].to_numpy()[edge])
            parts.append(
                AccessPoints(
                    park=free[np.flatnonzero(poly)[pi[has]]],
                    edge=edge,
                    t=t,
                    offset=np.zeros(int(has.sum())),
                    kind=np.full(int(has.sum()), "inside", dtype=object),
                )
            )
    # pseudo-entrances along the boundary (points: the point itself)
    owner, pts = _pseudo_points(shapely.boundary(pgf[poly]), spacing_m)
    owner = np.flatnonzero(poly)[owner]
    ptpark = np.flatnonzero(~poly & (shapely.get_type_id(pgf) == 0))
    owner = np.concatenate([owner, ptpark]).astype(np.intp)
    pts = np.concatenate([pts, pgf[ptpark]])
    if len(pts):
        (si, ej), d = tree.query_nearest(
            pts, max_distance=max_distance_m, return_distance=True, all_matches=False
        )
        if len(si):
            t = shapely.line_locate_point(lines[ej], pts[si])
            parts.append(
                AccessPoints(
                    park=free[owner[si]],
                    edge=ej,
                    t=t,
                    offset=d,
                    kind=np.full(len(si), "pseudo", dtype=object),
                )
            )
    return _concat(parts) if parts else _empty()
