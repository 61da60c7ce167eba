"""Computed points and lines for :mod:`geo.locate`: representative points, street chords, where two streets meet,
offsets and gate points. Pure shapely; coordinates in the caller's metric CRS (metres, EPSG:4548 for Xicheng).

Every point returned is computed (a midpoint along a line, a point on a surface, an intersection, a point a
stated distance inside a street's end or beyond an anchor), never a source vertex taken as is — except that a
crossing of two streets may fall on the junction node they share, which is where they meet.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

UNIT = {
    "N": (0.0, 1.0),
    "S": (0.0, -1.0),
    "E": (1.0, 0.0),
    "W": (-1.0, 0.0),
    "NE": (1.0, 1.0),
    "NW": (-1.0, 1.0),
    "SE": (1.0, -1.0),
    "SW": (-1.0, -1.0),
}


def anchor_point(geom: shapely.Geometry) -> shapely.Point:
    """A computed representative point: midpoint along a line, point on surface of a polygon.

    >>> anchor_point(shapely.LineString([(0, 0), (10, 0)])).x
    5.0
    """
    if geom.geom_type in ("LineString", "MultiLineString", "LinearRing"):
        merged = shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom
        if merged.geom_type == "MultiLineString":
            merged = max(shapely.get_parts(merged), key=lambda g: g.length)
        return shapely.line_interpolate_point(merged, 0.5, normalized=True)
    if geom.geom_type in ("Point",):
        return geom
    if geom.geom_type == "MultiPoint":
        return shapely.centroid(geom)
    return shapely.point_on_surface(geom)


#: How far (metres) inside each end of a street its chord starts: the chord's ends are points the project
#: computes on the street, not the source's end vertices (which are the next junction's node).
CHORD_INSET_M = 10.0


def street_chord(
    geom: shapely.Geometry, inset_m: float = CHORD_INSET_M
) -> shapely.LineString | None:
    """The straight line between the two ends of a street farthest apart (None for a loop or a point).

    Each end is taken ``inset_m`` metres (at most a quarter of its piece) inside the piece's end, so no
    vertex of the source geometry is copied.

    >>> chord = street_chord(shapely.MultiLineString([[(0, 0), (100, 0)], [(100, 0), (200, 0)]]))
    >>> [tuple(round(v, 6) for v in c) for c in chord.coords]
    [(10.0, 0.0), (190.0, 0.0)]
    """
    parts = np.array([g for g in shapely.get_parts(geom) if g.geom_type == "LineString"])
    if not len(parts):
        return None
    lengths = shapely.length(parts)
    inset = np.minimum(inset_m, 0.25 * lengths)
    starts = shapely.line_interpolate_point(parts, inset)
    stops = shapely.line_interpolate_point(parts, lengths - inset)
    ends = np.column_stack([shapely.get_coordinates(starts), shapely.get_coordinates(stops)])
    ends = ends.reshape(-1, 2)
    d = np.hypot(*(ends[:, None, :] - ends[None, :, :]).transpose(2, 0, 1))
    i, j = np.unravel_index(np.argmax(d), d.shape)
    if d[i, j] < 0.3 * float(lengths.sum()) or d[i, j] == 0:
        return None
    return shapely.LineString([ends[i], ends[j]])


def meet(
    a: shapely.Geometry, b: shapely.Geometry, others: list[shapely.Geometry], max_gap: float
) -> tuple[shapely.Point | None, float]:
    """Where two bounding sides meet: their crossing, else the midpoint of their closest approach.

    Of several crossings, the one nearest the other sides (``others``) is taken. Returns the point and the gap
    bridged (0 for a crossing), or (None, gap) when the gap exceeds ``max_gap`` metres.

    >>> p, gap = meet(shapely.LineString([(0, 0), (10, 0)]), shapely.LineString([(5, -5), (5, 5)]), [], 50)
    >>> (p.x, p.y, gap)
    (5.0, 0.0, 0.0)
    """
    inter = shapely.intersection(a, b)
    pts = [anchor_point(g) for g in shapely.get_parts(inter) if not g.is_empty]
    if pts:
        if len(pts) > 1 and others:
            ref = shapely.union_all(others)
            pts.sort(key=lambda p: float(shapely.distance(p, ref)))
        return pts[0], 0.0
    line = shapely.shortest_line(a, b)
    gap = float(line.length)
    if gap > max_gap:
        return None, gap
    return shapely.line_interpolate_point(line, 0.5, normalized=True), gap


def offset_point(
    geom: shapely.Geometry, direction: str, dist: float, corner: bool
) -> shapely.Point:
    """A point ``dist`` metres beyond ``geom`` towards ``direction`` (``N``…``SW``).

    For an areal anchor the start is the middle of its extent's side (or its corner) in that direction;
    for a line or point, its anchor point.

    >>> offset_point(shapely.box(0, 0, 10, 10), "E", 5, False).coords[0]
    (15.0, 5.0)
    """
    ux, uy = UNIT[direction]
    norm = math.hypot(ux, uy)
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        minx, miny, maxx, maxy = geom.bounds
        ref = anchor_point(geom)
        x = maxx if ux > 0 else minx if ux < 0 else ref.x
        y = maxy if uy > 0 else miny if uy < 0 else ref.y
        if not corner and ux and uy:
            x, y = ref.x, ref.y
    else:
        ref = anchor_point(geom)
        x, y = ref.x, ref.y
    return shapely.Point(x + dist * ux / norm, y + dist * uy / norm)


def gate_point(geom: shapely.Geometry, direction: str) -> shapely.Point:
    """A computed point on ``geom``'s ``direction`` side (``N``/``S``/``E``/``W``; "" = no side): where a gate
    (西门, 南口 …) of the place or street stands, approximately.

    A polygon: where the line through its representative point in that direction leaves it (the farthest
    crossing of its boundary); a line: the end of its chord (:func:`street_chord`, inset from the source's
    ends) farthest that way, else its anchor point; a point: the point; ``direction`` "" the anchor point.

    >>> gate_point(shapely.box(0, 0, 100, 50), "W").coords[0]
    (0.0, 25.0)
    >>> gate_point(shapely.LineString([(0, 0), (0, 200)]), "S").coords[0]
    (0.0, 10.0)
    """
    ref = anchor_point(geom)
    if not direction or geom.geom_type in ("Point", "MultiPoint"):
        return ref
    ux, uy = UNIT[direction]
    if geom.geom_type in ("LineString", "MultiLineString", "LinearRing"):
        chord = street_chord(geom)
        if chord is None:
            return ref
        ends = np.asarray(chord.coords)
        p = ends[int(np.argmax(ends @ np.array([ux, uy])))]
        return shapely.Point(p)
    minx, miny, maxx, maxy = geom.bounds
    reach = 2.0 * max(maxx - minx, maxy - miny) + 1.0
    ray = shapely.LineString([(ref.x, ref.y), (ref.x + reach * ux, ref.y + reach * uy)])
    cut = shapely.get_coordinates(shapely.intersection(shapely.boundary(geom), ray))
    if not len(cut):
        return ref
    p = cut[int(np.argmax(cut @ np.array([ux, uy])))]
    return shapely.Point(p)
