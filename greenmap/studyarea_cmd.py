"""``greenmap studyarea build|list``: study areas from real data, and the areas configured.

``greenmap studyarea build xicheng-osm --osm ../shared/realdata/xicheng/bbbike-shp \\
    --streets ../shared/realdata/xicheng/osmnx-drive/xicheng_drive.graphml \\
    --boundaries ../shared/xicheng_15_streets_osm.geojson --inherit xicheng`` writes the area under the user-data
folder and prints the build report (per layer: read, kept, repaired, clipped, dropped, and why).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import pandas as pd

__all__ = ["cmd_studyarea", "register"]


def _build(args: argparse.Namespace) -> int:
    from layers.studyarea_build import build_study_area

    report = build_study_area(
        args.name,
        osm=args.osm,
        streets=args.streets,
        boundaries=args.boundaries,
        code_field=args.code_field,
        name_field=args.name_field,
        user_data=args.user_data,
        inherit=args.inherit,
        mapping=args.mapping,
        progress=not args.quiet and sys.stderr.isatty(),
        geometry_quality=args.quality,
        entrances=args.entrances,
    )
    if args.format == "json":
        body = {
            "name": report.name,
            "config_file": str(report.config_file),
            "data_dir": str(report.data_dir),
            "layers": report.to_frame().to_dict(orient="records"),
            "notes": report.notes,
        }
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=1) + "\n")
    elif args.format == "csv":
        sys.stdout.write(report.to_frame().to_csv(index=False))
    else:
        sys.stdout.write(str(report) + "\n")
        print(
            f"\nuse it: greenmap coverage --area {report.name}   ·   greenmap serve --area {report.name}"
            + (
                f"   (with GREENMAP_USER_DATA={report.config_file.parent.parent})"
                if args.user_data
                else ""
            )
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    from layers.studyarea import default_area, list_study_areas, load_study_area

    rows: list[dict[str, Any]] = []
    default = default_area()
    for entry in list_study_areas(user_data=args.user_data):
        row: dict[str, Any] = {"name": entry.name, "origin": entry.origin}
        try:
            area = load_study_area(entry.config_file)
            row.update(
                title_zh=area.title_zh,
                title_en=area.title_en,
                layers=len(area.layers),
                network=area.network.get("mode", ""),
            )
        except Exception as exc:  # a broken user TOML is listed with the reason, not a trace
            row.update(title_zh="", title_en=f"unreadable: {exc}", layers=0, network="")
        row["default"] = "*" if entry.name == default else ""
        row["config"] = str(entry.config_file)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if args.format == "json":
        sys.stdout.write(frame.to_json(orient="records", force_ascii=False, indent=1) + "\n")
    elif args.format == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    else:
        sys.stdout.write(frame.to_string(index=False) + "\n")
    return 0


def cmd_studyarea(args: argparse.Namespace) -> int:
    """Run ``greenmap studyarea build`` or ``list``."""
    return _build(args) if args.action == "build" else _list(args)


def register(sub: Any) -> None:
    """Add ``studyarea`` to the ``greenmap`` subcommands (``sub``: argparse subparsers)."""
    p = sub.add_parser(
        "studyarea", help="build a study area from OSM extracts and boundary files; list the areas"
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    b = actions.add_parser(
        "build",
        help="build NAME from an OSM extract, a street network and a boundary file (into the user data)",
    )
    b.add_argument(
        "name", help="name of the new area (lower case, digits, . _ -), e.g. xicheng-osm"
    )
    b.add_argument(
        "--osm",
        required=True,
        help="BBBike/osmium2shape or Geofabrik shapefile folder or zip, or an .osm.pbf",
    )
    b.add_argument("--streets", help="OSMnx GraphML street network (else the extract's roads)")
    b.add_argument("--boundaries", help="the district's units (街道), any vector format and CRS")
    b.add_argument("--code-field", help="column of the units' codes (default code/adcode/ref)")
    b.add_argument("--name-field", help="column of the units' names (default name_zh/name)")
    b.add_argument(
        "--inherit",
        metavar="AREA",
        help="shipped area whose projects, historic blocks, indicators and published 街道 "
        "attributes the new area takes (e.g. xicheng)",
    )
    b.add_argument("--mapping", help="OSM → layer mapping TOML (default data/osm/mapping.toml)")
    b.add_argument(
        "--entrances",
        metavar="FILE",
        help="points file of park entrances (added to a PBF's tagged gates; see mapping [entrances])",
    )
    b.add_argument(
        "--quality",
        default="osm",
        choices=["official", "osm", "user", "approximate"],
        help="geometry_quality of the OSM features",
    )
    b.add_argument(
        "--user-data",
        help="user-data folder (default $GREENMAP_USER_DATA, else instance/data)",
    )
    b.add_argument("--format", choices=["table", "csv", "json"], default="table")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.set_defaults(func=cmd_studyarea)
    ls = actions.add_parser("list", help="the study areas: shipped and built")
    ls.add_argument("--user-data", help="user-data folder (default $GREENMAP_USER_DATA)")
    ls.add_argument("--format", choices=["table", "csv", "json"], default="table")
    ls.set_defaults(func=cmd_studyarea)
