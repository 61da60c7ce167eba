"""geo/nettable.py: the network coverage table with the Euclidean rate beside, by scenario year
(with the marginal gains of geo/netgains.py on the same city), and a Euclidean rule with
barriers."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import box

from geo.nettable import network_coverage_table
from geo.rules import RuleSet
from tests._netfixtures import CRS, block_parcels, garden_parks, grid, park_projects, river_city
from tests._netfixtures import network_rule as _rule

# ------------------------------------------------------------------------------------------------
# the table: same outputs as the Euclidean engine, Euclidean beside


@pytest.fixture()
def grid_graph():
    return grid(5)


def test_network_table_has_the_euclidean_rate_beside(grid_graph) -> None:
    parks = gpd.GeoDataFrame(
        {"park_id": ["a"], "area_m2": [6400.0], "kind": ["garden"]},
        geometry=[box(110, 110, 190, 190)],
        crs=CRS,
    )
    res = block_parcels(4)
    subs = gpd.GeoDataFrame(
        {"code": ["w", "e"], "name_zh": ["西", "东"], "name_en": ["W", "E"]},
        geometry=[box(0, 0, 200, 400), box(200, 0, 400, 400)],
        crs=CRS,
    )
    t = network_coverage_table(res, parks, _rule(), grid_graph, subdistricts=subs)
    assert {"rate_pct", "euclidean_rate_pct", "network_minus_euclidean_pp", "method"} <= set(
        t.columns
    )
    assert (t["method"] == "network").all()
    per = t[t["scope"] == "subdistrict"]
    assert sorted(per["unit_code"]) == ["e", "w"]
    assert (t["rate_pct"] <= t["euclidean_rate_pct"] + t["arc_error_bound_pp"] + 1e-9).all()
    d = t[t["scope"] == "district"].iloc[0]
    assert per["covered_m2"].sum() == pytest.approx(d["covered_m2"], rel=1e-9)
    assert 0 < d["rate_pct"] < d["euclidean_rate_pct"]


# ------------------------------------------------------------------------------------------------
# scenarios by year and the marginal gain per project, on the network


def _grid_scenario(grid_graph):
    parks = garden_parks([("a", box(110, 110, 190, 190), 6400.0, 1990)])
    projects = park_projects(
        [
            ("new", box(310, 310, 390, 390), 6400.0, "2020:planned;2022:done"),
            ("later", box(10, 310, 90, 390), 6400.0, "2020:planned;2030:done"),
        ],
        names=["新绿地", "远期"],
        planned_end_year=[2022, 2030],
    )
    res = block_parcels(4)
    return parks, projects, res


def test_network_scenario_by_year_and_marginal_gain(grid_graph) -> None:
    from geo.netgains import network_marginal_gains

    parks, projects, res = _grid_scenario(grid_graph)
    rule = _rule(eligibility={"min_area_m2": 5000}, tiers=[{"min_area_m2": 5000, "radius_m": 150}])
    t20 = network_coverage_table(res, parks, rule, grid_graph, projects=projects, year=2020)
    t25 = network_coverage_table(res, parks, rule, grid_graph, projects=projects, year=2025)
    d20 = t20[t20["scope"] == "district"].iloc[0]
    d25 = t25[t25["scope"] == "district"].iloc[0]
    assert t25.attrs["parks_used"] == 2 and t20.attrs["parks_used"] == 1
    assert d25["covered_m2"] > d20["covered_m2"]
    g = network_marginal_gains(res, parks, projects, rule, 2025, grid_graph)
    row = g[(g["scope"] == "district") & (g["project_id"] == "new")].iloc[0]
    # "new" is in the 2025 baseline: its gain is the land only it serves = the whole difference
    # between 2025 and 2020 (the 2020 park's 150 m walk does not reach its block's parcels)
    assert row["in_baseline"] and row["gain_m2"] == pytest.approx(
        d25["covered_m2"] - d20["covered_m2"], rel=1e-3
    )
    later = g[(g["scope"] == "district") & (g["project_id"] == "later")].iloc[0]
    assert not later["in_baseline"] and later["gain_m2"] > 0
    assert later["euclidean_gain_m2"] > 0 and later["rank"] >= 1
    assert set(g["method"]) == {"network"}


# ------------------------------------------------------------------------------------------------
# a Euclidean rule with barriers


def test_euclidean_rule_with_barriers_in_the_table() -> None:
    _, river = river_city()
    parks = gpd.GeoDataFrame(
        {"park_id": ["a"], "area_m2": [7200.0]}, geometry=[box(-60, -180, 60, -120)], crs=CRS
    )
    res = gpd.GeoDataFrame(
        {"parcel_id": ["s", "n"], "subdistrict_code": ["s", "n"]},
        geometry=[box(-50, -60, 50, -20), box(-50, 20, 50, 60)],
        crs=CRS,
    )
    d = _rule(barriers=True)
    rule = RuleSet.from_dict({k: v for k, v in d.to_dict().items() if k != "network"})
    t = network_coverage_table(res, parks, rule, barriers=river)
    per = t[t["scope"] == "subdistrict"].set_index("unit_code")
    # both parcels lie within 250 m of the park; the river cuts the north one off
    assert per.loc["s", "rate_pct"] == pytest.approx(100.0)
    assert per.loc["n", "rate_pct"] == 0.0 and per.loc["n", "euclidean_rate_pct"] == pytest.approx(
        100.0
    )
    assert (t["method"] == "euclidean_barriers").all()
