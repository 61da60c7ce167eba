"""Areas and lines bounded by streets, for :mod:`geo.locate`: the 四至 polygon and the street segment.

Pure. Every vertex is computed where two named streets meet (:func:`geo.locate_geom.meet`), never copied from
a source street. Coordinates in the gazetteer's metric CRS (EPSG:4548 for Xicheng; metres).

- 四至 (``sizhi``): a polygon whose corners are the meeting points of consecutive bounding sides (within
  ``sizhi.max_corner_gap_m``); three corners are completed as a parallelogram, two give their midpoint
  (``sizhi_partial``).
- segment (``segment``): the straight line between two computed points on the carrier street.
"""

from __future__ import annotations

import math

import shapely

from geo import locparse as lp
from geo.gazetteer_names import normalise
from geo.locate_geom import anchor_point, meet
from geo.locate_names import NameContext
from geo.locate_result import LocateResult, halve_confidence, join_notes, result_for

#: The corners of a 四至, in ring order: each where the two sides named meet.
CORNERS = ("NE", "ES", "SW", "WN")


def _sides(node: lp.Sizhi, ctx: NameContext) -> dict[str, shapely.Geometry]:
    """Each bounding side found: the union of the streets or places named for it."""
    sides: dict[str, shapely.Geometry] = {}
    for side in ("N", "E", "S", "W"):
        geoms = [m.geometry for n in node.sides.get(side, ()) if (m := ctx.find(n, True))]
        if geoms:
            sides[side] = shapely.union_all(geoms)
    return sides


def _corners(
    sides: dict[str, shapely.Geometry], gap: float
) -> tuple[dict[str, shapely.Point], list[str]]:
    """Where consecutive sides meet (within ``gap`` metres), and notes on the corners that are missing."""
    corners: dict[str, shapely.Point] = {}
    far: list[str] = []
    same: list[str] = []
    for a, b in (("N", "E"), ("E", "S"), ("S", "W"), ("W", "N")):
        if a in sides and b in sides and sides[a].equals(sides[b]):
            # one street bounding two sides meets itself everywhere: no computed corner there
            same.append(a + b)
        elif a in sides and b in sides:
            others = [g for k, g in sides.items() if k not in (a, b)]
            p, g = meet(sides[a], sides[b], others, gap)
            if p is None:
                far.append(f"{a}{b} gap {g:.0f} m > {gap:.0f} m")
            else:
                corners[a + b] = p
    notes = []
    if far:
        notes.append("no intersection 不相交: " + ", ".join(far))
    if same:
        notes.append("same street on two sides 两侧同一道路: no corner " + ", ".join(same))
    return corners, notes


def _quadrilateral(corners: dict[str, shapely.Point], notes: list[str]) -> shapely.Polygon | None:
    """The polygon of four corners (a fourth completed from three), or None; notes what was done."""
    order = list(CORNERS)
    if len(corners) == 3:
        missing = next(k for k in order if k not in corners)
        i = order.index(missing)
        prev_, opp, next_ = (corners[order[(i + d) % 4]] for d in (-1, 2, 1))
        corners[missing] = shapely.Point(prev_.x + next_.x - opp.x, prev_.y + next_.y - opp.y)
        notes.append(f"corner {missing} completed as a parallelogram 补全一角")
    if len(corners) != 4:
        return None
    ring = [corners[k] for k in order]
    poly = shapely.Polygon([(p.x, p.y) for p in ring])
    if not poly.is_valid or poly.area == 0:
        c = shapely.centroid(shapely.MultiPoint(ring))
        ring.sort(key=lambda p: math.atan2(p.y - c.y, p.x - c.x))
        poly = shapely.Polygon([(p.x, p.y) for p in ring])
        notes.append("corners reordered 角点重排")
    return poly if poly.is_valid and poly.area > 0 else None


def sizhi_result(node: lp.Sizhi, ctx: NameContext, text: str) -> LocateResult:
    """A 四至: the polygon of its corners, else the point between two corners, else not placed.

    Parameters
    ----------
    node : locparse.Sizhi
        The parsed bounds per side.
    ctx : NameContext
        Name lookups of this text (records the matches).
    text : str
        The whole location text.

    Returns
    -------
    LocateResult
        ``sizhi`` (confidence halved when a corner was completed, reordered or missing), ``sizhi_partial``
        or ``none``; geometry in the gazetteer's metric CRS.
    """
    sides = _sides(node, ctx)
    corners, far_or_same = _corners(sides, ctx.rules["sizhi"]["max_corner_gap_m"])
    res = result_for(ctx, node.span, text, None, "none")
    notes = [res.reason] if res.reason else []
    notes.extend(far_or_same)
    poly = _quadrilateral(corners, notes)
    if poly is not None:
        res = result_for(ctx, node.span, text, shapely.orient_polygons(poly), "sizhi")
        if len(notes) > (1 if ctx.why() else 0):
            halve_confidence(res)
        res.reason = join_notes(notes)
        return res
    if len(corners) >= 2:
        pt = shapely.centroid(shapely.MultiPoint(list(corners.values())))
        res = result_for(ctx, node.span, text, pt, "sizhi_partial")
        notes.append(f"only {len(corners)} corners 仅{len(corners)}个角点: point between them")
        res.reason = join_notes(notes)
        return res
    notes.append(f"only {len(sides)} sides and {len(corners)} corners found")
    res.reason = join_notes(notes)
    return res


def _carrier_from_hint(node: lp.Segment, ctx: NameContext) -> str | None:
    """西二环-新街口北大街 in a project named 西直门内大街: the longest street name the project's name contains."""
    if not ctx.hint:
        return None
    hint = normalise(ctx.hint)
    ent = ctx.gz.entries
    names = [n for n in ent.loc[ent["kind"] == "street", "norm"] if len(n) >= 3 and n in hint]
    names = [n for n in names if n not in (normalise(node.start), normalise(node.end))]
    return max(names, key=len) if names else None


def _end_on(
    street: shapely.Geometry, end: shapely.Geometry, other: shapely.Geometry
) -> shapely.Point:
    """Where ``end`` crosses ``street`` (of several, the crossing nearest ``other``), else the nearest point."""
    inter = [g for g in shapely.get_parts(shapely.intersection(street, end)) if not g.is_empty]
    if inter:
        return anchor_point(min(inter, key=lambda g: float(shapely.distance(g, other))))
    return anchor_point(shapely.get_point(shapely.shortest_line(street, end), 0))


def segment_result(node: lp.Segment, ctx: NameContext, text: str) -> LocateResult:
    """A stretch of a street: the straight line between where its two end streets reach it.

    Parameters
    ----------
    node : locparse.Segment
        The parsed carrier street (None when not stated: taken from ``ctx.hint`` if it names one) and ends.
    ctx : NameContext
        Name lookups of this text (records the matches).
    text : str
        The whole location text.

    Returns
    -------
    LocateResult
        ``segment`` (confidence halved when the carrier is not stated) or ``none``; a LineString in the
        gazetteer's metric CRS.
    """
    street = node.street
    from_hint = False
    if street is None:
        street = _carrier_from_hint(node, ctx)
        from_hint = street is not None
    a = ctx.find(node.start, True)
    b = ctx.find(node.end, True)
    carrier = ctx.find(street, True) if street else None
    if a is None or b is None or (street and carrier is None):
        return result_for(ctx, node.span, text, None, "none")
    res = result_for(ctx, node.span, text, None, "segment")
    if carrier is not None:
        p1 = _end_on(carrier.geometry, a.geometry, b.geometry)
        p2 = _end_on(carrier.geometry, b.geometry, a.geometry)
        if from_hint:
            res.reason = f"carrier street {street} taken from the name 所在道路取自项目名称"
    else:
        p1 = shapely.get_point(shapely.shortest_line(a.geometry, anchor_point(b.geometry)), 0)
        p2 = shapely.get_point(shapely.shortest_line(b.geometry, p1), 0)
        res.reason = "carrier street not stated 未写明所在道路: line between the nearest points"
    if p1.distance(p2) < 1.0:
        res.reason = "segment ends coincide 起止点重合"
        return res
    geom = shapely.LineString([(p1.x, p1.y), (p2.x, p2.y)])
    out = result_for(ctx, node.span, text, geom, "segment")
    if res.reason:
        out.reason = res.reason
        if not from_hint:
            halve_confidence(out)
    return out
