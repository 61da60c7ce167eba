"""District coverage rate from per-parcel covered areas: :class:`CoverageResult` and weights.

Part of the :mod:`geo.coverage` family (import from :mod:`geo.coverage`; it re-exports
:class:`CoverageResult`). :func:`geo.coverage.coverage` computes the per-parcel covered areas
(m²) and their certified inner/outer brackets; this module turns them into the rate (area
share, or the weighted share ``sum(w_i * covered_i / area_i) / sum(w_i)``) and its arc error
bound in percentage points, with the checks on weights and on the demand's total area.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from geo._common import FloatArray

__all__ = ["CoverageResult"]


@dataclass(frozen=True)
class CoverageResult:
    """Park service-area coverage of residential land.

    Attributes
    ----------
    covered_m2 : float
        Residential area (m²) inside the union of service areas.
    total_m2 : float
        Total residential area (m²).
    rate : float
        Coverage rate in [0, 1]: ``covered_m2 / total_m2``, or the weighted rate
        ``sum(w_i * covered_i / area_i) / sum(w_i)`` when weights were given.
    arc_error_bound_pp : float
        Bound (percentage points) on ``|rate_pct - exact|``, where ``exact`` is the rate with
        true Euclidean distances instead of polygon buffers. With point and convex polygon
        parks the polygon buffers lie inside the true ones, so the exact rate lies in
        ``[rate_pct, rate_pct + arc_error_bound_pp]``.
    quad_segs : int
        Segments per quarter circle used for the buffers.
    """

    covered_m2: float
    total_m2: float
    rate: float
    arc_error_bound_pp: float
    quad_segs: int

    @property
    def rate_pct(self) -> float:
        """Coverage rate in percent (0..100)."""
        return 100.0 * self.rate


def _weights(weights: ArrayLike | None, n: int, area: FloatArray) -> FloatArray | None:
    if weights is None:
        return None
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"weights must be numbers: {exc}") from exc
    if w.ndim != 1 or len(w) != n:
        raise ValueError(f"weights has shape {w.shape} but demand has {n} rows (length mismatch)")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"weights must be finite and >= 0; weights[{i}] = {w[i]!r}")
    if not w.sum() > 0:
        raise ValueError("weights sum to 0; the weighted rate is undefined")
    zero = (area <= 0) & (w > 0)
    if zero.any():
        i = int(np.flatnonzero(zero)[0])
        raise ValueError(
            f"demand row {i} has zero area but weights[{i}] = {w[i]!r} > 0; "
            "its covered share is undefined"
        )
    return w


def _rate(covered: FloatArray, area: FloatArray, w: FloatArray | None) -> float:
    if w is None:
        return float(covered.sum() / area.sum())
    share = np.divide(covered, area, out=np.zeros_like(covered), where=area > 0)
    return float(np.dot(w, share) / w.sum())


def _clamped_rate(covered: FloatArray, area: FloatArray, w: FloatArray | None) -> float:
    # summation rounding may leave a rate a hair outside [0, 1]
    return min(max(_rate(covered, area, w), 0.0), 1.0)


def _coverage_result(
    covered: FloatArray,
    cov_in: FloatArray,
    cov_out: FloatArray,
    area: FloatArray,
    weights: ArrayLike | None,
    quad_segs: int,
) -> CoverageResult:
    """Rate and arc error bound (pp) from covered areas ``cov_in <= covered <= cov_out`` (m²)."""
    total = float(area.sum())
    if not total > 0:
        raise ValueError("demand has zero total area; the coverage rate is undefined")
    w = _weights(weights, len(area), area)
    rate = _clamped_rate(covered, area, w)
    rate_out = _clamped_rate(cov_out, area, w)
    rate_in = _clamped_rate(cov_in, area, w)
    bound = max(rate_out - rate, rate - rate_in)
    return CoverageResult(
        covered_m2=float(covered.sum()),
        total_m2=total,
        rate=rate,
        arc_error_bound_pp=100.0 * max(bound, 0.0),
        quad_segs=quad_segs,
    )
