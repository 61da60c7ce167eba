"""Benchmark: the planning-meeting report (issue 14) — a 街道 report in < 5 s, the district in < 20 s.

Each run is end to end in one warm process, as ``greenmap report`` and the web route do it: load the study
area, compute coverage (and the network rule when the area has a street network), gaps, candidate sites,
draw the 300 dpi maps and chart, fill the template and typeset the PDF with WeasyPrint. The first run of a
process pays for the imports and font loading; those seconds are reported apart (``import_s``). Areas:
``xicheng`` (the demo data) and ``xicheng-osm`` (real OSM data) when it can be found — in
``$GREENMAP_USER_DATA``, else built into a temporary folder from ``../shared`` (``--no-build`` to skip).

Prints one line per report and writes ``bench/results/report.json``.

Run: ``.venv/bin/python bench/report.py [--repeat 2] [--code 110102012] [--dpi 300]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS_S = {"subdistrict": 5.0, "district": 20.0}


def _pages(pdf: bytes) -> int | None:
    try:
        out = subprocess.run(
            ["pdfinfo", "-"], input=pdf, capture_output=True, check=True, timeout=60
        ).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return None


def _osm_area(build: bool) -> tuple[str, Path] | None:
    """``("xicheng-osm", user_data)`` if that area is loadable or can be built from ../shared."""
    import layers

    env = os.environ.get("GREENMAP_USER_DATA")
    if env:
        try:
            layers.load_study_area("xicheng-osm")
            return "xicheng-osm", Path(env)
        except Exception:
            pass
    if not build:
        return None
    from tests._shared import BBBIKE, GRAPHML, SHARED, STREETS_OSM

    if not (BBBIKE.is_dir() and GRAPHML.is_file() and STREETS_OSM.is_file()):
        return None
    from layers.studyarea_build import build_from_shared

    user = Path(tempfile.mkdtemp(prefix="greenmap-bench-report-"))
    t0 = time.perf_counter()
    build_from_shared(SHARED, user)
    print(f"built xicheng-osm in {time.perf_counter() - t0:.1f} s under {user}", flush=True)
    os.environ["GREENMAP_USER_DATA"] = str(user)
    return "xicheng-osm", user


def _run(area: str, user: Path | None, code: str | None, dpi: int) -> tuple[float, bytes]:
    from greenmap.report import build_report

    t0 = time.perf_counter()
    pdf = build_report(code, district=code is None, area=area, user_data=user, dpi=dpi)
    return time.perf_counter() - t0, pdf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--code", default="110102012", help="街道 of the subdistrict report")
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--no-build", action="store_true", help="do not build xicheng-osm")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "report.json")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    import weasyprint  # noqa: F401

    import greenmap.report  # noqa: F401

    import_s = time.perf_counter() - t0
    areas: list[tuple[str, Path | None]] = [("xicheng", None)]
    osm = _osm_area(not args.no_build)
    if osm is not None:
        areas.append(osm)
    else:
        print("xicheng-osm: not available (no ../shared and no $GREENMAP_USER_DATA)", flush=True)
    results: list[dict[str, Any]] = []
    ok = True
    for area, user in areas:
        for scope, code in (("subdistrict", args.code), ("district", None)):
            runs: list[float] = []
            pdf = b""
            for _ in range(max(1, args.repeat)):
                s, pdf = _run(area, user, code, args.dpi)
                runs.append(s)
            # the first run of each report warms caches (fonts, matplotlib): listed, not in the median
            med = statistics.median(runs[1:] if len(runs) > 1 else runs)
            target = TARGETS_S[scope]
            row = {
                "area": area,
                "scope": scope,
                "code": code,
                "dpi": args.dpi,
                "pages": _pages(pdf),
                "bytes": len(pdf),
                "median_s": round(med, 3),
                "runs_s": [round(r, 3) for r in runs],
                "target_s": target,
                "ok": med < target,
            }
            ok &= bool(row["ok"])
            results.append(row)
            print(
                f"{area:12s} {scope:11s} {row['pages']} pages {len(pdf) / 1e6:5.2f} MB  "
                f"median {med:6.2f} s (runs {', '.join(f'{r:.2f}' for r in runs)})  "
                f"target < {target:g} s  {'ok' if row['ok'] else 'SLOW'}",
                flush=True,
            )
    out = {
        "benchmark": "report",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "import_s": round(import_s, 3),
        "note": "end to end in a warm process (load, compute, 300 dpi figures, WeasyPrint); median of "
        "the runs after the first",
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"imports {import_s:.2f} s; wrote {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
