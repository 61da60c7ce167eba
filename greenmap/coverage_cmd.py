"""``greenmap coverage``: park coverage of a study area (district, 街道, historic blocks) for a rule set.

The single-area engine prints :func:`greenmap.tables.emit_coverage` with the inputs' notes and the area's
officially reported figures beside the measured rates; ``--engine dask`` runs many cities from GeoParquet.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from greenmap.cli_common import EXIT_OK, print_table

if TYPE_CHECKING:  # for the annotation only; commands import layers inside their bodies
    from layers.studyarea import StudyArea

__all__ = ["cmd_coverage", "register"]


def cmd_coverage_dask(args: argparse.Namespace) -> int:
    from geo.partitioned import city_table
    from layers.geoparquet import run_dask_coverage

    if not (args.residential and args.parks):
        raise ValueError("--engine dask: give --residential and --parks (GeoParquet datasets)")
    table = run_dask_coverage(
        args.residential,
        args.parks,
        workers=args.workers,
        scheduler=args.scheduler,
        historic_path=args.historic,
        metric_crs=args.metric_crs,
        progress=not args.quiet,
        timeout=args.timeout,
    )
    print_table(city_table(table) if args.per_city else table, args.format, args.output)
    return EXIT_OK


def _official(area: StudyArea) -> list[str]:
    """Notes of the area's officially reported figures (none when it has no indicators table)."""
    from greenmap import analysis
    from greenmap.table_notes import official_notes

    if "indicators" not in area.layers:
        return []
    return official_notes(analysis.reported_series(area.name))


def cmd_coverage(args: argparse.Namespace) -> int:
    from greenmap import analysis

    if args.engine == "dask":
        return cmd_coverage_dask(args)

    from tqdm import tqdm

    from greenmap.table_notes import input_notes
    from greenmap.tables import emit_coverage
    from layers.rules import load_rule

    # progress on stderr, only on a terminal (tqdm disable=None); loading and computing can take
    # seconds on real data (network rule sets: tens of seconds)
    steps = tqdm(total=2, desc="读取图层 loading layers", file=sys.stderr, leave=False,
                 disable=True if getattr(args, "quiet", False) else None)  # fmt: skip
    with steps:
        study = analysis.load(args.area, data_dir=args.data_dir)
        if study.projects_source != "layer":
            print(f"projects from the {study.projects_source}", file=sys.stderr)
        steps.update(1)
        steps.set_description("计算覆盖率 computing coverage")
        table = analysis.coverage_table(
            rule=args.rule,
            year=args.year,
            include_planned=args.include_planned,
            study=study,
        )
        steps.update(1)
    if args.subdistrict:
        table = table[(table["unit_code"] == args.subdistrict) | (table["scope"] == "district")]
        if not (table["scope"] == "subdistrict").any():
            raise ValueError(f"--subdistrict: unknown 街道 code {args.subdistrict!r}")
    rule = load_rule(args.rule or study.area.default_rule)
    emit_coverage(
        table,
        rule,
        fmt=args.format,
        variant=args.variant,
        output=args.output,
        inputs=[*input_notes(study), *_official(study.area)],
    )
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``coverage`` to the ``greenmap`` subcommands (``sub``: argparse subparsers)."""
    p = sub.add_parser("coverage", help="park service-radius coverage, district and per 街道")
    p.add_argument("--rule", default=None, help="rule set id (default: the study area's)")
    p.add_argument(
        "--year", type=int, default=None, help="as-of year: parks plus projects done by then"
    )
    p.add_argument(
        "--include-planned", action="store_true", help="also count planned green projects"
    )
    p.add_argument("--subdistrict", help="9-digit 街道 code")
    p.add_argument(
        "--variant",
        choices=["all_land", "non_historic"],
        help="table: the variant shown (default the rule's headline); csv/json: only its rows",
    )
    p.add_argument(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help="table: one row per unit for people, notes once below; csv/json: every column, "
        "one record per unit and variant (json: a list of records), notes on stderr",
    )
    p.add_argument("--output", "-o")
    p.add_argument(
        "--data-dir",
        help="data directory whose editing store <dir>/<area>/projects.gpkg, when it exists, supplies "
        "the projects (default $GREENMAP_DATA_DIR, else instance/)",
    )
    dask = p.add_argument_group("many cities on dask-geopandas (--engine dask)")
    dask.add_argument("--engine", choices=["single", "dask"], default="single")
    dask.add_argument("--residential", help="GeoParquet dataset: parcels with city_code, unit_code")
    dask.add_argument("--parks", help="GeoParquet dataset: parks with city_code, radius_m")
    dask.add_argument("--historic", help="GeoParquet dataset: historic blocks (optional)")
    dask.add_argument("--workers", type=int, default=2, help="local worker processes")
    dask.add_argument("--scheduler", help="address of an existing Dask scheduler (tcp://host:8786)")
    dask.add_argument("--metric-crs", help="reproject the datasets to this projected CRS first")
    dask.add_argument("--timeout", type=float, help="give up after this many seconds")
    dask.add_argument("--per-city", action="store_true", help="one row per city")
    dask.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_coverage)
