"""Place-name text for :mod:`geo.gazetteer`: normalisation and the fuzzy similarity of two names.

Pure string processing, no geometry. Names are normalised (Unicode NFKC: full-width → half-width; spaces,
quotes and bracketed notes dropped), but 东/西/南/北 prefixes and the suffixes 大街/街/路/胡同 are kept, so
白纸坊西街 and 白纸坊东街 never match each other exactly and fuzzy matches that differ in them are penalised.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping

DIRECTIONS = "东西南北内外前后中"
NUMERALS = "0123456789一二三四五六七八九十头"
SUFFIXES = ("大街", "胡同", "街", "路", "巷", "桥", "河", "公园", "站")
_DROP = re.compile(r"[\s\"'“”‘’「」《》]|\(.*?\)")


def normalise(name: str) -> str:
    """Normalised form of a place name: NFKC (full → half width), no spaces, quotes or bracketed notes.

    >>> normalise("  德胜门内大街（北段） ")
    '德胜门内大街'
    >>> normalise("“金科新区”")
    '金科新区'
    """
    s = unicodedata.normalize("NFKC", str(name))
    s = _DROP.sub("", s)
    return s.replace("—", "-").replace("–", "-").replace("－", "-")


def normalise_table(table: Mapping[str, str] | None) -> dict[str, str]:
    """An alias table (name → name) with both sides normalised.

    >>> normalise_table({"德 内": "德胜门内"})
    {'德内': '德胜门内'}
    """
    return {normalise(k): normalise(v) for k, v in (table or {}).items()}


def normalise_words(words: Iterable[object]) -> tuple[str, ...]:
    """Each word (affix, gate, group member …) normalised, in order.

    >>> normalise_words(["公园", " 原"])
    ('公园', '原')
    """
    return tuple(normalise(str(w)) for w in words)


def _suffix(name: str) -> str:
    for suf in SUFFIXES:
        if name.endswith(suf):
            return suf
    return ""


def _directions(name: str) -> str:
    return "".join(sorted(c for c in name if c in DIRECTIONS))


def _numerals(name: str) -> str:
    return "".join(c for c in name if c in NUMERALS)


def similarity(query: str, candidate: str) -> float:
    """Fuzzy score in [0, 1] between two normalised names (difflib ratio, penalised for a differing
    direction or position character (东西南北内外前后中), number, or street-type suffix, which name different
    streets or buildings).

    >>> similarity("西四北大街", "西四北大街")
    1.0
    >>> similarity("白纸坊西街", "白纸坊东街") < 0.5
    True
    >>> similarity("三里河三区", "三里河一区") < 0.5
    True
    """
    if query == candidate:
        return 1.0
    score = difflib.SequenceMatcher(None, query, candidate, autojunk=False).ratio()
    if _directions(query) != _directions(candidate):
        score *= 0.5
    if _numerals(query) != _numerals(candidate):
        score *= 0.5
    if _suffix(query) != _suffix(candidate):
        score *= 0.8
    return float(score)
