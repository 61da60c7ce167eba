"""Tests for the arc error brackets (geo.arcerror, geo.coverage.covered_area_bracket).

The truth is the area covered with exact Euclidean distances. It is bracketed independently of the
code under test by buffers of the parks' convex pieces at ``quad_segs=2048`` (no GEOS simplification
of convex inputs; chords 32 times shorter than at the default 64): ``[t_lo, t_hi]``. The bracket
``[cov_in, cov_out]`` of the engine must contain it, i.e. ``cov_in <= t_lo`` and ``t_hi <= cov_out``.
The per-park certificates of geo.arccert are tested on their own in tests/test_geo_arccert.py.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import Point, Polygon, box

from geo.arcerror import outer_radius_factor
from geo.coverage import bracket_parks, coverage, covered_area, covered_area_bracket
from tests import _xicheng_osm
from tests._shared import needs_realdata

CRS = "EPSG:4548"
X0, Y0 = 500_000.0, 4_400_000.0
FINE = 2048


def gs(geoms: list[shapely.Geometry]) -> gpd.GeoSeries:
    return gpd.GeoSeries(geoms, crs=CRS)


def truth(demand: gpd.GeoSeries, parks: gpd.GeoSeries, r: np.ndarray) -> tuple[np.ndarray, ...]:
    """Bracket of the exact covered area per parcel from convex pieces at quad_segs=2048."""
    pieces, r_in, _, _ = bracket_parks(parks, r, quad_segs=FINE)
    lo = covered_area(demand, pieces, r_in, quad_segs=FINE)
    # outer: the corner factor at 2048 (pieces are convex: no simplification)
    hi = covered_area(
        demand, pieces, r_in * outer_radius_factor(FINE, corners=True), quad_segs=FINE
    )
    return lo, hi


def assert_brackets(demand: gpd.GeoSeries, parks: gpd.GeoSeries, r: np.ndarray, q: int) -> None:
    cov, cov_in, cov_out = covered_area_bracket(demand, parks, r, quad_segs=q)
    lo, hi = truth(demand, parks, r)
    area = demand.area.to_numpy()
    eps = 1e-9 * area + 1e-6
    assert np.all(cov_in <= cov + eps) and np.all(cov <= cov_out + eps)
    assert np.all(cov_in <= lo + eps), (cov_in - lo).max()
    assert np.all(hi <= cov_out + eps), (hi - cov_out).max()
    np.testing.assert_allclose(cov, covered_area(demand, parks, r, quad_segs=q), rtol=1e-12)


# a park GEOS buffers beyond the true buffer: it bridges the 2 m step before buffering
STEP = Polygon(
    [(X0, Y0), (X0 + 400, Y0), (X0 + 400, Y0 + 200), (X0 + 200, Y0 + 200), (X0 + 200, Y0 + 198),
     (X0, Y0 + 198.5)]
)  # fmt: skip
ELL = Polygon(
    [(X0 + 900, Y0), (X0 + 1300, Y0), (X0 + 1300, Y0 + 100), (X0 + 1000, Y0 + 100),
     (X0 + 1000, Y0 + 400), (X0 + 900, Y0 + 400)]
)  # fmt: skip


def strip_parcels(y0: float, y1: float, n: int = 40) -> gpd.GeoSeries:
    return gs([box(X0 - 700 + 60 * i, y0, X0 - 650 + 60 * i, y1) for i in range(n)])


def test_geos_overshoots_step_park_and_bracket_catches_it() -> None:
    parks = gs([STEP])
    d = strip_parcels(Y0 + 650, Y0 + 700.5)  # straddles the top edge of the 500 m buffer
    r = np.array([500.0])
    cov, cov_in, cov_out = covered_area_bracket(d, parks, r, quad_segs=64)
    lo, hi = truth(d, parks, r)
    # the GEOS value really exceeds the exact area here (by up to ~1 m x 50 m per parcel) ...
    assert (cov - hi).max() > 1.0
    # ... and the certified inner bracket does not
    assert np.all(cov_in <= lo + 1e-6)
    assert np.all(hi <= cov_out + 1e-6)
    res = coverage(d, parks, r, quad_segs=64)
    assert res.arc_error_bound_pp > 100 * (cov - hi).sum() / d.area.sum() - 1e-9


def test_bracket_demo_shapes() -> None:
    multi = shapely.MultiPolygon([box(X0 - 300, Y0 - 300, X0 - 200, Y0 - 250), ELL.buffer(-20)])
    holed = box(X0 + 200, Y0 - 400, X0 + 260, Y0 - 390).difference(
        box(X0 + 210, Y0 - 398, X0 + 220, Y0 - 392)
    )
    parks = gs([STEP, ELL, Point(X0 + 600, Y0 + 900), multi, holed])
    d = gs([box(X0 - 800 + 90 * i, Y0 - 800 + 90 * j, X0 - 730 + 90 * i, Y0 - 730 + 90 * j)
            for i in range(28) for j in range(22)])  # fmt: skip
    r = np.array([500.0, 300.0, 500.0, 250.0, 400.0])
    for q in (2, 16, 64):
        assert_brackets(d, parks, r, q)


@st.composite
def nonconvex_layouts(draw: st.DrawFn) -> tuple[gpd.GeoSeries, gpd.GeoSeries, np.ndarray, int]:
    n_parks = draw(st.integers(1, 4))
    parks = []
    for _ in range(n_parks):
        cx = X0 + draw(st.floats(-800, 800))
        cy = Y0 + draw(st.floats(-800, 800))
        k = draw(st.integers(5, 14))
        ang = np.sort(np.array(draw(st.lists(st.floats(0, 2 * np.pi), min_size=k, max_size=k))))
        rad = np.array(draw(st.lists(st.floats(30, 250), min_size=k, max_size=k)))
        if len(np.unique(np.round(ang, 3))) < 3:
            continue
        ring = np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)]
        poly = shapely.make_valid(Polygon(ring))
        parts = [p for p in shapely.get_parts(poly) if p.geom_type == "Polygon" and p.area > 1]
        if parts:
            parks.append(max(parts, key=lambda p: p.area))
    if not parks:
        parks = [ELL]
    r = np.array([draw(st.floats(50, 600)) for _ in parks])
    q = draw(st.sampled_from([2, 8, 32, 64]))
    cell = draw(st.floats(60, 250))
    d = [box(X0 - 1500 + i * cell, Y0 - 1500 + j * cell, X0 - 1500 + (i + 0.8) * cell,
             Y0 - 1500 + (j + 0.8) * cell)
         for i in range(int(3000 // cell)) for j in range(int(3000 // cell))]  # fmt: skip
    return gs(d), gs(parks), r, q


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nonconvex_layouts())
def test_brackets_contain_truth_random_nonconvex(
    layout: tuple[gpd.GeoSeries, gpd.GeoSeries, np.ndarray, int],
) -> None:
    d, p, r, q = layout
    assert_brackets(d, p, r, q)


# ------------------------------------------------------------------------------------------ real data
@pytest.fixture(scope="module")
def osm() -> _xicheng_osm.OsmXicheng:
    if not _xicheng_osm.available():
        pytest.skip(
            "../shared/realdata is not beside the clone (real OSM files are never committed)"
        )
    return _xicheng_osm.load()


@needs_realdata
def test_real_parks_brackets_contain_truth(osm: _xicheng_osm.OsmXicheng) -> None:
    # OSM parks >= 5,000 m² at 500 m (xicheng-2016 without exclusions), real residential land
    from geo.coverage import normalise_demand

    parks = osm.parks[osm.parks["area_m2"] >= 5000]
    res = normalise_demand(osm.residential).geometry
    r = np.full(len(parks), 500.0)
    assert_brackets(res, parks.geometry, r, 64)
    out = coverage(res, parks.geometry, r)
    assert 0 < out.arc_error_bound_pp < 0.01  # the default quad_segs meets the target
    assert 40 < out.rate_pct < 95
