"""Parse the plans' location texts (四至, street segments, corners, places, lists) into a small typed AST.

Pure text processing, no geometry: :func:`parse_location` returns one node; :mod:`geo.locate` turns nodes into
approximate geometry against a :class:`geo.gazetteer.Gazetteer`.

Node types
----------
- :class:`Sizhi` — bounds per side (``N``/``E``/``S``/``W``), each a sequence of names (、 or → or 至…一线).
- :class:`Segment` — a stretch of ``street`` (may be None) between ``start`` and ``end``.
- :class:`Relative` — a point beside an anchor: corner (东南角) or side (东侧/以北区域) of a place or crossing.
- :class:`Around` — a buffer: X周边 / 及周边 (``around``), X两侧 / 沿线 (``along``), X片区/地区 (``area``).
- :class:`Place` — one named street or place.
- :class:`Multi` — several areas (；) or a list of places (、).
- :class:`NoPlace` — district-wide or unknown (全区, 位置待定 …): no geometry, with the reason.
- :class:`Unparsed` — text the grammar does not cover, with why.

>>> parse_location("东至铺陈市胡同、西至留学路、南至永安路、北至珠市口西大街").sides["S"]
('永安路',)
>>> parse_location("西二环-新街口北大街")
Segment(span='西二环-新街口北大街', street=None, start='西二环', end='新街口北大街')
>>> parse_location("全区范围内").reason
'district-wide'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

SIDE_OF = {"东": "E", "西": "W", "南": "S", "北": "N"}
OPPOSITE = {"N": "S", "S": "N", "E": "W", "W": "E"}
COMPASS = {
    "东南": "SE",
    "西南": "SW",
    "东北": "NE",
    "西北": "NW",
    "东": "E",
    "西": "W",
    "南": "S",
    "北": "N",
}


@dataclass(frozen=True)
class Sizhi:
    """四至: the streets or places bounding an area on each side (keys ``N``, ``E``, ``S``, ``W``)."""

    span: str
    sides: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Segment:
    """A stretch of ``street`` (None when not stated) from ``start`` to ``end``."""

    span: str
    street: str | None
    start: str
    end: str


@dataclass(frozen=True)
class Relative:
    """A point on ``direction`` (``N``…``SW``) of ``anchor``; ``crossing`` is the other street of a 交叉口."""

    span: str
    anchor: str
    direction: str
    relation: str  # "corner" or "side"
    crossing: str | None = None


@dataclass(frozen=True)
class Around:
    """A buffer around ``anchor``: ``around`` (周边), ``along`` (两侧/沿线) or ``area`` (片区/地区/区域)."""

    span: str
    anchor: str
    mode: str


@dataclass(frozen=True)
class Place:
    """One named street or place."""

    span: str
    name: str


@dataclass(frozen=True)
class Multi:
    """Several parts: ``areas`` (split by ；) or ``list`` (split by 、/，)."""

    span: str
    parts: tuple[Node, ...]
    kind: str


@dataclass(frozen=True)
class NoPlace:
    """No geometry on purpose: ``district-wide``, ``unknown`` (位置待定) or ``subdistricts`` (names 街道)."""

    span: str
    reason: str


@dataclass(frozen=True)
class Unparsed:
    """Text the grammar does not cover."""

    span: str
    why: str


Node = Sizhi | Segment | Relative | Around | Place | Multi | NoPlace | Unparsed

_DISTRICT = re.compile(r"^(西城)?全区(范围内|\d+个街道|域)?$|^\d+个街道$")
_UNKNOWN = re.compile(r"^(位置待定|待定|不详)$")
_SIDE_MARK = re.compile(r"(东|西|南|北)(?:至|起|临|到|侧至|[:：])")
_YI = re.compile(r"^(.+?)(?:以|之)(东|西|南|北)$")
_NOTE = re.compile(r"[（(][^）)]*[）)]")
_SEG_DASH = re.compile(r"^(?:(.+?)[:：])?\s*(.+?)\s*[-—–－~～]+\s*(.+?)$")
_SEG_ZHI = re.compile(r"^(?:(.+?)[:：])?(.+?)至(.+)段$")
_CROSS = re.compile(
    r"^(.+?)(?:与|和|、)(.+?)(?:交叉口|交口|路口|口)(东南|西南|东北|西北|东|西|南|北)(?:角|侧)$"
)
_CORNER = re.compile(r"^(.+?)(东南|西南|东北|西北)(?:角|侧|部)(?:区域|地块)?$")
_SIDE = re.compile(r"^(.+?)(?:及)?(?:以)?(东|西|南|北)(?:侧|部|面)(?:区域|地块|绿地)?$")
_SIDE_AREA = re.compile(r"^(.+?)及?以(东|西|南|北)(?:区域|地区)?$")
_AROUND = re.compile(r"^(.+?)(?:及其?)?(?:周边|周围|附近)(?:区域|地区)?$")
_ALONG = re.compile(r"^(.+?)(?:河岸)?(?:两侧|沿线|沿岸|沿河)(?:[（(].*[）)])?$")
_AREA = re.compile(r"^(.+?)(片区|地区|区域|街区)$")
_TRAIL = "，,、；;。 \t"


def _clean(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).strip()
    s = s.replace("（", "(").replace("）", ")")
    return s


def _strip_notes(s: str) -> str:
    return _NOTE.sub("", s).strip(_TRAIL)


def _expand(items: list[str]) -> list[str]:
    """Share a written-once name: 东、西长安街 → 东长安街, 西长安街; 群力胡同9号、11号 → …9号, 群力胡同11号."""
    out = list(items)
    for i in range(len(out) - 2, -1, -1):
        nxt = out[i + 1]
        if out[i] in SIDE_OF and nxt[:1] in SIDE_OF:
            out[i] = out[i] + nxt[1:]
    for i in range(1, len(out)):
        m = re.match(r"^(.+?)\d+号", out[i - 1])
        if m and re.fullmatch(r"\d+号(院)?", out[i]):
            out[i] = m.group(1) + out[i]
    return out


def _names_of(value: str) -> tuple[str, ...]:
    """A side's value as a sequence of names: split on 、 → 至 and drop 一线 / 沿 / 一带."""
    v = _strip_notes(value)
    v = re.sub(r"(一线|一带|沿线)$", "", v)
    parts = re.split(r"[、→,，]|至", v)
    return tuple(_expand([p.strip(_TRAIL) for p in parts if p.strip(_TRAIL)]))


def _carrier(prefix: str) -> str | None:
    """The line a two-sided 四至 runs along: 以护城河沿河为主线 → 护城河; 莲花河河岸两侧 → 莲花河."""
    c = _strip_notes(prefix)
    c = re.sub(r"^以", "", c)
    c = re.sub(r"(沿河为主线|为主线|河岸两侧|两侧|沿线|沿河)$", "", c)
    return c or None


def _parse_sizhi(s: str) -> Sizhi | Segment | None:
    marks = list(_SIDE_MARK.finditer(s))
    sides: dict[str, list[str]] = {}
    if len(marks) >= 2:
        for k, m in enumerate(marks):
            end = marks[k + 1].start() if k + 1 < len(marks) else len(s)
            side = SIDE_OF[m.group(1)]
            sides.setdefault(side, []).extend(_names_of(s[m.end() : end]))
        got = {k: tuple(v) for k, v in sides.items() if v}
        for a, b in (("N", "S"), ("E", "W")):
            if set(got) == {a, b}:
                # 北起A，南至B with nothing east or west: a stretch, not an area.
                return Segment(s, _carrier(s[: marks[0].start()]), got[a][0], got[b][0])
        return Sizhi(s, got)
    clauses = [c.strip(_TRAIL) for c in re.split(r"[，,、]", _strip_notes(s)) if c.strip(_TRAIL)]
    found = [y for c in clauses if (y := _YI.match(c))]
    if len(clauses) >= 2 and len(found) == len(clauses):
        for m in found:
            # "X以南": the area lies south of X, so X bounds it on the north.
            sides.setdefault(OPPOSITE[SIDE_OF[m.group(2)]], []).append(m.group(1).strip())
        return Sizhi(s, {k: tuple(v) for k, v in sides.items()})
    return None


def _parse_one(s: str) -> Node:
    s = s.strip(_TRAIL)
    if not s:
        return Unparsed(s, "empty")
    if _DISTRICT.match(s):
        return NoPlace(s, "district-wide")
    if _UNKNOWN.match(s):
        return NoPlace(s, "unknown")
    if re.fullmatch(r"(?:[^、，,]+街道[、，,]?)+", s):
        return NoPlace(s, "subdistricts")
    sz = _parse_sizhi(s)
    if sz is not None:
        return sz
    core = _strip_notes(s)
    core = re.sub(r"等(重点地区|地区|区域)?$", "", core)
    core = re.sub(r"的[^、，,]*(地块|区域|用地)$", "", core)
    if re.search(r"[，,]", core):
        items = [i.strip(_TRAIL) for i in re.split(r"[，,]", core) if i.strip(_TRAIL)]
        if len(items) >= 2:
            return Multi(s, tuple(_parse_one(i) for i in items), "list")
    m = _CROSS.match(core)
    if (
        m
    ):  # 甲路、乙路路口西北角 / 甲与乙交叉口西南角: a corner of a crossing, before splitting on 、
        return Relative(s, m.group(1), COMPASS[m.group(3)], "corner", m.group(2))
    m = _AROUND.match(core)
    if m and "、" in m.group(1):  # 西海、后海等水域周边: 周边 applies to every item
        names = [re.sub(r"等[^、]*$", "", i).strip(_TRAIL) for i in m.group(1).split("、")]
        return Multi(s, tuple(Around(n, n, "around") for n in _expand(names) if n), "list")
    if "、" in core:
        items = _expand([i.strip(_TRAIL) for i in core.split("、") if i.strip(_TRAIL)])
        if len(items) >= 2:
            return Multi(s, tuple(_parse_one(i) for i in items), "list")
    m = _SEG_DASH.match(core)
    if m and m.group(2) and m.group(3):
        return Segment(s, m.group(1), m.group(2), m.group(3))
    m = _SEG_ZHI.match(core)
    if m:
        return Segment(s, m.group(1), m.group(2), m.group(3))
    m = _CORNER.match(core)
    if m:
        return Relative(s, m.group(1), COMPASS[m.group(2)], "corner")
    m = _SIDE.match(core) or _SIDE_AREA.match(core)
    if m and len(m.group(1)) >= 2:
        return Relative(s, m.group(1), COMPASS[m.group(2)], "side")
    m = _AROUND.match(core)
    if m:
        return Around(s, m.group(1), "around")
    m = _ALONG.match(core)
    if m:
        return Around(s, m.group(1), "along")
    m = _AREA.match(core)
    if m and len(m.group(1)) >= 2:
        return Around(s, m.group(1), "area")
    if len(core) >= 2:
        return Place(s, core)
    return Unparsed(s, "too short to be a name")


def parse_location(text: str | None) -> Node:
    """Parse one location text.

    Parameters
    ----------
    text : str or None
        A 四至, segment, corner, place or list as written in the plans.

    Returns
    -------
    Node
        One of the node dataclasses of this module; never raises on odd text (→ :class:`Unparsed`).

    Examples
    --------
    >>> parse_location("西内大街以南，平安里西大街以北，赵登禹路以东，德内大街以西").sides["N"]
    ('西内大街',)
    >>> parse_location("报国寺西南角")
    Relative(span='报国寺西南角', anchor='报国寺', direction='SW', relation='corner', crossing=None)
    >>> parse_location("西海、后海等水域周边").kind
    'list'
    """
    if text is None or not str(text).strip():
        return Unparsed("", "empty")
    s = _clean(str(text))
    areas = [a for a in re.split(r"[；;]", s) if a.strip(_TRAIL)]
    if len(areas) > 1 and not _SIDE_MARK.search(areas[0][:3]) and "：" not in s and ":" not in s:
        return Multi(s, tuple(_parse_one(a) for a in areas), "areas")
    if len(areas) > 1:
        # 北：…；南：… is one 四至 written with semicolons; several full 四至 are several areas.
        whole = _parse_sizhi(s.replace("；", "，").replace(";", "，"))
        per = [_parse_sizhi(a) for a in areas]
        if all(isinstance(p, Sizhi) and len(p.sides) >= 3 for p in per):
            return Multi(s, tuple(p for p in per if p is not None), "areas")
        if whole is not None:
            return whole
        return Multi(s, tuple(_parse_one(a) for a in areas), "areas")
    return _parse_one(s)


def walk(node: Node) -> list[Node]:
    """The node and its descendants, depth first.

    >>> [type(n).__name__ for n in walk(parse_location("甲路；乙街"))]
    ['Multi', 'Place', 'Place']
    """
    out: list[Node] = [node]
    if isinstance(node, Multi):
        for p in node.parts:
            out.extend(walk(p))
    return out
