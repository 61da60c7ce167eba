"""The planning-meeting report: per 街道 and for the district, as print-friendly HTML and PDF.

:func:`prepare` computes everything a report needs once per (study area, rule set, year): the
coverage table (:func:`greenmap.analysis.coverage_table`'s pipeline), the service areas, the
uncovered residential land (:func:`geo.gaps.uncovered`), candidate land and sites
(:func:`geo.gaps.candidate_land`, :func:`geo.gaps.candidate_sites`) and, when a network rule set
exists, its coverage. :func:`subdistrict_context` and :func:`district_context` turn that into the
template's context (Chinese first, English beside; every official figure with its citation, every
computed one labelled 本工具计算 computed). :func:`render_html` fills the jinja2 template (escaping
everything), :func:`html_to_pdf` typesets it with WeasyPrint (A4, page numbers, Noto Sans CJK
embedded), :func:`build_report` does all of it and :func:`write_atomic` writes the file through a
temporary file, so a failed report leaves nothing behind.

Geometry work is in the study area's metric CRS (metres, m²); coordinates printed for candidate sites
are WGS-84 lon/lat.

>>> fmt_pct(11.80712), fmt_pct(None)
('11.81%', '—')
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import math
import multiprocessing as mp
import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.gaps import CandidateLand, candidate_land, candidate_sites, uncovered
from geo.indicator import service_radius_layer
from geo.rules import RuleSet
from geo.scenarios import parks_as_of, scenario_parks
from greenmap import analysis
from greenmap.report_map import MapLayers, draw_map, draw_series_chart

__all__ = [
    "FORMATS",
    "ReportData",
    "build_report",
    "check_code",
    "check_year",
    "default_workers",
    "district_context",
    "fmt_pct",
    "html_to_pdf",
    "network_of",
    "prepare",
    "render_html",
    "subdistrict_context",
    "write_atomic",
]

FORMATS = ("pdf", "html")
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Candidate sites listed per 街道 and for the district.
K_SUBDISTRICT, K_DISTRICT = 5, 10
YEAR_RANGE = (1949, 2100)
#: Image format of the maps: JPEG (quality 93, 4:4:4) is embedded by WeasyPrint as it is; PNG is
#: re-encoded, about a second per 300 dpi map on a loaded 2-core machine.
MAP_FORMAT = "jpeg"
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


def _present(gdf: gpd.GeoDataFrame) -> np.ndarray:
    g = np.asarray(gdf.geometry.values)
    return ~(shapely.is_missing(g) | shapely.is_empty(g))


def _data_uri(img: bytes) -> str:
    mime = "image/jpeg" if img[:2] == b"\xff\xd8" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(img).decode("ascii")


def _is_network(rule: Any) -> bool:
    """A rule set measured along the street network (:func:`greenmap.netanalysis.is_network_rule`)."""
    try:
        from greenmap.netanalysis import is_network_rule
    except ImportError:  # the network engine is not installed
        return getattr(rule, "network", None) is not None
    return bool(is_network_rule(rule))


def network_variant(rule: RuleSet) -> str:
    """The id of the network variant of a rule set: ``<id>-walk``.

    >>> network_variant(type("R", (), {"id": "xicheng-2016"})())
    'xicheng-2016-walk'
    """
    return f"{rule.id}-walk"


@dataclass
class ReportData:
    """Everything computed once for the reports of one study area, rule set and year."""

    study: analysis.Study
    rule: RuleSet
    year: int | None
    table: pd.DataFrame
    service: gpd.GeoDataFrame
    served: gpd.GeoSeries
    uncovered: gpd.GeoDataFrame
    land: CandidateLand | None
    parks_used: int
    parks_total: int
    #: network coverage per scope: ``None`` (whole district) or a 街道 code; see :func:`network_of`
    network_cache: dict[str | None, dict[str, Any]] = field(default_factory=dict)
    network_enabled: bool = True
    reported: pd.DataFrame = field(default_factory=pd.DataFrame)
    generated: str = ""
    dpi: int = 300


def check_year(year: Any) -> int | None:
    """``year`` as an int, checked to lie in :data:`YEAR_RANGE` (``None`` stays ``None``)."""
    if year is None:
        return None
    if isinstance(year, bool) or not isinstance(year, int | np.integer):
        raise ValueError(f"year: expected an integer year, got {year!r}")
    lo, hi = YEAR_RANGE
    if not lo <= int(year) <= hi:
        raise ValueError(f"year: expected a year between {lo} and {hi}, got {year}")
    return int(year)


def prepare(
    area: str = "xicheng",
    *,
    rule: str | RuleSet | None = None,
    year: int | None = None,
    study: analysis.Study | None = None,
    user_data: Path | None = None,
    data_dir: str | Path | None = None,
    network: bool = True,
    dpi: int = 300,
) -> ReportData:
    """Compute what the reports of a study area need, under ``rule`` as of ``year``.

    Parameters
    ----------
    area : str
        Study area (ignored when ``study`` is given).
    rule : str or RuleSet, optional
        Rule set id (``data/rules/<id>.toml``); default the study area's.
    year : int, optional
        As-of year (parks plus green projects with geometry done by then); ``None``: the parks layer.
    study : greenmap.analysis.Study, optional
        Layers already loaded.
    user_data, data_dir : path, optional
        Passed to :func:`greenmap.analysis.load`.
    network : bool
        Also compute the coverage of the network rule sets, if there are any.
    dpi : int
        Resolution of the figures.

    Raises
    ------
    layers.errors.LayerError
        Unknown rule set (the message lists the known ones).
    ValueError
        Bad year.
    """
    from layers import rules as lrules

    year = check_year(year)
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 50 <= dpi <= 600:
        raise ValueError(f"dpi: expected an integer between 50 and 600, got {dpi!r}")
    ruleset = rule if isinstance(rule, RuleSet) else None
    if ruleset is None and rule is not None:
        ruleset = lrules.load_rule(str(rule))  # fails before any work on an unknown id
    study = study or analysis.load(area, user_data=user_data, data_dir=data_dir)
    ruleset = ruleset or lrules.load_rule(study.area.default_rule)
    res = study["residential"]
    projects = study.get("projects")
    hb = study.get("historic_blocks")
    table = analysis.coverage_table(ruleset, year=year, study=study)
    assigned = scenario_parks(
        study["parks"], ruleset, projects=projects, year=year, historic_blocks=hb
    )
    qs = ruleset.quad_segs or 16
    service = service_radius_layer(assigned, quad_segs=qs) if len(assigned) else None
    served = gpd.GeoSeries(
        shapely.buffer(
            np.asarray(assigned.geometry.values),
            assigned["radius_m"].to_numpy(dtype=float),
            quad_segs=qs,
        ),
        crs=res.crs,
    )
    by = "subdistrict_code" if "subdistrict_code" in res.columns else None
    unc = uncovered(res, served, by=by)
    size = max(float(ruleset.min_area_m2), 1000.0)
    land = None
    if "district" in study.layers:
        land = candidate_land(study["district"], res, study["parks"], min_area_m2=size)
    reported = pd.DataFrame()
    try:
        reported = analysis.reported_series(study.area.name)
    except Exception:  # a study area without the indicators table
        reported = pd.DataFrame(columns=["indicator_id", "year", "value", "kind", "source"])
    data = ReportData(
        study=study,
        rule=ruleset,
        year=year,
        table=table,
        service=service if service is not None else gpd.GeoDataFrame(geometry=[], crs=res.crs),
        served=served,
        uncovered=unc,
        land=land,
        parks_used=len(assigned),
        parks_total=len(study["parks"]),
        reported=reported,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        dpi=dpi,
    )
    data.network_enabled = bool(network)
    return data


def network_of(data: ReportData, code: str | None = None) -> dict[str, Any]:
    """The network coverage (``{"status": "ok", "rule", "table"}``, else a ``reason``), computed on
    first use: for the whole district (``code=None``), or for one 街道 only — its residential land,
    every park — which is exact for that 街道 and several times faster on a real street network."""
    if not data.network_enabled:
        return {"status": "skipped", "reason": "not requested 未要求"}
    if None in data.network_cache:
        return data.network_cache[None]
    if code not in data.network_cache:
        data.network_cache[code] = _network_coverage(data, code)
    return data.network_cache[code]


def _network_coverage(data: ReportData, code: str | None = None) -> dict[str, Any]:
    """The coverage under the network variant of the rule set, or why there is none."""
    from dataclasses import replace

    from layers import rules as lrules

    if _is_network(data.rule):
        return {"status": "ok", "rule": data.rule, "table": data.table}
    want = network_variant(data.rule)
    try:
        rules = {r.id: r for r in lrules.list_rules()}
    except Exception as exc:
        return {"status": "error", "reason": f"rule sets unreadable: {exc}"}
    rule = rules.get(want)
    if rule is None or not _is_network(rule):
        return {
            "status": "none",
            "reason": f"没有该规则的网络距离版本 no network variant ({want}) of rule set {data.rule.id}",
        }
    study = data.study
    if code is not None:
        res = study["residential"]
        part = res[(res["subdistrict_code"].astype(str) == str(code)).to_numpy()]
        if len(part):
            study = replace(study, layers={**study.layers, "residential": part})
    try:
        table = analysis.coverage_table(rule, year=data.year, study=study)
    except Exception as exc:  # the street network may be missing for this study area
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = _short(re.sub(r"(?:[A-Za-z]:)?[/\\]\S*[/\\]", "", msg), 300)  # no server paths
        return {"status": "error", "rule": rule, "reason": f"{rule.id}: {msg}"}
    return {"status": "ok", "rule": rule, "table": table}


# ------------------------------------------------------------------------------------------ context


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


def _net_note(note: Any) -> str:
    """The network parts of a coverage row's note (the population remark is shown elsewhere)."""
    parts = [p.strip() for p in str(note or "").split(";") if p.strip()]
    return "; ".join(p for p in parts if "population" not in p)


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


def _given(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and str(v).strip() != ""


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


def _codes(text: Any) -> list[str]:
    if not isinstance(text, str):
        return []
    return [c.strip() for c in text.split(";") if c.strip()]


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


def check_code(data: ReportData | analysis.Study, code: str) -> pd.Series:
    """The 街道 row of ``code``; ``ValueError`` listing the known codes when there is none."""
    study = data.study if isinstance(data, ReportData) else data
    sub = study.get("subdistricts")
    if sub is None:
        raise ValueError(f"subdistrict: study area '{study.area.name}' has no 街道 layer")
    hit = sub[sub["code"].astype(str) == str(code)]
    if hit.empty:
        known = ", ".join(
            f"{c} {n}" for c, n in zip(sub["code"].astype(str), sub["name_zh"], strict=True)
        )
        raise ValueError(f"subdistrict: unknown 街道 code {code!r}; known codes: {known}")
    return hit.iloc[0]


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


# ------------------------------------------------------------------------------------------ output


def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render_html(ctx: dict[str, Any]) -> str:
    """The report as one self-contained, print-friendly HTML page (figures inlined, CSS inlined).

    Every value is escaped: a project named ``<b>x</b>`` prints as that text.
    """
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    return str(_env().get_template("report.html.j2").render(css=css, **ctx))


def html_to_pdf(html: str) -> bytes:
    """Typeset report HTML with WeasyPrint (A4, page numbers; fonts subset and embedded)."""
    import weasyprint

    return bytes(weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf())


def build_report(
    code: str | None = None,
    *,
    district: bool = False,
    area: str = "xicheng",
    rule: str | None = None,
    year: int | None = None,
    fmt: str = "pdf",
    data: ReportData | None = None,
    user_data: Path | None = None,
    data_dir: str | Path | None = None,
    dpi: int = 300,
    workers: int | None = None,
) -> bytes:
    """The report of one 街道 (``code``) or of the district (``district=True``), as PDF or HTML bytes.

    ``workers``: processes drawing the district report's 街道 sections (default
    :func:`default_workers`).

    Raises
    ------
    ValueError
        Neither or both of ``code`` and ``district``; unknown format, 街道 code or bad year.
    layers.errors.LayerError
        Unknown rule set.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if (code is None) == (not district):
        raise ValueError(
            "give a 街道 code (--subdistrict CODE) or the district (--district), not both"
        )
    if data is None:
        from layers import rules as lrules

        if rule is not None:
            lrules.load_rule(str(rule))  # an unknown rule set fails before anything is loaded
        check_year(year)
        study = analysis.load(area, user_data=user_data, data_dir=data_dir)
        if code is not None:
            check_code(study, code)  # and an unknown 街道 before anything is computed
        data = prepare(area, rule=rule, year=year, study=study, dpi=dpi)
    elif code is not None:
        check_code(data, code)
    html = render_html(report_context(data, None if district else code, workers=workers))
    return html.encode("utf-8") if fmt == "html" else html_to_pdf(html)


def write_atomic(path: str | os.PathLike[str], make: Callable[[], bytes] | bytes) -> Path:
    """Write ``make()`` (or bytes) to ``path`` through a temporary file in the same folder.

    Nothing is left behind when ``make`` raises: the temporary file is removed and ``path`` is not
    touched.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> def boom() -> bytes: raise ValueError("no")
    >>> try:
    ...     write_atomic(d / "r.pdf", boom)
    ... except ValueError:
    ...     pass
    >>> list(d.iterdir())
    []
    >>> write_atomic(d / "r.pdf", b"%PDF").read_bytes()
    b'%PDF'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        payload = make() if callable(make) else make
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
