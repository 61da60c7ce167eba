"""What the planning-meeting report computes once per (study area, rule set, year): :func:`prepare`.

The coverage table (:func:`greenmap.analysis.coverage_table`'s pipeline), the service areas, the
uncovered residential land (:func:`geo.gaps.uncovered`), candidate land (:func:`geo.gaps.candidate_land`)
and, on first use (:func:`network_of`), the coverage of the rule set's network variant. Geometry work is
in the study area's metric CRS (metres, m²).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.gaps import CandidateLand, candidate_land, uncovered
from geo.indicator import service_radius_layer
from geo.rules import RuleSet
from geo.scenarios import scenario_parks
from greenmap import analysis
from greenmap.report_format import _short

YEAR_RANGE = (1949, 2100)


def _present(gdf: gpd.GeoDataFrame) -> np.ndarray:
    g = np.asarray(gdf.geometry.values)
    return ~(shapely.is_missing(g) | shapely.is_empty(g))


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
