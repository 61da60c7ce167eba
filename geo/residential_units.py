"""Residential land fitted to the 街道: every piece in one unit, land outside every unit left out.

A residential layer from elsewhere (OpenStreetMap, a compound file, a land-use survey) does not
follow the 街道 boundaries: a parcel may cross one, or lie outside the district altogether. The
indicator is summed per 街道, so :func:`split_by_units` cuts each parcel at the unit boundaries
(one piece per unit it overlaps; a parcel cut in two gets the ids ``<id>@<code>``) and says
which parcels lie outside every unit. A population is shared among a parcel's pieces by area.

All geometry in one projected metric CRS (metres, m²).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.indicator_geom import _polygonal

__all__ = ["UnitSplit", "split_by_units"]


@dataclass
class UnitSplit:
    """What :func:`split_by_units` returns.

    Attributes
    ----------
    pieces : GeoDataFrame
        One row per (parcel, unit) piece, the parcel's columns kept, ``subdistrict_code`` set,
        the id column suffixed ``@<code>`` where a parcel was cut, ``population`` shared by area.
    outside : ndarray of int
        Row positions of the parcels that overlap no unit (left out).
    split : ndarray of int
        Row positions of the parcels cut into more than one piece.
    row : ndarray of int
        The row position in ``parcels`` of each piece.
    """

    pieces: gpd.GeoDataFrame
    outside: np.ndarray
    split: np.ndarray
    row: np.ndarray


def split_by_units(
    parcels: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    code_col: str = "code",
    id_col: str = "parcel_id",
    min_area_m2: float = 0.01,
) -> UnitSplit:
    """Cut ``parcels`` at the boundaries of ``units``; pieces under ``min_area_m2`` are dropped.

    Parameters
    ----------
    parcels : GeoDataFrame
        Residential polygons in a projected metric CRS; ``id_col`` is their id.
    units : GeoDataFrame
        The 街道 (or any units) in the same CRS, with ``code_col``.
    code_col, id_col : str
        Column of the unit codes, column of the parcel ids.
    min_area_m2 : float, default 0.01
        Slivers of the intersection smaller than this (m²) are not pieces.

    Returns
    -------
    UnitSplit

    Examples
    --------
    >>> from shapely import box
    >>> units = gpd.GeoDataFrame({"code": ["a", "b"]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs="EPSG:32650")
    >>> parcels = gpd.GeoDataFrame({"parcel_id": ["p", "q", "r"], "population": [100.0, 5.0, 1.0]},
    ...     geometry=[box(50, 0, 150, 10), box(10, 10, 20, 20), box(500, 0, 510, 10)],
    ...     crs="EPSG:32650")
    >>> out = split_by_units(parcels, units)
    >>> out.pieces[["parcel_id", "subdistrict_code", "population"]].values.tolist()
    [['p@a', 'a', 50.0], ['p@b', 'b', 50.0], ['q', 'a', 5.0]]
    >>> out.outside.tolist(), out.split.tolist()
    ([2], [0])
    """
    if code_col not in units.columns:
        raise ValueError(f"units: no column {code_col!r} (code_col)")
    if id_col not in parcels.columns:
        raise ValueError(f"parcels: no column {id_col!r} (id_col)")
    if parcels.crs is not None and units.crs is not None and not parcels.crs.equals(units.crs):
        raise ValueError(f"parcels ({parcels.crs}) and units ({units.crs}) are in different CRSs")
    pg = np.asarray(parcels.geometry.values, dtype=object)
    ug = np.asarray(units.geometry.values, dtype=object)
    left, right = shapely.STRtree(ug).query(pg, predicate="intersects")
    pieces = _polygonal(shapely.intersection(pg[left], ug[right]))
    ok = ~shapely.is_empty(pieces) & (shapely.area(pieces) > min_area_m2)
    left, right, pieces = left[ok], right[ok], pieces[ok]
    counts = np.bincount(left, minlength=len(pg))
    codes = units[code_col].astype(str).to_numpy(dtype=object)
    ids = parcels[id_col].astype(str).to_numpy(dtype=object)
    out = pd.DataFrame(parcels.drop(columns=parcels.geometry.name).iloc[left]).reset_index(
        drop=True
    )
    cut = counts[left] > 1
    out[id_col] = np.where(cut, ids[left] + "@" + codes[right], ids[left])
    out["subdistrict_code"] = codes[right]
    if "population" in out.columns:
        # areal weighting: a parcel's residents shared among its pieces by area
        share = (
            shapely.area(pieces)
            / np.bincount(left, weights=shapely.area(pieces), minlength=len(pg))[left]
        )
        out["population"] = pd.to_numeric(out["population"], errors="coerce").to_numpy() * share
    return UnitSplit(
        pieces=gpd.GeoDataFrame(out, geometry=pieces, crs=parcels.crs),
        outside=np.flatnonzero(counts == 0),
        split=np.flatnonzero(counts > 1),
        row=left,
    )
