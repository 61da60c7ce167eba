"""Tests for geo.scenarios: parks of a year and marginal gains of green projects."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from geo.rules import RuleSet
from geo.scenarios import (
    GAIN_COLUMNS,
    green_projects,
    marginal_gains,
    parks_as_of,
    status_in_year,
)
from tests._netfixtures import rule_set

CRS = "EPSG:4548"
Q = 64

RULE = rule_set(500, 5000, id="r500", title_zh="t", title_en="t", citation="c", quad_segs=Q)


def _parks() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"park_id": ["old"], "area_m2": [10000.0], "status": ["existing"], "opened_year": [1950]},
        geometry=[box(0, 0, 100, 100)],
        crs=CRS,
    )


def _res() -> gpd.GeoDataFrame:
    # s1 around the old park (fully covered), s2 a big open block far east
    return gpd.GeoDataFrame(
        {"parcel_id": ["a", "b"], "subdistrict_code": ["s1", "s2"]},
        geometry=[box(0, 200, 100, 300), box(5000, -3000, 11000, 3000)],
        crs=CRS,
    )


def _projects() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "project_id": ["far", "over", "small", "nogeom", "built", "grey"],
            "name_zh": ["远", "覆盖", "小", "无", "已建", "灰"],
            "category": ["park", "pocket_park", "park", "park", "greenway", "parking"],
            "adds_green_space": [True, False, True, True, False, False],
            "area_m2": [10000.0, 10000.0, 1000.0, 10000.0, 10000.0, 10000.0],
            "status_history": [
                "2019:planned",
                "2019:planned",
                "2019:planned",
                "2019:planned",
                "2018:planned;2020:done",
                "2020:done",
            ],
            "planned_end_year": [2022, 2022, 2022, 2022, 2020, 2020],
        },
        geometry=[
            box(50000, 0, 50100, 100),  # far from every residential parcel
            box(7950, -50, 8050, 50),  # in the middle of b (uncovered)
            box(9000, 0, 9010, 10),  # too small for the rule
            None,
            box(50, 150, 150, 160),  # near the old park, inside s1's coverage
            box(6000, 0, 6100, 100),  # not a green project
        ],
        crs=CRS,
    )


def test_status_in_year() -> None:
    assert status_in_year("2019:planned;2021:done", 2020) == "planned"
    assert status_in_year("2021:done;2019:planned", 2022) == "done"
    assert status_in_year("", 2022) == "unknown"
    with pytest.raises(ValueError, match=r"P1.*'2019-planned'"):
        status_in_year("2019-planned", 2020, where="projects P1")


def test_green_projects_by_flag_or_category() -> None:
    assert green_projects(_projects()).project_id.tolist() == [
        "far",
        "over",
        "small",
        "nogeom",
        "built",
    ]


def test_parks_as_of() -> None:
    p = parks_as_of(_parks(), _projects(), 2019)
    assert p.park_id.tolist() == ["old"]
    p = parks_as_of(_parks(), _projects(), 2020)
    assert p.park_id.tolist() == ["old", "built"]
    row = p.set_index("park_id").loc["built"]
    assert (row.origin, row.status, row.scenario_status) == ("project", "existing", "done")
    p = parks_as_of(_parks(), _projects(), 2022, include_planned=True)
    assert p.park_id.tolist() == ["old", "far", "over", "small", "built"]  # nogeom has no geometry
    assert set(p.loc[p.origin == "project", "scenario_status"]) == {"planned", "done"}
    assert parks_as_of(_parks(), _projects(), 1949).park_id.tolist() == []


def test_latest_status_used_without_history() -> None:
    pr = (
        _projects()
        .iloc[[1]]
        .assign(status_history=[""], latest_status=["done"], latest_status_year=[2021])
    )
    assert parks_as_of(_parks(), pr, 2021).park_id.tolist() == ["old", "over"]
    assert parks_as_of(_parks(), pr, 2020).park_id.tolist() == ["old"]


def _district(g: pd.DataFrame) -> pd.DataFrame:
    return g[g.scope == "district"].set_index("project_id")


def test_marginal_gains() -> None:
    g = marginal_gains(_res(), _parks(), _projects(), RULE, 2021)
    assert list(g.columns) == list(GAIN_COLUMNS)
    d = _district(g)
    assert set(d.index) == {"far", "over", "small", "nogeom", "built"}
    # a park far from everything adds nothing
    assert d.loc["far", "gain_m2"] == 0
    # a park over uncovered land adds its whole service area (it lies inside b)
    analytic = 100 * 100 + 4 * 100 * 500 + math.pi * 500**2
    assert d.loc["over", "gain_m2"] == pytest.approx(analytic, rel=2e-4)
    exact = shapely.buffer(box(7950, -50, 8050, 50), 500, quad_segs=Q).area
    assert d.loc["over", "gain_m2"] == pytest.approx(exact, rel=1e-9)
    total = 100 * 100 + 6000 * 6000
    assert d.loc["over", "gain_pp"] == pytest.approx(100 * exact / total)
    assert d.loc["over", "rank"] == 1
    # too small for the rule: zero with the rule's reason
    assert d.loc["small", "gain_m2"] == 0 and "area below 5000" in d.loc["small", "reason"]
    assert not d.loc["small", "eligible"]
    # no geometry: listed, not dropped
    assert math.isnan(d.loc["nogeom", "gain_m2"]) and d.loc["nogeom", "reason"] == "no geometry"
    assert pd.isna(d.loc["nogeom", "rank"])
    # built by 2021: in the baseline, adds nothing the old park does not already cover
    assert bool(d.loc["built", "in_baseline"]) and d.loc["built", "gain_m2"] == 0
    # per 街道 rows sum to the district gain
    s = g[(g.scope == "subdistrict") & (g.project_id == "over")]
    assert s.unit_code.tolist() == ["s2"]
    assert s.gain_m2.sum() == pytest.approx(d.loc["over", "gain_m2"])
    assert s.gain_pp.iloc[0] == pytest.approx(100 * exact / 36e6)


def test_in_baseline_gain_is_land_only_it_covers() -> None:
    parks = _parks().iloc[0:0]  # no old park: the built greenway alone covers a
    g = _district(marginal_gains(_res(), parks, _projects(), RULE, 2021))
    assert g.loc["built", "gain_m2"] == pytest.approx(100 * 100)


def test_non_historic_variant_removes_blocks() -> None:
    rule = RuleSet.from_dict(
        {**RULE.to_dict(), "exclusion": "historic_blocks", "headline_variant": "non_historic"}
    )
    blocks = gpd.GeoDataFrame({"block_id": ["h"]}, geometry=[box(7000, -3000, 8000, 3000)], crs=CRS)
    g = marginal_gains(_res(), _parks(), _projects(), rule, 2021, historic_blocks=blocks)
    d = _district(g)
    assert (d.variant == "non_historic").all()
    # the half of the service area west of x = 8000 lies in the block (minus nothing else)
    sa = shapely.buffer(box(7950, -50, 8050, 50), 500, quad_segs=Q)
    east = sa.intersection(box(8000, -3000, 11000, 3000)).area
    assert d.loc["over", "gain_m2"] == pytest.approx(east, rel=1e-9)


def test_errors() -> None:
    with pytest.raises(ValueError, match="subdistrict_code"):
        marginal_gains(_res().drop(columns="subdistrict_code"), _parks(), _projects(), RULE, 2021)
    res = _res()
    res.loc[0, "geometry"] = None
    with pytest.raises(ValueError, match="residential"):
        marginal_gains(res, _parks(), _projects(), RULE, 2021)
    assert np.isfinite(
        _district(marginal_gains(_res(), _parks(), _projects(), RULE, 2021)).loc["over", "gain_pp"]
    )
