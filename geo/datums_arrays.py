"""Input handling shared by the lon/lat datum conversions of :mod:`geo.datums`.

Part of the :mod:`geo.datums` family (import from :mod:`geo.datums`). Every conversion turns its
``lon``/``lat`` inputs into new float64 arrays of one shape (``_lonlat_arrays``, raising
``ValueError`` naming the parameter at fault) and passes points with a NaN/inf coordinate
through unchanged (``_keep_nonfinite``). Coordinates are lon/lat in degrees.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["FloatArray"]

FloatArray = NDArray[np.float64]


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
