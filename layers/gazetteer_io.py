"""Build a :class:`geo.gazetteer.Gazetteer` from files: a study area's layers, an OSMnx GraphML street graph,
GeoPackage/Shapefile roads, BBBike/Geofabrik shapefiles of named features; and read the alias and rule files
``data/gazetteer/aliases.toml`` and ``data/gazetteer/rules.toml``.

Nothing read here is written anywhere: the gazetteer lives in memory and only computed points, lines and
polygons derived from it (:mod:`geo.locate`) may be stored.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.gazetteer import Gazetteer, build_gazetteer
from layers.errors import LayerError, Problem
from layers.graphml import edge_geometries, read_graphml_file
from layers.studyarea import DATA_ROOT, load_study_area

GAZETTEER_DIR = DATA_ROOT / "gazetteer"
#: Layer names of a study area read as street centrelines; every other layer with names is a feature layer.
STREET_LAYERS = ("streets", "roads", "network", "centrelines", "street_network")
#: BBBike / Geofabrik shapefile stems read as named features (``roads`` is read as streets).
BBBIKE_FEATURES = (
    "natural",
    "landuse",
    "places",
    "waterways",
    "railways",
    "buildings",
    "points",
    "pois",
)
NAME_COLUMNS = ("name", "name_zh", "NAME")
#: Study-area layers that are not places to look up: administrative units, derived land, and the plans'
#: own projects and blocks (whose geometry the gazetteer is used to derive).
EXCLUDED_LAYERS = ("district", "subdistricts", "residential", "projects", "historic_blocks")


def _toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise LayerError([Problem(str(path), None, None, "file not found")]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise LayerError([Problem(str(path), None, None, f"not valid TOML: {exc}")]) from exc


def read_aliases(path: Path | None = None) -> dict[str, Any]:
    """The alias tables ``abbreviations``, ``names``, ``rings`` (name → name), ``groups`` (name → names),
    ``affixes`` (suffixes, prefixes, drop_prefixes, score) and ``gates`` (gate word → side)."""
    path = path or GAZETTEER_DIR / "aliases.toml"
    data = _toml(path)
    out: dict[str, Any] = {}
    groups = data.get("groups", {})
    if not isinstance(groups, dict) or not all(isinstance(v, list) for v in groups.values()):
        raise LayerError(
            [Problem(str(path), None, "groups", 'must be a table of name = ["name", …]')]
        )
    out["groups"] = groups
    out["affixes"] = data.get("affixes", {})
    gates = data.get("gates", {})
    if not isinstance(gates, dict) or not all(
        v in ("N", "S", "E", "W", "") for v in gates.values()
    ):
        raise LayerError(
            [
                Problem(
                    str(path), None, "gates", 'must be a table of word = "N" | "S" | "E" | "W" | ""'
                )
            ]
        )
    out["gates"] = dict(gates)
    for table in ("abbreviations", "names", "rings"):
        vals = data.get(table, {})
        if not isinstance(vals, dict) or not all(isinstance(v, str) for v in vals.values()):
            raise LayerError([Problem(str(path), None, table, 'must be a table of name = "name"')])
        out[table] = dict(vals)
    return out


def read_rules(path: Path | None = None) -> dict[str, Any]:
    """The location rules (offsets, buffer widths, gaps, confidences), as a nested mapping."""
    return _toml(path or GAZETTEER_DIR / "rules.toml")


def _named(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    col = next((c for c in NAME_COLUMNS if c in gdf.columns), None)
    if col is None:
        return gdf.iloc[0:0].assign(name=[])
    out = gdf[[col, "geometry"]].rename(columns={col: "name"})
    out = out[out["name"].notna() & (out["name"].astype(str).str.strip() != "")]
    if out.crs is None:
        raise LayerError([Problem(source, None, "crs", "file has no CRS")])
    return out


def read_graphml_edges(path: Path) -> gpd.GeoDataFrame:
    """Named edges of an OSMnx GraphML file as lines (EPSG:4326 unless the graph says otherwise).

    Edges with a ``geometry`` attribute (WKT) keep it; others are straight lines between their nodes.
    """
    g = read_graphml_file(path)
    name = g.attr("name")
    named = pd.notna(name) & (name != "")
    return gpd.GeoDataFrame(
        {"name": name[named].tolist()}, geometry=edge_geometries(g)[named], crs=g.crs
    )


def read_streets(path: Path) -> gpd.GeoDataFrame:
    """Named street lines from a GraphML graph or any vector file with a name column."""
    if path.suffix.lower() == ".graphml":
        return read_graphml_edges(path)
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types
        raise LayerError([Problem(str(path), None, None, f"cannot read: {exc}")]) from exc
    return _named(gdf, str(path))


def read_features_dir(
    folder: Path, stems: Iterable[str] = BBBIKE_FEATURES
) -> dict[str, gpd.GeoDataFrame]:
    """Named features of a BBBike / Geofabrik shapefile folder, keyed by file stem (``natural``, …)."""
    out = {}
    for stem in stems:
        path = folder / f"{stem}.shp"
        if path.is_file():
            out[stem] = _named(gpd.read_file(path), str(path))
    return out


def _build(
    streets: gpd.GeoDataFrame | None,
    feats: dict[str, gpd.GeoDataFrame],
    crs: str,
    aliases: Path | None = None,
    rules: Path | None = None,
) -> Gazetteer:
    """:func:`build_gazetteer` with the aliases and match settings of the data files."""
    al = read_aliases(aliases)
    match = read_rules(rules).get("match", {})
    return build_gazetteer(
        streets,
        feats,
        crs=crs,
        abbreviations=al["abbreviations"],
        names=al["names"],
        rings=al["rings"],
        groups=al["groups"],
        affixes=al["affixes"],
        gates=al["gates"],
        min_score=float(match.get("min_score", 0.8)),
        tie_tolerance=float(match.get("tie_tolerance", 1e-3)),
        prefix_min_chars=int(match.get("prefix_min_chars", 3)),
    )


def gazetteer_from_files(
    streets: Path | None = None,
    features_dir: Path | None = None,
    *,
    crs: str = "EPSG:4548",
    aliases: Path | None = None,
    rules: Path | None = None,
) -> Gazetteer:
    """A gazetteer from raw files: ``streets`` (GraphML, GeoPackage, Shapefile …) and a BBBike/Geofabrik folder.

    Parameters
    ----------
    streets : Path, optional
        Street centrelines; a ``roads.shp`` in ``features_dir`` is used when this is not given.
    features_dir : Path, optional
        Folder of shapefiles of named features.
    crs : str
        Metric CRS of the gazetteer.
    """
    feats = read_features_dir(features_dir) if features_dir else {}
    street_gdf = read_streets(streets) if streets else None
    if street_gdf is None and features_dir and (features_dir / "roads.shp").is_file():
        street_gdf = read_streets(features_dir / "roads.shp")
    return _build(street_gdf, feats, crs, aliases, rules)


def gazetteer_for_area(area: str) -> Gazetteer:
    """A gazetteer from a study area's layers: street layers (``streets``, ``roads``, ``network`` …, GraphML
    allowed) as streets, every other vector layer with a name column as features keyed by layer name."""
    study = load_study_area(area)
    streets = []
    feats: dict[str, gpd.GeoDataFrame] = {}
    for layer in study.layers:
        if layer in EXCLUDED_LAYERS:
            continue
        path = study.path(layer)
        if not path.is_file() or path.suffix.lower() in (".csv", ".toml", ".json", ".pbf"):
            continue
        if layer in STREET_LAYERS or path.suffix.lower() == ".graphml":
            streets.append(read_streets(path))
        else:
            try:
                gdf = gpd.read_file(path)
            except Exception:  # a layer that is not a vector file has no names to offer
                continue
            named = _named(gdf, str(path))
            if len(named):
                feats[layer] = named
    if not streets and not feats:
        raise LayerError(
            [
                Problem(
                    str(study.config_file or area), None, "layers", "no named streets or features"
                )
            ]
        )
    street_gdf = (
        gpd.GeoDataFrame(
            {"name": [n for s in streets for n in s["name"]]},
            geometry=[g for s in streets for g in s.to_crs("EPSG:4326").geometry],
            crs="EPSG:4326",
        )
        if streets
        else None
    )
    return _build(street_gdf, feats, study.metric_crs)


@lru_cache(maxsize=4)
def cached_gazetteer(area: str | None, streets: str | None, features_dir: str | None) -> Gazetteer:
    """:func:`gazetteer_for_area` or :func:`gazetteer_from_files`, cached per arguments (web and CLI use)."""
    if area and not streets and not features_dir:
        return gazetteer_for_area(area)
    crs = load_study_area(area).metric_crs if area else "EPSG:4548"
    return gazetteer_from_files(
        Path(streets) if streets else None, Path(features_dir) if features_dir else None, crs=crs
    )
