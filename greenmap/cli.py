"""The ``greenmap`` command: a thin shell over geo/, layers/ and webmap/.

Exit codes: 0 success, 1 unexpected failure, 2 bad usage or bad input (the message names the file, row, field or
parameter at fault), 3 a required resource is unavailable (e.g. no network for ``data pull``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from greenmap.cli_common import EXIT_FAIL, EXIT_INPUT, EXIT_OK, EXIT_UNAVAILABLE, print_table


def cmd_layers(args: argparse.Namespace) -> int:
    import layers

    cat = layers.catalogue(args.area)
    cols = ["name", "title_zh", "title_en", "kind", "features"] + [
        c for c in cat.columns if c.startswith("quality_")
    ]
    print_table(cat[cols] if args.format == "table" else cat, args.format, args.output)
    return EXIT_OK


def _column_map(items: Sequence[str] | None) -> dict[str, str]:
    mapping = {}
    for item in items or []:
        if "=" not in item:
            raise ValueError(f"--map: expected FILE_COLUMN=LAYER_COLUMN, got {item!r}")
        src, dst = item.split("=", 1)
        mapping[src.strip()] = dst.strip()
    return mapping


def cmd_import(args: argparse.Namespace) -> int:
    import layers

    user = Path(args.user_data or os.environ.get("GREENMAP_USER_DATA", "instance/data"))
    res = layers.import_layer(
        args.file,
        args.layer,
        area=args.area,
        user_data=user,
        geometry_only=args.geometry_only,
        column_map=_column_map(args.map),
        source_crs=args.crs,
        source=args.source,
        geometry_quality=args.quality,
        extra=args.extra,
        repair=not args.no_repair,
        layer=args.file_layer,
        tolerant=not args.strict,
    )
    print(f"imported {len(res.gdf)} features as layer '{args.layer}'")
    for change in res.changes:
        print(f"  - {change}")
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from layers import rules as lrules

    if args.action == "list":
        rows = [
            {
                "id": r.id,
                "title_zh": r.title_zh,
                "title_en": r.title_en,
                "citation_status": r.citation_status,
            }
            for r in lrules.list_rules()
        ]
        print_table(pd.DataFrame(rows), args.format, None)
        return EXIT_OK
    rule = lrules.load_rule(args.rule_id)
    print((Path(lrules.RULES_DIR) / f"{rule.id}.toml").read_text(encoding="utf-8"))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="greenmap",
        description="GreenMap Xicheng 西城区城市更新与绿化地图服务: park coverage, projects, web map.",
    )
    parser.add_argument(
        "--area",
        default=None,
        help="study area: shipped (data/studyareas) or built (<user data>/studyareas); "
        "default $GREENMAP_AREA, else xicheng",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from greenmap import coverage_cmd, serve_cmd

    serve_cmd.register(sub)

    p = sub.add_parser("layers", help="list the study area's layers (the catalogue)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--output", "-o", help="write to this file instead of stdout")
    p.set_defaults(func=cmd_layers)

    p = sub.add_parser(
        "import", help="validate a file and store it as a layer (replacing the shipped one)"
    )
    p.add_argument(
        "layer", help="layer name: subdistricts, parks, historic_blocks, projects, residential …"
    )
    p.add_argument("file", help="GeoJSON, GeoPackage, Shapefile, FlatGeobuf or CSV")
    p.add_argument("--map", action="append", metavar="FILE_COL=LAYER_COL", help="rename a column")
    p.add_argument("--crs", help="source CRS when missing or wrong: EPSG:xxxx, gcj02 or bd09")
    p.add_argument(
        "--source", help="citation for every feature, when the file has no 'source' column"
    )
    p.add_argument(
        "--quality",
        choices=["official", "osm", "user", "approximate"],
        help="geometry_quality for every feature, when the file has none",
    )
    p.add_argument("--extra", choices=["error", "drop", "keep"], default="error")
    p.add_argument(
        "--no-repair", action="store_true", help="reject invalid geometry instead of repairing"
    )
    p.add_argument(
        "--geometry-only", action="store_true", help="replace geometry, keep published attributes"
    )
    p.add_argument("--file-layer", help="layer inside a GeoPackage")
    p.add_argument(
        "--strict",
        action="store_true",
        help="reject blank names, duplicate ids, absurd or out-of-extent features instead of "
        "labelling, suffixing, dropping or clipping them (and reporting it)",
    )
    p.add_argument(
        "--user-data",
        help="folder for imported layers (default $GREENMAP_USER_DATA or instance/data)",
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("rules", help="list or show coverage rule sets (data/rules/*.toml)")
    p.add_argument("action", choices=["list", "show"])
    p.add_argument("rule_id", nargs="?", help="with 'show': the rule set id")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=cmd_rules)

    coverage_cmd.register(sub)

    from greenmap.export_cmd import add_data_parser, add_export_parser
    from greenmap.users_cmd import add_users_parser

    add_export_parser(sub)
    add_data_parser(sub)
    add_users_parser(sub)
    from greenmap import studyarea_cmd

    studyarea_cmd.register(sub)
    # `greenmap coverage --area NAME` as well as `greenmap --area NAME coverage`: every subcommand takes
    # --area (SUPPRESS: when not given after the subcommand, the global value or default_area() stands).
    for subparser in sub.choices.values():
        if not any("--area" in a.option_strings for a in subparser._actions):
            subparser.add_argument(
                "--area",
                default=argparse.SUPPRESS,
                help="study area (default $GREENMAP_AREA, else xicheng)",
            )
    from greenmap import locate_cmd

    locate_cmd.register(sub)
    from greenmap import report_cmd

    report_cmd.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``greenmap`` console script."""
    from layers.errors import LayerError

    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "area", None) is None:
        from layers.studyarea import default_area

        args.area = default_area()
    if args.command == "rules" and args.action == "show" and not args.rule_id:
        parser.error("rules show: give a rule set id")
    try:
        return int(args.func(args))
    except LayerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except (ValueError, KeyError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except ConnectionError as exc:
        print(f"unavailable: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except KeyboardInterrupt:
        return EXIT_FAIL


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["EXIT_FAIL", "EXIT_INPUT", "EXIT_OK", "EXIT_UNAVAILABLE", "build_parser", "main"]
