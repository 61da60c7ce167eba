"""Exact, fast park service-area coverage of residential land (the 500 m indicator engine).

The indicator
    ``covered = area(residential ∩ ⋃ buffer(park_i, r_i)) / area(residential)``.

    Distances are measured from the park *boundary* (a polygon buffer; a park given as a point
    is buffered as a point) in one projected metric CRS (metres; Xicheng: ``EPSG:4548``). Areas
    are in square metres. Overlapping service areas are never double counted (the union is
    taken), and overlapping residential parcels are made disjoint first with
    :func:`normalise_demand`.

Buffers are shapely / GEOS buffers
    :func:`service_areas` is ``shapely.buffer(parks, radii, quad_segs=quad_segs)`` with round
    caps and joins: identical to ``GeoSeries.buffer(r, quad_segs=quad_segs)`` in GeoPandas and
    to PostGIS ``ST_Buffer(geom, r, 'quad_segs=N')`` (PostGIS calls the same GEOS buffer
    builder). Results of this module therefore equal the GeoPandas / PostGIS computation with
    the same ``quad_segs``; :func:`naive_covered_area` is that reference, kept for tests and
    benchmarks.

Arc error
    A GEOS buffer approximates every circular arc by chords whose vertices lie *on* the circle.
    Around a point the circle has exactly ``4 * quad_segs`` chords (half-angle
    ``pi / (4 * quad_segs)``); at a polygon corner GEOS rounds the number of chords to the
    nearest integer, so a chord spans at most 1.5 times ``pi / (2 * quad_segs)`` (half-angle
    ``3 * pi / (8 * quad_segs)``). The polygon buffer at ``r`` therefore lies inside the true
    (Euclidean) buffer, and the polygon buffer at ``r / cos(half_angle)`` contains it (every
    chord is at least ``r`` from its centre); see :func:`outer_radius_factor`. That holds for
    points and convex parks. For a *non-convex* polygon (or a line) GEOS may also fill in
    shallow concavities of the input before buffering (``BufferParameters`` simplify factor,
    1 % of the distance), so its buffer can reach beyond the true one (on the OSM parks of
    Xicheng: about 8 of 50 non-convex parks >= 5,000 m², by up to ~1 m).
    :func:`covered_area_bracket` (used by :func:`coverage` and
    :func:`geo.indicator.coverage_table`) therefore does not assume; it *certifies* every park's
    buffers from GEOS's output (:mod:`geo.arcerror`, :mod:`geo.arccert`):

    * outer: the radius ``r * r / d0`` with ``d0`` the exact distance from the boundary of the
      buffer at ``r`` to the park (the park's worst chord), checked with one more exact distance
      (a closed set containing the park whose boundary is ``>= r`` from it contains the true
      buffer). Usually the point factor (3.8 cm at 500 m), not the corner factor (8.5 cm);
    * inner: the buffer itself when every boundary edge is proved within ``r`` of the park
      (points and convex parks: always); otherwise that park's convex pieces
      (:func:`bracket_parks`: constrained Delaunay triangles), only on the parcels it touches.

    The exact-distance indicator lies between the inner and outer results;
    :attr:`CoverageResult.arc_error_bound_pp` is the larger distance from the reported rate to
    either, in percentage points. Only parcels that are not wholly inside one service area can
    grow, so the outer bracket costs one extra pass over the edge parcels. Certificates depend
    only on (park, radius, ``quad_segs``) and are memoised, so a recompute with the same parks
    (another rule set, year or variant) pays only the two passes.

Speed
    :func:`covered_area` does not build the union of all service areas. It indexes the demand
    polygons in a :class:`shapely.STRtree`, finds (service area, parcel) pairs whose boxes meet,
    classifies most of them with numpy from the parcel's box and two disks per park (surely
    disjoint / surely inside: safe bounds that hold for GEOS buffers, see ``_covered_core``),
    tests the rest exactly with prepared ``intersects``/``covers``, and runs an overlay only for
    parcels on an edge: parcel ∩ each touching service area, unioned per parcel. The result is
    mathematically identical to the naive union-then-intersect reference and numerically equal
    to it to ~1e-12 relative. Cost is close to one ``dwithin`` pass over the parcels.

Modules
    This module keeps the entry points (:func:`covered_area`, :func:`covered_area_bracket`,
    :func:`coverage`, :func:`arc_error_bound`) and re-exports the family:
    :mod:`geo.coverage_buffers` (input checks, :func:`service_areas`,
    :func:`naive_covered_area`), :mod:`geo.coverage_rate` (:class:`CoverageResult`, the rate
    and its weights), :mod:`geo._engine` (the fast engine), :mod:`geo.arcerror` and
    :mod:`geo.demand`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from numpy.typing import ArrayLike

from geo._common import DEFAULT_QUAD_SEGS, FloatArray
from geo._engine import _Engine
from geo.arcerror import (
    GEOS_SIMPLIFY_FACTOR,
    bracket_parks,
    bracket_radii,
    outer_radius_factor,
)
from geo.coverage_buffers import _prepare_inputs, naive_covered_area, service_areas
from geo.coverage_rate import CoverageResult, _coverage_result
from geo.demand import normalise_demand

__all__ = [
    "DEFAULT_QUAD_SEGS",
    "GEOS_SIMPLIFY_FACTOR",
    "CoverageResult",
    "arc_error_bound",
    "bracket_parks",
    "bracket_radii",
    "coverage",
    "covered_area",
    "covered_area_bracket",
    "naive_covered_area",
    "normalise_demand",
    "outer_radius_factor",
    "service_areas",
]


def covered_area_bracket(
    demand: gpd.GeoSeries | gpd.GeoDataFrame,
    parks: gpd.GeoSeries | gpd.GeoDataFrame,
    radii: ArrayLike,
    *,
    quad_segs: int = DEFAULT_QUAD_SEGS,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Covered area of each demand polygon with certified brackets for exact (Euclidean) distances.

    ``cov`` is :func:`covered_area` (GEOS buffers, as GeoPandas/PostGIS). The area covered with
    true distances, ``area(d ∩ ⋃ {y : dist(y, park_i) <= r_i})``, lies in ``[cov_in, cov_out]``:

    * ``cov_out`` uses, per park, the radius :func:`geo.arccert.certified_outer_radii` proves to
      give a buffer containing the true one (one exact boundary-to-park distance per park);
    * ``cov_in`` is ``cov`` where every GEOS buffer involved is proved inside the true buffer
      (:func:`geo.arccert.certified_inner`; points and convex parks always are); parcels
      touched by a buffer GEOS grew by simplifying a shallow concavity are recomputed with
      that park's convex pieces (:func:`bracket_parks`).

    Cost: :func:`covered_area`, plus one pass over the parcels on an edge for ``cov_out``, plus
    a pass over the parcels near the (rare) uncertified parks.

    Parameters
    ----------
    demand, parks, radii, quad_segs
        As for :func:`covered_area`.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``cov``, ``cov_in``, ``cov_out`` (m²) per demand polygon, ``cov_in <= cov <= cov_out``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> d = gpd.GeoSeries([box(0, 0, 1000, 1000)], crs="EPSG:4548")
    >>> cov, lo, hi = covered_area_bracket(d, gpd.GeoSeries([Point(0, 0)], crs="EPSG:4548"), 500)
    >>> true = 3.141592653589793 * 500**2 / 4  # a quarter disk
    >>> bool(lo[0] <= true <= hi[0]), round(float(hi[0] - lo[0]), 1)  # m²: arc r=500, 3.8 cm
    (True, 29.6)
    """
    darr, parr, r, q = _prepare_inputs(demand, parks, radii, quad_segs)
    if len(darr) == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    return _Engine(darr, parr, q).bracket(r)


def covered_area(
    demand: gpd.GeoSeries | gpd.GeoDataFrame,
    parks: gpd.GeoSeries | gpd.GeoDataFrame,
    radii: ArrayLike,
    *,
    quad_segs: int = DEFAULT_QUAD_SEGS,
) -> FloatArray:
    """Area (m²) of each demand polygon covered by the union of the parks' service areas.

    Equal (to ~1e-12 relative) to :func:`naive_covered_area`, i.e. to GeoPandas
    ``demand.intersection(parks.buffer(r, quad_segs=N).union_all()).area`` and to the PostGIS
    ``ST_Area(ST_Intersection(d, ST_Union(ST_Buffer(p, r, 'quad_segs=N'))))``, but without
    building the union: parcels far from every park cost one index lookup, parcels wholly
    inside a service area one prepared ``covers`` test, and only parcels on the edge of a
    service area are overlaid.

    Parameters
    ----------
    demand : GeoSeries or GeoDataFrame
        Residential (demand) polygons in a projected CRS in metres. Assumed not to overlap each
        other (see :func:`normalise_demand`).
    parks : GeoSeries or GeoDataFrame
        Park polygons and/or points, same CRS.
    radii : float or array-like of float
        Service radius (m) from the park boundary: one value or one per park.
    quad_segs : int
        Segments per quarter circle of the buffers (default :data:`DEFAULT_QUAD_SEGS`).

    Returns
    -------
    numpy.ndarray
        ``float64`` array, one covered area (m²) per demand polygon, in demand order.

    Raises
    ------
    ValueError
        Naming the parameter: missing geometries, non-polygonal demand, absent/geographic CRS,
        CRS mismatch, negative/NaN radii, radii/parks length mismatch, bad ``quad_segs``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> d = gpd.GeoSeries([box(0, 0, 10, 10), box(900, 0, 910, 10)], crs="EPSG:4548")
    >>> covered_area(d, gpd.GeoSeries([Point(0, 0)], crs="EPSG:4548"), 500).tolist()
    [100.0, 0.0]
    """
    darr, parr, r, q = _prepare_inputs(demand, parks, radii, quad_segs)
    if len(darr) == 0:
        return np.zeros(0)
    covered, _ = _Engine(darr, parr, q).run(r)
    return covered


def _coverage_impl(
    demand: gpd.GeoSeries | gpd.GeoDataFrame,
    parks: gpd.GeoSeries | gpd.GeoDataFrame,
    radii: ArrayLike,
    quad_segs: object,
    weights: ArrayLike | None,
) -> CoverageResult:
    # the one body behind coverage() and arc_error_bound(), which differ only in what they return
    darr, parr, r, q = _prepare_inputs(demand, parks, radii, quad_segs)
    if len(darr) == 0:
        raise ValueError("demand is empty; the coverage rate is undefined")
    eng = _Engine(darr, parr, q)
    covered, cov_in, cov_out = eng.bracket(r)
    return _coverage_result(covered, cov_in, cov_out, eng.area, weights, q)


def coverage(
    demand: gpd.GeoSeries | gpd.GeoDataFrame,
    parks: gpd.GeoSeries | gpd.GeoDataFrame,
    radii: ArrayLike,
    *,
    quad_segs: int = DEFAULT_QUAD_SEGS,
    weights: ArrayLike | None = None,
) -> CoverageResult:
    """Coverage of residential land by park service areas, with its arc error bound.

    Parameters
    ----------
    demand : GeoSeries or GeoDataFrame
        Non-overlapping residential polygons (see :func:`normalise_demand`), projected CRS in
        metres. Must not be empty and must have positive total area.
    parks : GeoSeries or GeoDataFrame
        Park polygons and/or points, same CRS. May be empty (rate 0).
    radii : float or array-like of float
        Service radius (m) from the park boundary, one value or one per park.
    quad_segs : int
        Segments per quarter circle (default :data:`DEFAULT_QUAD_SEGS`).
    weights : array-like of float, optional
        One non-negative weight per demand polygon (e.g. population). The weighted rate is
        ``sum(w_i * covered_i / area_i) / sum(w_i)``.

    Returns
    -------
    CoverageResult
        Covered and total area (m², unweighted), the rate, its arc error bound (pp) and
        ``quad_segs``.

    Raises
    ------
    ValueError
        As :func:`covered_area`, plus empty demand, zero total area, bad or all-zero weights,
        or a positive weight on a zero-area polygon.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> d = gpd.GeoSeries([box(0, 0, 100, 100), box(2000, 0, 2100, 100)], crs="EPSG:4548")
    >>> res = coverage(d, gpd.GeoSeries([Point(50, 50)], crs="EPSG:4548"), 500)
    >>> res.rate_pct, res.arc_error_bound_pp
    (50.0, 0.0)
    >>> coverage(d, gpd.GeoSeries([Point(50, 50)], crs="EPSG:4548"), 500, weights=[1, 3]).rate
    0.25
    """
    return _coverage_impl(demand, parks, radii, quad_segs, weights)


def arc_error_bound(
    demand: gpd.GeoSeries | gpd.GeoDataFrame,
    parks: gpd.GeoSeries | gpd.GeoDataFrame,
    radii: ArrayLike,
    *,
    quad_segs: int = DEFAULT_QUAD_SEGS,
    weights: ArrayLike | None = None,
) -> float:
    """Bound (percentage points) on the error of the polygon-buffer rate vs exact distances.

    The polygon buffer at ``r`` lies inside the true buffer (for non-convex parks: inside it
    after shrinking ``r`` by 1 %, see the module notes) and the polygon buffer at
    ``r * outer_radius_factor(quad_segs, corners=...)`` contains it, so the exact rate lies
    between the inner and outer polygon rates; this returns the larger distance (pp) from the
    reported rate to either. Same as ``coverage(...).arc_error_bound_pp``.

    Parameters
    ----------
    demand, parks, radii, quad_segs, weights
        As for :func:`coverage`.

    Returns
    -------
    float
        Non-negative bound in percentage points.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> d = gpd.GeoSeries([box(-1000, -1000, 1000, 1000)], crs="EPSG:4548")
    >>> b = arc_error_bound(d, gpd.GeoSeries([Point(0, 0)], crs="EPSG:4548"), 500)
    >>> 0.002 < b < 0.004  # ring 2*pi*r*dr (dr = 3.8 cm) over 4 km²: 0.003 pp
    True
    """
    return _coverage_impl(demand, parks, radii, quad_segs, weights).arc_error_bound_pp
