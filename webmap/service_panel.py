"""The side panel's tables: 街道 (subdistricts), rule sets and the officially reported indicators."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from webmap.service_cache import CachedService
from webmap.service_loaders import UnavailableError
from webmap.service_serialise import records

#: Indicators whose officially reported values are shown beside the computed coverage.
REPORTED_INDICATORS: tuple[str, ...] = ("park_500m_coverage", "park_500m_coverage_non_historic")


class PanelMixin(CachedService):
    """The panel part of :class:`webmap.service.MapService`: 街道, rules and reported values."""

    # -- subdistricts
    def subdistricts(self) -> list[dict[str, Any]]:
        """The 街道 with names, population where known, bounds and geometry quality."""

        def make() -> list[dict[str, Any]]:
            sd = self.layer("subdistricts")
            cols = [
                "code",
                "name_zh",
                "name_en",
                "area_km2_published",
                "communities_2023",
                "pop_2020_census",
                "pop_other",
                "pop_other_year",
                "source",
                "geometry_quality",
            ]
            rows = records(sd, cols)
            geoms = np.asarray(sd.geometry.values)
            for r, g in zip(rows, geoms, strict=True):
                ok = g is not None and not shapely.is_empty(g)
                r["bounds"] = [round(float(b), 6) for b in shapely.bounds(g)] if ok else None
                r["has_geometry"] = bool(ok)
            return rows

        return list(self.cached("subdistricts", make))

    def subdistrict(self, code: str) -> dict[str, Any] | None:
        """One 街道 by code, or ``None``."""
        return next((s for s in self.subdistricts() if s["code"] == code), None)

    # -- rules
    def rules(self) -> list[dict[str, Any]]:
        """Rule sets: id, titles, citation, headline variant, radii."""

        def make() -> list[dict[str, Any]]:
            try:
                items = self.loader.list_rules()
            except UnavailableError:
                return []
            out = []
            for it in items:
                rule = it if hasattr(it, "id") else self.loader.load_rule(str(it))
                out.append(
                    {
                        "id": rule.id,
                        "title_zh": getattr(rule, "title_zh", rule.id),
                        "title_en": getattr(rule, "title_en", ""),
                        "citation": getattr(rule, "citation", ""),
                        "headline_variant": getattr(rule, "headline_variant", "all_land"),
                        "radii_m": list(getattr(rule, "radii", ())),
                        "method": "network" if getattr(rule, "network", None) else "euclidean",
                        "barriers": bool(getattr(rule, "barriers", False)),
                    }
                )
            default = self.loader.default_rule()
            out.sort(key=lambda r: (r["id"] != default, r["id"]))
            return out

        return list(self.cached("rules", make))

    def rule_ids(self) -> list[str]:
        return [r["id"] for r in self.rules()]

    def default_rule(self) -> str | None:
        ids = self.rule_ids()
        d = self.loader.default_rule()
        return d if d in ids else (ids[0] if ids else None)

    # -- indicators
    def reported_series(self) -> list[dict[str, Any]]:
        """The district's officially reported coverage values (``indicators`` table), by year."""

        def make() -> list[dict[str, Any]]:
            try:
                ind = self.table("indicators")
            except UnavailableError:
                return []
            ind = ind[ind["indicator_id"].isin(REPORTED_INDICATORS)]
            if "year" in ind.columns:
                ind = ind.sort_values(["year", "indicator_id"], kind="stable")
            cols = ["indicator_id", "name_zh", "year", "value", "unit", "kind", "binding", "scope"]
            cols += ["source", "source_file", "source_lines", "note"]
            return records(ind, cols)

        return list(self.cached("reported", make))
