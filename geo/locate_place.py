"""Geometry around one named place, for :mod:`geo.locate`: the place itself, a buffer around or along it,
and a point beside it (a corner or side, of the place or of where two streets cross).

Pure. Every point is computed (a representative point, a street's chord, an offset; :mod:`geo.locate_geom`),
never a source vertex. Coordinates in the gazetteer's metric CRS (EPSG:4548 for Xicheng; metres, m²).
"""

from __future__ import annotations

import math

import shapely

from geo import locparse as lp
from geo.locate_geom import anchor_point, meet, offset_point, street_chord
from geo.locate_names import NameContext
from geo.locate_result import LocateResult, add_note, result_for


def _disc(geom: shapely.Geometry, width: float) -> shapely.Polygon:
    """A disc ``width`` metres wider than the disc of ``geom``'s area, about its representative point."""
    r = width + (math.sqrt(geom.area / math.pi) if geom.area > 0 else 0.0)
    return anchor_point(geom).buffer(r, quad_segs=16)


def place_result(
    name: str, span: str, ctx: NameContext, text: str, area_m2: float | None, mode: str = ""
) -> LocateResult:
    """A named place or street, or a buffer of it.

    Parameters
    ----------
    name : str
        The place or street as written.
    span : str
        The part of the text this result uses.
    ctx : NameContext
        Name lookups of this text (records the match).
    text : str
        The whole location text.
    area_m2 : float, optional
        The published area (m²): a place (not a street) is shown as a disc of this area.
    mode : str
        "" (the place), ``around`` / ``along`` (a buffer of ``buffer.around_m`` / ``buffer.along_m``) or
        ``area`` (a disc ``buffer.area_m`` wider than the place, when no area is published).

    Returns
    -------
    LocateResult
        ``place``, ``street``, ``partial``, ``buffer`` or ``none``; geometry in the gazetteer's metric CRS.
    """
    m = ctx.find(name)
    if m is None:
        return result_for(ctx, span, text, None, "none")
    buf = ctx.rules["buffer"]
    g = m.geometry
    chord = street_chord(g) if g.geom_type in ("LineString", "MultiLineString") else None
    if mode in ("around", "along"):
        width = buf["along_m"] if mode == "along" else buf["around_m"]
        if chord is not None:
            return result_for(ctx, span, text, chord.buffer(width, quad_segs=8), "buffer")
        return result_for(ctx, span, text, _disc(g, width), "buffer")
    if mode == "area" and not (area_m2 and area_m2 > 0):
        return result_for(ctx, span, text, _disc(g, buf["area_m"]), "buffer")
    whole = "partial" if m.via in ("partial", "prefix") else ""
    if area_m2 and area_m2 > 0 and chord is None:
        disc = anchor_point(g).buffer(math.sqrt(area_m2 / math.pi), quad_segs=16)
        res = result_for(ctx, span, text, disc, whole or "place")
        return add_note(res, "disc of the published area 按公布面积画圆")
    if chord is not None:
        return result_for(ctx, span, text, chord, whole or "street")
    if m.kind == "street" and g.geom_type != "Point":
        # a ring road or loop: neither a chord nor one point stands for it honestly
        res = result_for(ctx, span, text, None, "none")
        res.reason = "a ring road or loop street: no straight-line approximation 环路无法以直线近似"
        return res
    if g.geom_type == "Point" and m.via != "gate":
        # a point feature's own position would be a copied source vertex
        res = result_for(ctx, span, text, None, "none")
        return add_note(res, f"{m.name} is a source point: not copied 源数据点位不复制")
    return result_for(ctx, span, text, anchor_point(g), whole or "place")


def relative_result(node: lp.Relative, ctx: NameContext, text: str) -> LocateResult:
    """A point ``offset.corner_m`` / ``offset.side_m`` metres beyond a place, or a crossing, on one side.

    Parameters
    ----------
    node : locparse.Relative
        The parsed anchor (and crossing street), direction and relation (``corner`` or ``side``).
    ctx : NameContext
        Name lookups of this text (records the matches).
    text : str
        The whole location text.

    Returns
    -------
    LocateResult
        ``corner``, ``side`` or ``none``; a Point in the gazetteer's metric CRS.
    """
    off = ctx.rules["offset"]["corner_m" if node.relation == "corner" else "side_m"]
    a = ctx.find(node.anchor, bool(node.crossing))
    if node.crossing:
        b = ctx.find(node.crossing, True)
        if a is None or b is None:
            return result_for(ctx, node.span, text, None, "none")
        p, gap = meet(a.geometry, b.geometry, [], ctx.rules["sizhi"]["max_corner_gap_m"])
        if p is None:
            res = result_for(ctx, node.span, text, None, "none")
            res.reason = f"no intersection 不相交 ({gap:.0f} m)"
            return res
        base: shapely.Geometry = p
    else:
        if a is None:
            return result_for(ctx, node.span, text, None, "none")
        base = a.geometry
    pt = offset_point(base, node.direction, off, node.relation == "corner")
    return result_for(ctx, node.span, text, pt, node.relation)
