"""Certified arc error brackets, checked per park on the buffers GEOS actually made.

The a priori brackets of :mod:`geo.arcerror` hold for any park but assume the worst chord GEOS may draw. The
certificates here measure each GEOS buffer instead: :func:`certified_outer_radii` gives per-park radii whose
buffers are proved to contain the true (Euclidean) buffers, :func:`certified_inner` proves which buffers lie
inside them, and :func:`park_certificates` does both, memoised per park. :func:`geo.coverage.coverage` and the
dask engine (:mod:`geo.partitioned`) use them. All lengths in metres, in a projected CRS.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

from geo._common import _POLYGONAL, FloatArray
from geo.arcerror import outer_radius_factor

__all__ = [
    "CERT_TOL_M",
    "certified_inner",
    "certified_outer_radii",
    "park_certificates",
]


#: Slack (m) of the certificates: boundary distances are compared with ``r + CERT_TOL_M``,
#: far above float rounding (~1e-9 m at 1e7 m coordinates) and far below
#: anything that changes an area figure (1e-6 m over 100 km of boundary is 0.1 m²).
CERT_TOL_M: float = 1e-6

_MAX_ROUNDS = 6


def _boundary_distance(sa: NDArray[np.object_], parr: NDArray[np.object_]) -> FloatArray:
    """Distance (m) from each buffer's boundary to its park (NaN for empty buffers)."""
    out = np.full(len(parr), np.nan)
    live = np.flatnonzero(~shapely.is_empty(sa))
    if len(live):
        out[live] = shapely.distance(shapely.boundary(sa[live]), parr[live])
    return out


def certified_outer_radii(
    parr: NDArray[np.object_],
    r: FloatArray,
    sa: NDArray[np.object_],
    q: int,
) -> tuple[FloatArray, NDArray[np.object_]]:
    """Per-park radii whose GEOS buffers are *proved* to contain the true buffers at ``r``.

    Certificate. Let ``G`` be any closed set containing the park ``P`` whose boundary is at
    distance ``>= r`` from ``P``. Then the true buffer ``B(P, r) = {y : d(y, P) <= r}`` lies in
    ``G``: for ``y`` in ``B`` with nearest park point ``p`` (in ``G``), were ``y`` outside ``G`` the
    segment ``[p, y]`` would cross the boundary of ``G`` at a point ``z`` with
    ``d(z, P) <= |z - p| < |y - p| <= r``, a contradiction. GEOS buffers contain their input, so
    one exact ``shapely.distance(boundary(G), P)`` per park decides. Nothing is assumed about how
    GEOS builds, rounds or simplifies a buffer: the property is checked on its output.

    Radii. The boundary of a GEOS buffer at ``r`` consists of offset segments (at distance ``r``)
    and arc chords, whose midpoints are nearest: at ``r cos(theta)`` for a chord of half-angle
    ``theta``. Measuring ``d0 = d(boundary(G(r)), P)`` gives the park's worst chord, and the
    buffer at ``r * r / d0`` (with the same chords) has its boundary at ``>= r``. This is usually
    the point factor ``1 / cos(pi / 4q)`` (3.8 cm at 500 m, q = 64) rather than the corner factor
    of :func:`geo.arcerror.outer_radius_factor` (8.5 cm), which holds only for GEOS's rare 1.5-step fillets.
    Every candidate is checked; a park that fails grows by the corner factor and is checked again.

    Parameters
    ----------
    parr : numpy.ndarray of shapely geometries
        Parks (projected CRS, metres).
    r : numpy.ndarray
        Radii (m), >= 0.
    sa : numpy.ndarray of shapely geometries
        ``shapely.buffer(parr, r, quad_segs=q)``, as already computed by the caller.
    q : int
        Segments per quarter circle.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Certified outer radii (m) and the buffers at those radii.

    Examples
    --------
    >>> from shapely import Point, box
    >>> parr = np.array([Point(0, 0), box(0, 0, 100, 50)], dtype=object)
    >>> r = np.array([500.0, 500.0])
    >>> rho, out = certified_outer_radii(parr, r, shapely.buffer(parr, r, quad_segs=64), 64)
    >>> bool(np.all(shapely.distance(shapely.boundary(out), parr) >= r))
    True
    >>> bool(np.all(rho - r < 500.0 * (outer_radius_factor(64, corners=True) - 1)))
    True
    """
    n = len(parr)
    rho = np.asarray(r, dtype=np.float64).copy()
    out = np.asarray(sa, dtype=object).copy()
    todo = np.flatnonzero(rho > 0)
    if len(todo) == 0:
        return rho, out
    target = r[todo] + 2 * CERT_TOL_M
    d0 = _boundary_distance(np.asarray(sa, dtype=object)[todo], parr[todo])
    fc = outer_radius_factor(q, corners=True)
    ok0 = np.isfinite(d0) & (d0 > 0.5 * r[todo])
    rho[todo] = np.where(ok0, target * r[todo] / np.where(ok0, d0, 1.0), target * fc)
    rho[todo] = np.maximum(rho[todo], target)
    for _ in range(_MAX_ROUNDS):
        out[todo] = shapely.buffer(parr[todo], rho[todo], quad_segs=q)
        d1 = _boundary_distance(out[todo], parr[todo])
        bad = ~(d1 >= r[todo] + CERT_TOL_M)
        if not bad.any():
            return rho, out
        todo = todo[bad]
        rho[todo] *= fc
    raise RuntimeError(  # pragma: no cover - GEOS would have to break its own chord rules
        f"no certified outer buffer for parks at positions {todo[:5].tolist()} of {n}"
    )


def _seg_dist(p: FloatArray, s0: FloatArray, s1: FloatArray) -> FloatArray:
    """Distance from points ``p`` to segments ``[s0, s1]`` (row-wise, numpy)."""
    v = s1 - s0
    len2 = np.einsum("ij,ij->i", v, v)
    t = np.einsum("ij,ij->i", p - s0, v) / np.where(len2 > 0, len2, 1.0)
    f = s0 + np.clip(t, 0.0, 1.0)[:, None] * v
    return np.asarray(np.hypot(p[:, 0] - f[:, 0], p[:, 1] - f[:, 1]), dtype=np.float64)


def _nearest_edge(
    boundaries: NDArray[np.object_],
    pts: FloatArray,
    owner: NDArray[np.intp],
    e0: FloatArray,
    e1: FloatArray,
    first: NDArray[np.intp],
    count: NDArray[np.intp],
) -> NDArray[np.intp]:
    """Index of the edge of its owner's boundary nearest to each point.

    ``boundaries[k]`` is the boundary (rings in order) of owner ``k``, whose edges are
    ``first[k] .. first[k] + count[k] - 1`` (``e0``/``e1`` possibly shifted, lengths unchanged).
    GEOS projects each point on the boundary (``line_locate_point``: length along the rings to
    the nearest point); the edge is found from the cumulative edge lengths.
    """
    elen = np.hypot(e1[:, 0] - e0[:, 0], e1[:, 1] - e0[:, 1])
    cum = np.cumsum(elen)
    start = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
    start[first == 0] = 0.0
    pos = shapely.line_locate_point(boundaries[owner], shapely.points(pts))
    g = np.searchsorted(cum, start[owner] + pos, side="left")
    return np.clip(g, first[owner], first[owner] + count[owner] - 1).astype(np.intp)


def certified_inner(
    parr: NDArray[np.object_],
    r: FloatArray,
    sa: NDArray[np.object_],
    check: NDArray[np.bool_],
) -> NDArray[np.bool_]:
    """Which GEOS buffers are *proved* to lie inside the true buffers (to ``CERT_TOL_M``).

    GEOS may fill concavities of a non-convex input shallower than 1 % of the distance before
    buffering (:data:`geo.arcerror.GEOS_SIMPLIFY_FACTOR`), so its buffer could reach beyond the true one. For
    the parks flagged in ``check`` this bounds the excess of the buffer ``G`` that GEOS made:

    * every edge ``[a, b]`` of the boundary of ``G`` is within ``r`` of the segment
      ``[p_a, p_b]`` joining the park points nearest to ``a`` and ``b`` (``|a - p_a| <= r``,
      ``|b - p_b| <= r``, and the distance between two points moving linearly is convex);
    * every point ``z`` of ``[p_a, p_b]`` is within ``h`` of the park, ``h`` the largest distance
      of the park's boundary between ``p_a`` and ``p_b`` from the line through them: that chain
      joins ``p_a`` to ``p_b``, so it crosses the perpendicular through ``z`` within ``h``.

    So the edge lies within ``r + h`` of the park. On offset segments and arc chords ``p_a`` and
    ``p_b`` are on one park edge or one vertex, so ``h = 0``; a concavity GEOS filled shows up as
    ``h > 0``, its depth. A buffer is certified when ``h <= CERT_TOL_M`` on all its edges. With
    its boundary inside ``B(P, r)``, ``G`` could leave ``B`` only by covering a whole hole of
    ``B``, which needs a part of the park's complement wider than ``2 r``, far beyond the shallow
    concavities GEOS fills. Parks not flagged in ``check`` (points, convex polygons: GEOS buffers
    them without simplification, vertices on the circles) are taken as certified.

    Parameters
    ----------
    parr, r, sa
        Parks (polygons or points; lines are never certified), radii (m) and their GEOS
        buffers at ``r``.
    check : numpy.ndarray of bool
        Parks to verify.

    Returns
    -------
    numpy.ndarray of bool
        ``True`` where the buffer is certified inside the true buffer.

    Examples
    --------
    >>> from shapely import Polygon
    >>> ell = Polygon([(0, 0), (200, 0), (200, 100), (100, 100), (100, 200), (0, 200)])
    >>> step = Polygon([(0, 0), (400, 0), (400, 200), (200, 200), (200, 198), (0, 198.5)])
    >>> # GEOS bridges the 2 m step (its buffer reaches 0.97 m beyond 500 m): not certified
    >>> parr = np.array([ell, step], dtype=object)
    >>> r = np.array([500.0, 500.0])
    >>> certified_inner(parr, r, shapely.buffer(parr, r, quad_segs=64), np.array([True, True]))
    array([ True, False])
    """
    ok = np.ones(len(parr), dtype=bool)
    idx = np.flatnonzero(check & (r > 0) & ~shapely.is_empty(sa))
    if len(idx) == 0:
        return ok
    polygonal = np.isin(shapely.get_type_id(parr[idx]), _POLYGONAL)
    ok[idx[~polygonal]] = False
    idx = idx[polygonal]
    if len(idx) == 0:
        return ok
    # Parks are moved apart (each by its own offset) so that one nearest-edge query finds, for
    # every buffer vertex, the nearest edge of its own park. Distances do not change.
    lo = shapely.bounds(sa[idx])
    width = float(np.max(lo[:, 2] - lo[:, 0])) + 1.0
    shift = np.stack([np.arange(len(idx)) * 2.0 * width - lo[:, 0], -lo[:, 1]], axis=1)
    # park rings: vertices (closing vertex dropped), edges, ring of each edge
    pb = shapely.boundary(parr[idx])
    rings = shapely.get_parts(pb)
    ring_park = np.repeat(np.arange(len(idx)), shapely.get_num_geometries(pb))
    rc, ri = shapely.get_coordinates(rings, return_index=True)
    rc = rc + shift[ring_park[ri]]
    same = ri[1:] == ri[:-1]
    e0, e1 = rc[:-1][same], rc[1:][same]
    edge_ring = ri[:-1][same]
    n_edges = np.bincount(edge_ring, minlength=len(rings))
    first_edge = np.concatenate([[0], np.cumsum(n_edges)[:-1]])
    edge_local = np.arange(len(e0)) - first_edge[edge_ring]
    # buffer boundary vertices
    bb = shapely.boundary(sa[idx])
    brings = shapely.get_parts(bb)
    bring_park = np.repeat(np.arange(len(idx)), shapely.get_num_geometries(bb))
    bc_raw, bi = shapely.get_coordinates(brings, return_index=True)
    vpark = bring_park[bi]
    bc = bc_raw + shift[vpark]
    edge_park = ring_park[edge_ring]
    pe_count = np.bincount(edge_park, minlength=len(idx))
    pe_first = np.concatenate([[0], np.cumsum(pe_count)[:-1]])
    edge_of = _nearest_edge(pb, bc_raw, vpark, e0, e1, pe_first, pe_count)
    # nearest point on that edge, as (edge, parameter t in [0, 1])
    ev = e1[edge_of] - e0[edge_of]
    len2 = np.einsum("ij,ij->i", ev, ev)
    t = np.clip(np.einsum("ij,ij->i", bc - e0[edge_of], ev) / np.where(len2 > 0, len2, 1.0), 0, 1)
    foot = e0[edge_of] + t[:, None] * ev
    # buffer edges [a, b] and the chain of park vertices between their feet
    a = np.flatnonzero(bi[1:] == bi[:-1])
    b = a + 1
    ea, eb = edge_of[a], edge_of[b]
    fa, fb = foot[a], foot[b]
    vdist = np.hypot(*(bc - foot).T)  # distance of each buffer vertex to its park
    lim = r[idx][vpark[a]] + CERT_TOL_M
    bad = (vdist[a] > lim) | (vdist[b] > lim)
    # one park edge within r of both ends (offset segments, chords, chords cut at a node)
    # (the edge nearest to a or to b, or a neighbour of it: at a vertex either edge is nearest)
    single = np.zeros(len(a), dtype=bool)
    for e in (ea, eb):
        ring_e = edge_ring[e]
        for step in (-1, 0, 1):
            c = first_edge[ring_e] + (edge_local[e] + step) % n_edges[ring_e]
            single |= (_seg_dist(bc[a], e0[c], e1[c]) <= lim) & (
                _seg_dist(bc[b], e0[c], e1[c]) <= lim
            )
    own = ring_park[edge_ring[ea]] == vpark[a]
    same_ring = edge_ring[ea] == edge_ring[eb]
    bad |= ~single & (~own | ~same_ring)
    ring = edge_ring[ea]
    m = n_edges[ring]
    ja, jb = edge_local[ea], edge_local[eb]
    fwd = (jb - ja) % np.where(m > 0, m, 1)  # vertices ja+1 .. ja+fwd lie between (forward)
    bwd = (ja - jb) % np.where(m > 0, m, 1)  # vertices jb+1 .. jb+bwd (backward)
    use_fwd = fwd <= bwd
    count = np.where(use_fwd, fwd, bwd)
    start = np.where(use_fwd, ja, jb) + 1
    k_max = 32
    h = np.zeros(len(a))
    bad |= ~single & (count > k_max)
    chain = np.flatnonzero(~bad & ~single & (count > 0))
    if len(chain):
        kk = int(count[chain].max())
        j = np.arange(kk)
        valid = j[None, :] < count[chain][:, None]
        vloc = (start[chain][:, None] + j[None, :]) % m[chain][:, None]
        vglob = first_edge[ring[chain]][:, None] + vloc
        vx = e0[vglob]  # vertex i of a ring is the start of its edge i
        d = fb[chain] - fa[chain]
        dn = np.hypot(d[:, 0], d[:, 1])
        rel = vx - fa[chain][:, None, :]
        cross = np.abs(rel[..., 0] * d[:, None, 1] - rel[..., 1] * d[:, None, 0])
        dev = np.where(
            dn[:, None] > 1e-12,
            cross / np.where(dn > 1e-12, dn, 1.0)[:, None],
            np.hypot(rel[..., 0], rel[..., 1]),
        )
        h[chain] = np.max(np.where(valid, dev, 0.0), axis=1)
    bad |= h > CERT_TOL_M
    ok[idx[np.unique(vpark[a[bad]])]] = False
    return ok


# Certificates depend only on (park geometry, radius, quad_segs): a recompute with the same parks
# (another rule set, year or variant, an edit elsewhere) reuses them. Bounded, first in first out.
_CACHE: dict[bytes, tuple[float, bool]] = {}
_CACHE_MAX = 20_000


def park_certificates(
    parr: NDArray[np.object_],
    r: FloatArray,
    sa: NDArray[np.object_],
    q: int,
    check: NDArray[np.bool_],
) -> tuple[FloatArray, NDArray[np.object_], NDArray[np.bool_]]:
    """:func:`certified_outer_radii` and :func:`certified_inner` at once, memoised per park.

    Returns the certified outer radii (m), the buffers at those radii and the inner flags
    (``True`` for parks not in ``check``). A park seen before with the same geometry (WKB),
    radius, ``q`` and ``check`` reuses its radius and flag; only its outer buffer is made again.

    Examples
    --------
    >>> from shapely import Point
    >>> parr = np.array([Point(0, 0)], dtype=object)
    >>> r = np.array([500.0])
    >>> sa = shapely.buffer(parr, r, quad_segs=8)
    >>> rho, _, ok = park_certificates(parr, r, sa, 8, np.array([False]))
    >>> bool(rho[0] > 500.0), ok.tolist()
    (True, [True])
    """
    n = len(parr)
    keys = [  # the inner flag is only valid for parks that were checked: part of the key
        w + np.float64(x).tobytes() + q.to_bytes(4, "little") + (b"c" if c else b"-")
        for w, x, c in zip(shapely.to_wkb(parr), r, check, strict=True)
    ]
    rho = np.empty(n)
    ok = np.empty(n, dtype=bool)
    hit = np.zeros(n, dtype=bool)
    for i, key in enumerate(keys):
        got = _CACHE.get(key)
        if got is not None:
            rho[i], ok[i] = got
            hit[i] = True
    miss = np.flatnonzero(~hit)
    sa_out = np.asarray(sa, dtype=object).copy()
    if len(miss):
        rho_m, out_m = certified_outer_radii(parr[miss], r[miss], sa[miss], q)
        ok_m = certified_inner(parr[miss], r[miss], sa[miss], check[miss])
        rho[miss], ok[miss], sa_out[miss] = rho_m, ok_m, out_m
        if len(_CACHE) + len(miss) > _CACHE_MAX:
            for k in list(_CACHE)[: len(_CACHE) + len(miss) - _CACHE_MAX]:
                del _CACHE[k]
        for j in miss.tolist():
            _CACHE[keys[j]] = (float(rho[j]), bool(ok[j]))
    h = np.flatnonzero(hit & (rho > 0))
    if len(h):
        sa_out[h] = shapely.buffer(parr[h], rho[h], quad_segs=q)
    return rho, sa_out, ok
