"""Reading entrance points: tagged nodes of an ``.osm.pbf`` (with its buildings and fences) or a file.

Both readers return EPSG:4326 points with ``entrance_id``, ``name`` and the tag columns ``entrance``,
``barrier``, ``access``, ``foot`` (None where untagged); which of them are entrances is decided by
:func:`layers.osm_entrances_tags.select_entrances`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import LayerError, Problem
from layers.osm_entrances_tags import _TAG_COLS, entrance_rule, select_entrances
from layers.osm_pbf import query_each_key, require_pyrosm
from layers.repair import Tally
from layers.schema import GEOMETRY_QUALITIES

__all__ = ["read_entrance_file", "read_pbf_entrances"]

Bbox = tuple[float, float, float, float]


def _text(values: Any, n: int) -> np.ndarray:
    """Strings with missing/blank values as None."""
    if values is None:
        return np.full(n, None, dtype=object)
    s = pd.Series(values, dtype=object)
    ok = s.notna() & (s.astype(str).str.strip() != "") & (s.astype(str) != "nan")
    return s.astype(str).str.strip().where(ok, None).to_numpy(dtype=object)


def _first_text(first: Any, then: Any, n: int) -> np.ndarray:
    """:func:`_text` of ``first``, falling back to ``then`` where it is missing (e.g. name:zh, name)."""
    out = _text(first, n)
    return np.where(pd.isna(out), _text(then, n), out)


def _open_pbf(pyrosm: Any, path: Path, bbox: Bbox | None) -> Any:
    return pyrosm.OSM(str(path), bounding_box=list(bbox) if bbox else None)


def read_pbf_entrances(
    path: str | os.PathLike[str],
    mapping: Mapping[str, Any] | None = None,
    *,
    bbox: Bbox | None = None,
) -> gpd.GeoDataFrame:
    """Nodes of an ``.osm.pbf`` carrying one of the entrance tag keys (pyrosm), unfiltered by value.

    Returns
    -------
    GeoDataFrame
        EPSG:4326 points: ``entrance_id`` (``osm:node/<id>``), ``name``, ``entrance``, ``barrier``,
        ``access``, ``foot`` (None where untagged). One query per tag key (pyrosm drops a feature whose
        other filter key has an unlisted value), duplicates once.

    Raises
    ------
    LayerError
        pyrosm missing, the file missing or unreadable (named).
    """
    p = Path(path)
    if not p.is_file():
        raise LayerError([Problem(str(p), None, None, "OSM PBF not found")])
    pyrosm = require_pyrosm(str(p))
    rule = entrance_rule(mapping)
    frames = []
    try:
        parts = query_each_key(
            _open_pbf(pyrosm, p, bbox),
            {k: True if "*" in v else list(v) for k, v in rule["tags"].items()},
            tags_as_columns=[*_TAG_COLS, "name", "name:zh"],
            keep_nodes=True,
            keep_ways=False,
            keep_relations=False,
        )
        for part in parts:
            part = part.reset_index(drop=True)
            n = len(part)
            cols: dict[str, Any] = {
                "entrance_id": [f"osm:node/{int(i)}" for i in part["id"]],
                "name": _first_text(part.get("name:zh"), part.get("name"), n),
            }
            for c in _TAG_COLS:
                cols[c] = _text(part.get(c), n)
            frames.append(gpd.GeoDataFrame(cols, geometry=part.geometry.values, crs="EPSG:4326"))
    except LayerError:
        raise
    except Exception as exc:  # pyrosm raises many types on a corrupt file
        raise LayerError([Problem(str(p), None, None, f"cannot read OSM PBF: {exc}")]) from exc
    if not frames:
        return gpd.GeoDataFrame(
            {c: [] for c in ("entrance_id", "name", *_TAG_COLS)},
            geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        )
    out = pd.concat(frames, ignore_index=True).drop_duplicates("entrance_id")
    return gpd.GeoDataFrame(out.reset_index(drop=True), crs="EPSG:4326")


def _pbf_buildings(path: Path, bbox: Bbox | None) -> np.ndarray:
    """Outlines of the buildings of a PBF (EPSG:4326), to tell doors from park entrances."""
    pyrosm = require_pyrosm(str(path))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore")
        b = _open_pbf(pyrosm, path, bbox).get_buildings()
    if b is None or not len(b):
        return np.empty(0, dtype=object)
    return np.asarray(shapely.boundary(b.geometry.values), dtype=object)


def _pbf_fences(path: Path, rule: Mapping[str, Any], bbox: Bbox | None) -> np.ndarray:
    """Fence and wall lines of a PBF (EPSG:4326; closed ways as their outline)."""
    pyrosm = require_pyrosm(str(path))
    found = query_each_key(
        _open_pbf(pyrosm, path, bbox),
        {k: list(v) for k, v in (rule.get("fence_tags") or {}).items()},
        quiet="",  # all of pyrosm's warnings: fences are optional context
        keep_nodes=False,
        keep_ways=True,
        keep_relations=False,
    )
    parts = []
    for f in found:
        g = np.asarray(f.geometry.values, dtype=object)
        poly = np.isin(shapely.get_type_id(g), (3, 6))
        parts.append(np.where(poly, shapely.boundary(g), g))
    return np.concatenate(parts) if parts else np.empty(0, dtype=object)


def _file_problems(
    p: Path, raw: gpd.GeoDataFrame, ids: np.ndarray, idcol: str | None, gq: np.ndarray
) -> list[Problem]:
    """Rows (1-based) of an entrances file without a point, with a duplicate id or a bad quality."""
    g = np.asarray(raw.geometry.values, dtype=object)
    problems = [
        Problem(str(p), int(i) + 1, "geometry", "no geometry")
        for i in np.flatnonzero(shapely.is_missing(g) | shapely.is_empty(g))
    ]
    bad = ~(shapely.is_missing(g) | shapely.is_empty(g)) & (shapely.get_type_id(g) != 0)
    problems += [
        Problem(str(p), int(i) + 1, "geometry", f"{shapely.get_type_id(g[i])}: not a point")
        for i in np.flatnonzero(bad)
    ]
    dup = pd.Series(ids).duplicated().to_numpy()
    problems += [
        Problem(str(p), int(i) + 1, idcol or "entrance_id", f"duplicate id {ids[i]!r}")
        for i in np.flatnonzero(dup)
    ]
    allowed = [q for q in GEOMETRY_QUALITIES if q != "none"]
    problems += [
        Problem(str(p), int(i) + 1, "geometry_quality", f"{gq[i]!r} is not one of {allowed}")
        for i in np.flatnonzero(~np.isin(gq, allowed))
    ]
    return problems


def read_entrance_file(
    path: str | os.PathLike[str],
    mapping: Mapping[str, Any] | None = None,
    *,
    geometry_quality: str = "user",
) -> gpd.GeoDataFrame:
    """A points file of park entrances (Shapefile, GeoJSON, GeoPackage …), validated.

    Every row is an entrance (the file says so), except those closed to walkers by an ``access`` /
    ``foot`` column (``not_public_access``) or tagged ``entrance = no``. Optional columns:
    ``entrance_id`` (else ``id`` / ``osm_id``, else ``<file>#<row>``), ``name_zh`` / ``name``,
    ``entrance``, ``barrier``, ``access``, ``foot``, ``source``, ``geometry_quality``.

    Raises
    ------
    LayerError
        Unreadable file, no CRS, a row without geometry or not a point, a bad ``geometry_quality`` or a
        duplicate id: the message names the file, row (1-based) and field.
    """
    p = Path(path)
    if not p.exists():
        raise LayerError([Problem(str(p), None, None, "entrances file not found")])
    try:
        raw = gpd.read_file(p, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types
        raise LayerError([Problem(str(p), None, None, f"cannot read file: {exc}")]) from exc
    if raw.crs is None:
        raise LayerError([Problem(str(p), None, "geometry", "no CRS: give the file's CRS")])
    n = len(raw)
    idcol = next((c for c in ("entrance_id", "id", "osm_id") if c in raw.columns), None)
    ids = (
        raw[idcol].astype(str).to_numpy(dtype=object)
        if idcol
        else np.asarray([f"{p.name}#{i + 1}" for i in range(n)], dtype=object)
    )
    gq = (
        raw["geometry_quality"].astype(str).to_numpy(dtype=object)
        if "geometry_quality" in raw.columns
        else np.full(n, geometry_quality, dtype=object)
    )
    problems = _file_problems(p, raw, ids, idcol, gq)
    if problems:
        raise LayerError(problems)
    cols: dict[str, Any] = {
        "entrance_id": ids,
        "name": _first_text(raw.get("name_zh"), raw.get("name"), n),
    }
    for c in _TAG_COLS:
        cols[c] = _text(raw.get(c), n)
    cols["entrance"] = np.where(
        pd.isna(cols["entrance"]) & pd.isna(cols["barrier"]), "yes", cols["entrance"]
    )
    src = _text(raw.get("source"), n)
    cols["source"] = np.where(pd.isna(src), f"user file {p.name}", src)
    cols["geometry_quality"] = gq
    g = np.asarray(raw.geometry.values, dtype=object)
    frame = gpd.GeoDataFrame(cols, geometry=g, crs=raw.crs).to_crs("EPSG:4326")
    rule = dict(entrance_rule(mapping))
    # the file declares its rows entrances: any tag value counts, only exclusions apply
    rule["tags"] = {"entrance": ["*"], "barrier": ["*"]}
    tally = Tally("entrances")
    out = select_entrances(frame, rule, tally=tally)
    out["kind"] = np.where(pd.notna(out["barrier"]), out["barrier"], "entrance")
    out.attrs.update(reasons=tally.reasons, read=n, dropped=tally.dropped)
    return out
