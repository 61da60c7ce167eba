"""``greenmap export`` and ``greenmap data pull``: subcommands the main CLI registers.

``greenmap/cli.py``'s ``build_parser`` calls :func:`add_export_parser` and :func:`add_data_parser` with its
subparsers; each sets ``func`` to a handler returning an exit code: 0 success, 2 bad input (the message names the
parameter, file, row or field), 3 a resource is unavailable (no network for ``data pull``).

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="greenmap")
>>> _ = parser.add_argument("--area", default="xicheng")
>>> sub = parser.add_subparsers(dest="command")
>>> add_export_parser(sub); add_data_parser(sub)
>>> args = parser.parse_args(["export", "parks", "--format", "csv", "-o", "parks.csv"])
>>> args.what, args.format, args.output
('parks', 'csv', 'parks.csv')
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from greenmap.cli_common import EXIT_INPUT, EXIT_OK, EXIT_UNAVAILABLE

__all__ = ["add_data_parser", "add_export_parser", "cmd_data", "cmd_export", "main"]


def _user_data(args: argparse.Namespace) -> Path | None:
    value = getattr(args, "user_data", None) or os.environ.get("GREENMAP_USER_DATA")
    return Path(value) if value else None


def cmd_export(args: argparse.Namespace) -> int:
    """Handler of ``greenmap export``."""
    from layers.errors import LayerError
    from layers.export import export

    fmt = args.format
    if fmt is None:
        suffix = Path(args.output).suffix.lower()
        fmt = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".csv": "csv"}.get(
            suffix
        )
        if fmt is None:
            print(
                f"error: --format: give geojson, gpkg or csv (cannot tell from {args.output!r})",
                file=sys.stderr,
            )
            return EXIT_INPUT
    from greenmap.analysis import editing_store, read_store_projects
    from layers.io import read_layer
    from layers.studyarea import load_study_area

    read = None
    extra: dict[str, Any] = {}
    try:
        store = editing_store(args.area, args.data_dir)
        if store is not None:
            projects, described = read_store_projects(store, args.area)
            print(f"projects from the {described}", file=sys.stderr)
            study = load_study_area(args.area)
            user = _user_data(args)

            def read(name: str) -> Any:
                if name == "projects":
                    return projects.copy()
                return read_layer(name, study, user_data=user)

            extra["projects_source"] = {"kind": "store", "description": described}
        report = export(
            args.what,
            fmt,
            args.output,
            area=args.area,
            rule=args.rule,
            year=args.year,
            include_planned=args.include_planned,
            subdistrict=args.subdistrict,
            status=args.status,
            category=args.category,
            bom=args.bom,
            user_data=_user_data(args),
            show_progress=not args.quiet,
            read=read,
            extra_metadata=extra,
        )
    except LayerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except (ValueError, KeyError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    for name, n in report.counts.items():
        print(f"{name}: {n} features", file=sys.stderr)
    for f in report.files:
        print(f"wrote {f}")
    return EXIT_OK


def cmd_data(args: argparse.Namespace) -> int:
    """Handler of ``greenmap data pull osm``."""
    from layers.errors import LayerError
    from layers.osm import OsmUnavailableError, pull_osm

    what = args.what or ["boundaries", "parks", "residential", "water", "streets"]
    done = {"n": 0}

    def step(name: str) -> None:
        done["n"] += 1
        print(f"[{done['n']}/{len(what)}] downloading OSM {name} …", file=sys.stderr, flush=True)

    try:
        files = pull_osm(
            what, area=args.area, cache=args.cache, refresh=args.refresh, on_progress=step
        )
    except OsmUnavailableError as exc:
        print(f"unavailable: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except ConnectionError as exc:
        print(f"unavailable: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except (LayerError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    for name, path in files.items():
        print(f"{name}: {path}")
    print(
        "Data © OpenStreetMap contributors (ODbL). Import a file with e.g. "
        "`greenmap import subdistricts FILE --geometry-only --quality osm`.",
        file=sys.stderr,
    )
    return EXIT_OK


def add_export_parser(subparsers: Any) -> None:
    """Add ``export`` to a CLI's subparsers (``argparse._SubParsersAction``)."""
    p = subparsers.add_parser(
        "export",
        help="export a layer, the coverage results or everything (GeoJSON, GeoPackage, CSV)",
        description=(
            "Export as RFC 7946 GeoJSON, one GeoPackage or CSV, with provenance per feature and a "
            "metadata record (rule set, year, data vintage, licence). WHAT: a layer or table name, "
            "a coverage result (coverage-subdistricts, coverage-residential, coverage-service-areas, "
            "coverage-table), 'coverage' or 'all'."
        ),
    )
    p.add_argument("what", metavar="LAYER|coverage|all")
    p.add_argument(
        "--format", "-f", choices=["geojson", "gpkg", "csv"], help="default: from the suffix"
    )
    p.add_argument("--output", "-o", required=True, help="output file (a folder for 'all' as csv)")
    p.add_argument("--subdistrict", help="9-digit 街道 code")
    p.add_argument("--status", help="project latest_status / park status")
    p.add_argument("--category", help="project category / park kind")
    p.add_argument("--year", type=int, help="as-of year (coverage scenario; filters layers)")
    p.add_argument("--rule", help="coverage rule set id (default: the study area's)")
    p.add_argument(
        "--include-planned", action="store_true", help="coverage: count planned projects"
    )
    p.add_argument("--bom", action="store_true", help="CSV: UTF-8 with BOM (for Excel)")
    p.add_argument("--user-data", help="folder of imported layers (default $GREENMAP_USER_DATA)")
    p.add_argument(
        "--data-dir",
        help="data directory whose editing store <dir>/<area>/projects.gpkg, when it exists, supplies "
        "the projects (default $GREENMAP_DATA_DIR, else instance/)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_export)


def add_data_parser(subparsers: Any) -> None:
    """Add ``data pull osm`` to a CLI's subparsers (``argparse._SubParsersAction``)."""
    p = subparsers.add_parser(
        "data",
        help="download reference data (needs internet): data pull osm",
        description=(
            "Download OpenStreetMap data for the study area with osmnx (optional dependency) into a "
            "cache folder: the 街道 boundaries by the relation ids of the subdistricts layer, parks, "
            "residential land use, water and walkable streets. Exit code 3 when offline."
        ),
    )
    p.add_argument("action", choices=["pull"])
    p.add_argument("source", choices=["osm"])
    p.add_argument(
        "--what",
        action="append",
        choices=["boundaries", "parks", "residential", "water", "streets"],
        help="what to download (repeatable; default all)",
    )
    p.add_argument("--cache", help="cache folder (default $GREENMAP_CACHE or ~/.cache/greenmap)")
    p.add_argument("--refresh", action="store_true", help="download again even when cached")
    p.set_defaults(func=cmd_data)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``export`` / ``data`` on their own (``python -m greenmap.export_cmd export parks -o x.csv``)."""
    parser = argparse.ArgumentParser(prog="greenmap")
    parser.add_argument(
        "--area", default=None, help="study area (default $GREENMAP_AREA, else xicheng)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_export_parser(sub)
    add_data_parser(sub)
    args = parser.parse_args(argv)
    if args.area is None:
        from layers.studyarea import default_area

        args.area = default_area()
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
