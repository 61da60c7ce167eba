"""Geometry derived for the map: service radii, uncovered residential land and candidate sites.

Built in the loader's metric CRS (metres) from the parks a rule counts, returned in EPSG:4326;
walking-network rules take their served areas from :mod:`webmap.netservice`.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.gaps import candidate_land, candidate_sites, uncovered
from webmap import netservice
from webmap.service_coverage import CoverageMixin


class GeometryMixin(CoverageMixin):
    """The map-layer part of :class:`webmap.service.MapService` (radii, gaps, candidates)."""

    def radii(self, rule_id: str, year: int | None = None) -> gpd.GeoDataFrame:
        """One service-radius polygon per eligible park under a rule (EPSG:4326).

        Columns: park_id, name_zh, name_en, radius_m, tier, opened_year, rule_id, geometry_quality,
        source.
        """

        def make() -> gpd.GeoDataFrame:
            pr = self.assigned(rule_id, year)
            rule = self.rule(rule_id)
            if netservice.is_network(rule):  # walking-network rules (issue 12)
                return netservice.radii_layer(self._as_service(), rule_id, year)
            qs = getattr(rule, "quad_segs", None) or 16
            geom = shapely.buffer(
                np.asarray(pr.geometry.values), pr["radius_m"].to_numpy(dtype=float), quad_segs=qs
            )
            keep = [
                c
                for c in ("park_id", "name_zh", "name_en", "radius_m", "tier", "opened_year")
                if c in pr.columns
            ]
            out = gpd.GeoDataFrame(pr[keep].copy(), geometry=geom, crs=pr.crs).to_crs(4326)
            out["rule_id"] = rule_id
            out["geometry_quality"] = pr["geometry_quality"].to_numpy()
            out["source"] = "本工具计算 computed: " + str(getattr(rule, "citation", rule_id))
            return out

        return self.cached(("radii", rule_id, year), make).copy()

    def gaps(self, rule_id: str, year: int | None = None) -> gpd.GeoDataFrame:
        """Residential land outside every service radius under a rule, per 街道 (EPSG:4326).

        ``geo.gaps.uncovered`` dissolved by ``subdistrict_code``, simplified by 1 m for display.
        Columns: gap_id, subdistrict_code, residential_m2, uncovered_m2, uncovered_pct, rule_id,
        year, geometry_quality, source.
        """

        def make() -> gpd.GeoDataFrame:
            res = self._metric("residential")
            pr = self.assigned(rule_id, year)
            rule = self.rule(rule_id)
            qs = getattr(rule, "quad_segs", None) or 16
            served = shapely.buffer(
                np.asarray(pr.geometry.values), pr["radius_m"].to_numpy(dtype=float), quad_segs=qs
            )
            if netservice.is_network(rule):  # walking-network rules (issue 12)
                served = np.array(
                    [netservice.served(self._as_service(), rule_id, year)], dtype=object
                )
            by = "subdistrict_code" if "subdistrict_code" in res.columns else None
            out = uncovered(res, gpd.GeoSeries(served, crs=res.crs), by=by)
            g = np.asarray(out.geometry.values)
            out = out[~(shapely.is_empty(g) | shapely.is_missing(g))].copy()
            out[out.geometry.name] = shapely.simplify(np.asarray(out.geometry.values), 1.0)
            key = out[by].astype(str) if by else pd.Series(["all"] * len(out), index=out.index)
            out["gap_id"] = rule_id + ":" + key
            out["rule_id"] = rule_id
            out["year"] = year
            quality = set(res["geometry_quality"]) if "geometry_quality" in res else set()
            out["geometry_quality"] = "approximate" if "approximate" in quality else "user"
            out["source"] = "本工具计算 computed: residential land minus park service radii"
            return out.to_crs(4326)

        return self.cached(("gaps", rule_id, year), make).copy()

    def candidates(self, rule_id: str, k: int = 10) -> gpd.GeoDataFrame:
        """Candidate cells for new parks (``geo.gaps.candidate_sites``), a model result (EPSG:4326).

        Candidate land is :func:`geo.gaps.candidate_land` (non-residential land, else land to be
        vacated); a new park of the rule's minimum size gets the rule's radius for that size; cells
        of 200 m; ``k`` picks.
        """

        def make() -> gpd.GeoDataFrame:
            rule = self.rule(rule_id)
            res = self._metric("residential")
            size = max(float(getattr(rule, "min_area_m2", 5000.0)), 1000.0)
            land = candidate_land(
                self._metric("district"), res, self._metric("parks"), min_area_m2=size
            )
            radius = max(
                (t.radius_m for t in rule.tiers if t.min_area_m2 <= size and t.zone == "any"),
                default=max(rule.radii),
            )
            pr = self.assigned(rule_id, None)
            served = shapely.buffer(
                np.asarray(pr.geometry.values), pr["radius_m"].to_numpy(dtype=float), quad_segs=16
            )
            cell = max(200.0, math.ceil(math.sqrt(size)))
            out = candidate_sites(
                res, gpd.GeoSeries(served, crs=res.crs), land.geometry, size, radius, k, cell
            )
            out = out.copy()
            out["site_id"] = [f"{rule_id}:{int(r)}" for r in out["rank"]]
            out["name_zh"] = [f"候选地块 {int(r)}" for r in out["rank"]]
            out["name_en"] = [f"candidate site {int(r)}" for r in out["rank"]]
            out["rule_id"] = rule_id
            out["geometry_quality"] = "approximate"
            out["land_basis"] = land.basis
            out["source"] = (
                "本工具计算 computed: greedy maximal-coverage model, not a real site; candidate land: "
                + land.note
            )
            return out.to_crs(4326)

        return self.cached(("candidates", rule_id, k), make).copy()
