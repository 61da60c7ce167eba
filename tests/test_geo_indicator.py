"""Tests for geo.indicator: the coverage table, map layers and the service-radius layer."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from geo.coverage import coverage, naive_covered_area
from geo.indicator import (
    TABLE_COLUMNS,
    coverage_layers,
    coverage_table,
    service_radius_layer,
)
from geo.rules import RuleSet, assign_radii

CRS = "EPSG:4548"

RULE = RuleSet.from_dict(
    {
        "id": "t",
        "title_zh": "t",
        "title_en": "t",
        "citation": "c",
        "citation_status": "secondary",
        "exclusion": "historic_blocks",
        "eligibility": {"min_area_m2": 0},
        "tiers": [{"min_area_m2": 0, "radius_m": 200}],
    }
)


def _res() -> gpd.GeoDataFrame:
    # s1: a (covered by the park at the origin), s2: b (far away, uncovered)
    return gpd.GeoDataFrame(
        {"parcel_id": ["a", "b"], "subdistrict_code": ["s1", "s2"], "population": [100.0, 300.0]},
        geometry=[box(0, 0, 100, 100), box(1000, 0, 1100, 100)],
        crs=CRS,
    )


def _parks() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"radius_m": [200.0]}, geometry=[Point(0, 0)], crs=CRS)


def _subs() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["s1", "s2", "s3"],
            "name_zh": ["甲街道", "乙街道", "丙街道"],
            "name_en": ["A", "B", "C"],
            "pop": [1000.0, 3000.0, np.nan],
        },
        geometry=[box(-10, -10, 500, 500), box(500, -10, 2000, 500), box(5000, 0, 6000, 100)],
        crs=CRS,
    )


def _row(t: pd.DataFrame, scope: str, code: str, variant: str) -> pd.Series:
    r = t[(t.scope == scope) & (t.unit_code == code) & (t.variant == variant)]
    assert len(r) == 1, (scope, code, variant)
    return r.iloc[0]


def test_columns_and_simple_rates() -> None:
    t = coverage_table(_res(), _parks(), rule=RULE)
    assert list(t.columns) == list(TABLE_COLUMNS)
    d = _row(t, "district", "district", "all_land")
    assert d.residential_m2 == pytest.approx(20000)
    assert d.covered_m2 == pytest.approx(10000)
    assert d.rate_pct == pytest.approx(50)
    assert d.pop_rate_pct == pytest.approx(25)  # 100 of 400 people
    assert d.rule_id == "t" and d.quad_segs == 64
    assert set(t.variant) == {"all_land"}  # no historic blocks given


def test_non_historic_removes_blocks_from_numerator_and_denominator() -> None:
    # block over the west half of a (covered) and the west half of b (uncovered)
    blocks = gpd.GeoDataFrame(
        {"block_id": ["h1", "h2"], "name_zh": ["甲", "乙"], "name_en": ["H1", "H2"]},
        geometry=[box(-5, -5, 50, 105), box(995, -5, 1050, 105)],
        crs=CRS,
    )
    t = coverage_table(_res(), _parks(), historic_blocks=blocks, rule=RULE)
    nh = _row(t, "district", "district", "non_historic")
    assert nh.residential_m2 == pytest.approx(10000)  # 20 000 - 2 x 5 000
    assert nh.covered_m2 == pytest.approx(5000)  # 10 000 - 5 000 inside h1
    assert nh.rate_pct == pytest.approx(50)
    assert bool(nh.headline) and not bool(_row(t, "district", "district", "all_land").headline)
    h1 = _row(t, "historic_block", "h1", "all_land")
    assert (h1.residential_m2, h1.covered_m2, h1.unit_name_zh) == (
        pytest.approx(5000),
        pytest.approx(5000),
        "甲",
    )
    h2 = _row(t, "historic_block", "h2", "all_land")
    assert h2.rate_pct == pytest.approx(0)
    assert not ((t.scope == "historic_block") & (t.variant == "non_historic")).any()
    s1 = _row(t, "subdistrict", "s1", "non_historic")
    assert (s1.residential_m2, s1.rate_pct) == (pytest.approx(5000), pytest.approx(100))


def test_nested_blocks_count_for_each() -> None:
    blocks = gpd.GeoDataFrame(
        {"block_id": ["outer", "inner"]},
        geometry=[box(0, 0, 100, 100), box(0, 0, 50, 50)],
        crs=CRS,
    )
    t = coverage_table(_res(), _parks(), historic_blocks=blocks)
    assert _row(t, "historic_block", "outer", "all_land").residential_m2 == pytest.approx(10000)
    assert _row(t, "historic_block", "inner", "all_land").residential_m2 == pytest.approx(2500)
    assert _row(t, "district", "district", "non_historic").residential_m2 == pytest.approx(10000)


def test_blocks_without_geometry_are_named() -> None:
    blocks = gpd.GeoDataFrame({"block_id": ["ghost"]}, geometry=[None], crs=CRS)
    t = coverage_table(_res(), _parks(), historic_blocks=blocks)
    nh = _row(t, "district", "district", "non_historic")
    assert "ghost" in nh.note
    assert nh.residential_m2 == pytest.approx(20000)
    assert t.attrs["historic_blocks_without_geometry"] == ["ghost"]


def test_subdistricts_names_empty_unit_and_population_spread() -> None:
    res = _res().drop(columns=["subdistrict_code", "population"])
    t = coverage_table(res, _parks(), subdistricts=_subs(), population_col="pop")
    s1 = _row(t, "subdistrict", "s1", "all_land")
    assert s1.unit_name_zh == "甲街道" and s1.unit_name_en == "A"
    assert s1.population == pytest.approx(1000) and s1.pop_rate_pct == pytest.approx(100)
    s3 = _row(t, "subdistrict", "s3", "all_land")  # no residential land
    assert s3.residential_m2 == 0 and math.isnan(s3.rate_pct) and "no residential" in s3.note
    d = _row(t, "district", "district", "all_land")
    assert d.population == pytest.approx(4000)
    assert d.pop_rate_pct == pytest.approx(25)


def test_unknown_population_is_explained_not_silent() -> None:
    res = _res()
    res.loc[1, "population"] = np.nan
    t = coverage_table(res, _parks())
    d = _row(t, "district", "district", "all_land")
    assert math.isnan(d.pop_rate_pct) and "population unknown" in d.note
    s1 = _row(t, "subdistrict", "s1", "all_land")
    assert s1.pop_rate_pct == pytest.approx(100)


def test_population_rule_headline_uses_population() -> None:
    who = RuleSet.from_dict(
        {
            **RULE.to_dict(),
            "demand_base": "population",
            "exclusion": "none",
            "headline_variant": "all_land",
        }
    )
    t = coverage_table(_res(), _parks(), rule=who)
    d = _row(t, "district", "district", "all_land")
    assert d.headline_rate_pct == pytest.approx(25) and bool(d.headline)


def test_overlapping_parcels_not_double_counted() -> None:
    res = gpd.GeoDataFrame(
        {"subdistrict_code": ["s1", "s1"]},
        geometry=[box(0, 0, 100, 100), box(50, 0, 150, 100)],
        crs=CRS,
    )
    t = coverage_table(res, _parks())
    assert _row(t, "district", "district", "all_land").residential_m2 == pytest.approx(15000)


def test_errors_name_the_input() -> None:
    with pytest.raises(ValueError, match="radius_m"):
        coverage_table(_res(), _parks().drop(columns=["radius_m"]))
    bad = _parks().assign(radius_m=[np.nan])
    with pytest.raises(ValueError, match="parks_with_radius"):
        coverage_table(_res(), bad)
    res = _res()
    res.loc[0, "geometry"] = None
    with pytest.raises(ValueError, match=r"residential: 1 parcel\(s\) without geometry: a"):
        coverage_table(res, _parks())


def test_agrees_with_engine_on_synthetic_city() -> None:
    from geo.synthetic import synthetic_city

    city = synthetic_city(1500, seed=3)
    parks = assign_radii(city.parks.drop(columns=["radius_m"]), RULE, city.historic_blocks)
    t = coverage_table(
        city.residential,
        parks,
        subdistricts=city.subdistricts,
        historic_blocks=city.historic_blocks,
        rule=RULE,
        quad_segs=16,
    )
    d = _row(t, "district", "district", "all_land")
    ref = coverage(city.residential, parks, parks["radius_m"], quad_segs=16)
    assert d.covered_m2 == pytest.approx(ref.covered_m2, rel=1e-9)
    assert d.residential_m2 == pytest.approx(ref.total_m2, rel=1e-9)
    assert d.arc_error_bound_pp == pytest.approx(ref.arc_error_bound_pp, rel=1e-6, abs=1e-9)
    # the units add up to the district
    for v in ("all_land", "non_historic"):
        s = t[(t.scope == "subdistrict") & (t.variant == v)]
        dv = _row(t, "district", "district", v)
        assert s.residential_m2.sum() == pytest.approx(dv.residential_m2, rel=1e-9)
        assert s.covered_m2.sum() == pytest.approx(dv.covered_m2, rel=1e-9)
    # non-historic = all - land inside the blocks (synthetic blocks may overlap each other)
    nh = _row(t, "district", "district", "non_historic")
    inside = city.residential.intersection(city.historic_blocks.union_all()).area.sum()
    assert nh.residential_m2 + inside == pytest.approx(d.residential_m2, rel=1e-9)
    assert (t[t.scope == "historic_block"].residential_m2 > 0).all()
    # the non-historic figure equals the engine run on residential land minus the blocks
    cut = city.residential.copy()
    cut["geometry"] = cut.difference(city.historic_blocks.union_all())
    cut = cut[~cut.is_empty & (cut.area > 0)]
    ref_nh = naive_covered_area(cut, parks, parks["radius_m"], quad_segs=16)
    assert nh.covered_m2 == pytest.approx(ref_nh.sum(), rel=1e-6)
    assert (t.rate_pct.dropna().between(0, 100)).all()
    assert (t.arc_error_bound_pp.dropna() >= 0).all()


def test_service_radius_layer_dissolves_tiers() -> None:
    p = gpd.GeoDataFrame(
        {"radius_m": [300.0, 500.0, 500.0], "tier": ["small", "big", "big"]},
        geometry=[Point(0, 0), Point(0, 0), Point(600, 0)],
        crs=CRS,
    )
    lay = service_radius_layer(p, quad_segs=32)
    assert lay.radius_m.tolist() == [300, 500]
    assert lay.tier.tolist() == ["small", "big"]
    assert lay.n_parks.tolist() == [1, 2]
    two = shapely.union_all(shapely.buffer([Point(0, 0), Point(600, 0)], 500, quad_segs=32))
    assert lay.area_m2.iloc[1] == pytest.approx(two.area)
    assert lay.label_en.iloc[1] == "500 m service radius"


def test_coverage_layers_partition_residential() -> None:
    subs = _subs()
    lay = coverage_layers(_res(), _parks(), subdistricts=subs, rule=RULE, quad_segs=32)
    r = lay.residential
    assert r.area_m2.sum() == pytest.approx(20000)
    assert r.loc[r.covered, "area_m2"].sum() == pytest.approx(10000)
    assert lay.subdistricts is not None
    s = lay.subdistricts.set_index("code")
    assert s.loc["s1", "rate_pct"] == pytest.approx(100)
    assert s.loc["s2", "rate_pct"] == pytest.approx(0)
    assert len(lay.service_areas) == 1


def test_no_eligible_parks_gives_zero_not_nan() -> None:
    t = coverage_table(_res(), _parks().iloc[0:0])
    d = _row(t, "district", "district", "all_land")
    assert d.rate_pct == 0 and d.arc_error_bound_pp == 0


def test_geographic_crs_is_rejected() -> None:
    with pytest.raises(ValueError, match="residential: CRS EPSG:4326"):
        coverage_table(_res().to_crs("EPSG:4326"), _parks())


def test_no_population_data_says_so() -> None:
    t = coverage_table(_res().drop(columns="population"), _parks())
    d = _row(t, "district", "district", "all_land")
    assert math.isnan(d.pop_rate_pct) and "no population data" in d.note


def test_disjoint_flag_skips_only_the_overlap_check() -> None:
    import geopandas as gpd
    from shapely import box, points

    from geo.indicator import coverage_table

    parks = gpd.GeoDataFrame(
        {"park_id": ["p"], "radius_m": [100.0]}, geometry=points([[0.0, 0.0]]), crs="EPSG:4548"
    )
    tiled = gpd.GeoDataFrame(
        {"parcel_id": ["a", "b"]},
        geometry=[box(-200, -50, 0, 50), box(0, -50, 200, 50)],
        crs="EPSG:4548",
    )
    plain = coverage_table(tiled, parks)
    fast = coverage_table(tiled, parks, disjoint=True)
    assert plain["rate_pct"].tolist() == fast["rate_pct"].tolist()
    overlapping = gpd.GeoDataFrame(
        {"parcel_id": ["a", "b"]},
        geometry=[box(-50, -50, 50, 50), box(-50, -50, 50, 50)],
        crs="EPSG:4548",
    )
    once = coverage_table(overlapping, parks).iloc[0]["residential_m2"]
    twice = coverage_table(overlapping, parks, disjoint=True).iloc[0]["residential_m2"]
    assert once == pytest.approx(10_000) and twice == pytest.approx(20_000)
