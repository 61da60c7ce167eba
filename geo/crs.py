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

The Chinese map datums GCJ-02 and BD-09, which pyproj does not know, are converted to/from
WGS-84 by :mod:`geo.datums`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pyproj
from numpy.typing import NDArray

__all__ = [
    "CGCS2000_GEOGRAPHIC",
    "CHINA_METRIC_BOUNDS",
    "STORAGE_CRS",
    "metric_crs_for",
    "metric_crs_for_bounds",
    "to_metric",
    "to_storage",
]

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
