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

Names are resolved by :class:`geo.locate_names.NameContext`; the geometry helpers live in
:mod:`geo.locate_geom` (re-exported here). Every result records the method, the text span used, the names matched with their scores, a confidence and,
for areas with a published area, derived ÷ published area. Unresolved texts keep no geometry and a reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from geo import locparse as lp
from geo.gazetteer import Gazetteer, normalise
from geo.locate_geom import (  # noqa: F401  (re-exported: the public geometry helpers of geo.locate)
    CHORD_INSET_M,
    UNIT,
    anchor_point,
    gate_point,
    meet,
    offset_point,
    street_chord,
)
from geo.locate_names import NameContext, base_name  # noqa: F401  (base_name re-exported)

DEFAULT_RULES: dict[str, dict[str, float]] = {
    "match": {"min_score": 0.8, "tie_tolerance": 0.001},
    "sizhi": {"max_corner_gap_m": 400.0},
    "offset": {"corner_m": 40.0, "side_m": 40.0},
    "buffer": {"around_m": 150.0, "along_m": 30.0, "area_m": 200.0},
    "confidence": {
        "sizhi": 0.7,
        "sizhi_partial": 0.35,
        "segment": 0.6,
        "place": 0.5,
        "street": 0.45,
        "corner": 0.4,
        "side": 0.4,
        "buffer": 0.4,
        "partial": 0.25,
    },
    "partial": {"min_chars": 3.0, "min_chars_before_number": 2.0},
}


def rules_with_defaults(rules: Mapping[str, Any] | None) -> dict[str, dict[str, float]]:
    """``DEFAULT_RULES`` updated with a rules mapping (as read from ``data/gazetteer/rules.toml``).

    >>> rules_with_defaults({"buffer": {"around_m": 100}})["buffer"]["around_m"]
    100.0
    """
    out = {k: dict(v) for k, v in DEFAULT_RULES.items()}
    for sect, vals in (rules or {}).items():
        if not isinstance(vals, Mapping):
            raise ValueError(f"rules: section {sect!r} must be a table")
        for key, val in vals.items():
            try:
                out.setdefault(sect, {})[key] = float(val)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"rules: {sect}.{key} must be a number, got {val!r}") from exc
    return out


@dataclass
class LocateResult:
    """How a location text was placed (or why not).

    Attributes
    ----------
    text : str
        The text as given.
    geometry : shapely geometry or None
        Metric CRS of the gazetteer.
    method : str
        ``sizhi``, ``sizhi_partial``, ``segment``, ``place``, ``street``, ``partial``, ``corner``, ``side``,
        ``buffer``, ``multi`` or ``none``.
    span : str
        The part of the text this result used.
    matches : list of (query, name, score)
        Names looked up, what they matched (None = not found) and the score.
    confidence : float
        0..1, the method's base confidence times the mean match score over every name looked up (0 for a
        name not found), halved for warnings.
    reason : str
        Why there is no geometry (or a warning when there is one); "" when clean.
    area_ratio : float or None
        Derived ÷ published area, for polygons with a published area.
    parts : list of LocateResult
        Results of the parts of a multi-area or list text.
    geometry_quality : str
        Always ``approximate`` when placed, ``none`` otherwise.
    """

    text: str
    geometry: Any = None  # shapely geometry or None (shapely ships no type stubs)
    method: str = "none"
    span: str = ""
    matches: list[tuple[str, str | None, float]] = field(default_factory=list)
    confidence: float = 0.0
    reason: str = ""
    area_ratio: float | None = None
    parts: list[LocateResult] = field(default_factory=list)

    @property
    def placed(self) -> bool:
        """True when there is a geometry."""
        return self.geometry is not None and not self.geometry.is_empty

    @property
    def geometry_quality(self) -> str:
        """``approximate`` when placed, else ``none``."""
        return "approximate" if self.placed else "none"

    def matches_json(self) -> str:
        """The matches as a compact JSON list ``[[query, name, score], …]``."""
        return json.dumps([[q, n, round(s, 3)] for q, n, s in self.matches], ensure_ascii=False)

    def explain(self) -> str:
        """A one-paragraph explanation in Chinese and English."""
        if not self.placed:
            return f"未定位 not placed: {self.reason or 'no geometry'}"
        bits = [f"方法 method={self.method}", f"置信度 confidence={self.confidence:.2f}"]
        if self.area_ratio is not None:
            bits.append(f"面积比 derived/published={self.area_ratio:.2f}")
        found = ", ".join(f"{q}→{n or '∅'} ({s:.2f})" for q, n, s in self.matches)
        bits.append(f"匹配 matches: {found}")
        if self.reason:
            bits.append(f"注意 note: {self.reason}")
        return "; ".join(bits)


# ---------------------------------------------------------------- geometry helpers (all computed points)


# ---------------------------------------------------------------- resolution of texts


def _result(
    ctx: NameContext, node_span: str, text: str, geom: shapely.Geometry | None, method: str
) -> LocateResult:
    base = ctx.rules["confidence"].get(method, 0.3)
    if ctx.weak:  # resting on a partial or unique-prefix name: low confidence (rules.toml)
        base = min(base, ctx.rules["confidence"]["partial"])
    conf = base * ctx.score() if geom is not None else 0.0
    return LocateResult(
        text,
        geom,
        method if geom is not None else "none",
        node_span,
        ctx.matches,
        round(conf, 3),
        ctx.why(),
    )


def _sizhi(node: lp.Sizhi, ctx: NameContext, text: str) -> LocateResult:
    sides: dict[str, shapely.Geometry] = {}
    for side in ("N", "E", "S", "W"):
        geoms = [m.geometry for n in node.sides.get(side, ()) if (m := ctx.find(n, True))]
        if geoms:
            sides[side] = shapely.union_all(geoms)
    gap = ctx.rules["sizhi"]["max_corner_gap_m"]
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
    res = _result(ctx, node.span, text, None, "none")
    notes = [res.reason] if res.reason else []
    if far:
        notes.append("no intersection 不相交: " + ", ".join(far))
    if same:
        notes.append("same street on two sides 两侧同一道路: no corner " + ", ".join(same))
    order = ["NE", "ES", "SW", "WN"]
    if len(corners) == 3:
        missing = next(k for k in order if k not in corners)
        i = order.index(missing)
        prev_, opp, next_ = (corners[order[(i + d) % 4]] for d in (-1, 2, 1))
        corners[missing] = shapely.Point(prev_.x + next_.x - opp.x, prev_.y + next_.y - opp.y)
        notes.append(f"corner {missing} completed as a parallelogram 补全一角")
    if len(corners) == 4:
        ring = [corners[k] for k in order]
        poly = shapely.Polygon([(p.x, p.y) for p in ring])
        if not poly.is_valid or poly.area == 0:
            c = shapely.centroid(shapely.MultiPoint(ring))
            ring.sort(key=lambda p: math.atan2(p.y - c.y, p.x - c.x))
            poly = shapely.Polygon([(p.x, p.y) for p in ring])
            notes.append("corners reordered 角点重排")
        if poly.is_valid and poly.area > 0:
            res = _result(ctx, node.span, text, shapely.orient_polygons(poly), "sizhi")
            if len(notes) > (1 if ctx.why() else 0):
                res.confidence = round(res.confidence * 0.5, 3)
            res.reason = "; ".join(n for n in notes if n)
            return res
    if len(corners) >= 2:
        pt = shapely.centroid(shapely.MultiPoint(list(corners.values())))
        res = _result(ctx, node.span, text, pt, "sizhi_partial")
        notes.append(f"only {len(corners)} corners 仅{len(corners)}个角点: point between them")
        res.reason = "; ".join(n for n in notes if n)
        return res
    notes.append(f"only {len(sides)} sides and {len(corners)} corners found")
    res.reason = "; ".join(n for n in notes if n)
    return res


def _segment(node: lp.Segment, ctx: NameContext, text: str) -> LocateResult:
    street = node.street
    from_hint = False
    if street is None and ctx.hint:
        # 西二环-新街口北大街 in a project named 西直门内大街: the carrier is the street the name contains.
        hint = normalise(ctx.hint)
        ent = ctx.gz.entries
        names = [n for n in ent.loc[ent["kind"] == "street", "norm"] if len(n) >= 3 and n in hint]
        names = [n for n in names if n not in (normalise(node.start), normalise(node.end))]
        if names:
            street, from_hint = max(names, key=len), True
    a = ctx.find(node.start, True)
    b = ctx.find(node.end, True)
    carrier = ctx.find(street, True) if street else None
    if a is None or b is None or (street and carrier is None):
        return _result(ctx, node.span, text, None, "none")
    if carrier is not None:
        s = carrier.geometry
        ends = []
        for end, other in ((a.geometry, b.geometry), (b.geometry, a.geometry)):
            inter = [g for g in shapely.get_parts(shapely.intersection(s, end)) if not g.is_empty]
            if inter:
                ends.append(min(inter, key=lambda g: float(shapely.distance(g, other))))
            else:
                ends.append(shapely.get_point(shapely.shortest_line(s, end), 0))
        p1, p2 = anchor_point(ends[0]), anchor_point(ends[1])
        res = _result(ctx, node.span, text, None, "segment")
        if from_hint:
            res.reason = f"carrier street {street} taken from the name 所在道路取自项目名称"
    else:
        p1 = shapely.get_point(shapely.shortest_line(a.geometry, anchor_point(b.geometry)), 0)
        p2 = shapely.get_point(shapely.shortest_line(b.geometry, p1), 0)
        res = _result(ctx, node.span, text, None, "segment")
        res.reason = "carrier street not stated 未写明所在道路: line between the nearest points"
    if p1.distance(p2) < 1.0:
        res.reason = "segment ends coincide 起止点重合"
        return res
    geom = shapely.LineString([(p1.x, p1.y), (p2.x, p2.y)])
    out = _result(ctx, node.span, text, geom, "segment")
    if res.reason:
        out.reason = res.reason
        if not from_hint:
            out.confidence = round(out.confidence * 0.5, 3)
    return out


def _place(
    name: str, span: str, ctx: NameContext, text: str, area_m2: float | None, mode: str = ""
) -> LocateResult:
    m = ctx.find(name)
    if m is None:
        return _result(ctx, span, text, None, "none")
    buf = ctx.rules["buffer"]
    g = m.geometry
    chord = street_chord(g) if g.geom_type in ("LineString", "MultiLineString") else None
    if mode in ("around", "along"):
        width = buf["along_m"] if mode == "along" else buf["around_m"]
        if chord is not None:
            return _result(ctx, span, text, chord.buffer(width, quad_segs=8), "buffer")
        r = width + (math.sqrt(g.area / math.pi) if g.area > 0 else 0.0)
        return _result(ctx, span, text, anchor_point(g).buffer(r, quad_segs=16), "buffer")
    if mode == "area" and not (area_m2 and area_m2 > 0):
        r = buf["area_m"] + (math.sqrt(g.area / math.pi) if g.area > 0 else 0.0)
        return _result(ctx, span, text, anchor_point(g).buffer(r, quad_segs=16), "buffer")
    whole = "partial" if m.via in ("partial", "prefix") else ""
    if area_m2 and area_m2 > 0 and chord is None:
        r = math.sqrt(area_m2 / math.pi)
        disc = anchor_point(g).buffer(r, quad_segs=16)
        res = _result(ctx, span, text, disc, whole or "place")
        res.reason = "; ".join(
            filter(None, [res.reason, "disc of the published area 按公布面积画圆"])
        )
        return res
    if chord is not None:
        return _result(ctx, span, text, chord, whole or "street")
    if m.kind == "street" and g.geom_type != "Point":
        # a ring road or loop: neither a chord nor one point stands for it honestly
        res = _result(ctx, span, text, None, "none")
        res.reason = "a ring road or loop street: no straight-line approximation 环路无法以直线近似"
        return res
    if g.geom_type == "Point" and m.via != "gate":
        # a point feature's own position would be a copied source vertex
        res = _result(ctx, span, text, None, "none")
        res.reason = "; ".join(
            filter(None, [res.reason, f"{m.name} is a source point: not copied 源数据点位不复制"])
        )
        return res
    return _result(ctx, span, text, anchor_point(g), whole or "place")


def _relative(node: lp.Relative, ctx: NameContext, text: str) -> LocateResult:
    off = ctx.rules["offset"]["corner_m" if node.relation == "corner" else "side_m"]
    a = ctx.find(node.anchor, bool(node.crossing))
    if node.crossing:
        b = ctx.find(node.crossing, True)
        if a is None or b is None:
            return _result(ctx, node.span, text, None, "none")
        p, gap = meet(a.geometry, b.geometry, [], ctx.rules["sizhi"]["max_corner_gap_m"])
        if p is None:
            res = _result(ctx, node.span, text, None, "none")
            res.reason = f"no intersection 不相交 ({gap:.0f} m)"
            return res
        base: shapely.Geometry = p
    else:
        if a is None:
            return _result(ctx, node.span, text, None, "none")
        base = a.geometry
    pt = offset_point(base, node.direction, off, node.relation == "corner")
    return _result(ctx, node.span, text, pt, node.relation)


def _combine(geoms: list[shapely.Geometry]) -> shapely.Geometry:
    dims = {shapely.get_dimensions(g) for g in geoms}
    if len(dims) == 1:
        kind = dims.pop()
        if kind == 2:
            return shapely.MultiPolygon([p for g in geoms for p in shapely.get_parts(g)])
        if kind == 1:
            return shapely.MultiLineString([p for g in geoms for p in shapely.get_parts(g)])
        return shapely.MultiPoint([p for g in geoms for p in shapely.get_parts(g)])
    return shapely.GeometryCollection(geoms)


def _locate(
    node: lp.Node,
    gz: Gazetteer,
    rules: dict[str, dict[str, float]],
    text: str,
    area: float | None,
    hint: str | None = None,
) -> LocateResult:
    ctx = NameContext(gz, rules, hint)
    if isinstance(node, lp.NoPlace):
        why = {
            "district-wide": "district-wide 全区范围",
            "unknown": "location not decided 位置待定",
            "subdistricts": "whole 街道 named, no place 仅写街道",
        }[node.reason]
        return LocateResult(text, span=node.span, reason=why)
    if isinstance(node, lp.Unparsed):
        return LocateResult(text, span=node.span, reason=f"unparsed 无法解析: {node.why}")
    if isinstance(node, lp.Sizhi):
        res = _sizhi(node, ctx, text)
        if res.placed and area and res.geometry.geom_type == "Polygon":
            res.area_ratio = round(float(res.geometry.area / area), 3)
        return res
    if isinstance(node, lp.Segment):
        return _segment(node, ctx, text)
    if isinstance(node, lp.Relative):
        return _relative(node, ctx, text)
    if isinstance(node, lp.Around):
        return _place(node.anchor, node.span, ctx, text, area, node.mode)
    if isinstance(node, lp.Place):
        return _place(node.name, node.span, ctx, text, area)
    assert isinstance(node, lp.Multi)
    parts = [_locate(p, gz, rules, text, None, hint) for p in node.parts]
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
        res.area_ratio = round(float(res.geometry.area / area), 3)
    return res


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


def results_frame(results: list[LocateResult], crs: str) -> Any:
    """Results as a GeoDataFrame (``crs`` = the gazetteer's metric CRS) with the explanation columns
    ``geometry_method``, ``geometry_confidence``, ``location_span``, ``location_matches`` (JSON),
    ``area_ratio``, ``location_reason`` and ``geometry_quality``.

    >>> results_frame([LocateResult("全区", reason="district-wide")], "EPSG:4548")["geometry_quality"].tolist()
    ['none']
    """
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {
            "geometry_method": [r.method for r in results],
            "geometry_confidence": [r.confidence for r in results],
            "location_span": [r.span or None for r in results],
            "location_matches": [r.matches_json() if r.matches else None for r in results],
            "area_ratio": [r.area_ratio if r.area_ratio is not None else np.nan for r in results],
            "location_reason": [r.reason or None for r in results],
            "geometry_quality": [r.geometry_quality for r in results],
        },
        geometry=[r.geometry if r.placed else None for r in results],
        crs=crs,
    )
