"""Reading and writing layers through their schemas, with validation and provenance.

:func:`load_file` reads GeoJSON, GeoPackage, Shapefile, FlatGeobuf or CSV, maps columns, converts the CRS
(including the Chinese GCJ-02 and BD-09 datums) and validates every row against the layer's schema. It collects
all problems and raises one :class:`~layers.errors.LayerError`; nothing is half-loaded.

This module holds the entry points (:func:`load_file`, :func:`read_layer`, :func:`read_table`,
:func:`import_layer`) and re-exports the rest of the family, one concern each:
:mod:`layers.io_formats` (file formats, :func:`write_layer`), :mod:`layers.io_attributes` (columns and
values), :mod:`layers.io_crs` (to EPSG:4326), :mod:`layers.io_geometry` (geometry checks),
:mod:`layers.io_replace` (:func:`replace_geometry`), :mod:`layers.io_userdata` (:func:`user_dir`) and
:mod:`layers.io_problems` (problem wording).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from layers.errors import LayerError, Problem
from layers.io_attributes import (
    _apply_column_map,
    _check_codes,
    _check_columns,
    _check_keys,
    _coerce,
    _fill_provenance,
)
from layers.io_crs import _convert_crs as _convert_crs
from layers.io_formats import VECTOR_SUFFIXES as VECTOR_SUFFIXES
from layers.io_formats import _read_raw
from layers.io_formats import write_layer as write_layer
from layers.io_geometry import _check_geometry, _check_quality
from layers.io_problems import file_error
from layers.io_replace import _geometry_only_schema
from layers.io_replace import replace_geometry as replace_geometry
from layers.io_userdata import _override_path as _override_path
from layers.io_userdata import _user_layer_path
from layers.io_userdata import user_dir as user_dir
from layers.schema import SCHEMAS, LayerSchema
from layers.studyarea import DEFAULT_AREA, StudyArea, load_study_area, resolve_area


@dataclass
class LoadResult:
    """A validated layer and what the loader changed on the way.

    Attributes
    ----------
    gdf : GeoDataFrame or DataFrame
        The layer in EPSG:4326 (tables: a DataFrame).
    changes : list of str
        Human-readable notes: CRS conversions, repaired geometries, defaults filled in.
    """

    gdf: pd.DataFrame
    changes: list[str] = field(default_factory=list)


def _as_schema(schema: str | LayerSchema) -> LayerSchema:
    if isinstance(schema, LayerSchema):
        return schema
    if schema not in SCHEMAS:
        raise file_error("<schema>", "layer", f"unknown layer '{schema}'; known: {sorted(SCHEMAS)}")
    return SCHEMAS[schema]


def load_file(
    path: str | os.PathLike[str],
    schema: str | LayerSchema,
    *,
    area: StudyArea | str | None = DEFAULT_AREA,
    column_map: Mapping[str, str] | None = None,
    source_crs: str | None = None,
    source: str | None = None,
    geometry_quality: str | None = None,
    extra: Literal["error", "drop", "keep"] = "error",
    repair: bool = True,
    known_codes: set[str] | None = None,
    layer: str | None = None,
    tolerant: bool = False,
) -> LoadResult:
    """Read a file as a layer of the given schema, validate it and convert it to EPSG:4326.

    Parameters
    ----------
    path : path
        GeoJSON, GeoPackage (``layer`` picks the table), Shapefile, FlatGeobuf or CSV (WKT ``geometry``
        column, or ``lon``/``lat`` columns, or none).
    schema : str or LayerSchema
        Layer name in :data:`layers.schema.SCHEMAS` (``"parks"``, ``"subdistricts"`` …).
    area : StudyArea or str or None
        Study area whose extent and 街道 codes the features must fit; ``None`` skips both checks.
    column_map : mapping, optional
        ``{file_column: schema_column}`` renames applied before validation.
    source_crs : str, optional
        Overrides or supplies the CRS: any pyproj input (``"EPSG:4548"``) or ``"gcj02"`` / ``"bd09"``.
    source, geometry_quality : str, optional
        Fill the provenance columns when the file has none (e.g. ``source="区规自分局 2024"``,
        ``geometry_quality="official"``). Features without geometry get quality ``none``.
    extra : {"error", "drop", "keep"}
        What to do with columns the schema does not know.
    repair : bool
        Repair invalid geometry with ``make_valid`` and report it (True) or reject it (False).
    known_codes : set of str, optional
        Valid 街道 codes; by default those of the study area's subdistrict layer.
    tolerant : bool
        Repair what can be repaired and report it (:mod:`layers.repair`) instead of rejecting the file:
        blank names labelled, blank keys numbered, duplicate keys suffixed, unknown park kinds set to
        ``other``, absurd features dropped, features crossing the study extent clipped. Missing columns,
        bad numbers and a wrong CRS still fail.

    Returns
    -------
    LoadResult
        The validated layer and the list of changes made.

    Raises
    ------
    LayerError
        Listing every problem, each naming the file, row and field.
    """
    path = Path(path)
    name = str(path)
    sch = _as_schema(schema)
    study = load_study_area(area) if isinstance(area, str) else area
    df = _read_raw(path, sch, layer)
    changes: list[str] = list(df.attrs.pop("changes", []))
    problems: list[Problem] = []

    if column_map:
        df = _apply_column_map(df, column_map, name, changes)
    _fill_provenance(df, source, geometry_quality, name, changes)
    df, unknown = _check_columns(df, sch, name, extra, changes)

    df = df.reset_index(drop=True)
    if tolerant:
        from layers.repair import tolerate_attributes

        df, notes = tolerate_attributes(df, sch, name)
        changes += notes
    _coerce(df, sch, name, problems)
    _check_keys(df, sch, name, problems)

    codes = known_codes
    ref_cols = [c for c in sch.columns if c.ref == "subdistricts.code"]
    if codes is None and ref_cols and study is not None and "subdistricts" in study.layers:
        codes = set(read_layer("subdistricts", study)["code"])
    if codes is not None:
        _check_codes(df, ref_cols, codes, name, problems)

    if sch.is_table:
        if problems:
            raise LayerError(problems)
        return LoadResult(
            pd.DataFrame(df[sch.column_names + ([] if extra != "keep" else unknown)]), changes
        )

    assert isinstance(df, gpd.GeoDataFrame)
    if problems:
        raise LayerError(problems)
    df = _convert_crs(df, source_crs, name, changes)
    if tolerant and study is not None:
        from layers.repair import tolerate_geometry

        df, notes = tolerate_geometry(df, sch, name, study.extent, study.metric_crs)
        changes += notes
    df = _check_geometry(df, sch, name, study, repair, problems, changes)
    has_geom = _check_quality(df, name, problems)
    if problems:
        raise LayerError(problems)
    keep = sch.column_names + (unknown if extra == "keep" else [])
    out = gpd.GeoDataFrame(df[keep], geometry=df.geometry.values, crs="EPSG:4326")
    out.loc[~has_geom, "geometry"] = None
    return LoadResult(out, changes)


@lru_cache(maxsize=64)
def _cached(path: str, mtime: float, schema: str, area_file: str) -> pd.DataFrame:
    study = load_study_area(Path(area_file))
    return load_file(path, schema, area=study, extra="error", repair=False).gdf


def read_layer(
    name: str, area: StudyArea | str | None = None, *, user_data: Path | None = None
) -> gpd.GeoDataFrame:
    """Read one of a study area's layers, validated, in EPSG:4326.

    Shipped files are validated strictly (no repair, no unknown columns). Results are cached per file
    modification time and returned as copies.

    Examples
    --------
    >>> subs = read_layer("subdistricts")
    >>> len(subs), subs.crs.to_epsg()
    (15, 4326)
    >>> sorted(set(subs.geometry_quality))
    ['approximate']
    """
    study = resolve_area(area, user_data=user_data)
    path = _override_path(study, name, user_data or user_dir()) or study.path(name)
    if not path.exists():
        raise file_error(str(path), None, f"layer '{name}' file not found")
    cfg = str(study.config_file) if study.config_file else str(study.data_dir)
    out = _cached(str(path), path.stat().st_mtime, name, cfg).copy()
    if SCHEMAS[name].is_table:
        return out
    assert isinstance(out, gpd.GeoDataFrame)
    return out


def read_table(
    name: str, area: StudyArea | str | None = None, *, user_data: Path | None = None
) -> pd.DataFrame:
    """Read one of a study area's attribute tables (``indicators``, ``indicator_definitions``)."""
    return pd.DataFrame(read_layer(name, area, user_data=user_data))


def import_layer(
    path: str | os.PathLike[str],
    name: str,
    *,
    area: StudyArea | str | None = None,
    user_data: Path | None = None,
    geometry_only: bool = False,
    **load_kwargs: Any,
) -> LoadResult:
    """Validate a file as layer ``name`` and store it in the user data folder, where it replaces the shipped one.

    Parameters
    ----------
    path : path
        The file to import (any format :func:`load_file` reads).
    name : str
        The layer it becomes (``"subdistricts"``, ``"parks"``, ``"residential"`` …).
    area : StudyArea or str
        Study area.
    user_data : Path, optional
        Folder for imported layers (default ``GREENMAP_USER_DATA``).
    geometry_only : bool
        Keep the current layer's attributes and replace only geometry, quality and source, matched by key
        (see :func:`replace_geometry`): e.g. OSM boundaries for the 街道 with their published areas kept.
    **load_kwargs
        Passed to :func:`load_file` (``column_map``, ``source_crs``, ``source``, ``geometry_quality``,
        ``extra``, ``repair``, ``tolerant``).

    A ``residential`` layer is fitted to the area's 街道 first (:func:`layers.io_units.fit_to_units`):
    parcels without a ``subdistrict_code`` get the code of the 街道 they lie in; tolerant, parcels
    crossing a boundary are cut and those outside every 街道 dropped (reported); strict, parcels
    outside every 街道 are rejected.

    Returns
    -------
    LoadResult
        The stored layer and the changes made; ``changes`` ends with where it was stored.
    """
    study = resolve_area(area, user_data=user_data)
    base_dir = user_data or user_dir()
    if base_dir is None:
        raise file_error(str(path), "user_data", "no user data folder: set GREENMAP_USER_DATA")
    if geometry_only:
        current = read_layer(name, study, user_data=base_dir)
        sch = SCHEMAS[name]
        load_kwargs.setdefault("extra", "drop")
        result = load_file(path, _geometry_only_schema(sch), area=study, **load_kwargs)
        gdf = replace_geometry(current, result.gdf, sch.key, label=str(path))
        result.changes.append(
            f"replaced geometry of {len(result.gdf)} of {len(current)} features by key '{sch.key}'"
        )
    else:
        result = load_file(path, name, area=study, **load_kwargs)
        gdf = result.gdf
        if name == "residential" and "subdistricts" in study.layers:
            from layers.io_units import fit_to_units

            units = read_layer("subdistricts", study, user_data=base_dir)
            gdf, notes = fit_to_units(
                gdf, units, study, tolerant=bool(load_kwargs.get("tolerant")), label=str(path)
            )
            result.changes += notes
    target = _user_layer_path(base_dir, study, name)
    write_layer(gdf, target)
    # Re-read through the strict path so what is stored is exactly what read_layer returns.
    load_file(target, name, area=study, repair=False)
    result.gdf = gdf
    result.changes.append(f"stored as {target}")
    return result
