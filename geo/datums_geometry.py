"""Datum names and conversion of whole geometry arrays between WGS-84, GCJ-02 and BD-09.

Part of the :mod:`geo.datums` family (import from :mod:`geo.datums`; it re-exports these
names). :func:`normalize_datum` maps user spellings (``"GCJ-02"``, ``"EPSG:4490"``, ...) to
the canonical names :data:`DATUMS`; :func:`convert_geometry` / :func:`convert_gdf` convert every
coordinate in one vectorised call with the lon/lat functions of :mod:`geo.datums_gcj02` and
:mod:`geo.datums_bd09`. Converted geometries are labelled :data:`geo.crs.STORAGE_CRS`
(lon/lat degrees; GCJ-02/BD-09 have no EPSG code of their own).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray

from geo.crs import STORAGE_CRS
from geo.datums_arrays import FloatArray
from geo.datums_bd09 import bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, wgs84_to_bd09
from geo.datums_gcj02 import gcj02_to_wgs84, wgs84_to_gcj02

__all__ = ["DATUMS", "convert_gdf", "convert_geometry", "normalize_datum"]

#: Canonical datum names accepted by :func:`convert_geometry`.
DATUMS = ("wgs84", "gcj02", "bd09")
_DATUM_ALIASES = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "wgs_84": "wgs84",
    "wgs 84": "wgs84",
    "epsg:4326": "wgs84",
    "epsg:4490": "wgs84",
    "cgcs2000": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj_02": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "bd_09": "bd09",
    "bd09ll": "bd09",
}


def normalize_datum(name: str, param: str = "datum") -> str:
    """Canonical datum name (``"wgs84"``, ``"gcj02"`` or ``"bd09"``) for a user-given name.

    Case-insensitive; ``"EPSG:4326"`` and ``"EPSG:4490"`` (CGCS2000, treated as WGS-84) map
    to ``"wgs84"``; ``"GCJ-02"``/``"BD-09"`` spellings are accepted.

    Parameters
    ----------
    name : str
        The datum name.
    param : str, default "datum"
        Parameter name used in the error message.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If the name is unknown (the message names it and the parameter).

    Examples
    --------
    >>> normalize_datum("EPSG:4490"), normalize_datum("GCJ-02"), normalize_datum(" BD09 ")
    ('wgs84', 'gcj02', 'bd09')
    """
    if not isinstance(name, str):
        raise ValueError(f"{param} must be a datum name string, got {name!r}")
    key = name.strip().lower()
    if key not in _DATUM_ALIASES:
        raise ValueError(
            f"unknown datum {name!r} for {param}; expected one of {', '.join(DATUMS)} "
            f"(or EPSG:4326 / EPSG:4490 for WGS-84)"
        )
    return _DATUM_ALIASES[key]


def _lonlat_converter(src: str, dst: str) -> Any:
    table = {
        ("wgs84", "gcj02"): wgs84_to_gcj02,
        ("gcj02", "wgs84"): gcj02_to_wgs84,
        ("gcj02", "bd09"): gcj02_to_bd09,
        ("bd09", "gcj02"): bd09_to_gcj02,
        ("wgs84", "bd09"): wgs84_to_bd09,
        ("bd09", "wgs84"): bd09_to_wgs84,
    }
    return table[(src, dst)]


def _check_geographic(data: gpd.GeoSeries | gpd.GeoDataFrame, param: str) -> None:
    if data.crs is not None and not pyproj.CRS.from_user_input(data.crs).is_geographic:
        raise ValueError(
            f"{param} has the non-geographic CRS {data.crs.to_string()}; GCJ-02/BD-09 "
            f"conversion works on lon/lat degrees - call to_storage() first"
        )


def convert_geometry(geoms: Any, src: str, dst: str) -> Any:
    """Convert geometries between the WGS-84, GCJ-02 and BD-09 lon/lat datums.

    All coordinates of all geometries are converted in one vectorised call
    (``shapely.transform``). Geometry types, Z values, None and empty geometries are kept.

    Parameters
    ----------
    geoms : GeoSeries, shapely geometry, or array_like of shapely geometries / None
        Geometries in lon/lat degrees of datum ``src``. A GeoSeries must have no CRS or a
        geographic one.
    src, dst : str
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"`` (case-insensitive; ``"EPSG:4326"`` and
        ``"EPSG:4490"`` mean WGS-84).

    Returns
    -------
    GeoSeries, geometry or ndarray
        The same kind of container as the input, with converted copies. A GeoSeries keeps its
        index and name and is labelled EPSG:4326 (lon/lat degrees; GCJ-02/BD-09 coordinates
        have no EPSG code of their own).

    Raises
    ------
    ValueError
        If ``src``/``dst`` is unknown, ``geoms`` holds non-geometries, or a GeoSeries has a
        projected CRS.

    Examples
    --------
    >>> from shapely import Point
    >>> convert_geometry(Point(116.404, 39.915), "WGS84", "gcj02").wkt
    'POINT (116.41024449916938 39.91640428150164)'
    """
    s = normalize_datum(src, "src")
    d = normalize_datum(dst, "dst")

    def func(coords: FloatArray) -> FloatArray:
        out = np.array(coords, dtype=np.float64)
        if s != d and len(out):
            out[:, 0], out[:, 1] = _lonlat_converter(s, d)(coords[:, 0], coords[:, 1])
        return out

    if isinstance(geoms, gpd.GeoSeries):
        _check_geographic(geoms, "geoms")
        values = np.asarray(geoms.array, dtype=object)
        converted = _transform(values, func)
        return gpd.GeoSeries(converted, index=geoms.index, name=geoms.name, crs=STORAGE_CRS)
    if isinstance(geoms, shapely.Geometry) or geoms is None:
        return _transform(np.array([geoms], dtype=object), func)[0]
    try:
        values = np.asarray(geoms, dtype=object)
    except (TypeError, ValueError):
        raise ValueError(f"geoms must be shapely geometries, got {type(geoms).__name__}") from None
    return _transform(values, func)


def _transform(values: NDArray[Any], func: Any) -> NDArray[Any]:
    try:
        return np.asarray(shapely.transform(values, func, include_z=None), dtype=object)
    except TypeError as exc:
        raise ValueError(f"geoms must hold shapely geometries or None: {exc}") from None


def convert_gdf(gdf: gpd.GeoDataFrame, src: str, dst: str) -> gpd.GeoDataFrame:
    """Copy of a GeoDataFrame with its active geometry converted between lon/lat datums.

    Parameters
    ----------
    gdf : GeoDataFrame
        With no CRS or a geographic one (GCJ-02/BD-09 data are often labelled EPSG:4326).
    src, dst : str
        See :func:`convert_geometry`.

    Returns
    -------
    GeoDataFrame
        A copy whose geometry is converted and whose CRS is EPSG:4326 (lon/lat degrees).

    Raises
    ------
    ValueError
        If ``gdf`` is not a GeoDataFrame, has a projected CRS, or a datum name is unknown.

    Examples
    --------
    >>> from shapely import Point
    >>> g = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(116.404, 39.915)], crs=STORAGE_CRS)
    >>> convert_gdf(g, "wgs84", "bd09").crs.to_epsg()
    4326
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise ValueError(f"gdf must be a GeoDataFrame, got {type(gdf).__name__}")
    _check_geographic(gdf, "gdf")
    geom = convert_geometry(gdf.geometry, src, dst)
    out = gdf.copy()
    out[gdf.geometry.name] = geom
    return out.set_crs(STORAGE_CRS, allow_override=True)
