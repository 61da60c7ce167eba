"""Park service-area coverage for many cities at once, partitioned with dask-geopandas.

The indicator is the one of :mod:`geo.coverage`: the residential area (m²) inside the union of
the parks' service areas (``shapely.buffer(park, radius_m, quad_segs=quad_segs)``), summed per
city and per sub-unit (街道 / district), over the residential area. Everything is in one
projected metric CRS (metres, m²); the caller reprojects first.

Partitioning and the halo
    Residential parcels are cut into spatially compact partitions (Hilbert order of the parcel
    bounds' midpoints, :func:`spatial_partition`; or by city, then Hilbert order). Every
    partition is computed independently with :func:`geo.coverage.covered_area`. It receives a
    *halo* of parks: every park whose service-area envelope (park bounds grown by its radius)
    intersects the partition's bounding box (:func:`halo_index`, one :class:`shapely.STRtree`
    query). A park whose service area touches any parcel of the partition is always in its
    halo, so parks that straddle partition edges are seen by every partition they reach and the
    result is exact: each parcel's covered area depends only on the service areas that meet it.
    Partition sums are added per ``by`` group at the end; they equal the single-process run
    (:func:`reference_coverage`) up to floating-point summation order (~1e-15 relative).

Parks small or large
    Parks given as a GeoDataFrame are broadcast: the halo of each partition is selected on the
    client and shipped with its task. Parks given as a dask GeoDataFrame are never collected:
    each park partition is split into per-residential-partition halo pieces by a task of its
    own, and each residential partition concatenates the pieces it needs (only pairs whose
    bounding boxes meet get an edge in the graph).

Cities
    ``by[0]`` is the city column. With ``match_city=True`` (default) a parcel is served only by
    parks of its own city (``parks[by[0]]``), exactly as a single-process run per city; with
    ``match_city=False`` parks serve parcels of every city (one metropolitan area).

Non-historic variant
    With ``historic_blocks`` the residential land outside every historic block is reported as
    well (the ``non_historic_*`` columns), as in :mod:`geo.indicator`. Blocks apply
    geographically, whatever city they belong to.

Demand polygons must not overlap (run :func:`geo.coverage.normalise_demand` per city before
partitioning; :func:`layers.geoparquet.write_residential_dataset` does): overlaps across
partition edges could not be resolved locally.
"""

from __future__ import annotations

import math
import sys
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import dask
import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from geo.arccert import park_certificates
from geo.coverage import DEFAULT_QUAD_SEGS, covered_area, outer_radius_factor

__all__ = [
    "RESULT_COLUMNS",
    "PartitionError",
    "PartitionFailure",
    "city_table",
    "halo_index",
    "partition_boxes",
    "partitioned_coverage",
    "reference_coverage",
    "spatial_partition",
]

FloatArray = NDArray[np.float64]
ProgressCallback = Callable[[int, int, str], None]

#: Value columns of :func:`partitioned_coverage` (after the ``by`` columns), in order. The
#: ``non_historic_*`` columns appear only with ``historic_blocks``, ``covered_outer_m2`` and
#: ``arc_error_bound_pp`` only with ``arc_error=True``.
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
_POLYGONAL = (3, 6)
_POINTS = (0, 4)
_BOX_TOL = 1e-6  # metres: slack when checking that a partition lies in its recorded box


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartitionFailure:
    """One residential partition that could not be computed.

    Attributes
    ----------
    partition : int
        0-based partition number.
    npartitions : int
        Number of partitions of the run.
    cities : tuple of str
        City codes of the partition's parcels (empty when unknown, e.g. the task never ran).
    message : str
        The error, ``"ExceptionType: text"``.
    bounds : tuple of float
        The partition's bounding box ``(minx, miny, maxx, maxy)`` in metres (NaN if unknown).
    """

    partition: int
    npartitions: int
    cities: tuple[str, ...]
    message: str
    bounds: tuple[float, float, float, float] = (math.nan,) * 4

    def __str__(self) -> str:
        cities = ", ".join(self.cities) if self.cities else "unknown"
        box = ", ".join(f"{v:.1f}" for v in self.bounds)
        return (
            f"residential partition {self.partition} of {self.npartitions} "
            f"(cities: {cities}; bounds: {box}): {self.message}"
        )


@dataclass
class PartitionError(RuntimeError):
    """Raised when one or more partitions failed; lists each by number and city codes.

    Examples
    --------
    >>> f = PartitionFailure(3, 8, ("110102",), "ValueError: bad radius", (0.0, 0.0, 1.0, 1.0))
    >>> print(PartitionError([f]))
    1 of 8 partition(s) failed:
      residential partition 3 of 8 (cities: 110102; bounds: 0.0, 0.0, 1.0, 1.0): ValueError: bad radius
    """

    failures: list[PartitionFailure] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        n = self.failures[0].npartitions if self.failures else 0
        lines = [f"{len(self.failures)} of {n} partition(s) failed:"]
        lines += [f"  {f}" for f in self.failures[:20]]
        if len(self.failures) > 20:
            lines.append(f"  ... and {len(self.failures) - 20} more")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _check_metric_crs(crs: Any, name: str) -> pyproj.CRS:
    if crs is None:
        raise ValueError(f"{name} has no CRS; set a projected CRS in metres first")
    c = pyproj.CRS.from_user_input(crs)
    if not c.is_projected:
        raise ValueError(
            f"{name} is in {c.to_string()} (not projected); reproject to a metric CRS first"
        )
    units = {(ax.unit_name or "").lower() for ax in c.axis_info}
    if not units or not units <= {"metre", "meter", "m"}:
        raise ValueError(f"{name} CRS {c.to_string()} is not in metres (axis units {units})")
    return c


def _check_by(by: Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(by, str):
        by = (by,)
    out = tuple(by)
    if not out or not all(isinstance(b, str) and b for b in out):
        raise ValueError(f"by must be one or more column names (city first), got {by!r}")
    if len(set(out)) != len(out):
        raise ValueError(f"by has repeated columns: {out!r}")
    return out


def _check_quad_segs(quad_segs: object) -> int:
    if isinstance(quad_segs, bool) or not isinstance(quad_segs, int | np.integer) or quad_segs < 1:
        raise ValueError(f"quad_segs must be a positive integer, got {quad_segs!r}")
    return int(quad_segs)


def _need_columns(columns: Sequence[Any], need: Sequence[str], name: str) -> None:
    missing = [c for c in need if c not in columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; has {list(columns)}")


def _row_ids(df: pd.DataFrame, mask: NDArray[np.bool_], id_col: str) -> list[str]:
    if id_col in df.columns:
        return [str(v) for v in df[id_col].to_numpy()[mask][:5]]
    return [str(v) for v in df.index.to_numpy()[mask][:5]]


def _check_residential_frame(df: gpd.GeoDataFrame, by: tuple[str, ...], name: str) -> None:
    _need_columns(df.columns, by, name)
    g = np.asarray(df.geometry.values, dtype=object)
    missing = shapely.is_missing(g)
    if missing.any():
        raise ValueError(
            f"{name}: {int(missing.sum())} parcel(s) without geometry, e.g. "
            f"{_row_ids(df, missing, 'parcel_id')}"
        )
    tid = shapely.get_type_id(g)
    bad = ~np.isin(tid, _POLYGONAL) & ~shapely.is_empty(g)
    if bad.any():
        raise ValueError(
            f"{name}: parcels must be Polygon/MultiPolygon; non-polygonal: "
            f"{_row_ids(df, bad, 'parcel_id')}"
        )
    for col in by:
        na = df[col].isna().to_numpy()
        if na.any():
            raise ValueError(
                f"{name}: column {col!r} is missing for {int(na.sum())} parcel(s), e.g. "
                f"{_row_ids(df, na, 'parcel_id')}"
            )


def _park_reach(
    parks: gpd.GeoDataFrame,
    radius_col: str,
    quad_segs: int,
    arc_error: bool,
    name: str = "parks",
) -> FloatArray:
    """Validated radii (m), grown by the outer bracketing factor when ``arc_error``."""
    _need_columns(parks.columns, [radius_col], name)
    r = pd.to_numeric(parks[radius_col], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(r) | (r < 0)
    if bad.any():
        raise ValueError(
            f"{name}: column {radius_col!r} must be a finite number >= 0 metres; bad in "
            f"{int(bad.sum())} row(s), e.g. park_id {_row_ids(parks, bad, 'park_id')}"
        )
    g = np.asarray(parks.geometry.values, dtype=object)
    missing = shapely.is_missing(g)
    if missing.any():
        raise ValueError(
            f"{name}: {int(missing.sum())} park(s) without geometry, e.g. park_id "
            f"{_row_ids(parks, missing, 'park_id')}"
        )
    if arc_error:
        # halo reach: at least the certified outer radius used by _frame_sums (normally smaller)
        cert = _certified_outer(g, r, quad_segs)
        return np.maximum(r * _outer_factor(g, quad_segs), cert)
    return r


def _certified_outer(g: NDArray[np.object_], r: FloatArray, quad_segs: int) -> FloatArray:
    """Outer radii proved to contain the true buffers, as geo.coverage.coverage uses."""
    if len(g) == 0:
        return r
    sa = np.asarray(shapely.buffer(g, r, quad_segs=quad_segs), dtype=object)
    return park_certificates(g, r, sa, quad_segs, np.zeros(len(g), dtype=bool))[0]


def _outer_factor(g: NDArray[np.object_], quad_segs: int) -> FloatArray:
    points = np.isin(shapely.get_type_id(g), _POINTS)
    return np.where(
        points,
        outer_radius_factor(quad_segs),
        outer_radius_factor(quad_segs, corners=True),
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

    The baseline :func:`partitioned_coverage` must reproduce; same parameters and columns.

    Parameters
    ----------
    residential : GeoDataFrame
        Non-overlapping residential polygons with the ``by`` columns, projected CRS in metres.
    parks : GeoDataFrame
        Parks (polygons or points) with ``radius_col`` (and ``by[0]`` when ``match_city``).
    by, radius_col, historic_blocks, match_city, quad_segs, arc_error
        As for :func:`partitioned_coverage`.

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
    """Per-city totals of a :func:`partitioned_coverage` (or :func:`reference_coverage`) table.

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


# --------------------------------------------------------------------------------------------
# partitioning and halos
# --------------------------------------------------------------------------------------------


def _hilbert(gdf: gpd.GeoDataFrame) -> NDArray[np.int64]:
    """Hilbert distance (level 16, dask-geopandas) of each row; empty geometries get 0."""
    g = np.asarray(gdf.geometry.values, dtype=object)
    ok = ~shapely.is_empty(g)
    out = np.zeros(len(g), dtype=np.int64)
    if ok.any():
        sub = gpd.GeoDataFrame(geometry=gpd.GeoSeries(g[ok], crs=gdf.crs))
        dist = dask_geopandas.from_geopandas(sub, npartitions=1).hilbert_distance()
        out[ok] = np.asarray(dist.compute(scheduler="synchronous"), dtype=np.int64)
    return out


def _boxes_of_chunks(g: NDArray[np.object_], starts: NDArray[np.intp]) -> FloatArray:
    """Bounding box of each run ``g[starts[i]:starts[i+1]]`` (NaN for all-empty runs)."""
    b = shapely.bounds(g)
    n = len(starts) - 1
    out = np.full((n, 4), np.nan)
    for i in range(n):  # one vectorised reduction per partition
        chunk = b[starts[i] : starts[i + 1]]
        if len(chunk) and not np.isnan(chunk).all():
            out[i] = (
                np.nanmin(chunk[:, 0]),
                np.nanmin(chunk[:, 1]),
                np.nanmax(chunk[:, 2]),
                np.nanmax(chunk[:, 3]),
            )
    return out


def spatial_partition(
    gdf: gpd.GeoDataFrame,
    npartitions: int,
    *,
    how: Literal["hilbert", "city"] = "hilbert",
    city_col: str = "city_code",
) -> dask_geopandas.GeoDataFrame:
    """Sort rows spatially and cut them into ``npartitions`` partitions of equal row count.

    ``how="hilbert"``: by the Hilbert distance of each geometry's bounds midpoint (level 16,
    as :meth:`dask_geopandas.GeoDataFrame.hilbert_distance`). ``how="city"``: by ``city_col``
    first, then Hilbert distance, so partitions follow city boundaries where cities are large
    enough. The result carries ``spatial_partitions`` (each partition's bounding box).

    Parameters
    ----------
    gdf : GeoDataFrame
        Rows to partition (any CRS).
    npartitions : int
        Number of partitions (>= 1; fewer if ``gdf`` has fewer rows).
    how : {"hilbert", "city"}
        Sort order.
    city_col : str
        City column for ``how="city"``.

    Returns
    -------
    dask_geopandas.GeoDataFrame
        The sorted rows (new RangeIndex) with ``spatial_partitions`` set.

    Raises
    ------
    ValueError
        On a bad ``npartitions`` or ``how``, or a missing ``city_col``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> g = gpd.GeoDataFrame(geometry=[box(i, 0, i + 1, 1) for i in (5, 0, 9, 1)],
    ...                      crs="EPSG:4548")
    >>> d = spatial_partition(g, 2)
    >>> d.npartitions, d.spatial_partitions.total_bounds.tolist()
    (2, [0.0, 0.0, 10.0, 1.0])
    """
    if isinstance(npartitions, bool) or not isinstance(npartitions, int) or npartitions < 1:
        raise ValueError(f"npartitions must be a positive integer, got {npartitions!r}")
    if how not in ("hilbert", "city"):
        raise ValueError(f"how must be 'hilbert' or 'city', got {how!r}")
    h = _hilbert(gdf)
    if how == "city":
        _need_columns(list(gdf.columns), [city_col], "residential")
        keys = pd.factorize(gdf[city_col].astype(str), sort=True)[0]
        order = np.lexsort((np.arange(len(gdf)), h, keys))
    else:
        order = np.lexsort((np.arange(len(gdf)), h))
    srt = gdf.iloc[order].reset_index(drop=True)
    n = max(1, min(npartitions, len(srt)))
    ddf = dask_geopandas.from_geopandas(srt, npartitions=n, sort=True)
    divisions = np.asarray(ddf.divisions, dtype=np.int64)
    starts = divisions.copy()
    starts[-1] = len(srt)
    boxes = _boxes_of_chunks(np.asarray(srt.geometry.values, dtype=object), starts)
    ddf.spatial_partitions = gpd.GeoSeries(
        shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]), crs=gdf.crs
    )
    return ddf


def _bounds_frame(df: gpd.GeoDataFrame) -> pd.DataFrame:
    b = shapely.bounds(np.asarray(df.geometry.values, dtype=object))
    if len(b) == 0 or np.isnan(b).all():
        vals = [np.nan] * 4
    else:
        vals = [
            np.nanmin(b[:, 0]),
            np.nanmin(b[:, 1]),
            np.nanmax(b[:, 2]),
            np.nanmax(b[:, 3]),
        ]
    return pd.DataFrame([vals], columns=["minx", "miny", "maxx", "maxy"])


def partition_boxes(ddf: dask_geopandas.GeoDataFrame) -> FloatArray:
    """Bounding box ``(minx, miny, maxx, maxy)`` of each partition, shape ``(npartitions, 4)``.

    Taken from ``ddf.spatial_partitions`` when set (e.g. by :func:`spatial_partition`, or by
    :func:`dask_geopandas.read_parquet` from the GeoParquet ``bbox`` metadata); otherwise one
    pass over the data computes them. Empty partitions get NaN. Partition tasks check that
    their data lies inside the recorded box, so stale metadata fails loudly.

    Parameters
    ----------
    ddf : dask_geopandas.GeoDataFrame
        Partitioned geometries.

    Returns
    -------
    numpy.ndarray
        ``float64`` array of shape ``(npartitions, 4)``, metres in ``ddf``'s CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(5, 5, 6, 6)], crs="EPSG:4548")
    >>> partition_boxes(spatial_partition(g, 2)).tolist()
    [[0.0, 0.0, 1.0, 1.0], [5.0, 5.0, 6.0, 6.0]]
    """
    sp = ddf.spatial_partitions
    if sp is not None and len(sp) == ddf.npartitions:
        b = np.asarray(shapely.bounds(np.asarray(sp.values, dtype=object)), dtype=np.float64)
        return b.reshape(-1, 4)
    meta = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in ("minx", "miny", "maxx", "maxy")})
    frame = ddf.map_partitions(_bounds_frame, meta=meta).compute()
    return np.asarray(frame.to_numpy(dtype=np.float64)).reshape(-1, 4)


def _reach_bounds_frame(df: gpd.GeoDataFrame, radius_col: str, factor: float) -> pd.DataFrame:
    """Bounds of one park partition grown by each park's (clipped, finite) radius."""
    r = pd.to_numeric(df[radius_col], errors="coerce").to_numpy(dtype=np.float64)
    r = np.where(np.isfinite(r) & (r > 0), r, 0.0) * factor
    b = np.asarray(shapely.bounds(np.asarray(df.geometry.values, dtype=object))).reshape(-1, 4)
    b = b.copy()
    b[:, :2] -= r[:, None]
    b[:, 2:] += r[:, None]
    g = gpd.GeoDataFrame(geometry=shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3]))
    return _bounds_frame(g)


def _reach_boxes(parks: gpd.GeoDataFrame, reach: FloatArray) -> FloatArray:
    b = np.asarray(shapely.bounds(np.asarray(parks.geometry.values, dtype=object)))
    b = b.reshape(-1, 4).copy()
    b[:, :2] -= reach[:, None]
    b[:, 2:] += reach[:, None]
    return b


def halo_index(
    boxes: FloatArray,
    parks: gpd.GeoDataFrame,
    reach: FloatArray,
) -> list[NDArray[np.intp]]:
    """Positions of the parks in each partition's halo.

    Park ``j`` is in the halo of partition ``i`` when the park's bounds grown by ``reach[j]``
    (its service radius, or more) intersect box ``i``; the buffer of a park at radius ``r`` lies
    inside that grown envelope, so no park whose service area meets a parcel of the partition
    is missed. One :class:`shapely.STRtree` query for all partitions.

    Parameters
    ----------
    boxes : numpy.ndarray
        ``(n, 4)`` partition bounding boxes (NaN rows: empty partitions, empty halo).
    parks : GeoDataFrame
        Parks, in the partitions' CRS.
    reach : numpy.ndarray
        Per-park reach (m), ``>= 0``.

    Returns
    -------
    list of numpy.ndarray
        For each partition, sorted positions into ``parks``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> parks = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(2000, 0)], crs="EPSG:4548")
    >>> boxes = np.array([[600.0, 0.0, 700.0, 10.0], [1450.0, 0.0, 1460.0, 1.0]])
    >>> [h.tolist() for h in halo_index(boxes, parks, np.array([500.0, 600.0]))]
    [[], [1]]
    """
    n = len(boxes)
    out: list[NDArray[np.intp]] = [np.zeros(0, dtype=np.intp) for _ in range(n)]
    if len(parks) == 0 or n == 0:
        return out
    env = _reach_boxes(parks, reach)
    ok = ~np.isnan(env).any(axis=1)  # empty park geometries serve nothing
    tree = shapely.STRtree(shapely.box(env[ok, 0], env[ok, 1], env[ok, 2], env[ok, 3]))
    valid = ~np.isnan(boxes).any(axis=1)
    qboxes = shapely.box(boxes[valid, 0], boxes[valid, 1], boxes[valid, 2], boxes[valid, 3])
    q_idx, t_idx = tree.query(qboxes, predicate="intersects")
    park_pos = np.flatnonzero(ok)[t_idx]
    part_pos = np.flatnonzero(valid)[q_idx]
    order = np.lexsort((park_pos, part_pos))
    part_pos, park_pos = part_pos[order], park_pos[order]
    cuts = np.searchsorted(part_pos, np.arange(n + 1))
    for i in range(n):
        out[i] = park_pos[cuts[i] : cuts[i + 1]].astype(np.intp)
    return out


def _block_geoms(blocks: gpd.GeoDataFrame | None, crs: Any) -> NDArray[np.object_] | None:
    if blocks is None:
        return None
    g = np.asarray(blocks.geometry.values, dtype=object)
    g = g[~(shapely.is_missing(g) | shapely.is_empty(g))]
    return g


def _validate_inputs(
    residential: gpd.GeoDataFrame | dask_geopandas.GeoDataFrame,
    parks: gpd.GeoDataFrame | dask_geopandas.GeoDataFrame,
    by: tuple[str, ...],
    radius_col: str,
    match_city: bool,
    historic_blocks: gpd.GeoDataFrame | None,
) -> None:
    for obj, name in ((residential, "residential"), (parks, "parks")):
        if not isinstance(obj, gpd.GeoDataFrame | dask_geopandas.GeoDataFrame):
            raise ValueError(f"{name}: expected a (dask) GeoDataFrame, got {type(obj).__name__}")
    _need_columns(list(residential.columns), by, "residential")
    _need_columns(list(parks.columns), [radius_col, *([by[0]] if match_city else [])], "parks")
    rc = _check_metric_crs(residential.crs, "residential")
    pc = _check_metric_crs(parks.crs, "parks")
    if not rc.equals(pc):
        raise ValueError(f"CRS mismatch: residential is {rc.to_string()}, parks {pc.to_string()}")
    if historic_blocks is not None:
        if not isinstance(historic_blocks, gpd.GeoDataFrame):
            raise ValueError(
                f"historic_blocks: expected a GeoDataFrame, got {type(historic_blocks).__name__}"
            )
        hc = _check_metric_crs(historic_blocks.crs, "historic_blocks")
        if not rc.equals(hc):
            raise ValueError(
                f"CRS mismatch: residential is {rc.to_string()}, historic_blocks {hc.to_string()}"
            )


# --------------------------------------------------------------------------------------------
# tasks
# --------------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    partition: int
    sums: pd.DataFrame | None
    cities: tuple[str, ...]
    message: str = ""
    trace: str = ""


def _partition_task(
    part: gpd.GeoDataFrame,
    halo: gpd.GeoDataFrame,
    blocks: NDArray[np.object_] | None,
    *,
    partition: int,
    box: tuple[float, float, float, float],
    by: tuple[str, ...],
    radius_col: str,
    match_city: bool,
    quad_segs: int,
    arc_error: bool,
) -> _Outcome:
    """Sums of one residential partition; any exception is caught and returned, named."""
    cities: tuple[str, ...] = ()
    try:
        if by[0] in part.columns:
            cities = tuple(sorted(map(str, pd.unique(part[by[0]].dropna()))))
        if len(part) == 0:
            return _Outcome(partition, _empty_sums(by, blocks is not None, arc_error), cities)
        _check_residential_frame(part, by, "residential")
        actual = _bounds_frame(part).to_numpy()[0]
        if not np.isnan(actual).all() and (
            np.isnan(box).any()
            or actual[0] < box[0] - _BOX_TOL
            or actual[1] < box[1] - _BOX_TOL
            or actual[2] > box[2] + _BOX_TOL
            or actual[3] > box[3] + _BOX_TOL
        ):
            raise ValueError(
                f"partition data bounds {actual.tolist()} exceed the recorded partition box "
                f"{list(box)} (stale spatial_partitions / GeoParquet bbox metadata); the "
                "halo would miss parks"
            )
        if blocks is not None and len(blocks):
            bb = shapely.bounds(blocks)
            near = (
                (bb[:, 2] >= actual[0])
                & (bb[:, 0] <= actual[2])
                & (bb[:, 3] >= actual[1])
                & (bb[:, 1] <= actual[3])
            )
            blocks = blocks[near]
        sums = _frame_sums(
            part,
            halo,
            by=by,
            radius_col=radius_col,
            match_city=match_city,
            quad_segs=quad_segs,
            blocks=blocks,
            arc_error=arc_error,
        )
        return _Outcome(partition, sums, cities)
    except Exception as exc:  # reported by partition number and cities, never swallowed
        return _Outcome(
            partition, None, cities, f"{type(exc).__name__}: {exc}", traceback.format_exc()
        )


def _split_halo(
    parks_part: gpd.GeoDataFrame,
    boxes: FloatArray,
    targets: NDArray[np.intp],
    *,
    radius_col: str,
    quad_segs: int,
    arc_error: bool,
    park_partition: int,
) -> dict[int, gpd.GeoDataFrame]:
    """Split one park partition into the halo pieces of residential partitions ``targets``."""
    try:
        reach = _park_reach(
            parks_part, radius_col, quad_segs, arc_error, name=f"parks partition {park_partition}"
        )
    except ValueError as exc:
        raise ValueError(f"parks partition {park_partition}: {exc}") from exc
    idx = halo_index(boxes[targets], parks_part, reach)
    return {int(t): parks_part.iloc[i] for t, i in zip(targets, idx, strict=True)}


def _concat_halo(pieces: list[gpd.GeoDataFrame], template: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    pieces = [p for p in pieces if len(p)]
    if not pieces:
        return template
    return gpd.GeoDataFrame(pd.concat(pieces), crs=template.crs)


def _take_rows(df: gpd.GeoDataFrame, positions: NDArray[np.intp]) -> gpd.GeoDataFrame:
    return df.iloc[positions]


def _getitem(d: dict[int, gpd.GeoDataFrame], key: int) -> gpd.GeoDataFrame:
    return d[key]


# --------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------


def _print_progress(done: int, total: int, label: str) -> None:
    width = 30
    fill = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * fill}{' ' * (width - fill)}] {done}/{total} {label:<40.40}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _run_tasks(
    tasks: list[Any],
    *,
    client: Any,
    progress: bool | ProgressCallback,
    timeout: float | None,
    labels: list[str],
) -> tuple[list[_Outcome | None], dict[int, str]]:
    """Execute tasks; returns outcomes (None where the task itself errored) and such errors."""
    total = len(tasks)
    callback: ProgressCallback | None
    if callable(progress):
        callback = progress
    elif progress:
        callback = _print_progress
    else:
        callback = None
    outcomes: list[_Outcome | None] = [None] * total
    errors: dict[int, str] = {}
    if client is None:
        if callback is None:
            results = dask.compute(*tasks)
        else:
            from dask.callbacks import Callback

            keys = {t.key: i for i, t in enumerate(tasks)}
            counter = [0]

            def posttask(key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
                if key in keys:
                    counter[0] += 1
                    callback(counter[0], total, labels[keys[key]])

            with Callback(posttask=posttask):
                results = dask.compute(*tasks)
        return list(results), errors

    import distributed

    futures = client.compute(tasks)
    position = {f.key: i for i, f in enumerate(futures)}
    done = 0
    try:
        for fut in distributed.as_completed(futures, timeout=timeout):
            i = position[fut.key]
            done += 1
            if fut.status == "finished":
                outcomes[i] = fut.result()
            else:
                exc = fut.exception()
                errors[i] = f"{type(exc).__name__}: {exc}"
            if callback is not None:
                callback(done, total, labels[i])
    except TimeoutError as exc:
        pending = [i for i, f in enumerate(futures) if not f.done()]
        client.cancel(futures)
        raise TimeoutError(
            f"partitioned coverage: {len(pending)} of {total} partition(s) not finished after "
            f"{timeout} s: " + "; ".join(labels[i] for i in pending[:10])
        ) from exc
    return outcomes, errors


def partitioned_coverage(
    residential: gpd.GeoDataFrame | dask_geopandas.GeoDataFrame,
    parks: gpd.GeoDataFrame | dask_geopandas.GeoDataFrame,
    *,
    by: Sequence[str] | str = ("city_code", "unit_code"),
    radius_col: str = "radius_m",
    historic_blocks: gpd.GeoDataFrame | None = None,
    match_city: bool = True,
    quad_segs: int = DEFAULT_QUAD_SEGS,
    arc_error: bool = False,
    npartitions: int | None = None,
    partition_by: Literal["hilbert", "city"] = "hilbert",
    client: Any = None,
    progress: bool | ProgressCallback = False,
    timeout: float | None = None,
) -> pd.DataFrame:
    """Coverage per city and sub-unit, computed partition by partition with a park halo.

    Exact: equal to :func:`reference_coverage` (one single-process
    :func:`geo.coverage.covered_area` per city) up to summation order; see the module notes for
    the halo. Areas in m² of the (shared) projected CRS.

    Parameters
    ----------
    residential : GeoDataFrame or dask_geopandas.GeoDataFrame
        Non-overlapping residential polygons with the ``by`` columns. A GeoDataFrame is
        partitioned with :func:`spatial_partition`; a dask GeoDataFrame is used as partitioned
        (re-shuffled with ``spatial_shuffle`` only when ``npartitions`` is given and differs).
    parks : GeoDataFrame or dask_geopandas.GeoDataFrame
        Parks (polygons or points) with ``radius_col`` (m) and, with ``match_city``, ``by[0]``.
        A GeoDataFrame is broadcast (halo per partition chosen on the client); a dask one is
        split per park partition inside the graph and never collected.
    by : sequence of str
        Group columns, city first (default ``("city_code", "unit_code")``). Group keys are
        compared and returned as strings.
    radius_col : str
        Service radius column of ``parks`` (metres).
    historic_blocks : GeoDataFrame, optional
        Historic blocks; adds the ``non_historic_*`` columns (land outside every block).
    match_city : bool
        Parcels are served only by parks of their own city (``True``) or by every park.
    quad_segs : int
        Segments per quarter circle of the buffers (default :data:`DEFAULT_QUAD_SEGS`).
    arc_error : bool
        Also compute the outer bracketing buffers (``covered_outer_m2``,
        ``arc_error_bound_pp``: how much the rate could grow with exact circles); doubles the
        cost.
    npartitions : int, optional
        Residential partitions (default: one per 25 000 parcels for a GeoDataFrame, the
        existing ones for a dask GeoDataFrame).
    partition_by : {"hilbert", "city"}
        Sort order used to partition a GeoDataFrame.
    client : distributed.Client, optional
        Run on this cluster (futures, ``timeout`` honoured). ``None``: the current dask
        scheduler (e.g. ``dask.config.set(scheduler="synchronous")``).
    progress : bool or callable
        ``True`` prints a progress bar to stderr; a callable gets
        ``(done, total, partition_label)`` after each partition.
    timeout : float, optional
        Seconds to wait for all partitions (with ``client`` only); on expiry the futures are
        cancelled and :class:`TimeoutError` names the unfinished partitions.

    Returns
    -------
    pandas.DataFrame
        One row per ``by`` group, sorted: ``by`` columns then ``n_parcels``,
        ``residential_m2``, ``covered_m2``, ``rate_pct`` (percent) and, when asked for, the
        ``non_historic_*`` and arc error columns; ``note`` explains undefined (NaN) rates.

    Raises
    ------
    ValueError
        Naming the parameter/column: missing columns, non-metric or mismatched CRS, bad radii
        (with park ids), bad ``by``/``quad_segs``/``npartitions``.
    PartitionError
        When partitions failed, listing each by number, city codes and error.
    TimeoutError
        When ``timeout`` expired.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> res = gpd.GeoDataFrame({"city_code": ["A"] * 4, "unit_code": ["a1", "a1", "a2", "a2"]},
    ...     geometry=[box(x, 0, x + 100, 100) for x in (0, 400, 800, 1200)], crs="EPSG:4548")
    >>> parks = gpd.GeoDataFrame({"city_code": ["A"], "radius_m": [500.0]},
    ...     geometry=[Point(450, 50)], crs="EPSG:4548")
    >>> with dask.config.set(scheduler="synchronous"):
    ...     t = partitioned_coverage(res, parks, npartitions=4)
    >>> t[["unit_code", "n_parcels", "covered_m2", "rate_pct"]]
      unit_code  n_parcels  covered_m2  rate_pct
    0        a1          2     20000.0     100.0
    1        a2          2     10000.0      50.0
    """
    byt = _check_by(by)
    q = _check_quad_segs(quad_segs)
    if npartitions is not None and (
        isinstance(npartitions, bool) or not isinstance(npartitions, int) or npartitions < 1
    ):
        raise ValueError(f"npartitions must be a positive integer or None, got {npartitions!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds or None, got {timeout!r}")
    _validate_inputs(residential, parks, byt, radius_col, match_city, historic_blocks)
    blocks = _block_geoms(historic_blocks, residential.crs)

    # ---- residential partitions -----------------------------------------------------------
    if isinstance(residential, gpd.GeoDataFrame):
        _check_residential_frame(residential, byt, "residential")
        if len(residential) == 0:
            return _finish(_empty_sums(byt, blocks is not None, arc_error), byt)
        n = npartitions or max(1, math.ceil(len(residential) / 25_000))
        rdd = spatial_partition(residential, n, how=partition_by, city_col=byt[0])
    else:
        rdd = residential
        if npartitions is not None and npartitions != rdd.npartitions:
            rdd = rdd.spatial_shuffle(npartitions=npartitions)
    boxes = partition_boxes(rdd)
    nparts = rdd.npartitions
    res_parts = rdd.to_delayed()

    # ---- halos ------------------------------------------------------------------------------
    keep_cols = [c for c in dict.fromkeys([radius_col, byt[0]]) if c in parks.columns]
    halos: list[Any]
    if isinstance(parks, gpd.GeoDataFrame):
        reach = _park_reach(parks, radius_col, q, arc_error)
        slim = parks[[*keep_cols, parks.geometry.name]]
        idx = halo_index(boxes, slim, reach)
        if client is not None:
            # ship the parks to every worker once; tasks carry only their halo's row positions
            [shared] = client.scatter([slim], broadcast=True, hash=False)
            halos = [dask.delayed(_take_rows, pure=True)(shared, i) for i in idx]
        else:
            halos = [slim.iloc[i] for i in idx]
    else:
        pslim = parks[[*keep_cols, parks.geometry.name]]
        template = pslim._meta
        factor = outer_radius_factor(q, corners=True) if arc_error else 1.0
        pboxes_raw = pslim.map_partitions(
            _reach_bounds_frame,
            radius_col,
            factor,
            meta=pd.DataFrame(
                {c: pd.Series(dtype=np.float64) for c in ("minx", "miny", "maxx", "maxy")}
            ),
        ).compute()
        pboxes = pboxes_raw.to_numpy(dtype=np.float64).reshape(-1, 4)
        park_parts = pslim.to_delayed()
        valid = ~np.isnan(boxes).any(axis=1)
        pieces: list[list[Any]] = [[] for _ in range(nparts)]
        for j, pb in enumerate(pboxes):
            if np.isnan(pb).any():
                continue
            meets = (
                valid
                & (boxes[:, 2] >= pb[0])
                & (boxes[:, 0] <= pb[2])
                & (boxes[:, 3] >= pb[1])
                & (boxes[:, 1] <= pb[3])
            )
            targets = np.flatnonzero(meets)
            if len(targets) == 0:
                continue
            split = dask.delayed(_split_halo, pure=True)(
                park_parts[j],
                boxes,
                targets,
                radius_col=radius_col,
                quad_segs=q,
                arc_error=arc_error,
                park_partition=j,
            )
            for t in targets:
                pieces[int(t)].append(dask.delayed(_getitem, pure=True)(split, int(t)))
        halos = [dask.delayed(_concat_halo, pure=True)(pieces[i], template) for i in range(nparts)]

    blocks_arg: Any = blocks
    if client is not None and blocks is not None:
        [blocks_arg] = client.scatter([blocks], broadcast=True, hash=False)

    # ---- tasks ------------------------------------------------------------------------------
    token = uuid.uuid4().hex[:8]
    tasks = []
    labels = []
    for i in range(nparts):
        box = tuple(float(v) for v in boxes[i])
        labels.append(f"partition {i}")
        tasks.append(
            dask.delayed(_partition_task, pure=False)(
                res_parts[i],
                halos[i],
                blocks_arg,
                partition=i,
                box=box,
                by=byt,
                radius_col=radius_col,
                match_city=match_city,
                quad_segs=q,
                arc_error=arc_error,
                dask_key_name=f"greenmap-coverage-{token}-{i}",
            )
        )
    outcomes, task_errors = _run_tasks(
        tasks, client=client, progress=progress, timeout=timeout, labels=labels
    )

    failures: list[PartitionFailure] = []
    details: list[str] = []
    sums: list[pd.DataFrame] = []
    for i, out in enumerate(outcomes):
        box4 = (float(boxes[i, 0]), float(boxes[i, 1]), float(boxes[i, 2]), float(boxes[i, 3]))
        if out is None:
            failures.append(PartitionFailure(i, nparts, (), task_errors.get(i, "no result"), box4))
        elif out.sums is None:
            failures.append(PartitionFailure(i, nparts, out.cities, out.message, box4))
            details.append(out.trace)
        elif len(out.sums):
            sums.append(out.sums)
    if failures:
        raise PartitionError(failures, details)
    if not sums:
        return _finish(_empty_sums(byt, blocks is not None, arc_error), byt)
    total = pd.concat(sums).groupby(level=list(range(len(byt))), sort=True).sum()
    total.index.names = list(byt)
    return _finish(total, byt)


# --------------------------------------------------------------------------------------------
# synthetic input
# --------------------------------------------------------------------------------------------
