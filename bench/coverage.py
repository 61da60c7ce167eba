"""Benchmark of the coverage engine (geo.coverage) against the naive reference and a dwithin pass.

For each size and regime a fresh subprocess generates a synthetic city
(:func:`geo.synthetic.synthetic_city`) and times, on the same data:

* ``dwithin``: one vectorised ``STRtree(parks).query(parcels, predicate="dwithin", distance=r)``
  pass, the floor any exact method pays (it only finds parcel/park pairs);
* ``engine``: :func:`geo.coverage.covered_area` (per-parcel covered m²);
* ``coverage``: :func:`geo.coverage.coverage` (rate plus the arc error bound, i.e. one more pass
  over edge parcels);
* ``naive``: ``parks.buffer(r, quad_segs=N).union_all()`` then
  ``residential.intersection(served).area`` (GeoPandas), skipped above ``--no-naive-above``.

Wall and CPU (``process_time``) seconds are both recorded: on a shared machine the CPU times
are the steadier comparison. The subprocess reports its peak resident memory (``getrusage`` maxrss) after generation and after
each step; steps run in the order generation, dwithin, engine, coverage, naive, so the value after
``coverage`` is the peak of everything the engine needed, data included. Prints a table and writes
JSON (default ``bench/results/coverage.json``). Timings on a shared machine are noisy.

Usage::

    python bench/coverage.py --sizes 10000 100000 1000000 --regimes sparse dense
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    # Linux reports ru_maxrss in KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_case(size: int, regime: str, seed: int, naive: bool, quad_segs: int) -> dict[str, Any]:
    """Run one (size, regime) case in this process and return its measurements."""
    import numpy as np
    import shapely

    from geo.coverage import coverage, covered_area
    from geo.synthetic import synthetic_city

    rec: dict[str, Any] = {"size": size, "regime": regime, "seed": seed, "quad_segs": quad_segs}
    t, c = time.perf_counter(), time.process_time()
    city = synthetic_city(size, regime=regime, seed=seed)  # type: ignore[arg-type]
    rec["generate_s"] = time.perf_counter() - t
    rec["generate_cpu_s"] = time.process_time() - c
    res, parks = city.residential, city.parks
    radii = parks["radius_m"].to_numpy()
    rec["n_parks"] = len(parks)
    rec["rss_after_generate_mb"] = _rss_mb()

    t, c = time.perf_counter(), time.process_time()
    tree = shapely.STRtree(parks.geometry.values)
    pairs = tree.query(res.geometry.values, predicate="dwithin", distance=float(radii.max()))
    rec["dwithin_s"] = time.perf_counter() - t
    rec["dwithin_cpu_s"] = time.process_time() - c
    rec["dwithin_pairs"] = int(pairs.shape[1])
    del tree, pairs
    rec["rss_after_dwithin_mb"] = _rss_mb()

    t, c = time.perf_counter(), time.process_time()
    cov = covered_area(res, parks, radii, quad_segs=quad_segs)
    rec["engine_s"] = time.perf_counter() - t
    rec["engine_cpu_s"] = time.process_time() - c
    rec["rss_after_engine_mb"] = _rss_mb()

    t, c = time.perf_counter(), time.process_time()
    result = coverage(res, parks, radii, quad_segs=quad_segs)
    rec["coverage_s"] = time.perf_counter() - t
    rec["coverage_cpu_s"] = time.process_time() - c
    rec["rss_after_coverage_mb"] = _rss_mb()
    rec["rate_pct"] = result.rate_pct
    rec["arc_error_bound_pp"] = result.arc_error_bound_pp
    rec["covered_m2"] = float(cov.sum())
    rec["total_m2"] = result.total_m2

    if naive:
        t, c = time.perf_counter(), time.process_time()
        served = parks.buffer(radii, quad_segs=quad_segs).union_all()
        naive_area = res.intersection(served).area
        naive_sum = float(naive_area.sum())
        rec["naive_s"] = time.perf_counter() - t
        rec["naive_cpu_s"] = time.process_time() - c
        rec["rss_after_naive_mb"] = _rss_mb()
        area = res.area.to_numpy()
        ref = naive_area.to_numpy()
        rec["naive_covered_m2"] = naive_sum
        rec["rel_diff_total"] = abs(float(cov.sum()) - naive_sum) / max(naive_sum, 1e-300)
        rec["max_abs_diff_over_parcel_area"] = float(np.max(np.abs(cov - ref) / area))
        rec["agree"] = bool(
            rec["rel_diff_total"] <= 1e-9 and rec["max_abs_diff_over_parcel_area"] <= 1e-9
        )
        rec["speedup_naive_over_engine"] = rec["naive_s"] / rec["engine_s"]
        rec["speedup_naive_over_engine_cpu"] = rec["naive_cpu_s"] / rec["engine_cpu_s"]
    rec["engine_over_dwithin"] = rec["engine_s"] / rec["dwithin_s"]
    rec["engine_over_dwithin_cpu"] = rec["engine_cpu_s"] / rec["dwithin_cpu_s"]
    return rec


def _fmt(v: Any, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def print_table(records: list[dict[str, Any]]) -> None:
    head = (
        f"{'size':>9} {'regime':>6} {'parks':>6} {'rate%':>7} {'bound pp':>9} {'dwithin s':>9} "
        f"{'engine s':>9} {'cov s':>7} {'naive s':>9} {'naive/eng':>9} {'eng/dw':>7} "
        f"{'eng/dw cpu':>10} {'peak MB':>8} {'agree':>5}"
    )
    print(head)
    print("-" * len(head))
    for r in records:
        if "error" in r:
            print(f"{r['size']:>9} {r['regime']:>6}  ERROR: {r['error'][:80]}")
            continue
        print(
            f"{r['size']:>9} {r['regime']:>6} {r['n_parks']:>6} {r['rate_pct']:>7.3f} "
            f"{r['arc_error_bound_pp']:>9.5f} {r['dwithin_s']:>9.3f} {r['engine_s']:>9.3f} "
            f"{r['coverage_s']:>7.3f} {_fmt(r.get('naive_s'), '9.2f'):>9} "
            f"{_fmt(r.get('speedup_naive_over_engine'), '9.1f'):>9} "
            f"{r['engine_over_dwithin']:>7.2f} {r['engine_over_dwithin_cpu']:>10.2f} "
            f"{r['rss_after_coverage_mb']:>8.0f} "
            f"{_fmt(r.get('agree'), ''):>5}"
        )


def main(argv: list[str] | None = None) -> int:
    from geo.coverage import DEFAULT_QUAD_SEGS

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument(
        "--regimes", nargs="+", default=["sparse", "dense"], choices=["sparse", "dense"]
    )
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "coverage.json")
    ap.add_argument(
        "--no-naive-above",
        type=int,
        default=100_000,
        metavar="N",
        help="skip the naive reference for sizes above N (default 100000)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quad-segs", type=int, default=DEFAULT_QUAD_SEGS)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:  # one case, JSON on stdout
        size, regime = args.sizes[0], args.regimes[0]
        rec = run_case(size, regime, args.seed, size <= args.no_naive_above, args.quad_segs)
        print(json.dumps(rec))
        return 0

    import geopandas
    import shapely

    meta = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "shapely": shapely.__version__,
        "geos": ".".join(map(str, shapely.geos_version)),
        "geopandas": geopandas.__version__,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "note": "2 cores shared with other jobs: timings are noisy",
        "quad_segs": args.quad_segs,
        "sizes": args.sizes,
        "regimes": args.regimes,
        "no_naive_above": args.no_naive_above,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    records: list[dict[str, Any]] = []
    for size in args.sizes:
        for regime in args.regimes:
            cmd = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                "--sizes",
                str(size),
                "--regimes",
                regime,
                "--no-naive-above",
                str(args.no_naive_above),
                "--seed",
                str(args.seed),
                "--quad-segs",
                str(args.quad_segs),
            ]
            print(f"running size={size} regime={regime} ...", file=sys.stderr, flush=True)
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                rec = {"size": size, "regime": regime, "error": proc.stderr.strip()[-2000:]}
            else:
                rec = json.loads(proc.stdout.strip().splitlines()[-1])
            records.append(rec)
            print_table([rec])
            sys.stdout.flush()
            # written after every case, so a long run leaves partial results behind
            args.out.write_text(json.dumps({"meta": meta, "results": records}, indent=2) + "\n")
    print()
    print_table(records)
    print(f"wrote {args.out}")
    return 0 if all("error" not in r for r in records) else 1


if __name__ == "__main__":
    raise SystemExit(main())
