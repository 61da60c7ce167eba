"""Parks of a synthetic city: where they go, their shapes and their layer.

Part of the :mod:`geo.synthetic` family. Parks are convex 12-gons (aspect 1–2, random
orientation) of 0.5–20 ha, log-uniform, each with a 500 m service radius. ``"sparse"``: centres
uniform at random over the city's bounding box. ``"dense"``: a 600 m square lattice over the
city, jittered by up to 60 m (fewer parks than lattice points: a random subset; more: the rest
uniform at random). Coordinates are metres in the city's projected CRS.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from geo.synthetic_common import _LATTICE_M, _PARK_HA_MAX, _PARK_HA_MIN, RADIUS_M, _frame
from geo.synthetic_grid import _Grid


def _park_centres(
    rng: np.random.Generator, regime: str, n_parks: int, grid: _Grid
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Centres (m) of ``n_parks`` parks placed by the ``regime``'s rule."""
    xmin, ymin, xmax, ymax = grid.xmin, grid.ymin, grid.xmax, grid.ymax
    if regime != "dense":
        return rng.uniform(xmin, xmax, n_parks), rng.uniform(ymin, ymax, n_parks)
    width, height = grid.width, grid.height
    lx = max(1, round(width / _LATTICE_M))
    ly = max(1, round(height / _LATTICE_M))
    gx, gy = np.meshgrid(
        xmin + (np.arange(lx) + 0.5) * width / lx,
        ymin + (np.arange(ly) + 0.5) * height / ly,
        indexing="ij",
    )
    px, py = gx.ravel(), gy.ravel()
    if n_parks < len(px):
        keep = np.sort(rng.choice(len(px), n_parks, replace=False))
        px, py = px[keep], py[keep]
    elif n_parks > len(px):
        extra = n_parks - len(px)
        px = np.concatenate([px, rng.uniform(xmin, xmax, extra)])
        py = np.concatenate([py, rng.uniform(ymin, ymax, extra)])
    px = px + rng.uniform(-0.1, 0.1, len(px)) * _LATTICE_M
    py = py + rng.uniform(-0.1, 0.1, len(py)) * _LATTICE_M
    return px, py


def _park_shapes(
    rng: np.random.Generator, cx: NDArray[np.float64], cy: NDArray[np.float64]
) -> NDArray[np.object_]:
    """Convex 12-gons centred on (``cx``, ``cy``) with log-uniform areas of 0.5–20 ha."""
    n = len(cx)
    k = 12
    area = np.exp(rng.uniform(np.log(_PARK_HA_MIN * 1e4), np.log(_PARK_HA_MAX * 1e4), n))
    aspect = rng.uniform(1.0, 2.0, n)
    theta = rng.uniform(0.0, np.pi, n)
    t = np.linspace(0.0, 2 * np.pi, k, endpoint=False)
    # ellipse with semi-axes a = s * aspect, b = s; the inscribed 12-gon has area
    # k/2 * a * b * sin(2 pi / k), solved for s to hit the drawn area exactly
    s = np.sqrt(area / (0.5 * k * np.sin(2 * np.pi / k) * aspect))
    ex = (s * aspect)[:, None] * np.cos(t)[None, :]
    ey = s[:, None] * np.sin(t)[None, :]
    c, si = np.cos(theta)[:, None], np.sin(theta)[:, None]
    x = cx[:, None] + c * ex - si * ey
    y = cy[:, None] + si * ex + c * ey
    coords = np.stack([x, y], axis=-1)
    coords = np.concatenate([coords, coords[:, :1]], axis=1)
    return np.asarray(shapely.polygons(coords), dtype=object)


def _parks_frame(
    rng: np.random.Generator,
    park_polys: NDArray[np.object_],
    px: NDArray[np.float64],
    py: NDArray[np.float64],
    point_parks: float,
    crs: str,
) -> gpd.GeoDataFrame:
    """The parks layer; a random ``point_parks`` share is given as its centre point.

    ``kind`` is ``pocket`` under 1 ha, ``community`` under 10 ha, else ``comprehensive``;
    ``area_m2`` is the polygon's area (m²) also for point parks.
    """
    park_area = np.asarray(shapely.area(park_polys), dtype=np.float64)
    n = len(park_polys)
    kind = np.where(
        park_area < 1e4, "pocket", np.where(park_area < 1e5, "community", "comprehensive")
    )
    is_point = rng.uniform(0.0, 1.0, n) < point_parks
    park_geom = park_polys.copy()
    if is_point.any():
        park_geom[is_point] = shapely.points(px[is_point], py[is_point])
    return _frame(
        {
            "park_id": [f"SYN-P{k}" for k in range(n)],
            "name_en": [f"Synthetic park {k}" for k in range(n)],
            "kind": kind.astype(object),
            "area_m2": park_area,
            "radius_m": np.full(n, RADIUS_M),
            "status": "existing",
        },
        park_geom,
        crs,
    )
