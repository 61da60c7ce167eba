"""Marginal coverage gain of each green project, district-wide and per 街道, ranked.

A project's gain is the residential area covered with it minus without it, against the parks of
the year (:func:`geo.scenarios_parks.parks_as_of`). Projects without geometry are listed with
the reason ``"no geometry"``, never silently dropped. Part of the :mod:`geo.scenarios` family.

All geometry in one projected metric CRS (metres, m²).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coverage import DEFAULT_QUAD_SEGS, normalise_demand, service_areas
from geo.indicator import _polygonal, _present
from geo.rules import RuleSet, _num, classify_parks
from geo.scenarios_parks import _project_status, green_projects, parks_as_of

__all__ = ["GAIN_COLUMNS", "marginal_gains", "rank_gains"]

#: Columns of :func:`marginal_gains`.
GAIN_COLUMNS: tuple[str, ...] = (
    "project_id",
    "name_zh",
    "category",
    "status_in_year",
    "in_baseline",
    "eligible",
    "radius_m",
    "scope",
    "unit_code",
    "residential_m2",
    "gain_m2",
    "gain_pp",
    "rank",
    "reason",
    "variant",
    "rule_id",
    "year",
)


def marginal_gains(
    residential: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame,
    rule: RuleSet,
    year: int,
    *,
    historic_blocks: gpd.GeoDataFrame | None = None,
    include_planned: bool = False,
    quad_segs: int | None = None,
    by: str = "subdistrict_code",
) -> pd.DataFrame:
    """Coverage each green project adds, district-wide and per 街道, ranked.

    The baseline is :func:`parks_as_of` ``(parks, projects, year, include_planned)`` with radii
    from ``rule``. A project's gain is the residential area covered with it minus without it:
    for a project outside the baseline, the part of its service area over residential land the
    baseline leaves uncovered; for a project inside the baseline, the land only it covers. Gains
    are measured over the rule's headline variant (historic blocks removed from the residential
    land when the headline is ``non_historic`` and ``historic_blocks`` is given).

    Parameters
    ----------
    residential : GeoDataFrame
        Residential parcels (metric CRS) with ``by`` for the 街道 rows; overlaps are removed
        with :func:`geo.coverage.normalise_demand`.
    parks, projects : GeoDataFrame
        As for :func:`parks_as_of`.
    rule : RuleSet
    year : int
    historic_blocks : GeoDataFrame, optional
        Exclusion zone polygons (needed for zone tiers and the non-historic variant).
    include_planned : bool, default False
    quad_segs : int, optional
        Default: the rule's, else :data:`geo.coverage.DEFAULT_QUAD_SEGS`.
    by : str, default "subdistrict_code"

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GAIN_COLUMNS`. One ``scope = "district"`` row per green project
        (``unit_code = "district"``), plus ``scope = "subdistrict"`` rows for the units where the
        gain is positive. ``gain_m2`` (m²) and ``gain_pp`` (percentage points of the unit's
        residential land); ``rank`` 1 = largest gain within the unit. Projects without geometry
        have NaN gains, no rank and ``reason = "no geometry"``; projects the rule does not count
        have gain 0 and the rule's reason (e.g. ``"area below 5000 m²"``).
    """
    qs = quad_segs if quad_segs is not None else (rule.quad_segs or DEFAULT_QUAD_SEGS)
    if by not in residential.columns:
        raise ValueError(f"by={by!r} is not a column of residential")
    base = parks_as_of(parks, projects, year, include_planned)
    zones = historic_blocks if rule.exclusion == "historic_blocks" else None
    base_c = classify_parks(base, rule, zones)
    base_e = base_c[base_c["eligible"].to_numpy()]
    variant = rule.headline_variant if historic_blocks is not None else "all_land"

    rg = np.asarray(residential.geometry.values)
    if not _present(rg).all():
        raise ValueError(f"residential: {int((~_present(rg)).sum())} parcel(s) without geometry")
    residential = normalise_demand(residential, by=by)
    rg = np.asarray(residential.geometry.values)
    keys = residential[by].astype(str).to_numpy()
    if variant == "non_historic" and historic_blocks is not None:
        bg = np.asarray(historic_blocks.geometry.values)
        bg = bg[_present(bg)]
        if len(bg):
            rg = _polygonal(shapely.difference(rg, shapely.union_all(bg)))
    res_area = pd.Series(shapely.area(rg)).groupby(keys).sum()
    total = float(res_area.sum())
    if not total > 0:
        raise ValueError("residential: zero total area (after removing historic blocks)")

    base_sa = (
        np.asarray(service_areas(base_e.geometry, base_e["radius_m"], quad_segs=qs).values)
        if len(base_e)
        else np.empty(0, object)
    )
    served = shapely.union_all(base_sa) if len(base_sa) else shapely.Polygon()
    unc = _polygonal(shapely.difference(rg, served))
    ok = shapely.area(unc) > 0
    unc, unc_keys = unc[ok], keys[ok]

    # all green projects, with their standing under the rule
    gp = green_projects(projects).reset_index(drop=True)
    gp_c = classify_parks(
        gpd.GeoDataFrame(
            {
                "park_id": gp["project_id"].astype(str).to_numpy(),
                "kind": gp["category"].to_numpy() if "category" in gp.columns else None,
                "area_m2": (_num(gp["area_m2"]) if "area_m2" in gp.columns else np.nan),
                "status": "existing",
                "fee": "unknown",
            },
            geometry=np.asarray(gp.geometry.values),
            crs=projects.crs,
        ),
        rule,
        zones,
    )
    st = _project_status(gp, year)
    base_ids = set(base.loc[base["origin"] == "project", "park_id"].astype(str))
    pid = gp["project_id"].astype(str).to_numpy()
    in_base = np.isin(pid, list(base_ids))
    has_geom = _present(np.asarray(gp.geometry.values))
    elig = gp_c["eligible"].to_numpy(dtype=bool)
    radius = _num(gp_c["radius_m"])

    gains: dict[int, pd.Series] = {}
    # projects outside the baseline: vectorised over all of them
    cand = np.flatnonzero(elig & ~in_base)
    if len(cand) and len(unc):
        sa = shapely.buffer(np.asarray(gp.geometry.values)[cand], radius[cand], quad_segs=qs)
        si, uj = shapely.STRtree(unc).query(sa, predicate="intersects")
        a = shapely.area(shapely.intersection(sa[si], unc[uj]))
        df = pd.DataFrame({"p": cand[si], "k": unc_keys[uj], "a": a})
        for p, grp in df.groupby("p"):
            gains[int(str(p))] = grp.groupby("k")["a"].sum()
    # projects in the baseline: land only they cover (few; one union each)
    base_pid = base_e["park_id"].astype(str).to_numpy()
    for ib in np.flatnonzero(elig & in_base).tolist():
        i = int(ib)
        others = base_sa[base_pid != pid[i]]
        served_wo = shapely.union_all(others) if len(others) else shapely.Polygon()
        own = shapely.buffer(gp.geometry.values[i], radius[i], quad_segs=qs)
        only = _polygonal(shapely.intersection(shapely.difference(rg, served_wo), own))
        gains[i] = pd.Series(shapely.area(only)).groupby(keys).sum()

    rows = []
    reason_col = gp_c["reason"].to_numpy()
    for i in range(len(gp)):
        common = {
            "project_id": pid[i],
            "name_zh": gp["name_zh"].iloc[i] if "name_zh" in gp.columns else "",
            "category": gp["category"].iloc[i] if "category" in gp.columns else "",
            "status_in_year": st[i],
            "in_baseline": bool(in_base[i]),
            "eligible": bool(elig[i]),
            "radius_m": radius[i],
        }
        if not has_geom[i]:
            rows.append(
                {
                    **common,
                    "scope": "district",
                    "unit_code": "district",
                    "residential_m2": total,
                    "gain_m2": np.nan,
                    "gain_pp": np.nan,
                    "reason": "no geometry",
                }
            )
            continue
        g = gains.get(i, pd.Series(dtype=float))
        g = g[g > 0]
        reason = "" if elig[i] else f"not counted by rule {rule.id}: {reason_col[i]}"
        dg = float(g.sum())
        rows.append(
            {**common, "scope": "district", "unit_code": "district", "residential_m2": total,
             "gain_m2": dg, "gain_pp": 100.0 * dg / total, "reason": reason}
        )  # fmt: skip
        for code, v in g.items():
            ra = float(res_area.get(code, 0.0))
            rows.append(
                {
                    **common,
                    "scope": "subdistrict",
                    "unit_code": str(code),
                    "residential_m2": ra,
                    "gain_m2": float(v),
                    "gain_pp": 100.0 * float(v) / ra if ra > 0 else np.nan,
                    "reason": reason,
                }
            )
    out = pd.DataFrame(rows, columns=[c for c in GAIN_COLUMNS if c not in ("rank",)])
    out["variant"] = variant
    out["rule_id"] = rule.id
    out["year"] = int(year)
    return rank_gains(out)[list(GAIN_COLUMNS)]


def rank_gains(gains: pd.DataFrame) -> pd.DataFrame:
    """``gains`` with ``rank`` (1 = largest ``gain_m2`` within each ``scope`` × ``unit_code``,
    ties share the smaller rank, NaN gains unranked), sorted by scope, unit, gain (largest
    first) and project id; the order of every gain table."""
    out = gains.copy()
    out["rank"] = (
        out.groupby(["scope", "unit_code"])["gain_m2"]
        .rank(method="min", ascending=False, na_option="keep")
        .astype("Int64")
    )
    return out.sort_values(
        ["scope", "unit_code", "gain_m2", "project_id"],
        ascending=[True, True, False, True],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)
