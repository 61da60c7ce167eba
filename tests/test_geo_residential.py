"""Tests for geo.residential: the labelled residential proxy and the 街道 assignment."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from geo.indicator import coverage_table
from geo.residential import RESIDENTIAL_COLUMNS, assign_subdistrict, residential_proxy

CRS = "EPSG:4548"
OSM = Path("/work/shared/xicheng_15_streets_osm.geojson")


def _subs() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["s1", "s2"], "name_zh": ["甲", "乙"], "pop": [1000.0, np.nan]},
        geometry=[box(0, 0, 500, 500), box(500, 0, 1000, 500)],
        crs=CRS,
    )


def test_proxy_is_land_minus_parks_and_exclusions() -> None:
    subs = _subs()
    parks = gpd.GeoDataFrame(geometry=[box(100, 100, 200, 200), None], crs=CRS)
    water = gpd.GeoSeries([box(600, 0, 700, 500)], crs=CRS)
    district = gpd.GeoSeries([box(0, 0, 900, 500)], crs=CRS)  # clips s2's east end
    r = residential_proxy(
        district, subs, parks, exclude=water, cell_size_m=100, population_col="pop"
    )
    assert list(r.columns) == [*RESIDENTIAL_COLUMNS, "geometry"]
    area = r.groupby("subdistrict_code").geometry.apply(lambda g: g.area.sum())
    assert area["s1"] == pytest.approx(250000 - 10000)
    assert area["s2"] == pytest.approx(400 * 500 - 100 * 500)
    assert r.area.max() <= 100 * 100 + 1e-6
    assert r.parcel_id.is_unique and r.parcel_id.iloc[0].startswith("proxy-s1-")
    assert (r.geometry_quality == "approximate").all()
    assert r.source.iloc[0].startswith("proxy: ") and "100 m cells" in r.source.iloc[0]
    assert r.loc[r.subdistrict_code == "s1", "population"].sum() == pytest.approx(1000)
    assert r.loc[r.subdistrict_code == "s2", "population"].isna().all()
    assert not r.geometry.intersects(box(101, 101, 199, 199)).any()


def test_proxy_without_population_is_nan() -> None:
    r = residential_proxy(_subs(), _subs(), None, cell_size_m=250)
    assert r.population.isna().all() and len(r) == 8


def test_proxy_errors() -> None:
    with pytest.raises(ValueError, match="population_col"):
        residential_proxy(_subs(), _subs(), None, population_col="people")
    with pytest.raises(ValueError, match="cell_size_m"):
        residential_proxy(_subs(), _subs(), None, cell_size_m=0)
    with pytest.raises(ValueError, match="not projected"):
        residential_proxy(_subs(), _subs().to_crs("EPSG:4326"), None)


def test_assign_subdistrict_largest_overlap_and_drop_in() -> None:
    real = gpd.GeoDataFrame(
        {"parcel_id": ["p1", "p2", "p3"]},
        geometry=[box(10, 10, 60, 60), box(450, 0, 600, 50), box(700, 0, 800, 100)],
        crs=CRS,
    )
    out = assign_subdistrict(real, _subs())
    assert out.subdistrict_code.tolist() == ["s1", "s2", "s2"]
    assert out.population.isna().all() and (out.source == "user").all()
    assert set(RESIDENTIAL_COLUMNS) <= set(out.columns)
    # the real layer is a drop-in replacement for the proxy in the indicator
    parks = gpd.GeoDataFrame({"radius_m": [100.0]}, geometry=[Point(0, 0)], crs=CRS)
    t = coverage_table(real.drop(columns=[]), parks, subdistricts=_subs())
    s1 = t[(t.scope == "subdistrict") & (t.unit_code == "s1")].iloc[0]
    assert s1.residential_m2 == pytest.approx(2500) and s1.rate_pct == pytest.approx(100)


def test_assign_subdistrict_keeps_existing_and_reports_outside() -> None:
    real = gpd.GeoDataFrame(
        {"parcel_id": ["p1", "p2"], "subdistrict_code": ["s2", None]},
        geometry=[box(10, 10, 60, 60), box(10, 10, 60, 60)],
        crs=CRS,
    )
    assert assign_subdistrict(real, _subs()).subdistrict_code.tolist() == ["s2", "s1"]
    far = gpd.GeoDataFrame({"parcel_id": ["zz"]}, geometry=[box(5000, 0, 5100, 100)], crs=CRS)
    with pytest.raises(ValueError, match="zz"):
        assign_subdistrict(far, _subs())


@pytest.mark.skipif(not OSM.is_file(), reason="shared OSM boundaries not available")
def test_proxy_on_osm_subdistricts_smoke() -> None:
    """The proxy on the real 街道 outlines (read from ../shared, never copied into the repo)."""
    subs = gpd.read_file(OSM).to_crs("EPSG:4548").rename(columns={"adcode": "code"})
    district = gpd.GeoSeries([subs.union_all()], crs=subs.crs)
    r = residential_proxy(district, subs, None, cell_size_m=500)
    assert set(r.subdistrict_code) == set(subs.code.astype(str))
    # no parks removed: the proxy covers the district (50.54 km² per the facts README)
    assert r.area.sum() / 1e6 == pytest.approx(district.area.iloc[0] / 1e6, rel=1e-6)
    assert 50.0 < r.area.sum() / 1e6 < 51.0
