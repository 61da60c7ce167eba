"""Tests for the per-park certificates of geo.arccert (certified outer radii, inner flags, memo).

Parks and parcels are those of tests/test_geo_arcerror.py (projected CRS, metres).
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely import Point, box

from geo import arccert
from geo.arccert import CERT_TOL_M, certified_inner, certified_outer_radii, park_certificates
from geo.arcerror import outer_radius_factor
from geo.coverage import covered_area_bracket
from tests.test_geo_arcerror import ELL, FINE, STEP, X0, Y0, gs, strip_parcels


def test_certified_inner_flags() -> None:
    parr = np.array([STEP, ELL, box(X0, Y0, X0 + 50, Y0 + 50)], dtype=object)
    r = np.full(3, 500.0)
    sa = shapely.buffer(parr, r, quad_segs=64)
    ok = certified_inner(parr, r, sa, np.array([True, True, True]))
    assert ok.tolist() == [False, True, True]
    # lines are never certified; unchecked parks are
    line = np.array([shapely.LineString([(X0, Y0), (X0 + 100, Y0 + 5), (X0 + 200, Y0)])])
    sl = shapely.buffer(line, np.array([100.0]), quad_segs=16)
    assert certified_inner(line, np.array([100.0]), sl, np.array([True])).tolist() == [False]
    assert certified_inner(line, np.array([100.0]), sl, np.array([False])).tolist() == [True]


@pytest.mark.parametrize("q", [1, 4, 16, 64])
def test_certified_outer_radii_contain_true_buffers(q: int) -> None:
    parr = np.array(
        [Point(X0, Y0), STEP, ELL, box(X0, Y0, X0 + 3, Y0 + 400), shapely.LineString(
            [(X0, Y0), (X0 + 300, Y0 + 10), (X0 + 310, Y0 + 300)])],
        dtype=object,
    )  # fmt: skip
    r = np.array([500.0, 300.0, 250.0, 120.0, 80.0])
    sa = shapely.buffer(parr, r, quad_segs=q)
    rho, out = certified_outer_radii(parr, r, sa, q)
    assert np.all(rho > r)
    assert np.all(rho <= r * outer_radius_factor(q, corners=True) ** 2)
    # the certificate itself, and the consequence checked against a very fine buffer
    assert np.all(shapely.distance(shapely.boundary(out), parr) >= r + CERT_TOL_M)
    fine = shapely.buffer(parr, r, quad_segs=FINE)
    assert np.all(shapely.covers(shapely.buffer(out, 1e-7), fine))
    # far tighter than the corner factor for points and most polygons
    assert rho[0] == pytest.approx(r[0] * outer_radius_factor(q), rel=1e-8)


def test_radius_zero_and_empty() -> None:
    parr = np.array([Point(X0, Y0), box(X0, Y0, X0 + 10, Y0 + 10)], dtype=object)
    r = np.array([0.0, 0.0])
    sa = shapely.buffer(parr, r, quad_segs=8)
    rho, _, ok = park_certificates(parr, r, sa, 8, np.array([False, True]))
    assert rho.tolist() == [0.0, 0.0] and ok.tolist() == [True, True]
    d = gs([box(X0 - 5, Y0 - 5, X0 + 5, Y0 + 5)])
    cov, lo, hi = covered_area_bracket(d, gs(list(parr)), r, quad_segs=8)
    assert cov[0] == lo[0] == hi[0] == pytest.approx(25.0)
    empty = covered_area_bracket(gs([]), gs([]), [], quad_segs=8)
    assert [len(a) for a in empty] == [0, 0, 0]


def test_cache_gives_same_result() -> None:
    arccert._CACHE.clear()
    parks = gs([STEP, ELL, Point(X0 + 600, Y0 + 900)])
    d = strip_parcels(Y0 + 600, Y0 + 720)
    r = np.array([500.0, 400.0, 300.0])
    first = covered_area_bracket(d, parks, r)
    assert len(arccert._CACHE) == 3
    again = covered_area_bracket(d, parks, r)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
