"""Lookups shared by the report-context family (:mod:`greenmap.report_context` and its
``report_context_*`` modules): a unit's row of a coverage table, a layer's rows of one 街道, the
indicator variants and their labels.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from greenmap.report_data import ReportData

#: The indicator's variants, with their Chinese and English labels, in report order.
VARIANTS: tuple[tuple[str, str, str], ...] = (
    ("all_land", "全部居住用地", "all residential land"),
    ("non_historic", "非历史文化街区地区", "outside historic blocks"),
)


def _known(v: Any) -> bool:
    """Whether a scalar table value is present: neither ``None`` nor NaN / NA."""
    return v is not None and not pd.isna(v)


def _row(table: pd.DataFrame, scope: str, code: str | None, variant: str) -> dict[str, Any] | None:
    """The first row of a coverage table for one unit (``code``; ``None``: any) and variant."""
    t = table[(table["scope"] == scope) & (table["variant"] == variant)]
    if code is not None:
        t = t[t["unit_code"].astype(str) == str(code)]
    return None if t.empty else dict(t.iloc[0])


def _of_code(gdf: pd.DataFrame, code: str, column: str = "code") -> Any:
    """The rows of ``gdf`` whose ``column`` is the 街道 ``code`` (compared as text)."""
    return gdf[(gdf[column].astype(str) == str(code)).to_numpy()]


def _records(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The attribute rows of ``gdf``, without the geometry."""
    return gdf.drop(columns=gdf.geometry.name).to_dict("records")


def _empty(crs: Any) -> gpd.GeoDataFrame:
    """An empty layer in ``crs``."""
    return gpd.GeoDataFrame(geometry=[], crs=crs)


def _names(data: ReportData) -> dict[str, str]:
    """The 街道 Chinese names by code (empty without a 街道 layer)."""
    sub = data.study.get("subdistricts")
    if sub is None:
        return {}
    return dict(zip(sub["code"].astype(str), sub["name_zh"].astype(str), strict=True))
