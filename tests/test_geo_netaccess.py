"""geo/netaccess.py: park access points, tagged entrances against pseudo-entrances all round,
checked by the walking distances they give on a small city worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point, box

from geo.netaccess import access_points
from geo.netengine import network_reach
from geo.netgraph import build_graph
from tests._netfixtures import CRS, edges_of, node_dist, parks_of

# ------------------------------------------------------------------------------------------------
# a park with entrances on one side only


def test_park_with_entrances_on_one_side_only() -> None:
    segs = [
        ((-10, -10), (110, -10)),
        ((110, -10), (110, 110)),
        ((110, 110), (-10, 110)),
        ((-10, 110), (-10, -10)),
        ((-10, -10), (-10, -400)),  # a street leaving to the south
    ]
    g = build_graph(edges_of(segs))
    park = parks_of(box(0, 0, 100, 100))
    gate = gpd.GeoSeries([Point(50, 100)], crs=CRS)
    ap = access_points(g, park, entrances=gate)
    assert list(ap.kind) == ["entrance"] and ap.offset.tolist() == [pytest.approx(10.0)]
    r = network_reach(g, ap, [500.0])
    assert node_dist(g, r, (-10, 110)) == pytest.approx(70.0, abs=1e-9)
    assert node_dist(g, r, (110, 110)) == pytest.approx(70.0, abs=1e-9)
    assert node_dist(g, r, (-10, -10)) == pytest.approx(190.0, abs=1e-9)
    assert np.isinf(node_dist(g, r, (-10, -400)))  # 190 + 390 = 580 > 500
    # pseudo-entrances all round instead: the south-west corner is 20 m away
    r2 = network_reach(g, access_points(g, park), [500.0])
    assert node_dist(g, r2, (-10, -10)) == pytest.approx(20.0, abs=1e-9)
    assert node_dist(g, r2, (-10, -400)) == pytest.approx(410.0, abs=1e-9)
