"""Coverage gaps: uncovered residential land per 街道, and greedy candidate sites for new parks.

All geometry in one projected metric CRS (metres, m²).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.indicator import _polygonal, _present
from geo.residential import square_cells

__all__ = ["CandidateLand", "candidate_land", "candidate_sites", "served_union", "uncovered"]


def served_union(
    served: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None,
) -> shapely.Geometry:
    """One geometry for the served area (union of service areas); empty when ``None``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> served_union(gpd.GeoSeries([box(0, 0, 1, 1), box(1, 0, 2, 1)])).area
    2.0
    """
    if served is None:
        return shapely.Polygon()
    if isinstance(served, gpd.GeoDataFrame | gpd.GeoSeries):
        g = np.asarray(served.geometry.values if isinstance(served, gpd.GeoDataFrame) else served)
        g = g[_present(g)]
        return shapely.union_all(g) if len(g) else shapely.Polygon()
    if isinstance(served, shapely.Geometry):
        return served
    raise ValueError(f"served: expected a GeoSeries, GeoDataFrame or geometry, got {type(served)}")


def _check_metric(x: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> None:
    if x.crs is not None and not x.crs.is_projected:
        raise ValueError(f"{name}: CRS {x.crs.to_string()} is not projected; use the metric CRS")


def uncovered(
    residential: gpd.GeoDataFrame,
    served: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None,
    by: str | None = "subdistrict_code",
) -> gpd.GeoDataFrame:
    """Residential land outside the served area, dissolved per ``by``.

    Parameters
    ----------
    residential : GeoDataFrame
        Residential parcels (metric CRS).
    served : GeoSeries, GeoDataFrame or geometry
        Service areas (e.g. :func:`geo.indicator.service_radius_layer` or
        :func:`geo.coverage.service_areas`); they are unioned.
    by : str or None, default "subdistrict_code"
        Group column; ``None`` dissolves everything into one row.

    Returns
    -------
    GeoDataFrame
        ``by`` (when given), ``residential_m2``, ``uncovered_m2``, ``uncovered_pct`` and the
        uncovered (Multi)Polygon (empty where all is covered); one row per group.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> res = gpd.GeoDataFrame({"subdistrict_code": ["a", "a", "b"]},
    ...     geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(50, 0, 60, 10)], crs="EPSG:4548")
    >>> u = uncovered(res, box(0, 0, 15, 10))
    >>> u[["subdistrict_code", "residential_m2", "uncovered_m2"]].values.tolist()
    [['a', 200.0, 50.0], ['b', 100.0, 100.0]]
    """
    _check_metric(residential, "residential")
    if by is not None and by not in residential.columns:
        raise ValueError(f"by={by!r} is not a column of residential")
    s = served_union(served)
    shapely.prepare(s)
    rg = np.asarray(residential.geometry.values)
    ok = _present(rg)
    if not ok.all():
        raise ValueError(f"residential: {int((~ok).sum())} parcel(s) without geometry")
    diff = _polygonal(shapely.difference(rg, s))
    keys = residential[by].astype(str).to_numpy() if by is not None else np.zeros(len(rg), int)
    df = pd.DataFrame({"k": keys, "res": shapely.area(rg), "unc": shapely.area(diff)})
    agg = df.groupby("k", sort=True)[["res", "unc"]].sum()
    geoms = (
        pd.Series(diff)
        .groupby(keys)
        .agg(lambda x: shapely.union_all(np.asarray(x.values)))
        .reindex(agg.index)
    )
    out = pd.DataFrame(
        {
            "residential_m2": agg["res"].to_numpy(),
            "uncovered_m2": agg["unc"].to_numpy(),
        }
    )
    out["uncovered_pct"] = np.where(
        out["residential_m2"] > 0, 100.0 * out["uncovered_m2"] / out["residential_m2"], np.nan
    )
    if by is not None:
        out.insert(0, by, agg.index.to_numpy())
    return gpd.GeoDataFrame(out, geometry=np.asarray(geoms.values), crs=residential.crs)


def candidate_sites(
    residential: gpd.GeoDataFrame,
    served: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None,
    candidates_area: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry,
    park_area_m2: float,
    radius_m: float,
    k: int,
    cell_size_m: float,
    *,
    quad_segs: int = 16,
) -> gpd.GeoDataFrame:
    """Greedy maximal-coverage choice of ``k`` candidate cells for new parks.

    The candidate land (non-residential land where a park could go) is cut into square cells of
    ``cell_size_m``; a cell is a candidate when the candidate land in it is at least
    ``park_area_m2``. A park placed in a cell is modelled as a disc of ``park_area_m2`` centred on a
    point inside the cell's candidate land, so its service area is a disc of radius
    ``radius_m + sqrt(park_area_m2 / pi)`` around that point (an approximation: the real park's
    shape is not known). The greedy step picks the cell that newly covers the most uncovered
    residential land, removes that land, and repeats; the gains of the other cells are updated
    exactly (only cells whose service area overlaps the pick's are recomputed). Greedy maximal
    coverage is within ``1 - 1/e`` of the optimum.

    Parameters
    ----------
    residential : GeoDataFrame
        Residential parcels (metric CRS).
    served : GeoSeries, GeoDataFrame, geometry or None
        Current service areas (unioned); ``None`` for none.
    candidates_area : GeoSeries, GeoDataFrame or geometry
        Land where a new park may go.
    park_area_m2 : float
        Size of the new park (m², > 0).
    radius_m : float
        Service radius of the new park (m, > 0), e.g. from the rule's tier for that size.
    k : int
        Number of sites to pick (≥ 1). Fewer are returned when no cell adds coverage; none
        (with ``attrs["note"]`` saying why) when no cell is large enough or nothing is uncovered.
    cell_size_m : float
        Candidate cell side (m); ``cell_size_m ** 2`` must be ≥ ``park_area_m2``.
    quad_segs : int, default 16
        Segments per quarter circle of the service discs.

    Returns
    -------
    GeoDataFrame
        One row per pick: ``rank`` (1 = first), ``cell_id``, ``site_x``, ``site_y`` (m),
        ``service_radius_m``, ``new_covered_m2`` (residential land the pick newly covers, after
        the earlier picks), ``cumulative_m2``, ``cumulative_pp`` (percentage points of all
        residential land), ``subdistrict_code`` (of the most newly covered land, when
        residential has that column) and the cell's candidate-land polygon.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> res = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100), box(1000, 0, 1300, 100)],
    ...     crs="EPSG:4548")
    >>> cand = box(1100, 100, 1200, 200)
    >>> s = candidate_sites(res, None, cand, 1000, 200, k=2, cell_size_m=100)
    >>> s[["rank", "cell_id"]].values.tolist(), round(float(s.new_covered_m2.iloc[0]))
    ([[1, 0]], 30000)
    """
    _check_metric(residential, "residential")
    if not park_area_m2 > 0:
        raise ValueError(f"park_area_m2: must be > 0, got {park_area_m2!r}")
    if not radius_m > 0:
        raise ValueError(f"radius_m: must be > 0, got {radius_m!r}")
    if not (isinstance(k, int | np.integer) and k >= 1):
        raise ValueError(f"k: must be an integer ≥ 1, got {k!r}")
    if not cell_size_m > 0 or cell_size_m**2 < park_area_m2:
        raise ValueError(
            f"cell_size_m: must be > 0 with cell_size_m² ≥ park_area_m2 ({park_area_m2:g}), "
            f"got {cell_size_m!r}"
        )
    cand = served_union(candidates_area)
    rg = np.asarray(residential.geometry.values)
    rg = rg[_present(rg)]
    total = float(shapely.area(rg).sum())
    if not total > 0:
        raise ValueError("residential: zero total area")
    subs = (
        residential.loc[_present(np.asarray(residential.geometry.values)), "subdistrict_code"]
        .astype(str)
        .to_numpy()
        if "subdistrict_code" in residential.columns
        else None
    )
    s = served_union(served)
    unc = _polygonal(shapely.difference(rg, s))
    keep = shapely.area(unc) > 0
    unc = unc[keep]
    unc_sub = subs[keep] if subs is not None else None

    if shapely.is_empty(cand):
        land = np.empty(0, dtype=object)
        cell_ids = np.empty(0, dtype=int)
    else:
        cells = square_cells(tuple(shapely.bounds(cand)), cell_size_m)  # type: ignore[arg-type]
        ci = shapely.STRtree(cells).query(cand, predicate="intersects")
        land = _polygonal(shapely.intersection(cells[ci], cand))
        ok = shapely.area(land) >= park_area_m2 * (1 - 1e-9)
        cell_ids = np.flatnonzero(ok)
        land = land[ok]
    cols = [
        "rank",
        "cell_id",
        "site_x",
        "site_y",
        "service_radius_m",
        "new_covered_m2",
        "cumulative_m2",
        "cumulative_pp",
        "subdistrict_code",
    ]
    if len(land) == 0 or len(unc) == 0:
        empty = gpd.GeoDataFrame(
            pd.DataFrame(columns=cols), geometry=np.empty(0, object), crs=residential.crs
        )
        empty.attrs["note"] = (
            "no residential land is uncovered"
            if len(unc) == 0
            else f"no candidate cell holds {park_area_m2:g} m² of candidate land"
        )
        return empty
    site = shapely.point_on_surface(land)
    reach = radius_m + math.sqrt(park_area_m2 / math.pi)
    disc = shapely.buffer(site, reach, quad_segs=quad_segs)
    shapely.prepare(disc)

    # matrix of cell -> uncovered area (sparse, via STRtree), summed to initial gains
    di, uj = shapely.STRtree(unc).query(disc, predicate="intersects")
    a = shapely.area(shapely.intersection(disc[di], unc[uj]))
    gain = np.bincount(di, weights=a, minlength=len(disc)).astype(float)
    remaining = unc.copy()  # uncovered land per parcel, shrinks with each pick
    picks: list[int] = []
    new_cov: list[float] = []
    pick_sub: list[str | None] = []
    dtree = shapely.STRtree(disc)
    alive = np.ones(len(disc), bool)
    for _ in range(int(k)):
        g = np.where(alive, gain, -1.0)
        j = int(np.argmax(g))
        if g[j] <= 0:
            break
        # land newly covered by j, per parcel
        hit = shapely.STRtree(remaining).query(disc[j], predicate="intersects")
        newly = _polygonal(shapely.intersection(remaining[hit], disc[j]))
        areas = shapely.area(newly)
        picks.append(j)
        new_cov.append(float(areas.sum()))
        if unc_sub is not None:
            by_sub = pd.Series(areas).groupby(unc_sub[hit]).sum()
            pick_sub.append(str(by_sub.idxmax()) if len(by_sub) else None)
        else:
            pick_sub.append(None)
        alive[j] = False
        # exact update: other cells lose what j just covered inside their discs
        newly_all = shapely.union_all(newly[areas > 0]) if (areas > 0).any() else None
        if newly_all is not None:
            aff = dtree.query(newly_all, predicate="intersects")
            aff = aff[alive[aff]]
            if len(aff):
                gain[aff] -= shapely.area(shapely.intersection(disc[aff], newly_all))
                np.maximum(gain, 0.0, out=gain)
        remaining[hit] = _polygonal(shapely.difference(remaining[hit], disc[j]))
    pk = np.asarray(picks, dtype=int)
    cum = np.cumsum(new_cov)
    out = pd.DataFrame(
        {
            "rank": np.arange(1, len(pk) + 1),
            "cell_id": cell_ids[pk] if len(pk) else np.empty(0, int),
            "site_x": shapely.get_x(site[pk]),
            "site_y": shapely.get_y(site[pk]),
            "service_radius_m": reach,
            "new_covered_m2": np.asarray(new_cov, dtype=float),
            "cumulative_m2": cum,
            "cumulative_pp": 100.0 * cum / total,
            "subdistrict_code": pick_sub,
        },
        columns=cols,
    )
    geoms: NDArray[np.object_] = land[pk]
    return gpd.GeoDataFrame(out, geometry=geoms, crs=residential.crs)


@dataclass(frozen=True)
class CandidateLand:
    """Where a new park could go, and on what basis.

    Attributes
    ----------
    geometry : shapely geometry
        The candidate land (metric CRS).
    basis : {"non_residential", "vacated"}
        ``non_residential``: the district minus residential land and parks. ``vacated``: the district
        minus parks, i.e. land that renewal would first have to vacate (疏解腾退、留白增绿) — used when the
        residential layer leaves (almost) no other land, as the demo proxy does.
    note : str
        The basis in words (Chinese first), for maps and exports.
    """

    geometry: shapely.Geometry
    basis: str
    note: str


def candidate_land(
    district: gpd.GeoDataFrame | gpd.GeoSeries,
    residential: gpd.GeoDataFrame | gpd.GeoSeries,
    parks: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    min_area_m2: float,
) -> CandidateLand:
    """Land for new parks: non-residential land, or — when there is less than ``min_area_m2`` of it —
    any land outside parks, to be vacated through renewal.

    Parameters
    ----------
    district, residential, parks : GeoDataFrame or GeoSeries
        In one projected metric CRS; rows without geometry are ignored.
    min_area_m2 : float
        The size of the park to place (m²): less non-residential land than this means none.

    Returns
    -------
    CandidateLand

    Examples
    --------
    >>> from shapely import box
    >>> d = gpd.GeoSeries([box(0, 0, 100, 100)], crs="EPSG:4548")
    >>> parks = gpd.GeoSeries([box(0, 0, 10, 10)], crs="EPSG:4548")
    >>> candidate_land(d, gpd.GeoSeries([box(0, 0, 100, 50)], crs="EPSG:4548"), parks,
    ...                min_area_m2=1000).basis
    'non_residential'
    >>> land = candidate_land(d, gpd.GeoSeries([box(0, 0, 100, 100)], crs="EPSG:4548"), parks,
    ...                       min_area_m2=1000)
    >>> land.basis, land.geometry.area
    ('vacated', 9900.0)
    """
    for name, x in (("district", district), ("residential", residential), ("parks", parks)):
        _check_metric(x, name)
    if min_area_m2 <= 0 or not math.isfinite(min_area_m2):
        raise ValueError(f"min_area_m2: must be a positive number of m², got {min_area_m2!r}")

    def union(x: gpd.GeoDataFrame | gpd.GeoSeries) -> shapely.Geometry:
        g = np.asarray(x.geometry.values if isinstance(x, gpd.GeoDataFrame) else x.values)
        return shapely.union_all(g[_present(g)])

    outline, park_land = union(district), union(parks)
    free = shapely.difference(outline, shapely.union(union(residential), park_land))
    if free.area >= min_area_m2:
        return CandidateLand(free, "non_residential", "非居住用地 non-residential land")
    return CandidateLand(
        shapely.difference(outline, park_land),
        "vacated",
        "需腾退的用地（疏解腾退、留白增绿）land to be vacated through renewal: "
        "the residential layer leaves no other land",
    )
