"""The parks of a given year: existing parks plus green projects finished by then.

A *green project* is a row of the projects layer with ``adds_green_space`` true or a ``category``
in :data:`GREEN_CATEGORIES`. A project's status in a year comes from its ``status_history``
(``"2019:planned;2021:done"``), else from ``latest_status``/``latest_status_year``. Only projects
whose geometry is known can be placed on the map. Part of the :mod:`geo.scenarios` family.

All geometry in one projected metric CRS (metres, m²).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.indicator import _present
from geo.rules import _num

__all__ = ["GREEN_CATEGORIES", "green_projects", "parks_as_of", "status_in_year"]

#: Project categories that create public green space.
GREEN_CATEGORIES: frozenset[str] = frozenset(
    {"park", "pocket_park", "greenway", "urban_forest", "garden_block"}
)


def _parse_history(text: object, where: str) -> list[tuple[int, str]]:
    if text is None or (isinstance(text, float) and np.isnan(text)) or str(text).strip() == "":
        return []
    out = []
    for item in str(text).split(";"):
        item = item.strip()
        if not item:
            continue
        y, sep, st = item.partition(":")
        if not sep or not y.strip().isdigit() or not st.strip():
            raise ValueError(f"{where}: status_history entry {item!r} is not 'YEAR:status'")
        out.append((int(y), st.strip()))
    return sorted(out, key=lambda t: t[0])


def status_in_year(status_history: object, year: int, where: str = "status_history") -> str:
    """Status of a project in ``year`` from its ``"YEAR:status;..."`` history.

    The status is that of the latest entry dated ``<= year``; ``"unknown"`` before the first.

    Examples
    --------
    >>> status_in_year("2019:planned;2021:done", 2020), status_in_year("2019:planned;2021:done", 2021)
    ('planned', 'done')
    >>> status_in_year("2019:planned", 2018)
    'unknown'
    """
    st = "unknown"
    for y, s in _parse_history(status_history, where):
        if y <= year:
            st = s
    return st


def _truthy(v: object) -> bool:
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return False
    return str(v).strip().lower() in ("true", "1", "yes")


def green_projects(projects: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The projects that create green space (``adds_green_space`` or a green ``category``).

    Examples
    --------
    >>> p = gpd.GeoDataFrame({"project_id": ["a", "b", "c"], "category": ["park", "other", "x"],
    ...     "adds_green_space": [False, True, "false"]}, geometry=[None, None, None])
    >>> green_projects(p).project_id.tolist()
    ['a', 'b']
    """
    adds = (
        projects["adds_green_space"].map(_truthy).to_numpy(dtype=bool)
        if "adds_green_space" in projects.columns
        else np.zeros(len(projects), bool)
    )
    cat = (
        projects["category"].isin(GREEN_CATEGORIES).to_numpy()
        if "category" in projects.columns
        else np.zeros(len(projects), bool)
    )
    return projects[adds | cat]


def _project_status(projects: gpd.GeoDataFrame, year: int) -> np.ndarray:
    st = []
    for i, (_, row) in enumerate(projects.iterrows()):
        pid = row.get("project_id", f"row {i + 1}")
        hist = row.get("status_history")
        s = status_in_year(hist, year, where=f"projects {pid}")
        if s == "unknown" and not _parse_history(hist, f"projects {pid}"):
            ly = row.get("latest_status_year")
            ls = row.get("latest_status")
            if ls is not None and ly is not None and not pd.isna(ly) and int(ly) <= year:
                s = str(ls)
        st.append(s)
    return np.asarray(st, dtype=object)


def parks_as_of(
    parks: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame,
    year: int,
    include_planned: bool = False,
    *,
    respect_opened_year: bool = True,
) -> gpd.GeoDataFrame:
    """Parks of ``year``: existing parks plus green projects with geometry finished by then.

    Parameters
    ----------
    parks : GeoDataFrame
        Parks layer (metric CRS).
    projects : GeoDataFrame
        Projects layer (same CRS): ``project_id``, ``name_zh``, ``category``,
        ``adds_green_space``, ``status_history`` (``"2019:planned;2021:done"``; when empty,
        ``latest_status``/``latest_status_year`` are used), ``planned_end_year``, ``area_m2``.
    year : int
    include_planned : bool, default False
        Also add green projects not done by ``year`` whose ``planned_end_year <= year`` (assumed
        built on time).
    respect_opened_year : bool, default True
        Leave out parks whose ``opened_year`` is after ``year`` (parks without a year are kept).

    Returns
    -------
    GeoDataFrame
        Park rows (``origin = "park"``) then project rows (``origin = "project"``, ``park_id`` =
        project id, ``kind`` = category, ``status = "existing"``, ``fee = "unknown"``,
        ``scenario_status`` ``"done"`` or ``"planned"``). Parks' own ``scenario_status`` is
        ``"existing"``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> parks = gpd.GeoDataFrame({"park_id": ["p"], "status": ["existing"], "opened_year": [1990]},
    ...     geometry=[box(0, 0, 10, 10)], crs="EPSG:4548")
    >>> proj = gpd.GeoDataFrame({"project_id": ["a", "b", "c"], "category": ["park"] * 3,
    ...     "status_history": ["2019:planned;2021:done", "2019:planned", "2021:done"],
    ...     "planned_end_year": [2021, 2022, 2021]},
    ...     geometry=[box(0, 0, 1, 1), box(0, 0, 1, 1), None], crs="EPSG:4548")
    >>> parks_as_of(parks, proj, 2021).park_id.tolist()
    ['p', 'a']
    >>> parks_as_of(parks, proj, 2022, include_planned=True).park_id.tolist()
    ['p', 'a', 'b']
    """
    if parks.crs is not None and projects.crs is not None and not parks.crs.equals(projects.crs):
        raise ValueError(
            f"CRS mismatch: parks is {parks.crs.to_string()} but projects is "
            f"{projects.crs.to_string()}"
        )
    p = parks.copy()
    if respect_opened_year and "opened_year" in p.columns:
        oy = _num(p["opened_year"])
        p = p[~(oy > year)]
    p["origin"] = "park"
    p["scenario_status"] = "existing"
    gp = green_projects(projects)
    g = np.asarray(gp.geometry.values)
    gp = gp[_present(g)]
    st = _project_status(gp, year)
    done = st == "done"
    planned = np.zeros(len(gp), bool)
    if include_planned and "planned_end_year" in gp.columns:
        pey = _num(gp["planned_end_year"])
        planned = ~done & np.isin(st, ["planned", "under_way"]) & (pey <= year)
    sel = done | planned
    q = gp[sel]
    add = gpd.GeoDataFrame(
        {
            "park_id": q["project_id"].astype(str).to_numpy(),
            "name_zh": q["name_zh"].to_numpy() if "name_zh" in q.columns else None,
            "kind": q["category"].to_numpy() if "category" in q.columns else None,
            "area_m2": (_num(q["area_m2"]) if "area_m2" in q.columns else np.nan),
            "status": "existing",
            "fee": "unknown",
            "origin": "project",
            "scenario_status": np.where(done[sel], "done", "planned"),
        },
        geometry=np.asarray(q.geometry.values),
        crs=projects.crs,
    )
    if len(add) == 0:
        return p.reset_index(drop=True)
    if len(p) == 0:
        return add
    return gpd.GeoDataFrame(pd.concat([p, add], ignore_index=True), crs=p.crs)
