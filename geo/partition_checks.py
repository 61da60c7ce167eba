"""Input checks of the partitioned coverage engine, and its partition errors.

Shared by :func:`geo.partitioned.partitioned_coverage` and
:func:`geo.partition_sums.reference_coverage`: the ``by`` columns, ``quad_segs``, a projected CRS
in metres (the same for every input), residential parcel geometries and group keys, and park
radii (metres, finite, ``>= 0``) with the halo reach they imply (grown to the certified outer
radius with ``arc_error``). :class:`PartitionFailure` and :class:`PartitionError` name the
partitions that failed by number, city codes and bounding box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from geo.arccert import park_certificates
from geo.coverage import outer_radius_factor

__all__ = ["PartitionError", "PartitionFailure"]

FloatArray = NDArray[np.float64]

_POLYGONAL = (3, 6)  # shapely type ids: Polygon, MultiPolygon
_POINTS = (0, 4)  # shapely type ids: Point, MultiPoint

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
