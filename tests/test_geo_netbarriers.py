"""geo/netbarriers.py: a river crossed only on the bridge (network rules), the Euclidean service
area cut along it, and a culverted river that is no barrier."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import LineString, box

from geo.netaccess import access_points
from geo.netbarriers import apply_barriers, cut_by_barriers, walkable_mask
from geo.netcoverage import network_service, service_sources
from geo.netengine import network_reach
from geo.netgraph import build_graph
from tests._netfixtures import CRS, QS, covered, edges_of, node_dist, parks_of, river_city

# ------------------------------------------------------------------------------------------------
# a river with one bridge


def test_river_crossed_only_on_the_bridge() -> None:
    g, river = river_city()
    _, counts = walkable_mask(g, river)
    assert counts == {"highway_edges": 0, "crossing_edges": 1, "bridge_or_tunnel_kept": 1}
    gb = apply_barriers(g, river)
    # 20 m south of the south street; pseudo-entrances every 20 m from (60,-180): x = 60, 40, … on
    # the north edge
    park = parks_of(box(-60, -180, 60, -120))
    ap = access_points(gb, park)
    reach = network_reach(gb, ap, [500.0])
    assert node_dist(gb, reach, (0, -100)) == pytest.approx(20.0, abs=1e-9)
    assert node_dist(gb, reach, (300, -100)) == pytest.approx(260.0, abs=1e-9)
    assert node_dist(gb, reach, (0, 100)) == pytest.approx(220.0, abs=1e-9)  # over the bridge
    assert np.isinf(node_dist(gb, reach, (300, 100)))  # 520 m via the bridge: out of reach
    # without barriers the unbridged connector is used: 260 + 200
    reach0 = network_reach(g, access_points(g, park), [500.0])
    assert node_dist(g, reach0, (300, 100)) == pytest.approx(460.0, abs=1e-9)

    north = box(-50, 110, 50, 140)
    src = service_sources(reach, 50.0)
    assert covered(src, north) == pytest.approx(3000.0, rel=1e-9)
    # the same city without the bridge tag: the north bank is not reached at all
    g2, _ = river_city(bridge_at_0=False)
    g2b = apply_barriers(g2, river)
    src2 = network_service(g2b, park, catchment_m=50).sources
    assert covered(src2, north) == 0.0
    assert (shapely.get_coordinates(src2.geometry.values)[:, 1] < 0).all()


def test_euclidean_service_area_cut_by_the_river() -> None:
    _, river = river_city()
    park = box(-60, -180, 60, -120)
    sa = shapely.buffer(np.array([park]), 500.0, quad_segs=QS)
    cut = cut_by_barriers(sa, np.array([park]), river)
    assert cut[0].bounds[3] < 0  # nothing north of the river
    full = shapely.area(sa[0])
    assert shapely.area(cut[0]) < full
    north_part = shapely.area(shapely.intersection(sa[0], box(-1000, 0, 1000, 1000)))
    assert shapely.area(cut[0]) == pytest.approx(full - north_part, abs=0.1 * 1000)  # 0.1 m gap


# ------------------------------------------------------------------------------------------------
# a river culverted in part


def test_culverted_river_without_open_water_is_no_barrier() -> None:
    # one river line; open water (a polygon) only west of x = 0, culverted to the east
    e = edges_of([((-100, -50), (-100, 50)), ((100, -50), (100, 50))])
    g = build_graph(e)
    river = gpd.GeoDataFrame(
        {"kind": ["river"]}, geometry=[LineString([(-300, 0), (300, 0)])], crs=CRS
    )
    water = gpd.GeoSeries([box(-300, -10, 0, 10)], crs=CRS)
    m_all, c_all = walkable_mask(g, river)
    m_wet, c_wet = walkable_mask(g, river, water=water)
    assert m_all.tolist() == [False, False] and c_all["crossing_edges"] == 2
    assert m_wet.tolist() == [False, True] and c_wet["crossing_edges"] == 1
