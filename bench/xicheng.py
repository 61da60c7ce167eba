"""Benchmark: the full Xicheng recompute (every 街道 and variant) per rule set, against the 100 ms target.

Loads the embedded data once (as the web map and notebooks do), then times
:func:`greenmap.analysis.coverage_table` — parks of the rule, radii, the engine, per-街道 and per-block
breakdowns with arc error bounds — several times per rule set, and the engine call alone. Prints the
medians and writes ``bench/results/xicheng.json``.

Run: ``.venv/bin/python bench/xicheng.py [--repeat 15]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.coverage import coverage  # noqa: E402
from geo.rules import assign_radii  # noqa: E402
from greenmap import analysis  # noqa: E402
from layers.rules import list_rules  # noqa: E402

TARGET_MS = 100.0


def _median_ms(fn: object, repeat: int) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs), runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "xicheng.json")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    study = analysis.load("xicheng")
    load_ms = (time.perf_counter() - t0) * 1000
    res = study["residential"]
    rows = []
    print(f"load (read + project + make parcels disjoint): {load_ms:.0f} ms; {len(res)} parcels")
    print(f"{'rule':<18}{'table ms':>10}{'engine ms':>11}{'rate %':>9}{'bound pp':>10}  target")
    for rule in list_rules():
        analysis.coverage_table(rule, study=study)  # warm-up
        table_ms, runs = _median_ms(
            lambda r=rule: analysis.coverage_table(r, study=study), args.repeat
        )
        eligible = assign_radii(study["parks"], rule, study.get("historic_blocks"))
        engine_ms, _ = _median_ms(lambda e=eligible: coverage(res, e, e["radius_m"]), args.repeat)
        result = coverage(res, eligible, eligible["radius_m"])
        ok = table_ms < TARGET_MS
        rows.append(
            {
                "rule": rule.id,
                "table_ms_median": round(table_ms, 2),
                "table_ms_runs": [round(x, 2) for x in runs],
                "engine_ms_median": round(engine_ms, 2),
                "rate_pct": result.rate_pct,
                "arc_error_bound_pp": result.arc_error_bound_pp,
                "meets_target": ok,
            }
        )
        print(
            f"{rule.id:<18}{table_ms:>10.1f}{engine_ms:>11.1f}{result.rate_pct:>9.2f}"
            f"{result.arc_error_bound_pp:>10.4f}  {'< 100 ms' if ok else 'MISSED'}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "target_ms": TARGET_MS,
                "load_ms": round(load_ms, 1),
                "parcels": len(res),
                "rules": rows,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
