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
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # for the annotation only; commands import layers inside their bodies
    from layers.studyarea import StudyArea

EXIT_OK, EXIT_FAIL, EXIT_INPUT, EXIT_UNAVAILABLE = 0, 1, 2, 3


def _print_table(df: pd.DataFrame, fmt: str, out: str | None) -> None:
    if fmt == "csv":
        text = df.to_csv(index=False)
    elif fmt == "json":
        text = df.to_json(orient="records", force_ascii=False, indent=1) + "\n"
    else:
        with pd.option_context(
            "display.max_rows", 500, "display.width", 200, "display.max_colwidth", 40
        ):
            text = df.to_string(index=False) + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def serve_data_dir(value: str | None = None) -> Path:
    """The web map's data directory: ``--data-dir``, else ``$GREENMAP_DATA_DIR``, else ``instance/``.

    It holds the planners' editable projects store (``<dir>/<area>/projects.gpkg``, created from the
    shipped layer on first use), the accounts (``<dir>/users.sqlite``) and the session key.

    >>> serve_data_dir("/srv/greenmap").as_posix()
    '/srv/greenmap'
    """
    from layers.store import default_data_dir

    return Path(value).expanduser().resolve() if value else default_data_dir()


def cmd_serve(args: argparse.Namespace) -> int:
    from webmap import resolve_config, serve

    config: dict[str, object] = {"STUDY_AREA": args.area}
    if args.config:
        config["CONFIG_FILE"] = args.config
    if args.basemap:
        config["BASEMAP"] = args.basemap
    if args.data_dir:
        config["DATA_DIR"] = str(serve_data_dir(args.data_dir))
    # --data-dir > $GREENMAP_DATA_DIR > DATA_DIR of the config file > instance/
    settings = resolve_config(config)
    data_dir = serve_data_dir(settings.get("DATA_DIR"))
    data_dir.mkdir(parents=True, exist_ok=True)
    config["DATA_DIR"] = str(data_dir)
    print(f"GreenMap Xicheng 西城区绿化地图: http://{args.host}:{args.port}/", flush=True)
    if settings.get("CONFIG_FILE"):
        print(f"config file 配置文件: {settings['CONFIG_FILE']}", flush=True)
    print(f"data directory 数据目录: {data_dir}", flush=True)
    try:
        from layers.users import UserStore

        if not any(u.role == "editor" for u in UserStore(data_dir / "users.sqlite").list()):
            print(
                "no editor account yet 尚无编辑账户: "
                f"greenmap users add NAME --role editor --data-dir {data_dir}",
                flush=True,
            )
    except Exception as exc:  # the map still serves read-only
        print(f"users file not readable ({exc}); editing logins will fail", file=sys.stderr)
    serve(
        host=args.host, port=args.port, workers=args.workers, production=not args.dev, config=config
    )
    return EXIT_OK


def cmd_layers(args: argparse.Namespace) -> int:
    import layers

    cat = layers.catalogue(args.area)
    cols = ["name", "title_zh", "title_en", "kind", "features"] + [
        c for c in cat.columns if c.startswith("quality_")
    ]
    _print_table(cat[cols] if args.format == "table" else cat, args.format, args.output)
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
        _print_table(pd.DataFrame(rows), args.format, None)
        return EXIT_OK
    rule = lrules.load_rule(args.rule_id)
    print((Path(lrules.RULES_DIR) / f"{rule.id}.toml").read_text(encoding="utf-8"))
    return EXIT_OK


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
    _print_table(city_table(table) if args.per_city else table, args.format, args.output)
    return EXIT_OK


def _official(area: StudyArea) -> list[str]:
    """Notes of the area's officially reported figures (none when it has no indicators table)."""
    from greenmap import analysis
    from greenmap.tables import official_notes

    if "indicators" not in area.layers:
        return []
    return official_notes(analysis.reported_series(area.name))


def cmd_coverage(args: argparse.Namespace) -> int:
    from greenmap import analysis

    if args.engine == "dask":
        return cmd_coverage_dask(args)

    from tqdm import tqdm

    from greenmap.tables import emit_coverage, input_notes
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

    p = sub.add_parser("serve", help="start the web map")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--workers", type=int, default=8, help="waitress worker threads")
    p.add_argument(
        "--dev", action="store_true", help="Flask development server instead of waitress"
    )
    p.add_argument("--basemap", choices=["none", "osm", "tianditu", "amap"], default=None)
    p.add_argument(
        "--config",
        metavar="FILE.toml",
        help="TOML file of settings (see webmap/config.example.toml; default $GREENMAP_CONFIG); "
        "environment GREENMAP_<KEY> and these options win over it",
    )
    p.add_argument(
        "--data-dir",
        help="editable projects store, users.sqlite and session key "
        "(default $GREENMAP_DATA_DIR, else instance/ in the working directory)",
    )
    p.set_defaults(func=cmd_serve)

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


__all__ = ["build_parser", "main"]
