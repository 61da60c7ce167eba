"""The units (街道) and the district of a study area built from a boundary file (:func:`unit_layers`).

Any vector file in any CRS (GDAL, else the lenient JSON reader of :mod:`layers.repair`); the code and
name columns are found or named; invalid geometry is repaired. With an inherited shipped area whose
NBS codes match, the published attributes are kept and only the geometry comes from the file. Part of
:func:`layers.studyarea_build.build_study_area`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import LayerError, Problem
from layers.osm_layers import OSM_SHORT
from layers.repair import Tally, polygonal, read_json_lenient, repair_invalid
from layers.studyarea import StudyArea

__all__ = ["unit_layers"]

_CODE_FIELDS = ("code", "adcode", "nbs_code", "ref", "CODE", "ADCODE")


_NAME_FIELDS = ("name_zh", "name", "NAME", "name:zh")


def _read_any(path: Path) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Any vector file (GDAL), falling back to the lenient JSON reader for GeoJSON GDAL refuses."""
    from layers.io import _convert_crs

    if not path.exists():
        raise LayerError([Problem(str(path), None, None, "file not found")])
    notes: list[str] = []
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:
        if path.suffix.lower() not in (".geojson", ".json"):
            raise LayerError([Problem(str(path), None, None, f"cannot read file: {exc}")]) from exc
        gdf, notes = read_json_lenient(path)
    gdf = _convert_crs(gdf, None, str(path), notes)
    return gdf, notes


def _pick(
    columns: Iterable[str], given: str | None, candidates: tuple[str, ...], file: str, what: str
) -> str | None:
    cols = list(columns)
    if given:
        if given not in cols:
            raise LayerError(
                [
                    Problem(
                        file,
                        None,
                        given,
                        f"{what} field not in the file; it has: {', '.join(cols)}",
                    )
                ]
            )
        return given
    return next((c for c in candidates if c in cols), None)


def _as_code(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text[:-2] if text.endswith(".0") else (text or None)


def unit_layers(
    boundaries: str | os.PathLike[str] | None,
    base: StudyArea | None,
    code_field: str | None,
    name_field: str | None,
    quality: str,
    area_notes: list[str],
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, Tally, Tally]:
    """``(units, district, units tally, district tally)`` from the boundary file, EPSG:4326.

    Without ``boundaries`` the units and district of ``base`` as they are. Area-wide remarks
    (codes matched with ``base``) are appended to ``area_notes``. Raises
    :class:`~layers.errors.LayerError` naming the file, row and field of units without polygon
    geometry, without a code or with a duplicate one.
    """
    import layers as _layers
    from layers.io import replace_geometry

    sub_t, dist_t = Tally("subdistricts"), Tally("district")
    base_subs = (
        _layers.read_layer("subdistricts", base)
        if base is not None and "subdistricts" in base.layers
        else None
    )
    base_dist = (
        _layers.read_layer("district", base)
        if base is not None and "district" in base.layers
        else None
    )
    if boundaries is None:
        assert base_subs is not None and base_dist is not None
        sub_t.read = sub_t.kept = len(base_subs)
        dist_t.read = dist_t.kept = len(base_dist)
        sub_t.note(f"no boundary file: units inherited from '{base.name}' as they are")  # type: ignore[union-attr]
        return base_subs, base_dist, sub_t, dist_t
    path = Path(boundaries)
    raw, notes = _read_any(path)
    for n in notes:
        sub_t.note(n)
    sub_t.read = len(raw)
    cf = _pick(raw.columns, code_field, _CODE_FIELDS, str(path), "code")
    nf = _pick(raw.columns, name_field, _NAME_FIELDS, str(path), "name")
    geoms, repaired, _why = repair_invalid(raw.geometry.values, "polygon")
    sub_t.repaired = int(repaired.sum())
    if repaired.any():
        sub_t.note(f"repaired {sub_t.repaired} invalid unit geometries with make_valid")
    empty = (
        shapely.is_missing(geoms)
        | shapely.is_empty(geoms)
        | ~np.isin(shapely.get_type_id(geoms), (3, 6))
    )
    problems = [
        Problem(str(path), int(i) + 1, "geometry", "unit without polygon geometry")
        for i in np.flatnonzero(empty)
    ]
    codes = [(_as_code(v) if cf else None) for v in (raw[cf] if cf else [None] * len(raw))]
    if cf is None:
        codes = [f"unit-{i + 1:03d}" for i in range(len(raw))]
        sub_t.note(f"no code field in {path.name} (pass code_field): units numbered unit-001 …")
    for i, c in enumerate(codes):
        if c is None:
            problems.append(Problem(str(path), i + 1, cf, "unit without a code"))
    dups = pd.Series(codes).duplicated(keep=False)
    problems += [
        Problem(str(path), int(i) + 1, cf, f"duplicate unit code {codes[i]!r}")
        for i in np.flatnonzero(dups.to_numpy())
    ]
    if problems:
        raise LayerError(problems)
    names = [
        str(v).strip() if nf and pd.notna(v) and str(v).strip() else None
        for v in (raw[nf] if nf else [None] * len(raw))
    ]
    src = f"{path.name}" + (
        f" ({raw['source'].iloc[0]}, {raw['license'].iloc[0]})"
        if {"source", "license"} <= set(raw.columns)
        else ""
    )
    label = f"{src}; {OSM_SHORT}" if quality == "osm" else src
    new = gpd.GeoDataFrame(
        {
            "code": codes,
            "name_zh": [n or c for n, c in zip(names, codes, strict=True)],
            "name_en": None,
            "source": label,
            "geometry_quality": quality,
        },
        geometry=list(geoms),
        crs="EPSG:4326",
    )
    if "osm_relation_id" in raw.columns:
        new["osm_relation_id"] = (
            pd.to_numeric(raw["osm_relation_id"], errors="coerce").astype("Int64").values
        )
    matched: list[str] = []
    if base_subs is not None:
        known = set(base_subs["code"])
        matched = [c for c in codes if c is not None and c in known]
    if base is not None and base_subs is not None and matched:
        units = replace_geometry(
            base_subs,
            new[new["code"].isin(matched)].reset_index(drop=True),
            "code",
            label=str(path),
        )
        extra = new[~new["code"].isin(matched)]
        if len(extra):
            units = gpd.GeoDataFrame(pd.concat([units, extra], ignore_index=True), crs="EPSG:4326")
        lost = sorted(set(base_subs["code"]) - set(codes))
        area_notes.append(
            f"{len(matched)} of {len(codes)} units of {path.name} match the NBS codes of '{base.name}': "
            "published attributes (names, areas, population) kept, geometry from the file"
            + (
                f"; '{base.name}' units not in the file keep their approximate geometry: {', '.join(lost)}"
                if lost
                else ""
            )
        )
    else:
        units = new
    units = units.reset_index(drop=True)
    sub_t.kept = len(units)
    union = polygonal(shapely.make_valid(shapely.union_all(units.geometry.values)))
    if base_dist is not None and len(base_dist) == 1:
        row = base_dist.iloc[0]
        dist = gpd.GeoDataFrame(
            {
                "code": [row["code"]],
                "name_zh": [row["name_zh"]],
                "name_en": [row["name_en"]],
                "area_km2_official": [row["area_km2_official"]],
                "source": [
                    f"union of the {len(units)} units of {src}; {OSM_SHORT}; attributes: {row['source']}"
                ],
                "geometry_quality": [quality],
            },
            geometry=[union],
            crs="EPSG:4326",
        )
    else:
        dist = gpd.GeoDataFrame(
            {
                "code": ["district"],
                "name_zh": ["district"],
                "name_en": [None],
                "area_km2_official": [np.nan],
                "source": [f"union of the {len(units)} units of {src}"],
                "geometry_quality": [quality],
            },
            geometry=[union],
            crs="EPSG:4326",
        )
    dist_t.read = dist_t.kept = 1
    dist_t.note(f"union of the {len(units)} units of the boundary file")
    return units, dist, sub_t, dist_t
