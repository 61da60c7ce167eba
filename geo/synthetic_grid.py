"""The street grid of a synthetic city and its residential parcels.

Part of the :mod:`geo.synthetic` family (see its notes for the city's shape). Column widths and
row heights are drawn from 30–150 m, streets 10–30 m wide; each grid cell is one block. Blocks
touching a park are not residential; ``n_parcels`` of the rest become parcels, their corners
jittered inwards by up to 4 m (convex quadrilaterals that never overlap or touch). Coordinates
are metres in the city's projected CRS, the grid's south-west corner at
:data:`~geo.synthetic_common._ORIGIN`. Random draws are made in a fixed order: the same seed
gives the same city.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.synthetic_common import (
    _CELL_MAX,
    _CELL_MIN,
    _JITTER,
    _ORIGIN,
    _STREET_MAX,
    _STREET_MIN,
    _frame,
)


@dataclass(frozen=True)
class _Grid:
    """A street grid: block edges (m) per column (``x0``/``x1``) and row (``y0``/``y1``).

    ``ii``/``jj`` are the column/row of every cell, ``cells`` its block rectangle; the bounding
    box (``xmin`` … ``ymax``) includes half a street around the outer blocks.
    """

    x0: NDArray[np.float64]
    x1: NDArray[np.float64]
    y0: NDArray[np.float64]
    y1: NDArray[np.float64]
    ii: NDArray[np.intp]
    jj: NDArray[np.intp]
    cells: NDArray[np.object_]
    xmin: float
    ymin: float
    xmax: float
    ymax: float

    @property
    def width(self) -> float:
        return self.xmax - self.xmin

    @property
    def height(self) -> float:
        return self.ymax - self.ymin


def _edges(rng: np.random.Generator, n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Start and end (m, from the grid's edge) of ``n`` blocks separated by streets."""
    size = rng.uniform(_CELL_MIN, _CELL_MAX, n)
    street = rng.uniform(_STREET_MIN, _STREET_MAX, n)
    start = np.concatenate([[0.0], np.cumsum(size + street)[:-1]]) + street[0] / 2
    return start, start + size


def _street_grid(rng: np.random.Generator, nx: int, ny: int) -> _Grid:
    """Draw an ``nx`` x ``ny`` street grid with its south-west corner at ``_ORIGIN``."""
    x0, x1 = _edges(rng, nx)
    y0, y1 = _edges(rng, ny)
    x0 += _ORIGIN[0]
    x1 += _ORIGIN[0]
    y0 += _ORIGIN[1]
    y1 += _ORIGIN[1]
    ii2, jj2 = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    ii, jj = ii2.ravel(), jj2.ravel()
    return _Grid(
        x0=x0,
        x1=x1,
        y0=y0,
        y1=y1,
        ii=ii,
        jj=jj,
        cells=shapely.box(x0[ii], y0[jj], x1[ii], y1[jj]),
        xmin=_ORIGIN[0],
        ymin=_ORIGIN[1],
        xmax=float(x1[-1]) + _STREET_MIN / 2,
        ymax=float(y1[-1]) + _STREET_MIN / 2,
    )


@dataclass(frozen=True)
class _Parcels:
    """Residential parcels: polygons, synthetic population and block centres (m)."""

    geometry: NDArray[np.object_]
    population: NDArray[np.int64]
    cx: NDArray[np.float64]
    cy: NDArray[np.float64]


def _place_parcels(
    rng: np.random.Generator,
    grid: _Grid,
    park_polys: NDArray[np.object_],
    n_parcels: int,
    n_parks: int,
) -> _Parcels:
    """Pick ``n_parcels`` blocks clear of parks at random and jitter their corners inwards.

    Raises ``ValueError`` when the parks leave fewer free blocks than ``n_parcels``.
    """
    blocked = np.zeros(len(grid.cells), dtype=bool)
    if len(park_polys):
        _, hit = shapely.STRtree(grid.cells).query(park_polys, predicate="intersects")
        blocked[hit] = True
    free = np.flatnonzero(~blocked)
    if len(free) < n_parcels:
        raise ValueError(
            f"n_parks={n_parks} leaves {len(free)} free blocks for n_parcels={n_parcels}; "
            "use fewer parks"
        )
    pick = np.sort(rng.choice(free, n_parcels, replace=False))
    bi, bj = grid.ii[pick], grid.jj[pick]
    jit = rng.uniform(0.0, _JITTER, (n_parcels, 8))
    ax0, ax1, ay0, ay1 = grid.x0[bi], grid.x1[bi], grid.y0[bj], grid.y1[bj]
    corners = np.stack(
        [
            np.stack([ax0 + jit[:, 0], ay0 + jit[:, 1]], axis=-1),
            np.stack([ax1 - jit[:, 2], ay0 + jit[:, 3]], axis=-1),
            np.stack([ax1 - jit[:, 4], ay1 - jit[:, 5]], axis=-1),
            np.stack([ax0 + jit[:, 6], ay1 - jit[:, 7]], axis=-1),
        ],
        axis=1,
    )
    corners = np.concatenate([corners, corners[:, :1]], axis=1)
    parcels = shapely.polygons(corners)
    density = rng.uniform(0.01, 0.05, n_parcels)  # synthetic persons per m² of parcel
    population = np.rint(shapely.area(parcels) * density).astype(np.int64)
    return _Parcels(parcels, population, (ax0 + ax1) / 2, (ay0 + ay1) / 2)


def _residential_frame(
    parcels: _Parcels, subdistrict_code: NDArray[np.str_], crs: str
) -> gpd.GeoDataFrame:
    """The residential layer: ``parcel_id`` ``SYN-R<k>``, subdistrict, population; Polygon."""
    n = len(parcels.geometry)
    return _frame(
        {
            "parcel_id": pd.array([f"SYN-R{k}" for k in range(n)], dtype=object),
            "subdistrict_code": subdistrict_code.astype(object),
            "population": parcels.population,
        },
        parcels.geometry,
        crs,
    )
