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

__all__ = ["RADIUS_M", "SyntheticCity", "default_n_parks", "synthetic_cities", "synthetic_city"]

#: Service radius (m) given to every synthetic park.
RADIUS_M = 500.0
_ORIGIN = (400_000.0, 4_300_000.0)
_CELL_MIN, _CELL_MAX = 30.0, 150.0
_STREET_MIN, _STREET_MAX = 10.0, 30.0
_JITTER = 4.0
# residential parcels per grid cell (dense cities give ~25 % of blocks to parks)
_RES_SHARE = {"sparse": 0.72, "dense": 0.6}
_PARK_HA_MIN, _PARK_HA_MAX = 0.5, 20.0
_LATTICE_M = 600.0
_SPARSE_TARGET = 0.5
# mean pitch of the grid (cell + street), used to size the city before drawing it
_PITCH = (_CELL_MIN + _CELL_MAX) / 2 + (_STREET_MIN + _STREET_MAX) / 2

Regime = Literal["sparse", "dense"]


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


def _grid_shape(n_parcels: int, regime: str) -> tuple[int, int]:
    cells = math.ceil(n_parcels / _RES_SHARE[regime])
    nx = max(1, math.ceil(math.sqrt(cells)))
    ny = max(1, math.ceil(cells / nx))
    return nx, ny


def _mean_park_area() -> float:
    lo, hi = _PARK_HA_MIN * 1e4, _PARK_HA_MAX * 1e4
    return (hi - lo) / math.log(hi / lo)


def default_n_parks(n_parcels: int, regime: Regime) -> int:
    """Number of parks :func:`synthetic_city` uses when ``n_parks`` is ``None``.

    Parameters
    ----------
    n_parcels : int
        Number of residential parcels.
    regime : {"sparse", "dense"}
        Sparse: enough random parks for about 50 % coverage at 500 m. Dense: one per point of
        a 600 m lattice over the city.

    Returns
    -------
    int
        Number of parks (at least 1).

    Examples
    --------
    >>> default_n_parks(10_000, "dense") > default_n_parks(10_000, "sparse") > 0
    True
    """
    _check_regime(regime)
    nx, ny = _grid_shape(n_parcels, regime)
    width, height = nx * _PITCH, ny * _PITCH
    if regime == "dense":
        return max(1, round(width / _LATTICE_M) * round(height / _LATTICE_M))
    # random (Poisson) placement: covered share ≈ 1 - exp(-n * A_buffer / A_city), with
    # A_buffer the mean buffer area inside the city (a disk of radius R centred uniformly in a
    # W x H box keeps pi R² - 4 R³ (W + H) / (3 W H) + R⁴ / (2 W H) on average). Park land is not
    # residential and is always covered, which lowers the residential share: the 1.18 factor
    # (measured on seeds 0-4 at 10k-100k parcels) compensates.
    reach = RADIUS_M + math.sqrt(_mean_park_area() / math.pi)
    a_buf = (
        math.pi * reach**2
        - 4 * reach**3 * (width + height) / (3 * width * height)
        + reach**4 / (2 * width * height)
    )
    n = -math.log(1 - _SPARSE_TARGET) * width * height / max(a_buf, 1.0)
    return max(1, round(1.18 * n))


def _check_regime(regime: str) -> None:
    if regime not in ("sparse", "dense"):
        raise ValueError(f"regime must be 'sparse' or 'dense', got {regime!r}")


def _park_shapes(
    rng: np.random.Generator, cx: NDArray[np.float64], cy: NDArray[np.float64]
) -> NDArray[np.object_]:
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
    _check_regime(regime)
    for name, val in (("n_parcels", n_parcels), ("n_historic", n_historic)):
        if isinstance(val, bool) or not isinstance(val, int | np.integer):
            raise ValueError(f"{name} must be an integer, got {val!r}")
    if n_parcels < 1:
        raise ValueError(f"n_parcels must be >= 1, got {n_parcels}")
    if n_historic < 0:
        raise ValueError(f"n_historic must be >= 0, got {n_historic}")
    if n_parks is not None and (
        isinstance(n_parks, bool) or not isinstance(n_parks, int | np.integer) or n_parks < 0
    ):
        raise ValueError(f"n_parks must be a non-negative integer or None, got {n_parks!r}")
    if not 0.0 <= point_parks <= 1.0:
        raise ValueError(f"point_parks must be in [0, 1], got {point_parks!r}")
    rng = np.random.default_rng(seed)
    nx, ny = _grid_shape(n_parcels, regime)

    # ---- street grid -------------------------------------------------------------------------
    def edges(n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        size = rng.uniform(_CELL_MIN, _CELL_MAX, n)
        street = rng.uniform(_STREET_MIN, _STREET_MAX, n)
        start = np.concatenate([[0.0], np.cumsum(size + street)[:-1]]) + street[0] / 2
        return start, start + size

    x0, x1 = edges(nx)
    y0, y1 = edges(ny)
    x0 += _ORIGIN[0]
    x1 += _ORIGIN[0]
    y0 += _ORIGIN[1]
    y1 += _ORIGIN[1]
    xmin, ymin = _ORIGIN
    xmax = float(x1[-1]) + _STREET_MIN / 2
    ymax = float(y1[-1]) + _STREET_MIN / 2
    width, height = xmax - xmin, ymax - ymin
    ii2, jj2 = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    ii, jj = ii2.ravel(), jj2.ravel()
    cells = shapely.box(x0[ii], y0[jj], x1[ii], y1[jj])

    # ---- parks ---------------------------------------------------------------------------------
    n_default = default_n_parks(n_parcels, regime)
    n_p = n_default if n_parks is None else int(n_parks)
    if regime == "dense":
        lx = max(1, round(width / _LATTICE_M))
        ly = max(1, round(height / _LATTICE_M))
        gx, gy = np.meshgrid(
            xmin + (np.arange(lx) + 0.5) * width / lx,
            ymin + (np.arange(ly) + 0.5) * height / ly,
            indexing="ij",
        )
        px, py = gx.ravel(), gy.ravel()
        if n_p < len(px):
            keep = np.sort(rng.choice(len(px), n_p, replace=False))
            px, py = px[keep], py[keep]
        elif n_p > len(px):
            extra = n_p - len(px)
            px = np.concatenate([px, rng.uniform(xmin, xmax, extra)])
            py = np.concatenate([py, rng.uniform(ymin, ymax, extra)])
        px = px + rng.uniform(-0.1, 0.1, len(px)) * _LATTICE_M
        py = py + rng.uniform(-0.1, 0.1, len(py)) * _LATTICE_M
    else:
        px = rng.uniform(xmin, xmax, n_p)
        py = rng.uniform(ymin, ymax, n_p)
    park_polys = _park_shapes(rng, px, py)
    park_area = np.asarray(shapely.area(park_polys), dtype=np.float64)

    # ---- residential parcels: cells clear of parks, n_parcels of them at random ---------------
    blocked = np.zeros(len(cells), dtype=bool)
    if len(park_polys):
        _, hit = shapely.STRtree(cells).query(park_polys, predicate="intersects")
        blocked[hit] = True
    free = np.flatnonzero(~blocked)
    if len(free) < n_parcels:
        raise ValueError(
            f"n_parks={n_p} leaves {len(free)} free blocks for n_parcels={n_parcels}; "
            "use fewer parks"
        )
    pick = np.sort(rng.choice(free, n_parcels, replace=False))
    bi, bj = ii[pick], jj[pick]
    jit = rng.uniform(0.0, _JITTER, (n_parcels, 8))
    ax0, ax1, ay0, ay1 = x0[bi], x1[bi], y0[bj], y1[bj]
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
    parcel_area = shapely.area(parcels)
    density = rng.uniform(0.01, 0.05, n_parcels)  # synthetic persons per m² of parcel
    population = np.rint(parcel_area * density).astype(np.int64)

    # ---- subdistricts: a 5 x 3 (or smaller) partition of the bounding box -------------------------
    sx = min(5, nx)
    sy = min(3, ny)
    sub_x = np.linspace(xmin, xmax, sx + 1)
    sub_y = np.linspace(ymin, ymax, sy + 1)
    si2, sj2 = np.meshgrid(np.arange(sx), np.arange(sy), indexing="ij")
    si, sj = si2.ravel(), sj2.ravel()
    sub_codes = np.array([f"990000{k + 1:03d}" for k in range(len(si))])
    sub_geom = shapely.box(sub_x[si], sub_y[sj], sub_x[si + 1], sub_y[sj + 1])
    cx = (ax0 + ax1) / 2
    cy = (ay0 + ay1) / 2
    col = np.clip(np.searchsorted(sub_x, cx, side="right") - 1, 0, sx - 1)
    row = np.clip(np.searchsorted(sub_y, cy, side="right") - 1, 0, sy - 1)
    parcel_sub = sub_codes[col * sy + row]

    residential = gpd.GeoDataFrame(
        {
            "parcel_id": pd.array([f"SYN-R{k}" for k in range(n_parcels)], dtype=object),
            "subdistrict_code": parcel_sub.astype(object),
            "population": population,
            "source": "synthetic",
            "geometry_quality": "approximate",
        },
        geometry=parcels,
        crs=crs,
    )

    kind = np.where(
        park_area < 1e4, "pocket", np.where(park_area < 1e5, "community", "comprehensive")
    )
    is_point = rng.uniform(0.0, 1.0, len(park_polys)) < point_parks
    park_geom = park_polys.copy()
    if is_point.any():
        park_geom[is_point] = shapely.points(px[is_point], py[is_point])
    parks = gpd.GeoDataFrame(
        {
            "park_id": [f"SYN-P{k}" for k in range(len(park_polys))],
            "name_en": [f"Synthetic park {k}" for k in range(len(park_polys))],
            "kind": kind.astype(object),
            "area_m2": park_area,
            "radius_m": np.full(len(park_polys), RADIUS_M),
            "status": "existing",
            "source": "synthetic",
            "geometry_quality": "approximate",
        },
        geometry=park_geom,
        crs=crs,
    )

    # ---- historic blocks: 20-100 ha rectangles inside the city -----------------------------------
    h_area = rng.uniform(20e4, 100e4, n_historic)
    h_aspect = rng.uniform(1.0, 2.0, n_historic)
    hw = np.minimum(np.sqrt(h_area * h_aspect), width)
    hh = np.minimum(h_area / hw, height)
    hx = xmin + rng.uniform(0.0, 1.0, n_historic) * np.maximum(width - hw, 0.0)
    hy = ymin + rng.uniform(0.0, 1.0, n_historic) * np.maximum(height - hh, 0.0)
    h_geom = shapely.box(hx, hy, hx + hw, hy + hh)
    historic = gpd.GeoDataFrame(
        {
            "block_id": [f"SYN-H{k}" for k in range(n_historic)],
            "name_en": [f"Synthetic historic block {k}" for k in range(n_historic)],
            "area_m2": np.asarray(shapely.area(h_geom), dtype=np.float64),
            "source": "synthetic",
            "geometry_quality": "approximate",
        },
        geometry=h_geom,
        crs=crs,
    )

    subdistricts = gpd.GeoDataFrame(
        {
            "code": sub_codes.astype(object),
            "name_zh": [f"合成街道{k + 1}" for k in range(len(si))],
            "name_en": [f"Synthetic subdistrict {k + 1}" for k in range(len(si))],
            "source": "synthetic",
            "geometry_quality": "approximate",
        },
        geometry=sub_geom,
        crs=crs,
    )
    return SyntheticCity(
        residential=residential,
        parks=parks,
        historic_blocks=historic,
        subdistricts=subdistricts,
        regime=regime,
        seed=seed,
    )


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
    layers: dict[str, list[gpd.GeoDataFrame]] = {"res": [], "parks": [], "blocks": []}
    cities = [
        synthetic_city(n_parcels, regime=regime, n_historic=n_historic, seed=seed + k, crs=crs)
        for k in range(n_cities)
    ]
    # cell size: the largest city extent, so cities never overlap
    ext = np.array([c.subdistricts.total_bounds for c in cities])
    cell_w = float((ext[:, 2] - ext[:, 0]).max()) + gap_m
    cell_h = float((ext[:, 3] - ext[:, 1]).max()) + gap_m
    for k, city in enumerate(cities):
        code = f"SYN-C{k:03d}"
        dx, dy = (k % cols) * cell_w, (k // cols) * cell_h
        off = np.array([dx, dy])

        def shift(
            gdf: gpd.GeoDataFrame, off: NDArray[np.float64] = off, code: str = code
        ) -> gpd.GeoDataFrame:
            out = gdf.copy()
            g = np.asarray(gdf.geometry.values, dtype=object)
            out[gdf.geometry.name] = gpd.GeoSeries(
                shapely.transform(g, lambda c: c + off), index=gdf.index, crs=gdf.crs
            )
            out.insert(0, "city_code", code)
            return out

        r = shift(city.residential)
        r["unit_code"] = r["subdistrict_code"]
        r["parcel_id"] = code + "-" + r["parcel_id"].astype(str)
        p = shift(city.parks)
        p["park_id"] = code + "-" + p["park_id"].astype(str)
        b = shift(city.historic_blocks)
        b["block_id"] = code + "-" + b["block_id"].astype(str)
        layers["res"].append(r)
        layers["parks"].append(p)
        layers["blocks"].append(b)

    def cat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)

    return cat(layers["res"]), cat(layers["parks"]), cat(layers["blocks"])
