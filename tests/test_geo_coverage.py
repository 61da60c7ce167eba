"""Tests for geo.coverage: hand-computable geometry, the naive reference, invariants, errors."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import Point, box

from geo.coverage import (
    DEFAULT_QUAD_SEGS,
    GEOS_SIMPLIFY_FACTOR,
    CoverageResult,
    arc_error_bound,
    bracket_parks,
    bracket_radii,
    coverage,
    covered_area,
    naive_covered_area,
    normalise_demand,
    outer_radius_factor,
    service_areas,
)

CRS = "EPSG:4548"
# realistic EPSG:4548 magnitudes (easting ~5e5 m, northing ~4.4e6 m) exercise rounding
X0, Y0 = 500_000.0, 4_400_000.0


def gs(geoms: list[shapely.Geometry], crs: str | None = CRS) -> gpd.GeoSeries:
    return gpd.GeoSeries(geoms, crs=crs)


def regular_polygon_area(n: int, r: float) -> float:
    """Area of a regular n-gon inscribed in a circle of radius r."""
    return 0.5 * n * r * r * math.sin(2 * math.pi / n)


# --------------------------------------------------------------------------------------------
# hand-computable geometry
# --------------------------------------------------------------------------------------------


def test_square_fully_inside_and_outside() -> None:
    d = gs([box(X0 - 50, Y0 - 50, X0 + 50, Y0 + 50), box(X0 + 2000, Y0, X0 + 2100, Y0 + 100)])
    parks = gs([Point(X0, Y0)])
    got = covered_area(d, parks, 500)
    assert got.tolist() == pytest.approx([10_000.0, 0.0], rel=1e-12)
    res = coverage(d, parks, 500)
    assert res.rate == pytest.approx(0.5, rel=1e-12)
    assert res.rate_pct == pytest.approx(50.0, rel=1e-12)
    assert res.total_m2 == pytest.approx(20_000.0)
    assert res.arc_error_bound_pp == 0.0  # no parcel near an edge
    assert res.quad_segs == DEFAULT_QUAD_SEGS


@pytest.mark.parametrize("quad_segs", [1, 2, 8, 32, 64])
def test_point_park_over_big_square_is_regular_polygon(quad_segs: int) -> None:
    r = 500.0
    d = gs([box(X0 - 2000, Y0 - 2000, X0 + 2000, Y0 + 2000)])
    got = covered_area(d, gs([Point(X0, Y0)]), r, quad_segs=quad_segs)
    n = 4 * quad_segs
    expected = regular_polygon_area(n, r)  # = n/2 r^2 sin(2 pi / n)
    assert got[0] == pytest.approx(expected, rel=1e-9)
    # and the rate follows
    res = coverage(d, gs([Point(X0, Y0)]), r, quad_segs=quad_segs)
    assert res.rate == pytest.approx(expected / 16e6, rel=1e-9)


def test_polygon_park_buffer_is_from_boundary() -> None:
    # 100 m square park, 50 m radius: buffer area = 100^2 + 4*100*50 + (polygon circle, r=50)
    park = box(X0, Y0, X0 + 100, Y0 + 100)
    d = gs([box(X0 - 1000, Y0 - 1000, X0 + 1000, Y0 + 1000)])
    q = 16
    got = covered_area(d, gs([park]), 50, quad_segs=q)[0]
    expected = 100**2 + 4 * 100 * 50 + regular_polygon_area(4 * q, 50)
    assert got == pytest.approx(expected, rel=1e-9)


def test_two_overlapping_buffers_not_double_counted() -> None:
    # two points 600 m apart, r = 500: union area = 2*disk - lens (polygonal, check vs shapely)
    q = 32
    a, b = Point(X0, Y0), Point(X0 + 600, Y0)
    d = gs([box(X0 - 3000, Y0 - 3000, X0 + 3000, Y0 + 3000)])
    got = covered_area(d, gs([a, b]), 500, quad_segs=q)[0]
    single = regular_polygon_area(4 * q, 500)
    union = shapely.union(a.buffer(500, quad_segs=q), b.buffer(500, quad_segs=q)).area
    assert got == pytest.approx(union, rel=1e-9)
    assert got < 2 * single - 1000  # the lens (~ 2.2e5 m²) is counted once
    # analytic lens of true circles (d = 600, r = 500) brackets the polygon lens
    lens = 2 * 500**2 * math.acos(0.6) - 300 * math.sqrt(4 * 500**2 - 600**2)
    assert 2 * single - got == pytest.approx(lens, rel=1e-3)
    # a duplicate park changes nothing
    assert covered_area(d, gs([a, b, a]), 500, quad_segs=q)[0] == pytest.approx(got, rel=1e-12)


def test_parcel_covered_by_two_buffers_jointly_is_full() -> None:
    # parcel straddles two overlapping disks, inside neither alone, inside their union
    q = 64
    parcel = box(X0 + 250, Y0 - 10, X0 + 350, Y0 + 10)
    parks = gs([Point(X0, Y0), Point(X0 + 600, Y0)])
    got = covered_area(gs([parcel]), parks, 400, quad_segs=q)
    assert got[0] == pytest.approx(parcel.area, rel=1e-9)


def test_radius_zero_point_and_polygon() -> None:
    d = gs([box(X0, Y0, X0 + 100, Y0 + 100)])
    assert covered_area(d, gs([Point(X0 + 50, Y0 + 50)]), 0).tolist() == [0.0]
    park = box(X0 + 25, Y0 + 25, X0 + 75, Y0 + 75)
    assert covered_area(d, gs([park]), 0)[0] == pytest.approx(2500.0, rel=1e-12)


def test_per_park_radii() -> None:
    d = gs([box(X0 - 50, Y0 - 50, X0 + 50, Y0 + 50), box(X0 + 950, Y0 - 50, X0 + 1050, Y0 + 50)])
    parks = gs([Point(X0, Y0), Point(X0 + 1000, Y0)])
    got = covered_area(d, parks, [500, 10])
    assert got[0] == pytest.approx(10_000.0)
    assert got[1] == pytest.approx(regular_polygon_area(4 * DEFAULT_QUAD_SEGS, 10), rel=1e-9)


def test_service_areas_equal_geopandas_buffer() -> None:
    parks = gs([Point(X0, Y0), box(X0, Y0, X0 + 80, Y0 + 40)])
    ours = service_areas(parks, [500, 300], quad_segs=16)
    ref = parks.buffer(np.array([500.0, 300.0]), quad_segs=16)
    assert ours.crs == parks.crs
    assert all(shapely.equals_exact(ours.values, ref.values, tolerance=0))


def test_geodataframe_inputs_accepted() -> None:
    d = gpd.GeoDataFrame({"pop": [1]}, geometry=[box(X0, Y0, X0 + 10, Y0 + 10)], crs=CRS)
    p = gpd.GeoDataFrame({"r": [100.0]}, geometry=[Point(X0, Y0)], crs=CRS)
    assert covered_area(d, p, p["r"]).tolist() == pytest.approx([100.0])


# --------------------------------------------------------------------------------------------
# normalise_demand
# --------------------------------------------------------------------------------------------


def test_normalise_demand_removes_overlap() -> None:
    d = gpd.GeoDataFrame(
        {"parcel_id": ["a", "b", "c"], "population": [10, 20, 30]},
        geometry=[
            box(X0, Y0, X0 + 100, Y0 + 100),
            box(X0 + 50, Y0, X0 + 150, Y0 + 100),  # overlaps a by half
            box(X0 + 150, Y0, X0 + 250, Y0 + 100),  # touches b only
        ],
        crs=CRS,
    )
    n = normalise_demand(d)
    assert n["parcel_id"].tolist() == ["a", "b", "c"]
    assert n["population"].tolist() == [10, 20, 30]
    assert n.crs == d.crs
    assert n.area.tolist() == pytest.approx([10_000, 5_000, 10_000])
    assert n.area.sum() == pytest.approx(shapely.union_all(d.geometry.values).area)
    # overlapping parcels are not double counted by coverage after normalising
    parks = gs([Point(X0 + 100, Y0 + 50)])
    res = coverage(n, parks, 5000)
    assert res.covered_m2 == pytest.approx(25_000.0)
    assert res.rate == pytest.approx(1.0)
    # the duplicated area is counted twice without normalising (what normalise_demand fixes)
    assert coverage(d, parks, 5000).covered_m2 == pytest.approx(30_000.0)


def test_normalise_demand_by_group_and_fast_path() -> None:
    d = gpd.GeoDataFrame(
        {"g": ["z", "a", "a"]},
        geometry=[
            box(0, 0, 10, 10),
            box(5, 0, 15, 10),
            box(0, 0, 10, 10),  # identical to row 0, same group as row 1
        ],
        crs=CRS,
    )
    n = normalise_demand(d, by="g")
    # group "a" ranks first: row 1 keeps everything, row 2 keeps [0,5]x[0,10], row 0 loses all
    assert n.area.tolist() == pytest.approx([0.0, 100.0, 50.0])
    assert n.geometry.iloc[0].is_empty
    assert n.area.sum() == pytest.approx(150.0)
    # deterministic
    assert normalise_demand(d, by="g").geometry.equals(n.geometry)
    # no overlap: geometries untouched
    disjoint = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=CRS)
    out = normalise_demand(disjoint)
    assert out.geometry.equals(disjoint.geometry)
    assert out is not disjoint
    with pytest.raises(ValueError, match="by='nope'"):
        normalise_demand(d, by="nope")


def test_normalise_demand_contained_polygon() -> None:
    d = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100), box(10, 10, 20, 20)], crs=CRS)
    n = normalise_demand(d)
    assert n.area.tolist() == pytest.approx([10_000.0, 0.0])
    n2 = normalise_demand(d.iloc[::-1].reset_index(drop=True))
    assert n2.area.tolist() == pytest.approx([100.0, 9_900.0])
    assert n2.geometry.iloc[1].geom_type == "Polygon"  # with a hole


# --------------------------------------------------------------------------------------------
# errors: never NaN
# --------------------------------------------------------------------------------------------


def _d() -> gpd.GeoSeries:
    return gs([box(X0, Y0, X0 + 10, Y0 + 10)])


def _p() -> gpd.GeoSeries:
    return gs([Point(X0, Y0)])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"radii": -1.0}, "radii"),
        ({"radii": float("nan")}, "radii"),
        ({"radii": float("inf")}, "radii"),
        ({"radii": [1.0, 2.0]}, "length mismatch"),
        ({"radii": "abc"}, "radii"),
        ({"quad_segs": 0}, "quad_segs"),
        ({"quad_segs": 2.5}, "quad_segs"),
        ({"quad_segs": True}, "quad_segs"),
        ({"parks": gs([Point(X0, Y0)], crs="EPSG:4326")}, "geographic"),
        ({"parks": gs([Point(X0, Y0)], crs="EPSG:32650")}, "CRS mismatch"),
        ({"parks": gs([Point(X0, Y0)], crs=None)}, "parks has no CRS"),
        ({"demand": gs([box(0, 0, 1, 1)], crs="EPSG:4490")}, "demand is in"),
        ({"demand": gs([Point(X0, Y0)])}, "demand must be Polygon"),
        ({"demand": gs([None])}, "demand has missing"),
        ({"parks": gs([None])}, "parks has missing"),
        ({"parks": [Point(0, 0)]}, "parks: expected"),
    ],
)
def test_bad_input_raises(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, Any] = {"demand": _d(), "parks": _p(), "radii": 100.0}
    args.update(kwargs)
    q = args.pop("quad_segs", DEFAULT_QUAD_SEGS)
    for fn in (covered_area, naive_covered_area, coverage):
        with pytest.raises(ValueError, match=match):
            fn(args["demand"], args["parks"], args["radii"], quad_segs=q)


def test_empty_inputs() -> None:
    empty = gs([])
    assert covered_area(empty, _p(), 100).shape == (0,)
    assert covered_area(_d(), empty, []).tolist() == [0.0]
    assert coverage(_d(), empty, 500).rate == 0.0
    with pytest.raises(ValueError, match="demand is empty"):
        coverage(empty, _p(), 100)
    with pytest.raises(ValueError, match="zero total area"):
        coverage(gs([shapely.Polygon()]), _p(), 100)
    assert len(service_areas(empty, 10)) == 0


def test_bad_weights_raise() -> None:
    d, p = _d(), _p()
    for w, match in [
        ([1.0, 2.0], "length mismatch"),
        ([float("nan")], "weights"),
        ([-1.0], "weights"),
        ([0.0], "sum to 0"),
    ]:
        with pytest.raises(ValueError, match=match):
            coverage(d, p, 100, weights=w)
    d2 = gs([box(X0, Y0, X0 + 10, Y0 + 10), shapely.Polygon()])
    with pytest.raises(ValueError, match="zero area"):
        coverage(d2, p, 100, weights=[1.0, 1.0])
    assert coverage(d2, p, 100, weights=[1.0, 0.0]).rate == pytest.approx(1.0)


def test_weighted_rate() -> None:
    d = gs([box(X0 - 50, Y0 - 50, X0 + 50, Y0 + 50), box(X0 + 5000, Y0, X0 + 5200, Y0 + 200)])
    p = _p()
    res = coverage(d, p, 500, weights=[3, 1])
    assert res.rate == pytest.approx(0.75)
    assert res.covered_m2 == pytest.approx(10_000.0)  # areas stay unweighted
    assert isinstance(res, CoverageResult)
    with pytest.raises(AttributeError):
        res.rate = 0.1  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# property tests against the naive reference
# --------------------------------------------------------------------------------------------

coord = st.floats(0, 3000, allow_nan=False)


@st.composite
def layouts(
    draw: st.DrawFn, convex: bool = False
) -> tuple[gpd.GeoSeries, gpd.GeoSeries, np.ndarray, int]:
    # parcels: a jittered grid of non-overlapping boxes, some straddling buffer edges
    nx = draw(st.integers(1, 8))
    ny = draw(st.integers(1, 8))
    cell = draw(st.floats(40, 300))
    fill = draw(st.floats(0.3, 1.0))
    ox, oy = draw(coord), draw(coord)
    parcels = [
        box(
            X0 + ox + i * cell,
            Y0 + oy + j * cell,
            X0 + ox + (i + fill) * cell,
            Y0 + oy + (j + fill) * cell,
        )
        for i in range(nx)
        for j in range(ny)
    ]
    n_parks = draw(st.integers(0, 6))
    kinds = ["point", "box", "tri"] if convex else ["point", "box", "tri", "ell", "multipoint"]
    parks: list[shapely.Geometry] = []
    for _ in range(n_parks):
        x, y = X0 + draw(coord), Y0 + draw(coord)
        kind = draw(st.sampled_from(kinds))
        if kind == "point":
            parks.append(Point(x, y))
        elif kind == "box":
            parks.append(box(x, y, x + draw(st.floats(1, 400)), y + draw(st.floats(1, 400))))
        elif kind == "tri":
            parks.append(shapely.Polygon([(x, y), (x + 300, y + 40), (x + 60, y + 250)]))
        elif kind == "ell":  # non-convex L-shaped park
            a = draw(st.floats(20, 400))
            parks.append(
                shapely.Polygon(
                    [
                        (x, y),
                        (x + a, y),
                        (x + a, y + a / 3),
                        (x + a / 3, y + a / 3),
                        (x + a / 3, y + a),
                        (x, y + a),
                    ]
                )
            )
        else:
            parks.append(shapely.MultiPoint([(x, y), (x + 400, y + 100)]))
    radii = np.array([draw(st.floats(0, 900)) for _ in range(n_parks)])
    q = draw(st.sampled_from([1, 3, 8, 32]))
    return gs(parcels), gs(parks), radii, q


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts())
def test_covered_area_equals_naive(
    layout: tuple[gpd.GeoSeries, gpd.GeoSeries, np.ndarray, int],
) -> None:
    d, p, r, q = layout
    fast = covered_area(d, p, r, quad_segs=q)
    ref = naive_covered_area(d, p, r, quad_segs=q)
    area = d.area.to_numpy()
    assert np.all(np.isfinite(fast))
    assert np.all(np.abs(fast - ref) <= 1e-9 * area)
    assert abs(fast.sum() - ref.sum()) <= 1e-9 * max(ref.sum(), 1e-300) + 1e-9 * area.sum()
    res = coverage(d, p, r, quad_segs=q)
    assert 0.0 <= res.rate <= 1.0
    assert res.arc_error_bound_pp >= 0.0
    # adding a park never lowers coverage
    extra = gs([*p.values, Point(X0 + 1500, Y0 + 1500)])
    more = covered_area(d, extra, np.append(r, 300.0), quad_segs=q)
    assert np.all(more >= fast - 1e-9 * area)


@settings(max_examples=25, deadline=None)
@given(layouts(convex=True))
def test_arc_error_bound_brackets_fine_result(
    layout: tuple[gpd.GeoSeries, gpd.GeoSeries, np.ndarray, int],
) -> None:
    d, p, r, q = layout  # points, boxes and triangles: all convex
    res = coverage(d, p, r, quad_segs=q)
    # a much finer buffer approximates the true circle; it must lie in the coarse bracket
    fine = coverage(d, p, r, quad_segs=1024)
    eps = 1e-9 + fine.arc_error_bound_pp
    assert res.rate_pct - 1e-9 <= fine.rate_pct <= res.rate_pct + res.arc_error_bound_pp + eps
    assert arc_error_bound(d, p, r, quad_segs=q) == pytest.approx(res.arc_error_bound_pp)


def test_arc_error_bound_nonconvex_park() -> None:
    # an L-shaped park and one with a shallow notch; brackets come from convex pieces
    notch = shapely.Polygon(
        [(X0, Y0), (X0 + 400, Y0), (X0 + 400, Y0 + 200), (X0 + 200, Y0 + 198), (X0, Y0 + 200)]
    )
    ell = shapely.Polygon(
        [(X0 + 900, Y0), (X0 + 1300, Y0), (X0 + 1300, Y0 + 100), (X0 + 1000, Y0 + 100),
         (X0 + 1000, Y0 + 400), (X0 + 900, Y0 + 400)]
    )  # fmt: skip
    d = gs([box(X0 - 600 + 40 * i, Y0 + 600, X0 - 570 + 40 * i, Y0 + 800) for i in range(60)])
    parks = gs([notch, ell])
    res = coverage(d, parks, 500, quad_segs=16)
    fine = coverage(d, parks, 500, quad_segs=1024)
    assert 0 < res.arc_error_bound_pp < 0.5
    assert abs(fine.rate_pct - res.rate_pct) <= res.arc_error_bound_pp + fine.arc_error_bound_pp
    pieces, inner, outer, src = bracket_parks(parks, 500, quad_segs=16)
    assert sorted(set(src.tolist())) == [0, 1]
    assert pieces.area.sum() == pytest.approx(notch.area + ell.area, rel=1e-12)
    assert np.all(inner == 500.0) and np.all(outer > 500.0)
    # the inner pieces' union lies inside the true buffer: check against a very fine buffer
    true_ish = shapely.union_all(parks.buffer(500, quad_segs=2048).values).buffer(1e-3)
    assert true_ish.contains(shapely.union_all(service_areas(pieces, inner, quad_segs=16).values))


def test_outer_radius_factor_contains_true_circle() -> None:
    q = 4
    r = 100.0
    outer = Point(0, 0).buffer(r * outer_radius_factor(q), quad_segs=q)
    true_circle = Point(0, 0).buffer(r, quad_segs=4096)
    inner = Point(0, 0).buffer(r, quad_segs=q)
    assert outer.buffer(1e-9).contains(true_circle)
    assert true_circle.buffer(1e-9).contains(inner)
    with pytest.raises(ValueError, match="quad_segs"):
        outer_radius_factor(0)


@pytest.mark.parametrize("regime", ["sparse", "dense"])
def test_synthetic_city_equals_naive(regime: str) -> None:
    from geo.synthetic import synthetic_city

    city = synthetic_city(1500, regime=regime, seed=5, point_parks=0.3)  # type: ignore[arg-type]
    r = city.parks["radius_m"]
    fast = covered_area(city.residential, city.parks, r)
    ref = naive_covered_area(city.residential, city.parks, r)
    area = city.residential.area.to_numpy()
    assert np.all(np.abs(fast - ref) <= 1e-9 * area)
    assert abs(fast.sum() - ref.sum()) <= 1e-9 * ref.sum()
    assert 0 < fast.sum() < area.sum() or regime == "dense"


def test_bracket_radii() -> None:
    ell = shapely.Polygon(
        [(X0, Y0), (X0 + 2, Y0), (X0 + 2, Y0 + 1), (X0 + 1, Y0 + 1), (X0 + 1, Y0 + 2), (X0, Y0 + 2)]
    )
    parks = gs([Point(X0, Y0), box(X0, Y0, X0 + 5, Y0 + 5), ell])
    inner, outer = bracket_radii(parks, [100.0, 100.0, 100.0], quad_segs=8)
    assert inner.tolist() == pytest.approx([100.0, 100.0, 100.0 / 1.01])
    assert outer[0] == pytest.approx(100.0 / math.cos(math.pi / 32))
    assert outer[1] == pytest.approx(100.0 / math.cos(3 * math.pi / 64))
    assert GEOS_SIMPLIFY_FACTOR == 0.01
    with pytest.raises(ValueError, match="radii"):
        bracket_radii(parks, [1.0])


def test_invalid_demand_geometry_names_the_row() -> None:
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    d = gs([box(X0 - 1000, Y0, X0 - 900, Y0 + 100), bowtie])
    with pytest.raises(ValueError, match=r"invalid geometries at positions \[1\]"):
        covered_area(d, gs([Point(X0 + 100, Y0 + 50)]), 60)
