"""Tests for geo.datums: GCJ-02/BD-09 conversions, geometry conversion.

Published test vectors are cited where they are used; every pair below was read from the named
file of the named public repository (nothing here is recomputed and then called "published").
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, MultiPolygon, Point, Polygon

from geo import crs as gc
from geo import datums as gd
from tests.test_geo_crs import GEOD, XICHENG_OSM, _beijing_points


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance(s) in metres on the WGS-84 ellipsoid."""
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2], dtype=float)


# ---------------------------------------------------------------------------------------------
# GCJ-02 / BD-09: published vectors
# ---------------------------------------------------------------------------------------------

# (116.404, 39.915) is the Baidu Maps JavaScript API tutorial's example point for Beijing
# (`new BMap.Point(116.404, 39.915)`, e.g. mirrored at hk.javashuo.com/article/p-ydhxeymj-ge.html;
# it lies in central Beijing near Tiananmen). The converted values are from
# github.com/wandergis/coordtransform, file test/app.js ("//result" block); the same numbers are
# asserted in hutool's CoordinateUtilTest ("测试参考：https://github.com/wandergis/coordtransform").
WANDERGIS_IN = (116.404, 39.915)
WANDERGIS_WGS84_TO_GCJ02 = (116.41024449916938, 39.91640428150164)
WANDERGIS_GCJ02_TO_BD09 = (116.41036949371029, 39.92133699351021)
WANDERGIS_BD09_TO_GCJ02 = (116.39762729119315, 39.90865673957631)
# wandergis' gcj02towgs84 is the one-step approximation (g - delta(g)), not an exact inverse.
WANDERGIS_GCJ02_TO_WGS84_APPROX = (116.39775550083061, 39.91359571849836)

# github.com/googollee/eviltransform, go/transform_test.go and python/test.py:
# (wgsLat, wgsLng, gcjLat, gcjLng); those tests require the exact inverse to be within 0.5 m.
EVILTRANSFORM_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # beijing
]
# eviltransform's python/test.py also has two BD-09 -> WGS-84 pairs (TESTS_bd); they disagree
# with the standard BD-09/GCJ-02 formulas by 10-40 m (apparently taken from Baidu's own API),
# so they are deliberately not used here.

# github.com/hujiulong/gcoord, test/unit/crs/{WGS84,GCJ02,BD09}.spec.ts, input [123, 45]
# (lon, lat), asserted there with toBeCloseTo(x, 5), i.e. |error| < 5e-6 degrees.
GCOORD_IN = (123.0, 45.0)
GCOORD = {
    ("wgs84", "gcj02"): (123.00607541, 45.00197815),
    ("wgs84", "bd09"): (123.0124491, 45.0083293),
    ("gcj02", "wgs84"): (122.99395597, 44.99804071),
    ("gcj02", "bd09"): (123.00636499, 45.00636899),
    ("bd09", "gcj02"): (122.99363304, 44.99365430),
    ("bd09", "wgs84"): (122.98762210, 44.99171540),
}
FUNCS = {
    ("wgs84", "gcj02"): gd.wgs84_to_gcj02,
    ("wgs84", "bd09"): gd.wgs84_to_bd09,
    ("gcj02", "wgs84"): gd.gcj02_to_wgs84,
    ("gcj02", "bd09"): gd.gcj02_to_bd09,
    ("bd09", "gcj02"): gd.bd09_to_gcj02,
    ("bd09", "wgs84"): gd.bd09_to_wgs84,
}


@pytest.mark.parametrize(
    ("func", "expected"),
    [
        (gd.wgs84_to_gcj02, WANDERGIS_WGS84_TO_GCJ02),
        (gd.gcj02_to_bd09, WANDERGIS_GCJ02_TO_BD09),
        (gd.bd09_to_gcj02, WANDERGIS_BD09_TO_GCJ02),
    ],
)
def test_wandergis_vectors(func, expected):
    lon, lat = func(*WANDERGIS_IN)
    assert float(lon) == pytest.approx(expected[0], abs=1e-9)
    assert float(lat) == pytest.approx(expected[1], abs=1e-9)


def test_exact_inverse_vs_wandergis_one_step_approximation():
    lon, lat = gd.gcj02_to_wgs84(*WANDERGIS_IN)
    # ours is exact: going forward again reproduces the input to < 1 cm ...
    flon, flat = gd.wgs84_to_gcj02(lon, lat)
    assert metres(flon, flat, *WANDERGIS_IN) < 0.01
    # ... and agrees with the published one-step approximation to well under a metre here
    # (measured: 0.06 m; the one-step error grows with the offset gradient elsewhere)
    d = metres(lon, lat, *WANDERGIS_GCJ02_TO_WGS84_APPROX)
    assert d < 1.0


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM_PAIRS)
def test_eviltransform_vectors(wlat, wlon, glat, glon):
    lon, lat = gd.wgs84_to_gcj02(wlon, wlat)
    assert float(lon) == pytest.approx(glon, abs=1e-9)
    assert float(lat) == pytest.approx(glat, abs=1e-9)
    ilon, ilat = gd.gcj02_to_wgs84(glon, glat)
    assert metres(ilon, ilat, wlon, wlat) < 0.5


@pytest.mark.parametrize("pair", sorted(GCOORD))
def test_gcoord_vectors(pair):
    lon, lat = FUNCS[pair](*GCOORD_IN)
    exp_lon, exp_lat = GCOORD[pair]
    assert abs(float(lon) - exp_lon) < 5e-6
    assert abs(float(lat) - exp_lat) < 5e-6


def test_vectors_vectorised_match_scalar():
    wlat, wlon, glat, glon = (np.array(c) for c in zip(*EVILTRANSFORM_PAIRS, strict=True))
    lon, lat = gd.wgs84_to_gcj02(wlon, wlat)
    assert lon.shape == (3,)
    assert np.allclose(lon, glon, atol=1e-9, rtol=0)
    assert np.allclose(lat, glat, atol=1e-9, rtol=0)


# ---------------------------------------------------------------------------------------------
# GCJ-02 / BD-09: properties
# ---------------------------------------------------------------------------------------------


def _beijing_grid() -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.meshgrid(np.linspace(115.9, 117.0, 41), np.linspace(39.5, 40.5, 37))
    return lon, lat


def test_round_trip_wgs_gcj_wgs_beijing_grid():
    lon, lat = _beijing_grid()
    g = gd.wgs84_to_gcj02(lon, lat)
    assert g[0].shape == lon.shape
    assert metres(lon, lat, *g).min() > 100.0  # the offset is really applied
    back = gd.gcj02_to_wgs84(*g)
    d = metres(lon, lat, *back)
    assert d.max() < 0.5
    assert d.max() < 0.02  # tol_m=0.01 default (residual bound, plus rounding)


def test_round_trip_gcj_wgs_gcj_beijing_grid():
    lon, lat = _beijing_grid()
    w = gd.gcj02_to_wgs84(lon, lat, tol_m=0.001)
    again = gd.wgs84_to_gcj02(*w)
    assert metres(lon, lat, *again).max() < 0.001


def test_round_trip_bd_beijing_grid():
    lon, lat = _beijing_grid()
    d1 = metres(lon, lat, *gd.bd09_to_gcj02(*gd.gcj02_to_bd09(lon, lat)))
    d2 = metres(lon, lat, *gd.bd09_to_wgs84(*gd.wgs84_to_bd09(lon, lat)))
    assert d1.max() < 0.5
    assert d2.max() < 0.5
    bd = gd.wgs84_to_bd09(lon, lat)
    assert metres(lon, lat, *bd).min() > 500.0  # BD-09 adds ~0.0065/0.006 deg on top of GCJ


china_lon = st.floats(min_value=73.5, max_value=134.5, allow_nan=False)
china_lat = st.floats(min_value=18.5, max_value=53.5, allow_nan=False)
china_points = st.lists(st.tuples(china_lon, china_lat), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(china_points)
def test_round_trips_across_china(points):
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    w = gd.gcj02_to_wgs84(*gd.wgs84_to_gcj02(lon, lat))
    assert metres(lon, lat, *w).max() < 0.5
    g = gd.wgs84_to_gcj02(*gd.gcj02_to_wgs84(lon, lat))
    assert metres(lon, lat, *g).max() < 0.5
    b = gd.bd09_to_gcj02(*gd.gcj02_to_bd09(lon, lat))
    assert metres(lon, lat, *b).max() < 0.5
    b2 = gd.bd09_to_wgs84(*gd.wgs84_to_bd09(lon, lat))
    assert metres(lon, lat, *b2).max() < 0.5


@settings(max_examples=60, deadline=None)
@given(china_lon, china_lat)
def test_gcj_offset_is_hundreds_of_metres_not_kilometres(lon, lat):
    d = float(metres(lon, lat, *gd.wgs84_to_gcj02(lon, lat)))
    assert 1.0 < d < 1500.0


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (24.94, 60.17),  # Helsinki
        (151.21, -33.87),  # Sydney
        (2.35, 48.86),  # Paris
        (-74.0, 40.7),  # New York
        (72.0, 30.0),  # just west of the out-of-China box
        (120.0, 56.0),  # just north of it
        (140.0, 35.7),  # Tokyo: east of the box
    ],
)
def test_out_of_china_pass_through(lon, lat):
    assert bool(gd.out_of_china(lon, lat))
    for func in (gd.wgs84_to_gcj02, gd.gcj02_to_wgs84):
        olon, olat = func(lon, lat)
        assert float(olon) == lon
        assert float(olat) == lat


def test_out_of_china_box_edges():
    assert gd.out_of_china([72.003, 72.004, 137.8347, 137.8348], [30.0] * 4).tolist() == [
        True,
        False,
        False,
        True,
    ]
    assert gd.out_of_china([100.0] * 4, [0.8292, 0.8293, 55.8271, 55.8272]).tolist() == [
        True,
        False,
        False,
        True,
    ]
    lon, _ = gd.wgs84_to_gcj02([72.01], [30.0])
    assert lon[0] != 72.01


def test_xicheng_offset_sanity():
    # At Xicheng WGS-84 ~= GCJ-02 - (0.0062 deg lon, 0.0014 deg lat), roughly 500-600 m.
    if XICHENG_OSM.exists():
        b = gpd.read_file(XICHENG_OSM).total_bounds
    else:  # pragma: no cover - rough box around central Beijing
        b = np.array([116.31, 39.87, 116.39, 39.97])
    lon, lat = np.meshgrid(np.linspace(b[0], b[2], 15), np.linspace(b[1], b[3], 15))
    glon, glat = gd.wgs84_to_gcj02(lon, lat)
    assert np.all(np.abs((glon - lon) - 0.0062) < 0.0002)
    assert np.all(np.abs((glat - lat) - 0.0014) < 0.0002)
    d = metres(lon, lat, glon, glat)
    assert d.min() > 500.0 and d.max() < 600.0
    wlon, _ = gd.gcj02_to_wgs84(glon, glat)
    assert np.all(np.abs((glon - wlon) - 0.0062) < 0.0002)


# ---------------------------------------------------------------------------------------------
# GCJ-02 / BD-09: array handling and errors
# ---------------------------------------------------------------------------------------------

ALL_FUNCS = [
    gd.wgs84_to_gcj02,
    gd.gcj02_to_wgs84,
    gd.gcj02_to_bd09,
    gd.bd09_to_gcj02,
    gd.wgs84_to_bd09,
    gd.bd09_to_wgs84,
]


@pytest.mark.parametrize("func", ALL_FUNCS)
def test_nan_in_nan_out(func):
    lon = np.array([116.40, np.nan, 116.42, np.nan])
    lat = np.array([39.90, 39.91, np.nan, np.nan])
    olon, olat = func(lon, lat)
    assert np.isfinite(olon[0]) and np.isfinite(olat[0])
    assert olon[0] != lon[0]  # converted
    # a point with a NaN coordinate is passed through unchanged
    assert np.isnan(olon[1]) and olat[1] == 39.91
    assert olon[2] == 116.42 and np.isnan(olat[2])
    assert np.isnan(olon[3]) and np.isnan(olat[3])


@pytest.mark.parametrize("func", ALL_FUNCS)
def test_shapes_and_scalars(func):
    lon, _ = func(116.4, 39.9)
    assert isinstance(lon, np.ndarray) and lon.shape == ()
    grid_lon, grid_lat = _beijing_grid()
    olon, olat = func(grid_lon, grid_lat)
    assert olon.shape == olat.shape == grid_lon.shape
    lon_list, _ = func([116.4, 116.5], [39.9, 39.95])
    assert lon_list.shape == (2,)
    empty_lon, empty_lat = func([], [])
    assert empty_lon.shape == empty_lat.shape == (0,)


@pytest.mark.parametrize("func", ALL_FUNCS)
def test_input_not_modified(func):
    lon = np.array([116.4, 116.5])
    lat = np.array([39.9, 39.95])
    olon, _ = func(lon, lat)
    assert lon.tolist() == [116.4, 116.5] and lat.tolist() == [39.9, 39.95]
    olon[0] = 0.0
    assert lon[0] == 116.4


@pytest.mark.parametrize("func", ALL_FUNCS)
def test_mismatched_shapes_raise(func):
    with pytest.raises(ValueError, match=r"lon.*lat.*same shape"):
        func([116.4, 116.5], [39.9])
    with pytest.raises(ValueError, match="same shape"):
        func(116.4, [39.9, 39.95])


@pytest.mark.parametrize("func", ALL_FUNCS)
def test_non_numeric_raises_naming_parameter(func):
    with pytest.raises(ValueError, match=r"^lat "):
        func([116.4], ["north"])
    with pytest.raises(ValueError, match=r"^lon "):
        func(None, 39.9)


def test_inverse_parameters_validated():
    with pytest.raises(ValueError, match="tol_m"):
        gd.gcj02_to_wgs84(116.4, 39.9, tol_m=0.0)
    with pytest.raises(ValueError, match="tol_m"):
        gd.gcj02_to_wgs84(116.4, 39.9, tol_m=math.nan)
    with pytest.raises(ValueError, match="max_iter"):
        gd.gcj02_to_wgs84(116.4, 39.9, max_iter=0)
    with pytest.raises(ValueError, match="max_iter"):
        gd.gcj02_to_wgs84(116.4, 39.9, max_iter=2.5)  # type: ignore[arg-type]


def test_inverse_reports_non_convergence():
    with pytest.raises(gd.ConvergenceError, match=r"max_iter=1.*lon=116\.4"):
        gd.gcj02_to_wgs84([116.4], [39.9], max_iter=1)
    # ConvergenceError is a ValueError (CONTRIBUTING: ValueError subclasses in geo/)
    assert issubclass(gd.ConvergenceError, ValueError)
    # a handful of iterations is plenty
    lon, _ = gd.gcj02_to_wgs84([116.4], [39.9], max_iter=4)
    assert np.isfinite(lon).all()


def test_tighter_tolerance_is_honoured():
    lon, lat = gd.gcj02_to_wgs84(*WANDERGIS_IN, tol_m=1e-6)
    f = gd.wgs84_to_gcj02(lon, lat)
    assert metres(*f, *WANDERGIS_IN) < 1e-5


# ---------------------------------------------------------------------------------------------
# Geometry conversion
# ---------------------------------------------------------------------------------------------


def _geoms() -> list:
    return [
        Point(116.40, 39.90),
        None,
        Polygon(),
        LineString([(116.30, 39.90, 5.0), (116.40, 39.95, 7.0)]),
        Polygon([(116.30, 39.90), (116.32, 39.90), (116.32, 39.92), (116.30, 39.90)]),
        MultiPolygon(
            [
                Polygon([(116.30, 39.90), (116.31, 39.90), (116.31, 39.91)]),
                Polygon([(116.35, 39.90), (116.36, 39.90), (116.36, 39.91)]),
            ]
        ),
        Point(2.35, 48.86),  # Paris: out of China
    ]


@pytest.mark.parametrize(("src", "dst"), sorted(FUNCS))
def test_convert_geometry_matches_point_functions(src, dst):
    arr = np.array(_geoms(), dtype=object)
    out = gd.convert_geometry(arr, src, dst)
    assert isinstance(out, np.ndarray) and len(out) == len(arr)
    assert out[1] is None
    assert out[2].is_empty and out[2].geom_type == "Polygon"
    assert [g.geom_type for g in out if g is not None] == [
        g.geom_type for g in arr if g is not None
    ]
    assert shapely.has_z(out[3])
    assert shapely.get_coordinates(out[3], include_z=True)[:, 2].tolist() == [5.0, 7.0]
    coords_in = shapely.get_coordinates(arr)
    coords_out = shapely.get_coordinates(out)
    exp_lon, exp_lat = FUNCS[(src, dst)](coords_in[:, 0], coords_in[:, 1])
    assert np.allclose(coords_out[:, 0], exp_lon, atol=1e-12, rtol=0)
    assert np.allclose(coords_out[:, 1], exp_lat, atol=1e-12, rtol=0)
    assert shapely.get_num_coordinates(out).tolist() == shapely.get_num_coordinates(arr).tolist()


def test_convert_geometry_round_trip_polygons():
    arr = np.array(_geoms(), dtype=object)
    back = gd.convert_geometry(gd.convert_geometry(arr, "wgs84", "bd09"), "bd09", "wgs84")
    a = shapely.get_coordinates(arr)
    b = shapely.get_coordinates(back)
    assert metres(a[:, 0], a[:, 1], b[:, 0], b[:, 1]).max() < 0.5


def test_convert_geometry_geoseries_keeps_index_and_name():
    s = gpd.GeoSeries(_geoms(), index=list("abcdefg"), name="shape", crs=gc.CGCS2000_GEOGRAPHIC)
    out = gd.convert_geometry(s, "EPSG:4490", "GCJ02")
    assert isinstance(out, gpd.GeoSeries)
    assert list(out.index) == list("abcdefg")
    assert out.name == "shape"
    assert out.crs.to_epsg() == 4326
    assert out["b"] is None
    assert out["g"].equals(s["g"])  # Paris unchanged
    assert not out["a"].equals(s["a"])
    # input untouched
    assert s["a"].equals(Point(116.40, 39.90))


def test_convert_geometry_single_and_list_and_identity():
    p = Point(*WANDERGIS_IN)
    out = gd.convert_geometry(p, "wgs84", "gcj02")
    assert isinstance(out, Point)
    assert out.x == pytest.approx(WANDERGIS_WGS84_TO_GCJ02[0], abs=1e-9)
    assert gd.convert_geometry(None, "wgs84", "gcj02") is None
    lst = gd.convert_geometry([p, None], "gcj02", "bd09")
    assert lst[0].y == pytest.approx(WANDERGIS_GCJ02_TO_BD09[1], abs=1e-9)
    same = gd.convert_geometry([p], "EPSG:4326", "wgs84")
    assert same[0].equals(p)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("WGS84", "wgs84"),
        ("wgs-84", "wgs84"),
        ("EPSG:4326", "wgs84"),
        ("epsg:4490", "wgs84"),
        ("GCJ02", "gcj02"),
        ("gcj-02", "gcj02"),
        (" Bd09 ", "bd09"),
        ("BD-09", "bd09"),
    ],
)
def test_normalize_datum(name, canonical):
    assert gd.normalize_datum(name) == canonical


def test_convert_geometry_errors():
    with pytest.raises(ValueError, match=r"'mars'.*src"):
        gd.convert_geometry([Point(116.4, 39.9)], "mars", "wgs84")
    with pytest.raises(ValueError, match=r"'EPSG:3857'.*dst"):
        gd.convert_geometry([Point(116.4, 39.9)], "wgs84", "EPSG:3857")
    with pytest.raises(ValueError, match="dst"):
        gd.convert_geometry([Point(116.4, 39.9)], "wgs84", None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="geoms"):
        gd.convert_geometry([1.0, 2.0], "wgs84", "gcj02")
    projected = gpd.GeoSeries([Point(443_000.0, 4_418_000.0)], crs="EPSG:4548")
    with pytest.raises(ValueError, match=r"geoms.*EPSG:4548"):
        gd.convert_geometry(projected, "wgs84", "gcj02")


def test_convert_gdf():
    gdf = gpd.GeoDataFrame(
        {"name_zh": ["甲", "乙", "丙"], "n": [1, 2, 3]},
        geometry=[Point(*WANDERGIS_IN), None, Polygon()],
        crs=gc.STORAGE_CRS,
    )
    out = gd.convert_gdf(gdf, "wgs84", "gcj02")
    assert out is not gdf
    assert out.crs.to_epsg() == 4326
    assert list(out.columns) == list(gdf.columns)
    assert out["name_zh"].tolist() == ["甲", "乙", "丙"]
    assert out.geometry.iloc[0].x == pytest.approx(WANDERGIS_WGS84_TO_GCJ02[0], abs=1e-9)
    assert out.geometry.iloc[1] is None
    assert out.geometry.iloc[2].is_empty
    assert gdf.geometry.iloc[0].x == WANDERGIS_IN[0]  # input untouched
    # a GeoDataFrame without CRS is fine (GCJ-02 data often comes unlabelled)
    bare = gdf.set_crs(None, allow_override=True)
    assert gd.convert_gdf(bare, "gcj02", "wgs84").crs.to_epsg() == 4326


def test_convert_gdf_errors():
    with pytest.raises(ValueError, match="gdf must be a GeoDataFrame"):
        gd.convert_gdf(gpd.GeoSeries([Point(0, 0)]), "wgs84", "gcj02")  # type: ignore[arg-type]
    projected = gpd.GeoDataFrame(geometry=[Point(443_000.0, 4_418_000.0)], crs="EPSG:4548")
    with pytest.raises(ValueError, match="gdf"):
        gd.convert_gdf(projected, "wgs84", "gcj02")
    with pytest.raises(ValueError, match="'baidu'"):
        gd.convert_gdf(_beijing_points(), "baidu", "wgs84")
