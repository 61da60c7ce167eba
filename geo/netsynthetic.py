"""A made-up street grid for tests and benchmarks of the network engine (issue 12).

Nothing here describes a real place: a jittered square grid of street nodes over given bounds,
each street a two-segment LineString through a jittered midpoint (so the geometry is not just the
chord), seeded. Use with :func:`geo.synthetic.synthetic_city` for a whole city.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["street_grid"]


def street_grid(
    bounds: tuple[float, float, float, float],
    n_edges: int,
    *,
    seed: int = 0,
    jitter_m: float = 5.0,
    crs: str = "EPSG:4548",
) -> gpd.GeoDataFrame:
    """About ``n_edges`` streets on a jittered square grid covering ``bounds`` (metres).

    Parameters
    ----------
    bounds : (minx, miny, maxx, maxy)
        Area to cover, metres.
    n_edges : int
        Target number of edges (a k × k grid has 2 k (k − 1)).
    seed : int
    jitter_m : float
        Node and midpoint jitter (m).
    crs : str

    Returns
    -------
    GeoDataFrame
        ``u``, ``v`` (int node ids), ``highway`` (``residential``), LineStrings; ``source`` is
        ``"synthetic"``.

    Examples
    --------
    >>> g = street_grid((0, 0, 1000, 1000), 40)
    >>> len(g), sorted(set(g["highway"]))
    (40, ['residential'])
    """
    k = max(2, round((1 + math.sqrt(1 + 2 * n_edges)) / 2))
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = bounds
    xs = np.linspace(x0, x1, k)
    ys = np.linspace(y0, y1, k)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    xy = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-jitter_m, jitter_m, (k * k, 2))
    ids = np.arange(k * k).reshape(k, k)
    u = np.concatenate([ids[:-1, :].ravel(), ids[:, :-1].ravel()])
    v = np.concatenate([ids[1:, :].ravel(), ids[:, 1:].ravel()])
    mid = (xy[u] + xy[v]) / 2 + rng.uniform(-jitter_m, jitter_m, (len(u), 2))
    coords = np.stack([xy[u], mid, xy[v]], axis=1)
    lines = shapely.linestrings(coords)
    return gpd.GeoDataFrame(
        {"u": u, "v": v, "highway": "residential", "source": "synthetic"},
        geometry=lines,
        crs=crs,
    )
