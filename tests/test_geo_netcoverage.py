"""geo/netcoverage.py: network service sources and service areas, answers worked out by hand on
small cities (a straight street, a grid, a dead end) and the validation of bad inputs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box

from geo.coverage import covered_area
from geo.netaccess import access_points
from geo.netcoverage import network_service
from geo.netgraph import build_graph
from tests._netfixtures import (
    CRS,
    QS,
    cap_integral,
    covered,
    edges_of,
    grid,
    node_dist,
    parks_of,
)

# ------------------------------------------------------------------------------------------------
# a straight street from the park: exact cut and the round cap


def test_straight_street_cut_at_the_exact_remaining_distance() -> None:
    g = build_graph(edges_of([((0, 0), (1000, 0))]))
    park = parks_of(box(-100, -50, 0, 50))
    net = network_service(g, park, catchment_m=50, max_distance_m=30, spacing_m=20)
    street = net.sources[net.sources["kind"] == "street"]
    # s(x) = 500 − x ≥ 50 up to x = 450
    assert street.geometry.length.max() == pytest.approx(450.0, abs=1e-9)
    assert covered(net.sources, box(100, 0, 200, 40)) == pytest.approx(4000.0, rel=1e-6)
    # 440–480: inside the buffer of [0, 450] (30² + 40² = 50²); 480–500: under the round cap
    cap = cap_integral(50, 50) - cap_integral(30, 50)
    assert covered(net.sources, box(440, 0, 500, 40)) == pytest.approx(400 + 1200 + cap, rel=2e-4)


# ------------------------------------------------------------------------------------------------
# a grid city with one park


@pytest.fixture()
def grid_graph():
    return grid(5)


def test_grid_network_coverage_never_exceeds_euclidean(grid_graph) -> None:
    park = parks_of(box(110, 110, 190, 190), radius=250.0)
    cells = [
        box(x + 15, y + 15, x + 85, y + 85) for x in range(0, 400, 100) for y in range(0, 400, 100)
    ]
    res = gpd.GeoDataFrame(
        {"parcel_id": [str(i) for i in range(len(cells))]}, geometry=cells, crs=CRS
    )
    net = network_service(grid_graph, park, catchment_m=40)
    net_cov = covered_area(
        res.geometry, net.sources.geometry, net.sources["radius_m"], quad_segs=QS
    )
    euc_cov = covered_area(res.geometry, park.geometry, park["radius_m"], quad_segs=QS)
    assert (net_cov <= euc_cov + 1e-6).all()
    assert net_cov.sum() < euc_cov.sum()  # the walk is longer than the straight line
    # the park's own block: its four streets are reached with ≥ 200 m to spare, so the catchment
    # (40 m) serves the parcel (115..185)² up to 40 m from the streets at 100 and 200: all but
    # the centre square (140..160)²
    mid = int(np.flatnonzero([c.equals(box(115, 115, 185, 185)) for c in cells])[0])
    assert net_cov[mid] == pytest.approx(70 * 70 - 20 * 20, rel=1e-9)


# ------------------------------------------------------------------------------------------------
# a dead end


def test_dead_end_spur_and_the_tapered_catchment() -> None:
    # main street east from the park; a spur north from (200,0) ending at (200,150)
    g = build_graph(edges_of([((0, 0), (200, 0)), ((200, 0), (400, 0)), ((200, 0), (200, 150))]))
    park = parks_of(box(-100, -50, 0, 50), radius=380.0)
    net = network_service(g, park, catchment_m=50)
    assert node_dist(g, net.reach, (200, 150)) == pytest.approx(350.0, abs=1e-9)
    # on the spur s = 180 − y: portions with s ≥ 50 end at y = 130; the dead end keeps s = 30, and
    # its disk lies inside the disk of radius 50 around (200,130)
    parcel = box(190, 160, 210, 180)
    expect = 2 * cap_integral(10, 50) - 20 * 30
    assert covered(net.sources, parcel) == pytest.approx(expect, rel=2e-4)
    euclid = covered_area(
        gpd.GeoSeries([parcel], crs=CRS), park.geometry, park["radius_m"], quad_segs=QS
    )[0]
    assert euclid == pytest.approx(400.0) and covered(net.sources, parcel) < euclid


# ------------------------------------------------------------------------------------------------
# bad inputs


def test_bad_inputs_raise_value_errors() -> None:
    with pytest.raises(ValueError, match="projected"):
        build_graph(edges_of([((0, 0), (1, 0))]).set_crs("EPSG:4326", allow_override=True))
    g = build_graph(edges_of([((0, 0), (100, 0))]))
    with pytest.raises(ValueError, match="spacing_m"):
        access_points(g, parks_of(box(0, 1, 10, 10)), spacing_m=0)
    with pytest.raises(ValueError, match="catchment_m"):
        network_service(g, parks_of(box(0, 1, 10, 10)), catchment_m=0)
    empty = network_service(g, parks_of(box(0, 900, 10, 910)), catchment_m=50)
    assert empty.parks_without_access == ["p0"] and len(empty.sources) == 0
    assert isinstance(pd.DataFrame(), pd.DataFrame)
