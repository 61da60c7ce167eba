"""The planning-meeting report: per 街道 and for the district, as print-friendly HTML and PDF.

The public API; the work is split by concern: :mod:`greenmap.report_data` (what is computed),
:mod:`greenmap.report_context` (the template context), :mod:`greenmap.report_render` (HTML, PDF,
files) and :mod:`greenmap.report_format` (how values print).

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

from pathlib import Path

from greenmap import analysis
from greenmap.report_context import _indicator_rows as _indicator_rows
from greenmap.report_context import _project_rows as _project_rows
from greenmap.report_context import _projects_of as _projects_of
from greenmap.report_context import (
    default_workers,
    district_context,
    report_context,
    subdistrict_context,
)
from greenmap.report_data import ReportData, check_code, check_year, network_of, prepare
from greenmap.report_format import fmt_pct
from greenmap.report_render import html_to_pdf, render_html, write_atomic

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
    "report_context",
    "subdistrict_context",
    "write_atomic",
]


FORMATS = ("pdf", "html")


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
