"""The ways timed by ``bench/network.py``: the engine and three per-park loops (see its docstring).

Each takes the study area's :class:`geo.netgraph.StreetGraph`, its parks (with ``radius_m``) and
residential land in the metric CRS and returns a dict of timings (s) and rates (%).
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

R_M = 500.0
CATCHMENT_M = 100.0


def _extrapolate(per_park_s: float, total_s: float, n_all: int, n_run: int) -> float:
    """Time for all parks from a sample: the per-park loop scaled linearly, the final union and
    overlay counted once as measured on the sample (a lower bound: the union of all parks' areas
    is larger)."""
    return per_park_s * n_all / max(n_run, 1) + (total_s - per_park_s)


def tutorial(graph: Any, parks: Any, residential: Any, sample: int | None) -> dict[str, Any]:
    import networkx as nx
    import shapely

    t = time.perf_counter()
    gnx = _nx_graph(graph)
    lines = graph.lines()
    nodes = shapely.points(graph.node_xy)
    tree = shapely.STRtree(nodes)
    build_s = time.perf_counter() - t
    pg = np.asarray(parks.geometry.values, dtype=object)
    n = len(pg) if sample is None else min(sample, len(pg))
    t = time.perf_counter()
    areas = []
    for k in range(n):  # the tutorial way: one ego graph per park
        node = int(tree.nearest(shapely.centroid(pg[k])))
        sub = nx.ego_graph(gnx, node, radius=R_M, distance="length")
        idx = [d["idx"] for _, _, d in sub.edges(data=True)]
        if idx:
            areas.append(shapely.union_all(shapely.buffer(lines[idx], CATCHMENT_M)))
    out = _overlay(
        key="tutorial", areas=areas, residential=residential, t0=t, n_run=n, n_all=len(pg)
    )
    out["tutorial_graph_s"] = build_s
    return out


def _overlay(
    *, key: str, areas: list[Any], residential: Any, t0: float, n_run: int, n_all: int
) -> dict[str, Any]:
    """The end of every per-park way: union of the parks' areas, overlay with the land, times
    (``{key}_s`` since ``t0``; extrapolated when the loop ran on a sample) and the rate."""
    import shapely

    per_park_s = time.perf_counter() - t0
    served = shapely.union_all(areas) if areas else shapely.Polygon()
    rg = np.asarray(residential.geometry.values, dtype=object)
    cov = float(shapely.area(shapely.intersection(rg, served)).sum())
    loop_s = time.perf_counter() - t0
    out: dict[str, Any] = {
        f"{key}_s": loop_s,
        # the loop over parks and the final union + overlay apart: on large cities the union of
        # every park's area dominates
        f"{key}_loop_s": per_park_s,
        f"{key}_union_overlay_s": loop_s - per_park_s,
        f"{key}_parks": n_run,
        f"{key}_rate_pct": 100 * cov / float(shapely.area(rg).sum()) if n_run == n_all else None,
    }
    if n_run < n_all:
        out[f"{key}_extrapolated_s"] = _extrapolate(per_park_s, loop_s, n_all, n_run)
    print(
        f"  [{key}] {n_run} parks: loop {per_park_s:.1f}s, union+overlay {loop_s - per_park_s:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    return out


def _nx_graph(graph: Any) -> Any:
    import networkx as nx

    gnx = nx.Graph()
    gnx.add_nodes_from(range(graph.n_nodes))
    e = graph.edges
    for i, (u, v, length) in enumerate(zip(e["u"], e["v"], e["length"], strict=True)):
        gnx.add_edge(int(u), int(v), length=float(length), idx=i)
    return gnx


def per_park_ego(
    graph: Any, parks: Any, residential: Any, access: Any, sample: int | None
) -> dict[str, Any]:
    """The per-park way with the engine's entrances: a networkx ``ego_graph`` per park from a
    virtual node tied to both ends of the edge of each of the park's access points (weights: the
    access offset plus the walk along the edge), whole edges of the ego graph buffered by the
    catchment (shapely's default 8 segments per quarter circle), unioned per park, then over parks,
    then intersected with the residential land."""
    import networkx as nx
    import shapely

    t = time.perf_counter()
    gnx = _nx_graph(graph)
    build_s = time.perf_counter() - t
    lines = graph.lines()
    e = graph.edges
    eu, ev, el = e["u"].to_numpy(), e["v"].to_numpy(), e["length"].to_numpy(dtype=float)
    n_parks = len(parks)
    n = n_parks if sample is None else min(sample, n_parks)
    t = time.perf_counter()
    areas = []
    search_s = 0.0  # the ego-graph searches alone, against the engine's network step
    for p in range(n):  # the per-park loop
        mine = np.flatnonzero(access.park == p)
        if not len(mine):
            continue
        ed, tt, off = access.edge[mine], access.t[mine], access.offset[mine]
        src = -1 - p
        gnx.add_node(src)
        for a, b, wa, wb in zip(eu[ed], ev[ed], off + tt, off + el[ed] - tt, strict=True):
            for node, w in ((int(a), float(wa)), (int(b), float(wb))):
                old = gnx.get_edge_data(src, node)
                if old is None or old["length"] > w:
                    gnx.add_edge(src, node, length=w, idx=-1)
        ts = time.perf_counter()
        sub = nx.ego_graph(gnx, src, radius=R_M, distance="length")
        search_s += time.perf_counter() - ts
        gnx.remove_node(src)
        idx = sorted(
            {d["idx"] for _, _, d in sub.edges(data=True) if d["idx"] >= 0} | set(ed.tolist())
        )
        areas.append(shapely.union_all(shapely.buffer(lines[idx], CATCHMENT_M)))
    out = _overlay(
        key="per_park", areas=areas, residential=residential, t0=t, n_run=n, n_all=n_parks
    )
    out["per_park_graph_s"] = build_s
    out["per_park_search_s"] = search_s * n_parks / max(n, 1)
    return out


def per_park_exact(graph: Any, parks: Any, residential: Any, sample: int | None) -> dict[str, Any]:
    """The engine's own construction run once per park (access points, reach and exact service
    area of one park at a time), the service areas unioned and intersected with the residential
    land: the same number as the engine, so the ratio is what the one multi-source run and the
    one overlay buy."""

    from geo.coverage import DEFAULT_QUAD_SEGS
    from geo.netcoverage import network_service, service_area_polygons

    n_parks = len(parks)
    n = n_parks if sample is None else min(sample, n_parks)
    t = time.perf_counter()
    areas = []
    for p in range(n):  # the per-park loop
        src = network_service(graph, parks.iloc[[p]], catchment_m=CATCHMENT_M).sources
        if len(src):
            areas.append(service_area_polygons(src, quad_segs=DEFAULT_QUAD_SEGS))
    out = _overlay(
        key="per_park_exact", areas=areas, residential=residential, t0=t, n_run=n, n_all=n_parks
    )
    return out


def engine(graph: Any, parks: Any, residential: Any) -> dict[str, Any]:
    from geo.coverage import covered_area
    from geo.netcoverage import network_service
    from geo.netoverlay import network_covered_area

    t = time.perf_counter()
    net = network_service(graph, parks, catchment_m=CATCHMENT_M)
    t_net = time.perf_counter() - t
    cov = network_covered_area(residential.geometry, net.sources)
    t_all = time.perf_counter() - t
    # the previous coverage step (street buffers fed as parks to the Euclidean engine): the same
    # numbers, timed for the before/after
    t = time.perf_counter()
    gen = covered_area(residential.geometry, net.sources.geometry, net.sources["radius_m"])
    t_gen = time.perf_counter() - t
    # like for like with the per-park ways, which buffer at shapely's default 8 segments per
    # quarter circle (the engine's default is 64: a 100 m catchment's chord error 0.48 m vs 0.008 m)
    t = time.perf_counter()
    cov8 = network_covered_area(residential.geometry, net.sources, quad_segs=8)
    t_cov8 = time.perf_counter() - t
    t = time.perf_counter()
    euc = covered_area(residential.geometry, parks.geometry, parks["radius_m"])
    t_euc = time.perf_counter() - t
    total = float(residential.geometry.area.sum())
    return {
        "engine_network_s": t_net,
        "engine_coverage_s": t_all - t_net,
        "engine_s": t_all,
        "engine_q8_s": t_net + t_cov8,
        "engine_q8_rate_pct": 100 * float(cov8.sum()) / float(residential.geometry.area.sum()),
        "generic_coverage_s": t_gen,
        "generic_max_abs_diff_m2": float(np.abs(cov - gen).max()) if len(cov) else 0.0,
        "euclid_s": t_euc,
        "n_access_points": len(net.access),
        "n_sources": len(net.sources),
        "rate_pct": 100 * float(cov.sum()) / total,
        "euclidean_rate_pct": 100 * float(euc.sum()) / total,
        "_access": net.access,
    }
