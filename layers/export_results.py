"""Export results: layer rows filtered by 街道 code, status, category or year, and coverage results as layers.

:func:`filter_layer` selects rows of any layer or result; :func:`coverage_results` computes the park
service-radius coverage of a study area (distances in its metric CRS) and returns it as EPSG:4326 layers
with ``source`` and ``geometry_quality`` on every feature.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.errors import LayerError, Problem
from layers.export_meta import OSM_ATTRIBUTION, _is_osm, _study
from layers.io import read_layer
from layers.schema import GEOMETRY_QUALITIES
from layers.studyarea import StudyArea

__all__ = ["COVERAGE_RESULTS", "CoverageResults", "coverage_results", "filter_layer"]

#: Names of the coverage results (layers and the table) produced by :func:`coverage_results`.
COVERAGE_RESULTS: tuple[str, ...] = (
    "coverage-subdistricts",
    "coverage-residential",
    "coverage-service-areas",
    "coverage-table",
)
_COMPUTED = "本工具计算 computed by GreenMap Xicheng"
_QUALITY_RANK = {q: i for i, q in enumerate(GEOMETRY_QUALITIES)}


# ------------------------------------------------------------------------------------------ filters
def _codes_match(values: pd.Series, code: str) -> np.ndarray:
    text = values.astype("string").fillna("")
    return np.asarray(
        text.str.split(";").map(lambda xs: code in [x.strip() for x in xs]), dtype=bool
    )


def filter_layer(
    df: pd.DataFrame,
    name: str,
    *,
    subdistrict: str | None = None,
    status: str | None = None,
    category: str | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """Rows of a layer or result that match the filters (``None`` = no filter).

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
        The layer.
    name : str
        Its name (used in error messages).
    subdistrict : str, optional
        9-digit 街道 code: matched against ``subdistrict_code``, ``subdistrict_codes`` (``;`` lists),
        ``code`` (the 街道 layer) or ``unit_code`` (coverage results).
    status : str, optional
        ``latest_status`` of projects, ``status`` of parks (or the project status as of ``year``).
    category : str, optional
        ``category`` of projects, ``kind`` of parks.
    year : int, optional
        Projects: status taken as of ``year`` from ``status_history`` and projects started after ``year``
        dropped; parks: parks opened after ``year`` dropped; tables with a ``year`` column: that year only.

    Returns
    -------
    DataFrame or GeoDataFrame
        The matching rows (a copy).

    Raises
    ------
    LayerError
        When a filter does not apply to the layer (naming the parameter).

    Examples
    --------
    >>> parks = read_layer("parks")
    >>> len(filter_layer(parks, "parks", subdistrict="110102001")) <= len(parks)
    True
    >>> filter_layer(parks, "parks", category="no_such_kind").empty
    True
    """
    out = df
    cols = set(df.columns)

    def bad(param: str, why: str) -> LayerError:
        return LayerError([Problem(name, None, param, why)])

    if subdistrict is not None:
        code = str(subdistrict).strip()
        for col in ("subdistrict_code", "subdistrict_codes", "code", "unit_code"):
            if col in cols:
                out = out[_codes_match(out[col], code)]
                break
        else:
            raise bad("subdistrict", f"layer '{name}' has no 街道 column to filter on")
    st_col = None
    if year is not None:
        if "status_history" in cols:
            from geo.scenarios import status_in_year

            as_of = [
                status_in_year(h, int(year)) if isinstance(h, str) and h.strip() else None
                for h in out["status_history"]
            ]
            out = out.copy()
            out["status_as_of"] = pd.Series(as_of, index=out.index, dtype=object).fillna(
                out["latest_status"].astype(object)
                if "latest_status" in out.columns
                else pd.Series(None, index=out.index, dtype=object)
            )
            st_col = "status_as_of"
            if "start_year" in cols:
                sy = pd.to_numeric(out["start_year"], errors="coerce")
                out = out[~(sy > year).fillna(False).to_numpy(dtype=bool)]
        elif "opened_year" in cols:
            oy = pd.to_numeric(out["opened_year"], errors="coerce")
            out = out[~(oy > year).fillna(False).to_numpy(dtype=bool)]
        elif "year" in cols:
            out = out[(pd.to_numeric(out["year"], errors="coerce") == year).to_numpy()]
        else:
            raise bad("year", f"layer '{name}' has no year to filter on")
    if status is not None:
        st = st_col or next((c for c in ("latest_status", "status") if c in cols), None)
        if st is None:
            raise bad("status", f"layer '{name}' has no status column")
        out = out[(out[st].astype("string") == status).fillna(False).to_numpy()]
    if category is not None:
        cat = next((c for c in ("category", "kind") if c in cols), None)
        if cat is None:
            raise bad("category", f"layer '{name}' has no category/kind column")
        out = out[(out[cat].astype("string") == category).fillna(False).to_numpy()]
    return out.copy()


# ------------------------------------------------------------------------------------------ coverage
@dataclass
class CoverageResults:
    """Coverage results of a study area under one rule, as exportable layers (EPSG:4326).

    Attributes
    ----------
    rule : RuleSet
        The rule set used.
    year : int or None
        As-of year (parks plus green projects done by then), ``None`` for the parks layer as is.
    layers : dict
        ``coverage-subdistricts`` (街道 polygons with rates; absent without a 街道 layer),
        ``coverage-residential`` (residential land split covered / not covered),
        ``coverage-service-areas`` (dissolved service areas per radius) and ``coverage-table`` (a
        DataFrame: :func:`geo.indicator.coverage_table`). Every frame has ``source`` and
        ``geometry_quality``.
    """

    rule: Any
    year: int | None
    layers: dict[str, pd.DataFrame] = field(default_factory=dict)


def _worst_quality(*frames: pd.DataFrame | None) -> str:
    qualities = set()
    for df in frames:
        if df is not None and "geometry_quality" in df.columns and len(df):
            qualities |= {q for q in df["geometry_quality"].dropna().astype(str) if q != "none"}
    if not qualities:
        return "approximate"
    return max(qualities, key=lambda q: _QUALITY_RANK.get(q, len(_QUALITY_RANK)))


def coverage_results(
    area: StudyArea | str | None = None,
    *,
    rule: Any = None,
    year: int | None = None,
    include_planned: bool = False,
    frames: Mapping[str, gpd.GeoDataFrame] | None = None,
    user_data: Path | None = None,
) -> CoverageResults:
    """Compute the park service-radius coverage of a study area and return it as layers.

    Parameters
    ----------
    area : StudyArea or str
        Study area (its ``metric_crs`` is used for distances and areas).
    rule : RuleSet or str, optional
        Rule set or its id (default the study area's ``default_rule``).
    year : int, optional
        As-of year: parks opened by then plus green projects done by then (:func:`geo.scenarios.parks_as_of`).
    include_planned : bool
        With ``year``: also count planned green projects due by then.
    frames : mapping, optional
        Layers to use instead of reading them (``residential``, ``parks``; optional ``subdistricts``,
        ``historic_blocks``, ``projects``), in any CRS.
    user_data : Path, optional
        Folder of imported layers.

    Returns
    -------
    CoverageResults

    Examples
    --------
    >>> res = coverage_results("xicheng", rule="xicheng-2016")
    >>> sorted(res.layers)
    ['coverage-residential', 'coverage-service-areas', 'coverage-subdistricts', 'coverage-table']
    >>> len(res.layers["coverage-subdistricts"])
    15
    """
    from geo.indicator import coverage_layers
    from geo.scenarios import scenario_parks
    from layers.rules import load_rule

    study = _study(area)
    rs = load_rule(rule or study.default_rule) if rule is None or isinstance(rule, str) else rule
    if rs.network is not None or rs.barriers:
        # Never export the Euclidean figures under a network rule's name.
        raise LayerError(
            [
                Problem(
                    study.name,
                    None,
                    "rule",
                    f"rule '{rs.id}' is measured along streets; its coverage is not exported as layers "
                    f"yet — use `greenmap coverage --area {study.name} --rule {rs.id} --format csv|json` "
                    "or greenmap.analysis.coverage_table",
                )
            ]
        )
    given = dict(frames or {})

    def get(name: str, required: bool) -> gpd.GeoDataFrame | None:
        if name in given:
            return given[name]
        if name not in study.layers:
            if required:
                raise LayerError(
                    [Problem(study.name, None, name, f"study area has no '{name}' layer")]
                )
            return None
        return read_layer(name, study, user_data=user_data)

    m = study.metric_crs
    res = get("residential", True)
    parks = get("parks", True)
    assert res is not None and parks is not None
    subs = get("subdistricts", False)
    blocks = get("historic_blocks", False)
    parks_m = parks.to_crs(m)
    projects = get("projects", False) if year is not None else None
    scenario_year = int(year) if projects is not None and year is not None else None
    if year is not None and projects is None:
        # No projects layer: the parks of the year are those opened by then.
        oy = pd.to_numeric(parks_m.get("opened_year"), errors="coerce")
        parks_m = (
            parks_m[~(oy > year).fillna(False).to_numpy(dtype=bool)] if oy is not None else parks_m
        )
    blocks_m = blocks.to_crs(m) if blocks is not None else None
    pr = scenario_parks(
        parks_m,
        rs,
        projects=projects.to_crs(m) if projects is not None else None,
        year=scenario_year,
        include_planned=include_planned,
        historic_blocks=blocks_m,
    )
    lay = coverage_layers(
        res.to_crs(m),
        pr,
        subdistricts=subs.to_crs(m) if subs is not None else None,
        historic_blocks=blocks_m,
        rule=rs,
        district_code=study.code or "district",
    )
    src = f"{_COMPUTED}: rule {rs.id} ({rs.citation})" + (f", as of {year}" if year else "")
    if any(_is_osm(df) for df in (res, parks, subs, blocks) if df is not None):
        src += f"; inputs include data {OSM_ATTRIBUTION}"
    out: dict[str, pd.DataFrame] = {}
    if lay.subdistricts is not None and subs is not None:
        sl = lay.subdistricts.to_crs("EPSG:4326")
        qual = subs.set_index("code")["geometry_quality"].astype(str)
        sl["rule_id"] = rs.id
        sl["year"] = pd.array([year] * len(sl), dtype="Int64")
        sl["source"] = src
        sl["geometry_quality"] = sl["code"].astype(str).map(qual).fillna("approximate").to_numpy()
        out["coverage-subdistricts"] = sl
    rl = lay.residential.to_crs("EPSG:4326")
    rl.insert(
        0,
        "part_id",
        [
            f"{c or 'none'}:{'h' if h else 'n'}:{'covered' if v else 'uncovered'}"
            for c, h, v in zip(
                rl["subdistrict_code"], rl["in_historic_block"], rl["covered"], strict=True
            )
        ],
    )
    rl["rule_id"] = rs.id
    rl["source"] = src
    rl["geometry_quality"] = _worst_quality(res, pr)
    out["coverage-residential"] = rl
    sa = lay.service_areas.to_crs("EPSG:4326")
    sa.insert(0, "radius_id", [f"{r:g}m" for r in sa["radius_m"]])
    sa["rule_id"] = rs.id
    sa["source"] = src
    sa["geometry_quality"] = _worst_quality(pr)
    out["coverage-service-areas"] = sa
    table = pd.DataFrame(lay.table).copy()
    table.insert(
        0,
        "row_id",
        [
            f"{s}:{c}:{v}"
            for s, c, v in zip(table["scope"], table["unit_code"], table["variant"], strict=True)
        ],
    )
    table["year"] = pd.array([year] * len(table), dtype="Int64")
    table["source"] = src
    out["coverage-table"] = table
    return CoverageResults(rule=rs, year=year, layers=out)
