"""Area layers of a synthetic city: the subdistrict partition and the historic blocks.

Part of the :mod:`geo.synthetic` family. Subdistricts are a 5 x 3 (or smaller, for a narrow
grid) partition of the city's bounding box, coded ``990000001`` … (province code 99 does not
exist). Historic blocks are 20–100 ha rectangles (aspect 1–2) inside the city. Coordinates are
metres in the city's projected CRS.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from geo.synthetic_common import _frame
from geo.synthetic_grid import _Grid


@dataclass(frozen=True)
class _Partition:
    """Subdistricts: ``sx`` x ``sy`` boxes between the ``edges_x``/``edges_y`` lines (m)."""

    codes: NDArray[np.str_]
    geometry: NDArray[np.object_]
    edges_x: NDArray[np.float64]
    edges_y: NDArray[np.float64]
    sx: int
    sy: int

    def code_at(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.str_]:
        """Code of the subdistrict holding each point (points on the outer edge: the last box)."""
        col = np.clip(np.searchsorted(self.edges_x, x, side="right") - 1, 0, self.sx - 1)
        row = np.clip(np.searchsorted(self.edges_y, y, side="right") - 1, 0, self.sy - 1)
        return self.codes[col * self.sy + row]


def _subdistrict_partition(grid: _Grid, nx: int, ny: int) -> _Partition:
    """Split the grid's bounding box into at most 5 columns x 3 rows (no more than the grid's)."""
    sx = min(5, nx)
    sy = min(3, ny)
    sub_x = np.linspace(grid.xmin, grid.xmax, sx + 1)
    sub_y = np.linspace(grid.ymin, grid.ymax, sy + 1)
    si2, sj2 = np.meshgrid(np.arange(sx), np.arange(sy), indexing="ij")
    si, sj = si2.ravel(), sj2.ravel()
    codes = np.array([f"990000{k + 1:03d}" for k in range(len(si))])
    geometry = shapely.box(sub_x[si], sub_y[sj], sub_x[si + 1], sub_y[sj + 1])
    return _Partition(codes, geometry, sub_x, sub_y, sx, sy)


def _subdistricts_frame(partition: _Partition, crs: str) -> gpd.GeoDataFrame:
    """The subdistricts layer: ``code``, ``name_zh``, ``name_en``; Polygon."""
    n = len(partition.codes)
    return _frame(
        {
            "code": partition.codes.astype(object),
            "name_zh": [f"合成街道{k + 1}" for k in range(n)],
            "name_en": [f"Synthetic subdistrict {k + 1}" for k in range(n)],
        },
        partition.geometry,
        crs,
    )


def _historic_blocks(
    rng: np.random.Generator, grid: _Grid, n_historic: int, crs: str
) -> gpd.GeoDataFrame:
    """``n_historic`` random 20–100 ha rectangles inside the city (no larger than it)."""
    width, height = grid.width, grid.height
    h_area = rng.uniform(20e4, 100e4, n_historic)
    h_aspect = rng.uniform(1.0, 2.0, n_historic)
    hw = np.minimum(np.sqrt(h_area * h_aspect), width)
    hh = np.minimum(h_area / hw, height)
    hx = grid.xmin + rng.uniform(0.0, 1.0, n_historic) * np.maximum(width - hw, 0.0)
    hy = grid.ymin + rng.uniform(0.0, 1.0, n_historic) * np.maximum(height - hh, 0.0)
    h_geom = shapely.box(hx, hy, hx + hw, hy + hh)
    return _frame(
        {
            "block_id": [f"SYN-H{k}" for k in range(n_historic)],
            "name_en": [f"Synthetic historic block {k}" for k in range(n_historic)],
            "area_m2": np.asarray(shapely.area(h_geom), dtype=np.float64),
        },
        h_geom,
        crs,
    )
