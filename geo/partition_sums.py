"""Coverage sums of one frame of parcels, and the result tables built from them.

:func:`_frame_sums` is the body of every partition of
:func:`geo.partitioned.partitioned_coverage` and of the single-process :func:`reference_coverage`
(parcels against the parks given, no halo logic). :func:`_finish` turns summed areas (m² of the
projected CRS) into rates (percent) and notes; :func:`city_table` totals a result per city.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.coverage import DEFAULT_QUAD_SEGS, covered_area
from geo.partition_checks import (
    _POLYGONAL,
    FloatArray,
    _block_geoms,
    _certified_outer,
    _check_by,
    _check_quad_segs,
    _check_residential_frame,
    _need_columns,
    _park_reach,
    _validate_inputs,
)

__all__ = ["RESULT_COLUMNS", "city_table", "reference_coverage"]

#: Value columns of :func:`~geo.partitioned.partitioned_coverage` (after the ``by`` columns),
#: in order. The ``non_historic_*`` columns appear only with ``historic_blocks``,
#: ``covered_outer_m2`` and ``arc_error_bound_pp`` only with ``arc_error=True``.
RESULT_COLUMNS: tuple[str, ...] = (
    "n_parcels",
    "residential_m2",
    "covered_m2",
    "rate_pct",
    "non_historic_residential_m2",
    "non_historic_covered_m2",
    "non_historic_rate_pct",
    "covered_outer_m2",
    "arc_error_bound_pp",
    "note",
)

_SUM_COLS = (
    "n_parcels",
    "residential_m2",
    "covered_m2",
    "non_historic_residential_m2",
    "non_historic_covered_m2",
    "covered_outer_m2",
)


# --------------------------------------------------------------------------------------------
# per-frame computation (the body of every partition, and of the single-process reference)
# --------------------------------------------------------------------------------------------


def _polygonal(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
    """Polygonal part of overlay results (lines/points dropped; may be empty)."""
    out = np.asarray(geoms, dtype=object).copy()
    tid = shapely.get_type_id(out)
    other = ~np.isin(tid, _POLYGONAL) & ~shapely.is_empty(out)
    if other.any():
        parts, idx = shapely.get_parts(out[other], return_index=True)
        keep = np.isin(shapely.get_type_id(parts), _POLYGONAL)
        fixed = np.full(int(other.sum()), shapely.Polygon(), dtype=object)
        if keep.any():
            grouped = (
                pd.Series(parts[keep])
                .groupby(idx[keep])
                .agg(lambda s: shapely.union_all(s.to_numpy()))
            )
            fixed[grouped.index.to_numpy()] = grouped.to_numpy()
        out[other] = fixed
    return out


def _covered(
    geoms: NDArray[np.object_],
    cities: NDArray[np.object_],
    parks: gpd.GeoDataFrame,
    radii: FloatArray,
    park_cities: NDArray[np.object_] | None,
    crs: Any,
    quad_segs: int,
) -> FloatArray:
    """Covered area per demand geometry; with ``park_cities`` only same-city parks serve."""
    out = np.zeros(len(geoms))
    if len(geoms) == 0 or len(parks) == 0:
        return out
    pg = parks.geometry
    if park_cities is None:
        return covered_area(gpd.GeoSeries(geoms, crs=crs), pg, radii, quad_segs=quad_segs)
    for city in pd.unique(cities):
        m = cities == city
        pm = park_cities == city
        if pm.any():
            out[m] = covered_area(
                gpd.GeoSeries(geoms[m], crs=crs), pg[pm], radii[pm], quad_segs=quad_segs
            )
    return out


def _frame_sums(
    res: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    *,
    by: tuple[str, ...],
    radius_col: str,
    match_city: bool,
    quad_segs: int,
    blocks: NDArray[np.object_] | None,
    arc_error: bool,
) -> pd.DataFrame:
    """Per-``by`` sums for one frame of parcels against the parks given (no halo logic)."""
    g = np.asarray(res.geometry.values, dtype=object)
    crs = res.crs
    cities = res[by[0]].astype(str).to_numpy(dtype=object)
    radii = _park_reach(parks, radius_col, quad_segs, arc_error=False)
    park_cities = parks[by[0]].astype(str).to_numpy(dtype=object) if match_city else None
    area = np.asarray(shapely.area(g), dtype=np.float64)
    cov = _covered(g, cities, parks, radii, park_cities, crs, quad_segs)
    np.minimum(cov, area, out=cov)
    cols: dict[str, Any] = {
        "n_parcels": np.ones(len(g), dtype=np.int64),
        "residential_m2": area,
        "covered_m2": cov,
    }
    if blocks is not None:
        nh_area = area.copy()
        nh_cov = cov.copy()
        if len(blocks) and len(g):
            tree = shapely.STRtree(blocks)
            hit = np.unique(tree.query(g, predicate="intersects")[0])
            if len(hit):
                cutter = shapely.union_all(blocks)
                pieces = _polygonal(shapely.difference(g[hit], cutter))
                nh_area[hit] = shapely.area(pieces)
                nh_cov[hit] = _covered(
                    pieces, cities[hit], parks, radii, park_cities, crs, quad_segs
                )
                nh_cov[hit] = np.minimum(nh_cov[hit], nh_area[hit])
        cols["non_historic_residential_m2"] = nh_area
        cols["non_historic_covered_m2"] = nh_cov
    if arc_error:
        pgeom = np.asarray(parks.geometry.values, dtype=object)
        r_out = _certified_outer(pgeom, radii, quad_segs)
        cov_out = _covered(g, cities, parks, r_out, park_cities, crs, quad_segs)
        cols["covered_outer_m2"] = np.minimum(np.maximum(cov_out, cov), area)
    frame = pd.DataFrame(cols)
    for col in by:
        frame[col] = res[col].astype(str).to_numpy()
    return frame.groupby(list(by), sort=True).sum()


def _finish(sums: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    """Rates and notes from summed columns (index: ``by``)."""
    out = sums.copy()
    out["n_parcels"] = out["n_parcels"].astype(np.int64)
    notes = pd.Series("", index=out.index, dtype=object)

    def rate(num: pd.Series, den: pd.Series, label: str) -> pd.Series:
        zero = den.to_numpy() <= 0
        if zero.any():
            notes[zero] = notes[zero] + f"{label}: no residential land, rate undefined; "
        return 100.0 * num / den.where(~zero)

    out["rate_pct"] = rate(out["covered_m2"], out["residential_m2"], "all land")
    if "non_historic_residential_m2" in out.columns:
        out["non_historic_rate_pct"] = rate(
            out["non_historic_covered_m2"], out["non_historic_residential_m2"], "non-historic"
        )
    if "covered_outer_m2" in out.columns:
        den = out["residential_m2"].where(out["residential_m2"] > 0)
        out["arc_error_bound_pp"] = 100.0 * (out["covered_outer_m2"] - out["covered_m2"]) / den
    out["note"] = notes.str.rstrip("; ")
    out = out.reset_index()
    return out[[*by, *[c for c in RESULT_COLUMNS if c in out.columns]]]


def _empty_sums(by: tuple[str, ...], historic: bool, arc_error: bool) -> pd.DataFrame:
    cols = ["n_parcels", "residential_m2", "covered_m2"]
    if historic:
        cols += ["non_historic_residential_m2", "non_historic_covered_m2"]
    if arc_error:
        cols.append("covered_outer_m2")
    idx: pd.Index = (
        pd.MultiIndex.from_arrays([[] for _ in by], names=list(by))
        if len(by) > 1
        else pd.Index([], name=by[0], dtype=object)
    )
    return pd.DataFrame({c: pd.Series(dtype=np.float64) for c in cols}, index=idx)


def reference_coverage(
    residential: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    *,
    by: Sequence[str] | str = ("city_code", "unit_code"),
    radius_col: str = "radius_m",
    historic_blocks: gpd.GeoDataFrame | None = None,
    match_city: bool = True,
    quad_segs: int = DEFAULT_QUAD_SEGS,
    arc_error: bool = False,
) -> pd.DataFrame:
    """Single-process run: one :func:`geo.coverage.covered_area` call per city, all in memory.

    The baseline :func:`~geo.partitioned.partitioned_coverage` must reproduce; same parameters
    and columns.

    Parameters
    ----------
    residential : GeoDataFrame
        Non-overlapping residential polygons with the ``by`` columns, projected CRS in metres.
    parks : GeoDataFrame
        Parks (polygons or points) with ``radius_col`` (and ``by[0]`` when ``match_city``).
    by, radius_col, historic_blocks, match_city, quad_segs, arc_error
        As for :func:`~geo.partitioned.partitioned_coverage`.

    Returns
    -------
    pandas.DataFrame
        One row per ``by`` group, columns ``by`` + :data:`RESULT_COLUMNS` present.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> res = gpd.GeoDataFrame({"city_code": ["A", "B"], "unit_code": ["a1", "b1"]},
    ...     geometry=[box(0, 0, 100, 100), box(300, 0, 400, 100)], crs="EPSG:4548")
    >>> parks = gpd.GeoDataFrame({"city_code": ["A"], "radius_m": [500.0]},
    ...     geometry=[Point(50, 50)], crs="EPSG:4548")
    >>> reference_coverage(res, parks)[["city_code", "covered_m2", "rate_pct"]]
      city_code  covered_m2  rate_pct
    0         A     10000.0     100.0
    1         B         0.0       0.0
    """
    byt = _check_by(by)
    q = _check_quad_segs(quad_segs)
    _validate_inputs(residential, parks, byt, radius_col, match_city, historic_blocks)
    _check_residential_frame(residential, byt, "residential")
    blocks = _block_geoms(historic_blocks, residential.crs)
    if len(residential) == 0:
        return _finish(_empty_sums(byt, blocks is not None, arc_error), byt)
    sums = _frame_sums(
        residential,
        parks,
        by=byt,
        radius_col=radius_col,
        match_city=match_city,
        quad_segs=q,
        blocks=blocks,
        arc_error=arc_error,
    )
    return _finish(sums, byt)


def city_table(table: pd.DataFrame, *, city_col: str = "city_code") -> pd.DataFrame:
    """Per-city totals of a :func:`~geo.partitioned.partitioned_coverage` (or
    :func:`reference_coverage`) table.

    Sums the area columns over the sub-units of each city and recomputes the rates.

    Parameters
    ----------
    table : pandas.DataFrame
        A result with ``city_col`` and the summed columns of :data:`RESULT_COLUMNS`.
    city_col : str
        The city column (``by[0]`` of the run).

    Returns
    -------
    pandas.DataFrame
        One row per city, columns ``city_col`` + :data:`RESULT_COLUMNS` present.

    Raises
    ------
    ValueError
        If ``city_col`` or ``residential_m2``/``covered_m2`` are not columns of ``table``.

    Examples
    --------
    >>> t = pd.DataFrame({"city_code": ["A", "A"], "unit_code": ["a1", "a2"], "n_parcels": [1, 3],
    ...     "residential_m2": [100.0, 300.0], "covered_m2": [100.0, 0.0]})
    >>> city_table(t)[["city_code", "n_parcels", "rate_pct"]]
      city_code  n_parcels  rate_pct
    0         A          4      25.0
    """
    _need_columns(
        list(table.columns), [city_col, "n_parcels", "residential_m2", "covered_m2"], "table"
    )
    cols = [c for c in _SUM_COLS if c in table.columns]
    sums = table.groupby(city_col, sort=True)[cols].sum()
    return _finish(sums, (city_col,))
