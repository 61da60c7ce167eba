"""geo/netoverlay.py: the covered area per parcel under street buffers equals the Euclidean
engine's (geo.coverage.covered_area), on random cities and on edge cases."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import LineString, box

from geo.coverage import covered_area
from geo.netaccess import access_points
from geo.netcoverage import service_sources
from geo.netengine import network_reach
from geo.netoverlay import network_covered_area
from tests._netfixtures import random_city as _random_city


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_network_covered_area_equals_the_euclidean_engine(seed: int) -> None:
    # the fast path for street buffers gives the numbers of geo.coverage.covered_area
    g, parks, cells = _random_city(seed)
    ap = access_points(g, parks, max_distance_m=30, spacing_m=20)
    src = service_sources(network_reach(g, ap, parks["radius_m"].to_numpy()), 45.0)
    for qs in (8, 64):
        ref = covered_area(cells, src.geometry, src["radius_m"], quad_segs=qs)
        got = network_covered_area(cells, src, quad_segs=qs)
        assert ref.sum() > 0 and (got < np.asarray(shapely.area(cells.geometry.values))).any()
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-6)


def test_network_covered_area_edge_cases() -> None:
    src = gpd.GeoDataFrame(
        {"radius_m": [10.0, 10.0]},
        geometry=[LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 100)])],
        crs="EPSG:4548",
    )
    # a parcel inside the union but in neither buffer alone; one split by a buffer edge
    cells = gpd.GeoSeries([box(80, -5, 106, 9), box(40, 0, 60, 20)], crs="EPSG:4548")
    got = network_covered_area(cells, src, quad_segs=16)
    assert got[0] == pytest.approx(26 * 14, rel=1e-12)
    assert got[1] == pytest.approx(20 * 10, rel=1e-12)
    assert network_covered_area(cells, src.iloc[:0]).tolist() == [0.0, 0.0]
    assert len(network_covered_area(cells.iloc[:0], src)) == 0
