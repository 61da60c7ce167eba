"""City health check at scale: single-process vs dask-geopandas coverage on many synthetic cities.

Builds ``--cities`` made-up cities of ``--parcels`` residential parcels each
(:func:`geo.synthetic.synthetic_cities`; nothing describes a real place), writes them as
partitioned GeoParquet datasets, then times

* ``single``: :func:`geo.partitioned.reference_coverage` in this process on the in-memory
  GeoDataFrames (one :func:`geo.coverage.covered_area` per city), and the same including reading
  the GeoParquet files (``single_from_parquet``);
* ``dask_<n>w``: :func:`layers.geoparquet.run_dask_coverage` on a LocalCluster of ``n``
  single-threaded worker processes reading the datasets themselves (cluster start-up timed
  apart).

Peak memory: RSS of this process and of every worker process, sampled with psutil every 0.1 s
(``peak_rss_mb``: the maximum over the run; ``peak_rss_delta_mb``: above the RSS at the start
of the run). Agreement: largest relative difference of ``covered_m2`` and ``residential_m2``
per (city, sub-unit) and per city against ``single``.

Usage::

    python bench/scale.py                       # 50 cities x 20 000 parcels (1M)
    python bench/scale.py --cities 100 --parcels 30000 --workers 1 2
    python bench/scale.py --quick               # 4 x 5 000, a smoke run

Prints a table and writes ``bench/results/scale.json`` (``--out`` to change).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.partitioned import city_table, reference_coverage
from geo.synthetic import synthetic_cities
from layers.geoparquet import (
    dask_client,
    default_npartitions,
    run_dask_coverage,
    write_dataset,
    write_residential_dataset,
)

MB = 1024 * 1024


class RssSampler:
    """Sample the RSS of some processes every ``interval`` seconds in a thread; keep the peak."""

    def __init__(self, pids: dict[str, int], interval: float = 0.1) -> None:
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.start_rss = {name: self._rss(p) for name, p in self.procs.items()}
        self.peak = dict(self.start_rss)
        self.start_cpu = {name: self._cpu(p) for name, p in self.procs.items()}
        self.end_cpu = dict(self.start_cpu)
        self.load_start = os.getloadavg()[0]
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss(p: psutil.Process) -> int:
        try:
            return int(p.memory_info().rss)
        except psutil.Error:
            return 0

    @staticmethod
    def _cpu(p: psutil.Process) -> float:
        try:
            t = p.cpu_times()
            return float(t.user + t.system)
        except psutil.Error:
            return 0.0

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for name, p in self.procs.items():
                self.peak[name] = max(self.peak[name], self._rss(p))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for name, p in self.procs.items():
            self.peak[name] = max(self.peak[name], self._rss(p))
            self.end_cpu[name] = self._cpu(p)

    def report(self) -> dict[str, dict[str, float]]:
        return {
            name: {
                "peak_rss_mb": round(self.peak[name] / MB, 1),
                "peak_rss_delta_mb": round((self.peak[name] - self.start_rss[name]) / MB, 1),
                "cpu_s": round(self.end_cpu[name] - self.start_cpu[name], 2),
            }
            for name in self.procs
        }


def max_rel_diff(a: pd.DataFrame, b: pd.DataFrame, keys: list[str], cols: list[str]) -> float:
    """Largest |a - b| / |b| over ``cols`` after aligning on ``keys`` (inf if keys differ)."""
    m = a.merge(b, on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
    if (m["_merge"] != "both").any():
        return float("inf")
    worst = 0.0
    for c in cols:
        x, y = m[f"{c}_a"].to_numpy(float), m[f"{c}_b"].to_numpy(float)
        rel = np.abs(x - y) / np.maximum(np.abs(y), 1e-300)
        rel[(x == 0) & (y == 0)] = 0.0
        worst = max(worst, float(rel.max()))
    return worst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cities", type=int, default=50)
    ap.add_argument("--parcels", type=int, default=20_000, help="residential parcels per city")
    ap.add_argument("--regime", choices=("sparse", "dense"), default="sparse")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--npartitions", type=int, default=None, help="default: one per 25 000 parcels")
    ap.add_argument("--historic", action="store_true", help="also the non-historic variant")
    ap.add_argument("--progress", action="store_true", help="show the dask progress bar")
    ap.add_argument("--quick", action="store_true", help="4 cities x 5 000 parcels")
    ap.add_argument("--tmp", default=None, help="directory for the GeoParquet datasets")
    ap.add_argument(
        "--out", default=str(Path(__file__).resolve().parent / "results" / "scale.json")
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.cities, args.parcels = 4, 5_000
    n_total = args.cities * args.parcels
    nparts = args.npartitions or default_npartitions(n_total)
    keys = ["city_code", "unit_code"]
    cols = ["residential_m2", "covered_m2"] + (
        ["non_historic_residential_m2", "non_historic_covered_m2"] if args.historic else []
    )
    result: dict[str, Any] = {
        "config": {
            "cities": args.cities,
            "parcels_per_city": args.parcels,
            "parcels_total": n_total,
            "regime": args.regime,
            "npartitions": nparts,
            "historic": args.historic,
            "cpu_count": os.cpu_count(),
            "machine": platform.platform(),
            "python": platform.python_version(),
        },
        "runs": {},
    }
    me = os.getpid()
    print(f"scale bench: {args.cities} cities x {args.parcels} parcels = {n_total:,} parcels")

    t = time.perf_counter()
    res, parks, blocks = synthetic_cities(args.cities, args.parcels, regime=args.regime)
    result["config"]["parks_total"] = len(parks)
    result["generate_s"] = round(time.perf_counter() - t, 2)
    print(f"  generated in {result['generate_s']} s ({len(parks):,} parks)")
    hist = blocks if args.historic else None

    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        t = time.perf_counter()
        rp = write_residential_dataset(res, Path(tmp) / "residential", npartitions=nparts)
        pp = write_dataset(parks, Path(tmp) / "parks", npartitions=max(1, nparts // 10))
        hp = write_dataset(blocks, Path(tmp) / "historic", npartitions=1)
        result["write_geoparquet_s"] = round(time.perf_counter() - t, 2)
        size = sum(f.stat().st_size for f in Path(tmp).rglob("*.parquet"))
        result["config"]["geoparquet_mb"] = round(size / MB, 1)
        print(f"  wrote GeoParquet ({size / MB:.0f} MB) in {result['write_geoparquet_s']} s")

        # ---- single process ------------------------------------------------------------------
        with RssSampler({"main": me}) as mem:
            t = time.perf_counter()
            single = reference_coverage(res, parks, historic_blocks=hist)
            wall = time.perf_counter() - t
        result["runs"]["single"] = {
            "wall_s": round(wall, 2),
            "load_avg_1min_at_start": mem.load_start,
            "memory": mem.report(),
        }
        print(
            f"  single process (in memory):       {wall:7.2f} s "
            f"({mem.report()['main']['cpu_s']:.1f} s CPU; load {mem.load_start:.1f})"
        )

        with RssSampler({"main": me}) as mem:
            t = time.perf_counter()
            r2 = gpd.read_parquet(rp)
            p2 = gpd.read_parquet(pp)
            h2 = gpd.read_parquet(hp) if args.historic else None
            single_pq = reference_coverage(r2, p2, historic_blocks=h2)
            wall = time.perf_counter() - t
        del r2, p2, h2
        result["runs"]["single_from_parquet"] = {
            "wall_s": round(wall, 2),
            "load_avg_1min_at_start": mem.load_start,
            "memory": mem.report(),
            "max_rel_diff_units": max_rel_diff(single_pq, single, keys, cols),
        }
        print(
            f"  single process (from GeoParquet): {wall:7.2f} s "
            f"({mem.report()['main']['cpu_s']:.1f} s CPU; load {mem.load_start:.1f})"
        )

        # ---- dask ------------------------------------------------------------------------------
        for w in args.workers:
            t0 = time.perf_counter()
            with dask_client(w) as client:
                startup = time.perf_counter() - t0
                pids = client.run(os.getpid)
                names = {f"worker{i}": pid for i, pid in enumerate(pids.values())}
                with RssSampler({"main": me, **names}) as mem:
                    t = time.perf_counter()
                    table = run_dask_coverage(
                        rp,
                        pp,
                        historic_path=hp if args.historic else None,
                        client=client,
                        progress=args.progress,
                        timeout=3600,
                    )
                    wall = time.perf_counter() - t
            run = {
                "workers": w,
                "wall_s": round(wall, 2),
                "cluster_startup_s": round(startup, 2),
                "load_avg_1min_at_start": mem.load_start,
                "speedup_vs_single": round(result["runs"]["single"]["wall_s"] / wall, 2),
                "memory": mem.report(),
                "max_rel_diff_units": max_rel_diff(table, single, keys, cols),
                "max_rel_diff_cities": max_rel_diff(
                    city_table(table), city_table(single), ["city_code"], cols
                ),
            }
            result["runs"][f"dask_{w}w"] = run
            peaks = ", ".join(
                f"{k} {v['peak_rss_mb']:.0f} MB / {v['cpu_s']:.1f} s CPU"
                for k, v in run["memory"].items()
                if k != "main"
            )
            print(
                f"  dask {w} worker(s):                {wall:7.2f} s "
                f"(+{startup:.1f} s cluster start; load {mem.load_start:.1f}; {peaks}; "
                f"max rel diff units {run['max_rel_diff_units']:.1e})"
            )

    agree = all(
        r.get("max_rel_diff_units", 0.0) <= 1e-9 and r.get("max_rel_diff_cities", 0.0) <= 1e-9
        for r in result["runs"].values()
    )
    result["results_agree_1e-9"] = agree
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"  results agree to 1e-9 relative: {agree}; wrote {out}")
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
