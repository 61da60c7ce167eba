"""The planning-meeting report's template context, from :class:`greenmap.report_data.ReportData`.

:func:`subdistrict_context` (one 街道's section), :func:`district_context` (the one-page table of all
街道, the district's map and notes, then the sections, drawn in forked processes) and
:func:`report_context`. Every official figure carries its citation; every computed one is labelled
本工具计算 computed. Coordinates printed for candidate sites are WGS-84 lon/lat.
"""

from __future__ import annotations

import datetime as dt
import math
import multiprocessing as mp
import os
import threading
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.gaps import candidate_sites
from geo.rules import RuleSet
from geo.scenarios import parks_as_of
from greenmap.report_data import ReportData, _is_network, _present, check_code, network_of
from greenmap.report_format import (
    CATEGORY,
    NOT_COMPUTED,
    ODBL,
    QUALITY,
    STATUS_EN,
    STATUS_ZH,
    _codes,
    _data_uri,
    _dedupe,
    _net_note,
    _num,
    _placement,
    _short,
    _split_source,
    fmt_pct,
)
from greenmap.report_map import MapLayers, draw_map, draw_series_chart

#: Candidate sites listed per 街道 and for the district.
K_SUBDISTRICT, K_DISTRICT = 5, 10


#: Image format of the maps: JPEG (quality 93, 4:4:4) is embedded by WeasyPrint as it is; PNG is
#: re-encoded, about a second per 300 dpi map on a loaded 2-core machine.
MAP_FORMAT = "jpeg"


def _row(table: pd.DataFrame, scope: str, code: str | None, variant: str) -> dict[str, Any] | None:
    t = table[(table["scope"] == scope) & (table["variant"] == variant)]
    if code is not None:
        t = t[t["unit_code"].astype(str) == str(code)]
    return None if t.empty else dict(t.iloc[0])


def _indicator_rows(data: ReportData, scope: str, code: str | None) -> list[dict[str, Any]]:
    """The computed indicator, every variant, for one unit."""
    rows: list[dict[str, Any]] = []
    hb = data.study.get("historic_blocks")
    hb_mapped = hb is not None and bool(_present(hb).any())
    main_net = _is_network(data.rule)
    for variant, zh, en in (
        ("all_land", "全部居住用地", "all residential land"),
        ("non_historic", "非历史文化街区地区", "outside historic blocks"),
    ):
        r = _row(data.table, scope, code, variant)
        if r is None:
            continue
        note = ""
        if variant == "non_historic" and not hb_mapped:
            note = "历史文化街区无边界数据，与全部用地相同 historic blocks have no boundary: equals all land"
        basis = "面积 by area"
        if main_net:
            basis = f"网络 network: {data.rule.id}"
            eu = r.get("euclidean_rate_pct")
            if eu is not None and not pd.isna(eu):
                note = (note + "; " if note else "") + f"直线距离 straight-line: {fmt_pct(eu)}"
        rows.append(
            {
                "label": f"{zh} {en}",
                "basis": basis,
                "value": fmt_pct(r["rate_pct"]),
                "detail": (
                    f"{_num(r['covered_m2'] / 1e6, 3)} / {_num(r['residential_m2'] / 1e6, 3)} km²; "
                    f"弧段误差 arc error ≤ {float(r['arc_error_bound_pp']):.3f} pp"
                ),
                "note": note,
                "headline": bool(r.get("headline")),
            }
        )
        pop = r.get("pop_rate_pct")
        known = pop is not None and not pd.isna(pop)
        rows.append(
            {
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
        )
    if main_net:
        return rows
    net = network_of(data, code if scope == "subdistrict" else None)
    if net.get("status") == "ok":
        for variant, zh, en in (
            ("all_land", "全部居住用地", "all residential land"),
            ("non_historic", "非历史文化街区地区", "outside historic blocks"),
        ):
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
    else:
        rows.append(
            {
                "label": "网络距离 network distance",
                "basis": "网络 network",
                "value": NOT_COMPUTED,
                "detail": "",
                "note": str(net.get("reason", "")),
                "headline": False,
            }
        )
    return rows


def _reported_rows(data: ReportData) -> list[dict[str, Any]]:
    out = []
    kinds = {
        "actual": "实际 actual",
        "expected": "预计 expected",
        "baseline": "基期 baseline",
        "target": "目标 target",
        "plan": "计划 plan",
    }
    for r in data.reported.to_dict("records"):
        out.append(
            {
                "year": int(r["year"]),
                "value": fmt_pct(r["value"]),
                "kind": kinds.get(str(r["kind"]), str(r["kind"])),
                "scope": {
                    "district": "全区 district",
                    "non_historic_blocks": "非历史文化街区 non-historic",
                }.get(str(r.get("scope")), str(r.get("scope"))),
                "name": str(r.get("name_zh") or ""),
                "source": _dedupe(r.get("source")),
                "note": _short(r.get("note"), 240),
            }
        )
    return out


def _status_history(text: Any) -> str:
    from webmap.service import parse_status_history

    hist = parse_status_history(text)
    return " → ".join(f"{y} {STATUS_ZH.get(s, s)} {STATUS_EN.get(s, s)}".strip() for y, s in hist)


def _projects_of(data: ReportData, code: str | None) -> gpd.GeoDataFrame:
    p = data.study.get("projects")
    if p is None or p.empty:
        return gpd.GeoDataFrame(geometry=[], crs=data.study.metric_crs)
    if code is None:
        return p
    mask = p["subdistrict_codes"].map(lambda t: str(code) in _codes(t))
    return p[mask.to_numpy(dtype=bool)]


def _status_now(r: dict[str, Any], year: int | None) -> str:
    from webmap.service import status_as_of

    s = status_as_of(r, year)
    return "not_listed" if s is None else str(s)


def _project_rows(data: ReportData, projects: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    out = []
    has = _present(projects) if len(projects) else np.zeros(0, bool)
    for i, r in enumerate(projects.drop(columns=projects.geometry.name).to_dict("records")):
        st = _status_now(r, data.year)
        inv = r.get("investment_wan_cny")
        src_lines = r.get("source_lines")
        src_file = r.get("source_file")
        loc = ""
        if src_file is not None and not pd.isna(src_file):
            loc = str(src_file) + (
                f" (lines {src_lines})" if src_lines is not None and not pd.isna(src_lines) else ""
            )
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
                "investment": _num(inv, 0, " 万元")
                if inv is not None and not pd.isna(inv)
                else "—",
                "citation": _split_source(r.get("source"))[0] or "—",
                "source_loc": loc,
                "placement": _placement(r, bool(has[i]))
                + (" ¹" if _split_source(r.get("source"))[1] else ""),
                "placed": bool(has[i]),
                "also": ", ".join(_codes(r.get("subdistricts_zh"))),
            }
        )
    return out


def _candidates(data: ReportData, code: str | None, k: int) -> tuple[gpd.GeoDataFrame, str, str]:
    """Top ``k`` candidate sites for the 街道 (its residential land, candidate land inside it) or the
    district; with the basis label and a note when there are none."""
    res = data.study["residential"]
    land = data.land
    if land is None:
        return gpd.GeoDataFrame(geometry=[], crs=res.crs), "", "没有区界 no district outline"
    geom = land.geometry
    if code is not None:
        subs = data.study["subdistricts"]
        poly = shapely.union_all(
            np.asarray(subs[subs["code"].astype(str) == str(code)].geometry.values)
        )
        geom = shapely.intersection(geom, poly)
        res = res[(res["subdistrict_code"].astype(str) == str(code)).to_numpy()]
    if res.empty:
        return (
            gpd.GeoDataFrame(geometry=[], crs=res.crs),
            land.note,
            "无居住用地 no residential land",
        )
    rule = data.rule
    size = max(float(rule.min_area_m2), 1000.0)
    radius = max(
        (t.radius_m for t in rule.tiers if t.min_area_m2 <= size and t.zone == "any"),
        default=max(t.radius_m for t in rule.tiers),
    )
    cell = max(200.0, math.ceil(math.sqrt(size)))
    try:
        out = candidate_sites(res, data.served, geom, size, radius, k, cell)
    except ValueError as exc:
        return gpd.GeoDataFrame(geometry=[], crs=res.crs), land.note, str(exc)
    note = str(out.attrs.get("note", "")) if out.empty else ""
    out["geometry_quality"] = "approximate"
    return out, land.note, note


def _candidate_rows(
    cand: gpd.GeoDataFrame, crs: Any, names: dict[str, str]
) -> list[dict[str, Any]]:
    if cand.empty:
        return []
    pts = gpd.GeoSeries(shapely.points(cand["site_x"], cand["site_y"]), crs=crs).to_crs(4326)
    out = []
    for r, p in zip(cand.to_dict("records"), pts, strict=True):
        out.append(
            {
                "rank": int(r["rank"]),
                "lon": f"{p.x:.5f}",
                "lat": f"{p.y:.5f}",
                "subdistrict": names.get(str(r.get("subdistrict_code")), "—"),
                "new_covered": _num(r["new_covered_m2"], 0, " m²"),
                "cumulative_pp": f"{float(r['cumulative_pp']):.2f} pp",
                "radius": _num(r["service_radius_m"], 0, " m"),
            }
        )
    return out


def _vintage(data: ReportData) -> dict[str, str]:
    area = data.study.area
    dates = []
    for f in area.layers.values():
        for base in (area.data_dir,):
            p = Path(base) / f
            if p.is_file():
                dates.append(p.stat().st_mtime)
    files = dt.datetime.fromtimestamp(max(dates), dt.UTC).strftime("%Y-%m-%d") if dates else "—"
    rep = data.reported
    upto = str(int(rep["year"].max())) if len(rep) else "—"
    return {
        "area": f"{area.title_zh} {area.title_en} ({area.name})",
        "files": files,
        "reported_upto": upto,
        "projects": data.study.projects_source,
        "year": str(data.year) if data.year is not None else "当前数据 current data",
        "generated": data.generated,
    }


def _sources(data: ReportData) -> str:
    seen: list[str] = []
    osm = False
    for name in ("subdistricts", "parks", "residential", "historic_blocks", "projects"):
        g = data.study.get(name)
        if g is None or g.empty:
            continue
        q = set(g.get("geometry_quality", pd.Series(dtype=str)).astype(str))
        src = " ".join(g.get("source", pd.Series(dtype=str)).astype(str).unique()[:50])
        if "osm" in q or "openstreetmap" in src.lower():
            osm = True
        seen.append(name)
    text = (
        "数据来源 Sources: 各图层 source 字段 layer source fields (see data-quality notes); "
        "覆盖、缺口与候选地块为本工具计算 coverage, gaps and candidate sites computed by GreenMap Xicheng"
    )
    return text + ("; " + ODBL if osm else "")


def _quality_notes(data: ReportData, code: str | None, projects: gpd.GeoDataFrame) -> list[str]:
    notes: list[str] = []
    for name, zh, en in (
        ("district", "区界", "district outline"),
        ("subdistricts", "街道边界", "街道 boundaries"),
        ("parks", "公园", "parks"),
        ("historic_blocks", "历史文化街区", "historic blocks"),
        ("residential", "居住用地", "residential land"),
    ):
        g = data.study.get(name)
        if g is None:
            notes.append(f"{zh}：缺失 {en}: missing from this study area")
            continue
        q = g.get("geometry_quality", pd.Series(["?"] * len(g))).astype(str).value_counts()
        parts = ", ".join(f"{QUALITY.get(k, k)} {v}" for k, v in q.items())
        notes.append(f"{zh} {en}（{len(g)}）: {parts}")
    parks = data.study["parks"]
    missing = int((~_present(parks)).sum())
    if missing:
        notes.append(
            f"{missing} / {len(parks)} 个公园无几何，不计入计算 parks without geometry do not count "
            f"in the computed rate; 计入 counted under {data.rule.id}: {data.parks_used}"
        )
    hb = data.study.get("historic_blocks")
    if hb is not None and not _present(hb).any():
        notes.append(
            "历史文化街区均无边界：非历史文化街区覆盖率等于全部用地覆盖率 no historic block has a "
            "boundary, so the non-historic rate equals the all-land rate"
        )
    res = data.study["residential"]
    if "approximate" in set(res.get("geometry_quality", pd.Series(dtype=str)).astype(str)):
        notes.append(
            "居住用地为近似代理数据，计算值不是官方指标 residential land is an approximate proxy: the "
            "computed rate is not the official indicator"
        )
    if len(projects):
        derived = sorted({g for g in map(lambda t: _split_source(t)[1], projects["source"]) if g})
        for g in derived:
            notes.append(f"¹ 项目几何来源 how project geometry was derived: {g}")
        n_none = int((~_present(projects)).sum())
        notes.append(
            f"项目 projects: {len(projects)} 项，其中 {n_none} 项未定位（不在地图上，不计入覆盖率） "
            f"{n_none} of {len(projects)} not placed on the map (not counted in coverage)"
        )
    sub = data.study.get("subdistricts")
    if code is not None and sub is not None:
        r = sub[sub["code"].astype(str) == str(code)]
        if len(r) and pd.isna(r.iloc[0].get("pop_2020_census")):
            notes.append(
                "本街道2020年普查人口未公布 no 2020 census population published for this 街道"
            )
    if _is_network(data.rule):
        notes.append(
            "地图上的服务范围为直线距离缓冲区，覆盖率沿街道网络计算 the map's service areas are "
            "straight-line buffers; the rate is measured along the street network"
        )
    net = network_of(data, code)
    if net.get("status") != "ok":
        notes.append(f"网络距离覆盖率 network coverage: {NOT_COMPUTED} — {net.get('reason', '')}")
    if (
        len(data.reported)
        and not data.reported["scope"].astype(str).str.startswith("subdistrict").any()
    ):
        notes.append(
            "官方数据仅为全区数值，没有公布街道数值 official figures are district-wide; no 街道 figure "
            "is published"
        )
    if data.land is not None:
        notes.append(
            "候选地块为模型结果，不是实际选址 candidate sites are a model result, not real sites; "
            f"candidate land 候选用地: {data.land.note}"
        )
    return notes


def _map_layers(
    data: ReportData, code: str | None, cand: gpd.GeoDataFrame, legend: bool = True
) -> MapLayers:
    st = data.study
    projects = st.get("projects")
    placed = None
    if projects is not None and len(projects) and _present(projects).any():
        placed = projects[_present(projects)].copy()
        placed["status"] = [
            _status_now(r, data.year)
            for r in placed.drop(columns=placed.geometry.name).to_dict("records")
        ]
        placed = placed[placed["status"] != "not_listed"]
    parks = st["parks"]
    if data.year is not None and projects is not None:
        parks = parks_as_of(parks, projects, data.year)
        parks = parks[parks.get("origin", pd.Series("park", index=parks.index)) == "park"]
    return MapLayers(
        district=st["district"],
        subdistricts=st.get("subdistricts"),
        residential=st["residential"],
        uncovered=data.uncovered,
        service=data.service,
        parks=parks,
        historic_blocks=st.get("historic_blocks"),
        projects=placed,
        candidates=cand if len(cand) else None,
        focus=code,
        attribution=_sources(data),
        legend=legend,
    )


def _computed_lines(data: ReportData, code: str | None, name: str) -> list[tuple[str, float]]:
    lines = []
    hv = data.rule.headline_variant
    if code is not None:
        r = _row(data.table, "subdistrict", code, hv)
        if r is not None:
            lines.append(
                (f"{name} 本工具计算 computed ({hv}) {fmt_pct(r['rate_pct'])}", r["rate_pct"])
            )
    d = _row(data.table, "district", None, hv)
    if d is not None:
        lines.append(
            (f"全区 本工具计算 district computed ({hv}) {fmt_pct(d['rate_pct'])}", d["rate_pct"])
        )
    return lines


def _rule_info(rule: RuleSet) -> dict[str, str]:
    return {
        "id": rule.id,
        "title_zh": rule.title_zh,
        "title_en": rule.title_en,
        "citation": rule.citation,
        "citation_status": rule.citation_status,
        "tiers": "; ".join(t.label for t in rule.tiers),
        "headline": rule.headline_variant,
    }


def _names(data: ReportData) -> dict[str, str]:
    sub = data.study.get("subdistricts")
    if sub is None:
        return {}
    return dict(zip(sub["code"].astype(str), sub["name_zh"].astype(str), strict=True))


def subdistrict_context(
    data: ReportData, code: str, *, with_chart: bool = True, k: int = K_SUBDISTRICT
) -> dict[str, Any]:
    """The template context of one 街道's section.

    Raises
    ------
    ValueError
        Unknown 街道 code (the message lists the known ones).
    """
    row = check_code(data, code)
    name_zh, name_en = str(row["name_zh"]), str(row.get("name_en") or "")
    projects = _projects_of(data, code)
    cand, basis, cnote = _candidates(data, code, k)
    png = draw_map(_map_layers(data, code, cand, legend=with_chart), dpi=data.dpi, fmt=MAP_FORMAT)
    chart = None
    if with_chart:
        chart = _data_uri(
            draw_series_chart(data.reported, _computed_lines(data, code, name_zh), dpi=data.dpi)
        )
    pop = row.get("pop_2020_census")
    return {
        "code": str(code),
        "name_zh": name_zh,
        "name_en": name_en,
        "population": _num(pop) if pop is not None and not pd.isna(pop) else "未公布 not published",
        "area_km2": _num(row.get("area_km2_published"), 2, " km²"),
        "communities": _num(row.get("communities_2023")),
        "indicator": _indicator_rows(data, "subdistrict", code),
        "district_indicator": _indicator_rows(data, "district", None)[:1],
        "map": _data_uri(png),
        "chart": chart,
        "projects": _project_rows(data, projects),
        "candidates": _candidate_rows(cand, data.study.metric_crs, _names(data)),
        "candidate_basis": basis,
        "candidate_note": cnote,
        "quality": _quality_notes(data, code, projects),
        "legend": with_chart,
    }


def _base_context(data: ReportData) -> dict[str, Any]:
    return {
        "rule": _rule_info(data.rule),
        "vintage": _vintage(data),
        "reported": _reported_rows(data),
        "odbl": ODBL,
    }


def _summary_rows(data: ReportData, cand: gpd.GeoDataFrame) -> list[dict[str, Any]]:
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
        p = _projects_of(data, code)
        status = [
            _status_now(x, data.year) for x in p.drop(columns=p.geometry.name).to_dict("records")
        ]
        pop = a.get("pop_rate_pct")
        out.append(
            {
                "code": code,
                "name_zh": str(r["name_zh"]),
                "name_en": str(r.get("name_en") or ""),
                "residential_km2": _num(a.get("residential_m2", np.nan) / 1e6, 2),
                "all_land": fmt_pct(a.get("rate_pct")),
                "non_historic": fmt_pct(nh.get("rate_pct")),
                "population": fmt_pct(pop) if pop is not None and not pd.isna(pop) else "—",
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


def district_context(
    data: ReportData, *, sections: bool = True, workers: int | None = None
) -> dict[str, Any]:
    """The template context of the district report: the one-page table of all 街道, the district's
    map, indicator, reported series, chart, candidate sites and notes, then one section per 街道
    (drawn in ``workers`` processes, default :func:`default_workers`)."""
    cand, basis, cnote = _candidates(data, None, K_DISTRICT)
    png = draw_map(_map_layers(data, None, cand), dpi=data.dpi, fmt=MAP_FORMAT)
    chart = draw_series_chart(data.reported, _computed_lines(data, None, ""), dpi=data.dpi)
    projects = _projects_of(data, None)
    ctx = _base_context(data)
    area = data.study.area
    ctx.update(
        scope="district",
        title_zh=f"{area.title_zh}公园绿地500米服务半径覆盖率报告",
        title_en=f"{area.title_en}: park service-area coverage report",
        summary=_summary_rows(data, cand),
        district={
            "indicator": _indicator_rows(data, "district", None),
            "map": _data_uri(png),
            "chart": _data_uri(chart),
            "candidates": _candidate_rows(cand, data.study.metric_crs, _names(data)),
            "candidate_basis": basis,
            "candidate_note": cnote,
            "quality": _quality_notes(data, None, projects),
            "n_projects": len(projects),
        },
        network_label=(
            network_of(data)["rule"].id if network_of(data).get("status") == "ok" else NOT_COMPUTED
        ),
        sections=_sections(data, sorted(data.study["subdistricts"]["code"].astype(str)), workers)
        if sections
        else [],
    )
    return ctx


#: The data the forked section workers read (set only while a pool runs).
_FORK_DATA: ReportData | None = None


def _section_worker(code: str) -> dict[str, Any]:
    assert _FORK_DATA is not None
    return subdistrict_context(_FORK_DATA, code, with_chart=False, k=3)


def default_workers() -> int:
    """Processes for the district report's 街道 sections: ``$GREENMAP_REPORT_WORKERS``, else up to
    4 (the CPUs), but 1 in a multi-threaded process (the web server), where forking is unsafe."""
    env = os.environ.get("GREENMAP_REPORT_WORKERS")
    if env and env.strip().isdigit():
        return max(1, int(env))
    if threading.active_count() > 1:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def _sections(data: ReportData, codes: list[str], workers: int | None) -> list[dict[str, Any]]:
    """The 街道 sections, drawn in ``workers`` forked processes (each map is CPU-bound matplotlib)."""
    global _FORK_DATA
    n = default_workers() if workers is None else max(1, int(workers))
    forkable = "fork" in mp.get_all_start_methods() and threading.active_count() == 1
    if n > 1 and len(codes) > 1 and forkable:
        from concurrent.futures import ProcessPoolExecutor

        _FORK_DATA = data
        try:
            with ProcessPoolExecutor(n, mp_context=mp.get_context("fork")) as pool:
                return list(pool.map(_section_worker, codes))
        finally:
            _FORK_DATA = None
    return [subdistrict_context(data, c, with_chart=False, k=3) for c in codes]


def report_context(
    data: ReportData, code: str | None, workers: int | None = None
) -> dict[str, Any]:
    """The context of a 街道 report (``code``) or of the district report (``None``)."""
    if code is None:
        return district_context(data, workers=workers)
    sec = subdistrict_context(data, code)
    ctx = _base_context(data)
    ctx.update(
        scope="subdistrict",
        title_zh=f"{sec['name_zh']}公园绿地500米服务半径覆盖率报告",
        title_en=f"{sec['name_en']}: park service-area coverage report",
        sections=[sec],
    )
    return ctx
