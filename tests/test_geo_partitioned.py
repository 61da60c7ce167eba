"""Partitioned (dask-geopandas) coverage equals the single-process engine per city and sub-unit."""

from __future__ import annotations

import time
from typing import Any

import dask
import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString, Point, box

import geo.partitioned as gp
from geo.coverage import coverage, covered_area
from geo.partitioned import (
    PartitionError,
    city_table,
    halo_index,
    partition_boxes,
    partitioned_coverage,
    reference_coverage,
    spatial_partition,
)
from geo.synthetic import synthetic_cities

# dask's parquet reader calls a pandas API that pandas 3.1 deprecates; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in GeoDataFrame.reset_index")

RTOL = 1e-9
CRS = "EPSG:4548"


@pytest.fixture(scope="module")
def region() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    # three small cities 200 m apart: parks of one city reach into the next
    return synthetic_cities(3, 700, seed=11, gap_m=200.0)


@pytest.fixture(autouse=True)
def _sync() -> Any:
    with dask.config.set(scheduler="synchronous"):
        yield


# ---- independent single-process reference (geo.coverage only, no geo.partitioned code) -------


def _engine_units(
    res: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    *,
    match_city: bool = True,
    blocks: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    rows = []
    for city, r in res.groupby("city_code", sort=True):
        p = parks[parks["city_code"] == city] if match_city else parks
        geom = r.geometry
        if blocks is not None:
            geom = gpd.GeoSeries(
                shapely.difference(np.asarray(geom.values), blocks.union_all()),
                index=r.index,
                crs=r.crs,
            )
        cov = covered_area(geom, p.geometry, p["radius_m"].to_numpy())
        frame = pd.DataFrame(
            {"unit_code": r["unit_code"].to_numpy(), "area": geom.area.to_numpy(), "cov": cov}
        )
        for unit, f in frame.groupby("unit_code", sort=True):
            rows.append((city, unit, len(f), f["area"].sum(), f["cov"].sum()))
    return pd.DataFrame(
        rows, columns=["city_code", "unit_code", "n_parcels", "residential_m2", "covered_m2"]
    )


def _close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=RTOL, atol=0)


# ---- equality with the single-process engine -------------------------------------------------


@pytest.mark.parametrize(("how", "npartitions"), [("hilbert", 11), ("city", 7)])
def test_units_and_cities_equal_single_process(
    region: tuple[gpd.GeoDataFrame, ...], how: str, npartitions: int
) -> None:
    res, parks, _ = region
    ref = _engine_units(res, parks)
    got = partitioned_coverage(res, parks, npartitions=npartitions, partition_by=how)  # type: ignore[arg-type]
    assert list(got[["city_code", "unit_code"]].itertuples(index=False)) == list(
        ref[["city_code", "unit_code"]].itertuples(index=False)
    )
    assert (got["n_parcels"].to_numpy() == ref["n_parcels"].to_numpy()).all()
    _close(got["residential_m2"], ref["residential_m2"])
    _close(got["covered_m2"], ref["covered_m2"])
    _close(got["rate_pct"], 100 * ref["covered_m2"] / ref["residential_m2"])
    # per city against geo.coverage.coverage (the engine's headline number)
    cities = city_table(got)
    assert len(cities) == 3
    for row in cities.itertuples():
        r = res[res["city_code"] == row.city_code]
        p = parks[parks["city_code"] == row.city_code]
        c = coverage(r.geometry, p.geometry, p["radius_m"].to_numpy())
        _close([row.covered_m2, row.residential_m2], [c.covered_m2, c.total_m2])
        _close([row.rate_pct], [c.rate_pct])


def test_partition_edges_cut_through_service_areas(region: tuple[gpd.GeoDataFrame, ...]) -> None:
    """Small partitions: some parks serve parcels of several partitions (the halo matters)."""
    res, parks, _ = region
    ddf = spatial_partition(res, 11)
    parts = [p for p in ddf.to_delayed()]
    sa = shapely.buffer(np.asarray(parks.geometry.values), parks["radius_m"].to_numpy())
    served_parts = np.zeros(len(parks), dtype=int)
    for d in parts:
        part = d.compute()
        hit = shapely.STRtree(np.asarray(part.geometry.values)).query(sa, predicate="intersects")
        served_parts[np.unique(hit[0])] += 1
    assert (served_parts >= 2).sum() > 10
    # every such park is in the halo of every partition it serves
    halos = halo_index(partition_boxes(ddf), parks, parks["radius_m"].to_numpy())
    in_halos = np.zeros(len(parks), dtype=int)
    for h in halos:
        in_halos[h] += 1
    assert (in_halos >= served_parts).all()


def test_without_halo_results_differ(
    region: tuple[gpd.GeoDataFrame, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: with parks assigned only to the partition holding their centre, totals change."""
    res, parks, _ = region
    ref = reference_coverage(res, parks)

    def centre_only(boxes: np.ndarray, p: gpd.GeoDataFrame, reach: np.ndarray) -> list:
        return halo_index(boxes, p, np.zeros(len(p)))

    monkeypatch.setattr(gp, "halo_index", centre_only)
    got = partitioned_coverage(res, parks, npartitions=11)
    assert not np.allclose(got["covered_m2"], ref["covered_m2"], rtol=RTOL)


def test_match_city_false_equals_one_metropolitan_run(
    region: tuple[gpd.GeoDataFrame, ...],
) -> None:
    res, parks, _ = region
    cov = covered_area(res.geometry, parks.geometry, parks["radius_m"].to_numpy())
    per_city = pd.Series(cov).groupby(res["city_code"].to_numpy()).sum()
    got = city_table(partitioned_coverage(res, parks, npartitions=9, match_city=False))
    _close(got["covered_m2"], per_city.sort_index().to_numpy())
    # cities 200 m apart: parks of neighbours add coverage, so the two modes differ
    matched = city_table(partitioned_coverage(res, parks, npartitions=9))
    assert (got["covered_m2"].to_numpy() > matched["covered_m2"].to_numpy()).any()


def test_non_historic_variant(region: tuple[gpd.GeoDataFrame, ...]) -> None:
    res, parks, blocks = region
    ref = _engine_units(res, parks, blocks=blocks)
    got = partitioned_coverage(res, parks, historic_blocks=blocks, npartitions=10)
    _close(got["non_historic_residential_m2"], ref["residential_m2"])
    _close(got["non_historic_covered_m2"], ref["covered_m2"])
    assert (got["non_historic_residential_m2"] < got["residential_m2"]).any()
    ok = got["non_historic_residential_m2"] > 0
    _close(
        got.loc[ok, "non_historic_rate_pct"],
        100 * ref.loc[ok, "covered_m2"] / ref.loc[ok, "residential_m2"],
    )


def test_arc_error_bound_matches_engine(region: tuple[gpd.GeoDataFrame, ...]) -> None:
    res, parks, _ = region
    cities = city_table(partitioned_coverage(res, parks, npartitions=8, arc_error=True))
    for row in cities.itertuples():
        r = res[res["city_code"] == row.city_code]
        p = parks[parks["city_code"] == row.city_code]
        c = coverage(r.geometry, p.geometry, p["radius_m"].to_numpy())
        bound = float(row.arc_error_bound_pp)  # type: ignore[arg-type]
        assert bound > 0
        assert bound == pytest.approx(c.arc_error_bound_pp, rel=1e-6)


def test_large_parks_as_dask_frame(region: tuple[gpd.GeoDataFrame, ...]) -> None:
    res, parks, _ = region
    ref = _engine_units(res, parks)
    # parks in random order, 4 partitions: each park partition spans the whole region
    shuffled = parks.sample(frac=1.0, random_state=0).reset_index(drop=True)
    pdd = dask_geopandas.from_geopandas(shuffled, npartitions=4)
    got = partitioned_coverage(res, pdd, npartitions=9)
    _close(got["covered_m2"], ref["covered_m2"])
    # spatially partitioned parks too (fewer halo edges)
    got2 = partitioned_coverage(res, spatial_partition(parks, 5), npartitions=6)
    _close(got2["covered_m2"], ref["covered_m2"])


def test_dask_residential_without_spatial_metadata(region: tuple[gpd.GeoDataFrame, ...]) -> None:
    res, parks, _ = region
    ref = _engine_units(res, parks)
    shuffled = res.sample(frac=1.0, random_state=1).reset_index(drop=True)
    rdd = dask_geopandas.from_geopandas(shuffled, npartitions=5)
    assert rdd.spatial_partitions is None
    got = partitioned_coverage(rdd, parks)
    _close(got["covered_m2"], ref["covered_m2"])
    _close(got["residential_m2"], ref["residential_m2"])


def test_single_by_column_and_empty_parks(region: tuple[gpd.GeoDataFrame, ...]) -> None:
    res, parks, _ = region
    got = partitioned_coverage(res, parks.iloc[:0], by="city_code", npartitions=4)
    assert list(got.columns[:2]) == ["city_code", "n_parcels"]
    assert (got["covered_m2"] == 0).all()
    assert (got["rate_pct"] == 0).all()


# ---- failures are named, never hangs ---------------------------------------------------------


def test_failed_partition_is_named(region: tuple[gpd.GeoDataFrame, ...]) -> None:
    res, parks, _ = region
    bad = spatial_partition(res, 6).compute()
    bad_row = int(np.flatnonzero(bad["city_code"] == "SYN-C002")[-1])
    geoms = np.asarray(bad.geometry.values).copy()
    x0, y0, _, _ = geoms[bad_row].bounds
    geoms[bad_row] = LineString([(x0, y0), (x0 + 1, y0 + 1)])
    bad = bad.set_geometry(gpd.GeoSeries(geoms, index=bad.index, crs=CRS))
    rdd = dask_geopandas.from_geopandas(bad, npartitions=6, sort=True)
    expected = int(np.searchsorted(np.asarray(rdd.divisions[1:-1]), bad_row, side="right"))
    with pytest.raises(PartitionError) as err:
        partitioned_coverage(rdd, parks)
    msg = str(err.value)
    assert "1 of 6 partition(s) failed" in msg
    assert "SYN-C002" in msg
    assert "non-polygonal" in msg
    assert err.value.failures[0].partition == expected
    assert f"residential partition {expected} of 6" in msg
    assert bad.loc[bad_row, "parcel_id"] in msg


def test_stale_partition_boxes_fail_loudly(region: tuple[gpd.GeoDataFrame, ...]) -> None:
    res, parks, _ = region
    rdd = spatial_partition(res, 4)
    sp = rdd.spatial_partitions
    rdd.spatial_partitions = gpd.GeoSeries([box(0, 0, 1, 1), *list(sp.iloc[1:])], crs=sp.crs)
    with pytest.raises(PartitionError, match=r"partition 0 of 4.*stale"):
        partitioned_coverage(rdd, parks)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda r, p: (r.drop(columns="unit_code"), p), "residential: missing column.*unit_code"),
        (lambda r, p: (r, p.drop(columns="city_code")), "parks: missing column.*city_code"),
        (lambda r, p: (r.to_crs(4326), p), "residential is in .*not projected"),
        (lambda r, p: (r, p.set_crs(32650, allow_override=True)), "CRS mismatch"),
        (
            lambda r, p: (r, p.assign(radius_m=np.where(p.index == 3, -1.0, 500.0))),
            "radius_m.*park_id \\['SYN-C000-SYN-P3'\\]",
        ),
        (
            lambda r, p: (r.assign(city_code=np.where(r.index == 0, None, r["city_code"])), p),
            "column 'city_code' is missing for 1 parcel",
        ),
    ],
)
def test_bad_input_is_named(region: tuple[gpd.GeoDataFrame, ...], mutate: Any, match: str) -> None:
    res, parks, _ = region
    r, p = mutate(res, parks)
    with pytest.raises(ValueError, match=match):
        partitioned_coverage(r, p, npartitions=2)


def test_bad_parameters() -> None:
    g = gpd.GeoDataFrame(
        {"city_code": ["A"], "unit_code": ["u"]}, geometry=[box(0, 0, 1, 1)], crs=CRS
    )
    p = gpd.GeoDataFrame({"city_code": ["A"], "radius_m": [5.0]}, geometry=[Point(0, 0)], crs=CRS)
    with pytest.raises(ValueError, match="npartitions"):
        partitioned_coverage(g, p, npartitions=0)
    with pytest.raises(ValueError, match="quad_segs"):
        partitioned_coverage(g, p, quad_segs=0)
    with pytest.raises(ValueError, match="by must be"):
        partitioned_coverage(g, p, by=())
    with pytest.raises(ValueError, match="timeout"):
        partitioned_coverage(g, p, timeout=0)


# ---- a real (in-process) distributed cluster ----------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Any:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    cl = distributed.Client(cluster)
    yield cl
    cl.close()
    cluster.close()


def test_distributed_equals_reference_with_progress(
    region: tuple[gpd.GeoDataFrame, ...], client: Any
) -> None:
    res, parks, blocks = region
    ref = reference_coverage(res, parks, historic_blocks=blocks)
    seen: list[tuple[int, int]] = []
    got = partitioned_coverage(
        res,
        parks,
        historic_blocks=blocks,
        npartitions=8,
        client=client,
        progress=lambda done, total, label: seen.append((done, total)),
        timeout=120,
    )
    for col in ("residential_m2", "covered_m2", "non_historic_covered_m2"):
        _close(got[col], ref[col])
    assert seen[-1] == (8, 8) and len(seen) == 8


def test_distributed_failure_and_timeout(
    region: tuple[gpd.GeoDataFrame, ...], client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    res, parks, _ = region
    rdd = spatial_partition(res, 3)
    sp = rdd.spatial_partitions
    rdd.spatial_partitions = gpd.GeoSeries([*list(sp.iloc[:2]), box(0, 0, 1, 1)], crs=sp.crs)
    with pytest.raises(PartitionError, match=r"partition 2 of 3 \(cities: SYN-C"):
        partitioned_coverage(rdd, parks, client=client, timeout=120)

    real = gp._partition_task

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(gp, "_partition_task", slow)
    with pytest.raises(TimeoutError, match=r"not finished after 0\.2 s: partition"):
        partitioned_coverage(res, parks, npartitions=2, client=client, timeout=0.2)
    time.sleep(1.6)  # let the cancelled sleepers end before the cluster closes


# ---- GeoParquet datasets and the CLI glue (layers.geoparquet) -----------------------------------


def test_geoparquet_round_trip_run_dask_coverage(
    region: tuple[gpd.GeoDataFrame, ...], client: Any, tmp_path: Any
) -> None:
    from layers.geoparquet import read_dataset, run_dask_coverage, write_dataset
    from layers.geoparquet import write_residential_dataset as write_res

    res, parks, blocks = region
    ref = reference_coverage(res, parks, historic_blocks=blocks)
    rp = write_res(res, tmp_path / "res", npartitions=7)
    pp = write_dataset(parks, tmp_path / "parks", npartitions=3)
    hp = write_dataset(blocks, tmp_path / "hist", npartitions=1)
    rdd = read_dataset(rp, required=("city_code", "unit_code"))
    assert rdd.npartitions == 7 and rdd.spatial_partitions is not None
    for broadcast in (True, False):
        got = run_dask_coverage(
            rp, pp, historic_path=hp, client=client, broadcast_parks=broadcast, progress=False
        )
        for col in ("n_parcels", "residential_m2", "covered_m2", "non_historic_covered_m2"):
            _close(got[col], ref[col])


def test_geoparquet_errors_name_file_and_field(
    region: tuple[gpd.GeoDataFrame, ...], tmp_path: Any
) -> None:
    from layers.errors import LayerError
    from layers.geoparquet import read_dataset, run_dask_coverage, write_dataset

    res, parks, _ = region
    with pytest.raises(LayerError, match=r"nowhere.*residential dataset not found"):
        read_dataset(tmp_path / "nowhere", name="residential")
    pp = write_dataset(parks.drop(columns="radius_m"), tmp_path / "parks", npartitions=1)
    rp = write_dataset(res, tmp_path / "res", npartitions=2)
    with pytest.raises(LayerError, match=r"parks.*field 'radius_m': parks: missing column"):
        run_dask_coverage(rp, pp, client=object())


def test_geoparquet_stored_in_wgs84_reprojected_on_read(
    region: tuple[gpd.GeoDataFrame, ...], client: Any, tmp_path: Any
) -> None:
    from layers.geoparquet import run_dask_coverage, write_dataset

    res, parks, _ = region
    ref = reference_coverage(res, parks)
    rp = write_dataset(res.to_crs(4326), tmp_path / "res", npartitions=5)
    pp = write_dataset(parks.to_crs(4326), tmp_path / "parks", npartitions=1)
    with pytest.raises(ValueError, match=r"residential is in .*not projected"):
        run_dask_coverage(rp, pp, client=client, progress=False)
    got = run_dask_coverage(rp, pp, client=client, progress=False, metric_crs=CRS)
    # a round trip through lon/lat moves vertices by ~1e-9 m: compare to 1e-6
    np.testing.assert_allclose(got["covered_m2"], ref["covered_m2"], rtol=1e-6)


def test_partition_whose_file_vanished_is_named(
    region: tuple[gpd.GeoDataFrame, ...], client: Any, tmp_path: Any
) -> None:
    from layers.geoparquet import read_dataset, write_dataset

    res, parks, _ = region
    rp = write_dataset(res, tmp_path / "res", npartitions=4)
    rdd = read_dataset(rp, required=("city_code", "unit_code"))
    (rp / "part.2.parquet").unlink()  # the task itself fails, outside the partition's own guard
    with pytest.raises(PartitionError) as err:
        partitioned_coverage(rdd, parks, client=client, timeout=120)
    assert [f.partition for f in err.value.failures] == [2]
    assert "residential partition 2 of 4 (cities: unknown" in str(err.value)
