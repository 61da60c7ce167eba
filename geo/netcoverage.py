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
:func:`network_covered_area` gives the same covered areas (no bracket) faster for the thousands
of street buffers: it is what ``bench/network.py`` times; the tables keep the certified bracket
of :func:`geo.coverage.covered_area_bracket` for their ``arc_error_bound_pp``.

All in the study area's metric CRS (metres, m²).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, overload

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from geo.coverage import DEFAULT_QUAD_SEGS
from geo.indicator import TABLE_COLUMNS
from geo.netaccess import AccessPoints, access_points
from geo.netengine import Reach, network_reach, reached_pieces
from geo.netgraph import StreetGraph
from geo.rules import RuleSet, _num

__all__ = [
    "NetworkResult",
    "ParcelUnions",
    "add_euclidean",
    "network_coverage_table",
    "network_covered_area",
    "network_service",
    "parcel_unions",
    "service_area_polygons",
    "service_sources",
]


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
        Tagged entrance points.

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


#: Margin (m) by which a parcel's box is grown before a buffer is clipped to it, so that no clip
#: edge runs along the parcel's own boundary.
_CLIP_MARGIN_M = 1.0
#: Parcels touched by at most this many buffers have them unioned pairwise, others cascaded.
_PAIRWISE_MAX = 12


@dataclass
class ParcelUnions:
    """Per (label, parcel) pair (sorted; ``parcel`` a demand position): the union of the label's
    buffers meeting the parcel, each clipped to the parcel's box grown by 1 m (the same set inside
    the parcel), ``None`` where ``full`` (the parcel lies wholly inside one of them)."""

    label: NDArray[np.intp]
    parcel: NDArray[np.intp]
    union: NDArray[np.object_]
    full: NDArray[np.bool_]


def _geoms(demand: gpd.GeoSeries | gpd.GeoDataFrame | ArrayLike) -> NDArray[np.object_]:
    return np.asarray(getattr(demand, "geometry", demand), dtype=object)


def parcel_unions(
    demand: gpd.GeoSeries | gpd.GeoDataFrame | ArrayLike,
    sources: gpd.GeoDataFrame,
    *,
    quad_segs: int = DEFAULT_QUAD_SEGS,
    label: str | None = None,
    pairs: ArrayLike | None = None,
) -> ParcelUnions:
    """The buffered sources of each label meeting each demand polygon, unioned per pair.

    The core of :func:`network_covered_area`; see there for the method. ``label`` names an int
    column of ``sources`` (default: one label, 0). ``pairs`` (int64 keys ``label * n + parcel``,
    ``n`` demand polygons) keeps only those pairs. Metric CRS, metres.
    """
    darr = _geoms(demand)
    n = len(darr)
    g = np.asarray(sources.geometry.values, dtype=object)
    lab = sources[label].to_numpy(dtype=np.intp) if label else np.zeros(len(g), np.intp)
    z = np.empty(0, dtype=np.intp)
    none = ParcelUnions(z, z, np.empty(0, dtype=object), np.empty(0, dtype=bool))
    if n == 0 or len(g) == 0:
        return none
    r = _num(sources["radius_m"])
    # only sources whose box grown by their radius meets a parcel's box are buffered (a GEOS
    # buffer lies within r of its source); the box pairs are refined on the buffers below
    sb = np.asarray(shapely.bounds(g), dtype=np.float64)
    pad = np.where(np.isfinite(r), r, 0.0) + 1e-6 * (1.0 + np.abs(np.nan_to_num(sb)).max(axis=1))
    grown = shapely.box(sb[:, 0] - pad, sb[:, 1] - pad, sb[:, 2] + pad, sb[:, 3] + pad)
    s, k = shapely.STRtree(darr).query(grown)
    if pairs is not None:
        keep = np.isin(lab[s].astype(np.int64) * n + k, np.asarray(pairs, dtype=np.int64))
        s, k = s[keep], k[keep]
    if len(s) == 0:
        return none
    used, s = np.unique(s, return_inverse=True)
    sa = np.asarray(shapely.buffer(g[used], r[used], quad_segs=quad_segs), dtype=object)
    sa[shapely.is_missing(sa)] = shapely.Polygon()
    db = np.asarray(shapely.bounds(darr), dtype=np.float64)
    shapely.prepare(sa)
    hit = shapely.intersects(sa[s], darr[k])
    s, k = s[hit], k[hit]
    key = lab[used][s].astype(np.int64) * n + k
    full_key = np.unique(key[shapely.contains_properly(sa[s], darr[k])])
    edge = ~np.isin(key, full_key)
    s, k, key = s[edge], k[edge], key[edge]
    uniq = np.empty(0, dtype=np.int64)
    union = np.empty(0, dtype=object)
    if len(k):
        order = np.argsort(key, kind="stable")
        s, k, key = s[order], k[order], key[order]
        m = _CLIP_MARGIN_M
        # shapely.clip_by_rect takes one rectangle; its ufunc takes one per geometry
        local = np.asarray(
            shapely.lib.clip_by_rect(sa[s], db[k, 0] - m, db[k, 1] - m, db[k, 2] + m, db[k, 3] + m),
            dtype=object,
        )
        bad = ~shapely.is_valid(local)
        local[bad] = sa[s[bad]]
        # union of the clipped buffers of each pair (``key`` sorted): for pairs with a few
        # buffers, pairwise unions one column at a time cost less than a cascaded union per pair;
        # pairs with many (large parcels) get the cascaded one
        uniq, start, count = np.unique(key, return_index=True, return_counts=True)
        union = local[start].copy()
        few = np.flatnonzero(count <= _PAIRWISE_MAX)
        for c in range(1, int(count[few].max()) if len(few) else 0):  # < _PAIRWISE_MAX passes
            more = few[count[few] > c]
            union[more] = shapely.union(union[more], local[start[more] + c])
        many = np.flatnonzero(count > _PAIRWISE_MAX)
        if len(many):
            cnt = count[many]
            grid = np.full((len(many), int(cnt.max())), None, dtype=object)
            rows = np.repeat(np.arange(len(many)), cnt)
            cols = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            grid[rows, cols] = local[np.repeat(start[many], cnt) + cols]
            union[many] = shapely.union_all(grid, axis=1)
    keys = np.concatenate([uniq, full_key])
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    return ParcelUnions(
        label=(keys // n).astype(np.intp),
        parcel=(keys % n).astype(np.intp),
        union=np.concatenate([union, np.full(len(full_key), None, dtype=object)])[order],
        full=np.concatenate([np.zeros(len(uniq), bool), np.ones(len(full_key), bool)])[order],
    )


@overload
def network_covered_area(
    demand: gpd.GeoSeries | gpd.GeoDataFrame | ArrayLike,
    sources: gpd.GeoDataFrame,
    *,
    quad_segs: int = ...,
    label: None = ...,
    pairs: ArrayLike | None = ...,
) -> NDArray[np.float64]: ...
@overload
def network_covered_area(
    demand: gpd.GeoSeries | gpd.GeoDataFrame | ArrayLike,
    sources: gpd.GeoDataFrame,
    *,
    quad_segs: int = ...,
    label: str,
    pairs: ArrayLike | None = ...,
) -> pd.DataFrame: ...
def network_covered_area(
    demand: gpd.GeoSeries | gpd.GeoDataFrame | ArrayLike,
    sources: gpd.GeoDataFrame,
    *,
    quad_segs: int = DEFAULT_QUAD_SEGS,
    label: str | None = None,
    pairs: ArrayLike | None = None,
) -> NDArray[np.float64] | pd.DataFrame:
    """Area (m²) of each demand polygon covered by the union of the buffered service sources.

    The same number as :func:`geo.coverage.covered_area` ``(demand, sources.geometry,
    sources["radius_m"])`` (GEOS buffers at ``quad_segs``; equal to ~1e-11 relative, see the
    tests), made for the many long, overlapping street buffers of :func:`service_sources`
    rather than a few hundred park disks:

    * (buffer, parcel) pairs from one :class:`shapely.STRtree` query, then prepared
      ``intersects`` and ``contains_properly`` tests: parcels wholly inside one buffer count
      their full area;
    * for every parcel on an edge, each buffer touching it is first clipped to the parcel's box
      grown by 1 m (GEOS rectangle clipping, linear in the buffer's vertices; a clip that is not
      valid falls back to the whole buffer), so the overlay ``parcel ∩ ⋃ buffers`` works on a few
      dozen vertices per pair instead of the few hundred of a street buffer's round caps. The
      clip does not change the part of a buffer inside the parcel, so the result is the same;
      the clipped buffers of a parcel are unioned (pairwise when there are a few), then
      intersected with the parcel once (:func:`parcel_unions`).

    With ``label`` (an int column of ``sources``, e.g. from :func:`service_sources` with a
    ``rem`` matrix) the same for every label at once: the area of each parcel covered by that
    label's sources, per (label, parcel) pair; the unlabelled call is the one-label case.
    ``pairs`` (int64 keys ``label * len(demand) + parcel``) restricts the pairs computed.

    No Python loop over sources, labels or parcels. Metric CRS, metres and m². Gives ``cov``
    only: the arc-error bracket (``arc_error_bound_pp`` of the tables) still comes from
    :func:`geo.coverage.covered_area_bracket`, as :func:`network_coverage_table` computes it.

    Returns
    -------
    ndarray or DataFrame
        Without ``label``: the covered area per demand polygon (m²). With it: ``label``,
        ``parcel`` (position in ``demand``) and ``covered_m2`` for the pairs where a buffer of
        the label meets the parcel.

    Examples
    --------
    >>> from shapely import LineString, Point, box
    >>> s = gpd.GeoDataFrame({"radius_m": [10.0, 5.0], "label": [0, 1]},
    ...     geometry=[LineString([(0, 0), (100, 0)]), Point(200, 0)], crs="EPSG:4548")
    >>> d = gpd.GeoSeries([box(10, -5, 20, 5), box(50, 5, 60, 25), box(195, 0, 310, 10)],
    ...     crs="EPSG:4548")
    >>> network_covered_area(d, s).round(6).tolist()  # inside, half in, half a disk
    [100.0, 50.0, 39.265966]
    >>> network_covered_area(d, s, label="label").round(6).values.tolist()
    [[0.0, 0.0, 100.0], [0.0, 1.0, 50.0], [1.0, 2.0, 39.265966]]
    """
    darr = _geoms(demand)
    pu = parcel_unions(darr, sources, quad_segs=quad_segs, label=label, pairs=pairs)
    area = np.asarray(shapely.area(darr[pu.parcel]), dtype=np.float64)
    cov = area.copy()
    part = ~pu.full
    cov[part] = shapely.area(shapely.intersection(darr[pu.parcel[part]], pu.union[part]))
    # an overlay can exceed the parcel's own area by rounding; never report more than 100 %
    np.minimum(cov, area, out=cov)
    if label is None:
        out = np.zeros(len(darr))
        out[pu.parcel] = cov
        return out
    return pd.DataFrame({"label": pu.label, "parcel": pu.parcel, "covered_m2": cov})


_EUCLID_COLS = {
    "covered_m2": "euclidean_covered_m2",
    "rate_pct": "euclidean_rate_pct",
    "pop_rate_pct": "euclidean_pop_rate_pct",
    "headline_rate_pct": "euclidean_headline_rate_pct",
}


def add_euclidean(network: pd.DataFrame, euclidean: pd.DataFrame) -> pd.DataFrame:
    """The network table with the Euclidean figures of the same units beside it.

    Both tables are :func:`geo.indicator.coverage_table` outputs; rows match on ``scope``,
    ``unit_code`` and ``variant``. Adds ``euclidean_covered_m2``, ``euclidean_rate_pct``,
    ``euclidean_pop_rate_pct``, ``euclidean_headline_rate_pct`` and ``network_minus_euclidean_pp``.
    """
    key = ["scope", "unit_code", "variant"]
    e = euclidean[key + list(_EUCLID_COLS)].rename(columns=_EUCLID_COLS)
    out = network.merge(e, on=key, how="left", validate="one_to_one")
    out["network_minus_euclidean_pp"] = out["rate_pct"] - out["euclidean_rate_pct"]
    out.attrs = dict(network.attrs)
    return out


def _euclidean_rule(rule: RuleSet) -> RuleSet:
    """The same rule measured in a straight line, without barriers (the figure beside)."""
    return dataclasses.replace(rule, network=None, barriers=False)


def network_coverage_table(
    residential: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    rule: RuleSet,
    graph: StreetGraph | None = None,
    *,
    projects: gpd.GeoDataFrame | None = None,
    year: int | None = None,
    include_planned: bool = False,
    subdistricts: gpd.GeoDataFrame | None = None,
    historic_blocks: gpd.GeoDataFrame | None = None,
    barriers: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    entrances: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    population_col: str | None = None,
    disjoint: bool = False,
    notes: list[str] | None = None,
) -> pd.DataFrame:
    """Coverage under a network rule (or a Euclidean rule with barriers), Euclidean rate beside.

    Same pipeline and outputs as :func:`geo.scenarios.scenario_coverage` — the parks of ``year``
    (:func:`geo.scenarios.scenario_parks`), then :func:`geo.indicator.coverage_table` by district,
    街道 and historic block, both variants, population-weighted — with the service sources of
    :func:`network_service` in place of the park buffers. For a Euclidean rule with
    ``barriers = true`` the park buffers are cut along the barrier lines
    (:func:`geo.netbarriers.cut_by_barriers`).

    Parameters
    ----------
    residential, parks, projects, subdistricts, historic_blocks
        As for :func:`geo.scenarios.scenario_coverage` (metric CRS).
    rule : RuleSet
        With ``rule.network`` set, a network rule; else a Euclidean rule with ``barriers``.
    graph : StreetGraph, optional
        The walking graph, barrier rules already applied (needed for a network rule).
    barriers : GeoDataFrame or GeoSeries, optional
        Barrier lines, for a Euclidean rule with ``barriers = true``.
    entrances : GeoDataFrame or GeoSeries, optional
        Tagged park entrance points.
    population_col, disjoint
        As for :func:`geo.indicator.coverage_table`.
    notes : list of str, optional
        Added to every row's ``note`` (e.g. the network's limits).

    Returns
    -------
    DataFrame
        :data:`geo.indicator.TABLE_COLUMNS` + ``year``, ``method`` (``network`` /
        ``euclidean_barriers``) and the Euclidean figures from :func:`add_euclidean`.
        ``attrs``: ``parks_used``, ``parks_without_access``, ``n_access_points``.
    """
    from geo.indicator import coverage_table
    from geo.netbarriers import cut_by_barriers
    from geo.scenarios import scenario_parks

    assigned = scenario_parks(
        parks,
        rule,
        projects=projects,
        year=year,
        include_planned=include_planned,
        historic_blocks=historic_blocks,
    )
    extra = list(notes or [])
    attrs: dict[Hashable, Any] = {"parks_used": len(assigned)}
    if rule.network is not None:
        if graph is None:
            raise ValueError(f"graph: rule {rule.id!r} is a network rule; give the street graph")
        net = network_service(
            graph,
            assigned,
            catchment_m=rule.network.catchment_m,
            max_distance_m=rule.network.access_max_distance_m,
            spacing_m=rule.network.entrance_spacing_m,
            entrances=entrances,
        )
        sources = net.sources
        method = "network"
        attrs["parks_without_access"] = net.parks_without_access
        attrs["n_access_points"] = len(net.access)
        if net.parks_without_access:
            extra.append(
                f"{len(net.parks_without_access)} park(s) with no street within "
                f"{rule.network.access_max_distance_m:g} m serve nothing on the network"
            )
    else:
        if not rule.barriers:
            raise ValueError(f"rule {rule.id!r}: neither a network rule nor barriers = true")
        sa = shapely.buffer(
            np.asarray(assigned.geometry.values, dtype=object),
            _num(assigned["radius_m"]),
            quad_segs=rule.quad_segs or DEFAULT_QUAD_SEGS,
        )
        cut = cut_by_barriers(sa, np.asarray(assigned.geometry.values, dtype=object), barriers)
        sources = gpd.GeoDataFrame(
            {"kind": np.full(len(cut), "cut_buffer", dtype=object), "radius_m": np.zeros(len(cut))},
            geometry=cut,
            crs=assigned.crs,
        )
        sources = sources[~shapely.is_empty(np.asarray(sources.geometry.values))]
        method = "euclidean_barriers"
        extra.append(
            "service areas cut along barrier lines (railways, rivers, canals); bridges not "
            "modelled; arc error bound of the cut buffers not included"
        )
    table = coverage_table(
        residential,
        sources,
        subdistricts=subdistricts,
        historic_blocks=historic_blocks,
        rule=rule,
        population_col=population_col,
        disjoint=disjoint,
    )
    euclid = coverage_table(
        residential,
        assigned,
        subdistricts=subdistricts,
        historic_blocks=historic_blocks,
        rule=_euclidean_rule(rule),
        population_col=population_col,
        disjoint=disjoint,
    )
    out = add_euclidean(table, euclid)
    out.insert(len(TABLE_COLUMNS), "year", year)
    out.insert(len(TABLE_COLUMNS) + 1, "method", method)
    if extra:
        msg = "; ".join(extra)
        out["note"] = out["note"].map(lambda s: f"{s}; {msg}" if s else msg)
    out.attrs = attrs
    return out
