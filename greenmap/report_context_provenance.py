"""Where the report's figures come from: the rule set, the data vintage, the sources line of the
maps and the data-quality notes (what is missing, approximate, or not computed).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.rules import RuleSet
from greenmap.report_context_common import _of_code
from greenmap.report_data import ReportData, _is_network, _present, network_of
from greenmap.report_format import NOT_COMPUTED, ODBL, QUALITY, _split_source


def _text_column(g: gpd.GeoDataFrame, name: str) -> pd.Series:
    """Column ``name`` of ``g`` as text (empty when the layer has no such column)."""
    return g.get(name, pd.Series(dtype=str)).astype(str)


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


def _vintage(data: ReportData) -> dict[str, str]:
    """The study area, the newest layer file's date (UTC), the last reported year and the as-of year."""
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
    """The maps' sources line, with the OpenStreetMap attribution when a layer is from OSM."""
    osm = False
    for name in ("subdistricts", "parks", "residential", "historic_blocks", "projects"):
        g = data.study.get(name)
        if g is None or g.empty:
            continue
        q = set(_text_column(g, "geometry_quality"))
        src = " ".join(_text_column(g, "source").unique()[:50])
        if "osm" in q or "openstreetmap" in src.lower():
            osm = True
    text = (
        "数据来源 Sources: 各图层 source 字段 layer source fields (see data-quality notes); "
        "覆盖、缺口与候选地块为本工具计算 coverage, gaps and candidate sites computed by GreenMap Xicheng"
    )
    return text + ("; " + ODBL if osm else "")


def _layer_notes(data: ReportData) -> list[str]:
    """The geometry quality of each layer, and what missing or approximate geometry means."""
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
    if "approximate" in set(_text_column(data.study["residential"], "geometry_quality")):
        notes.append(
            "居住用地为近似代理数据，计算值不是官方指标 residential land is an approximate proxy: the "
            "computed rate is not the official indicator"
        )
    return notes


def _project_notes(projects: gpd.GeoDataFrame) -> list[str]:
    """How project geometry was derived (each note once, marked ¹) and how many are not placed."""
    if not len(projects):
        return []
    notes = []
    derived = sorted({g for g in map(lambda t: _split_source(t)[1], projects["source"]) if g})
    for g in derived:
        notes.append(f"¹ 项目几何来源 how project geometry was derived: {g}")
    n_none = int((~_present(projects)).sum())
    notes.append(
        f"项目 projects: {len(projects)} 项，其中 {n_none} 项未定位（不在地图上，不计入覆盖率） "
        f"{n_none} of {len(projects)} not placed on the map (not counted in coverage)"
    )
    return notes


def _quality_notes(data: ReportData, code: str | None, projects: gpd.GeoDataFrame) -> list[str]:
    """The data-quality notes of the 街道 ``code`` (``None``: the district) and its ``projects``."""
    notes = _layer_notes(data) + _project_notes(projects)
    sub = data.study.get("subdistricts")
    if code is not None and sub is not None:
        r = _of_code(sub, code)
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
