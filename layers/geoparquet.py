"""Partitioned GeoParquet datasets for the many-city coverage run, and the dask cluster glue.

A *dataset* is a directory of GeoParquet files (``part.0.parquet``, ...) written by
dask-geopandas, one file per spatial partition, with the GeoParquet ``bbox`` metadata that
:func:`dask_geopandas.read_parquet` turns into ``spatial_partitions`` (used by
:func:`geo.partitioned.partitioned_coverage` to choose each partition's park halo without reading
the data twice).

Residential datasets carry ``city_code`` and ``unit_code`` (sub-unit: 街道 / district) besides
the geometry; park datasets carry ``radius_m`` (metres) and ``city_code``. Both are stored in one
projected metric CRS (the run's metric CRS), or reprojected on read with ``metric_crs``.

The CLI's ``greenmap coverage --engine dask`` calls :func:`run_dask_coverage`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import dask
import dask_geopandas
import geopandas as gpd
import pandas as pd
import pyproj

from geo.coverage import DEFAULT_QUAD_SEGS, normalise_demand
from geo.partitioned import ProgressCallback, partitioned_coverage, spatial_partition
from layers.errors import LayerError, Problem

__all__ = [
    "BROADCAST_PARKS_MAX",
    "dask_client",
    "default_npartitions",
    "read_dataset",
    "run_dask_coverage",
    "write_dataset",
    "write_residential_dataset",
]

#: Park datasets with at most this many rows are read into memory and broadcast to every
#: partition (halo chosen on the client); larger ones stay partitioned (halo built in the graph).
BROADCAST_PARKS_MAX = 200_000


def write_dataset(
    gdf: gpd.GeoDataFrame,
    path: str | Path,
    *,
    npartitions: int,
    partition_by: Literal["hilbert", "city"] = "hilbert",
    city_col: str = "city_code",
) -> Path:
    """Write ``gdf`` as a spatially partitioned GeoParquet dataset (a directory).

    Parameters
    ----------
    gdf : GeoDataFrame
        Rows to write, with a CRS.
    path : str or Path
        Directory to create (existing ``part.*.parquet`` files in it are replaced).
    npartitions : int
        Number of files / partitions.
    partition_by : {"hilbert", "city"}
        Sort order (see :func:`geo.partitioned.spatial_partition`).
    city_col : str
        City column for ``partition_by="city"``.

    Returns
    -------
    Path
        The dataset directory.

    Raises
    ------
    LayerError
        If ``gdf`` has no CRS.

    Examples
    --------
    >>> import tempfile
    >>> from shapely import box
    >>> g = gpd.GeoDataFrame({"city_code": ["A", "B"]}, geometry=[box(0, 0, 1, 1), box(5, 5, 6, 6)],
    ...                      crs="EPSG:4548")
    >>> d = write_dataset(g, Path(tempfile.mkdtemp()) / "res", npartitions=2)
    >>> sorted(p.name for p in d.iterdir())
    ['part.0.parquet', 'part.1.parquet']
    """
    target = Path(path)
    if gdf.crs is None:
        raise LayerError([Problem(str(target), None, "geometry", "no CRS: set one before writing")])
    ddf = spatial_partition(gdf, npartitions, how=partition_by, city_col=city_col)
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("part.*.parquet"):
        old.unlink()
    ddf.to_parquet(str(target), write_index=False)
    return target


def write_residential_dataset(
    residential: gpd.GeoDataFrame,
    path: str | Path,
    *,
    npartitions: int,
    by: Sequence[str] = ("city_code", "unit_code"),
    normalise: bool = True,
    partition_by: Literal["hilbert", "city"] = "hilbert",
) -> Path:
    """Write residential parcels as a partitioned dataset, made disjoint per city first.

    Overlapping parcels cannot be resolved across partition edges, so with ``normalise`` every
    city is passed through :func:`geo.coverage.normalise_demand` (overlaps go to the parcel of
    the smaller ``by[1]`` code, then the earlier row), as the single-process indicator does.

    Parameters
    ----------
    residential : GeoDataFrame
        Parcels with the ``by`` columns, in the run's projected metric CRS.
    path : str or Path
        Dataset directory.
    npartitions : int
        Number of files / partitions.
    by : sequence of str
        City column, then sub-unit column.
    normalise : bool
        Make parcels disjoint per city before writing.
    partition_by : {"hilbert", "city"}
        Sort order of the partitions.

    Returns
    -------
    Path
        The dataset directory.

    Raises
    ------
    LayerError
        Naming the missing column or a parcel (1-based row) with a missing code.
    """
    target = Path(path)
    problems = [Problem(str(target), None, c, "missing column") for c in by if c not in residential]
    if problems:
        raise LayerError(problems)
    for c in by:
        na = residential[c].isna().to_numpy()
        problems += [Problem(str(target), int(i) + 1, c, "missing code") for i in na.nonzero()[0]]
    if problems:
        raise LayerError(problems)
    res = residential
    if normalise:
        unit = by[1] if len(by) > 1 else None
        parts = [
            normalise_demand(g, by=unit)
            for _, g in residential.groupby(by[0], sort=True, group_keys=False)
        ]
        res = gpd.GeoDataFrame(pd.concat(parts), crs=residential.crs)
    return write_dataset(res, target, npartitions=npartitions, partition_by=partition_by)


def read_dataset(
    path: str | Path,
    *,
    required: Sequence[str] = (),
    name: str = "dataset",
    metric_crs: str | None = None,
) -> dask_geopandas.GeoDataFrame:
    """Open a GeoParquet dataset lazily (dask-geopandas), checking columns and CRS.

    Parameters
    ----------
    path : str or Path
        Dataset directory (or one ``.parquet`` file).
    required : sequence of str
        Columns that must be present.
    name : str
        What the dataset is, for messages (``"residential"``, ``"parks"``).
    metric_crs : str, optional
        Reproject (lazily) to this CRS when the stored one differs; the partition boxes are then
        recomputed from the data.

    Returns
    -------
    dask_geopandas.GeoDataFrame
        With ``spatial_partitions`` from the files' bbox metadata where available.

    Raises
    ------
    LayerError
        If the path does not exist, is not GeoParquet, has no CRS or lacks a required column.
    """
    p = Path(path)
    if not p.exists():
        raise LayerError([Problem(str(p), None, None, f"{name} dataset not found")])
    try:
        ddf = dask_geopandas.read_parquet(str(p), gather_spatial_partitions=True)
    except Exception as exc:  # pyarrow / dask raise many kinds
        raise LayerError(
            [Problem(str(p), None, None, f"cannot read {name} as GeoParquet: {exc}")]
        ) from exc
    missing = [c for c in required if c not in ddf.columns]
    if missing:
        raise LayerError([Problem(str(p), None, c, f"{name}: missing column") for c in missing])
    if ddf.crs is None:
        raise LayerError([Problem(str(p), None, "geometry", f"{name}: no CRS in metadata")])
    if metric_crs is not None and not pyproj.CRS.from_user_input(ddf.crs).equals(
        pyproj.CRS.from_user_input(metric_crs)
    ):
        ddf = ddf.to_crs(metric_crs)
        ddf.spatial_partitions = None
    return ddf


@contextlib.contextmanager
def dask_client(
    workers: int = 2,
    scheduler: str | None = None,
    *,
    threads_per_worker: int = 1,
    processes: bool = True,
    memory_limit: str | float = "auto",
    connect_timeout: float = 30.0,
    worker_profile: bool = False,
) -> Iterator[Any]:
    """A ``distributed.Client``: to ``scheduler`` when given, else on a new LocalCluster.

    Parameters
    ----------
    workers : int
        Workers of the local cluster (ignored with ``scheduler``).
    scheduler : str, optional
        Address of a running Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    threads_per_worker : int
        Threads per local worker (1: GEOS work holds the GIL for long stretches).
    processes : bool
        Local workers as processes (default) or threads in this process.
    memory_limit : str or float
        Per local worker, as ``distributed.LocalCluster`` takes it.
    connect_timeout : float
        Seconds to wait for the scheduler.
    worker_profile : bool
        Keep distributed's statistical profiler on in local workers (off by default: it cost
        ~8 % CPU on this workload, measured with ``bench/scale.py``).

    Yields
    ------
    distributed.Client
        Closed (and the local cluster shut down) on exit.

    Raises
    ------
    ValueError
        If ``workers`` is not a positive integer.
    """
    import distributed

    if scheduler is not None:
        client = distributed.Client(scheduler, timeout=connect_timeout)
        try:
            yield client
        finally:
            client.close()
        return
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    with dask.config.set({"distributed.worker.profile.enabled": worker_profile}):
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=threads_per_worker,
            processes=processes,
            memory_limit=memory_limit,
            dashboard_address=None,
        )
    client = distributed.Client(cluster, timeout=connect_timeout)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _count_rows(path: Path) -> int:
    import pyarrow.dataset as pads

    return int(pads.dataset(str(path), format="parquet").count_rows())


def run_dask_coverage(
    residential_path: str | Path,
    parks_path: str | Path,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    historic_path: str | Path | None = None,
    by: Sequence[str] = ("city_code", "unit_code"),
    radius_col: str = "radius_m",
    match_city: bool = True,
    quad_segs: int = DEFAULT_QUAD_SEGS,
    arc_error: bool = False,
    metric_crs: str | None = None,
    broadcast_parks: bool | None = None,
    progress: bool | ProgressCallback = True,
    timeout: float | None = None,
    client: Any = None,
) -> pd.DataFrame:
    """Coverage per city and sub-unit from GeoParquet datasets on a dask cluster.

    What ``greenmap coverage --engine dask`` runs. Reads the datasets lazily, starts a
    LocalCluster of ``workers`` single-threaded worker processes (or connects to
    ``scheduler``; or uses ``client``), runs :func:`geo.partitioned.partitioned_coverage` and
    returns its table (per-city totals: :func:`geo.partitioned.city_table`).

    Parameters
    ----------
    residential_path, parks_path : str or Path
        GeoParquet datasets (directories or single files); see the module notes for columns.
    workers : int
        Local worker processes (ignored with ``scheduler`` or ``client``).
    scheduler : str, optional
        Address of an existing Dask scheduler (``"tcp://host:8786"``).
    historic_path : str or Path, optional
        Historic blocks (GeoParquet); adds the ``non_historic_*`` columns.
    by, radius_col, match_city, quad_segs, arc_error, progress, timeout
        As for :func:`geo.partitioned.partitioned_coverage`.
    metric_crs : str, optional
        Reproject every dataset to this projected CRS first (when stored otherwise).
    broadcast_parks : bool, optional
        Read the parks into memory and broadcast them (``None``: when they have at most
        :data:`BROADCAST_PARKS_MAX` rows, counted from the Parquet metadata).
    client : distributed.Client, optional
        An existing client to use (then no cluster is started).

    Returns
    -------
    pandas.DataFrame
        The table of :func:`geo.partitioned.partitioned_coverage`.

    Raises
    ------
    LayerError
        On a missing/unreadable dataset or a missing column (naming the file and field).
    ValueError, PartitionError, TimeoutError
        As :func:`geo.partitioned.partitioned_coverage`.
    """
    byt = tuple(by)
    res = read_dataset(residential_path, required=byt, name="residential", metric_crs=metric_crs)
    need_parks = [radius_col, *([byt[0]] if match_city else [])]
    parks: Any = read_dataset(parks_path, required=need_parks, name="parks", metric_crs=metric_crs)
    if broadcast_parks is None:
        broadcast_parks = _count_rows(Path(parks_path)) <= BROADCAST_PARKS_MAX
    if broadcast_parks:
        parks = parks.compute()
    blocks = None
    if historic_path is not None:
        blocks = read_dataset(historic_path, name="historic_blocks", metric_crs=metric_crs)
        blocks = blocks.compute()

    def run(cl: Any) -> pd.DataFrame:
        return partitioned_coverage(
            res,
            parks,
            by=byt,
            radius_col=radius_col,
            historic_blocks=blocks,
            match_city=match_city,
            quad_segs=quad_segs,
            arc_error=arc_error,
            client=cl,
            progress=progress,
            timeout=timeout,
        )

    if client is not None:
        return run(client)
    with dask_client(workers, scheduler) as cl:
        return run(cl)


def default_npartitions(n_rows: int, rows_per_partition: int = 25_000) -> int:
    """Number of partitions for ``n_rows`` rows (one per ``rows_per_partition``, at least 1).

    Examples
    --------
    >>> default_npartitions(1_000_000)
    40
    """
    return max(1, math.ceil(n_rows / rows_per_partition))
