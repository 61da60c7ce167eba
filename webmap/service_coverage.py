"""Coverage under a rule set for the map: parks of a year, their radii and the coverage table.

Coverage goes through :func:`geo.scenarios.scenario_coverage`, the one pipeline the CLI and the
Python API use; walking-network rules go through :mod:`webmap.netservice`. Areas are in the
loader's metric CRS (m²), rates in percent.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from geo.rules import assign_radii
from geo.scenarios import parks_as_of, scenario_coverage
from webmap import netservice
from webmap.service_cache import CachedService
from webmap.service_serialise import records


class CoverageMixin(CachedService):
    """The rule-evaluation part of :class:`webmap.service.MapService` (cached per data version)."""

    def rule(self, rule_id: str) -> Any:
        """The rule set object (cached)."""
        return self.cached(("rule", rule_id), lambda: self.loader.load_rule(rule_id))

    def parks_as_of(self, year: int | None) -> gpd.GeoDataFrame:
        """Parks of ``year`` in the metric CRS (``geo.scenarios.parks_as_of``; ``None`` = all parks)."""

        def make() -> gpd.GeoDataFrame:
            parks = self._metric("parks")
            if year is None:
                return parks
            return parks_as_of(parks, self._metric("projects"), year)

        return self.cached(("parks_as_of", year), make)

    def assigned(self, rule_id: str, year: int | None) -> gpd.GeoDataFrame:
        """Eligible parks with ``radius_m`` under a rule, as of a year (metric CRS)."""

        def make() -> gpd.GeoDataFrame:
            rule = self.rule(rule_id)
            zones = None
            if any(getattr(t, "zone", "any") != "any" for t in getattr(rule, "tiers", ())):
                zones = self._metric("historic_blocks")
            return assign_radii(self.parks_as_of(year), rule, zones)

        return self.cached(("assigned", rule_id, year), make)

    # -- coverage
    def coverage(self, rule_id: str, year: int | None) -> dict[str, Any]:
        """Computed coverage under a rule as of a year: district totals and one row per 街道.

        Returns a dict with ``rule``, ``year``, ``district`` (dict) and ``subdistricts`` (list of dicts
        with ``code``, ``name_zh``, ``coverage_pct`` (all land), ``coverage_non_historic_pct``, ...).
        """
        return dict(self.cached(("coverage", rule_id, year), lambda: self._coverage(rule_id, year)))

    def _as_service(self) -> Any:
        """``self``, loosely typed for :mod:`webmap.netservice`.

        netservice is typed against the assembled ``webmap.service.MapService``, which every part
        belongs to; importing it here would be a cycle.
        """
        return self

    def _coverage(self, rule_id: str, year: int | None) -> dict[str, Any]:
        if netservice.is_network(self.rule(rule_id)):  # walking-network rules (issue 12)
            return normalise_coverage(
                netservice.coverage_table(self._as_service(), rule_id, year), rule_id, year
            )
        hb = (
            self._metric("historic_blocks")
            if self.try_layer("historic_blocks") is not None
            else None
        )
        table = scenario_coverage(
            self._metric("residential"),
            self._metric("parks"),
            self.rule(rule_id),
            projects=self._metric("projects") if year is not None else None,
            year=year,
            subdistricts=self._metric("subdistricts"),
            historic_blocks=hb,
        )
        return normalise_coverage(table, rule_id, year)


def normalise_coverage(table: pd.DataFrame, rule_id: str, year: int | None) -> dict[str, Any]:
    """Pivot ``geo.indicator.coverage_table`` (long: one row per unit and variant) for the API.

    >>> t = pd.DataFrame({"scope": ["district", "district", "subdistrict"],
    ...     "unit_code": ["district", "district", "110102001"], "unit_name_zh": ["全区", "全区", "x"],
    ...     "unit_name_en": ["", "", ""], "variant": ["all_land", "non_historic", "all_land"],
    ...     "rate_pct": [90.0, 95.0, 80.123], "headline": [False, True, False]})
    >>> out = normalise_coverage(t, "r", 2020)
    >>> out["district"]["coverage_pct"], out["district"]["coverage_non_historic_pct"]
    (90.0, 95.0)
    >>> out["subdistricts"][0]["coverage_pct"], out["subdistricts"][0]["coverage_non_historic_pct"]
    (80.12, None)
    """
    units: dict[tuple[str, str], dict[str, Any]] = {}
    for r in records(table):
        scope = str(r.get("scope"))
        code = str(r.get("unit_code"))
        u = units.setdefault(
            (scope, code),
            {
                "code": code,
                "scope": scope,
                "name_zh": r.get("unit_name_zh"),
                "name_en": r.get("unit_name_en"),
                "coverage_pct": None,
                "coverage_non_historic_pct": None,
                "variants": {},
            },
        )
        variant = str(r.get("variant"))
        rate = r.get("rate_pct")
        rate = round(float(rate), 2) if isinstance(rate, int | float) else None
        if variant == "all_land":
            u["coverage_pct"] = rate
        elif variant == "non_historic":
            u["coverage_non_historic_pct"] = rate
        eu = r.get("euclidean_rate_pct")
        if isinstance(eu, int | float):  # network rules: the straight-line rate beside
            u["method"] = r.get("method")
            key = (
                "euclidean_coverage_pct"
                if variant == "all_land"
                else "euclidean_coverage_non_historic_pct"
            )
            u[key] = round(float(eu), 2)
        if r.get("headline"):
            u["headline_variant"] = variant
            u["headline_pct"] = rate
        u["variants"][variant] = {
            k: r.get(k)
            for k in (
                "residential_m2",
                "covered_m2",
                "rate_pct",
                "arc_error_bound_pp",
                "population",
                "pop_rate_pct",
                "euclidean_rate_pct",
                "note",
            )
            if k in r
        }
    district = next((u for (s, _), u in units.items() if s == "district"), {})
    subs = [u for (s, _), u in units.items() if s == "subdistrict"]
    blocks = [u for (s, _), u in units.items() if s == "historic_block"]
    return {
        "rule": rule_id,
        "year": year,
        "district": district,
        "subdistricts": subs,
        "historic_blocks": blocks,
    }
