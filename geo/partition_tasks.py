"""The dask task functions of :func:`geo.partitioned.partitioned_coverage`.

Module-level, so distributed workers unpickle them by reference: :func:`_partition_task` computes
one residential partition (any error is caught and returned with the partition's cities), and
:func:`_split_halo`, :func:`_getitem` and :func:`_concat_halo` build the halo of each partition
from a dask parks frame inside the graph (:func:`_take_rows` picks broadcast parks by position).
Boxes are ``(minx, miny, maxx, maxy)`` in metres of the projected CRS.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.partition_checks import FloatArray, _check_residential_frame, _park_reach
from geo.partition_index import _bounds_frame, halo_index
from geo.partition_sums import _empty_sums, _frame_sums

_BOX_TOL = 1e-6  # metres: slack when checking that a partition lies in its recorded box


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
