"""Scenarios: the parks of a given year (existing parks plus finished green projects), the
coverage table of a scenario and the marginal coverage gain of each green project.

A *green project* is a row of the projects layer with ``adds_green_space`` true or a ``category``
in :data:`GREEN_CATEGORIES`. Only projects whose geometry is known can be placed on the map; the
others are listed with the reason ``"no geometry"``, never silently dropped.

The family, one concern each (every public name is importable from here):

- :mod:`geo.scenarios_parks` — project status by year, green projects, :func:`parks_as_of`;
- :mod:`geo.scenarios_gains` — :func:`marginal_gains` and :func:`rank_gains`;
- this module — the scenario pipeline, :func:`scenario_parks` and :func:`scenario_coverage`.

All geometry in one projected metric CRS (metres, m²).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.rules import RuleSet

# Re-exported: geo.netgains, greenmap, layers, webmap and tests import these from here. rank_gains
# is not in __all__ (as before the split), hence the explicit ``as`` re-export.
from geo.scenarios_gains import GAIN_COLUMNS, marginal_gains
from geo.scenarios_gains import rank_gains as rank_gains
from geo.scenarios_parks import GREEN_CATEGORIES, green_projects, parks_as_of, status_in_year

__all__ = [
    "GAIN_COLUMNS",
    "GREEN_CATEGORIES",
    "green_projects",
    "marginal_gains",
    "parks_as_of",
    "status_in_year",
]


def scenario_parks(
    parks: gpd.GeoDataFrame,
    rule: RuleSet,
    *,
    projects: gpd.GeoDataFrame | None = None,
    year: int | None = None,
    include_planned: bool = False,
    historic_blocks: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The parks of a scenario with their service radius: :func:`parks_as_of`, then
    :func:`geo.rules.assign_radii` (historic blocks as zones only when a tier depends on them).

    All inputs in one projected metric CRS. ``year=None`` uses ``parks`` as given; with a year,
    ``projects`` is required.
    """
    from geo.rules import assign_radii

    current = parks
    if year is not None:
        if projects is None:
            raise ValueError("projects: needed to build the parks of a given year")
        current = parks_as_of(parks, projects, year, include_planned)
    zones = None
    if historic_blocks is not None and any(t.zone != "any" for t in rule.tiers):
        zones = historic_blocks
    return assign_radii(current, rule, zones)


def scenario_coverage(
    residential: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    rule: RuleSet,
    *,
    projects: gpd.GeoDataFrame | None = None,
    year: int | None = None,
    include_planned: bool = False,
    subdistricts: gpd.GeoDataFrame | None = None,
    historic_blocks: gpd.GeoDataFrame | None = None,
    population_col: str | None = None,
    quad_segs: int | None = None,
    disjoint: bool = False,
) -> pd.DataFrame:
    """The coverage table of a scenario: the parks of ``year`` under ``rule``, by district, 街道 and block.

    One pipeline for the CLI, the web map and the Python API: :func:`parks_as_of` (when ``year`` is given),
    :func:`geo.rules.assign_radii` (historic blocks as the exclusion zones of zone-dependent tiers), then
    :func:`geo.indicator.coverage_table`. All inputs in one projected metric CRS.

    Parameters
    ----------
    residential, parks : GeoDataFrame
        Residential land and parks (metric CRS).
    rule : RuleSet
        The rule set.
    projects : GeoDataFrame, optional
        Projects whose finished green space counts from their completion year (needed with ``year``).
    year : int, optional
        As-of year; ``None`` uses ``parks`` as given.
    include_planned : bool
        Count planned green projects due by ``year`` too.
    subdistricts, historic_blocks : GeoDataFrame, optional
        Units of the breakdown and the historic blocks (exclusion of the non-historic variant).
    population_col : str, optional
        A population column of ``subdistricts`` spread over each 街道's residential land by area; by default
        the parcels' own ``population`` column is used where present.
    quad_segs : int, optional
        Buffer segments per quarter circle (default: the rule's, else the engine's).
    disjoint : bool
        ``residential`` is already disjoint (see :func:`geo.indicator.coverage_table`).

    Returns
    -------
    DataFrame
        :func:`geo.indicator.coverage_table`'s tidy table, with ``year`` added.
    """
    from geo.indicator import coverage_table

    assigned = scenario_parks(
        parks,
        rule,
        projects=projects,
        year=year,
        include_planned=include_planned,
        historic_blocks=historic_blocks,
    )
    table = coverage_table(
        residential,
        assigned,
        subdistricts=subdistricts,
        historic_blocks=historic_blocks,
        rule=rule,
        quad_segs=quad_segs,
        population_col=population_col,
        disjoint=disjoint,
    )
    table.insert(len(table.columns), "year", year)
    table.attrs["parks_used"] = len(assigned)
    return table
