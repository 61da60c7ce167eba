"""The 500 m park service-radius indicator, broken down by 街道 and historic block, with map layers.

Xicheng's binding indicator is 非历史文化街区地区公园绿地500米服务半径覆盖率: the share of residential
land (居住用地) within the service radius of an eligible park, with the historic blocks (历史文化街区)
taken out of numerator *and* denominator. :func:`coverage_table` reports, for a rule set
(:class:`geo.rules.RuleSet`), the district, every 街道 and every historic block, each for two
variants:

``all_land``
    all residential land of the unit;
``non_historic``
    the residential land of the unit outside every historic block (not reported for the
    historic-block rows, where it is empty by definition).

Method: residential parcels are made disjoint (:func:`geo.coverage.normalise_demand`), cut once
along the historic-block outlines into pieces, and :func:`geo.coverage.covered_area_bracket` is
called once for all pieces (the covered area with its certified arc error brackets);
every row is then a group sum of pieces. A piece inside several overlapping blocks (a block inside
another, such as 烟袋斜街 in 什刹海) counts for each of them.

The module is the entry point of a small family: :mod:`geo.indicator_geom` (polygonal parts of
overlay results), :mod:`geo.indicator_pieces` (input checks and the piece decomposition) and
:mod:`geo.indicator_table` (the tidy table); map layers are assembled here.

All geometry in one projected metric CRS (metres, m²).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coverage import DEFAULT_QUAD_SEGS, service_areas

# Re-exported: geo.gaps, geo.scenarios, geo.netgains and tests import these from here.
from geo.indicator_geom import _polygonal as _polygonal
from geo.indicator_geom import _present as _present
from geo.indicator_pieces import _check_parks, _Pieces, _prepare
from geo.indicator_table import TABLE_COLUMNS, _table
from geo.rules import RuleSet, _num

__all__ = [
    "TABLE_COLUMNS",
    "CoverageLayers",
    "coverage_layers",
    "coverage_table",
    "service_radius_layer",
]


def _quad_segs(quad_segs: int | None, rule: RuleSet | None) -> int:
    if quad_segs is not None:
        return int(quad_segs)
    if rule is not None and rule.quad_segs is not None:
        return rule.quad_segs
    return DEFAULT_QUAD_SEGS


def _pieces_and_table(
    residential: gpd.GeoDataFrame,
    parks_with_radius: gpd.GeoDataFrame,
    subdistricts: gpd.GeoDataFrame | None,
    historic_blocks: gpd.GeoDataFrame | None,
    rule: RuleSet | None,
    quad_segs: int | None,
    population_col: str | None,
    district_code: str,
    district_name_zh: str,
    district_name_en: str,
    disjoint: bool,
) -> tuple[_Pieces, int, pd.DataFrame]:
    """Shared core of :func:`coverage_table` and :func:`coverage_layers`.

    Resolves ``quad_segs`` (argument, else the rule's, else the default), builds the pieces and
    the table; returns ``(pieces, quad_segs, table)`` so the layers reuse the same pieces.
    """
    qs = _quad_segs(quad_segs, rule)
    pc = _prepare(
        residential, parks_with_radius, subdistricts, historic_blocks, qs, population_col, disjoint
    )
    table = _table(pc, subdistricts, rule, district_code, district_name_zh, district_name_en)
    return pc, qs, table


def coverage_table(
    residential: gpd.GeoDataFrame,
    parks_with_radius: gpd.GeoDataFrame,
    *,
    subdistricts: gpd.GeoDataFrame | None = None,
    historic_blocks: gpd.GeoDataFrame | None = None,
    rule: RuleSet | None = None,
    quad_segs: int | None = None,
    population_col: str | None = None,
    district_code: str = "district",
    district_name_zh: str = "全区",
    district_name_en: str = "Whole district",
    disjoint: bool = False,
) -> pd.DataFrame:
    """Coverage by district, 街道 and historic block, for the all-land and non-historic variants.

    Parameters
    ----------
    residential : GeoDataFrame
        Residential parcels (metric CRS). Optional ``subdistrict_code`` (filled by spatial join
        when ``subdistricts`` is given) and ``population`` (people per parcel; NaN = unknown).
    parks_with_radius : GeoDataFrame
        Eligible parks with ``radius_m`` (m), as returned by :func:`geo.rules.assign_radii`.
    subdistricts : GeoDataFrame, optional
        街道 polygons with ``code``, ``name_zh``, ``name_en``; every 街道 gets rows (also one without
        residential land, with an explanatory ``note``).
    historic_blocks : GeoDataFrame, optional
        Historic-block polygons with ``block_id``, ``name_zh``, ``name_en``. Without them only the
        ``all_land`` variant is reported. Blocks without geometry cannot be removed; they are named
        in the ``note`` of every ``non_historic`` row and in ``attrs``.
    rule : RuleSet, optional
        Gives ``rule_id``, the headline variant, the demand base and (if set) ``quad_segs``.
    quad_segs : int, optional
        Buffer segments per quarter circle; default the rule's, else
        :data:`geo.coverage.DEFAULT_QUAD_SEGS`.
    population_col : str, optional
        A population column of ``subdistricts`` to spread over each 街道's residential land by
        area (instead of the parcels' ``population``).
    district_code, district_name_zh, district_name_en : str
        Labels of the district row.
    disjoint : bool
        The parcels are already disjoint (e.g. made so once with
        :func:`geo.coverage.normalise_demand` when the layer was loaded): skip the overlap check.
        Overlapping parcels passed with ``disjoint=True`` are double counted.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TABLE_COLUMNS`: ``scope`` (district / subdistrict / historic_block),
        ``unit_code``, names, ``variant`` (all_land / non_historic), ``residential_m2``,
        ``covered_m2`` (m²), ``rate_pct``, ``arc_error_bound_pp`` (bound on the difference
        between ``rate_pct`` and the rate with exact Euclidean distances: the certified
        inner/outer brackets of :func:`geo.coverage.covered_area_bracket` summed over the unit;
        for the district this equals :func:`geo.coverage.coverage`'s bound), ``population``,
        ``population_covered``,
        ``pop_rate_pct``, ``pop_arc_error_bound_pp`` (NaN when population is unknown for any
        part of the unit, explained in ``note``), ``headline`` (row is the rule's headline
        variant), ``headline_rate_pct`` (``rate_pct`` or ``pop_rate_pct`` by the rule's demand
        base), ``rule_id``, ``demand_base``, ``quad_segs``, ``note``.

    Examples
    --------
    >>> from shapely.geometry import box, Point
    >>> res = gpd.GeoDataFrame({"parcel_id": ["a", "b"], "subdistrict_code": ["s1", "s2"],
    ...     "population": [100.0, 300.0]},
    ...     geometry=[box(0, 0, 100, 100), box(1000, 0, 1100, 100)], crs="EPSG:4548")
    >>> parks = gpd.GeoDataFrame({"radius_m": [200.0]}, geometry=[Point(0, 0)], crs="EPSG:4548")
    >>> blocks = gpd.GeoDataFrame({"block_id": ["h"]}, geometry=[box(0, 0, 50, 100)],
    ...     crs="EPSG:4548")
    >>> t = coverage_table(res, parks, historic_blocks=blocks)
    >>> cols = ["scope", "unit_code", "variant", "residential_m2", "rate_pct", "pop_rate_pct"]
    >>> print(t[cols].round(2).to_string(index=False))
             scope unit_code      variant  residential_m2  rate_pct  pop_rate_pct
          district  district     all_land         20000.0     50.00         25.00
          district  district non_historic         15000.0     33.33         14.29
       subdistrict        s1     all_land         10000.0    100.00        100.00
       subdistrict        s2     all_land         10000.0      0.00          0.00
       subdistrict        s1 non_historic          5000.0    100.00        100.00
       subdistrict        s2 non_historic         10000.0      0.00          0.00
    historic_block         h     all_land          5000.0    100.00        100.00
    """
    return _pieces_and_table(
        residential,
        parks_with_radius,
        subdistricts,
        historic_blocks,
        rule,
        quad_segs,
        population_col,
        district_code,
        district_name_zh,
        district_name_en,
        disjoint,
    )[2]


def service_radius_layer(
    parks_with_radius: gpd.GeoDataFrame, quad_segs: int = DEFAULT_QUAD_SEGS
) -> gpd.GeoDataFrame:
    """Dissolved service areas, one row per radius tier, for the map.

    Parameters
    ----------
    parks_with_radius : GeoDataFrame
        Parks with ``radius_m`` (and optionally ``tier``) in a metric CRS.
    quad_segs : int
        Buffer segments per quarter circle.

    Returns
    -------
    GeoDataFrame
        ``radius_m``, ``tier`` (the rule's tier label(s), or ``"<r> m"``), ``label_zh``
        (``"500米服务半径"``), ``label_en`` (``"500 m service radius"``), ``n_parks``, ``area_m2``
        and the dissolved (Multi)Polygon; ascending radius. Same CRS as the parks.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> p = gpd.GeoDataFrame({"radius_m": [300.0, 500.0, 500.0]},
    ...     geometry=[Point(0, 0), Point(0, 0), Point(5000, 0)], crs="EPSG:4548")
    >>> service_radius_layer(p, quad_segs=8)[["radius_m", "label_zh", "n_parks"]]
       radius_m      label_zh  n_parks
    0     300.0  300米服务半径        1
    1     500.0  500米服务半径        2
    """
    _check_parks(parks_with_radius)
    sa = service_areas(
        parks_with_radius.geometry, parks_with_radius["radius_m"], quad_segs=quad_segs
    )
    r = _num(parks_with_radius["radius_m"])
    tiers = (
        parks_with_radius["tier"].astype(str).to_numpy()
        if "tier" in parks_with_radius.columns
        else np.array([f"{x:g} m" for x in r], dtype=object)
    )
    rows = []
    geoms = []
    for radius in np.unique(r):
        m = r == radius
        g = shapely.union_all(np.asarray(sa.values)[m])
        rows.append(
            {
                "radius_m": float(radius),
                "tier": "; ".join(sorted(set(tiers[m]))),
                "label_zh": f"{radius:g}米服务半径",
                "label_en": f"{radius:g} m service radius",
                "n_parks": int(m.sum()),
                "area_m2": float(shapely.area(g)),
            }
        )
        geoms.append(g)
    cols = ["radius_m", "tier", "label_zh", "label_en", "n_parks", "area_m2"]
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=cols), geometry=geoms, crs=parks_with_radius.crs
    )


@dataclass
class CoverageLayers:
    """Map-ready layers of one coverage computation (all in the metric CRS of the input).

    Attributes
    ----------
    table : pandas.DataFrame
        :func:`coverage_table`.
    subdistricts : GeoDataFrame or None
        街道 polygons with ``residential_m2``, ``covered_m2``, ``rate_pct`` (all-land),
        ``rate_pct_non_historic``, ``pop_rate_pct``, ``headline_rate_pct``, ``note``.
    residential : GeoDataFrame
        Residential land dissolved by ``subdistrict_code``, ``in_historic_block`` and ``covered``
        (bool), with ``area_m2``.
    service_areas : GeoDataFrame
        :func:`service_radius_layer`.
    """

    table: pd.DataFrame
    subdistricts: gpd.GeoDataFrame | None
    residential: gpd.GeoDataFrame
    service_areas: gpd.GeoDataFrame


def coverage_layers(
    residential: gpd.GeoDataFrame,
    parks_with_radius: gpd.GeoDataFrame,
    *,
    subdistricts: gpd.GeoDataFrame | None = None,
    historic_blocks: gpd.GeoDataFrame | None = None,
    rule: RuleSet | None = None,
    quad_segs: int | None = None,
    population_col: str | None = None,
    district_code: str = "district",
    district_name_zh: str = "全区",
    district_name_en: str = "Whole district",
    disjoint: bool = False,
) -> CoverageLayers:
    """The coverage table plus map layers: 街道 rates, covered/uncovered land, service areas.

    Parameters
    ----------
    residential, parks_with_radius, subdistricts, historic_blocks, rule, quad_segs,
    population_col, district_code, district_name_zh, district_name_en
        As for :func:`coverage_table`.

    Returns
    -------
    CoverageLayers

    Examples
    --------
    >>> from shapely.geometry import box, Point
    >>> res = gpd.GeoDataFrame({"subdistrict_code": ["s1"]}, geometry=[box(0, 0, 100, 100)],
    ...     crs="EPSG:4548")
    >>> parks = gpd.GeoDataFrame({"radius_m": [50.0]}, geometry=[box(-10, 0, 0, 100)],
    ...     crs="EPSG:4548")
    >>> lay = coverage_layers(res, parks, quad_segs=8)
    >>> lay.residential[["covered", "area_m2"]].values.tolist()
    [[False, 5000.0], [True, 5000.0]]
    """
    pc, qs, table = _pieces_and_table(
        residential,
        parks_with_radius,
        subdistricts,
        historic_blocks,
        rule,
        quad_segs,
        population_col,
        district_code,
        district_name_zh,
        district_name_en,
        disjoint,
    )
    sal = service_radius_layer(parks_with_radius, qs)
    served = shapely.union_all(np.asarray(sal.geometry.values)) if len(sal) else shapely.Polygon()
    shapely.prepare(served)
    cov_g = _polygonal(shapely.intersection(pc.geom, served))
    unc_g = _polygonal(shapely.difference(pc.geom, served))
    n = len(pc.geom)
    parts = gpd.GeoDataFrame(
        {
            "subdistrict_code": np.concatenate([pc.sub, pc.sub]).astype(object),
            "in_historic_block": np.concatenate([pc.face >= 0, pc.face >= 0]),
            "covered": np.concatenate([np.ones(n, bool), np.zeros(n, bool)]),
        },
        geometry=np.concatenate([cov_g, unc_g]),
        crs=pc.parcels.crs,
    )
    parts = parts[~shapely.is_empty(np.asarray(parts.geometry.values))]
    parts["subdistrict_code"] = parts["subdistrict_code"].fillna("")
    res_layer = parts.dissolve(
        by=["subdistrict_code", "in_historic_block", "covered"], as_index=False
    )
    res_layer["area_m2"] = res_layer.geometry.area
    sub_layer = None
    if subdistricts is not None:
        t = table[table["scope"] == "subdistrict"]
        a = t[t["variant"] == "all_land"].set_index("unit_code")
        nh = t[t["variant"] == "non_historic"].set_index("unit_code")
        sub_layer = subdistricts[
            [c for c in ("code", "name_zh", "name_en") if c in subdistricts.columns]
            + [subdistricts.geometry.name]
        ].copy()
        code = sub_layer["code"].astype(str)
        for col in ("residential_m2", "covered_m2", "rate_pct", "pop_rate_pct", "note"):
            sub_layer[col] = code.map(a[col]).to_numpy()
        sub_layer["rate_pct_non_historic"] = (
            code.map(nh["rate_pct"]).to_numpy() if len(nh) else np.nan
        )
        hv = rule.headline_variant if rule is not None else "all_land"
        src = a if hv == "all_land" or not len(nh) else nh
        sub_layer["headline_rate_pct"] = code.map(src["headline_rate_pct"]).to_numpy()
    return CoverageLayers(
        table=table, subdistricts=sub_layer, residential=res_layer, service_areas=sal
    )
