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
population-weighted) and the same arc error bound, now for the street buffers.
:func:`network_covered_area` gives the same covered areas (no bracket) faster for the thousands
of street buffers: it is what ``bench/network.py`` times; the tables keep the certified bracket
of :func:`geo.coverage.covered_area_bracket` for their ``arc_error_bound_pp``.

All in the study area's metric CRS (metres, m²).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

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
    "add_euclidean",
    "network_coverage_table",
    "network_covered_area",
    "network_marginal_gains",
    "network_service",
    "service_area_polygons",
    "service_sources",
]


def service_sources(reach: Reach, catchment_m: float, *, merge: bool = True) -> gpd.GeoDataFrame:
    """Reached street portions and node disks whose buffers make the exact service area.

    Parameters
    ----------
    reach : Reach
        From :func:`geo.netengine.network_reach`.
    catchment_m : float
        Largest distance (m) from a reached street to a served point, C > 0.
    merge : bool
        Merge street portions that meet end to end (``shapely.line_merge``); same service area.

    Returns
    -------
    GeoDataFrame
        ``kind`` (``street``: a portion with remaining distance ≥ C, buffered by C; ``node``: a
        node with 0 < remaining < C, buffered by its remaining distance), ``radius_m`` (m) and the
        LineString / Point, in the graph's CRS.

    Examples
    --------
    >>> from shapely import LineString
    >>> from geo.netgraph import build_graph
    >>> e = gpd.GeoDataFrame({"u": [0], "v": [1]}, geometry=[LineString([(0, 0), (1000, 0)])],
    ...     crs="EPSG:4548")
    >>> g = build_graph(e)
    >>> ap = AccessPoints(np.array([0]), np.array([0]), np.array([0.0]), np.array([0.0]),
    ...     np.array(["crossing"], dtype=object))
    >>> s = service_sources(network_reach(g, ap, [500.0]), 50.0)
    >>> s[["kind", "radius_m"]].values.tolist(), round(float(s.geometry.length.iloc[0]), 6)
    ([['street', 50.0]], 450.0)
    """
    if not catchment_m > 0:
        raise ValueError(f"catchment_m must be > 0, got {catchment_m!r}")
    lines, _ = reached_pieces(reach, threshold=catchment_m)
    if merge and len(lines) > 1:
        # pieces meeting end to end at nodes of degree 2 become one line: the buffers' union is the
        # same, and the coverage engine has fewer, longer sources to bracket
        lines = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines)))
    rem = reach.rem
    nd = np.flatnonzero((rem > 0) & (rem < catchment_m))
    pts = shapely.points(reach.node_xy[nd]) if len(nd) else np.empty(0, dtype=object)
    return gpd.GeoDataFrame(
        {
            "kind": np.concatenate(
                [
                    np.full(len(lines), "street", dtype=object),
                    np.full(len(nd), "node", dtype=object),
                ]
            ),
            "radius_m": np.concatenate([np.full(len(lines), float(catchment_m)), rem[nd]]),
        },
        geometry=np.concatenate([lines, pts]).astype(object),
        crs=reach.graph.crs,
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


def network_covered_area(
    demand: gpd.GeoSeries | gpd.GeoDataFrame,
    sources: gpd.GeoDataFrame,
    *,
    quad_segs: int = DEFAULT_QUAD_SEGS,
) -> NDArray[np.float64]:
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
      intersected with the parcel once.

    No Python loop over sources or parcels. Metric CRS, metres and m². Gives ``cov`` only: the
    arc-error bracket (``arc_error_bound_pp`` of the tables) still comes from
    :func:`geo.coverage.covered_area_bracket`, as :func:`network_coverage_table` computes it.

    Examples
    --------
    >>> from shapely import LineString, Point, box
    >>> s = gpd.GeoDataFrame({"radius_m": [10.0, 5.0]},
    ...     geometry=[LineString([(0, 0), (100, 0)]), Point(200, 0)], crs="EPSG:4548")
    >>> d = gpd.GeoSeries([box(10, -5, 20, 5), box(50, 5, 60, 25), box(300, 0, 310, 10)],
    ...     crs="EPSG:4548")
    >>> network_covered_area(d, s).round(6).tolist()  # inside, half in, far away
    [100.0, 50.0, 0.0]
    """
    darr = np.asarray(
        demand.geometry.values if hasattr(demand, "geometry") else demand, dtype=object
    )
    n = len(darr)
    out = np.zeros(n)
    g = np.asarray(sources.geometry.values, dtype=object)
    if n == 0 or len(g) == 0:
        return out
    r = _num(sources["radius_m"])
    # only sources whose box grown by their radius meets a parcel's box are buffered (a GEOS
    # buffer lies within r of its source); the box pairs are refined on the buffers below
    sb = np.asarray(shapely.bounds(g), dtype=np.float64)
    pad = np.where(np.isfinite(r), r, 0.0) + 1e-6 * (1.0 + np.abs(np.nan_to_num(sb)).max(axis=1))
    grown = shapely.box(sb[:, 0] - pad, sb[:, 1] - pad, sb[:, 2] + pad, sb[:, 3] + pad)
    s, k = shapely.STRtree(darr).query(grown)
    if len(s) == 0:
        return out
    used, s = np.unique(s, return_inverse=True)
    sa = np.asarray(shapely.buffer(g[used], r[used], quad_segs=quad_segs), dtype=object)
    sa[shapely.is_missing(sa)] = shapely.Polygon()
    area = np.asarray(shapely.area(darr), dtype=np.float64)
    db = np.asarray(shapely.bounds(darr), dtype=np.float64)
    shapely.prepare(sa)
    hit = shapely.intersects(sa[s], darr[k])
    s, k = s[hit], k[hit]
    full = np.zeros(n, dtype=bool)
    full[k[shapely.contains_properly(sa[s], darr[k])]] = True
    edge = ~full[k]
    s, k = s[edge], k[edge]
    if len(k):
        order = np.argsort(k, kind="stable")
        s, k = s[order], k[order]
        m = _CLIP_MARGIN_M
        # shapely.clip_by_rect takes one rectangle; its ufunc takes one per geometry
        local = np.asarray(
            shapely.lib.clip_by_rect(sa[s], db[k, 0] - m, db[k, 1] - m, db[k, 2] + m, db[k, 3] + m),
            dtype=object,
        )
        bad = ~shapely.is_valid(local)
        local[bad] = sa[s[bad]]
        # union of the clipped buffers of each parcel (``k`` sorted), then one overlay with the
        # parcel: for parcels with a few buffers, pairwise unions one column at a time cost less
        # than a cascaded union per parcel; parcels with many (large parcels) get the cascaded one
        uniq, start, count = np.unique(k, return_index=True, return_counts=True)
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
        out[uniq] = shapely.area(shapely.intersection(darr[uniq], union))
    out[full] = area[full]
    # an overlay can exceed the parcel's own area by rounding; never report more than 100 %
    np.minimum(out, area, out=out)
    return out


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


def network_marginal_gains(
    residential: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame,
    rule: RuleSet,
    year: int,
    graph: StreetGraph,
    *,
    historic_blocks: gpd.GeoDataFrame | None = None,
    include_planned: bool = False,
    by: str = "subdistrict_code",
) -> pd.DataFrame:
    """Each green project's own gain under a network rule, with the Euclidean gain beside.

    The projects, their standing under the rule, the baseline of ``year`` and the variant are those
    of :func:`geo.scenarios.marginal_gains` (called with the same rule measured in a straight
    line, whose gains become ``euclidean_gain_m2`` / ``euclidean_gain_pp``). The network gain of a
    project outside the baseline is its network service area over the residential land the
    baseline's network service leaves unserved; for a project in the baseline, the land only it
    serves. One network run per counted project (a loop over projects, each run vectorised over
    its access points). Metric CRS; m² and percentage points.

    Returns
    -------
    DataFrame
        :data:`geo.scenarios.GAIN_COLUMNS` (gains on the network, ranks re-computed) plus
        ``euclidean_gain_m2``, ``euclidean_gain_pp`` and ``method`` = ``"network"``.
    """
    from geo.indicator import _polygonal, _present
    from geo.rules import assign_radii
    from geo.scenarios import GAIN_COLUMNS, green_projects, marginal_gains, parks_as_of

    if rule.network is None:
        raise ValueError(f"rule {rule.id!r} is not a network rule")
    net_p = rule.network
    euc = marginal_gains(
        residential,
        parks,
        projects,
        _euclidean_rule(rule),
        year,
        historic_blocks=historic_blocks,
        include_planned=include_planned,
        by=by,
    )
    variant = str(euc["variant"].iloc[0]) if len(euc) else "all_land"
    from geo.coverage import normalise_demand

    res = normalise_demand(residential, by=by)
    rg = np.asarray(res.geometry.values, dtype=object)
    keys = res[by].astype(str).to_numpy()
    if variant == "non_historic" and historic_blocks is not None:
        bg = np.asarray(historic_blocks.geometry.values, dtype=object)
        bg = bg[_present(bg)]
        if len(bg):
            rg = _polygonal(shapely.difference(rg, shapely.union_all(bg)))
    res_area = pd.Series(shapely.area(rg)).groupby(keys).sum()
    total = float(res_area.sum())

    zones = historic_blocks if any(t.zone != "any" for t in rule.tiers) else None
    base = assign_radii(parks_as_of(parks, projects, year, include_planned), rule, zones)

    def served(p: gpd.GeoDataFrame) -> shapely.Geometry:
        if len(p) == 0:
            return shapely.Polygon()
        src = network_service(
            graph,
            p,
            catchment_m=net_p.catchment_m,
            max_distance_m=net_p.access_max_distance_m,
            spacing_m=net_p.entrance_spacing_m,
        ).sources
        return service_area_polygons(src, quad_segs=rule.quad_segs or DEFAULT_QUAD_SEGS)

    served_base = served(base)
    unc = _polygonal(shapely.difference(rg, served_base))
    gp = green_projects(projects).reset_index(drop=True)
    gp_geom = dict(zip(gp["project_id"].astype(str), gp.geometry.values, strict=True))
    d_rows = euc[euc["scope"] == "district"]
    gains: dict[str, pd.Series] = {}
    for _, row in d_rows.iterrows():  # one network run per counted project
        pid = str(row["project_id"])
        if not (bool(row["eligible"]) and np.isfinite(row["gain_m2"])):
            continue
        one = gpd.GeoDataFrame(
            {"park_id": [pid], "radius_m": [float(row["radius_m"])]},
            geometry=[gp_geom[pid]],
            crs=projects.crs,
        )
        own = served(one)
        if bool(row["in_baseline"]):
            others = base[base["park_id"].astype(str) != pid]
            land = _polygonal(shapely.difference(rg, served(others)))
        else:
            land = unc
        gains[pid] = pd.Series(shapely.area(shapely.intersection(land, own))).groupby(keys).sum()

    rows = []
    for _, row in d_rows.iterrows():
        pid = str(row["project_id"])
        common = {c: row[c] for c in GAIN_COLUMNS if c not in ("scope", "unit_code", "gain_m2")}
        if pid not in gains:
            rows.append({**common, "scope": "district", "unit_code": "district",
                         "gain_m2": row["gain_m2"] if not np.isfinite(row["gain_m2"]) else 0.0})  # fmt: skip
            continue
        g = gains[pid][gains[pid] > 0]
        rows.append(
            {**common, "scope": "district", "unit_code": "district", "gain_m2": float(g.sum())}
        )
        for code, v in g.items():
            rows.append(
                {**common, "scope": "subdistrict", "unit_code": str(code), "gain_m2": float(v),
                 "residential_m2": float(res_area.get(code, 0.0))}
            )  # fmt: skip
    out = pd.DataFrame(rows)
    if len(out):
        out["residential_m2"] = np.where(
            out["scope"] == "district", total, out["residential_m2"].astype(float)
        )
        out["gain_pp"] = (
            100.0 * out["gain_m2"] / out["residential_m2"].where(out["residential_m2"] > 0)
        )
        out["rank"] = (
            out.groupby(["scope", "unit_code"])["gain_m2"]
            .rank(method="min", ascending=False, na_option="keep")
            .astype("Int64")
        )
        e = euc[["project_id", "scope", "unit_code", "gain_m2", "gain_pp"]].rename(
            columns={"gain_m2": "euclidean_gain_m2", "gain_pp": "euclidean_gain_pp"}
        )
        out = out.merge(e, on=["project_id", "scope", "unit_code"], how="left")
    else:
        out = pd.DataFrame(columns=[*GAIN_COLUMNS, "euclidean_gain_m2", "euclidean_gain_pp"])
    out["method"] = "network"
    out = out.sort_values(
        ["scope", "unit_code", "gain_m2", "project_id"],
        ascending=[True, True, False, True],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)
    return out[[*GAIN_COLUMNS, "euclidean_gain_m2", "euclidean_gain_pp", "method"]]
