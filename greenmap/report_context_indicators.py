"""The report's indicator tables: the computed coverage (%) of a unit, by area and by population,
beside the network-distance rate; the official reported series; the one-page table of all 街道.

Every computed figure is labelled with its basis; official figures keep their citation.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np

from greenmap.report_context_common import VARIANTS, _known, _row
from greenmap.report_context_projects import _projects_of, _statuses
from greenmap.report_data import ReportData, _is_network, _present, network_of
from greenmap.report_format import NOT_COMPUTED, _dedupe, _net_note, _num, _short, fmt_pct


def _area_row(
    data: ReportData, r: dict[str, Any], variant: str, label: str, hb_mapped: bool
) -> dict[str, Any]:
    """The area-weighted rate of one variant (row ``r`` of the coverage table)."""
    note = ""
    if variant == "non_historic" and not hb_mapped:
        note = "历史文化街区无边界数据，与全部用地相同 historic blocks have no boundary: equals all land"
    basis = "面积 by area"
    if _is_network(data.rule):
        basis = f"网络 network: {data.rule.id}"
        eu = r.get("euclidean_rate_pct")
        if _known(eu):
            note = (note + "; " if note else "") + f"直线距离 straight-line: {fmt_pct(eu)}"
    return {
        "label": label,
        "basis": basis,
        "value": fmt_pct(r["rate_pct"]),
        "detail": (
            f"{_num(r['covered_m2'] / 1e6, 3)} / {_num(r['residential_m2'] / 1e6, 3)} km²; "
            f"弧段误差 arc error ≤ {float(r['arc_error_bound_pp']):.3f} pp"
        ),
        "note": note,
        "headline": bool(r.get("headline")),
    }


def _population_row(r: dict[str, Any], zh: str, en: str) -> dict[str, Any]:
    """The population-weighted rate of one variant, or why it is unknown."""
    pop = r.get("pop_rate_pct")
    known = _known(pop)
    return {
        "label": f"{zh}（按人口）{en}, population-weighted",
        "basis": "人口 by population",
        "value": fmt_pct(pop) if known else "未知 unknown",
        "detail": (
            f"{_num(r.get('population_covered'))} / {_num(r.get('population'))} 人 people"
            if known
            else ""
        ),
        "note": "" if known else _short(r.get("note") or "人口未知 population unknown"),
        "headline": False,
    }


def _network_rows(data: ReportData, scope: str, code: str | None) -> list[dict[str, Any]]:
    """The network-distance rates of a straight-line rule set's report, or why there are none."""
    net = network_of(data, code if scope == "subdistrict" else None)
    if net.get("status") != "ok":
        return [
            {
                "label": "网络距离 network distance",
                "basis": "网络 network",
                "value": NOT_COMPUTED,
                "detail": "",
                "note": str(net.get("reason", "")),
                "headline": False,
            }
        ]
    rows = []
    for variant, zh, en in VARIANTS:
        r = _row(net["table"], scope, code, variant)
        if r is not None:
            rows.append(
                {
                    "label": f"{zh}（网络距离）{en}, network distance",
                    "basis": f"网络 network: {net['rule'].id}",
                    "value": fmt_pct(r["rate_pct"]),
                    "detail": net["rule"].title_zh,
                    "note": _short(_net_note(r.get("note")), 220),
                    "headline": False,
                }
            )
    return rows


def _indicator_rows(data: ReportData, scope: str, code: str | None) -> list[dict[str, Any]]:
    """The computed indicator, every variant, for one unit."""
    rows: list[dict[str, Any]] = []
    hb = data.study.get("historic_blocks")
    hb_mapped = hb is not None and bool(_present(hb).any())
    for variant, zh, en in VARIANTS:
        r = _row(data.table, scope, code, variant)
        if r is None:
            continue
        rows.append(_area_row(data, r, variant, f"{zh} {en}", hb_mapped))
        rows.append(_population_row(r, zh, en))
    # a network rule set's main rows are network rates already
    if _is_network(data.rule):
        return rows
    return rows + _network_rows(data, scope, code)


def _reported_rows(data: ReportData) -> list[dict[str, Any]]:
    """The official reported series, one row per figure, each with its source."""
    out = []
    kinds = {
        "actual": "实际 actual",
        "expected": "预计 expected",
        "baseline": "基期 baseline",
        "target": "目标 target",
        "plan": "计划 plan",
    }
    scopes = {"district": "全区 district", "non_historic_blocks": "非历史文化街区 non-historic"}
    for r in data.reported.to_dict("records"):
        out.append(
            {
                "year": int(r["year"]),
                "value": fmt_pct(r["value"]),
                "kind": kinds.get(str(r["kind"]), str(r["kind"])),
                "scope": scopes.get(str(r.get("scope")), str(r.get("scope"))),
                "name": str(r.get("name_zh") or ""),
                "source": _dedupe(r.get("source")),
                "note": _short(r.get("note"), 240),
            }
        )
    return out


def _summary_rows(data: ReportData, cand: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The one-page table of all 街道: rates, projects by status, candidate sites (of ``cand``)."""
    out = []
    sub = data.study["subdistricts"].sort_values("code")
    net = network_of(data, None)
    for r in sub.to_dict("records"):
        code = str(r["code"])
        a = _row(data.table, "subdistrict", code, "all_land") or {}
        nh = _row(data.table, "subdistrict", code, "non_historic") or {}
        nw = (
            _row(net["table"], "subdistrict", code, data.rule.headline_variant)
            if net.get("status") == "ok"
            else None
        )
        status = _statuses(_projects_of(data, code), data.year)
        pop = a.get("pop_rate_pct")
        out.append(
            {
                "code": code,
                "name_zh": str(r["name_zh"]),
                "name_en": str(r.get("name_en") or ""),
                "residential_km2": _num(a.get("residential_m2", np.nan) / 1e6, 2),
                "all_land": fmt_pct(a.get("rate_pct")),
                "non_historic": fmt_pct(nh.get("rate_pct")),
                "population": fmt_pct(pop) if _known(pop) else "—",
                "network": fmt_pct(nw["rate_pct"]) if nw else "—",
                "planned": status.count("planned"),
                "under_way": status.count("under_way"),
                "done": status.count("done"),
                "candidates": int((cand["subdistrict_code"].astype(str) == code).sum())
                if len(cand)
                else 0,
            }
        )
    return out
