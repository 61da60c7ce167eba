"""Tests for geo.synthetic: sizes, schema, determinism, regimes."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.coverage import coverage
from geo.synthetic import RADIUS_M, SyntheticCity, default_n_parks, synthetic_city


@pytest.fixture(scope="module")
def sparse() -> SyntheticCity:
    return synthetic_city(3000, regime="sparse", seed=3)


@pytest.fixture(scope="module")
def dense() -> SyntheticCity:
    return synthetic_city(3000, regime="dense", seed=3)


def test_schema_and_sizes(sparse: SyntheticCity) -> None:
    res = sparse.residential
    assert len(res) == 3000
    assert {"parcel_id", "subdistrict_code", "population"} <= set(res.columns)
    assert res["parcel_id"].is_unique
    assert res.crs.to_epsg() == 4548
    assert set(res.geom_type) == {"Polygon"}
    assert res.is_valid.all()
    # parcels are 30-150 m blocks (minus up to 4 m jitter per side)
    b = res.bounds
    w, h = b.maxx - b.minx, b.maxy - b.miny
    assert w.min() >= 30 - 8 and w.max() <= 150 and h.min() >= 30 - 8 and h.max() <= 150
    assert (res["population"] >= 0).all()
    assert res["population"].dtype.kind == "i"
    parks = sparse.parks
    assert {"park_id", "area_m2", "kind", "radius_m"} <= set(parks.columns)
    assert len(parks) == default_n_parks(3000, "sparse")
    assert (parks["radius_m"] == RADIUS_M).all()
    ha = parks["area_m2"] / 1e4
    assert ha.min() >= 0.5 - 1e-9 and ha.max() <= 20 + 1e-9
    assert np.allclose(parks.area, parks["area_m2"], rtol=1e-9)
    assert set(parks["kind"]) <= {"pocket", "community", "comprehensive"}
    assert len(sparse.historic_blocks) == 3
    assert len(sparse.subdistricts) == 15
    assert set(res["subdistrict_code"]) <= set(sparse.subdistricts["code"])
    # every code is visibly synthetic (province code 99 does not exist)
    assert all(code.startswith("99") for code in sparse.subdistricts["code"])


def test_parcels_disjoint_and_clear_of_parks(sparse: SyntheticCity) -> None:
    g = sparse.residential.geometry.values
    tree = shapely.STRtree(g)
    a, b = tree.query(g, predicate="intersects")
    assert np.all(a == b)  # no parcel touches another
    _, hit = tree.query(sparse.parks.geometry.values, predicate="intersects")
    assert len(hit) == 0
    # subdistricts partition the city's box and contain their parcels
    subs = sparse.subdistricts.set_index("code").geometry
    own = subs.loc[sparse.residential["subdistrict_code"]].values
    assert shapely.contains(own, shapely.centroid(g)).all()


def test_deterministic_by_seed() -> None:
    a = synthetic_city(400, regime="dense", seed=7)
    b = synthetic_city(400, regime="dense", seed=7)
    c = synthetic_city(400, regime="dense", seed=8)
    assert a.residential.geometry.geom_equals_exact(b.residential.geometry, 0).all()
    assert a.parks.equals(b.parks)
    assert not a.parks.geometry.geom_equals_exact(c.parks.geometry, 0).all()


def test_regimes_coverage(sparse: SyntheticCity, dense: SyntheticCity) -> None:
    rs = coverage(sparse.residential, sparse.parks, sparse.parks["radius_m"]).rate
    rd = coverage(dense.residential, dense.parks, dense.parks["radius_m"]).rate
    assert 0.35 <= rs <= 0.65
    assert rd >= 0.95


def test_city_grows_with_n() -> None:
    small = synthetic_city(500, seed=0).residential.total_bounds
    big = synthetic_city(5000, seed=0).residential.total_bounds
    assert (big[2] - big[0]) > 2.5 * (small[2] - small[0])


def test_point_parks_and_explicit_counts() -> None:
    city = synthetic_city(800, 12, regime="sparse", seed=1, point_parks=1.0, n_historic=0)
    assert len(city.parks) == 12
    assert set(city.parks.geom_type) == {"Point"}
    assert len(city.historic_blocks) == 0
    dense = synthetic_city(800, 3, regime="dense", seed=1)
    assert len(dense.parks) == 3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_parcels": 0}, "n_parcels"),
        ({"n_parks": -1}, "n_parks"),
        ({"regime": "medium"}, "regime"),
        ({"point_parks": 1.5}, "point_parks"),
        ({"n_historic": -2}, "n_historic"),
        ({"n_parcels": 200, "n_parks": 5000}, "free blocks"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"n_parcels": 100}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        synthetic_city(**args)  # type: ignore[arg-type]
