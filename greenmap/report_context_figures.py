"""What the report's figures draw: the layers of a map (:class:`greenmap.report_map.MapLayers`, in
the study's metric CRS) and the computed rates laid over the chart of the reported series.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.scenarios import parks_as_of
from greenmap.report_context_common import _row
from greenmap.report_context_projects import _statuses
from greenmap.report_context_provenance import _sources
from greenmap.report_data import ReportData, _present
from greenmap.report_format import fmt_pct
from greenmap.report_map import MapLayers

#: Image format of the maps: JPEG (quality 93, 4:4:4) is embedded by WeasyPrint as it is; PNG is
#: re-encoded, about a second per 300 dpi map on a loaded 2-core machine.
MAP_FORMAT = "jpeg"


def _map_layers(
    data: ReportData, code: str | None, cand: gpd.GeoDataFrame, legend: bool = True
) -> MapLayers:
    """The layers of the map of the 街道 ``code`` (``None``: the district) as of the report's
    year: placed projects listed by then, parks open by then, candidate sites."""
    st = data.study
    projects = st.get("projects")
    placed = None
    if projects is not None and len(projects) and _present(projects).any():
        placed = projects[_present(projects)].copy()
        placed["status"] = _statuses(placed, data.year)
        placed = placed[placed["status"] != "not_listed"]
    parks = st["parks"]
    if data.year is not None and projects is not None:
        parks = parks_as_of(parks, projects, data.year)
        # keep the parks open by then; the projects are drawn as their own layer, not twice
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
    """The computed headline rates (%) drawn over the reported series: the 街道 ``code`` (labelled
    ``name``), if given, then the district."""
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
