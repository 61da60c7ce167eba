"""``greenmap locate "TEXT"``: resolve a plan's location text (四至, segment, corner, place …) into approximate
geometry against a street map, and explain how.

The gazetteer comes from a study area's named layers (``--area xicheng-osm``, built by ``greenmap studyarea
build``) or from raw files (``--streets GRAPHML`` and ``--features BBBIKE_DIR``). From Python:
:func:`locate` (also ``greenmap.analysis.locate``) or :func:`geo.locate.locate_text`.

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="greenmap")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["locate", "东至甲路", "--format", "table"])
>>> args.text, args.format
('东至甲路', 'table')
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd

__all__ = ["cmd_locate", "locate", "register"]


def _gazetteer(area: str | None, streets: str | None, features: str | None) -> Any:
    from layers.gazetteer_io import cached_gazetteer

    for label, value in (("--streets", streets), ("--features", features)):
        if value and not Path(value).exists():
            raise ValueError(f"{label}: {value} does not exist")
    return cached_gazetteer(area, streets, features)


def locate(
    text: str,
    area: str | None = None,
    *,
    streets: str | Path | None = None,
    features: str | Path | None = None,
    published_area_m2: float | None = None,
    hint: str | None = None,
) -> gpd.GeoDataFrame:
    """Resolve ``text``; one row (EPSG:4326) per part placed or not, the first row being the whole text.

    Columns: ``part`` (0 = whole), ``location_span``, ``geometry_method``, ``geometry_confidence``, ``location_matches``,
    ``area_ratio``, ``location_reason``, ``geometry_quality``, ``explain``.
    """
    from geo.locate import locate_text
    from layers.gazetteer_io import read_rules

    gz = _gazetteer(area, str(streets) if streets else None, str(features) if features else None)
    res = locate_text(text, gz, read_rules(), published_area_m2=published_area_m2, hint=hint)
    rows = [res, *res.parts]
    from geo.locate import results_frame

    out = results_frame(rows, gz.crs).to_crs("EPSG:4326")
    out.insert(0, "part", range(len(rows)))
    out["explain"] = [r.explain() for r in rows]
    return out


def cmd_locate(args: argparse.Namespace) -> int:
    """Run ``greenmap locate``; 0 when placed, 4 when the text could not be placed (reason printed)."""
    if not args.area_given and not (args.streets or args.features):
        raise ValueError(
            "locate: give --area NAME (a study area with named streets, e.g. xicheng-osm) "
            "or --streets GRAPHML [--features DIR]"
        )
    gdf = locate(
        args.text,
        args.area if args.area_given else None,
        streets=args.streets,
        features=args.features,
        published_area_m2=args.published_area,
        hint=args.name,
    )
    if args.format == "geojson":
        text = gdf.to_json(ensure_ascii=False, drop_id=True, to_wgs84=True)
        sys.stdout.write(json.dumps(json.loads(text), ensure_ascii=False, indent=1) + "\n")
    else:
        for _, row in gdf.iterrows():
            label = "全文 whole" if row["part"] == 0 else f"部分 part {row['part']}"
            print(f"{label}: {row['location_span']}\n  {row['explain']}")
            if row.geometry is not None:
                print(f"  geometry: {row.geometry.geom_type} (WGS-84) {row.geometry.wkt[:120]}")
    return 0 if gdf.geometry.iloc[0] is not None else 4


class _AreaAction(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        setattr(namespace, self.dest, values)
        namespace.area_given = True


def register(sub: Any) -> None:
    """Add ``locate`` to the CLI's subparsers."""
    p = sub.add_parser(
        "locate",
        help="resolve a location text (四至, segment, place) into approximate geometry 从文字定位",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    p.add_argument("text", help="the location text, e.g. 东至…，西至…，南至…，北至…")
    p.add_argument(
        "--area", action=_AreaAction, help="study area whose named layers form the gazetteer"
    )
    p.add_argument("--streets", help="street centrelines: OSMnx GraphML, GeoPackage or Shapefile")
    p.add_argument("--features", help="folder of BBBike/Geofabrik shapefiles of named features")
    p.add_argument(
        "--published-area", type=float, help="published area (m²): area ratio / disc of this area"
    )
    p.add_argument(
        "--name", help="the project's name (a segment without its street takes it from here)"
    )
    p.add_argument("--format", choices=["geojson", "table"], default="table")
    p.set_defaults(func=cmd_locate, area_given=False)
