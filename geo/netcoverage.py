"""Walking-network service areas and coverage, with the Euclidean rate beside (issue 12).

Service area of a set of parks with radii ``R_p`` and a catchment ``C`` (m): the parcel point
``x`` is served when some street point ``q`` has remaining distance ``s(q) = max_p (R_p - d_p(q))``
(``d_p`` the walk from the park, access-point offset included) with ``|x - q| <= min(C, s(q))``:
the off-network leg from the street to the parcel is *counted*, so a served point is never
farther than ``R_p`` from its park in a straight line (network coverage ≤ Euclidean coverage at
the same radius, up to the arc error of the buffers).

Exact construction (no banding): along a street piece ``s`` falls with slope 1 away from its
maximum, and the disk ``D(q_x, r - x)`` lies inside ``D(q_0, r)`` when ``|q_x - q_0| <= x``
(the walk is never shorter than the straight line). So the union of all disks
``D(q, min(C, s(q)))`` is exactly

* the street portions with ``s >= C`` buffered by ``C``, plus
* a disk of radius ``s(n)`` around every node (street or access node) with ``0 < s(n) < C``.

:func:`service_sources` returns those lines and points with their buffer radius in the
``radius_m`` column: the input of the existing Euclidean machinery
(:func:`geo.indicator.coverage_table`, :func:`geo.indicator.service_radius_layer`, the gaps), so
the network rule has the same outputs (district, 街道, historic blocks, both variants,
population-weighted) and the same arc error bound, now for the street buffers. The gain per
project on the network is :mod:`geo.netgains` (all projects at once, on labelled sources).
The covered area per parcel is :mod:`geo.netoverlay` (:func:`geo.netoverlay.network_covered_area`,
the same areas as the Euclidean engine, faster for thousands of street buffers), the coverage
table with the Euclidean figures beside :mod:`geo.nettable`.

All in the study area's metric CRS (metres, m²).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike

from geo.netaccess import AccessPoints, access_points
from geo.netengine import Reach, network_reach, reached_pieces
from geo.netgraph import StreetGraph
from geo.rules import _num

__all__ = ["NetworkResult", "network_service", "service_area_polygons", "service_sources"]


def service_sources(
    reach: Reach,
    catchment_m: float,
    *,
    merge: bool = True,
    rem: ArrayLike | None = None,
    node_mask: ArrayLike | None = None,
) -> gpd.GeoDataFrame:
    """Reached street portions and node disks whose buffers make the exact service area.

    Parameters
    ----------
    reach : Reach
        From :func:`geo.netengine.network_reach`.
    catchment_m : float
        Largest distance (m) from a reached street to a served point, C > 0.
    merge : bool
        Merge street portions that meet end to end (``shapely.line_merge``); same service area.
    rem : array-like (L, n), optional
        Remaining distances (m) of ``L`` labelled park sets on the split graph of ``reach``
        (``-inf`` where not reached; e.g. one row per project): the sources of all rows at once,
        with their row in a ``label`` column. Default: the one row ``reach.rem``, no ``label``.
    node_mask : array-like of bool (L, n), optional
        The nodes that may carry a node disk in each row (default all; a virtual node of another
        row's access point is no node of this row's own graph).

    Returns
    -------
    GeoDataFrame
        ``kind`` (``street``: a portion with remaining distance ≥ C, buffered by C; ``node``: a
        node with 0 < remaining < C, buffered by its remaining distance), ``radius_m`` (m),
        ``label`` (the row of ``rem``, when given) and the LineString / Point, in the graph's CRS.

    Examples
    --------
    >>> from shapely import LineString
    >>> from geo.netgraph import build_graph
    >>> e = gpd.GeoDataFrame({"u": [0], "v": [1]}, geometry=[LineString([(0, 0), (1000, 0)])],
    ...     crs="EPSG:4548")
    >>> g = build_graph(e)
    >>> ap = AccessPoints(np.array([0]), np.array([0]), np.array([0.0]), np.array([0.0]),
    ...     np.array(["crossing"], dtype=object))
    >>> r = network_reach(g, ap, [500.0])
    >>> s = service_sources(r, 50.0)
    >>> s[["kind", "radius_m"]].values.tolist(), round(float(s.geometry.length.iloc[0]), 6)
    ([['street', 50.0]], 450.0)
    >>> two = service_sources(r, 50.0, rem=np.vstack([r.rem, r.rem - 460.0]))  # 500 m and 40 m
    >>> two[["label", "kind", "radius_m"]].values.tolist()
    [[0, 'street', 50.0], [1, 'node', 40.0]]
    """
    if not catchment_m > 0:
        raise ValueError(f"catchment_m must be > 0, got {catchment_m!r}")
    labelled = rem is not None
    rm = np.atleast_2d(np.asarray(reach.rem if rem is None else rem, dtype=float))
    n_lab, n = rm.shape
    if n != len(reach.rem):
        raise ValueError(f"rem: {n} columns, the reach has {len(reach.rem)} nodes")
    # (row, piece) pairs reached above C at one end at least, stacked into one Reach whose node
    # ``row * n + i`` is node i of row ``row`` and whose "edge" is the pair: one vectorised cut
    # (geo.netengine.reached_pieces) for all rows
    above = rm > catchment_m
    pl, ps = np.nonzero(above[:, reach.seg_a] | above[:, reach.seg_b])
    proxy = StreetGraph(
        edges=gpd.GeoDataFrame(geometry=reach.graph.lines()[reach.seg_edge[ps]]),
        node_xy=reach.node_xy,
        node_id=np.empty(0, dtype=object),
        crs=reach.graph.crs,
    )
    stacked = dataclasses.replace(
        reach,
        graph=proxy,
        rem=rm.ravel(),
        seg_edge=np.arange(len(ps), dtype=np.intp),
        seg_a=(pl * n + reach.seg_a[ps]).astype(np.intp),
        seg_b=(pl * n + reach.seg_b[ps]).astype(np.intp),
        seg_t0=reach.seg_t0[ps],
        seg_t1=reach.seg_t1[ps],
    )
    lines, pair = reached_pieces(stacked, threshold=catchment_m)
    lab = pl[pair]
    if merge and len(lines) > 1:
        # pieces meeting end to end at nodes of degree 2 become one line (per row): the buffers'
        # union is the same, and the coverage engine has fewer, longer sources to bracket
        order = np.argsort(lab, kind="stable")
        ulab, idx = np.unique(lab[order], return_inverse=True)
        merged = shapely.line_merge(shapely.multilinestrings(lines[order], indices=idx))
        lines, part = shapely.get_parts(merged, return_index=True)
        lab = ulab[part]
    disk = (rm > 0) & (rm < catchment_m)
    if node_mask is not None:
        disk &= np.asarray(node_mask, dtype=bool).reshape(n_lab, n)
    nl, nd = np.nonzero(disk)
    pts = shapely.points(reach.node_xy[nd]) if len(nd) else np.empty(0, dtype=object)
    cols: dict[str, Any] = {
        "kind": np.concatenate(
            [np.full(len(lines), "street", dtype=object), np.full(len(nd), "node", dtype=object)]
        ),
        "radius_m": np.concatenate([np.full(len(lines), float(catchment_m)), rm[nl, nd]]),
    }
    if labelled:
        cols["label"] = np.concatenate([lab, nl]).astype(np.intp)
    return gpd.GeoDataFrame(
        cols, geometry=np.concatenate([lines, pts]).astype(object), crs=reach.graph.crs
    )


@dataclass
class NetworkResult:
    """The network service of a set of parks.

    Attributes
    ----------
    sources : GeoDataFrame
        :func:`service_sources`: feed as ``parks_with_radius`` to the Euclidean machinery.
    access : AccessPoints
    reach : Reach
    parks_without_access : list of str
        Parks (``park_id``) with no access point within reach of the network.
    """

    sources: gpd.GeoDataFrame
    access: AccessPoints
    reach: Reach
    parks_without_access: list[str]


def network_service(
    graph: StreetGraph,
    parks_with_radius: gpd.GeoDataFrame,
    *,
    catchment_m: float,
    max_distance_m: float = 30.0,
    spacing_m: float = 20.0,
    entrances: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    tagged: str = "only",
) -> NetworkResult:
    """Access points, one Dijkstra run and the service sources of all parks.

    Parameters
    ----------
    graph : StreetGraph
        Walking graph (barriers already applied, see :mod:`geo.netbarriers`), metric CRS.
    parks_with_radius : GeoDataFrame
        Eligible parks with ``radius_m`` (m), e.g. :func:`geo.rules.assign_radii`.
    catchment_m, max_distance_m, spacing_m : float
        Catchment C (m), access distance N (m) and pseudo-entrance spacing (m).
    entrances : GeoDataFrame or GeoSeries, optional
        Tagged entrance points (those of uncounted parks already left out, see
        :func:`geo.netentrances.entrances_for`).
    tagged : {"only", "add", "ignore"}
        How they are used (:func:`geo.netaccess.access_points`; the rule's
        ``network.tagged_entrances``).

    Returns
    -------
    NetworkResult
    """
    if "radius_m" not in parks_with_radius.columns:
        raise ValueError("parks_with_radius: no 'radius_m' column; run geo.rules.assign_radii")
    radius = _num(parks_with_radius["radius_m"])
    ap = access_points(
        graph,
        parks_with_radius,
        max_distance_m=max_distance_m,
        spacing_m=spacing_m,
        entrances=entrances,
        tagged=tagged,
    )
    reach = network_reach(graph, ap, radius)
    has = np.zeros(len(parks_with_radius), dtype=bool)
    has[ap.park[ap.offset <= radius[ap.park]]] = True
    ids = (
        parks_with_radius["park_id"].astype(str).to_numpy()
        if "park_id" in parks_with_radius.columns
        else np.asarray([str(i) for i in parks_with_radius.index], dtype=object)
    )
    return NetworkResult(
        sources=service_sources(reach, catchment_m),
        access=ap,
        reach=reach,
        parks_without_access=[str(x) for x in ids[~has]],
    )


def service_area_polygons(
    sources: gpd.GeoDataFrame, quad_segs: int = 8, barriers: ArrayLike | None = None
) -> shapely.Geometry:
    """The union of the buffered service sources: the network service area (one geometry).

    >>> from shapely import LineString, Point
    >>> s = gpd.GeoDataFrame({"radius_m": [10.0, 5.0]},
    ...     geometry=[LineString([(0, 0), (100, 0)]), Point(200, 0)], crs="EPSG:4548")
    >>> round(service_area_polygons(s, quad_segs=64).area)
    2393
    """
    g = np.asarray(sources.geometry.values, dtype=object)
    if len(g) == 0:
        return shapely.Polygon()
    return shapely.union_all(shapely.buffer(g, _num(sources["radius_m"]), quad_segs=quad_segs))
