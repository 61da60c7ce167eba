"""GCJ-02 <-> BD-09 (Baidu) conversion, and WGS-84 <-> BD-09 through GCJ-02.

Part of the :mod:`geo.datums` family (import from :mod:`geo.datums`; it re-exports these
names). BD-09 is Baidu's obfuscated lon/lat frame, defined as a small polar perturbation of
GCJ-02 (the standard ``x_pi = pi*3000/180`` formulas, applied everywhere: no out-of-China
rule). WGS-84 <-> BD-09 chains :mod:`geo.datums_gcj02`. Coordinates are lon/lat in degrees.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from geo.datums_arrays import FloatArray, _keep_nonfinite, _lonlat_arrays
from geo.datums_gcj02 import gcj02_to_wgs84, wgs84_to_gcj02

__all__ = ["BD09_X_PI", "bd09_to_gcj02", "bd09_to_wgs84", "gcj02_to_bd09", "wgs84_to_bd09"]

#: The ``x_pi`` constant of the BD-09 formulas (pi * 3000 / 180).
BD09_X_PI = math.pi * 3000.0 / 180.0


def _bd09_polar(x: FloatArray, y: FloatArray, sign: float) -> tuple[FloatArray, FloatArray]:
    """Polar radius and angle (rad) of (x, y) degrees, with the BD-09 perturbation applied.

    ``sign=1.0`` adds it (GCJ-02 -> BD-09), ``sign=-1.0`` subtracts it (the closed-form
    inverse). ``sign * c * v`` is exactly ``+-(c * v)`` in floating point, so both directions
    give the same bits as the published formulas written out with ``+`` / ``-``.
    """
    z = np.sqrt(x * x + y * y) + sign * 0.00002 * np.sin(y * BD09_X_PI)
    theta = np.arctan2(y, x) + sign * 0.000003 * np.cos(x * BD09_X_PI)
    return z, theta


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
        z, theta = _bd09_polar(x, y, 1.0)
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
        z, theta = _bd09_polar(x, y, -1.0)
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
