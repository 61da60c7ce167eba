"""How the planning-meeting report prints values: labels (Chinese first, English beside), rates,
numbers, citations and how a project was placed. Pure formatting, no computation.

>>> fmt_pct(11.80712), fmt_pct(None), _num(1234.5, 1, " m²")
('11.81%', '—', '1,234.5 m²')
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np
import pandas as pd

STATUS_ZH = {"planned": "计划", "under_way": "实施中", "done": "已完成", "unknown": "未知"}


STATUS_EN = {"planned": "planned", "under_way": "under way", "done": "done", "unknown": "unknown"}


QUALITY = {
    "official": "官方 official",
    "osm": "OSM OpenStreetMap",
    "user": "用户绘制 user-drawn",
    "approximate": "近似 approximate",
    "none": "无几何 no geometry",
}


CATEGORY = {
    "park": "公园 park",
    "pocket_park": "口袋公园 pocket park",
    "greenway": "绿道 greenway",
    "urban_forest": "城市森林 urban forest",
    "garden_block": "花园式街区 garden block",
    "vertical_greening": "垂直绿化 vertical greening",
    "green_other": "其他绿化 other greening",
    "shantytown": "棚户区改造 shantytown renewal",
    "environment_upgrade": "环境整治 environment upgrade",
    "lease_surrender": "申请式退租 lease surrender",
    "old_housing": "老旧小区改造 old housing renewal",
    "heritage_vacate": "文物腾退 heritage vacating",
    "renewal_plot": "更新地块 renewal plot",
    "infrastructure": "基础设施 infrastructure",
    "parking": "停车 parking",
    "other": "其他 other",
}


ODBL = "© OpenStreetMap contributors (ODbL 1.0)"


NOT_COMPUTED = "未计算 not computed"


def fmt_pct(v: Any, nd: int = 2) -> str:
    """A rate in per cent as printed in the report (``—`` when missing)."""
    if v is None or (isinstance(v, float | np.floating) and not math.isfinite(float(v))):
        return "—"
    try:
        return f"{float(v):.{nd}f}%"
    except (TypeError, ValueError):
        return "—"


def _num(v: Any, nd: int = 0, unit: str = "") -> str:
    if v is None or pd.isna(v):
        return "—"
    return f"{float(v):,.{nd}f}{unit}"


def _short(text: Any, n: int = 160) -> str:
    """``text`` cut to ``n`` characters (an ellipsis marks the cut).

    >>> _short("abcdef", 4)
    'abc…'
    """
    t = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    return t if len(t) <= n else t[: n - 1] + "…"


def _dedupe(text: Any) -> str:
    """A ``;``-separated citation list without repeats.

    >>> _dedupe("a;b; a")
    'a; b'
    """
    parts = [p.strip() for p in str(text or "").split(";") if p.strip()]
    return "; ".join(dict.fromkeys(parts))


def _split_source(text: Any) -> tuple[str, str]:
    """A project's ``source`` split into its document citations and the note on how its geometry
    was derived (the same long note for every placed project: printed once, in the notes).

    >>> _split_source("《规划》; approximate geometry computed by geo.locate from…; only computed points")
    ('《规划》', 'approximate geometry computed by geo.locate from…; only computed points')
    """
    parts = [p.strip() for p in str(text or "").split(";") if p.strip()]
    geo = [p for p in parts if "geo.locate" in p or p.startswith("only computed")]
    docs = [p for p in parts if p not in geo]
    return "; ".join(dict.fromkeys(docs)), "; ".join(dict.fromkeys(geo))


def _data_uri(img: bytes) -> str:
    mime = "image/jpeg" if img[:2] == b"\xff\xd8" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(img).decode("ascii")


def _given(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and str(v).strip() != ""


def _codes(text: Any) -> list[str]:
    if not isinstance(text, str):
        return []
    return [c.strip() for c in text.split(";") if c.strip()]


def _net_note(note: Any) -> str:
    """The network parts of a coverage row's note (the population remark is shown elsewhere)."""
    parts = [p.strip() for p in str(note or "").split(";") if p.strip()]
    return "; ".join(p for p in parts if "population" not in p)


def _placement(r: dict[str, Any], has_geom: bool) -> str:
    """How a project was placed on the map: quality, method, confidence, area check, reason.

    Uses the placement columns of the projects layer where present (``geometry_method``,
    ``geometry_confidence``, ``area_ratio``, ``location_reason``, ``confirmed_by``) and says
    "not placed" with the reason otherwise.

    >>> _placement({"geometry_quality": "approximate", "geometry_method": "sizhi",
    ...             "geometry_confidence": 0.45}, True)
    '近似 approximate; 方法 method: sizhi; 置信度 confidence: 0.45'
    >>> _placement({"sizhi_zh": "北起…", "location_reason": "not found 未找到: 天桥"}, False)
    '未定位 not placed: not found 未找到: 天桥'
    """
    q = str(r.get("geometry_quality") or "none")
    method = r.get("geometry_method")
    conf = r.get("geometry_confidence", r.get("confidence"))
    reason = next(
        (
            r.get(c)
            for c in ("location_reason", "geometry_note", "placement_note")
            if _given(r.get(c))
        ),
        None,
    )
    if has_geom:
        parts = [QUALITY.get(q, q)]
        if _given(method):
            parts.append(f"方法 method: {method}")
        if _given(conf):
            parts.append(f"置信度 confidence: {conf}")
        ratio = r.get("area_ratio")
        if ratio is not None and _given(ratio):
            parts.append(f"面积比 area ratio {float(ratio):.2f}")
        if _given(r.get("confirmed_by")):
            parts.append(f"确认 confirmed by {r['confirmed_by']}")
        if reason:
            parts.append(_short(reason, 120))
        return "; ".join(parts)
    if reason:
        return f"未定位 not placed: {_short(reason, 160)}"
    sizhi = r.get("sizhi_zh")
    if _given(sizhi):
        return "未定位 not placed: 仅有四至文字，无公布位置 only a 四至 text, no published location"
    return "未定位 not placed: 无公布位置 no location published"
