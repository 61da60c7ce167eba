"""Park service-radius rule sets as data, and the assignment of a radius to each eligible park.

A :class:`RuleSet` says which parks count (minimum size, kinds, statuses, fee policy), which service
radius each one gets (radius tiers by park area, optionally depending on whether the park lies inside
an exclusion zone such as the historic blocks), which demand the indicator is measured over
(residential land area or population) and which part of the district is left out of the headline
figure (``exclusion``). Rule sets are written as TOML files in ``data/rules/`` and read by
``layers.rules``; this module only validates plain dictionaries and never touches files.

This module holds the entry points that apply a rule to parks (:func:`classify_parks`,
:func:`assign_radii`) and re-exports the rule model, which lives in a small module family:
:mod:`geo.rules_vocab` (allowed field values), :mod:`geo.rules_fields` (field readers and
:class:`RuleError`), :mod:`geo.rules_eligibility` (the ``[eligibility]`` table),
:mod:`geo.rules_tiers` (:class:`RadiusTier` and the ``[[tiers]]`` list) and
:mod:`geo.rules_model` (:class:`RuleSet`). Import all of these names from here.

All geometry work happens in the projected metric CRS of the study area (metres, m²).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.rules_fields import RuleError
from geo.rules_model import RuleSet
from geo.rules_tiers import RadiusTier
from geo.rules_vocab import (
    CITATION_STATUSES,
    DEMAND_BASES,
    EXCLUSIONS,
    FEE_POLICIES,
    KNOWN_PARK_KINDS,
    PARK_KINDS,
    VARIANTS,
    ZONES,
)

__all__ = [
    "CITATION_STATUSES",
    "DEMAND_BASES",
    "EXCLUSIONS",
    "FEE_POLICIES",
    "KNOWN_PARK_KINDS",
    "PARK_KINDS",
    "VARIANTS",
    "ZONES",
    "RadiusTier",
    "RuleError",
    "RuleSet",
    "assign_radii",
    "classify_parks",
]


# ---------------------------------------------------------------------------------------------
# assigning radii


def _num(values: Any) -> np.ndarray:
    """Float array of a column (numbers, strings or nullable dtypes); unparseable/NA → NaN."""
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _present(geoms: np.ndarray) -> np.ndarray:
    """Mask of the geometries that are neither missing nor empty."""
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def _object_column(df: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` as an object array; all ``None`` when the column is absent."""
    return df[name].astype(object).to_numpy() if name in df.columns else np.full(len(df), None)


def _check_metric(gdf: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> None:
    crs = gdf.crs
    if crs is not None and not crs.is_projected:
        raise ValueError(
            f"{name}: CRS {crs.to_string()} is not projected; reproject to the study area's "
            "metric CRS (metres) first"
        )


def classify_parks(
    parks: gpd.GeoDataFrame,
    rule: RuleSet,
    exclusion_zones: gpd.GeoSeries | gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Decide for every park whether it counts under ``rule`` and which radius it gets.

    Parameters
    ----------
    parks : GeoDataFrame
        Parks in a projected metric CRS. Optional columns: ``area_m2`` (used when present and not
        NaN, else the geometry area is used), ``kind``, ``status`` (missing → ``"existing"``),
        ``fee`` (``yes``/``no``/``unknown``).
    rule : RuleSet
    exclusion_zones : GeoSeries or GeoDataFrame, optional
        Polygons of the exclusion zone (e.g. historic blocks) in the same CRS. Needed when a tier
        has ``zone != "any"``; rows with no geometry are ignored.

    Returns
    -------
    GeoDataFrame
        All input rows, plus ``area_m2_used`` (m²), ``area_basis`` (``"area_m2"``, ``"geometry"``
        or ``"none"``), ``in_exclusion`` (bool), ``radius_m`` (NaN when not eligible),
        ``tier`` (tier label or ``""``), ``eligible`` (bool) and ``reason`` (why not eligible, else
        ``""``).

    Raises
    ------
    ValueError
        If the CRS is geographic, or zones are needed but not given.
    """
    _check_metric(parks, "parks")
    needs_zones = any(t.zone != "any" for t in rule.tiers)
    if needs_zones and exclusion_zones is None:
        raise ValueError(
            f"exclusion_zones: rule {rule.id!r} has tiers that depend on {rule.exclusion!r}; "
            "pass their polygons"
        )
    out = parks.copy()
    n = len(out)
    geom = out.geometry.values
    has_geom = _present(np.asarray(geom))

    # area
    col = _num(out["area_m2"]) if "area_m2" in out.columns else np.full(n, np.nan)
    geom_area = np.where(has_geom, shapely.area(np.asarray(geom)), np.nan)
    use_col = ~np.isnan(col)
    area = np.where(use_col, col, geom_area)
    basis = np.where(use_col, "area_m2", np.where(has_geom, "geometry", "none"))
    out["area_m2_used"] = area
    out["area_basis"] = basis

    # zone
    inside = np.zeros(n, dtype=bool)
    if exclusion_zones is not None:
        _check_metric(exclusion_zones, "exclusion_zones")
        zg = np.asarray(
            exclusion_zones.geometry.values
            if isinstance(exclusion_zones, gpd.GeoDataFrame)
            else exclusion_zones.values
        )
        zg = zg[_present(zg)]
        if len(zg) and has_geom.any():
            pts = shapely.point_on_surface(np.asarray(geom)[has_geom])
            tree = shapely.STRtree(zg)
            hit = tree.query(pts, predicate="within")
            idx = np.flatnonzero(has_geom)
            inside[idx[np.unique(hit[0])]] = True
    out["in_exclusion"] = inside

    # tiers: largest radius among matching tiers
    radius = np.full(n, np.nan)
    tier_label = np.full(n, "", dtype=object)
    for t in rule.tiers:
        m = area >= t.min_area_m2
        if t.max_area_m2 is not None:
            m &= area < t.max_area_m2
        if t.zone == "inside_exclusion":
            m &= inside
        elif t.zone == "outside_exclusion":
            m &= ~inside
        better = m & ~(radius >= t.radius_m)
        radius[better] = t.radius_m
        tier_label[better] = t.label

    reason = np.full(n, "", dtype=object)

    def flag(mask: np.ndarray, why: str) -> None:
        reason[(reason == "") & mask] = why

    flag(~has_geom, "no geometry")
    flag(np.isnan(area), "area unknown")
    flag(area < rule.min_area_m2, f"area below {rule.min_area_m2:g} m²")
    if rule.kinds is not None:
        flag(~np.isin(_object_column(out, "kind"), list(rule.kinds)), "kind not eligible")
    status = (
        out["status"].fillna("existing").astype(str).to_numpy()
        if "status" in out.columns
        else np.full(n, "existing")
    )
    flag(~np.isin(status, list(rule.statuses)), "status not eligible")
    if rule.fee == "free_only":
        fee = _object_column(out, "fee")
        flag(fee == "yes", "charges a fee")
        flag(fee != "no", "fee unknown")
    flag(np.isnan(radius), "no radius tier matches")
    eligible = reason == ""
    radius[~eligible] = np.nan
    tier_label[~eligible] = ""
    out["radius_m"] = radius
    out["tier"] = tier_label
    out["eligible"] = eligible
    out["reason"] = reason
    return out


def assign_radii(
    parks: gpd.GeoDataFrame,
    rule: RuleSet,
    exclusion_zones: gpd.GeoSeries | gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The parks that count under ``rule``, each with its service radius.

    Parameters
    ----------
    parks : GeoDataFrame
        Parks in a projected metric CRS (see :func:`classify_parks` for the columns used).
    rule : RuleSet
    exclusion_zones : GeoSeries or GeoDataFrame, optional
        Needed when a tier depends on the exclusion zone.

    Returns
    -------
    GeoDataFrame
        Eligible parks with ``radius_m`` (m), ``tier``, ``area_m2_used`` and ``area_basis``.
        ``attrs["n_input"]``, ``attrs["n_no_geometry"]`` (parks dropped for lack of a polygon) and
        ``attrs["n_excluded"]`` (all parks dropped, for any reason) are ints; use
        :func:`classify_parks` for the reason per park.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> r = RuleSet.from_dict({
    ...     "id": "t", "title_zh": "t", "title_en": "t", "citation": "c",
    ...     "citation_status": "secondary", "eligibility": {"min_area_m2": 2000},
    ...     "tiers": [{"min_area_m2": 5000, "radius_m": 500},
    ...               {"min_area_m2": 2000, "max_area_m2": 5000, "radius_m": 300}]})
    >>> parks = gpd.GeoDataFrame({"park_id": ["a", "b", "c", "d"],
    ...     "area_m2": [None, 3000.0, 1000.0, 9000.0]},
    ...     geometry=[box(0, 0, 100, 100), box(0, 0, 10, 10), box(0, 0, 10, 10), None],
    ...     crs="EPSG:4548")
    >>> out = assign_radii(parks, r)
    >>> out[["park_id", "radius_m", "area_basis"]].values.tolist()
    [['a', 500.0, 'geometry'], ['b', 300.0, 'area_m2']]
    >>> out.attrs["n_no_geometry"], out.attrs["n_excluded"]
    (1, 2)
    """
    c = classify_parks(parks, rule, exclusion_zones)
    out = c[c["eligible"].to_numpy()].drop(columns=["eligible", "reason"])
    out.attrs = {
        "rule_id": rule.id,
        "n_input": len(c),
        "n_no_geometry": int((c["reason"] == "no geometry").sum()),
        "n_excluded": int((~c["eligible"]).sum()),
    }
    return out
