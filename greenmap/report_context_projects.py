"""The report's green projects: those of a 街道, their status as of the report's year and their
table rows (status history, citation, where the project geometry came from).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np

from greenmap.report_context_common import _empty, _known, _records
from greenmap.report_data import ReportData, _present
from greenmap.report_format import (
    CATEGORY,
    STATUS_EN,
    STATUS_ZH,
    _codes,
    _num,
    _placement,
    _split_source,
)


def _status_history(text: Any) -> str:
    from webmap.service import parse_status_history

    hist = parse_status_history(text)
    return " → ".join(f"{y} {STATUS_ZH.get(s, s)} {STATUS_EN.get(s, s)}".strip() for y, s in hist)


def _projects_of(data: ReportData, code: str | None) -> gpd.GeoDataFrame:
    """The projects of the 街道 ``code`` (``None``: all), in the study's metric CRS."""
    p = data.study.get("projects")
    if p is None or p.empty:
        return _empty(data.study.metric_crs)
    if code is None:
        return p
    mask = p["subdistrict_codes"].map(lambda t: str(code) in _codes(t))
    return p[mask.to_numpy(dtype=bool)]


def _status_now(r: dict[str, Any], year: int | None) -> str:
    from webmap.service import status_as_of

    s = status_as_of(r, year)
    return "not_listed" if s is None else str(s)


def _statuses(projects: gpd.GeoDataFrame, year: int | None) -> list[str]:
    """Each project's status as of ``year`` (``"not_listed"`` before it was listed)."""
    return [_status_now(r, year) for r in _records(projects)]


def _source_loc(r: dict[str, Any]) -> str:
    """Where in the source files the project was read: ``file (lines a-b)``, or ``""``."""
    src_file, src_lines = r.get("source_file"), r.get("source_lines")
    if not _known(src_file):
        return ""
    return str(src_file) + (f" (lines {src_lines})" if _known(src_lines) else "")


def _project_rows(data: ReportData, projects: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The table rows of ``projects``, with their status as of the report's year."""
    out = []
    has = _present(projects) if len(projects) else np.zeros(0, bool)
    for i, r in enumerate(_records(projects)):
        st = _status_now(r, data.year)
        inv = r.get("investment_wan_cny")
        citation, derived = _split_source(r.get("source"))
        out.append(
            {
                "id": str(r.get("project_id")),
                "name": str(r.get("name_zh") or ""),
                "category": CATEGORY.get(str(r.get("category")), str(r.get("category"))),
                "status": (
                    "尚未列入 not yet listed"
                    if st == "not_listed"
                    else f"{STATUS_ZH.get(st, st)} {STATUS_EN.get(st, st)}"
                ),
                "history": _status_history(r.get("status_history")) or "—",
                "area": _num(r.get("area_m2"), 0, " m²"),
                "investment": _num(inv, 0, " 万元") if _known(inv) else "—",
                "citation": citation or "—",
                "source_loc": _source_loc(r),
                # ¹ points to the note, printed once, on how the geometry was derived
                "placement": _placement(r, bool(has[i])) + (" ¹" if derived else ""),
                "placed": bool(has[i]),
                "also": ", ".join(_codes(r.get("subdistricts_zh"))),
            }
        )
    return out
