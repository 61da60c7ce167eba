"""Conversions between WGS-84 and the Chinese map datums GCJ-02 and BD-09.

GCJ-02 ("Mars coordinates", used by Amap/Gaode, Tencent and Chinese Google maps) and BD-09
(Baidu) are obfuscated lon/lat frames that pyproj does not know. This module converts them
to/from WGS-84 with vectorised numpy functions (:func:`wgs84_to_gcj02`, :func:`gcj02_to_wgs84`,
:func:`gcj02_to_bd09`, :func:`bd09_to_gcj02`, :func:`wgs84_to_bd09`, :func:`bd09_to_wgs84`):
the forward formulas exactly, the GCJ-02 inverse iteratively (to ``tol_m``, 1 cm by default).
Whole geometry arrays are converted with :func:`convert_geometry` / :func:`convert_gdf`.

All coordinates are lon/lat in degrees. CGCS2000 (``EPSG:4490``) counts as WGS-84, as in the
CRS policy of :mod:`geo.crs`; converted geometries are labelled :data:`geo.crs.STORAGE_CRS`
(GCJ-02/BD-09 have no EPSG code of their own).
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

from geo.crs import STORAGE_CRS

__all__ = [
    "BD09_X_PI",
    "DATUMS",
    "GCJ02_A",
    "GCJ02_EE",
    "GCJ02_OUT_OF_CHINA_BOUNDS",
    "ConvergenceError",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert_gdf",
    "convert_geometry",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "normalize_datum",
    "out_of_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatArray = NDArray[np.float64]

#: Semi-major axis (m) of the Krasovsky 1940 ellipsoid used by the GCJ-02 formula.
GCJ02_A = 6378245.0
#: First eccentricity squared of the Krasovsky 1940 ellipsoid used by the GCJ-02 formula.
GCJ02_EE = 0.00669342162296594323
#: (min_lon, min_lat, max_lon, max_lat) of the "out of China" rule of the GCJ-02 formula: points
#: strictly outside this box (or on no side of it) are passed through unchanged. This is the box
#: of the widely copied reference implementation (e.g. github.com/googollee/eviltransform);
#: some libraries use a narrower box (73.66-135.05 E, 3.86-53.55 N) instead.
GCJ02_OUT_OF_CHINA_BOUNDS = (72.004, 0.8293, 137.8347, 55.8271)
#: The ``x_pi`` constant of the BD-09 formulas (pi * 3000 / 180).
BD09_X_PI = math.pi * 3000.0 / 180.0

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

# Mean metres per degree of latitude; only used to express convergence residuals in metres.
_M_PER_DEG = 111_320.0


class ConvergenceError(ValueError):
    """The iterative GCJ-02 -> WGS-84 inverse did not reach the requested tolerance."""


# ---------------------------------------------------------------------------------------------
# GCJ-02 / BD-09
# ---------------------------------------------------------------------------------------------


def _as_float(value: ArrayLike, name: str) -> FloatArray:
    if value is None:
        raise ValueError(f"{name} must be numeric degrees, got None")
    try:
        arr = np.array(value, dtype=np.float64)  # always a copy
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric degrees, got {value!r:.80}") from None
    return arr


def _lonlat_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_a = _as_float(lon, "lon")
    lat_a = _as_float(lat, "lat")
    if lon_a.shape != lat_a.shape:
        raise ValueError(
            f"lon and lat must have the same shape; got lon shape {lon_a.shape} and "
            f"lat shape {lat_a.shape}"
        )
    return lon_a, lat_a


def _keep_nonfinite(
    lon: FloatArray, lat: FloatArray, new_lon: FloatArray, new_lat: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Where lon or lat is NaN/inf, return the input unchanged (NaN stays NaN, no exception)."""
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    return np.where(bad, lon, new_lon), np.where(bad, lat, new_lat)


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """The GCJ-02 "out of China" rule: True where the offset is not applied.

    A point is out of China when it lies outside :data:`GCJ02_OUT_OF_CHINA_BOUNDS`
    (lon 72.004-137.8347 E, lat 0.8293-55.8271 N, bounds inclusive). This is a bounding box, not
    the border: parts of neighbouring countries inside the box are offset too, as every
    GCJ-02 implementation does. NaN coordinates are reported as out of China.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees, same shape.

    Returns
    -------
    ndarray of bool

    Examples
    --------
    >>> out_of_china([116.4, 2.35], [39.9, 48.86]).tolist()
    [False, True]
    """
    lon_a, lat_a = _lonlat_arrays(lon, lat)
    min_lon, min_lat, max_lon, max_lat = GCJ02_OUT_OF_CHINA_BOUNDS
    inside = (lon_a >= min_lon) & (lon_a <= max_lon) & (lat_a >= min_lat) & (lat_a <= max_lat)
    return np.asarray(~inside, dtype=np.bool_)


def _gcj02_delta(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS-84 (lon, lat); no out-of-China rule."""
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    dlat += common
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    dlon += common
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = np.sin(radlat)
    magic = 1.0 - GCJ02_EE * magic * magic
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((GCJ02_A * (1.0 - GCJ02_EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (GCJ02_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 lon/lat to GCJ-02 (forward formula, Krasovsky ellipsoid constants).

    Uses the published GCJ-02 forward formula with ``a = 6378245.0`` and
    ``ee = 0.00669342162296594323``. Points out of China (see :func:`out_of_china`) are
    returned unchanged. Points with a NaN (or infinite) coordinate are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 longitudes and latitudes in degrees (scalars or arrays of the same shape).

    Returns
    -------
    (lon, lat) : tuple of ndarray
        GCJ-02 degrees, new float64 arrays of the input shape (0-d for scalars).

    Raises
    ------
    ValueError
        If ``lon``/``lat`` are not numeric or their shapes differ.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
    >>> round(float(lon), 8), round(float(lat), 8)
    (116.4102445, 39.91640428)
    >>> wgs84_to_gcj02([2.35], [48.86])  # Paris: out of China, unchanged
    (array([2.35]), array([48.86]))
    """
    lon_a, lat_a = _lonlat_arrays(lon, lat)
    with np.errstate(invalid="ignore"):
        dlon, dlat = _gcj02_delta(lon_a, lat_a)
    keep = out_of_china(lon_a, lat_a)  # includes points with a NaN coordinate
    out_lon = np.where(keep, lon_a, lon_a + dlon)
    out_lat = np.where(keep, lat_a, lat_a + dlat)
    return out_lon, out_lat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, tol_m: float = 0.01, max_iter: int = 30
) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 lon/lat to WGS-84 by iterating the forward formula.

    Fixed-point iteration ``w <- w - (wgs84_to_gcj02(w) - g)`` starting from ``w = g``; the
    offset field varies slowly (its gradient is of order 1e-3), so the error shrinks by about
    three orders of magnitude per step and typically 3-4 steps reach ``tol_m``. The
    out-of-China rule (:func:`out_of_china`) is evaluated on the GCJ-02 input, as in the
    reference implementations: such points are returned unchanged. Within about 1 km of the
    rule's box edge the inverse is therefore not exact (irrelevant for any Chinese city).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitudes and latitudes in degrees (scalars or arrays of the same shape).
    tol_m : float, default 0.01
        Stop when every point's forward residual is below this many metres.
    max_iter : int, default 30
        Maximum number of iterations.

    Returns
    -------
    (lon, lat) : tuple of ndarray
        WGS-84 degrees, new float64 arrays of the input shape. Points with a NaN (or
        infinite) coordinate are returned unchanged.

    Raises
    ------
    ValueError
        If inputs are not numeric, their shapes differ, or ``tol_m``/``max_iter`` are invalid.
    ConvergenceError
        If some point has not converged after ``max_iter`` iterations (names the first one).

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(116.4102445, 39.91640428)
    >>> round(float(lon), 6), round(float(lat), 6)
    (116.404, 39.915)
    """
    if not (isinstance(tol_m, (int, float)) and math.isfinite(tol_m) and tol_m > 0):
        raise ValueError(f"tol_m must be a positive number of metres, got {tol_m!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    g_lon, g_lat = _lonlat_arrays(lon, lat)
    active = ~out_of_china(g_lon, g_lat)  # NaN counts as out of China: passes through
    out_lon = g_lon.copy()
    out_lat = g_lat.copy()
    if not np.any(active):
        return out_lon, out_lat
    gl = g_lon[active]
    ga = g_lat[active]
    wl = gl.copy()
    wa = ga.copy()
    coslat = np.cos(np.radians(ga))
    for _ in range(int(max_iter)):
        dlon, dlat = _gcj02_delta(wl, wa)
        rl = wl + dlon - gl
        ra = wa + dlat - ga
        resid_m = np.hypot(ra * _M_PER_DEG, rl * _M_PER_DEG * coslat)
        if float(np.max(resid_m)) < tol_m:
            break
        wl -= rl
        wa -= ra
    else:
        worst = int(np.argmax(resid_m))
        raise ConvergenceError(
            f"gcj02_to_wgs84 did not converge to tol_m={tol_m} m within max_iter={max_iter} "
            f"iterations for {int(np.sum(resid_m >= tol_m))} point(s); worst residual "
            f"{float(resid_m[worst]):.3g} m at GCJ-02 "
            f"(lon={float(gl[worst])!r}, lat={float(ga[worst])!r})"
        )
    out_lon[active] = wl
    out_lat[active] = wa
    return out_lon, out_lat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 lon/lat to Baidu BD-09 (the standard ``x_pi = pi*3000/180`` formula).

    The formula is applied everywhere (no out-of-China rule), as in the common reference
    implementations. Points with a NaN (or infinite) coordinate are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees (scalars or arrays of the same shape).

    Returns
    -------
    (lon, lat) : tuple of ndarray
        BD-09 degrees.

    Raises
    ------
    ValueError
        If inputs are not numeric or their shapes differ.

    Examples
    --------
    >>> lon, lat = gcj02_to_bd09(116.404, 39.915)
    >>> round(float(lon), 8), round(float(lat), 8)
    (116.41036949, 39.92133699)
    """
    x, y = _lonlat_arrays(lon, lat)
    with np.errstate(invalid="ignore"):
        z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * BD09_X_PI)
        theta = np.arctan2(y, x) + 0.000003 * np.cos(x * BD09_X_PI)
        return _keep_nonfinite(x, y, z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert Baidu BD-09 lon/lat to GCJ-02 (the standard ``x_pi = pi*3000/180`` formula).

    This is the standard closed-form (approximate) inverse of :func:`gcj02_to_bd09`, kept
    because published BD-09 data and tools use it: a round trip GCJ-02 -> BD-09 -> GCJ-02 is off
    by up to about 0.23 m over China (about 0.15 m around Beijing). Points with a NaN (or
    infinite) coordinate are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 degrees (scalars or arrays of the same shape).

    Returns
    -------
    (lon, lat) : tuple of ndarray
        GCJ-02 degrees.

    Raises
    ------
    ValueError
        If inputs are not numeric or their shapes differ.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(116.404, 39.915)
    >>> round(float(lon), 8), round(float(lat), 8)
    (116.39762729, 39.90865674)
    """
    bl, ba = _lonlat_arrays(lon, lat)
    x = bl - 0.0065
    y = ba - 0.006
    with np.errstate(invalid="ignore"):
        z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * BD09_X_PI)
        theta = np.arctan2(y, x) - 0.000003 * np.cos(x * BD09_X_PI)
        return _keep_nonfinite(bl, ba, z * np.cos(theta), z * np.sin(theta))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 lon/lat to BD-09 (``wgs84_to_gcj02`` then ``gcj02_to_bd09``).

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 degrees (scalars or arrays of the same shape).

    Returns
    -------
    (lon, lat) : tuple of ndarray
        BD-09 degrees.

    Examples
    --------
    >>> lon, lat = wgs84_to_bd09(123.0, 45.0)
    >>> round(float(lon), 6), round(float(lat), 6)
    (123.012449, 45.008329)
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, tol_m: float = 0.01, max_iter: int = 30
) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 lon/lat to WGS-84 (``bd09_to_gcj02`` then :func:`gcj02_to_wgs84`).

    Parameters
    ----------
    lon, lat : array_like
        BD-09 degrees (scalars or arrays of the same shape).
    tol_m, max_iter
        Passed to :func:`gcj02_to_wgs84`.

    Returns
    -------
    (lon, lat) : tuple of ndarray
        WGS-84 degrees.

    Examples
    --------
    >>> lon, lat = bd09_to_wgs84(123.0, 45.0)
    >>> round(float(lon), 4), round(float(lat), 4)
    (122.9876, 44.9917)
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat), tol_m=tol_m, max_iter=max_iter)


# ---------------------------------------------------------------------------------------------
# Geometries
# ---------------------------------------------------------------------------------------------


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
