"""The report's candidate sites: where a new park would cover the most uncovered residential land,
for one 街道 or the district, and their table rows (coordinates printed as WGS-84 lon/lat).
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.gaps import candidate_sites
from greenmap.report_context_common import _empty, _of_code
from greenmap.report_data import ReportData
from greenmap.report_format import _num

#: Candidate sites listed per 街道 and for the district.
K_SUBDISTRICT, K_DISTRICT = 5, 10


def _candidates(data: ReportData, code: str | None, k: int) -> tuple[gpd.GeoDataFrame, str, str]:
    """Top ``k`` candidate sites for the 街道 (its residential land, candidate land inside it) or the
    district; with the basis label and a note when there are none."""
    res = data.study["residential"]
    land = data.land
    if land is None:
        return _empty(res.crs), "", "没有区界 no district outline"
    geom = land.geometry
    if code is not None:
        poly = shapely.union_all(
            np.asarray(_of_code(data.study["subdistricts"], code).geometry.values)
        )
        geom = shapely.intersection(geom, poly)
        res = _of_code(res, code, "subdistrict_code")
    if res.empty:
        return _empty(res.crs), land.note, "无居住用地 no residential land"
    rule = data.rule
    # the smallest park the rule counts, but at least 1000 m², served at that size's radius (m)
    size = max(float(rule.min_area_m2), 1000.0)
    radius = max(
        (t.radius_m for t in rule.tiers if t.min_area_m2 <= size and t.zone == "any"),
        default=max(t.radius_m for t in rule.tiers),
    )
    cell = max(200.0, math.ceil(math.sqrt(size)))
    try:
        out = candidate_sites(res, data.served, geom, size, radius, k, cell)
    except ValueError as exc:
        return _empty(res.crs), land.note, str(exc)
    note = str(out.attrs.get("note", "")) if out.empty else ""
    out["geometry_quality"] = "approximate"
    return out, land.note, note


def _candidate_rows(
    cand: gpd.GeoDataFrame, crs: Any, names: dict[str, str]
) -> list[dict[str, Any]]:
    """The table rows of the candidate sites ``cand`` (site coordinates in ``crs``, printed in
    WGS-84 lon/lat); ``names``: 街道 names by code."""
    if cand.empty:
        return []
    pts = gpd.GeoSeries(shapely.points(cand["site_x"], cand["site_y"]), crs=crs).to_crs(4326)
    out = []
    for r, p in zip(cand.to_dict("records"), pts, strict=True):
        out.append(
            {
                "rank": int(r["rank"]),
                "lon": f"{p.x:.5f}",
                "lat": f"{p.y:.5f}",
                "subdistrict": names.get(str(r.get("subdistrict_code")), "—"),
                "new_covered": _num(r["new_covered_m2"], 0, " m²"),
                "cumulative_pp": f"{float(r['cumulative_pp']):.2f} pp",
                "radius": _num(r["service_radius_m"], 0, " m"),
            }
        )
    return out
