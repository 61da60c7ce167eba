"""Which tagged park entrances each park may use (issue 12).

Tagged entrances (the study area's optional ``entrances`` layer) reach the network engine through
:func:`geo.netaccess.access_points`. Before that, :func:`entrances_for` drops the entrances of parks
a rule does not count, and :func:`entrance_owners` hands entrances to park rows when the same park
appears in several runs at once (the labelled marginal gains of :mod:`geo.netgains`). Pure
functions on points and polygons in a metric CRS (metres).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

__all__ = ["entrance_owners", "entrances_for"]


def entrances_for(
    entrances: gpd.GeoDataFrame | gpd.GeoSeries | None,
    parks: gpd.GeoDataFrame | pd.DataFrame | ArrayLike,
) -> gpd.GeoDataFrame | gpd.GeoSeries | None:
    """The tagged entrances a set of parks may use: those of uncounted parks left out.

    An entrance whose ``park_id`` is set but names none of ``parks`` is dropped, so it cannot be
    taken for a neighbouring park's (entrances without ``park_id``, or a GeoSeries, are all kept
    and go to the nearest park, see :func:`geo.netaccess.access_points`).

    Parameters
    ----------
    entrances : GeoDataFrame or GeoSeries, optional
        Tagged entrance points (e.g. the study area's ``entrances`` layer).
    parks : DataFrame or array-like
        The counted parks (their ``park_id`` column) or their ids.

    Returns
    -------
    GeoDataFrame, GeoSeries or None
        ``None`` when no entrance is left (or none was given).

    Examples
    --------
    >>> from shapely import Point
    >>> e = gpd.GeoDataFrame({"entrance_id": ["g1", "g2", "g3"], "park_id": ["a", None, "b"]},
    ...     geometry=[Point(0, 0)] * 3)
    >>> entrances_for(e, pd.DataFrame({"park_id": ["a"]}))["entrance_id"].tolist()
    ['g1', 'g2']
    >>> entrances_for(e.iloc[2:], ["a"]) is None
    True
    """
    if entrances is None or len(entrances) == 0:
        return None
    if isinstance(entrances, gpd.GeoDataFrame) and "park_id" in entrances.columns:
        if isinstance(parks, pd.DataFrame):
            ids = parks["park_id"] if "park_id" in parks.columns else pd.Series([], dtype=object)
        else:
            ids = pd.Series(np.asarray(parks, dtype=object))
        pid = entrances["park_id"]
        entrances = entrances[pid.isna() | pid.astype(str).isin(set(ids.astype(str)))]
    return entrances if len(entrances) else None


def entrance_owners(
    entrances: gpd.GeoDataFrame | gpd.GeoSeries | None,
    parks: gpd.GeoDataFrame,
    base: ArrayLike,
    same_as: ArrayLike,
    *,
    max_distance_m: float = 30.0,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Which park rows get which tagged entrance when parks are added to a baseline one at a time.

    For :mod:`geo.netgains`, whose ``parks`` are the baseline rows, then one row per project
    (each taken alone with the baseline): each entrance is given as :func:`geo.netaccess.access_points` would
    give it in the run of "the baseline plus that one project":

    * ``base`` rows: the nearest baseline park within ``max_distance_m``, among the entrances of
      :func:`entrances_for` the baseline;
    * other rows with ``same_as[i] < 0`` (a project outside the baseline): every entrance of
      :func:`entrances_for` the baseline plus the project, within ``max_distance_m`` and strictly
      nearer to the project than to any baseline park (the baseline rows keep theirs);
    * rows with ``same_as[i] = j ≥ 0`` (a project that is baseline park ``j``): the entrances of
      row ``j``.

    Parameters
    ----------
    entrances : GeoDataFrame or GeoSeries, optional
        Tagged entrance points (``park_id`` optional).
    parks : GeoDataFrame
        Park rows with ``park_id``, metric CRS.
    base : array-like of bool
        The baseline rows.
    same_as : array-like of int
        Per row, the baseline row that is the same park, or ``-1``.
    max_distance_m : float
        N (m).

    Returns
    -------
    (ndarray of intp, ndarray of intp)
        Entrance positions (in ``entrances``) and park rows, one pair per (entrance, row): give
        ``entrances.iloc[first]`` and ``entrance_park=second`` to :func:`geo.netaccess.access_points`.

    Examples
    --------
    >>> from shapely import Point, box
    >>> parks = gpd.GeoDataFrame({"park_id": ["a", "q", "a"]},
    ...     geometry=[box(0, 0, 10, 10), box(12, 0, 20, 10), box(0, 0, 10, 10)])
    >>> gates = gpd.GeoSeries([Point(5, 12), Point(11.5, 5), Point(16, 11)])
    >>> e, row = entrance_owners(gates, parks, [True, False, False], [-1, -1, 0], max_distance_m=5)
    >>> e.tolist(), row.tolist()  # gate 1: a in the baseline, q (nearer) with it; row 2 is a
    ([0, 1, 1, 2, 0, 1], [0, 0, 1, 1, 2, 2])
    """
    z = np.empty(0, dtype=np.intp)
    is_base = np.asarray(base, dtype=bool)
    alias = np.asarray(same_as, dtype=np.intp)
    if entrances is None or len(entrances) == 0 or len(parks) == 0:
        return z, z
    eg = np.asarray(getattr(entrances, "geometry", entrances).values, dtype=object)
    ok = ~(shapely.is_missing(eg) | shapely.is_empty(eg))
    pg = np.asarray(parks.geometry.values, dtype=object)
    ids = parks["park_id"].astype(str).to_numpy()
    has_pid = isinstance(entrances, gpd.GeoDataFrame) and "park_id" in entrances.columns
    epid = (
        entrances["park_id"].where(entrances["park_id"].notna()).to_numpy(dtype=object)
        if has_pid
        else np.full(len(eg), None, dtype=object)
    )
    free = pd.isna(epid)
    epid_s = np.asarray([str(x) for x in epid], dtype=object)
    b_rows = np.flatnonzero(is_base)
    in_base = free | np.isin(epid_s, ids[b_rows])
    # the baseline: nearest baseline park
    d_base = np.full(len(eg), np.inf)
    e0, p0 = z, z
    cand = np.flatnonzero(ok & in_base)
    if len(b_rows) and len(cand):
        (ei, bj), d = shapely.STRtree(pg[b_rows]).query_nearest(
            eg[cand], max_distance=max_distance_m, return_distance=True, all_matches=False
        )
        e0, p0 = cand[ei], b_rows[bj]
        d_base[e0] = d
    # projects outside the baseline, each alone with it: strictly nearer than the baseline
    x_rows = np.flatnonzero(~is_base & (alias < 0))
    e1, p1 = z, z
    if len(x_rows) and ok.any():
        ei, xj = shapely.STRtree(pg[x_rows]).query(eg, predicate="dwithin", distance=max_distance_m)
        keep = ok[ei] & (in_base[ei] | (epid_s[ei] == ids[x_rows[xj]]))
        ei, xj = ei[keep], xj[keep]
        nearer = shapely.distance(eg[ei], pg[x_rows[xj]]) < d_base[ei]
        e1, p1 = ei[nearer].astype(np.intp), x_rows[xj[nearer]]
    # rows that are a baseline park: its entrances
    own = pd.DataFrame({"e": np.concatenate([e0, e1]), "row": np.concatenate([p0, p1])})
    a_rows = np.flatnonzero(alias >= 0)
    copy = pd.DataFrame({"row": alias[a_rows], "alias": a_rows}).merge(own, on="row")
    return (
        np.concatenate([own["e"].to_numpy(), copy["e"].to_numpy()]).astype(np.intp),
        np.concatenate([own["row"].to_numpy(), copy["alias"].to_numpy()]).astype(np.intp),
    )
