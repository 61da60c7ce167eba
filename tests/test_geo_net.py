"""Walking-network coverage (geo/netgraph, netaccess, netengine, netcoverage, netbarriers): answers
worked out by hand on small cities, and the engine against a plain networkx reference."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString, Point, box
from shapely.ops import substring

from geo.coverage import covered_area
from geo.netaccess import AccessPoints, access_points
from geo.netbarriers import apply_barriers, cut_by_barriers, walkable_mask
from geo.netcoverage import network_service, service_sources
from geo.netengine import network_reach, substrings
from geo.netgraph import build_graph
from geo.netoverlay import network_covered_area
from geo.nettable import network_coverage_table
from geo.rules import RuleSet
from tests._netfixtures import (
    CRS,
    QS,
    block_parcels,
    cap_integral,
    covered,
    garden_parks,
    grid,
    park_projects,
    rule_set,
)


def edges_of(
    segments: Sequence[tuple[Sequence[float], Sequence[float]]], **cols: Any
) -> gpd.GeoDataFrame:
    """Street edges from ((x0, y0), (x1, y1)) pairs; node ids are the rounded end coordinates."""
    u = [f"{a[0]:g},{a[1]:g}" for a, _ in segments]
    v = [f"{b[0]:g},{b[1]:g}" for _, b in segments]
    return gpd.GeoDataFrame(
        {"u": u, "v": v, **cols}, geometry=[LineString([a, b]) for a, b in segments], crs=CRS
    )


def parks_of(*geoms: shapely.Geometry, radius: float = 500.0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"park_id": [f"p{i}" for i in range(len(geoms))], "radius_m": radius},
        geometry=list(geoms),
        crs=CRS,
    )


def node_dist(graph, reach, xy: tuple[float, float]) -> float:
    i = int(np.flatnonzero((np.abs(graph.node_xy - np.asarray(xy)) < 1e-9).all(axis=1))[0])
    return float(reach.node_distance[i])


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
# a river with one bridge


def river_city(bridge_at_0: bool = True):
    segs = [((x, -100), (x + 100, -100)) for x in range(-500, 500, 100)]
    segs += [((x, 100), (x + 100, 100)) for x in range(-500, 500, 100)]
    segs += [((0, -100), (0, 100)), ((300, -100), (300, 100))]
    bridge = [None] * (len(segs) - 2) + ["yes" if bridge_at_0 else None, None]
    e = edges_of(segs, bridge=bridge)
    river = gpd.GeoDataFrame(
        {"kind": ["river"]}, geometry=[LineString([(-1000, 0), (1000, 0)])], crs=CRS
    )
    return build_graph(e), river


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


# ------------------------------------------------------------------------------------------------
# engine == a plain networkx single-source reference


def _random_city(seed: int):
    rng = np.random.default_rng(seed)
    n = 7
    xy = {
        (i, j): (i * 80 + rng.uniform(-15, 15), j * 80 + rng.uniform(-15, 15))
        for i in range(n)
        for j in range(n)
    }
    segs = []
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n and rng.random() > 0.2:
                    a, b = xy[(i, j)], xy[(i + di, j + dj)]
                    mid = (
                        (a[0] + b[0]) / 2 + rng.uniform(-8, 8),
                        (a[1] + b[1]) / 2 + rng.uniform(-8, 8),
                    )
                    segs.append((a, mid, b))
    e = gpd.GeoDataFrame(
        {"u": [f"{s[0]}" for s in segs], "v": [f"{s[2]}" for s in segs]},
        geometry=[LineString(s) for s in segs],
        crs=CRS,
    )
    parks = parks_of(
        box(100, 100, 150, 170),
        Point(400, 60).buffer(25),
        radius=0.0,
    )
    parks["radius_m"] = [300.0, 180.0]
    cells = [box(x, y, x + 37, y + 29) for x in range(-20, 520, 41) for y in range(-20, 520, 33)]
    return build_graph(e), parks, gpd.GeoSeries(cells, crs=CRS)


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


# ------------------------------------------------------------------------------------------------
# the table: same outputs as the Euclidean engine, Euclidean beside


def _rule(**extra) -> RuleSet:
    return rule_set(250, **({"network": {"catchment_m": 40}} | extra))


def test_network_table_has_the_euclidean_rate_beside(grid_graph) -> None:
    parks = gpd.GeoDataFrame(
        {"park_id": ["a"], "area_m2": [6400.0], "kind": ["garden"]},
        geometry=[box(110, 110, 190, 190)],
        crs=CRS,
    )
    res = block_parcels(4)
    subs = gpd.GeoDataFrame(
        {"code": ["w", "e"], "name_zh": ["西", "东"], "name_en": ["W", "E"]},
        geometry=[box(0, 0, 200, 400), box(200, 0, 400, 400)],
        crs=CRS,
    )
    t = network_coverage_table(res, parks, _rule(), grid_graph, subdistricts=subs)
    assert {"rate_pct", "euclidean_rate_pct", "network_minus_euclidean_pp", "method"} <= set(
        t.columns
    )
    assert (t["method"] == "network").all()
    per = t[t["scope"] == "subdistrict"]
    assert sorted(per["unit_code"]) == ["e", "w"]
    assert (t["rate_pct"] <= t["euclidean_rate_pct"] + t["arc_error_bound_pp"] + 1e-9).all()
    d = t[t["scope"] == "district"].iloc[0]
    assert per["covered_m2"].sum() == pytest.approx(d["covered_m2"], rel=1e-9)
    assert 0 < d["rate_pct"] < d["euclidean_rate_pct"]


def test_rule_validation_names_the_field() -> None:
    from geo.rules import RuleError

    with pytest.raises(RuleError, match=r"network\.entrance_spacing_m"):
        _rule(network={"entrance_spacing_m": 100})
    with pytest.raises(RuleError, match=r"tiers\[0\].minutes.*walk_speed"):
        RuleSet.from_dict(
            {
                "id": "m",
                "title_zh": "m",
                "title_en": "m",
                "citation": "c",
                "citation_status": "secondary",
                "eligibility": {"min_area_m2": 0},
                "tiers": [{"min_area_m2": 0, "minutes": 10}],
            }
        )
    r = _rule(network={"walk_speed_m_per_min": 80.0}, tiers=[{"min_area_m2": 0, "minutes": 10}])
    assert r.radii == (800.0,) and RuleSet.from_dict(r.to_dict()) == r


def test_shipped_network_rules() -> None:
    from layers.rules import load_rule

    w = load_rule("xicheng-2016-walk")
    assert w.network is not None and w.barriers and w.radii == (500.0,) and w.min_area_m2 == 5000
    p = load_rule("parkserve-10min")
    assert p.network is not None and p.radii == (pytest.approx(804.672),)
    assert "not stated" in p.network.speed_source


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


# ------------------------------------------------------------------------------------------------
# scenarios by year and the marginal gain per project, on the network


def _grid_scenario(grid_graph):
    parks = garden_parks([("a", box(110, 110, 190, 190), 6400.0, 1990)])
    projects = park_projects(
        [
            ("new", box(310, 310, 390, 390), 6400.0, "2020:planned;2022:done"),
            ("later", box(10, 310, 90, 390), 6400.0, "2020:planned;2030:done"),
        ],
        names=["新绿地", "远期"],
        planned_end_year=[2022, 2030],
    )
    res = block_parcels(4)
    return parks, projects, res


def test_network_scenario_by_year_and_marginal_gain(grid_graph) -> None:
    from geo.netgains import network_marginal_gains

    parks, projects, res = _grid_scenario(grid_graph)
    rule = _rule(eligibility={"min_area_m2": 5000}, tiers=[{"min_area_m2": 5000, "radius_m": 150}])
    t20 = network_coverage_table(res, parks, rule, grid_graph, projects=projects, year=2020)
    t25 = network_coverage_table(res, parks, rule, grid_graph, projects=projects, year=2025)
    d20 = t20[t20["scope"] == "district"].iloc[0]
    d25 = t25[t25["scope"] == "district"].iloc[0]
    assert t25.attrs["parks_used"] == 2 and t20.attrs["parks_used"] == 1
    assert d25["covered_m2"] > d20["covered_m2"]
    g = network_marginal_gains(res, parks, projects, rule, 2025, grid_graph)
    row = g[(g["scope"] == "district") & (g["project_id"] == "new")].iloc[0]
    # "new" is in the 2025 baseline: its gain is the land only it serves = the whole difference
    # between 2025 and 2020 (the 2020 park's 150 m walk does not reach its block's parcels)
    assert row["in_baseline"] and row["gain_m2"] == pytest.approx(
        d25["covered_m2"] - d20["covered_m2"], rel=1e-3
    )
    later = g[(g["scope"] == "district") & (g["project_id"] == "later")].iloc[0]
    assert not later["in_baseline"] and later["gain_m2"] > 0
    assert later["euclidean_gain_m2"] > 0 and later["rank"] >= 1
    assert set(g["method"]) == {"network"}


def test_euclidean_rule_with_barriers_in_the_table() -> None:
    _, river = river_city()
    parks = gpd.GeoDataFrame(
        {"park_id": ["a"], "area_m2": [7200.0]}, geometry=[box(-60, -180, 60, -120)], crs=CRS
    )
    res = gpd.GeoDataFrame(
        {"parcel_id": ["s", "n"], "subdistrict_code": ["s", "n"]},
        geometry=[box(-50, -60, 50, -20), box(-50, 20, 50, 60)],
        crs=CRS,
    )
    d = _rule(barriers=True)
    rule = RuleSet.from_dict({k: v for k, v in d.to_dict().items() if k != "network"})
    t = network_coverage_table(res, parks, rule, barriers=river)
    per = t[t["scope"] == "subdistrict"].set_index("unit_code")
    # both parcels lie within 250 m of the park; the river cuts the north one off
    assert per.loc["s", "rate_pct"] == pytest.approx(100.0)
    assert per.loc["n", "rate_pct"] == 0.0 and per.loc["n", "euclidean_rate_pct"] == pytest.approx(
        100.0
    )
    assert (t["method"] == "euclidean_barriers").all()


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
