"""``greenmap report``: the planning-meeting report of one 街道 or of the district, as PDF or HTML.

``greenmap report --subdistrict 110102001 -o xichangan.pdf`` or ``greenmap report --district
--rule xicheng-2016 --year 2020 -o district.pdf`` (``--format html`` for the print-friendly HTML page).
The file is written through a temporary file in the same folder: a bad 街道 code, rule set or year
gets one error message and exit code 2, and no file (old or half-written) is touched.

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="greenmap")
>>> sub = parser.add_subparsers(dest="command")
>>> register(sub)
>>> args = parser.parse_args(["report", "--subdistrict", "110102001", "-o", "r.pdf"])
>>> args.subdistrict, args.district, args.format
('110102001', False, None)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_INPUT = 0, 2

__all__ = ["cmd_report", "register"]


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    suffix = Path(args.output).suffix.lower()
    fmt = {".pdf": "pdf", ".html": "html", ".htm": "html"}.get(suffix)
    if fmt is None:
        raise ValueError(f"--format: give pdf or html (cannot tell from {args.output!r})")
    return fmt


def cmd_report(args: argparse.Namespace) -> int:
    """Handler of ``greenmap report``."""
    from greenmap.report import build_report, write_atomic

    fmt = _format(args)
    area = getattr(args, "area", None) or "xicheng"
    user = args.user_data or os.environ.get("GREENMAP_USER_DATA")
    t0 = time.perf_counter()

    def make() -> bytes:
        return build_report(
            args.subdistrict,
            district=bool(args.district),
            area=area,
            rule=args.rule,
            year=args.year,
            fmt=fmt,
            user_data=Path(user) if user else None,
            data_dir=args.data_dir,
            dpi=args.dpi,
        )

    out = write_atomic(args.output, make)
    size = out.stat().st_size
    what = f"街道 {args.subdistrict}" if args.subdistrict else "district 全区"
    print(
        f"report 报告 ({what}, {fmt}) written to {out}: {size / 1e6:.2f} MB in "
        f"{time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``report`` to the ``greenmap`` subcommands (``sub``: argparse subparsers)."""
    p = sub.add_parser(
        "report",
        help="PDF/HTML report of one 街道 or of the district for planning meetings",
        description="The planning-meeting report 规划会议报告: map, computed indicator beside the "
        "officially reported series, projects, candidate sites, data-quality notes.",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--subdistrict", metavar="CODE", help="9-digit 街道 code, e.g. 110102001")
    which.add_argument("--district", action="store_true", help="the district report (all 街道)")
    p.add_argument("--rule", default=None, help="rule set id (default: the study area's)")
    p.add_argument("--year", type=int, default=None, help="as-of year (default: current data)")
    p.add_argument("--format", choices=["pdf", "html"], default=None, help="default: from -o")
    p.add_argument("-o", "--output", required=True, metavar="FILE.pdf")
    p.add_argument("--dpi", type=int, default=300, help="resolution of map and chart (default 300)")
    p.add_argument(
        "--user-data", help="user-data folder of built areas (default $GREENMAP_USER_DATA)"
    )
    p.add_argument(
        "--data-dir",
        help="data directory whose editing store supplies the projects (default $GREENMAP_DATA_DIR)",
    )
    p.add_argument(
        "--area",
        default=argparse.SUPPRESS,
        help="study area (default: the global --area, $GREENMAP_AREA or xicheng)",
    )
    p.set_defaults(func=cmd_report)
