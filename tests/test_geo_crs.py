"""Tests for geo.crs: CRS policy, metric CRS choice, reprojection to metres and to storage.

The GCJ-02/BD-09 conversions of geo.datums are tested in tests/test_geo_datums.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from shapely import Point, Polygon

from geo import crs as gc
from geo import datums as gd

GEOD = pyproj.Geod(ellps="WGS84")
XICHENG_OSM = Path("/work/shared/xicheng_15_streets_osm.geojson")


# ---------------------------------------------------------------------------------------------
# Constants and policy
# ---------------------------------------------------------------------------------------------


def test_constants():
    assert gc.STORAGE_CRS == "EPSG:4326"
    assert gc.CGCS2000_GEOGRAPHIC == "EPSG:4490"
    assert (
        pyproj.CRS.from_user_input(gc.CGCS2000_GEOGRAPHIC).name
        == "China Geodetic Coordinate System 2000"
    )
    assert gd.GCJ02_A == 6378245.0
    assert gd.GCJ02_EE == 0.00669342162296594323
    assert math.isclose(gd.BD09_X_PI, math.pi * 3000.0 / 180.0)


# ---------------------------------------------------------------------------------------------
# Metric CRS choice
# ---------------------------------------------------------------------------------------------


def test_xicheng_gets_cgcs2000_gk_cm117():
    crs = gc.metric_crs_for(116.36, 39.91)
    assert crs.to_epsg() == 4548
    assert crs.name == "CGCS2000 / 3-degree Gauss-Kruger CM 117E"
    assert crs.is_projected
    assert crs.axis_info[0].unit_name == "metre"


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (24.94, 60.17, 32635),  # Helsinki (approx. city centre) -> WGS 84 / UTM zone 35N
        (151.21, -33.87, 32756),  # Sydney (approx. city centre) -> WGS 84 / UTM zone 56S
        (-0.13, 51.51, 32630),  # London -> UTM 30N
        (-74.0, 40.7, 32618),  # New York -> UTM 18N
        (180.0, 10.0, 32601),  # antimeridian wraps to zone 1
        (-180.0, -10.0, 32701),
        (0.0, 89.0, 32661),  # beyond UTM: UPS North
        (0.0, -85.0, 32761),  # beyond UTM: UPS South
    ],
)
def test_metric_crs_outside_china_is_utm(lon, lat, epsg):
    crs = gc.metric_crs_for(lon, lat)
    assert crs.to_epsg() == epsg
    assert crs.is_projected


def test_utm_choice_agrees_with_pyproj_query():
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_utm_crs_info

    for lon, lat in [(24.94, 60.17), (151.21, -33.87), (-58.4, -34.6), (37.6, 55.75)]:
        infos = query_utm_crs_info(
            datum_name="WGS 84", area_of_interest=AreaOfInterest(lon, lat, lon, lat)
        )
        assert gc.metric_crs_for(lon, lat).to_epsg() in {int(i.code) for i in infos}


@pytest.mark.parametrize("lon", np.arange(73.0, 135.01, 0.37).tolist())
def test_gauss_kruger_zone_is_nearest_multiple_of_3(lon):
    crs = gc.metric_crs_for(lon, 35.0)
    cm = min(max(3 * round(lon / 3), 75), 135)
    assert crs.name == f"CGCS2000 / 3-degree Gauss-Kruger CM {cm}E"
    assert crs.to_epsg() == 4534 + (cm - 75) // 3
    assert abs(lon - cm) <= 2.0  # <= 1.5 except at the clamped western edge (73-73.5 E)


def test_gauss_kruger_epsg_range_by_name():
    # EPSG:4534..4554 are CM 75E..CM 135E (looked up in pyproj's EPSG database).
    for code, cm in zip(range(4534, 4555), range(75, 136, 3), strict=True):
        assert pyproj.CRS.from_epsg(code).name == f"CGCS2000 / 3-degree Gauss-Kruger CM {cm}E"


def test_metric_crs_for_bounds_uses_centre():
    assert gc.metric_crs_for_bounds((116.31, 39.86, 116.40, 39.98)).to_epsg() == 4548
    assert gc.metric_crs_for_bounds(np.array([24.8, 60.1, 25.2, 60.3])).to_epsg() == 32635
    # centre at 112.5 E -> nearest CM is 111E or 114E (tie broken upwards) -> 114E
    assert gc.metric_crs_for_bounds((110.0, 30.0, 115.0, 31.0)).to_epsg() == 4547


@pytest.mark.parametrize(
    ("args", "param"),
    [
        ((200.0, 39.9), "lon"),
        ((116.4, 95.0), "lat"),
        ((math.nan, 39.9), "lon"),
        ((116.4, "x"), "lat"),
    ],
)
def test_metric_crs_for_rejects_bad_input(args, param):
    with pytest.raises(ValueError, match=param):
        gc.metric_crs_for(*args)


@pytest.mark.parametrize(
    "bounds",
    [(116.3, 39.8, 116.4), (116.4, 39.8, 116.3, 39.9), (116.3, 39.8, math.nan, 39.9), "abcd"],
)
def test_metric_crs_for_bounds_rejects_bad_input(bounds):
    with pytest.raises(ValueError, match="bounds"):
        gc.metric_crs_for_bounds(bounds)


# ---------------------------------------------------------------------------------------------
# to_metric / to_storage
# ---------------------------------------------------------------------------------------------


def _beijing_points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[Point(116.36, 39.91), Point(116.38, 39.93)],
        crs=gc.STORAGE_CRS,
    )


def test_to_metric_auto_and_explicit():
    gdf = _beijing_points()
    before = gdf.geometry.copy()
    auto = gc.to_metric(gdf)
    assert auto.crs.to_epsg() == 4548
    explicit = gc.to_metric(gdf, "EPSG:4548")
    assert explicit.geometry.geom_equals_exact(auto.geometry, tolerance=1e-6).all()
    assert gdf.geometry.equals(before)  # input untouched
    assert gdf.crs.to_epsg() == 4326
    assert list(auto["name"]) == ["a", "b"]
    series = gc.to_metric(gdf.geometry)
    assert isinstance(series, gpd.GeoSeries)
    assert series.crs.to_epsg() == 4548


def test_to_metric_distances_are_metres():
    # Two points 500 m apart on the ellipsoid must be ~500 m apart in the metric CRS.
    lon2, lat2, _ = GEOD.fwd(116.36, 39.91, 60.0, 500.0)
    s = gpd.GeoSeries([Point(116.36, 39.91), Point(lon2, lat2)], crs=gc.STORAGE_CRS)
    m = gc.to_metric(s)
    assert m.iloc[0].distance(m.iloc[1]) == pytest.approx(500.0, rel=1e-4)


def test_to_metric_same_crs_returns_copy():
    m = gc.to_metric(_beijing_points(), "EPSG:4548")
    again = gc.to_metric(m, "EPSG:4548")
    assert again is not m
    assert again.geometry.equals(m.geometry)


def test_to_storage_round_trip_and_cgcs2000():
    gdf = _beijing_points()
    back = gc.to_storage(gc.to_metric(gdf))
    assert back.crs.to_epsg() == 4326
    assert np.allclose(
        back.get_coordinates().to_numpy(), gdf.get_coordinates().to_numpy(), atol=1e-9
    )
    cg = gdf.set_crs(gc.CGCS2000_GEOGRAPHIC, allow_override=True)
    st_ = gc.to_storage(cg)
    assert st_.crs.to_epsg() == 4326
    assert cg.crs.to_epsg() == 4490  # input untouched
    assert np.array_equal(st_.get_coordinates().to_numpy(), gdf.get_coordinates().to_numpy())
    same = gc.to_storage(gdf)
    assert same is not gdf and same.geometry.equals(gdf.geometry)


def test_to_metric_and_storage_errors():
    no_crs = gpd.GeoDataFrame(geometry=[Point(116.36, 39.91)])
    with pytest.raises(ValueError, match="no CRS"):
        gc.to_metric(no_crs)
    with pytest.raises(ValueError, match="no CRS"):
        gc.to_storage(no_crs)
    with pytest.raises(ValueError, match="GeoDataFrame or GeoSeries"):
        gc.to_metric([Point(0, 0)])  # type: ignore[type-var]
    with pytest.raises(ValueError, match="not a projected"):
        gc.to_metric(_beijing_points(), "EPSG:4490")
    with pytest.raises(ValueError, match="in metres"):
        gc.to_metric(_beijing_points(), "EPSG:2263")  # NY State Plane, US survey feet
    with pytest.raises(ValueError, match="not a CRS"):
        gc.to_metric(_beijing_points(), "EPSG:999999")
    empty = gpd.GeoDataFrame(geometry=[None, Polygon()], crs=gc.STORAGE_CRS)
    with pytest.raises(ValueError, match="pass crs explicitly"):
        gc.to_metric(empty)


@pytest.mark.skipif(not XICHENG_OSM.exists(), reason="shared OSM boundaries not available")
def test_xicheng_osm_boundaries_go_to_4548():
    streets = gpd.read_file(XICHENG_OSM)
    metric = gc.to_metric(streets)
    assert metric.crs.to_epsg() == 4548
    assert len(metric) == len(streets) == 15
