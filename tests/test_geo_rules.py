"""Tests for geo.rules: rule validation and radius assignment."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from geo.rules import RuleError, RuleSet, assign_radii, classify_parks

CRS = "EPSG:4548"


def _rule(**over: object) -> dict:
    d: dict = {
        "id": "t",
        "title_zh": "测试",
        "title_en": "Test",
        "citation": "none",
        "citation_status": "secondary",
        "eligibility": {"min_area_m2": 5000},
        "tiers": [{"min_area_m2": 5000, "radius_m": 500}],
    }
    d.update(over)
    return d


TIERED = _rule(
    exclusion="historic_blocks",
    headline_variant="all_land",
    eligibility={"min_area_m2": 1000},
    tiers=[
        {"min_area_m2": 5000, "radius_m": 500, "zone": "any"},
        {"min_area_m2": 2000, "max_area_m2": 5000, "radius_m": 300, "zone": "any"},
        {"min_area_m2": 1000, "radius_m": 300, "zone": "inside_exclusion"},
    ],
)


def test_minimal_rule_defaults() -> None:
    r = RuleSet.from_dict(_rule())
    assert r.kinds is None
    assert r.statuses == ("existing",)
    assert r.fee == "any"
    assert r.exclusion == "none"
    assert r.headline_variant == "all_land"
    assert r.demand_base == "residential_area"
    assert r.quad_segs is None
    assert r.radii == (500.0,)


def test_exclusion_makes_non_historic_headline_by_default() -> None:
    assert RuleSet.from_dict(_rule(exclusion="historic_blocks")).headline_variant == "non_historic"


def test_round_trip_to_dict() -> None:
    r = RuleSet.from_dict(TIERED, source="x.toml")
    assert RuleSet.from_dict(r.to_dict()) == r


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"id": "Has Space"}, "id"),
        ({"citation_status": "maybe"}, "citation_status"),
        ({"demand_base": "households"}, "demand_base"),
        ({"exclusion": "water"}, "exclusion"),
        ({"quad_segs": 0}, "quad_segs"),
        ({"radius": 500}, "radius"),
        ({"eligibility": {"min_area_m2": -1}}, "eligibility.min_area_m2"),
        ({"eligibility": {"min_area_m2": 1, "kinds": ["parkk"]}}, "eligibility.kinds"),
        ({"eligibility": {"min_area_m2": 1, "fee": "cheap"}}, "eligibility.fee"),
        ({"eligibility": {"min_area_m2": 1, "statuses": []}}, "eligibility.statuses"),
        ({"eligibility": {"min_area_m2": 1, "typo": 1}}, "eligibility.typo"),
        ({"tiers": []}, "tiers"),
        ({"tiers": [{"min_area_m2": 0, "radius_m": -5}]}, "tiers[0].radius_m"),
        ({"tiers": [{"min_area_m2": 0, "radius_m": "500"}]}, "tiers[0].radius_m"),
        ({"tiers": [{"min_area_m2": 10, "max_area_m2": 5, "radius_m": 1}]}, "tiers[0].max_area_m2"),
        (
            {"tiers": [{"min_area_m2": 0, "radius_m": 1, "zone": "inside_exclusion"}]},
            "tiers[0].zone",
        ),
        ({"tiers": [{"min_area_m2": 0, "radius_m": 1, "zone": "nowhere"}]}, "tiers[0].zone"),
        ({"headline_variant": "non_historic"}, "headline_variant"),
    ],
)
def test_errors_name_field_and_source(over: dict, field: str) -> None:
    with pytest.raises(RuleError) as ei:
        RuleSet.from_dict(_rule(**over), source="bad.toml")
    assert field in [f for f, _ in ei.value.problems]
    assert f"bad.toml: field '{field}'" in str(ei.value)


def test_missing_fields_all_reported() -> None:
    with pytest.raises(RuleError) as ei:
        RuleSet.from_dict({}, source="empty.toml")
    fields = {f for f, _ in ei.value.problems}
    assert {
        "id",
        "title_zh",
        "title_en",
        "citation",
        "citation_status",
        "eligibility",
        "tiers",
    } <= (fields)


def _parks() -> gpd.GeoDataFrame:
    # area_m2 given for all but "g" (geometry area 100 x 100 = 10 000 m²)
    return gpd.GeoDataFrame(
        {
            "park_id": ["big", "mid", "small_in", "small_out", "tiny", "big_in", "g", "nogeom"],
            "area_m2": [6000, 3000, 1500, 1500, 800, 6000, np.nan, 9000],
            "kind": ["garden"] * 8,
            "fee": ["no", "yes", "unknown", "no", "no", "no", "no", "no"],
        },
        geometry=[
            box(0, 0, 10, 10),
            box(20, 0, 30, 10),
            box(1000, 0, 1010, 10),  # inside the block
            box(40, 0, 50, 10),
            box(60, 0, 70, 10),
            box(1020, 0, 1030, 10),  # inside the block
            box(2000, 0, 2100, 100),
            None,
        ],
        crs=CRS,
    )


BLOCK = gpd.GeoDataFrame({"block_id": ["h"]}, geometry=[box(900, -50, 1100, 50)], crs=CRS)


def test_tiers_assign_correctly() -> None:
    r = RuleSet.from_dict(TIERED)
    out = assign_radii(_parks(), r, BLOCK)
    got = dict(zip(out["park_id"], out["radius_m"], strict=True))
    assert got == {"big": 500, "mid": 300, "small_in": 300, "big_in": 500, "g": 500}
    basis = dict(zip(out["park_id"], out["area_basis"], strict=True))
    assert basis["g"] == "geometry" and basis["big"] == "area_m2"
    assert out.loc[out.park_id == "g", "area_m2_used"].item() == pytest.approx(10000)
    assert out.attrs["n_no_geometry"] == 1
    assert out.attrs["n_excluded"] == 3


def test_classify_reasons() -> None:
    c = classify_parks(_parks(), RuleSet.from_dict(TIERED), BLOCK).set_index("park_id")
    assert c.loc["small_out", "reason"] == "no radius tier matches"
    assert c.loc["tiny", "reason"] == "area below 1000 m²"
    assert c.loc["nogeom", "reason"] == "no geometry"
    assert bool(c.loc["small_in", "in_exclusion"]) and not bool(c.loc["small_out", "in_exclusion"])


def test_zone_tiers_need_zones() -> None:
    with pytest.raises(ValueError, match="exclusion_zones"):
        assign_radii(_parks(), RuleSet.from_dict(TIERED))


def test_fee_and_kind_filters() -> None:
    r = RuleSet.from_dict(
        _rule(eligibility={"min_area_m2": 0, "fee": "free_only", "kinds": ["garden", "square"]})
    )
    p = _parks()
    p.loc[p.park_id == "big", "kind"] = "community_park"
    c = classify_parks(p, r).set_index("park_id")
    assert c.loc["mid", "reason"] == "charges a fee"
    assert c.loc["small_in", "reason"] == "fee unknown"
    assert c.loc["big", "reason"] == "kind not eligible"
    assert bool(c.loc["tiny", "eligible"]) is False  # below the 5000 m² tier
    assert bool(c.loc["big_in", "eligible"])


def test_status_filter() -> None:
    p = _parks().assign(status=["existing"] * 7 + ["planned"])
    p.loc[p.park_id == "big", "status"] = "planned"
    out = assign_radii(p, RuleSet.from_dict(_rule()))
    assert "big" not in set(out.park_id)
    assert "big_in" in set(out.park_id)


def test_geographic_crs_rejected() -> None:
    p = gpd.GeoDataFrame({"area_m2": [6000]}, geometry=[Point(116.3, 39.9)], crs="EPSG:4326")
    with pytest.raises(ValueError, match="not projected"):
        assign_radii(p, RuleSet.from_dict(_rule()))
