"""WGS-84 <-> GCJ-02 conversion: the forward formula and its iterative inverse.

Part of the :mod:`geo.datums` family (import from :mod:`geo.datums`; it re-exports these
names). GCJ-02 ("Mars coordinates", used by Amap/Gaode, Tencent and Chinese Google maps) is an
obfuscated lon/lat frame: :func:`wgs84_to_gcj02` applies the published forward formula exactly
inside the "out of China" box (:func:`out_of_china`), :func:`gcj02_to_wgs84` inverts it by
fixed-point iteration to ``tol_m`` (1 cm by default). Coordinates are lon/lat in degrees.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.datums_arrays import FloatArray, _lonlat_arrays

__all__ = [
    "GCJ02_A",
    "GCJ02_EE",
    "GCJ02_OUT_OF_CHINA_BOUNDS",
    "ConvergenceError",
    "gcj02_to_wgs84",
    "out_of_china",
    "wgs84_to_gcj02",
]

#: Semi-major axis (m) of the Krasovsky 1940 ellipsoid used by the GCJ-02 formula.
GCJ02_A = 6378245.0
#: First eccentricity squared of the Krasovsky 1940 ellipsoid used by the GCJ-02 formula.
GCJ02_EE = 0.00669342162296594323
#: (min_lon, min_lat, max_lon, max_lat) of the "out of China" rule of the GCJ-02 formula: points
#: strictly outside this box (or on no side of it) are passed through unchanged. This is the box
#: of the widely copied reference implementation (e.g. github.com/googollee/eviltransform);
#: some libraries use a narrower box (73.66-135.05 E, 3.86-53.55 N) instead.
GCJ02_OUT_OF_CHINA_BOUNDS = (72.004, 0.8293, 137.8347, 55.8271)

# Mean metres per degree of latitude; only used to express convergence residuals in metres.
_M_PER_DEG = 111_320.0


class ConvergenceError(ValueError):
    """The iterative GCJ-02 -> WGS-84 inverse did not reach the requested tolerance."""


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
