"""Synthetic cities for tests and benchmarks of the coverage engine.

Everything here is made up by a seeded random generator: no number, location or boundary in a
:class:`SyntheticCity` describes a real place. The layers mimic the shapes of the real ones
(residential parcels, parks, historic blocks, subdistricts) so that :mod:`geo.coverage` can be
tested and timed at any size. Codes are visibly fake (``990000001`` — province code 99 does not
exist — and ``SYN-...``), ``source`` is ``"synthetic"``.

The city
    A street grid: column widths and row heights are drawn from 30–150 m, streets 10–30 m wide,
    so each cell is one block/parcel. Parcel corners are jittered inwards by up to 4 m (convex
    quadrilaterals that never overlap or touch). The grid is about square, with
    ``n_parcels / 0.72`` cells (dense: ``/ 0.6``), so the city grows with ``n_parcels``
    (10 000 parcels ≈ 14 km across, 1 000 000 ≈ 130–150 km). Coordinates are metres in
    ``crs`` (default ``EPSG:4548``), the grid's south-west corner at (400 000, 4 300 000), an
    arbitrary point.

Parks
    Convex 12-gons (aspect 1–2, random orientation) of 0.5–20 ha, log-uniform. Cells touching a
    park are not residential; of the remaining cells ``n_parcels`` are picked at random (the
    rest is non-residential land). ``radius_m`` is 500 for every park.

Regimes
    ``"sparse"``: parks placed uniformly at random, by default as many as make about 50 % of
    residential land lie within 500 m of a park. ``"dense"``: parks on a jittered 600 m square
    lattice covering the whole city (by default one per lattice point), so at least 95 % of
    residential land is covered. Given an explicit ``n_parks`` the placement rule stays the same
    but the coverage target is no longer guaranteed.

The family
    This module assembles the city (:func:`synthetic_city`, :func:`synthetic_cities`); the parts
    live in :mod:`geo.synthetic_common` (constants, sizes, checks), :mod:`geo.synthetic_grid`
    (streets, parcels), :mod:`geo.synthetic_parks` and :mod:`geo.synthetic_areas` (subdistricts,
    historic blocks). Import from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.synthetic_areas import _historic_blocks, _subdistrict_partition, _subdistricts_frame
from geo.synthetic_common import RADIUS_M, Regime, _check_city_args, _grid_shape, default_n_parks
from geo.synthetic_grid import _place_parcels, _residential_frame, _street_grid
from geo.synthetic_parks import _park_centres, _park_shapes, _parks_frame

__all__ = ["RADIUS_M", "SyntheticCity", "default_n_parks", "synthetic_cities", "synthetic_city"]


@dataclass(frozen=True)
class SyntheticCity:
    """A made-up city (all layers in ``crs``, metres).

    Attributes
    ----------
    residential : GeoDataFrame
        ``parcel_id`` (str), ``subdistrict_code`` (str), ``population`` (int), ``source``,
        ``geometry_quality``; Polygon. Non-overlapping.
    parks : GeoDataFrame
        ``park_id``, ``name_en``, ``kind`` (``pocket`` < 1 ha, ``community`` < 10 ha,
        ``comprehensive``), ``area_m2``, ``radius_m``, ``status``, ``source``,
        ``geometry_quality``; Polygon (or Point for the ``point_parks`` share).
    historic_blocks : GeoDataFrame
        ``block_id``, ``name_en``, ``area_m2``, ``source``, ``geometry_quality``; Polygon.
    subdistricts : GeoDataFrame
        ``code``, ``name_zh``, ``name_en``, ``source``, ``geometry_quality``; Polygon
        (a partition of the city's bounding box).
    regime : str
        ``"sparse"`` or ``"dense"``.
    seed : int
        Seed of the random generator.
    """

    residential: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame
    historic_blocks: gpd.GeoDataFrame
    subdistricts: gpd.GeoDataFrame
    regime: str
    seed: int


def synthetic_city(
    n_parcels: int,
    n_parks: int | None = None,
    *,
    regime: Regime = "sparse",
    n_historic: int = 3,
    seed: int = 0,
    crs: str = "EPSG:4548",
    point_parks: float = 0.0,
) -> SyntheticCity:
    """Generate a made-up city of ``n_parcels`` residential parcels (see module notes).

    Parameters
    ----------
    n_parcels : int
        Number of residential parcels (>= 1).
    n_parks : int, optional
        Number of parks (>= 0). ``None``: :func:`default_n_parks` for the regime.
    regime : {"sparse", "dense"}
        Park placement: uniform random (about 50 % covered at 500 m with the default count)
        or a jittered 600 m lattice (>= 95 % covered with the default count).
    n_historic : int
        Number of historic blocks (20–100 ha rectangles).
    seed : int
        Random seed; the same arguments give the same city.
    crs : str
        A projected CRS in metres to label the layers with.
    point_parks : float
        Share (0..1) of parks given as their centre point instead of a polygon.

    Returns
    -------
    SyntheticCity
        The layers, all in ``crs``.

    Raises
    ------
    ValueError
        On a bad count, regime or share, or if the parks leave too little land for
        ``n_parcels`` parcels.

    Examples
    --------
    >>> city = synthetic_city(500, regime="dense", seed=1)
    >>> len(city.residential), city.residential.crs.to_epsg()
    (500, 4548)
    >>> bool((city.parks["radius_m"] == 500).all())
    True
    """
    _check_city_args(n_parcels, n_parks, regime, n_historic, point_parks)
    # every draw comes from one generator, in a fixed order (grid, parks, parcels, point parks,
    # historic blocks): reordering these calls changes every city
    rng = np.random.default_rng(seed)
    nx, ny = _grid_shape(n_parcels, regime)
    grid = _street_grid(rng, nx, ny)
    n_p = default_n_parks(n_parcels, regime) if n_parks is None else int(n_parks)
    px, py = _park_centres(rng, regime, n_p, grid)
    park_polys = _park_shapes(rng, px, py)
    parcels = _place_parcels(rng, grid, park_polys, n_parcels, n_p)
    partition = _subdistrict_partition(grid, nx, ny)
    residential = _residential_frame(parcels, partition.code_at(parcels.cx, parcels.cy), crs)
    parks = _parks_frame(rng, park_polys, px, py, point_parks, crs)
    historic = _historic_blocks(rng, grid, n_historic, crs)
    return SyntheticCity(
        residential=residential,
        parks=parks,
        historic_blocks=historic,
        subdistricts=_subdistricts_frame(partition, crs),
        regime=regime,
        seed=seed,
    )


def _shifted(
    gdf: gpd.GeoDataFrame, off: NDArray[np.float64], code: str, key: str
) -> gpd.GeoDataFrame:
    """``gdf`` moved by ``off`` (m), with a leading ``city_code`` and ``key`` prefixed by it."""
    out = gdf.copy()
    g = np.asarray(gdf.geometry.values, dtype=object)
    out[gdf.geometry.name] = gpd.GeoSeries(
        shapely.transform(g, lambda c: c + off), index=gdf.index, crs=gdf.crs
    )
    out.insert(0, "city_code", code)
    out[key] = code + "-" + out[key].astype(str)
    return out


def synthetic_cities(
    n_cities: int,
    n_parcels: int,
    *,
    regime: Literal["sparse", "dense"] = "sparse",
    gap_m: float = 200.0,
    n_historic: int = 3,
    seed: int = 0,
    crs: str = "EPSG:4548",
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Made-up cities side by side, as input for :func:`partitioned_coverage`.

    ``n_cities`` cities of :func:`geo.synthetic.synthetic_city` (seeds ``seed``,
    ``seed + 1``, ...) are laid out on a near-square grid of cells, ``gap_m`` metres apart
    (less than the 500 m radius by default, so parks of one city reach into the next and
    ``match_city`` matters). Nothing here describes a real place.

    Parameters
    ----------
    n_cities : int
        Number of cities (>= 1).
    n_parcels : int
        Residential parcels per city (>= 1).
    regime : {"sparse", "dense"}
        Park placement of :func:`geo.synthetic.synthetic_city`.
    gap_m : float
        Distance (m) between neighbouring cities' bounding boxes.
    n_historic : int
        Historic blocks per city.
    seed : int
        Seed of the first city.
    crs : str
        Projected CRS in metres to label the layers with.

    Returns
    -------
    (residential, parks, historic_blocks) : tuple of GeoDataFrame
        ``residential`` has ``city_code`` (``SYN-C000``, ...), ``unit_code`` (the synthetic
        subdistrict code), ``parcel_id`` (unique), ``population``; ``parks`` has ``city_code``,
        ``park_id`` (unique), ``radius_m`` (500), ``area_m2``, ``kind``; ``historic_blocks`` has
        ``city_code``, ``block_id``.

    Raises
    ------
    ValueError
        On a bad ``n_cities`` or ``gap_m`` (others as :func:`geo.synthetic.synthetic_city`).

    Examples
    --------
    >>> res, parks, blocks = synthetic_cities(2, 50, seed=3)
    >>> sorted(res["city_code"].unique()), res["parcel_id"].is_unique
    (['SYN-C000', 'SYN-C001'], True)
    """
    if isinstance(n_cities, bool) or not isinstance(n_cities, int) or n_cities < 1:
        raise ValueError(f"n_cities must be a positive integer, got {n_cities!r}")
    if not (math.isfinite(gap_m) and gap_m >= 0):
        raise ValueError(f"gap_m must be a finite number >= 0 metres, got {gap_m!r}")
    cols = max(1, math.ceil(math.sqrt(n_cities)))
    cities = [
        synthetic_city(n_parcels, regime=regime, n_historic=n_historic, seed=seed + k, crs=crs)
        for k in range(n_cities)
    ]
    # cell size: the largest city extent, so cities never overlap
    ext = np.array([c.subdistricts.total_bounds for c in cities])
    cell_w = float((ext[:, 2] - ext[:, 0]).max()) + gap_m
    cell_h = float((ext[:, 3] - ext[:, 1]).max()) + gap_m
    res: list[gpd.GeoDataFrame] = []
    parks: list[gpd.GeoDataFrame] = []
    blocks: list[gpd.GeoDataFrame] = []
    for k, city in enumerate(cities):
        code = f"SYN-C{k:03d}"
        off = np.array([(k % cols) * cell_w, (k // cols) * cell_h])
        r = _shifted(city.residential, off, code, "parcel_id")
        r["unit_code"] = r["subdistrict_code"]
        res.append(r)
        parks.append(_shifted(city.parks, off, code, "park_id"))
        blocks.append(_shifted(city.historic_blocks, off, code, "block_id"))

    def cat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)

    return cat(res), cat(parks), cat(blocks)
