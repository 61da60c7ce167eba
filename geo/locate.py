"""Approximate geometry from the plans' location texts, built only from computed points.

Pure: a parsed text (:mod:`geo.locparse`) and a :class:`geo.gazetteer.Gazetteer` in, a :class:`LocateResult`
out, in the gazetteer's metric CRS (EPSG:4548 for Xicheng; all distances and areas in metres / m²). No vertex
of a source street or feature is copied into a result:

- 四至 (``sizhi``): a polygon whose corners are the intersections of consecutive bounding sides (their closest
  approach, midpoint of the shortest line, where they do not meet within ``max_corner_gap_m``), joined by
  straight sides. With three corners the fourth completes a parallelogram (``sizhi`` with lower confidence);
  with two, their midpoint (``sizhi_partial``).
- segment (``segment``): the straight line between two computed points on the carrier street (where the end
  streets cross it, else their nearest points).
- place (``place``): the representative point of the named feature (never a source point feature's own
  position), or a disc of the published area; a whole street (``street``): the straight line between its two
  farthest ends; a gate (景山公园西门): a computed point on that side of the place.
- partial name (``partial``): the geometry above of a feature found only by the name's leading part
  (北新华街110号 → 北新华街) or as the one gazetteer name the text's name begins (新兴盛 → 新兴盛危房改造项目),
  with the low ``confidence.partial`` and the part not located named in ``reason``.
- corner / side (``corner``, ``side``): a point offset from the anchor (its extent's corner or side, or the
  crossing of two streets) by a stated distance.
- 周边 / 沿线 / 片区 (``buffer``): a disc or a buffer of a computed line, of a width from the rules.

Names are resolved by :class:`geo.locate_names.NameContext`. This module dispatches each parsed node and
combines the parts of a list; the family, re-exported here:

- :mod:`geo.locate_rules` — :data:`DEFAULT_RULES` and :func:`rules_with_defaults`;
- :mod:`geo.locate_result` — :class:`LocateResult` and :func:`results_frame`;
- :mod:`geo.locate_streets` — 四至 and segments;
- :mod:`geo.locate_place` — places, buffers, corners and sides;
- :mod:`geo.locate_geom` — the computed points and lines (:func:`street_chord`, :func:`meet` …).

Every result records the method, the text span used, the names matched with their scores, a confidence and,
for areas with a published area, derived ÷ published area. Unresolved texts keep no geometry and a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely

from geo import locparse as lp
from geo.gazetteer import Gazetteer, normalise
from geo.locate_geom import (
    CHORD_INSET_M,
    UNIT,
    anchor_point,
    gate_point,
    meet,
    offset_point,
    street_chord,
)
from geo.locate_names import NameContext, base_name
from geo.locate_place import place_result, relative_result
from geo.locate_result import LocateResult, area_ratio, results_frame
from geo.locate_rules import DEFAULT_RULES, rules_with_defaults
from geo.locate_streets import segment_result, sizhi_result

__all__ = [
    "CHORD_INSET_M",
    "DEFAULT_RULES",
    "UNIT",
    "Gazetteer",
    "LocateResult",
    "NameContext",
    "anchor_point",
    "base_name",
    "gate_point",
    "locate_text",
    "meet",
    "normalise",
    "offset_point",
    "results_frame",
    "rules_with_defaults",
    "street_chord",
]

#: Why a text names no place (:class:`geo.locparse.NoPlace` reasons).
NO_PLACE = {
    "district-wide": "district-wide 全区范围",
    "unknown": "location not decided 位置待定",
    "subdistricts": "whole 街道 named, no place 仅写街道",
}


def _combine(geoms: list[shapely.Geometry]) -> shapely.Geometry:
    """One geometry of the parts: a Multi* of their pieces when all have one dimension, else a collection."""
    dims = {shapely.get_dimensions(g) for g in geoms}
    if len(dims) == 1:
        multi = {2: shapely.MultiPolygon, 1: shapely.MultiLineString}.get(
            dims.pop(), shapely.MultiPoint
        )
        return multi([p for g in geoms for p in shapely.get_parts(g)])
    return shapely.GeometryCollection(geoms)


def _multi(
    node: lp.Multi, parts: list[LocateResult], text: str, area: float | None
) -> LocateResult:
    """Several areas or a list: the parts of the highest dimension placed, combined; the rest explained."""
    placed = [p for p in parts if p.placed]
    matches = [m for p in parts for m in p.matches]
    not_placed = [f"{p.span}: {p.reason}" for p in parts if not p.placed]
    if not placed:
        return LocateResult(
            text, span=node.span, matches=matches, parts=parts, reason="; ".join(not_placed)
        )
    conf = float(np.mean([p.confidence for p in placed])) * len(placed) / len(parts)
    top = max(shapely.get_dimensions(p.geometry) for p in placed)
    kept = [p for p in placed if shapely.get_dimensions(p.geometry) == top]
    left = [p.span for p in placed if shapely.get_dimensions(p.geometry) != top]
    notes = [f"{len(placed)}/{len(parts)} parts placed", *not_placed]
    if left:
        kind = {0: "point", 1: "line"}
        notes.append(
            "; ".join(
                f"{s}: {kind.get(shapely.get_dimensions(p.geometry), '')} part kept in parts only"
                for s, p in zip(left, [p for p in placed if p.span in left], strict=False)
            )
        )
    res = LocateResult(
        text,
        _combine([p.geometry for p in kept if p.geometry is not None]),
        "multi",
        node.span,
        matches,
        round(conf, 3),
        "; ".join(notes),
        parts=parts,
    )
    if area and all(p.method == "sizhi" for p in placed):
        res.area_ratio = area_ratio(res.geometry, area)
    return res


def _locate(
    node: lp.Node,
    gz: Gazetteer,
    rules: dict[str, dict[str, float]],
    text: str,
    area: float | None,
    hint: str | None = None,
) -> LocateResult:
    """One parsed node placed: dispatched on its type, the parts of a list placed one by one."""
    ctx = NameContext(gz, rules, hint)
    if isinstance(node, lp.NoPlace):
        return LocateResult(text, span=node.span, reason=NO_PLACE[node.reason])
    if isinstance(node, lp.Unparsed):
        return LocateResult(text, span=node.span, reason=f"unparsed 无法解析: {node.why}")
    if isinstance(node, lp.Sizhi):
        res = sizhi_result(node, ctx, text)
        if res.placed and area and res.geometry.geom_type == "Polygon":
            res.area_ratio = area_ratio(res.geometry, area)
        return res
    if isinstance(node, lp.Segment):
        return segment_result(node, ctx, text)
    if isinstance(node, lp.Relative):
        return relative_result(node, ctx, text)
    if isinstance(node, lp.Around):
        return place_result(node.anchor, node.span, ctx, text, area, node.mode)
    if isinstance(node, lp.Place):
        return place_result(node.name, node.span, ctx, text, area)
    assert isinstance(node, lp.Multi)
    parts = [_locate(p, gz, rules, text, None, hint) for p in node.parts]
    return _multi(node, parts, text, area)


def locate_text(
    text: str | None,
    gazetteer: Gazetteer,
    rules: Mapping[str, Any] | None = None,
    *,
    published_area_m2: float | None = None,
    hint: str | None = None,
) -> LocateResult:
    """Resolve one location text into approximate geometry (metric CRS of ``gazetteer``).

    Parameters
    ----------
    text : str or None
        A location text (四至, segment, corner, place, list …).
    gazetteer : Gazetteer
        Named streets and features (see :func:`geo.gazetteer.build_gazetteer`).
    rules : mapping, optional
        Offsets, buffer widths, gaps and confidences (``data/gazetteer/rules.toml``); defaults otherwise.
    published_area_m2 : float, optional
        The published area: gives ``area_ratio`` for a 四至 and a disc of this area for a named place.
    hint : str, optional
        The project's name: a segment written without its street (西二环-新街口北大街) takes as carrier the
        longest street name the hint contains (西直门内大街).

    Returns
    -------
    LocateResult

    Examples
    --------
    >>> from geo.gazetteer import build_gazetteer, grid_streets
    >>> gz = build_gazetteer(grid_streets(4), crs="EPSG:4548")
    >>> r = locate_text("东至经2路，西至经1路，南至纬1路，北至纬2路", gz)
    >>> r.method, round(r.geometry.area)
    ('sizhi', 10000)
    """
    if published_area_m2 is not None and not (published_area_m2 > 0):
        published_area_m2 = None
    node = lp.parse_location(text)
    return _locate(
        node, gazetteer, rules_with_defaults(rules), str(text or ""), published_area_m2, hint
    )
