"""The exact coverage engine's core: one computation's demand index, park data and per-pair classification.

Private to :mod:`geo.coverage` (which documents the method: STRtree pairs, safe disks per park, exact tests only
where needed, overlays only for parcels on a service-area edge). Metric CRS in, square metres out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from geo._common import FloatArray
from geo.arccert import park_certificates
from geo.arcerror import convex_pieces, is_nonconvex


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
    nonconvex = is_nonconvex(parr)
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
                pieces, r_in, _, _ = convex_pieces(parr[bad], r[bad], q)
                geoms = np.concatenate([parr[good], pieces]).astype(object)
                radii = np.concatenate([r[good], r_in])
                sa_in = np.concatenate([sa[good], shapely.buffer(pieces, r_in, quad_segs=q)])
                sub, _ = self.run(
                    radii, subset=touched, parks=_park_info(geoms, q), sa=sa_in.astype(object)
                )
                cov_in[touched] = np.minimum(sub[touched], cov[touched])
        return cov, cov_in, cov_out
