"""Scenarios: the parks of a given year (existing parks plus finished green projects) and the
marginal coverage gain of each green project.

A *green project* is a row of the projects layer with ``adds_green_space`` true or a ``category``
in :data:`GREEN_CATEGORIES`. Only projects whose geometry is known can be placed on the map; the
others are listed with the reason ``"no geometry"``, never silently dropped.

All geometry in one projected metric CRS (metres, m²).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coverage import DEFAULT_QUAD_SEGS, normalise_demand, service_areas
from geo.indicator import _polygonal, _present
from geo.rules import RuleSet, _num, classify_parks

__all__ = [
    "GAIN_COLUMNS",
    "GREEN_CATEGORIES",
    "green_projects",
    "marginal_gains",
    "parks_as_of",
    "status_in_year",
]

#: Project categories that create public green space.
GREEN_CATEGORIES: frozenset[str] = frozenset(
    {"park", "pocket_park", "greenway", "urban_forest", "garden_block"}
)

#: Columns of :func:`marginal_gains`.
GAIN_COLUMNS: tuple[str, ...] = (
    "project_id",
    "name_zh",
    "category",
    "status_in_year",
    "in_baseline",
    "eligible",
    "radius_m",
    "scope",
    "unit_code",
    "residential_m2",
    "gain_m2",
    "gain_pp",
    "rank",
    "reason",
    "variant",
    "rule_id",
    "year",
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


def marginal_gains(
    residential: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame,
    rule: RuleSet,
    year: int,
    *,
    historic_blocks: gpd.GeoDataFrame | None = None,
    include_planned: bool = False,
    quad_segs: int | None = None,
    by: str = "subdistrict_code",
) -> pd.DataFrame:
    """Coverage each green project adds, district-wide and per 街道, ranked.

    The baseline is :func:`parks_as_of` ``(parks, projects, year, include_planned)`` with radii
    from ``rule``. A project's gain is the residential area covered with it minus without it:
    for a project outside the baseline, the part of its service area over residential land the
    baseline leaves uncovered; for a project inside the baseline, the land only it covers. Gains
    are measured over the rule's headline variant (historic blocks removed from the residential
    land when the headline is ``non_historic`` and ``historic_blocks`` is given).

    Parameters
    ----------
    residential : GeoDataFrame
        Residential parcels (metric CRS) with ``by`` for the 街道 rows; overlaps are removed
        with :func:`geo.coverage.normalise_demand`.
    parks, projects : GeoDataFrame
        As for :func:`parks_as_of`.
    rule : RuleSet
    year : int
    historic_blocks : GeoDataFrame, optional
        Exclusion zone polygons (needed for zone tiers and the non-historic variant).
    include_planned : bool, default False
    quad_segs : int, optional
        Default: the rule's, else :data:`geo.coverage.DEFAULT_QUAD_SEGS`.
    by : str, default "subdistrict_code"

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GAIN_COLUMNS`. One ``scope = "district"`` row per green project
        (``unit_code = "district"``), plus ``scope = "subdistrict"`` rows for the units where the
        gain is positive. ``gain_m2`` (m²) and ``gain_pp`` (percentage points of the unit's
        residential land); ``rank`` 1 = largest gain within the unit. Projects without geometry
        have NaN gains, no rank and ``reason = "no geometry"``; projects the rule does not count
        have gain 0 and the rule's reason (e.g. ``"area below 5000 m²"``).
    """
    qs = quad_segs if quad_segs is not None else (rule.quad_segs or DEFAULT_QUAD_SEGS)
    if by not in residential.columns:
        raise ValueError(f"by={by!r} is not a column of residential")
    base = parks_as_of(parks, projects, year, include_planned)
    zones = historic_blocks if rule.exclusion == "historic_blocks" else None
    base_c = classify_parks(base, rule, zones)
    base_e = base_c[base_c["eligible"].to_numpy()]
    variant = rule.headline_variant if historic_blocks is not None else "all_land"

    rg = np.asarray(residential.geometry.values)
    if not _present(rg).all():
        raise ValueError(f"residential: {int((~_present(rg)).sum())} parcel(s) without geometry")
    residential = normalise_demand(residential, by=by)
    rg = np.asarray(residential.geometry.values)
    keys = residential[by].astype(str).to_numpy()
    if variant == "non_historic" and historic_blocks is not None:
        bg = np.asarray(historic_blocks.geometry.values)
        bg = bg[_present(bg)]
        if len(bg):
            rg = _polygonal(shapely.difference(rg, shapely.union_all(bg)))
    res_area = pd.Series(shapely.area(rg)).groupby(keys).sum()
    total = float(res_area.sum())
    if not total > 0:
        raise ValueError("residential: zero total area (after removing historic blocks)")

    base_sa = (
        np.asarray(service_areas(base_e.geometry, base_e["radius_m"], quad_segs=qs).values)
        if len(base_e)
        else np.empty(0, object)
    )
    served = shapely.union_all(base_sa) if len(base_sa) else shapely.Polygon()
    unc = _polygonal(shapely.difference(rg, served))
    ok = shapely.area(unc) > 0
    unc, unc_keys = unc[ok], keys[ok]

    # all green projects, with their standing under the rule
    gp = green_projects(projects).reset_index(drop=True)
    gp_c = classify_parks(
        gpd.GeoDataFrame(
            {
                "park_id": gp["project_id"].astype(str).to_numpy(),
                "kind": gp["category"].to_numpy() if "category" in gp.columns else None,
                "area_m2": (_num(gp["area_m2"]) if "area_m2" in gp.columns else np.nan),
                "status": "existing",
                "fee": "unknown",
            },
            geometry=np.asarray(gp.geometry.values),
            crs=projects.crs,
        ),
        rule,
        zones,
    )
    st = _project_status(gp, year)
    base_ids = set(base.loc[base["origin"] == "project", "park_id"].astype(str))
    pid = gp["project_id"].astype(str).to_numpy()
    in_base = np.isin(pid, list(base_ids))
    has_geom = _present(np.asarray(gp.geometry.values))
    elig = gp_c["eligible"].to_numpy(dtype=bool)
    radius = _num(gp_c["radius_m"])

    gains: dict[int, pd.Series] = {}
    # projects outside the baseline: vectorised over all of them
    cand = np.flatnonzero(elig & ~in_base)
    if len(cand) and len(unc):
        sa = shapely.buffer(np.asarray(gp.geometry.values)[cand], radius[cand], quad_segs=qs)
        si, uj = shapely.STRtree(unc).query(sa, predicate="intersects")
        a = shapely.area(shapely.intersection(sa[si], unc[uj]))
        df = pd.DataFrame({"p": cand[si], "k": unc_keys[uj], "a": a})
        for p, grp in df.groupby("p"):
            gains[int(str(p))] = grp.groupby("k")["a"].sum()
    # projects in the baseline: land only they cover (few; one union each)
    base_pid = base_e["park_id"].astype(str).to_numpy()
    for ib in np.flatnonzero(elig & in_base).tolist():
        i = int(ib)
        others = base_sa[base_pid != pid[i]]
        served_wo = shapely.union_all(others) if len(others) else shapely.Polygon()
        own = shapely.buffer(gp.geometry.values[i], radius[i], quad_segs=qs)
        only = _polygonal(shapely.intersection(shapely.difference(rg, served_wo), own))
        gains[i] = pd.Series(shapely.area(only)).groupby(keys).sum()

    rows = []
    reason_col = gp_c["reason"].to_numpy()
    for i in range(len(gp)):
        common = {
            "project_id": pid[i],
            "name_zh": gp["name_zh"].iloc[i] if "name_zh" in gp.columns else "",
            "category": gp["category"].iloc[i] if "category" in gp.columns else "",
            "status_in_year": st[i],
            "in_baseline": bool(in_base[i]),
            "eligible": bool(elig[i]),
            "radius_m": radius[i],
        }
        if not has_geom[i]:
            rows.append(
                {
                    **common,
                    "scope": "district",
                    "unit_code": "district",
                    "residential_m2": total,
                    "gain_m2": np.nan,
                    "gain_pp": np.nan,
                    "reason": "no geometry",
                }
            )
            continue
        g = gains.get(i, pd.Series(dtype=float))
        g = g[g > 0]
        reason = "" if elig[i] else f"not counted by rule {rule.id}: {reason_col[i]}"
        dg = float(g.sum())
        rows.append(
            {**common, "scope": "district", "unit_code": "district", "residential_m2": total,
             "gain_m2": dg, "gain_pp": 100.0 * dg / total, "reason": reason}
        )  # fmt: skip
        for code, v in g.items():
            ra = float(res_area.get(code, 0.0))
            rows.append(
                {
                    **common,
                    "scope": "subdistrict",
                    "unit_code": str(code),
                    "residential_m2": ra,
                    "gain_m2": float(v),
                    "gain_pp": 100.0 * float(v) / ra if ra > 0 else np.nan,
                    "reason": reason,
                }
            )
    out = pd.DataFrame(rows, columns=[c for c in GAIN_COLUMNS if c not in ("rank",)])
    out["variant"] = variant
    out["rule_id"] = rule.id
    out["year"] = int(year)
    return rank_gains(out)[list(GAIN_COLUMNS)]


def rank_gains(gains: pd.DataFrame) -> pd.DataFrame:
    """``gains`` with ``rank`` (1 = largest ``gain_m2`` within each ``scope`` × ``unit_code``,
    ties share the smaller rank, NaN gains unranked), sorted by scope, unit, gain (largest
    first) and project id; the order of every gain table."""
    out = gains.copy()
    out["rank"] = (
        out.groupby(["scope", "unit_code"])["gain_m2"]
        .rank(method="min", ascending=False, na_option="keep")
        .astype("Int64")
    )
    return out.sort_values(
        ["scope", "unit_code", "gain_m2", "project_id"],
        ascending=[True, True, False, True],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)


def scenario_parks(
    parks: gpd.GeoDataFrame,
    rule: RuleSet,
    *,
    projects: gpd.GeoDataFrame | None = None,
    year: int | None = None,
    include_planned: bool = False,
    historic_blocks: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The parks of a scenario with their service radius: :func:`parks_as_of`, then
    :func:`geo.rules.assign_radii` (historic blocks as zones only when a tier depends on them).

    All inputs in one projected metric CRS. ``year=None`` uses ``parks`` as given; with a year,
    ``projects`` is required.
    """
    from geo.rules import assign_radii

    current = parks
    if year is not None:
        if projects is None:
            raise ValueError("projects: needed to build the parks of a given year")
        current = parks_as_of(parks, projects, year, include_planned)
    zones = None
    if historic_blocks is not None and any(t.zone != "any" for t in rule.tiers):
        zones = historic_blocks
    return assign_radii(current, rule, zones)


def scenario_coverage(
    residential: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    rule: RuleSet,
    *,
    projects: gpd.GeoDataFrame | None = None,
    year: int | None = None,
    include_planned: bool = False,
    subdistricts: gpd.GeoDataFrame | None = None,
    historic_blocks: gpd.GeoDataFrame | None = None,
    population_col: str | None = None,
    quad_segs: int | None = None,
    disjoint: bool = False,
) -> pd.DataFrame:
    """The coverage table of a scenario: the parks of ``year`` under ``rule``, by district, 街道 and block.

    One pipeline for the CLI, the web map and the Python API: :func:`parks_as_of` (when ``year`` is given),
    :func:`geo.rules.assign_radii` (historic blocks as the exclusion zones of zone-dependent tiers), then
    :func:`geo.indicator.coverage_table`. All inputs in one projected metric CRS.

    Parameters
    ----------
    residential, parks : GeoDataFrame
        Residential land and parks (metric CRS).
    rule : RuleSet
        The rule set.
    projects : GeoDataFrame, optional
        Projects whose finished green space counts from their completion year (needed with ``year``).
    year : int, optional
        As-of year; ``None`` uses ``parks`` as given.
    include_planned : bool
        Count planned green projects due by ``year`` too.
    subdistricts, historic_blocks : GeoDataFrame, optional
        Units of the breakdown and the historic blocks (exclusion of the non-historic variant).
    population_col : str, optional
        A population column of ``subdistricts`` spread over each 街道's residential land by area; by default
        the parcels' own ``population`` column is used where present.
    quad_segs : int, optional
        Buffer segments per quarter circle (default: the rule's, else the engine's).
    disjoint : bool
        ``residential`` is already disjoint (see :func:`geo.indicator.coverage_table`).

    Returns
    -------
    DataFrame
        :func:`geo.indicator.coverage_table`'s tidy table, with ``year`` added.
    """
    from geo.indicator import coverage_table

    assigned = scenario_parks(
        parks,
        rule,
        projects=projects,
        year=year,
        include_planned=include_planned,
        historic_blocks=historic_blocks,
    )
    table = coverage_table(
        residential,
        assigned,
        subdistricts=subdistricts,
        historic_blocks=historic_blocks,
        rule=rule,
        quad_segs=quad_segs,
        population_col=population_col,
        disjoint=disjoint,
    )
    table.insert(len(table.columns), "year", year)
    table.attrs["parks_used"] = len(assigned)
    return table
