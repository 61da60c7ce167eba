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
    buffers from GEOS's output (:mod:`geo.arcerror`):

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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
from geo.arcerror import (
    GEOS_SIMPLIFY_FACTOR,
    _convex_pieces,
    _nonconvex,
    bracket_parks,
    bracket_radii,
    outer_radius_factor,
    park_certificates,
)
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


def _prepare_inputs(
    demand: gpd.GeoSeries | gpd.GeoDataFrame,
    parks: gpd.GeoSeries | gpd.GeoDataFrame,
    radii: ArrayLike,
    quad_segs: object,
) -> tuple[NDArray[np.object_], NDArray[np.object_], FloatArray, int]:
    d = _geometry_of(demand, "demand")
    p = _geometry_of(parks, "parks")
    q = _check_quad_segs(quad_segs)
    _check_crs(d.crs, "demand")
    _check_crs(p.crs, "parks")
    _check_same_crs(d, p, "demand", "parks")
    r = _radii(radii, len(p))
    return _geoms(d, "demand", polygonal=True), _geoms(p, "parks", polygonal=False), r, q


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


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
    :func:`covered_area`.

    Parameters
    ----------
    demand, parks, radii, quad_segs
        As for :func:`covered_area`.

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


@dataclass(frozen=True)
class _Parks:
    """Per-park data for the cheap pre-classification of (service area, parcel) pairs."""

    geoms: NDArray[np.object_]
    cx: FloatArray  # a centre: the point, or the centroid of a polygon
    cy: FloatArray
    inner: FloatArray  # radius of a disk about the centre inside the park (-inf: unknown)
    outer: FloatArray  # radius of a disk about the centre containing the park
    chord_cos: FloatArray  # cos(max chord half-angle): points pi/(4q), others 3pi/(8q)
    nonconvex: NDArray[np.bool_]


def _park_info(parr: NDArray[np.object_], q: int) -> _Parks:
    n = len(parr)
    tid = shapely.get_type_id(parr)
    nonconvex = _nonconvex(parr)
    point = tid == 0
    convex_poly = (tid == 3) & ~nonconvex
    cen = shapely.centroid(parr)
    cx = np.asarray(shapely.get_x(cen), dtype=np.float64)
    cy = np.asarray(shapely.get_y(cen), dtype=np.float64)
    cx = np.nan_to_num(cx)
    cy = np.nan_to_num(cy)
    coords, idx = shapely.get_coordinates(parr, return_index=True)
    outer2 = np.zeros(n)
    if len(idx):
        np.maximum.at(outer2, idx, (coords[:, 0] - cx[idx]) ** 2 + (coords[:, 1] - cy[idx]) ** 2)
    inner = np.full(n, -np.inf)
    inner[point] = 0.0
    if convex_poly.any():
        # the centroid of a convex polygon is inside it; its distance to the boundary is the
        # radius of a disk inside the park
        cp = np.flatnonzero(convex_poly)
        inner[cp] = shapely.distance(cen[cp], shapely.get_exterior_ring(parr[cp]))
    chord_cos = np.where(
        point, math.cos(math.pi / (4 * q)), math.cos(3.0 * math.pi / (8 * q))
    ).astype(np.float64)
    return _Parks(parr, cx, cy, inner, np.sqrt(outer2), chord_cos, nonconvex)


def _group_union_area(
    d_e: NDArray[np.intp], pieces: NDArray[np.object_], covered: FloatArray
) -> None:
    """covered[d] = area of the union of the pieces of d (``d_e`` sorted)."""
    uniq, start, counts = np.unique(d_e, return_index=True, return_counts=True)
    single = counts == 1
    covered[uniq[single]] = shapely.area(pieces[start[single]])
    if (~single).any():
        multi_u = uniq[~single]
        multi_start = start[~single]
        multi_cnt = counts[~single]
        width = int(multi_cnt.max())
        grid = np.full((len(multi_u), width), None, dtype=object)
        rows = np.repeat(np.arange(len(multi_u)), multi_cnt)
        cols = np.arange(int(multi_cnt.sum())) - np.repeat(
            np.cumsum(multi_cnt) - multi_cnt, multi_cnt
        )
        grid[rows, cols] = pieces[np.repeat(multi_start, multi_cnt) + cols]
        covered[multi_u] = shapely.area(shapely.union_all(grid, axis=1))


# safety margin (m) of the pre-classification; far above float rounding at 1e7 m coordinates
_MARGIN_M = 1e-6


def _covered_core(
    darr: NDArray[np.object_],
    area: FloatArray,
    dbounds: FloatArray,
    tree: shapely.STRtree,
    parks: _Parks,
    r: FloatArray,
    q: int,
    subset: NDArray[np.bool_] | None = None,
    sa: NDArray[np.object_] | None = None,
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Covered area of each demand polygon by the union of the buffers of ``parks`` at ``r``.

    Returns ``(covered, full)``: ``full`` marks parcels wholly inside one service area (their
    covered area is their area). ``subset`` (bool mask) restricts the work to those parcels
    (others get 0 and ``full=False``). ``sa``: the buffers of ``parks`` at ``r``, if already made.

    Pairs (service area, parcel) whose bounding boxes meet are first classified with numpy
    from the parcel's bounding box alone, using only facts that hold for GEOS buffers:

    * inside: every corner of the parcel's box is within ``inner + r * chord_cos`` of the park
      centre. A disk of radius ``inner`` about the centre lies inside the park, and the GEOS
      buffer at ``r`` contains every point closer than ``r * chord_cos`` to a convex park
      (chord vertices lie on the circle), so the box, hence the parcel, is inside the buffer.
    * disjoint: the box is farther than ``outer + r`` from the centre; the park lies in the
      disk of radius ``outer`` and its GEOS buffer (points, convex parks) within ``r`` of the
      park. For other parks the reach is measured on the buffer's vertices.

    Only the remaining pairs get exact (prepared) ``intersects``/``covers`` tests, and only
    parcels on an edge get an overlay.
    """
    n = len(darr)
    covered = np.zeros(n)
    full = np.zeros(n, dtype=bool)
    if sa is None:
        sa = np.asarray(shapely.buffer(parks.geoms, r, quad_segs=q), dtype=object)
    live = np.flatnonzero(~shapely.is_empty(sa))
    if n == 0 or len(live) == 0:
        return covered, full
    s_idx, d_idx = tree.query(sa[live])
    s_idx = live[s_idx]
    if subset is not None:
        sel = subset[d_idx]
        s_idx, d_idx = s_idx[sel], d_idx[sel]
    if len(d_idx) == 0:
        return covered, full
    # --- cheap classification from boxes -------------------------------------------------------
    cx, cy = parks.cx[s_idx], parks.cy[s_idx]
    bx0, by0, bx1, by1 = (dbounds[d_idx, k] for k in range(4))
    far_x = np.maximum(np.abs(bx0 - cx), np.abs(bx1 - cx))
    far_y = np.maximum(np.abs(by0 - cy), np.abs(by1 - cy))
    near_x = np.maximum(np.maximum(bx0 - cx, cx - bx1), 0.0)
    near_y = np.maximum(np.maximum(by0 - cy, cy - by1), 0.0)
    rr = r[s_idx]
    inside_r = parks.inner[s_idx] + rr * parks.chord_cos[s_idx] - _MARGIN_M
    inside = (inside_r > 0) & (far_x * far_x + far_y * far_y <= inside_r * np.abs(inside_r))
    # reach of each service area from its centre: r beyond the park's disk for points and
    # convex parks; measured on the buffer's own vertices otherwise (a polygon's farthest point
    # from any centre is a vertex), so nothing is assumed about how GEOS treats them
    reach = parks.outer + r
    odd = np.flatnonzero(parks.nonconvex)
    if len(odd):
        coords, ci = shapely.get_coordinates(sa[odd], return_index=True)
        far2 = np.zeros(len(odd))
        if len(ci):
            dx = coords[:, 0] - parks.cx[odd][ci]
            dy = coords[:, 1] - parks.cy[odd][ci]
            np.maximum.at(far2, ci, dx * dx + dy * dy)
        reach[odd] = np.sqrt(far2)
    outside_r = reach[s_idx] + _MARGIN_M
    outside = near_x * near_x + near_y * near_y > outside_r * outside_r
    full[d_idx[inside]] = True
    amb = ~inside & ~outside & ~full[d_idx]
    s_a, d_a = s_idx[amb], d_idx[amb]
    # --- exact tests on the ambiguous pairs -----------------------------------------------------
    if len(d_a):
        shapely.prepare(sa[np.unique(s_a)])
        hit = shapely.intersects(sa[s_a], darr[d_a])
        s_a, d_a = s_a[hit], d_a[hit]
        cov = shapely.covers(sa[s_a], darr[d_a])
        full[d_a[cov]] = True
    covered[full] = area[full]
    edge = ~full[d_a]
    s_e, d_e = s_a[edge], d_a[edge]
    if len(d_e):
        order = np.argsort(d_e, kind="stable")
        s_e, d_e = s_e[order], d_e[order]
        local = _local_service_areas(sa, parks, s_e, dbounds[d_e])
        try:
            pieces = np.asarray(shapely.intersection(darr[d_e], local), dtype=object)
            _group_union_area(d_e, pieces, covered)
        except shapely.errors.GEOSException as exc:
            bad = np.unique(d_e[~shapely.is_valid(darr[d_e])])
            if len(bad):
                raise ValueError(
                    f"demand has invalid geometries at positions {bad[:5].tolist()} "
                    f"({shapely.is_valid_reason(darr[bad[0]])}); repair them "
                    "(shapely.make_valid) first"
                ) from exc
            raise
    # an overlay can exceed the parcel's own area by rounding; never report more than 100 %
    np.minimum(covered, area, out=covered)
    return covered, full


_TWO_PI = 2.0 * math.pi


def _local_service_areas(
    sa: NDArray[np.object_],
    parks: _Parks,
    s_e: NDArray[np.intp],
    boxes: FloatArray,
) -> NDArray[np.object_]:
    """For each pair, a small polygon that equals ``sa[s_e]`` inside the parcel's box.

    Overlaying a 5-vertex parcel with a 260-vertex buffer costs mostly the buffer's vertices.
    When the service area is star-shaped about its park's centre (points and convex parks: the
    buffer is convex and contains the centre), its part inside the parcel's box ``R`` equals
    that of the fan ``centre, v_s, ..., v_e`` made of the buffer's own vertices whose angle
    about the centre spans ``R`` (one vertex beyond on each side): the fan is the buffer cut to
    a sector containing ``R``. Inside ``R`` only the buffer's own edges (same coordinates) are
    met, so the overlay computes the same intersection points. Other pairs (non-convex parks,
    centre inside the box, multi-part buffers) keep the whole service area.
    """
    out = sa[s_e].copy()
    cand = ~parks.nonconvex[s_e] & np.isfinite(parks.inner[s_e])
    cand &= shapely.get_type_id(out) == 3
    cand &= shapely.get_num_interior_rings(out) == 0
    cx, cy = parks.cx[s_e], parks.cy[s_e]
    x0, y0, x1, y1 = (boxes[:, k] for k in range(4))
    pad = 1e-6 * np.maximum(x1 - x0, y1 - y0) + 1e-9
    cand &= ~((cx >= x0 - pad) & (cx <= x1 + pad) & (cy >= y0 - pad) & (cy <= y1 + pad))
    pick = np.flatnonzero(cand)
    if len(pick) == 0:
        return out
    # service areas involved, their ring vertices sorted by angle about the centre
    used, inv = np.unique(s_e[pick], return_inverse=True)
    rings = shapely.get_exterior_ring(sa[used])
    coords, ring_id = shapely.get_coordinates(rings, return_index=True)
    last = np.r_[ring_id[1:] != ring_id[:-1], True]
    coords, ring_id = coords[~last], ring_id[~last]  # drop each ring's closing vertex
    phi = np.arctan2(coords[:, 1] - parks.cy[used][ring_id], coords[:, 0] - parks.cx[used][ring_id])
    key = ring_id * 8.0 + (phi + math.pi)
    order = np.argsort(key, kind="stable")
    key, coords = key[order], coords[order]
    m = np.bincount(ring_id, minlength=len(used))
    off = np.concatenate([[0], np.cumsum(m)[:-1]])
    # angular span of each box's corners about the centre (< pi: the centre is outside)
    px, py = cx[pick], cy[pick]
    bx0, by0, bx1, by1 = x0[pick], y0[pick], x1[pick], y1[pick]
    mid = np.arctan2((by0 + by1) / 2 - py, (bx0 + bx1) / 2 - px)
    lo = np.full(len(pick), np.inf)
    hi = np.full(len(pick), -np.inf)
    for qx, qy in ((bx0, by0), (bx1, by0), (bx1, by1), (bx0, by1)):
        d = np.arctan2(qy - py, qx - px) - mid
        d = (d + math.pi) % _TWO_PI - math.pi
        lo = np.minimum(lo, d)
        hi = np.maximum(hi, d)
    eps = 1e-9
    lo_a = (mid + lo - eps + math.pi) % _TWO_PI - math.pi
    hi_a = (mid + hi + eps + math.pi) % _TWO_PI - math.pi
    rid = inv.astype(np.intp)
    mm, oo = m[rid], off[rid]
    # last vertex with angle < lo, first vertex with angle > hi (cyclic, local indices)
    start = np.searchsorted(key, rid * 8.0 + (lo_a + math.pi), side="left") - 1 - oo
    start = np.where(start < 0, start + mm, start)
    stop = np.searchsorted(key, rid * 8.0 + (hi_a + math.pi), side="right") - oo
    stop = np.where(stop >= mm, stop - mm, stop)
    nv = (stop - start) % mm + 1
    ok = (hi - lo < math.pi - 1e-6) & (nv >= 2) & (nv <= mm - 2) & (mm >= 4)
    pick, nv, start, mm, oo, px, py = (a[ok] for a in (pick, nv, start, mm, oo, px, py))
    if len(pick) == 0:
        return out
    # fan: centre, then nv ring vertices in ascending angle (counter-clockwise)
    size = nv + 1
    first = np.concatenate([[0], np.cumsum(size)[:-1]])
    total = int(size.sum())
    grp = np.repeat(np.arange(len(pick)), size)
    t = np.arange(total) - first[grp]
    fan = np.empty((total, 2))
    is_c = t == 0
    fan[is_c, 0], fan[is_c, 1] = px, py
    vt = ~is_c
    g = grp[vt]
    fan[vt] = coords[oo[g] + (start[g] + t[vt] - 1) % mm[g]]
    out[pick] = shapely.polygons(shapely.linearrings(fan, indices=grp))
    return out


class _Engine:
    """Shared state of one computation: demand index, areas, park data."""

    def __init__(self, darr: NDArray[np.object_], parr: NDArray[np.object_], q: int) -> None:
        self.darr = darr
        self.area = np.asarray(shapely.area(darr), dtype=np.float64)
        self.bounds = np.asarray(shapely.bounds(darr), dtype=np.float64)
        self.tree = shapely.STRtree(darr)
        self.parks = _park_info(parr, q)
        self.q = q

    def run(
        self,
        r: FloatArray,
        subset: NDArray[np.bool_] | None = None,
        parks: _Parks | None = None,
        sa: NDArray[np.object_] | None = None,
    ) -> tuple[FloatArray, NDArray[np.bool_]]:
        return _covered_core(
            self.darr,
            self.area,
            self.bounds,
            self.tree,
            self.parks if parks is None else parks,
            r,
            self.q,
            subset,
            sa,
        )

    def _reaching(
        self, parr: NDArray[np.object_], r: FloatArray, sa: NDArray[np.object_]
    ) -> NDArray[np.intp]:
        """Parks whose true buffer (box grown by r) or GEOS buffer may meet a demand polygon."""
        if len(parr) == 0 or len(self.darr) == 0:
            return np.zeros(0, dtype=np.intp)
        b = np.asarray(shapely.bounds(parr), dtype=np.float64)
        pad = r + 1e-6 * (1.0 + np.abs(b).max(axis=1))
        grown = shapely.box(b[:, 0] - pad, b[:, 1] - pad, b[:, 2] + pad, b[:, 3] + pad)
        hit = np.zeros(len(parr), dtype=bool)
        hit[np.unique(self.tree.query(grown)[0])] = True
        live = np.flatnonzero(~shapely.is_empty(sa))
        if len(live):
            hit[live[np.unique(self.tree.query(sa[live])[0])]] = True
        return np.flatnonzero(hit & ~shapely.is_empty(parr))

    def bracket(self, r: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Covered area per demand polygon and its certified inner / outer brackets (m²)."""
        parr, q = self.parks.geoms, self.q
        sa = np.asarray(shapely.buffer(parr, r, quad_segs=q), dtype=object)
        cov, full = self.run(r, sa=sa)
        # outer: per-park radii whose buffers are proved to contain the true buffers; parcels
        # wholly inside one service area cannot grow
        # Only parks that can reach a parcel need certificates: the true buffer lies in the park's
        # box grown by r, the GEOS buffer in its own box; parks reaching no parcel's box add
        # nothing to any bracket and are left out of the outer pass.
        reach = self._reaching(parr, r, sa)
        rho = r.copy()
        ok = np.ones(len(parr), dtype=bool)
        sa_out = np.full(len(parr), shapely.Polygon(), dtype=object)
        if len(reach):
            rho[reach], sa_out[reach], ok[reach] = park_certificates(
                parr[reach], r[reach], sa[reach], q, self.parks.nonconvex[reach]
            )
        cov_out, _ = self.run(rho, subset=~full, sa=sa_out)
        cov_out[full] = self.area[full]
        np.maximum(cov_out, cov, out=cov_out)
        # inner: the buffers themselves where proved inside the true buffers; convex pieces for
        # the others, only on the parcels those touch
        cov_in = cov.copy()
        bad = np.flatnonzero(~ok)
        if len(bad):
            touched = np.zeros(len(self.darr), dtype=bool)
            live = bad[~shapely.is_empty(sa[bad])]
            if len(live):
                touched[np.unique(self.tree.query(sa[live])[1])] = True
            if touched.any():
                good = np.flatnonzero(ok)
                pieces, r_in, _, _ = _convex_pieces(parr[bad], r[bad], q)
                geoms = np.concatenate([parr[good], pieces]).astype(object)
                radii = np.concatenate([r[good], r_in])
                sa_in = np.concatenate([sa[good], shapely.buffer(pieces, r_in, quad_segs=q)])
                sub, _ = self.run(
                    radii, subset=touched, parks=_park_info(geoms, q), sa=sa_in.astype(object)
                )
                cov_in[touched] = np.minimum(sub[touched], cov[touched])
        return cov, cov_in, cov_out


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

    * ``cov_out`` uses, per park, the radius :func:`geo.arcerror.certified_outer_radii` proves to
      give a buffer containing the true one (one exact boundary-to-park distance per park);
    * ``cov_in`` is ``cov`` where every GEOS buffer involved is proved inside the true buffer
      (:func:`geo.arcerror.certified_inner`; points and convex parks always are); parcels
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


@dataclass(frozen=True)
class CoverageResult:
    """Park service-area coverage of residential land.

    Attributes
    ----------
    covered_m2 : float
        Residential area (m²) inside the union of service areas.
    total_m2 : float
        Total residential area (m²).
    rate : float
        Coverage rate in [0, 1]: ``covered_m2 / total_m2``, or the weighted rate
        ``sum(w_i * covered_i / area_i) / sum(w_i)`` when weights were given.
    arc_error_bound_pp : float
        Bound (percentage points) on ``|rate_pct - exact|``, where ``exact`` is the rate with
        true Euclidean distances instead of polygon buffers. With point and convex polygon
        parks the polygon buffers lie inside the true ones, so the exact rate lies in
        ``[rate_pct, rate_pct + arc_error_bound_pp]``.
    quad_segs : int
        Segments per quarter circle used for the buffers.
    """

    covered_m2: float
    total_m2: float
    rate: float
    arc_error_bound_pp: float
    quad_segs: int

    @property
    def rate_pct(self) -> float:
        """Coverage rate in percent (0..100)."""
        return 100.0 * self.rate


def _weights(weights: ArrayLike | None, n: int, area: FloatArray) -> FloatArray | None:
    if weights is None:
        return None
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"weights must be numbers: {exc}") from exc
    if w.ndim != 1 or len(w) != n:
        raise ValueError(f"weights has shape {w.shape} but demand has {n} rows (length mismatch)")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"weights must be finite and >= 0; weights[{i}] = {w[i]!r}")
    if not w.sum() > 0:
        raise ValueError("weights sum to 0; the weighted rate is undefined")
    zero = (area <= 0) & (w > 0)
    if zero.any():
        i = int(np.flatnonzero(zero)[0])
        raise ValueError(
            f"demand row {i} has zero area but weights[{i}] = {w[i]!r} > 0; "
            "its covered share is undefined"
        )
    return w


def _rate(covered: FloatArray, area: FloatArray, w: FloatArray | None) -> float:
    if w is None:
        return float(covered.sum() / area.sum())
    share = np.divide(covered, area, out=np.zeros_like(covered), where=area > 0)
    return float(np.dot(w, share) / w.sum())


def _coverage_impl(
    demand: gpd.GeoSeries | gpd.GeoDataFrame,
    parks: gpd.GeoSeries | gpd.GeoDataFrame,
    radii: ArrayLike,
    quad_segs: object,
    weights: ArrayLike | None,
) -> CoverageResult:
    darr, parr, r, q = _prepare_inputs(demand, parks, radii, quad_segs)
    if len(darr) == 0:
        raise ValueError("demand is empty; the coverage rate is undefined")
    eng = _Engine(darr, parr, q)
    covered, cov_in, cov_out = eng.bracket(r)
    area = eng.area
    total = float(area.sum())
    if not total > 0:
        raise ValueError("demand has zero total area; the coverage rate is undefined")
    w = _weights(weights, len(darr), area)
    rate = min(max(_rate(covered, area, w), 0.0), 1.0)
    rate_out = min(max(_rate(cov_out, area, w), 0.0), 1.0)
    rate_in = min(max(_rate(cov_in, area, w), 0.0), 1.0)
    bound = max(rate_out - rate, rate - rate_in)
    return CoverageResult(
        covered_m2=float(covered.sum()),
        total_m2=total,
        rate=rate,
        arc_error_bound_pp=100.0 * max(bound, 0.0),
        quad_segs=q,
    )


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


# --------------------------------------------------------------------------------------------
# demand normalisation
# --------------------------------------------------------------------------------------------
