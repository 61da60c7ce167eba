"""The project's coordinate reference system (CRS) policy, in one place.

Storage and exchange
    WGS-84 longitude/latitude in degrees, :data:`STORAGE_CRS` (``EPSG:4326``).
    CGCS2000 geographic, :data:`CGCS2000_GEOGRAPHIC` (``EPSG:4490``), is accepted on input and
    treated as equivalent to WGS-84 at map precision: both are ITRF-aligned and agree to a few
    centimetres at CGCS2000's epoch 2000.0; CGCS2000 is fixed to that epoch while current WGS-84
    realisations move with the plate (a few cm per year, so well under a metre today). That is
    below map precision and below the accuracy of any boundary this project ships, so no datum
    shift is applied: :func:`to_storage` relabels ``EPSG:4490`` data as ``EPSG:4326``.

Metric work
    Distances, buffers and areas are computed in a projected CRS in metres chosen by
    :func:`metric_crs_for` (or fixed per study area in ``data/studyareas/<name>.toml``). Inside
    China's bounding box the CGCS2000 3-degree Gauss-Kruger zone whose central meridian is the
    nearest multiple of 3 degrees is used (Xicheng: ``EPSG:4548``, CM 117E); elsewhere the local
    WGS-84 UTM zone.

Chinese map datums (GCJ-02, BD-09)
    GCJ-02 ("Mars coordinates", used by Amap/Gaode, Tencent and Chinese Google maps) and BD-09
    (Baidu) are obfuscated lon/lat frames that pyproj does not know. This module converts them
    to/from WGS-84 with vectorised numpy functions (:func:`wgs84_to_gcj02`,
    :func:`gcj02_to_wgs84`, :func:`gcj02_to_bd09`, :func:`bd09_to_gcj02`, :func:`wgs84_to_bd09`,
    :func:`bd09_to_wgs84`) and converts whole geometry arrays with :func:`convert_geometry` /
    :func:`convert_gdf`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "BD09_X_PI",
    "CGCS2000_GEOGRAPHIC",
    "CHINA_METRIC_BOUNDS",
    "DATUMS",
    "GCJ02_A",
    "GCJ02_EE",
    "GCJ02_OUT_OF_CHINA_BOUNDS",
    "STORAGE_CRS",
    "ConvergenceError",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert_gdf",
    "convert_geometry",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "metric_crs_for",
    "metric_crs_for_bounds",
    "normalize_datum",
    "out_of_china",
    "to_metric",
    "to_storage",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatArray = NDArray[np.float64]
GeoT = TypeVar("GeoT", gpd.GeoDataFrame, gpd.GeoSeries)

#: Storage/exchange CRS of every layer: WGS-84 longitude/latitude (degrees).
STORAGE_CRS = "EPSG:4326"
#: CGCS2000 geographic CRS. Accepted on input and treated as equal to WGS-84 (they differ by well
#: under a metre, below map precision); no datum shift is applied.
CGCS2000_GEOGRAPHIC = "EPSG:4490"

#: (min_lon, min_lat, max_lon, max_lat) of the box, in degrees, inside which
#: :func:`metric_crs_for` picks a CGCS2000 3-degree Gauss-Kruger zone (roughly China; a box, not
#: the border).
CHINA_METRIC_BOUNDS = (73.0, 18.0, 135.0, 54.0)

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
# Metric CRS choice
# ---------------------------------------------------------------------------------------------


def _check_lonlat(lon: float, lat: float) -> tuple[float, float]:
    try:
        lon_f = float(lon)
    except (TypeError, ValueError):
        raise ValueError(f"lon must be a number of degrees, got {lon!r}") from None
    try:
        lat_f = float(lat)
    except (TypeError, ValueError):
        raise ValueError(f"lat must be a number of degrees, got {lat!r}") from None
    if not (math.isfinite(lon_f) and -180.0 <= lon_f <= 180.0):
        raise ValueError(f"lon must be a finite longitude in [-180, 180] degrees, got {lon!r}")
    if not (math.isfinite(lat_f) and -90.0 <= lat_f <= 90.0):
        raise ValueError(f"lat must be a finite latitude in [-90, 90] degrees, got {lat!r}")
    return lon_f, lat_f


@lru_cache(maxsize=64)
def _gauss_kruger_crs(central_meridian: int) -> pyproj.CRS:
    """CGCS2000 / 3-degree Gauss-Kruger CM <central_meridian>E, looked up and verified by name."""
    code = 4534 + (central_meridian - 75) // 3
    crs = pyproj.CRS.from_epsg(code)
    expected = f"CGCS2000 / 3-degree Gauss-Kruger CM {central_meridian}E"
    if crs.name != expected:  # pragma: no cover - guards against a changed EPSG database
        raise RuntimeError(f"EPSG:{code} is {crs.name!r}, expected {expected!r}")
    return crs


@lru_cache(maxsize=128)
def _epsg_crs(code: int) -> pyproj.CRS:
    return pyproj.CRS.from_epsg(code)


def metric_crs_for(lon: float, lat: float) -> pyproj.CRS:
    """Projected CRS in metres for metric work around a WGS-84 point.

    Inside :data:`CHINA_METRIC_BOUNDS` (lon 73-135 E, lat 18-54 N, a box roughly covering
    China) this is the CGCS2000 3-degree Gauss-Kruger CRS (EPSG:4534 CM 75E ... EPSG:4554
    CM 135E, no false-easting zone prefix) whose central meridian is the nearest multiple of
    3 degrees. Elsewhere it is the standard WGS-84 UTM zone, north (EPSG:326zz) or south
    (EPSG:327zz); the Norway/Svalbard zone exceptions are not applied, and beyond the UTM
    latitude limits (84 N / 80 S) the polar stereographic UPS CRS is returned.

    Parameters
    ----------
    lon, lat : float
        Longitude and latitude in degrees (WGS-84 / CGCS2000).

    Returns
    -------
    pyproj.CRS
        A projected CRS whose axis unit is the metre.

    Raises
    ------
    ValueError
        If ``lon`` or ``lat`` is not a finite number in range.

    Examples
    --------
    >>> metric_crs_for(116.36, 39.91).to_epsg()  # Xicheng, Beijing
    4548
    >>> metric_crs_for(116.36, 39.91).name
    'CGCS2000 / 3-degree Gauss-Kruger CM 117E'
    >>> metric_crs_for(24.94, 60.17).to_epsg()  # Helsinki
    32635
    >>> metric_crs_for(151.21, -33.87).to_epsg()  # Sydney
    32756
    """
    lon_f, lat_f = _check_lonlat(lon, lat)
    min_lon, min_lat, max_lon, max_lat = CHINA_METRIC_BOUNDS
    if min_lon <= lon_f <= max_lon and min_lat <= lat_f <= max_lat:
        cm = 3 * math.floor(lon_f / 3.0 + 0.5)
        cm = min(max(cm, 75), 135)
        return _gauss_kruger_crs(cm)
    if lat_f > 84.0:
        return _epsg_crs(32661)  # WGS 84 / UPS North (N,E)
    if lat_f < -80.0:
        return _epsg_crs(32761)  # WGS 84 / UPS South (N,E)
    zone = math.floor((lon_f + 180.0) / 6.0) % 60 + 1
    return _epsg_crs((32600 if lat_f >= 0.0 else 32700) + zone)


def metric_crs_for_bounds(bounds: Sequence[float] | NDArray[Any]) -> pyproj.CRS:
    """Projected CRS in metres for a WGS-84 bounding box, chosen at the box centre.

    Parameters
    ----------
    bounds : sequence of 4 floats
        ``(min_lon, min_lat, max_lon, max_lat)`` in degrees, e.g. ``gdf.total_bounds`` of a
        GeoDataFrame in EPSG:4326. Boxes crossing the antimeridian are not supported.

    Returns
    -------
    pyproj.CRS
        ``metric_crs_for(centre_lon, centre_lat)``.

    Raises
    ------
    ValueError
        If ``bounds`` does not hold 4 finite numbers with min <= max.

    Examples
    --------
    >>> metric_crs_for_bounds((116.30, 39.86, 116.41, 39.96)).to_epsg()
    4548
    """
    try:
        arr = np.asarray(bounds, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"bounds must be (min_lon, min_lat, max_lon, max_lat), got {bounds!r}"
        ) from None
    if arr.shape != (4,) or not np.all(np.isfinite(arr)):
        raise ValueError(
            f"bounds must be 4 finite numbers (min_lon, min_lat, max_lon, max_lat), got {bounds!r}"
        )
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in arr)
    if min_lon > max_lon or min_lat > max_lat:
        raise ValueError(f"bounds must have min <= max on both axes, got {bounds!r}")
    return metric_crs_for((min_lon + max_lon) / 2.0, (min_lat + max_lat) / 2.0)


def _require_crs(data: gpd.GeoDataFrame | gpd.GeoSeries, param: str) -> pyproj.CRS:
    if not isinstance(data, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise ValueError(f"{param} must be a GeoDataFrame or GeoSeries, got {type(data).__name__}")
    if data.crs is None:
        raise ValueError(
            f"{param} has no CRS; set one first (layers are stored in {STORAGE_CRS}), "
            f"e.g. {param}.set_crs('{STORAGE_CRS}')"
        )
    return pyproj.CRS.from_user_input(data.crs)


def to_metric(data: GeoT, crs: Any = None) -> GeoT:
    """Reproject a GeoDataFrame/GeoSeries to a projected CRS in metres.

    Parameters
    ----------
    data : GeoDataFrame or GeoSeries
        Input with a CRS set (any CRS pyproj knows, usually EPSG:4326).
    crs : optional
        Target CRS (anything ``pyproj.CRS.from_user_input`` accepts, e.g. ``"EPSG:4548"`` from a
        study area's ``metric_crs``). Must be projected. If None, chosen with
        :func:`metric_crs_for_bounds` from the data's WGS-84 bounds.

    Returns
    -------
    GeoDataFrame or GeoSeries
        A reprojected copy (the input is not modified); coordinates in metres.

    Raises
    ------
    ValueError
        If ``data`` has no CRS, ``crs`` is geographic/unknown, or ``crs`` is None and ``data``
        has no non-empty geometry to choose a CRS from.

    Examples
    --------
    >>> from shapely import Point
    >>> s = gpd.GeoSeries([Point(116.36, 39.91)], crs=STORAGE_CRS)
    >>> to_metric(s).crs.to_epsg()
    4548
    """
    src = _require_crs(data, "data")
    if crs is None:
        wgs = (
            data
            if src.equals(pyproj.CRS.from_user_input(STORAGE_CRS))
            else data.to_crs(STORAGE_CRS)
        )
        bounds = np.asarray(wgs.total_bounds, dtype=np.float64)
        if not np.all(np.isfinite(bounds)):
            raise ValueError(
                "data has no non-empty geometry to choose a metric CRS from; pass crs explicitly"
            )
        target = metric_crs_for_bounds(bounds)
    else:
        try:
            target = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError as exc:
            raise ValueError(f"crs {crs!r} is not a CRS pyproj knows: {exc}") from None
        units = {axis.unit_name for axis in target.axis_info}
        if not target.is_projected or units != {"metre"}:
            raise ValueError(f"crs {crs!r} is not a projected CRS in metres")
    if src.equals(target):
        return data.copy()
    return data.to_crs(target)


def to_storage(data: GeoT) -> GeoT:
    """Reproject a GeoDataFrame/GeoSeries to the storage CRS, WGS-84 lon/lat (EPSG:4326).

    CGCS2000 (EPSG:4490) input is treated as equal to WGS-84 (coordinates unchanged, relabelled).

    Parameters
    ----------
    data : GeoDataFrame or GeoSeries
        Input with a CRS set.

    Returns
    -------
    GeoDataFrame or GeoSeries
        A copy in EPSG:4326 (the input is not modified).

    Raises
    ------
    ValueError
        If ``data`` has no CRS.

    Examples
    --------
    >>> from shapely import Point
    >>> s = gpd.GeoSeries([Point(443_000.0, 4_418_000.0)], crs="EPSG:4548")
    >>> to_storage(s).crs.to_epsg()
    4326
    """
    src = _require_crs(data, "data")
    storage = pyproj.CRS.from_user_input(STORAGE_CRS)
    if src.equals(storage):
        return data.copy()
    if src.equals(pyproj.CRS.from_user_input(CGCS2000_GEOGRAPHIC)):
        return data.set_crs(STORAGE_CRS, allow_override=True)  # set_crs returns a copy
    return data.to_crs(STORAGE_CRS)


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
