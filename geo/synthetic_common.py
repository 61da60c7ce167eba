"""Parameters of the synthetic cities: constants, grid size, default park count, argument checks.

Part of the :mod:`geo.synthetic` family (import the public names from :mod:`geo.synthetic`; it
re-exports them). Everything is made up: no number here describes a real place. Lengths are
metres and areas square metres in the city's projected CRS (default ``EPSG:4548``).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import geopandas as gpd
import numpy as np

__all__ = ["RADIUS_M", "Regime", "default_n_parks"]

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


def _grid_shape(n_parcels: int, regime: str) -> tuple[int, int]:
    """Columns and rows of the street grid (about square) for ``n_parcels`` parcels."""
    cells = math.ceil(n_parcels / _RES_SHARE[regime])
    nx = max(1, math.ceil(math.sqrt(cells)))
    ny = max(1, math.ceil(cells / nx))
    return nx, ny


def _mean_park_area() -> float:
    """Mean area (m²) of a park whose area is log-uniform in [0.5, 20] ha."""
    lo, hi = _PARK_HA_MIN * 1e4, _PARK_HA_MAX * 1e4
    return (hi - lo) / math.log(hi / lo)


def default_n_parks(n_parcels: int, regime: Regime) -> int:
    """Number of parks :func:`geo.synthetic.synthetic_city` uses when ``n_parks`` is ``None``.

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


def _is_int(val: object) -> bool:
    # bool is an int subclass but never a meaningful count
    return not isinstance(val, bool) and isinstance(val, int | np.integer)


def _check_city_args(
    n_parcels: int, n_parks: int | None, regime: str, n_historic: int, point_parks: float
) -> None:
    """The argument checks of :func:`geo.synthetic.synthetic_city` (``ValueError`` on a bad one)."""
    _check_regime(regime)
    for name, val in (("n_parcels", n_parcels), ("n_historic", n_historic)):
        if not _is_int(val):
            raise ValueError(f"{name} must be an integer, got {val!r}")
    if n_parcels < 1:
        raise ValueError(f"n_parcels must be >= 1, got {n_parcels}")
    if n_historic < 0:
        raise ValueError(f"n_historic must be >= 0, got {n_historic}")
    if n_parks is not None and (not _is_int(n_parks) or n_parks < 0):
        raise ValueError(f"n_parks must be a non-negative integer or None, got {n_parks!r}")
    if not 0.0 <= point_parks <= 1.0:
        raise ValueError(f"point_parks must be in [0, 1], got {point_parks!r}")


def _frame(columns: dict[str, Any], geometry: Any, crs: str) -> gpd.GeoDataFrame:
    """A synthetic layer: ``columns`` then the provenance columns every layer carries."""
    return gpd.GeoDataFrame(
        {**columns, "source": "synthetic", "geometry_quality": "approximate"},
        geometry=geometry,
        crs=crs,
    )
