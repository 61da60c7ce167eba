"""The coverage gain reported with a saved edit: what the edited project adds to park coverage."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from flask import current_app

from layers.store import ProjectStore

__all__ = ["coverage_gain", "response_gain"]


def _finite(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def coverage_gain(store: ProjectStore, project_id: str) -> dict[str, Any] | None:
    """The project's marginal coverage gain with the stored projects (``None`` when unavailable).

    Uses ``geo.scenarios.marginal_gains`` (this year, planned projects included, the study
    area's default rule). Projects without geometry or not green give ``None``.
    """
    try:
        from geo.scenarios import green_projects, marginal_gains
        from layers.io import read_layer
        from layers.rules import load_rule
    except ImportError:
        return None
    projects = store.to_geodataframe()
    mine = projects[projects["project_id"] == project_id]
    if mine.empty or mine.geometry.isna().all() or green_projects(mine).empty:
        return None
    area = store.area
    m = area.metric_crs
    rule_id = area.default_rule
    if not rule_id:
        return None
    rule = load_rule(rule_id)
    year = date.today().year
    table = marginal_gains(
        read_layer("residential", area).to_crs(m),
        read_layer("parks", area).to_crs(m),
        projects.to_crs(m),
        rule,
        year,
        historic_blocks=read_layer("historic_blocks", area).to_crs(m),
        include_planned=True,
    )
    rows = table[table["project_id"] == project_id]
    return {
        "year": year,
        "rule_id": rule_id,
        "include_planned": True,
        "rows": [{k: _finite(v) for k, v in r.items()} for r in rows.to_dict("records")],
    }


def response_gain(store: ProjectStore, project_id: str) -> dict[str, Any] | None:
    """The ``coverage_gain`` of a write's answer; never raises.

    ``None`` when ``EDIT_COVERAGE_GAIN`` is off or :func:`coverage_gain` has none; on failure
    ``{"error": "not computed: <exception type>"}`` (the edit is saved either way).
    """
    if not current_app.config.get("EDIT_COVERAGE_GAIN", True):
        return None
    try:
        return coverage_gain(store, project_id)
    except Exception as exc:  # optional extra: a failure here must not fail the saved edit
        current_app.logger.warning("coverage gain of %s not computed: %s", project_id, exc)
        return {"error": f"not computed: {type(exc).__name__}"}
