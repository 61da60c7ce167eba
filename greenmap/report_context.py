"""The planning-meeting report's template context, from :class:`greenmap.report_data.ReportData`.

:func:`subdistrict_context` (one 街道's section), :func:`district_context` (the one-page table of all
街道, the district's map and notes, then the sections, drawn in forked processes) and
:func:`report_context`. Every official figure carries its citation; every computed one is labelled
本工具计算 computed. Coordinates printed for candidate sites are WGS-84 lon/lat.

The parts live in one module per concern, all imported back here: :mod:`.report_context_common`
(table lookups), :mod:`.report_context_indicators` (indicator, reported and summary tables),
:mod:`.report_context_projects`, :mod:`.report_context_candidates`,
:mod:`.report_context_provenance` (rule, vintage, sources, data-quality notes) and
:mod:`.report_context_figures` (map layers, chart lines).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from typing import Any

import geopandas as gpd

from greenmap.report_chart import draw_series_chart
from greenmap.report_context_candidates import K_DISTRICT as K_DISTRICT
from greenmap.report_context_candidates import K_SUBDISTRICT as K_SUBDISTRICT
from greenmap.report_context_candidates import _candidate_rows as _candidate_rows
from greenmap.report_context_candidates import _candidates as _candidates
from greenmap.report_context_common import _known
from greenmap.report_context_common import _names as _names
from greenmap.report_context_common import _row as _row
from greenmap.report_context_figures import MAP_FORMAT as MAP_FORMAT
from greenmap.report_context_figures import _computed_lines as _computed_lines
from greenmap.report_context_figures import _map_layers as _map_layers
from greenmap.report_context_indicators import _indicator_rows as _indicator_rows
from greenmap.report_context_indicators import _reported_rows as _reported_rows
from greenmap.report_context_indicators import _summary_rows as _summary_rows
from greenmap.report_context_projects import _project_rows as _project_rows
from greenmap.report_context_projects import _projects_of as _projects_of
from greenmap.report_context_projects import _status_history as _status_history
from greenmap.report_context_projects import _status_now as _status_now
from greenmap.report_context_provenance import _quality_notes as _quality_notes
from greenmap.report_context_provenance import _rule_info as _rule_info
from greenmap.report_context_provenance import _sources as _sources
from greenmap.report_context_provenance import _vintage as _vintage
from greenmap.report_data import ReportData, check_code, network_of
from greenmap.report_format import NOT_COMPUTED, ODBL, _data_uri, _num
from greenmap.report_map import draw_map

#: Candidate sites listed in each 街道 section of the district report.
_K_SECTION = 3


def _titles(zh: str, en: str) -> dict[str, str]:
    """The report's title, of the unit named ``zh`` / ``en``."""
    return {
        "title_zh": f"{zh}公园绿地500米服务半径覆盖率报告",
        "title_en": f"{en}: park service-area coverage report",
    }


def _candidate_fields(
    data: ReportData, cand: gpd.GeoDataFrame, basis: str, note: str
) -> dict[str, Any]:
    """The candidate-site table of a context: rows, the candidate land's basis and a note."""
    return {
        "candidates": _candidate_rows(cand, data.study.metric_crs, _names(data)),
        "candidate_basis": basis,
        "candidate_note": note,
    }


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
        "population": _num(pop) if _known(pop) else "未公布 not published",
        "area_km2": _num(row.get("area_km2_published"), 2, " km²"),
        "communities": _num(row.get("communities_2023")),
        "indicator": _indicator_rows(data, "subdistrict", code),
        "district_indicator": _indicator_rows(data, "district", None)[:1],
        "map": _data_uri(png),
        "chart": chart,
        "projects": _project_rows(data, projects),
        **_candidate_fields(data, cand, basis, cnote),
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
    net = network_of(data)
    ctx = _base_context(data)
    area = data.study.area
    ctx.update(
        scope="district",
        **_titles(area.title_zh, area.title_en),
        summary=_summary_rows(data, cand),
        district={
            "indicator": _indicator_rows(data, "district", None),
            "map": _data_uri(png),
            "chart": _data_uri(chart),
            **_candidate_fields(data, cand, basis, cnote),
            "quality": _quality_notes(data, None, projects),
            "n_projects": len(projects),
        },
        network_label=net["rule"].id if net.get("status") == "ok" else NOT_COMPUTED,
        sections=_sections(data, sorted(data.study["subdistricts"]["code"].astype(str)), workers)
        if sections
        else [],
    )
    return ctx


#: The data the forked section workers read (set only while a pool runs).
_FORK_DATA: ReportData | None = None


def _section(data: ReportData, code: str) -> dict[str, Any]:
    """One 街道's section of the district report: no chart or map legend (the district's show them)."""
    return subdistrict_context(data, code, with_chart=False, k=_K_SECTION)


def _section_worker(code: str) -> dict[str, Any]:
    assert _FORK_DATA is not None
    return _section(_FORK_DATA, code)


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
    return [_section(data, c) for c in codes]


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
        **_titles(sec["name_zh"], sec["name_en"]),
        sections=[sec],
    )
    return ctx
