"""What :mod:`geo.locate` returns: the :class:`LocateResult` of one text, how one is made from the names
looked up, and :func:`results_frame`, the results as a GeoDataFrame with the explanation columns.

Pure. Geometry is in the gazetteer's metric CRS (EPSG:4548 for Xicheng; metres, m²).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from geo.locate_names import NameContext


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


def result_for(
    ctx: NameContext, span: str, text: str, geom: shapely.Geometry | None, method: str
) -> LocateResult:
    """The result of ``method`` over the names ``ctx`` looked up (``geom`` None: not placed).

    Confidence = the method's base confidence (``rules.confidence``, capped at ``confidence.partial`` when a
    name rests on a partial or unique-prefix match) × the mean match score; the reason is ``ctx.why()``.
    """
    base = ctx.rules["confidence"].get(method, 0.3)
    if ctx.weak:  # resting on a partial or unique-prefix name: low confidence (rules.toml)
        base = min(base, ctx.rules["confidence"]["partial"])
    conf = base * ctx.score() if geom is not None else 0.0
    return LocateResult(
        text,
        geom,
        method if geom is not None else "none",
        span,
        ctx.matches,
        round(conf, 3),
        ctx.why(),
    )


def join_notes(notes: list[str]) -> str:
    """Non-empty notes joined with "; ".

    >>> join_notes(["", "a", "b"])
    'a; b'
    """
    return "; ".join(n for n in notes if n)


def add_note(res: LocateResult, note: str) -> LocateResult:
    """``res`` with ``note`` appended to its reason (in place; returned for chaining)."""
    res.reason = join_notes([res.reason, note])
    return res


def halve_confidence(res: LocateResult) -> None:
    """Halve ``res``'s confidence (in place): the geometry rests on a warning."""
    res.confidence = round(res.confidence * 0.5, 3)


def area_ratio(geom: shapely.Geometry, area_m2: float) -> float:
    """Derived ÷ published area (m² / m²), rounded to 3 decimals.

    >>> area_ratio(shapely.box(0, 0, 10, 10), 50.0)
    2.0
    """
    return round(float(geom.area / area_m2), 3)


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
