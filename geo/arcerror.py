"""Arc error of polygon buffers: radii and convex pieces that bracket the true (Euclidean) service area.

shapely/GEOS (like PostGIS) put a buffer's vertices on the circle, so a polygon buffer lies inside the true
buffer. Buffers at slightly larger radii contain it. :func:`geo.coverage.coverage` computes both and reports the
difference as the arc error bound of every result. All lengths in metres, in a projected CRS.

The brackets here are a priori ones (:func:`outer_radius_factor`, :func:`bracket_radii`, :func:`bracket_parks`
and the convex pieces of :func:`convex_pieces`). The certificates checked on the buffers GEOS actually made,
tighter (the worst chord of each park, not of any park) and far cheaper than convex pieces, are in
:mod:`geo.arccert`.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from geo._common import (
    _POLYGONAL,
    DEFAULT_QUAD_SEGS,
    FloatArray,
    _check_crs,
    _check_quad_segs,
    _geometry_of,
    _geoms,
    _radii,
)

__all__ = [
    "GEOS_SIMPLIFY_FACTOR",
    "bracket_parks",
    "bracket_radii",
    "convex_pieces",
    "is_nonconvex",
    "outer_radius_factor",
]


def outer_radius_factor(quad_segs: int = DEFAULT_QUAD_SEGS, *, corners: bool = False) -> float:
    """Factor by which a radius must grow for the polygon buffer to contain the true buffer.

    Parameters
    ----------
    quad_segs : int
        Segments per quarter circle.
    corners : bool
        ``False`` for point parks (full circles of exactly ``4 * quad_segs`` chords),
        ``True`` for polygon/line parks (corner fillets may have chords up to 1.5 times longer
        because GEOS rounds their number).

    Returns
    -------
    float
        ``1 / cos(pi / (4 * quad_segs))``, or ``1 / cos(3 * pi / (8 * quad_segs))`` with
        ``corners=True``.

    Examples
    --------
    >>> round(outer_radius_factor(64), 8)
    1.0000753
    >>> round(outer_radius_factor(64, corners=True), 8)
    1.00016944
    """
    q = _check_quad_segs(quad_segs)
    half_angle = (3.0 * math.pi / (8 * q)) if corners else (math.pi / (4 * q))
    return 1.0 / math.cos(half_angle)


#: GEOS ``BufferParameters::DEFAULT_SIMPLIFY_FACTOR``: concavities of a buffer input shallower
#: than this fraction of the distance are filled in before buffering.
GEOS_SIMPLIFY_FACTOR: float = 0.01


def bracket_radii(
    parks: gpd.GeoSeries | gpd.GeoDataFrame,
    radii: ArrayLike,
    *,
    quad_segs: int = DEFAULT_QUAD_SEGS,
) -> tuple[FloatArray, FloatArray]:
    """Radii whose GEOS buffers lie inside / contain the true (Euclidean) buffers at ``radii``.

    Outer: points grow by ``outer_radius_factor(q)``, other parks by
    ``outer_radius_factor(q, corners=True)``. Inner: ``radii`` itself, except for non-convex
    parks (and lines), whose input GEOS may fill in before buffering: ``radii / 1.01``. This is
    a conservative (loose) bracket for non-convex parks; :func:`bracket_parks` is tight, and
    :func:`geo.arccert.certified_outer_radii` / :func:`geo.arccert.certified_inner`, which
    :func:`coverage` uses, are tight and cheap.

    Parameters
    ----------
    parks : GeoSeries or GeoDataFrame
        Parks (projected CRS in metres).
    radii : float or array-like of float
        Service radius (m), one or one per park.
    quad_segs : int
        Segments per quarter circle.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Inner and outer radii (m), one per park.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, Polygon
    >>> ell = Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    >>> p = gpd.GeoSeries([Point(0, 0), ell], crs="EPSG:4548")
    >>> inner, outer = bracket_radii(p, 500, quad_segs=64)
    >>> inner.round(3).tolist(), outer.round(3).tolist()
    ([500.0, 495.05], [500.038, 500.085])
    """
    p = _geometry_of(parks, "parks")
    q = _check_quad_segs(quad_segs)
    _check_crs(p.crs, "parks")
    parr = _geoms(p, "parks", polygonal=False)
    r = _radii(radii, len(parr))
    points = np.isin(shapely.get_type_id(parr), (0, 4))
    outer = r * np.where(points, outer_radius_factor(q), outer_radius_factor(q, corners=True))
    inner = np.where(is_nonconvex(parr), r / (1.0 + GEOS_SIMPLIFY_FACTOR), r)
    return inner, outer


def is_nonconvex(parr: NDArray[np.object_]) -> NDArray[np.bool_]:
    """Parks whose GEOS buffer may exceed the true buffer (non-convex polygons, lines).

    GEOS buffers points and convex polygons without simplifying them; any other non-empty park
    (a polygon with a hole or a concavity, a line, a collection) may have concavities filled in
    first (:data:`GEOS_SIMPLIFY_FACTOR`).

    Parameters
    ----------
    parr : numpy.ndarray of shapely geometries
        Parks (projected CRS, metres).

    Returns
    -------
    numpy.ndarray of bool
        ``True`` per park that is not a (multi)point or a (multi)polygon of convex, hole-free
        parts; ``False`` for empty geometries.

    Examples
    --------
    >>> from shapely import Point, Polygon, box
    >>> ell = Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    >>> is_nonconvex(np.array([Point(0, 0), box(0, 0, 1, 1), ell], dtype=object)).tolist()
    [False, False, True]
    """
    n = len(parr)
    tid = shapely.get_type_id(parr)
    out = ~np.isin(tid, (0, 3, 4, 6))  # not (Multi)Point / (Multi)Polygon: conservative
    poly = np.flatnonzero(np.isin(tid, _POLYGONAL))
    if len(poly):
        parts, idx = shapely.get_parts(parr[poly], return_index=True)
        area = shapely.area(parts)
        hull = shapely.area(shapely.convex_hull(parts))
        bad = (shapely.get_num_interior_rings(parts) > 0) | (hull > area * (1 + 1e-9))
        flag = np.zeros(len(poly), dtype=bool)
        np.logical_or.at(flag, idx, bad)
        out[poly] |= flag
    out &= ~shapely.is_empty(parr)
    return out if n else np.zeros(0, dtype=bool)


def convex_pieces(
    parr: NDArray[np.object_], r: FloatArray, q: int
) -> tuple[NDArray[np.object_], FloatArray, FloatArray, NDArray[np.intp]]:
    """Convex pieces of the parks with inner/outer bracket radii; see :func:`bracket_parks`.

    The array-level core of :func:`bracket_parks`, without its input checks.

    Parameters
    ----------
    parr : numpy.ndarray of shapely geometries
        Parks (projected CRS, metres).
    r : numpy.ndarray
        Service radius (m) per park.
    q : int
        Segments per quarter circle (already validated).

    Returns
    -------
    pieces : numpy.ndarray of shapely geometries
        Convex pieces.
    inner, outer : numpy.ndarray
        Radii (m) per piece for the inner and outer bracket.
    source : numpy.ndarray
        Position (0-based) in ``parr`` of the park each piece comes from.
    """
    n = len(parr)
    nonconvex = is_nonconvex(parr)
    keep = np.flatnonzero(~nonconvex)
    pieces = [parr[keep]]
    src = [keep]
    conservative = [np.zeros(len(keep), dtype=bool)]
    bad = np.flatnonzero(nonconvex)
    if len(bad):
        parts, pidx = shapely.get_parts(parr[bad], return_index=True)
        pidx = bad[pidx]
        tid = shapely.get_type_id(parts)
        # polygons -> constrained Delaunay triangles (convex; their union is the polygon)
        poly = np.isin(tid, _POLYGONAL)
        if poly.any():
            tri, tidx = shapely.get_parts(
                shapely.constrained_delaunay_triangles(parts[poly]), return_index=True
            )
            ok = shapely.area(tri) > 0
            pieces.append(tri[ok])
            src.append(pidx[poly][tidx[ok]])
            conservative.append(np.zeros(int(ok.sum()), dtype=bool))
        # lines -> straight segments (convex)
        line = np.isin(tid, (1, 2))
        if line.any():
            coords, cidx = shapely.get_coordinates(parts[line], return_index=True)
            same = cidx[1:] == cidx[:-1]
            seg = np.stack([coords[:-1][same], coords[1:][same]], axis=1)
            pieces.append(np.asarray(shapely.linestrings(seg), dtype=object))
            src.append(pidx[line][cidx[:-1][same]])
            conservative.append(np.zeros(int(same.sum()), dtype=bool))
        # points stay; anything else (nested collections) keeps the conservative bracket
        rest = ~poly & ~line
        if rest.any():
            pieces.append(parts[rest])
            src.append(pidx[rest])
            conservative.append(~np.isin(tid[rest], (0, 4)))
    all_pieces = np.concatenate(pieces).astype(object) if n else np.zeros(0, dtype=object)
    all_src = np.concatenate(src).astype(np.intp) if n else np.zeros(0, dtype=np.intp)
    cons = np.concatenate(conservative) if n else np.zeros(0, dtype=bool)
    rp = r[all_src]
    points = np.isin(shapely.get_type_id(all_pieces), (0, 4))
    r_out = rp * np.where(points, outer_radius_factor(q), outer_radius_factor(q, corners=True))
    r_in = np.where(cons, rp / (1.0 + GEOS_SIMPLIFY_FACTOR), rp)
    return all_pieces, r_in, r_out, all_src


def bracket_parks(
    parks: gpd.GeoSeries | gpd.GeoDataFrame,
    radii: ArrayLike,
    *,
    quad_segs: int = DEFAULT_QUAD_SEGS,
) -> tuple[gpd.GeoSeries, FloatArray, FloatArray, NDArray[np.intp]]:
    """Convex pieces of the parks whose GEOS buffers bracket the true (Euclidean) buffers.

    Points and convex polygons are kept; non-convex polygons are cut into constrained Delaunay
    triangles and lines into segments (a buffer of a union is the union of the buffers, and GEOS
    buffers convex inputs without simplifying them). Then, with ``U(r)`` the union of the GEOS
    buffers of the pieces, ``U(inner) ⊆ true buffer(parks, radii) ⊆ U(outer)``. This is how
    :func:`coverage` brackets its rate; use it to bracket any other aggregate the same way
    (e.g. per subdistrict with :func:`covered_area`).

    Parameters
    ----------
    parks : GeoSeries or GeoDataFrame
        Parks (projected CRS in metres).
    radii : float or array-like of float
        Service radius (m), one or one per park.
    quad_segs : int
        Segments per quarter circle.

    Returns
    -------
    pieces : GeoSeries
        Convex pieces (same CRS), a fresh 0..n-1 index.
    inner, outer : numpy.ndarray
        Radii (m) per piece for the inner and outer bracket.
    source : numpy.ndarray
        Position (0-based) in ``parks`` of the park each piece comes from.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, Polygon
    >>> ell = Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    >>> p = gpd.GeoSeries([Point(0, 0), ell], crs="EPSG:4548")
    >>> pieces, inner, outer, src = bracket_parks(p, 500, quad_segs=64)
    >>> len(pieces), src.tolist()
    (5, [0, 1, 1, 1, 1])
    >>> inner.tolist() == [500.0] * 5, outer.round(3).tolist()[:2]
    (True, [500.038, 500.085])
    """
    p = _geometry_of(parks, "parks")
    q = _check_quad_segs(quad_segs)
    _check_crs(p.crs, "parks")
    parr = _geoms(p, "parks", polygonal=False)
    r = _radii(radii, len(parr))
    pieces, r_in, r_out, src = convex_pieces(parr, r, q)
    return gpd.GeoSeries(pieces, crs=p.crs), r_in, r_out, src
