"""Tests for geo.gaps: uncovered land and greedy candidate sites."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box

from geo.gaps import candidate_sites, uncovered

CRS = "EPSG:4548"


def test_uncovered_per_subdistrict() -> None:
    res = gpd.GeoDataFrame(
        {"subdistrict_code": ["a", "a", "b"]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(1000, 0, 1100, 100)],
        crs=CRS,
    )
    served = gpd.GeoSeries([box(0, 0, 150, 100), box(1000, 0, 1100, 100)], crs=CRS)
    u = uncovered(res, served).set_index("subdistrict_code")
    assert u.loc["a", "uncovered_m2"] == pytest.approx(5000)
    assert u.loc["a", "uncovered_pct"] == pytest.approx(25)
    assert u.loc["b", "uncovered_m2"] == pytest.approx(0)
    assert u.loc["a"].geometry.equals(box(150, 0, 200, 100))
    assert u.loc["b"].geometry.is_empty
    whole = uncovered(res, None, by=None)
    assert len(whole) == 1 and whole.uncovered_m2.iloc[0] == pytest.approx(30000)
    with pytest.raises(ValueError, match="by='nope'"):
        uncovered(res, served, by="nope")


def _two_clusters() -> gpd.GeoDataFrame:
    # a big uncovered block (west) and a small one (east), 3 km apart
    return gpd.GeoDataFrame(
        {"subdistrict_code": ["big", "small"]},
        geometry=[box(0, 0, 400, 400), box(3000, 0, 3100, 100)],
        crs=CRS,
    )


def test_greedy_picks_best_cell_first_and_counts_new_land_only() -> None:
    res = _two_clusters()
    # candidate land: a strip along the south of both clusters
    cand = box(-500, -200, 3600, -100)
    s = candidate_sites(res, None, cand, park_area_m2=5000, radius_m=300, k=5, cell_size_m=100)
    assert s["rank"].tolist()[:2] == [1, 2]
    assert s.subdistrict_code.iloc[0] == "big"
    assert s.subdistrict_code.iloc[1] == "small"
    assert s.new_covered_m2.is_monotonic_decreasing
    # gains never exceed the land: the picks together cover at most all residential land
    assert s.cumulative_m2.iloc[-1] <= res.area.sum() + 1e-6
    assert s.cumulative_pp.iloc[-1] == pytest.approx(100 * s.cumulative_m2.iloc[-1] / 170000)
    # the first pick's gain is the exact overlap of its service disc with the residential land
    reach = 300 + math.sqrt(5000 / math.pi)
    disc = shapely.buffer(Point(s.site_x.iloc[0], s.site_y.iloc[0]), reach, quad_segs=16)
    assert s.new_covered_m2.iloc[0] == pytest.approx(disc.intersection(res.union_all()).area)
    # and no other cell could do better
    cells_x = np.arange(-500, 3600, 100) + 50
    best = max(
        shapely.buffer(Point(x, -150), reach, quad_segs=16).intersection(res.union_all()).area
        for x in cells_x
    )
    assert s.new_covered_m2.iloc[0] == pytest.approx(best, rel=1e-9)


def test_second_pick_only_counts_land_still_uncovered() -> None:
    # one residential block; every candidate covers all of it: after one pick nothing is left
    res = gpd.GeoDataFrame({"subdistrict_code": ["x"]}, geometry=[box(0, 0, 50, 50)], crs=CRS)
    cand = box(0, -300, 300, -100)
    s = candidate_sites(res, None, cand, park_area_m2=1000, radius_m=500, k=3, cell_size_m=100)
    assert len(s) == 1
    assert s.new_covered_m2.iloc[0] == pytest.approx(2500)
    assert s.cumulative_pp.iloc[0] == pytest.approx(100)


def test_served_land_is_not_counted() -> None:
    res = _two_clusters()
    served = gpd.GeoSeries([box(-10, -10, 410, 410)], crs=CRS)  # big cluster already served
    cand = box(-500, -200, 3600, -100)
    s = candidate_sites(res, served, cand, park_area_m2=5000, radius_m=300, k=2, cell_size_m=100)
    assert s.subdistrict_code.tolist() == ["small"]
    assert s.new_covered_m2.iloc[0] == pytest.approx(10000)


def test_cells_too_small_for_the_park_are_not_candidates() -> None:
    res = _two_clusters()
    cand = box(0, -150, 400, -100)  # 50 m tall strip: 5 000 m² per 100 m cell at most
    s = candidate_sites(res, None, cand, park_area_m2=6000, radius_m=300, k=2, cell_size_m=100)
    assert len(s) == 0


@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"park_area_m2": 0}, "park_area_m2"),
        ({"radius_m": -1}, "radius_m"),
        ({"k": 0}, "k"),
        ({"cell_size_m": 10}, "cell_size_m"),
    ],
)
def test_parameter_errors(kw: dict, name: str) -> None:
    args = {"park_area_m2": 5000, "radius_m": 300, "k": 1, "cell_size_m": 100} | kw
    with pytest.raises(ValueError, match=name):
        candidate_sites(_two_clusters(), None, box(0, 0, 1, 1), **args)


def test_empty_candidate_land_gives_no_sites_with_a_note() -> None:
    s = candidate_sites(_two_clusters(), None, shapely.Polygon(), 5000, 300, k=2, cell_size_m=100)
    assert len(s) == 0 and "candidate" in s.attrs["note"]


def test_picks_on_synthetic_city_add_exactly_what_they_claim() -> None:
    """Smoke test: greedy bookkeeping agrees with the coverage engine on a made-up city."""
    from geo.coverage import covered_area, service_areas
    from geo.synthetic import synthetic_city

    city = synthetic_city(800, seed=2)
    res, parks = city.residential, city.parks
    served = service_areas(parks, parks["radius_m"], quad_segs=16)
    outline = shapely.box(*res.total_bounds)
    land = outline.difference(shapely.union_all([*res.geometry.values, *parks.geometry.values]))
    s = candidate_sites(res, served, land, park_area_m2=5000, radius_m=500, k=3, cell_size_m=150)
    assert s["rank"].tolist() == [1, 2, 3]
    assert (np.diff(s.new_covered_m2) <= 1e-6).all()
    before = covered_area(res, parks, parks["radius_m"], quad_segs=16).sum()
    sites = gpd.GeoSeries(gpd.points_from_xy(s.site_x, s.site_y), crs=res.crs)
    both = gpd.GeoSeries([*parks.geometry.values, *sites.values], crs=res.crs)
    radii = [*parks["radius_m"], *s.service_radius_m]
    after = covered_area(res, both, radii, quad_segs=16).sum()
    assert after - before == pytest.approx(s.cumulative_m2.iloc[-1], rel=1e-6)
    # every site lies on candidate land
    assert land.buffer(1e-6).contains(shapely.points(s.site_x, s.site_y)).all()


def test_candidate_land_checks_its_inputs() -> None:
    import geopandas as gpd
    from shapely import box

    from geo.gaps import candidate_land

    d = gpd.GeoSeries([box(0, 0, 100, 100)], crs="EPSG:4548")
    with pytest.raises(ValueError, match="min_area_m2"):
        candidate_land(d, d, d, min_area_m2=0)
    with pytest.raises(ValueError):
        candidate_land(d.to_crs(4326), d, d, min_area_m2=10)
    # Exactly at the threshold, non-residential land is used.
    land = candidate_land(
        d, gpd.GeoSeries([box(0, 0, 100, 90)], crs="EPSG:4548"), d.iloc[:0], min_area_m2=1000
    )
    assert land.basis == "non_residential" and land.geometry.area == pytest.approx(1000)
