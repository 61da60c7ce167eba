"""Reading and writing layers through their schemas, with validation and provenance.

:func:`load_file` reads GeoJSON, GeoPackage, Shapefile, FlatGeobuf or CSV, maps columns, converts the CRS
(including the Chinese GCJ-02 and BD-09 datums) and validates every row against the layer's schema. It collects
all problems and raises one :class:`~layers.errors.LayerError`; nothing is half-loaded.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo import datums as gdatums
from layers.errors import LayerError, Problem
from layers.schema import GEOMETRY_QUALITIES, SCHEMAS, LayerSchema
from layers.studyarea import DEFAULT_AREA, StudyArea, load_study_area, resolve_area

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".fgb", ".zip"}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


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
        raise LayerError(
            [
                Problem(
                    "<schema>", None, "layer", f"unknown layer '{schema}'; known: {sorted(SCHEMAS)}"
                )
            ]
        )
    return SCHEMAS[schema]


def _read_raw(path: Path, schema: LayerSchema, layer: str | None) -> pd.DataFrame:
    name = str(path)
    if not path.exists():
        raise LayerError([Problem(name, None, None, "file not found")])
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
            if schema.is_table:
                return df
            return _csv_to_gdf(df, name)
        if suffix in VECTOR_SUFFIXES or path.is_dir():
            kwargs: dict[str, Any] = {"engine": "pyogrio"}
            if layer is not None:
                kwargs["layer"] = layer
            try:
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message="Non closed ring")
                    # JSON-valued text columns (e.g. location_matches) stay text: that is what we want.
                    warnings.filterwarnings("ignore", message="Could not parse column")
                    return gpd.read_file(path, **kwargs)
            except Exception as gdal_exc:
                if suffix not in (".geojson", ".json"):
                    raise
                # GDAL refuses e.g. unclosed rings: a plain JSON reader closes them and says so.
                from layers.repair import read_json_lenient

                try:
                    gdf, notes = read_json_lenient(path)
                except LayerError as exc:
                    if any(p.row is not None for p in exc.problems):
                        raise  # a feature at fault: its row is more use than GDAL's message
                    raise gdal_exc from None
                gdf.attrs["changes"] = notes
                return gdf
    except LayerError:
        raise
    except UnicodeDecodeError as exc:
        raise LayerError([Problem(name, None, None, f"not UTF-8 text: {exc}")]) from exc
    except (
        Exception
    ) as exc:  # pyogrio/pandas raise many types; the user needs the message, not a trace
        raise LayerError([Problem(name, None, None, f"cannot read file: {exc}")]) from exc
    raise LayerError(
        [
            Problem(
                name,
                None,
                None,
                f"unsupported file type '{suffix}' (use .geojson .gpkg .shp .fgb .csv)",
            )
        ]
    )


def _csv_to_gdf(df: pd.DataFrame, name: str) -> gpd.GeoDataFrame:
    """CSV with a WKT ``geometry`` column, or ``lon``/``lat`` columns, or no geometry at all."""
    if "geometry" in df.columns:
        wkt = df.pop("geometry").replace("", None)
        geoms = np.empty(len(wkt), dtype=object)
        problems = []
        for i, text in enumerate(wkt):
            if text is None:
                continue
            try:
                geoms[i] = shapely.from_wkt(text)
            except shapely.errors.GEOSException as exc:
                problems.append(Problem(name, i + 1, "geometry", f"not valid WKT: {exc}"))
        if problems:
            raise LayerError(problems)
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms), crs=None)
    if {"lon", "lat"} <= set(df.columns):
        lon = pd.to_numeric(df["lon"].replace("", None), errors="coerce")
        lat = pd.to_numeric(df["lat"].replace("", None), errors="coerce")
        pts = gpd.points_from_xy(lon, lat)
        pts[lon.isna().to_numpy() | lat.isna().to_numpy()] = None
        return gpd.GeoDataFrame(df, geometry=pts, crs=None)
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([None] * len(df)), crs=None)


def _blank(values: pd.Series) -> np.ndarray:
    as_str = values.astype("string")
    return np.asarray(values.isna() | (as_str.str.strip() == ""), dtype=bool)


def _coerce(df: pd.DataFrame, schema: LayerSchema, name: str, problems: list[Problem]) -> None:
    """Convert every schema column in place, recording a problem per bad cell."""
    for col in schema.columns:
        if col.name not in df.columns:
            df[col.name] = pd.Series([None] * len(df), index=df.index, dtype=object)
        raw = df[col.name]
        blank = _blank(raw)
        if col.dtype in ("int", "float"):
            num = pd.to_numeric(raw.where(~blank, None), errors="coerce")
            bad = np.flatnonzero(num.isna().to_numpy() & ~blank)
            for i in bad[:50]:
                problems.append(
                    Problem(name, int(i) + 1, col.name, f"not a number: {raw.iloc[i]!r}")
                )
            if col.dtype == "int":
                frac = np.flatnonzero(num.notna().to_numpy() & (num.fillna(0) % 1 != 0).to_numpy())
                for i in frac[:50]:
                    problems.append(
                        Problem(name, int(i) + 1, col.name, f"not a whole number: {raw.iloc[i]!r}")
                    )
                df[col.name] = num.round().astype("Int64") if len(frac) == 0 else num
            else:
                df[col.name] = num.astype("float64")
            if col.minimum is not None:
                low = np.flatnonzero((num < col.minimum).fillna(False).to_numpy())
                for i in low[:50]:
                    problems.append(
                        Problem(
                            name, int(i) + 1, col.name, f"{raw.iloc[i]!r} is below {col.minimum}"
                        )
                    )
        elif col.dtype == "bool":
            text = raw.astype("string").str.strip().str.lower()
            val = pd.Series(pd.NA, index=df.index, dtype="boolean")
            val[text.isin(_TRUE).fillna(False).to_numpy()] = True
            val[text.isin(_FALSE).fillna(False).to_numpy()] = False
            if raw.dtype == bool:
                val = raw.astype("boolean")
            bad = np.flatnonzero(val.isna().to_numpy() & ~blank)
            for i in bad[:50]:
                problems.append(
                    Problem(name, int(i) + 1, col.name, f"not true/false: {raw.iloc[i]!r}")
                )
            df[col.name] = val
        else:
            text = raw.astype("string").str.strip()
            values = text.astype(object).to_numpy(copy=True)
            values[blank] = None
            df[col.name] = values
            if col.choices is not None:
                bad = np.flatnonzero(~blank & ~text.isin(col.choices).fillna(False).to_numpy())
                for i in bad[:50]:
                    problems.append(
                        Problem(
                            name,
                            int(i) + 1,
                            col.name,
                            f"{raw.iloc[i]!r} is not one of: {', '.join(col.choices)}",
                        )
                    )
        if not col.nullable:
            for i in np.flatnonzero(blank)[:50]:
                problems.append(
                    Problem(name, int(i) + 1, col.name, "empty, but a value is required")
                )


def _convert_crs(
    gdf: gpd.GeoDataFrame, source_crs: str | None, name: str, changes: list[str]
) -> gpd.GeoDataFrame:
    datum = (source_crs or "").strip().lower()
    if datum in ("gcj02", "gcj-02", "bd09", "bd-09"):
        src = "gcj02" if datum.startswith("gcj") else "bd09"
        if gdf.crs is not None and not CRS(gdf.crs).is_geographic:
            raise LayerError(
                [
                    Problem(
                        name,
                        None,
                        "crs",
                        f"declared {src} but the file's CRS is projected ({gdf.crs})",
                    )
                ]
            )
        out = gdf.set_crs("EPSG:4326", allow_override=True)
        out = gdatums.convert_gdf(out, src, "wgs84")
        label = "GCJ-02" if src == "gcj02" else "BD-09"
        changes.append(f"converted coordinates from {label} to WGS-84 (EPSG:4326)")
        return out
    if source_crs:
        try:
            declared = CRS.from_user_input(source_crs)
        except Exception as exc:
            raise LayerError(
                [Problem(name, None, "crs", f"unknown CRS {source_crs!r}: {exc}")]
            ) from exc
        if gdf.crs is not None and CRS(gdf.crs) != declared:
            changes.append(f"file CRS {gdf.crs} overridden by the declared {source_crs}")
        gdf = gdf.set_crs(declared, allow_override=True)
    if gdf.crs is None:
        bounds = gdf.geometry.total_bounds
        if gdf.geometry.notna().any() and not (
            -180 <= bounds[0] <= 180
            and -90 <= bounds[1] <= 90
            and bounds[2] <= 180
            and bounds[3] <= 90
        ):
            raise LayerError(
                [
                    Problem(
                        name,
                        None,
                        "crs",
                        "the file declares no CRS and its coordinates are not lon/lat degrees; "
                        "pass the source CRS (e.g. EPSG:4548)",
                    )
                ]
            )
        changes.append("no CRS declared: assumed WGS-84 lon/lat (EPSG:4326)")
        return gdf.set_crs("EPSG:4326")
    crs = CRS(gdf.crs)
    if crs.equals(CRS("EPSG:4326"), ignore_axis_order=True):
        return gdf
    if crs.equals(CRS("EPSG:4490"), ignore_axis_order=True):
        changes.append("CGCS2000 (EPSG:4490) relabelled as WGS-84: they differ by centimetres")
        return gdf.set_crs("EPSG:4326", allow_override=True)
    changes.append(f"reprojected from {crs.to_string()} to EPSG:4326")
    return gdf.to_crs("EPSG:4326")


def _check_geometry(
    gdf: gpd.GeoDataFrame,
    schema: LayerSchema,
    name: str,
    area: StudyArea | None,
    repair: bool,
    problems: list[Problem],
    changes: list[str],
) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.array
    missing = np.asarray(gdf.geometry.isna() | gdf.geometry.is_empty, dtype=bool)
    if schema.geometry_required:
        for i in np.flatnonzero(missing)[:50]:
            problems.append(Problem(name, int(i) + 1, "geometry", "empty or missing geometry"))
    present = ~missing
    types = np.asarray(gdf.geometry.geom_type.fillna(""), dtype=object)
    bad_type = present & ~np.isin(types, schema.geometry_types)
    for i in np.flatnonzero(bad_type)[:50]:
        problems.append(
            Problem(
                name,
                int(i) + 1,
                "geometry",
                f"{types[i]} not allowed (expected {', '.join(schema.geometry_types)})",
            )
        )
    invalid = present & ~np.asarray(shapely.is_valid(geoms), dtype=bool)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        rows = np.flatnonzero(invalid)
        if not repair:
            for i, why in list(zip(rows, reasons, strict=True))[:50]:
                problems.append(Problem(name, int(i) + 1, "geometry", f"invalid geometry: {why}"))
        else:
            fixed = shapely.make_valid(geoms[invalid])
            # make_valid may return a collection; keep the polygonal part for polygon layers.
            if all(t in ("Polygon", "MultiPolygon") for t in schema.geometry_types if t != "Point"):
                fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
            gdf = gdf.copy()
            gdf.loc[gdf.index[rows], gdf.geometry.name] = fixed
            for i, why in list(zip(rows, reasons, strict=True))[:20]:
                changes.append(f"row {i + 1}: repaired invalid geometry ({why}) with make_valid")
            if len(rows) > 20:
                changes.append(f"... {len(rows) - 20} more geometries repaired")
    if area is not None and present.any():
        w, s, e, n = area.extent
        b = shapely.bounds(gdf.geometry.array[present])
        outside = (b[:, 0] < w) | (b[:, 1] < s) | (b[:, 2] > e) | (b[:, 3] > n)
        rows = np.flatnonzero(present)[outside]
        for i in rows[:20]:
            x0, y0, x1, y1 = shapely.bounds(gdf.geometry.array[i])
            problems.append(
                Problem(
                    name,
                    int(i) + 1,
                    "geometry",
                    f"outside the study area '{area.name}' extent {area.extent} "
                    f"(feature bounds {x0:.5f}, {y0:.5f}, {x1:.5f}, {y1:.5f}): wrong CRS, "
                    "swapped lon/lat, or a GCJ-02/BD-09 offset?",
                )
            )
        if len(rows) > 20:
            problems.append(
                Problem(name, None, "geometry", f"{len(rows)} features outside the extent")
            )
    return gdf


def _polygonal(g: shapely.Geometry) -> shapely.Geometry:
    if g is None or g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


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
        absent = [k for k in column_map if k not in df.columns]
        if absent:
            raise LayerError(
                [
                    Problem(name, None, k, "column named in the column mapping is not in the file")
                    for k in absent
                ]
            )
        df = df.rename(columns=dict(column_map))
        changes.append("renamed columns: " + ", ".join(f"{k}→{v}" for k, v in column_map.items()))

    geom_col = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    if source is not None and "source" not in df.columns:
        df["source"] = source
        changes.append(f"source set to {source!r} for every feature")
    if geometry_quality is not None and "geometry_quality" not in df.columns:
        if geometry_quality not in GEOMETRY_QUALITIES:
            raise LayerError(
                [
                    Problem(
                        name,
                        None,
                        "geometry_quality",
                        f"{geometry_quality!r} is not one of {', '.join(GEOMETRY_QUALITIES)}",
                    )
                ]
            )
        df["geometry_quality"] = geometry_quality
        if geom_col is not None:
            none_geom = df.geometry.isna() | df.geometry.is_empty
            df.loc[none_geom, "geometry_quality"] = "none"
        changes.append(f"geometry_quality set to {geometry_quality!r} (none where no geometry)")

    cols = [c for c in df.columns if c != geom_col]
    missing = [c for c in sch.required_names if c not in cols]
    for c in missing:
        hint = " (pass source=... to set it for all features)" if c == "source" else ""
        hint = " (pass geometry_quality=...)" if c == "geometry_quality" else hint
        problems.append(Problem(name, None, c, f"required column is missing{hint}"))
    unknown = [c for c in cols if c not in sch.column_names]
    if unknown and extra == "error":
        problems.append(
            Problem(
                name,
                None,
                ", ".join(unknown),
                "columns not in the schema of layer "
                f"'{sch.name}' (map them with column_map, or pass extra='drop' or 'keep')",
            )
        )
    if missing or (unknown and extra == "error"):
        raise LayerError(problems)
    if unknown and extra == "drop":
        df = df.drop(columns=unknown)
        changes.append(f"dropped columns not in the schema: {', '.join(unknown)}")

    df = df.reset_index(drop=True)
    if tolerant:
        from layers.repair import tolerate_attributes

        df, notes = tolerate_attributes(df, sch, name)
        changes += notes
    _coerce(df, sch, name, problems)

    key = df[sch.key]
    dup_rows = np.flatnonzero((key.notna() & key.duplicated(keep=False)).to_numpy())
    for i in dup_rows[:20]:
        problems.append(Problem(name, int(i) + 1, sch.key, f"duplicate key {key.iloc[i]!r}"))

    codes = known_codes
    ref_cols = [c for c in sch.columns if c.ref == "subdistricts.code"]
    if codes is None and ref_cols and study is not None and "subdistricts" in study.layers:
        codes = set(read_layer("subdistricts", study)["code"])
    if codes is not None:
        for col in ref_cols:
            for i, value in enumerate(df[col.name]):
                if pd.isna(value):
                    continue
                unknown_codes = [
                    c for c in str(value).split(";") if c.strip() and c.strip() not in codes
                ]
                if unknown_codes:
                    problems.append(
                        Problem(
                            name,
                            int(i) + 1,
                            col.name,
                            f"unknown 街道 code(s): {', '.join(unknown_codes)}",
                        )
                    )

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
    has_geom = np.asarray(~(df.geometry.isna() | df.geometry.is_empty), dtype=bool)
    quality = df["geometry_quality"].to_numpy(dtype=object)
    for i in np.flatnonzero(has_geom & (quality == "none"))[:20]:
        problems.append(
            Problem(name, int(i) + 1, "geometry_quality", "is 'none' but the feature has geometry")
        )
    for i in np.flatnonzero(~has_geom & (quality != "none"))[:20]:
        problems.append(
            Problem(
                name,
                int(i) + 1,
                "geometry_quality",
                f"is {quality[i]!r} but the feature has no geometry",
            )
        )
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


def user_dir() -> Path | None:
    """Folder of imported layers that take precedence over shipped ones (``GREENMAP_USER_DATA``)."""
    value = os.environ.get("GREENMAP_USER_DATA")
    return Path(value) if value else None


def _override_path(study: StudyArea, name: str, base: Path | None) -> Path | None:
    if base is None:
        return None
    suffix = ".csv" if SCHEMAS[name].is_table else ".geojson"
    path = base / study.name / f"{name}{suffix}"
    return path if path.exists() else None


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
        raise LayerError([Problem(str(path), None, None, f"layer '{name}' file not found")])
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


def replace_geometry(
    base: gpd.GeoDataFrame, new: gpd.GeoDataFrame, key: str, *, label: str = "imported"
) -> gpd.GeoDataFrame:
    """Keep ``base``'s attributes but take geometry, quality and a source note from ``new`` by key.

    Used when a real boundary layer (official or OSM) replaces approximate geometry: published attributes
    (areas, populations, names) stay, the geometry and its provenance change. Keys of ``new`` unknown to
    ``base`` raise :class:`LayerError`; base rows without a match keep their geometry.

    Examples
    --------
    >>> base = gpd.GeoDataFrame({"code": ["a", "b"], "pop": [1, 2], "source": ["x", "y"],
    ...     "geometry_quality": ["approximate"] * 2}, geometry=[shapely.box(0, 0, 1, 1)] * 2)
    >>> new = gpd.GeoDataFrame({"code": ["a"], "source": ["OSM"], "geometry_quality": ["osm"]},
    ...     geometry=[shapely.box(0, 0, 2, 2)])
    >>> out = replace_geometry(base, new, "code", label="OSM")
    >>> out.geometry_quality.tolist(), out.area.tolist(), out["pop"].tolist()
    (['osm', 'approximate'], [4.0, 1.0], [1, 2])
    """
    extra = sorted(set(new[key]) - set(base[key]))
    if extra:
        raise LayerError(
            [
                Problem(
                    label,
                    None,
                    key,
                    f"keys not in the existing layer: {', '.join(map(str, extra))}",
                )
            ]
        )
    out = base.copy()
    idx = pd.Index(out[key])
    pos = idx.get_indexer(new[key])
    geom = out.geometry.array.copy()
    geom[pos] = new.geometry.array
    out = out.set_geometry(gpd.GeoSeries(geom, index=out.index, crs=base.crs))
    quality = out["geometry_quality"].to_numpy(dtype=object, copy=True)
    quality[pos] = new["geometry_quality"].to_numpy(dtype=object)
    out["geometry_quality"] = quality
    sources = out["source"].to_numpy(dtype=object, copy=True)
    sources[pos] = [f"{s}; geometry: {n}" for s, n in zip(sources[pos], new["source"], strict=True)]
    out["source"] = sources
    return out


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
        ``extra``, ``repair``).

    Returns
    -------
    LoadResult
        The stored layer and the changes made; ``changes`` ends with where it was stored.
    """
    study = resolve_area(area, user_data=user_data)
    base_dir = user_data or user_dir()
    if base_dir is None:
        raise LayerError(
            [Problem(str(path), None, "user_data", "no user data folder: set GREENMAP_USER_DATA")]
        )
    if geometry_only:
        current = read_layer(name, study, user_data=base_dir)
        sch = SCHEMAS[name]
        loose = LayerSchema(
            sch.name,
            sch.title_zh,
            sch.title_en,
            sch.key,
            tuple(
                c
                if c.name in (sch.key, "source", "geometry_quality")
                else dataclasses.replace(c, required=False)
                for c in sch.columns
            ),
            sch.geometry_types,
            sch.geometry_required,
        )
        load_kwargs.setdefault("extra", "drop")
        result = load_file(path, loose, area=study, **load_kwargs)
        gdf = replace_geometry(current, result.gdf, sch.key, label=str(path))
        result.changes.append(
            f"replaced geometry of {len(result.gdf)} of {len(current)} features by key '{sch.key}'"
        )
    else:
        result = load_file(path, name, area=study, **load_kwargs)
        gdf = result.gdf
    suffix = ".csv" if SCHEMAS[name].is_table else ".geojson"
    target = base_dir / study.name / f"{name}{suffix}"
    write_layer(gdf, target)
    # Re-read through the strict path so what is stored is exactly what read_layer returns.
    load_file(target, name, area=study, repair=False)
    result.gdf = gdf
    result.changes.append(f"stored as {target}")
    return result


def write_layer(
    gdf: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    precision: int = 7,
) -> Path:
    """Write a layer: GeoJSON (RFC 7946, ``precision`` decimals), GeoPackage, FlatGeobuf or CSV by suffix.

    GeoJSON is written in WGS-84 lon/lat with counter-clockwise exterior rings and no ``crs`` member.
    Built study areas use ``precision=15`` so that measures on them equal those on the source to ~1e-12.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv" or not isinstance(gdf, gpd.GeoDataFrame):
        frame = pd.DataFrame(gdf)
        if "geometry" in frame.columns:
            frame["geometry"] = gpd.GeoSeries(frame["geometry"]).to_wkt()
        frame.to_csv(path, index=False, encoding="utf-8")
        return path
    out = gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf.set_crs("EPSG:4326")
    if suffix in (".geojson", ".json"):
        geoms = shapely.orient_polygons(out.geometry.array, exterior_cw=False)
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs="EPSG:4326"))
        if path.exists():
            path.unlink()
        out.to_file(
            path,
            driver="GeoJSON",
            engine="pyogrio",
            layer_options={
                "RFC7946": "YES",
                "COORDINATE_PRECISION": str(int(precision)),
                "WRITE_NAME": "NO",
            },
        )
        return path
    driver = {".gpkg": "GPKG", ".fgb": "FlatGeobuf", ".shp": "ESRI Shapefile"}.get(suffix)
    if driver is None:
        raise ValueError(
            f"path: unsupported output type '{suffix}' (.geojson .gpkg .fgb .shp .csv)"
        )
    out.to_file(path, driver=driver, engine="pyogrio", layer=layer)
    return path
