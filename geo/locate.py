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
- place (``place``): the representative point of the named feature, or a disc of the published area; a whole
  street (``street``): the straight line between its two farthest ends.
- corner / side (``corner``, ``side``): a point offset from the anchor (its extent's corner or side, or the
  crossing of two streets) by a stated distance.
- 周边 / 沿线 / 片区 (``buffer``): a disc or a buffer of a computed line, of a width from the rules.

Every result records the method, the text span used, the names matched with their scores, a confidence and,
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
from geo.gazetteer import Gazetteer, Match, normalise

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
    },
}
_PART_SUFFIX = (
    "路北",
    "路南",
    "路东",
    "路西",
    "北段",
    "南段",
    "东段",
    "西段",
    "中段",
    "西墙",
    "东墙",
    "南墙",
    "北墙",
    "北侧",
    "南侧",
    "东侧",
    "西侧",
    "西口",
    "东口",
    "南口",
    "北口",
    "西岸",
    "东岸",
    "南界",
    "北界",
)


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
        ``sizhi``, ``sizhi_partial``, ``segment``, ``place``, ``street``, ``corner``, ``side``, ``buffer``,
        ``multi`` or ``none``.
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


# ---------------------------------------------------------------- resolution of names


def base_name(name: str) -> str:
    """``name`` without a part suffix (北段, 西墙, 路北 …) or a leading 原 (former).

    >>> base_name("原马连道东街"), base_name("北新华街南段"), base_name("华北电管局西墙")
    ('马连道东街', '北新华街', '华北电管局')
    """
    s = name[1:] if name.startswith("原") and len(name) > 3 else name
    for suf in _PART_SUFFIX:
        if s.endswith(suf) and len(s) > len(suf) + 1:
            return s[: -len(suf)]
    return s


class _Ctx:
    def __init__(self, gz: Gazetteer, rules: dict[str, dict[str, float]], hint: str | None = None):
        self.gz = gz
        self.rules = rules
        self.hint = hint
        self.matches: list[tuple[str, str | None, float]] = []
        self.missing: list[str] = []
        self.ambiguous: list[str] = []

    def find(self, name: str, prefer_street: bool = False) -> Match | None:
        tries = [name] if base_name(name) == name else [name, base_name(name)]
        m: Match | None = None
        for t in tries:
            if prefer_street:
                m = self.gz.lookup(t, kinds=["street"])
                if not m.found and not m.ambiguous:
                    m = self.gz.lookup(t)
            else:
                m = self.gz.lookup(t)
            if m.found or m.ambiguous:
                break
        assert m is not None
        self.matches.append((name, m.name if m.found else None, m.score if m.found else 0.0))
        if m.ambiguous:
            self.ambiguous.append(f"{name} ({' / '.join(m.ambiguous[:3])})")
            return None
        if not m.found:
            self.missing.append(name)
            return None
        return m

    def score(self) -> float:
        """Mean match score over every name looked up (a name not found counts 0)."""
        scores = [s if n is not None else 0.0 for _, n, s in self.matches]
        return float(np.mean(scores)) if scores else 0.0

    def why(self) -> str:
        bits = []
        if self.missing:
            bits.append("not found 未找到: " + "、".join(self.missing))
        if self.ambiguous:
            bits.append("ambiguous 有歧义: " + "、".join(self.ambiguous))
        return "; ".join(bits)


def _result(
    ctx: _Ctx, node_span: str, text: str, geom: shapely.Geometry | None, method: str
) -> LocateResult:
    conf = ctx.rules["confidence"].get(method, 0.3) * ctx.score() if geom is not None else 0.0
    return LocateResult(
        text,
        geom,
        method if geom is not None else "none",
        node_span,
        ctx.matches,
        round(conf, 3),
        ctx.why(),
    )


def _sizhi(node: lp.Sizhi, ctx: _Ctx, text: str) -> LocateResult:
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


def _segment(node: lp.Segment, ctx: _Ctx, text: str) -> LocateResult:
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
    name: str, span: str, ctx: _Ctx, text: str, area_m2: float | None, mode: str = ""
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
    if area_m2 and area_m2 > 0 and chord is None:
        r = math.sqrt(area_m2 / math.pi)
        disc = anchor_point(g).buffer(r, quad_segs=16)
        res = _result(ctx, span, text, disc, "place")
        res.reason = "disc of the published area 按公布面积画圆"
        return res
    if chord is not None:
        return _result(ctx, span, text, chord, "street")
    if m.kind == "street":
        # a ring road or loop: neither a chord nor one point stands for it honestly
        res = _result(ctx, span, text, None, "none")
        res.reason = "a ring road or loop street: no straight-line approximation 环路无法以直线近似"
        return res
    return _result(ctx, span, text, anchor_point(g), "place")


def _relative(node: lp.Relative, ctx: _Ctx, text: str) -> LocateResult:
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
    ctx = _Ctx(gz, rules, hint)
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
