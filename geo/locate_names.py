"""Resolving the names of one location text against a gazetteer, for :mod:`geo.locate`.

Pure. :class:`NameContext` looks each name up and keeps what :mod:`geo.locate` needs to explain a result:
the names matched with their scores, the names not found or ambiguous, notes, and whether a result rests on a
weak (partial or unique-prefix) match. A name is tried, in order:

1. whole (after normalisation, aliases, affixes, fuzzy and unique prefix: :meth:`Gazetteer.lookup`), then
   without a part suffix (北段, 西墙, 路北 … :func:`base_name`);
2. as a gate of a named place (景山公园西门 → the west side of 景山公园, the gate words and sides in
   ``data/gazetteer/aliases.toml`` ``[gates]``), only when the place is found whole;
3. by its longest leading part that is a whole gazetteer name (北新华街110号 → 北新华街; at least
   ``partial.min_chars`` characters, or ``partial.min_chars_before_number`` when a number follows), score
   = characters matched / characters of the name, the rest named in the explanation. The part must name
   a street or an area (polygon): a house number, plot, building or sub-estate is part of a street or an
   area, not of a river, rail line or point (三里河三区 is not part of the river 三里河). Only whole names
   and aliases count here (no affix, fuzzy or prefix forms: 西便门小区 is not 西便门 + 公园).

Geometry is in the gazetteer's metric CRS (metres).
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from geo.gazetteer import Gazetteer, Match, normalise
from geo.locate_geom import gate_point

#: Part suffixes: 北新华街南段 is a part of 北新华街 (gates such as 南口 are data, ``[gates]``).
PART_SUFFIX = (
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
    "西岸",
    "东岸",
    "南界",
    "北界",
)
AREAS = ("Polygon", "MultiPolygon")
NUMBER_CHARS = "0123456789一二三四五六七八九十"
SIDE_ZH = {"N": "北", "S": "南", "E": "东", "W": "西"}
_HOUSE = re.compile(r"^[0-9]+号(院|楼)?")
_PLOT = re.compile(r"^[0-9]+号地")


def base_name(name: str) -> str:
    """``name`` without a part suffix (北段, 西墙, 路北 …).

    >>> base_name("北新华街南段"), base_name("华北电管局西墙"), base_name("西墙")
    ('北新华街', '华北电管局', '西墙')
    """
    for suf in PART_SUFFIX:
        if name.endswith(suf) and len(name) > len(suf) + 1:
            return name[: -len(suf)]
    return name


def partial_note(name: str, head: str, rest: str, matched: str, kind: str) -> str:
    """What a partial match leaves out, in English and Chinese.

    >>> partial_note("北新华街110号", "北新华街", "110号", "北新华街", "street")
    'house number 110号 not located: the whole street shown 门牌号未定位，显示整条街道'
    >>> partial_note("月坛西街西里", "月坛西街", "西里", "月坛西街", "street")
    "only '月坛西街' of '月坛西街西里' found 仅找到「月坛西街」"
    """
    if kind == "street":
        whole, whole_zh = "the whole street shown", "显示整条街道"
    else:
        whole, whole_zh = f"the whole of {matched} shown", f"显示{matched}整体"
    if _PLOT.match(rest):
        return f"plot {rest} not located: {whole} 地块号未定位，{whole_zh}"
    if _HOUSE.match(rest):
        return f"house number {rest} not located: {whole} 门牌号未定位，{whole_zh}"
    return f"only '{head}' of '{name}' found 仅找到「{head}」"


class NameContext:
    """Name lookups of one text (or one part of a text) and their explanation.

    Parameters
    ----------
    gz : Gazetteer
    rules : dict
        Location rules with defaults (:func:`geo.locate.rules_with_defaults`); reads ``partial``.
    hint : str, optional
        The project's name (a segment's carrier street may be taken from it).
    """

    def __init__(self, gz: Gazetteer, rules: dict[str, dict[str, float]], hint: str | None = None):
        self.gz = gz
        self.rules = rules
        self.hint = hint
        self.matches: list[tuple[str, str | None, float]] = []
        self.missing: list[str] = []
        self.ambiguous: list[str] = []
        self.notes: list[str] = []
        self.weak = False

    def _lookup(self, name: str, prefer_street: bool, whole_only: bool = False) -> Match:
        loose = not whole_only  # whole_only: names and aliases, no fuzzy, prefix or affix forms
        if prefer_street:
            m = self.gz.lookup(name, ["street"], fuzzy=loose, prefix=loose, affix=loose)
            if m.found or m.ambiguous:
                return m
        return self.gz.lookup(name, None, fuzzy=loose, prefix=loose, affix=loose)

    def _whole(self, name: str, prefer_street: bool) -> Match:
        m = self._lookup(name, prefer_street)
        if not (m.found or m.ambiguous) and base_name(name) != name:
            m = self._lookup(base_name(name), prefer_street)
        return m

    def _gate(self, name: str) -> Match | None:
        norm = normalise(name)
        for word in sorted(self.gz.gates, key=len, reverse=True):
            if not (norm.endswith(word) and len(norm) > len(word) + 1):
                continue
            m = self._whole(norm[: -len(word)], False)
            if m.ambiguous:
                return m
            if not m.found or m.via == "prefix" or m.geometry.geom_type in ("Point", "MultiPoint"):
                return None
            side = self.gz.gates[word]
            where = (
                f"its {side} side 取{m.name}{SIDE_ZH[side]}侧"
                if side
                else f"no side known: the place itself 方位不明，取{m.name}本身"
            )
            self.notes.append(f"gate {word} of {m.name}: {where}")
            return replace(m, geometry=gate_point(m.geometry, side), via="gate")
        return None

    def _partial(self, name: str, prefer_street: bool) -> Match | None:
        norm = normalise(name)
        rule = self.rules.get("partial", {})
        min_chars = int(rule.get("min_chars", 3))
        min_num = int(rule.get("min_chars_before_number", 2))
        for k in range(len(norm) - 1, 0, -1):
            head, rest = norm[:k], norm[k:]
            if k < min_chars and not (k >= min_num and rest[0] in NUMBER_CHARS):
                continue
            m = self._lookup(head, prefer_street, whole_only=True)
            if m.ambiguous:
                return replace(m, query=name)
            if m.found and (m.kind == "street" or m.geometry.geom_type in AREAS):
                self.notes.append(partial_note(name, head, rest, str(m.name), m.kind))
                return replace(m, query=name, score=m.score * k / len(norm), via="partial")
        return None

    def find(self, name: str, prefer_street: bool = False) -> Match | None:
        """Look ``name`` up (whole, gate, partial); record it; return the match or None.

        ``prefer_street`` tries streets first (bounding sides, segment ends).
        """
        m = self._whole(name, prefer_street)
        if not (m.found or m.ambiguous):
            m = self._gate(name) or m
        if not (m.found or m.ambiguous):
            m = self._partial(name, prefer_street) or m
        self.matches.append((name, m.name if m.found else None, m.score if m.found else 0.0))
        if m.ambiguous:
            self.ambiguous.append(f"{name} ({' / '.join(m.ambiguous[:3])})")
            return None
        if not m.found:
            self.missing.append(name)
            return None
        if m.via == "prefix":
            self.notes.append(
                f"'{name}' taken as the one name beginning with it, {m.name} 取唯一以此开头的名称"
            )
        self.weak = self.weak or m.via in ("partial", "prefix")
        return m

    def score(self) -> float:
        """Mean match score over every name looked up (a name not found counts 0)."""
        scores = [s if n is not None else 0.0 for _, n, s in self.matches]
        return float(np.mean(scores)) if scores else 0.0

    def why(self) -> str:
        """Names not found or ambiguous, and notes on gates and partial matches."""
        bits = []
        if self.missing:
            bits.append("not found 未找到: " + "、".join(self.missing))
        if self.ambiguous:
            bits.append("ambiguous 有歧义: " + "、".join(self.ambiguous))
        bits.extend(self.notes)
        return "; ".join(bits)
