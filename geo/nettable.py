"""The walking-network coverage table, with the Euclidean figures of the same units beside it.

:func:`network_coverage_table` feeds the service sources of :func:`geo.netcoverage.network_service`
(or, for a Euclidean rule with ``barriers = true``, the park buffers cut along the barriers) to
:func:`geo.indicator.coverage_table` in place of the park buffers, so the network rule has the
same outputs as the Euclidean ones (district, 街道, historic blocks, both variants,
population-weighted, arc error bound), and adds the Euclidean rate beside every row. Metric CRS.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coverage import DEFAULT_QUAD_SEGS
from geo.indicator import TABLE_COLUMNS
from geo.netcoverage import network_service
from geo.netgraph import StreetGraph
from geo.rules import RuleSet, _num

__all__ = ["add_euclidean", "euclidean_rule", "network_coverage_table"]


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


def euclidean_rule(rule: RuleSet) -> RuleSet:
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
        Tagged park entrance points (see :func:`geo.netentrances.entrances_for`), used as the rule's
        ``network.tagged_entrances`` says.
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
            tagged=rule.network.tagged_entrances,
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
        rule=euclidean_rule(rule),
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
