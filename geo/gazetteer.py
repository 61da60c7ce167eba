"""A gazetteer of named streets and features, for reading the plans' location texts against a street map.

Pure: GeoDataFrames in (any CRS, reprojected to the metric CRS given), a :class:`Gazetteer` out. Street pieces
with the same normalised name are merged into one (Multi)LineString per name (``shapely.line_merge``) so that
bounding streets can be intersected. Names are normalised (Unicode NFKC: full-width → half-width; spaces and
brackets dropped) but 东/西/南/北 prefixes and the suffixes 大街/街/路/胡同 are kept distinct, so 白纸坊西街 and
白纸坊东街 never match each other exactly and fuzzy matches that differ in them are penalised.

Aliases (``data/gazetteer/aliases.toml``, read by :mod:`layers.gazetteer_io`) expand the plans' abbreviations
(德内 → 德胜门内) and name ring-road sides (西二环 → every street whose name contains 西二环).

This module builds gazetteers (:func:`build_gazetteer`, :func:`grid_streets`); the name text lives in
:mod:`geo.gazetteer_names` (:func:`normalise`, :func:`similarity`) and the lookup in
:mod:`geo.gazetteer_lookup` (:class:`Gazetteer`, :class:`Match`), all re-exported here.

>>> import geopandas as gpd, shapely
>>> streets = gpd.GeoDataFrame({"name": ["甲路", "甲路", "乙街"]}, geometry=[
...     shapely.LineString([(0, 0), (50, 0)]), shapely.LineString([(50, 0), (100, 0)]),
...     shapely.LineString([(50, -50), (50, 50)])], crs="EPSG:4548")
>>> gz = build_gazetteer(streets, crs="EPSG:4548")
>>> m = gz.lookup("甲路")
>>> m.name, m.score, round(m.geometry.length)
('甲路', 1.0, 100)
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.gazetteer_lookup import Gazetteer, Match, merge_lines
from geo.gazetteer_names import (
    DIRECTIONS,
    NUMERALS,
    SUFFIXES,
    normalise,
    normalise_table,
    normalise_words,
    similarity,
)

__all__ = [
    "DIRECTIONS",
    "NUMERALS",
    "SUFFIXES",
    "Gazetteer",
    "Match",
    "build_gazetteer",
    "grid_streets",
    "normalise",
    "similarity",
]


def _split_names(value: object) -> list[str]:
    """OSMnx stores several names of a merged edge as a list or its string form "['a', 'b']"."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    s = str(value).strip()
    if s.startswith("[") and s.endswith("]"):
        try:
            items = ast.literal_eval(s)
        except (ValueError, SyntaxError):
            items = [s]
        return [str(v) for v in items if str(v).strip()]
    return [s] if s else []


def _explode_names(gdf: gpd.GeoDataFrame, name_col: str) -> gpd.GeoDataFrame:
    names = gdf[name_col].map(_split_names)
    out = gdf.assign(_names=names).explode("_names")
    out = out[out["_names"].notna()]
    return out.assign(name=out["_names"].astype(str)).drop(columns=["_names"])


def _named_rows(
    gdf: gpd.GeoDataFrame, label: str, name_col: str, crs: str, kind: str, *, lines: bool = False
) -> gpd.GeoDataFrame:
    """One row per (name, piece) of a layer in ``crs``, with ``norm``, ``kind`` and ``layer``.

    ``lines`` keeps (Multi)LineStrings only (street centrelines); ``layer`` is ``streets`` then, else ``kind``.
    """
    if name_col not in gdf.columns:
        raise ValueError(f"{label}: no name column {name_col!r}")
    out = _explode_names(gdf.to_crs(crs)[[name_col, "geometry"]], name_col)
    if lines:
        out = out[out.geom_type.isin(["LineString", "MultiLineString"])]
    layer = "streets" if lines else kind
    return out.assign(norm=out["name"].map(normalise), kind=kind, layer=layer)


def _entries(parts: list[gpd.GeoDataFrame], crs: str) -> gpd.GeoDataFrame:
    """The gazetteer table: one row per (normalised name, kind), streets merged, features dissolved."""
    if not parts:
        return gpd.GeoDataFrame(
            {"name": [], "norm": [], "kind": [], "layer": []}, geometry=[], crs=crs
        )
    allp = pd.concat([p[["name", "norm", "kind", "layer", "geometry"]] for p in parts])
    allp = allp[(allp["norm"] != "") & allp.geometry.notna()]
    rows = []
    for (norm, kind), grp in allp.groupby(["norm", "kind"], sort=True):
        geoms = grp.geometry.to_numpy()
        geom = merge_lines(geoms) if kind == "street" else shapely.union_all(geoms)
        rows.append((grp["name"].iat[0], norm, kind, grp["layer"].iat[0], geom))
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["name", "norm", "kind", "layer", "geometry"]),
        geometry="geometry",
        crs=crs,
    )


def build_gazetteer(
    streets: gpd.GeoDataFrame | None = None,
    features: Mapping[str, gpd.GeoDataFrame] | None = None,
    *,
    crs: str,
    name_col: str = "name",
    abbreviations: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    rings: Mapping[str, str] | None = None,
    min_score: float = 0.8,
    tie_tolerance: float = 1e-3,
    groups: Mapping[str, Iterable[str]] | None = None,
    affixes: Mapping[str, Any] | None = None,
    gates: Mapping[str, str] | None = None,
    prefix_min_chars: int = 3,
) -> Gazetteer:
    """Build a gazetteer from street centrelines and named feature layers.

    Parameters
    ----------
    streets : GeoDataFrame, optional
        Lines with a name column (OSMnx edges, OSM/Geofabrik roads, official centrelines); list-valued names
        (OSMnx) are split. Pieces with one normalised name are merged (``line_merge``).
    features : mapping of kind -> GeoDataFrame, optional
        Named features of any geometry (parks, water, landuse, places, stations …), dissolved per name.
    crs : str
        Metric CRS for the gazetteer (EPSG:4548 for Xicheng); inputs are reprojected to it.
    name_col : str
        Name column of every input.
    abbreviations, names, rings, groups : mapping, optional
        Alias tables (see :class:`Gazetteer`).
    affixes : mapping, optional
        ``suffixes``, ``prefixes`` and ``drop_prefixes`` (lists of str) and ``score`` (see
        :class:`Gazetteer`).
    gates : mapping, optional
        Gate words -> side (``N``/``S``/``E``/``W`` or "") (see :class:`Gazetteer`).
    prefix_min_chars : int
        Shortest name tried as the beginning of a longer gazetteer name.

    Returns
    -------
    Gazetteer
    """
    parts = []
    if streets is not None and len(streets):
        parts.append(_named_rows(streets, "streets", name_col, crs, "street", lines=True))
    for kind, gdf in (features or {}).items():
        if gdf is not None and len(gdf):
            parts.append(_named_rows(gdf, f"features[{kind!r}]", name_col, crs, kind))
    entries = _entries(parts, crs)
    aff = dict(affixes or {})
    bad = {k: v for k, v in (gates or {}).items() if v not in ("N", "S", "E", "W", "")}
    if bad:
        raise ValueError(f"gates: sides must be N, S, E, W or empty, got {bad}")
    return Gazetteer(
        entries.reset_index(drop=True),
        crs,
        normalise_table(abbreviations),
        normalise_table(names),
        normalise_table(rings),
        min_score,
        tie_tolerance,
        {normalise(k): normalise_words(v) for k, v in (groups or {}).items()},
        normalise_words(aff.get("suffixes", [])),
        normalise_words(aff.get("prefixes", [])),
        float(aff.get("score", 0.9)),
        normalise_words(aff.get("drop_prefixes", [])),
        {normalise(k): str(v) for k, v in (gates or {}).items()},
        int(prefix_min_chars),
    )


def grid_streets(n: int = 4, spacing: float = 100.0, crs: str = "EPSG:4548") -> gpd.GeoDataFrame:
    """A synthetic n × n street grid for tests and examples: 经1路 … 经n路 run north–south at x = (i-1)·spacing,
    纬1路 … 纬n路 east–west at y = (j-1)·spacing (metres), each a little longer than the grid.

    >>> g = grid_streets(4)
    >>> len(g), sorted(g["name"])[:2]
    (8, ['纬1路', '纬2路'])
    """
    ext = (n - 1) * spacing
    pad = spacing / 2
    names, geoms = [], []
    for i in range(n):
        names.append(f"经{i + 1}路")
        geoms.append(shapely.LineString([(i * spacing, -pad), (i * spacing, ext + pad)]))
        names.append(f"纬{i + 1}路")
        geoms.append(shapely.LineString([(-pad, i * spacing), (ext + pad, i * spacing)]))
    return gpd.GeoDataFrame({"name": names}, geometry=geoms, crs=crs)
