"""The 报告 report routes: the planning-meeting report of a 街道 or of the district, as PDF or HTML.

``GET /report/<code>.pdf`` (a 9-digit 街道 code), ``GET /report/district.pdf``; ``.html`` (or
``?format=html``) gives the print-friendly HTML page. Parameters: ``rule`` (rule set id), ``year``
(as-of year), ``format`` (``pdf``/``html``). The report is the one ``greenmap report`` writes
(:mod:`greenmap.report`; imported lazily — the report is a product of the analysts' layer that the
map serves); its projects are the map's (the editing store when configured). Bad input gets
``400`` with a JSON body naming the parameter; reports are cached per data version.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

__all__ = ["init_report_api", "report_api"]

report_api = Blueprint("report", __name__)
_FORMATS = ("pdf", "html")
_ALLOWED = {"rule", "year", "format"}
_MIME = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}
#: Reports are CPU-bound (matplotlib, WeasyPrint): one at a time per process.
_BUILD = threading.Lock()


class _BadRequestError(Exception):
    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter


def _bad(message: str, parameter: str | None = None, status: int = 400) -> Response:
    body: dict[str, Any] = {"error": "bad request", "message": message}
    if parameter:
        body["parameter"] = parameter
    resp = jsonify(body)
    resp.status_code = status
    return resp


def _params(ext: str) -> tuple[str | None, int | None, str]:
    for k in request.args:
        if k not in _ALLOWED:
            raise _BadRequestError(f"unknown parameter '{k}'; allowed: {sorted(_ALLOWED)}", k)
    fmt = request.args.get("format") or ext
    if fmt not in _FORMATS:
        raise _BadRequestError(f"parameter 'format' must be pdf or html, got {fmt!r}", "format")
    rule = request.args.get("rule") or None
    if rule is not None and not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", rule):
        raise _BadRequestError(f"parameter 'rule': not a rule set id: {rule!r}", "rule")
    raw = request.args.get("year")
    year = None
    if raw:
        if not re.fullmatch(r"\d{4}", raw.strip()):
            raise _BadRequestError(f"parameter 'year' must be a 4-digit year, got {raw!r}", "year")
        year = int(raw)
    return rule, year, fmt


def _study(svc: Any) -> Any:
    """The report's layers: the study area's, with the map's projects (store or shipped layer)."""
    from greenmap import analysis

    def make() -> Any:
        area = current_app.config["STUDY_AREA"]
        study = analysis.load(area, data_dir=current_app.config.get("DATA_DIR"))
        if "projects" in study.layers:
            try:
                study.layers["projects"] = svc.layer("projects").to_crs(study.metric_crs)
            except Exception as exc:  # keep analysis.load's projects
                current_app.logger.warning("report: map projects unavailable (%s)", exc)
        return study

    return svc.cached(("report-study",), make)


def _report(name: str, ext: str) -> Response:
    from greenmap.report import build_report, prepare

    try:
        rule, year, fmt = _params(ext)
    except _BadRequestError as exc:
        return _bad(exc.message, exc.parameter)
    code = None if name == "district" else name
    if code is not None and not re.fullmatch(r"\d{9}", code):
        return _bad(f"not a 街道 code (9 digits) or 'district': {code!r}", "code")
    svc = current_app.extensions["greenmap"]
    from greenmap.report import check_code, check_year
    from layers import rules as lrules

    try:
        if rule is not None:
            lrules.load_rule(rule)
    except ValueError as exc:  # LayerError: unknown rule set, listing the known ones
        return _bad(str(exc), "rule")
    try:
        check_year(year)
    except ValueError as exc:
        return _bad(str(exc), "year")
    with _BUILD:
        study = _study(svc)
        if code is not None:
            try:
                check_code(study, code)
            except ValueError as exc:
                return _bad(str(exc), "code")
        try:
            data = svc.cached(
                ("report-data", rule, year), lambda: prepare(rule=rule, year=year, study=study)
            )
        except ValueError as exc:  # e.g. a network rule set in an area without a street network
            return _bad(str(exc).replace(str(Path.cwd()) + "/", ""), "rule")
        body = svc.cached(
            ("report", code, rule, year, fmt),
            lambda: build_report(code, district=code is None, fmt=fmt, data=data),
        )
    resp = Response(body, mimetype=_MIME[fmt].split(";")[0])
    if fmt == "html":
        resp.headers["Content-Type"] = _MIME["html"]
    filename = f"greenmap-report-{name}{'' if year is None else '-' + str(year)}.{fmt}"
    disposition = "inline" if fmt == "html" else "attachment"
    resp.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@report_api.get("/report/<name>.pdf")
def report_pdf(name: str) -> Response:
    """The report of a 街道 (``name`` = its code) or of the district (``district``) as PDF."""
    return _report(name, "pdf")


@report_api.get("/report/<name>.html")
def report_html(name: str) -> Response:
    """The same report as print-friendly HTML."""
    return _report(name, "html")


def init_report_api(app: Any) -> None:
    """Register the report routes on ``app``."""
    app.register_blueprint(report_api)
