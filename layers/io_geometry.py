"""Geometry checks on a loaded layer (already in EPSG:4326): presence, type, validity, extent, quality.

Problems go into the caller's list, one per feature (capped), so :func:`layers.io.load_file` can raise
them all at once; repairs made with ``make_valid`` are reported in ``changes``.

Examples
--------
>>> import shapely
>>> mixed = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.LineString([(0, 0), (2, 2)])])
>>> _polygonal(mixed).wkt
'POLYGON ((1 0, 1 1, 0 1, 0 0, 1 0))'
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from layers.errors import Problem
from layers.io_problems import flag_rows
from layers.schema import LayerSchema
from layers.studyarea import StudyArea


def _check_geometry(
    gdf: gpd.GeoDataFrame,
    schema: LayerSchema,
    name: str,
    area: StudyArea | None,
    repair: bool,
    problems: list[Problem],
    changes: list[str],
) -> gpd.GeoDataFrame:
    """Check every feature's geometry against ``schema`` and the study extent (degrees, EPSG:4326).

    Invalid geometry is repaired (``repair=True``, reported in ``changes``) or reported as a problem.
    Returns ``gdf``, or a repaired copy.
    """
    geoms = gdf.geometry.array
    missing = np.asarray(gdf.geometry.isna() | gdf.geometry.is_empty, dtype=bool)
    if schema.geometry_required:
        flag_rows(problems, name, np.flatnonzero(missing), "geometry", "empty or missing geometry")
    present = ~missing
    types = np.asarray(gdf.geometry.geom_type.fillna(""), dtype=object)
    bad_type = present & ~np.isin(types, schema.geometry_types)
    expected = ", ".join(schema.geometry_types)
    flag_rows(
        problems,
        name,
        np.flatnonzero(bad_type),
        "geometry",
        lambda i: f"{types[i]} not allowed (expected {expected})",
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
        _check_extent(gdf, area, present, name, problems)
    return gdf


def _check_extent(
    gdf: gpd.GeoDataFrame,
    area: StudyArea,
    present: np.ndarray,
    name: str,
    problems: list[Problem],
) -> None:
    """Flag features whose bounds leave the study area's lon/lat extent (a CRS or datum mix-up)."""
    w, s, e, n = area.extent
    b = shapely.bounds(gdf.geometry.array[present])
    outside = (b[:, 0] < w) | (b[:, 1] < s) | (b[:, 2] > e) | (b[:, 3] > n)
    rows = np.flatnonzero(present)[outside]

    def message(i: int) -> str:
        x0, y0, x1, y1 = shapely.bounds(gdf.geometry.array[i])
        return (
            f"outside the study area '{area.name}' extent {area.extent} "
            f"(feature bounds {x0:.5f}, {y0:.5f}, {x1:.5f}, {y1:.5f}): wrong CRS, "
            "swapped lon/lat, or a GCJ-02/BD-09 offset?"
        )

    flag_rows(problems, name, rows, "geometry", message, limit=20)
    if len(rows) > 20:
        problems.append(Problem(name, None, "geometry", f"{len(rows)} features outside the extent"))


def _check_quality(gdf: gpd.GeoDataFrame, name: str, problems: list[Problem]) -> np.ndarray:
    """Flag ``geometry_quality`` values that contradict the geometry; return the has-geometry mask.

    ``"none"`` is the quality of a feature without geometry, and only of such a feature.
    """
    has_geom = np.asarray(~(gdf.geometry.isna() | gdf.geometry.is_empty), dtype=bool)
    quality = gdf["geometry_quality"].to_numpy(dtype=object)
    flag_rows(
        problems,
        name,
        np.flatnonzero(has_geom & (quality == "none")),
        "geometry_quality",
        "is 'none' but the feature has geometry",
        limit=20,
    )
    flag_rows(
        problems,
        name,
        np.flatnonzero(~has_geom & (quality != "none")),
        "geometry_quality",
        lambda i: f"is {quality[i]!r} but the feature has no geometry",
        limit=20,
    )
    return has_geom


def _polygonal(g: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of ``g`` (an empty polygon if it has none); ``None`` stays ``None``."""
    if g is None or g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()
