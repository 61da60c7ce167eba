"""geo/netengine.py: the multi-source walk from park access points, worked out by hand on a grid
city and checked against a plain networkx reference; the vectorised substrings."""

from __future__ import annotations

import itertools
import math
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely import LineString, Point, box
from shapely.ops import substring

from geo.coverage import covered_area
from geo.netaccess import AccessPoints, access_points
from geo.netcoverage import service_sources
from geo.netengine import network_reach, substrings
from tests._netfixtures import CRS, grid, node_dist, parks_of
from tests._netfixtures import random_city as _random_city

# ------------------------------------------------------------------------------------------------
# a grid city with one park


@pytest.fixture()
def grid_graph():
    return grid(5)


def test_grid_city_with_one_park(grid_graph) -> None:
    # park in the block (100..200)²; 10 m from the four streets around it
    park = parks_of(box(110, 110, 190, 190))
    ap = access_points(grid_graph, park, max_distance_m=30, spacing_m=20)
    assert set(ap.kind) == {"pseudo"} and np.allclose(ap.offset, 10.0)
    reach = network_reach(grid_graph, ap, [500.0])
    # corner pseudo-entrance (110,110) → street 10 m → node (100,100) 10 m
    assert node_dist(grid_graph, reach, (100, 100)) == pytest.approx(20.0, abs=1e-9)
    assert node_dist(grid_graph, reach, (200, 200)) == pytest.approx(20.0, abs=1e-9)
    assert node_dist(grid_graph, reach, (0, 100)) == pytest.approx(120.0, abs=1e-9)
    assert node_dist(grid_graph, reach, (300, 100)) == pytest.approx(120.0, abs=1e-9)
    # (400,400): 20 to (200,200), then 400 along the grid
    assert node_dist(grid_graph, reach, (400, 400)) == pytest.approx(420.0, abs=1e-9)
    # (0,0): 20 to (100,100) + 200
    assert node_dist(grid_graph, reach, (0, 0)) == pytest.approx(220.0, abs=1e-9)


# ------------------------------------------------------------------------------------------------
# engine == a plain networkx single-source reference


def _reference(graph, ap: AccessPoints, radius: np.ndarray, catchment: float):
    """Plain networkx: split edges at access points one by one, one single-source Dijkstra from a
    super-source, then substring/buffer edge by edge (Python loops: the reference, not the engine)."""
    gnx = nx.Graph()
    lines = graph.lines()
    e = graph.edges
    # break points per edge
    cuts: dict[int, list[tuple[float, object]]] = {}
    src_w: dict[object, float] = {}
    rmax = float(radius.max())
    for k in range(len(ap)):
        ed, t = int(ap.edge[k]), float(ap.t[k])
        length = float(e["length"].iloc[ed])
        w = float(ap.offset[k] + rmax - radius[ap.park[k]])
        if w > rmax:
            continue
        if t <= 1e-9:
            node: Any = ("n", int(e["u"].iloc[ed]))
        elif t >= length - 1e-9:
            node = ("n", int(e["v"].iloc[ed]))
        else:
            node = ("x", ed, t)
            cuts.setdefault(ed, []).append((t, node))
        src_w[node] = min(src_w.get(node, math.inf), w)
    pieces = []  # (edge, t0, t1, a, b)
    for ed in range(len(e)):
        length = float(e["length"].iloc[ed])
        pts: list[tuple[float, Any]] = [
            (0.0, ("n", int(e["u"].iloc[ed]))),
            *sorted(set(cuts.get(ed, []))),
            (length, ("n", int(e["v"].iloc[ed]))),
        ]
        for (t0, a), (t1, b) in itertools.pairwise(pts):
            pieces.append((ed, t0, t1, a, b))
            if a != b:
                w = max(t1 - t0, 1e-9)
                if not gnx.has_edge(a, b) or gnx[a][b]["weight"] > w:
                    gnx.add_edge(a, b, weight=w)
    for node, w in src_w.items():
        gnx.add_edge("S", node, weight=w + 1.0)
    d = nx.single_source_dijkstra_path_length(gnx, "S", weight="weight")
    rem = {k: rmax - (v - 1.0) for k, v in d.items() if k != "S" and v - 1.0 <= rmax}
    geoms, radii = [], []
    for ed, t0, t1, a, b in pieces:
        length = t1 - t0
        ea = rem.get(a, -math.inf) - catchment
        eb = rem.get(b, -math.inf) - catchment
        if ea >= 0 and eb >= 0 and ea + eb >= length:
            ivs = [(0.0, length)]
        else:
            ivs = []
            if ea > 0:
                ivs.append((0.0, min(ea, length)))
            if eb > 0:
                ivs.append((max(length - eb, 0.0), length))
        for x0, x1 in ivs:
            if x1 > x0:
                geoms.append(substring(lines[ed], t0 + x0, t0 + x1))
                radii.append(catchment)
    for node, r in rem.items():
        if 0 < r < catchment:
            xy = (
                graph.node_xy[node[1]]
                if node[0] == "n"
                else shapely.get_coordinates(
                    shapely.line_interpolate_point(lines[node[1]], node[2])
                )[0]
            )
            geoms.append(Point(xy))
            radii.append(r)
    node_d = np.array([rmax - rem.get(("n", i), -math.inf) for i in range(graph.n_nodes)])
    return node_d, gpd.GeoDataFrame({"radius_m": radii}, geometry=geoms, crs=CRS)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_engine_equals_networkx_reference(seed: int) -> None:
    g, parks, cells = _random_city(seed)
    radius = parks["radius_m"].to_numpy()
    ap = access_points(g, parks, max_distance_m=30, spacing_m=20)
    assert len(ap) > 0
    reach = network_reach(g, ap, radius)
    ref_d, ref_src = _reference(g, ap, radius, 45.0)
    got = reach.node_distance
    both = np.isfinite(ref_d)
    assert (np.isfinite(got) == both).all()
    np.testing.assert_allclose(got[both], ref_d[both], rtol=0, atol=1e-9)
    src = service_sources(reach, 45.0, merge=False)
    a = covered_area(cells, src.geometry, src["radius_m"], quad_segs=16)
    b = covered_area(cells, ref_src.geometry, ref_src["radius_m"], quad_segs=16)
    assert a.sum() > 0
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-6)
    # merged street portions (the default): the same set; only the buffers' chords differ
    m = service_sources(reach, 45.0)
    assert len(m) <= len(src)
    am = covered_area(cells, m.geometry, m["radius_m"], quad_segs=16)
    assert abs(am.sum() - b.sum()) < 1e-3 * b.sum()


def test_substrings_equal_shapely_ops_substring() -> None:
    rng = np.random.default_rng(3)
    lines = [LineString(rng.uniform(0, 100, (rng.integers(2, 7), 2))) for _ in range(50)]
    length = np.array([ln.length for ln in lines])
    s0 = rng.uniform(0, 0.5, 50) * length
    s1 = s0 + rng.uniform(0.01, 0.5, 50) * length
    got = substrings(lines, s0, s1)
    for g_, ln, a, b in zip(got, lines, s0, s1, strict=True):
        ref = substring(ln, a, b)
        assert g_.length == pytest.approx(ref.length, rel=1e-12)
        assert shapely.hausdorff_distance(g_, ref) < 1e-9
