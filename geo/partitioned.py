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

Module family
    :mod:`geo.partition_checks` (input checks, :class:`PartitionError`), :mod:`geo.partition_sums`
    (per-frame sums, :func:`reference_coverage`, :func:`city_table`), :mod:`geo.partition_index`
    (:func:`spatial_partition`, :func:`partition_boxes`, :func:`halo_index`),
    :mod:`geo.partition_tasks` (the dask task functions) and this module (the graph, the task
    runner, :func:`partitioned_coverage`); every public name is importable from here.
"""

from __future__ import annotations

import math
import sys
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Literal

import dask
import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.coverage import DEFAULT_QUAD_SEGS, outer_radius_factor
from geo.partition_checks import (
    FloatArray,
    PartitionError,
    PartitionFailure,
    _block_geoms,
    _check_by,
    _check_quad_segs,
    _check_residential_frame,
    _park_reach,
    _validate_inputs,
)
from geo.partition_index import _reach_bounds_frame, halo_index, partition_boxes, spatial_partition
from geo.partition_sums import RESULT_COLUMNS, _empty_sums, _finish, city_table, reference_coverage
from geo.partition_tasks import (
    _concat_halo,
    _getitem,
    _Outcome,
    _partition_task,
    _split_halo,
    _take_rows,
)

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

ProgressCallback = Callable[[int, int, str], None]


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
    boxes: FloatArray = partition_boxes(rdd)
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
