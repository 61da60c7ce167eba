"""Inputs and GEOS service areas of the coverage indicator, with the naive union reference.

Part of the :mod:`geo.coverage` family (import from :mod:`geo.coverage`; it re-exports these
names). This module holds the buffer side of the indicator, i.e. what GeoPandas / PostGIS
compute: :func:`service_areas` (``shapely.buffer(parks, radii, quad_segs=quad_segs)``, round
caps and joins) and :func:`naive_covered_area` (union of all service areas, then intersect each
parcel), the reference the fast engine of :func:`geo.coverage.covered_area` is checked
against. ``_prepare_inputs`` is the input check every demand × parks entry point shares.

All geometries are in one projected metric CRS (metres; Xicheng: ``EPSG:4548``); areas are in
square metres.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from geo._common import (
    DEFAULT_QUAD_SEGS,
    FloatArray,
    _check_crs,
    _check_quad_segs,
    _check_same_crs,
    _geometry_of,
    _geoms,
    _radii,
)

__all__ = ["naive_covered_area", "service_areas"]


def _prepare_inputs(
    demand: gpd.GeoSeries | gpd.GeoDataFrame,
    parks: gpd.GeoSeries | gpd.GeoDataFrame,
    radii: ArrayLike,
    quad_segs: object,
) -> tuple[NDArray[np.object_], NDArray[np.object_], FloatArray, int]:
    # one check order for every entry point, so the same bad input gives the same error
    d = _geometry_of(demand, "demand")
    p = _geometry_of(parks, "parks")
    q = _check_quad_segs(quad_segs)
    _check_crs(d.crs, "demand")
    _check_crs(p.crs, "parks")
    _check_same_crs(d, p, "demand", "parks")
    r = _radii(radii, len(p))
    return _geoms(d, "demand", polygonal=True), _geoms(p, "parks", polygonal=False), r, q


def service_areas(
    parks: gpd.GeoSeries | gpd.GeoDataFrame,
    radii: ArrayLike,
    *,
    quad_segs: int = DEFAULT_QUAD_SEGS,
) -> gpd.GeoSeries:
    """Service area of each park: its geometry buffered by its radius.

    Identical to ``parks.buffer(radii, quad_segs=quad_segs)`` (GeoPandas) and to PostGIS
    ``ST_Buffer(geom, r, 'quad_segs=N')``: round caps and joins, vertices on the circle.

    Parameters
    ----------
    parks : GeoSeries or GeoDataFrame
        Park polygons and/or points in a projected CRS in metres.
    radii : float or array-like of float
        Service radius in metres, one value or one per park; finite and >= 0.
    quad_segs : int
        Segments per quarter circle (default :data:`DEFAULT_QUAD_SEGS`).

    Returns
    -------
    GeoSeries
        Service areas (same index and CRS as ``parks``). A point with radius 0 gives an empty
        polygon.

    Raises
    ------
    ValueError
        On a missing geometry, geographic/absent CRS, bad radii or bad ``quad_segs``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> sa = service_areas(gpd.GeoSeries([Point(0, 0)], crs="EPSG:4548"), 500, quad_segs=1)
    >>> round(float(sa.area.iloc[0]))  # a square inscribed in the circle: 2 r^2
    500000
    """
    p = _geometry_of(parks, "parks")
    q = _check_quad_segs(quad_segs)
    _check_crs(p.crs, "parks")
    arr = _geoms(p, "parks", polygonal=False)
    r = _radii(radii, len(arr))
    out = shapely.buffer(arr, r, quad_segs=q)
    return gpd.GeoSeries(out, index=p.index, crs=p.crs)


def naive_covered_area(
    demand: gpd.GeoSeries | gpd.GeoDataFrame,
    parks: gpd.GeoSeries | gpd.GeoDataFrame,
    radii: ArrayLike,
    *,
    quad_segs: int = DEFAULT_QUAD_SEGS,
) -> FloatArray:
    """Reference implementation: union of all service areas, then intersect each parcel.

    ``service_areas(parks, radii).union_all()`` then ``demand.intersection(served).area``.
    Slow (every parcel is overlaid with the whole union) but obviously right; used to check
    :func:`geo.coverage.covered_area`.

    Parameters
    ----------
    demand, parks, radii, quad_segs
        As for :func:`geo.coverage.covered_area`.

    Returns
    -------
    numpy.ndarray
        Covered area (m²) of each demand polygon.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> d = gpd.GeoSeries([box(0, 0, 10, 10)], crs="EPSG:4548")
    >>> naive_covered_area(d, gpd.GeoSeries([Point(0, 0)], crs="EPSG:4548"), 100).tolist()
    [100.0]
    """
    darr, parr, r, q = _prepare_inputs(demand, parks, radii, quad_segs)
    if len(darr) == 0:
        return np.zeros(0)
    served = shapely.union_all(shapely.buffer(parr, r, quad_segs=q))
    return np.asarray(shapely.area(shapely.intersection(darr, served)), dtype=np.float64)
