"""Shared pieces of the coverage modules: the buffer segment count and the input checks.

All checks raise ``ValueError`` naming the parameter at fault.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: Segments per quarter circle used for every buffer (``quad_segs`` of shapely / GEOS / PostGIS).
#:
#: Why 64: around a point park the outer bracketing buffer is ``r / cos(pi / 256) - r`` =
#: 7.5e-5 * r larger than the inner one (3.8 cm at r = 500 m; 8.5 cm at polygon corners, whose
#: chords may be 1.5 times longer). The arc error of the indicator is therefore at most about
#: ``100 * L * 0.038 m / A`` percentage points, where ``L`` is the length of the edge of the
#: union of service areas running through residential land and ``A`` the residential area.
#: Xicheng covers 50.70 km² (official figure, ../shared/facts/README.md); supposing 20 km² of
#: it residential (an assumption for this estimate only), the bound stays below 0.01 pp while
#: ``L`` < 53 km, i.e. while the exposed service-area edge is shorter than ~17 full 500 m
#: circles. The error shrinks with ``1 / quad_segs²``: 32 segments would allow only 13 km. The
#: bound actually achieved is computed with every result
#: (:attr:`CoverageResult.arc_error_bound_pp`), so the claim is checked, not assumed.
DEFAULT_QUAD_SEGS: int = 64

_POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _geometry_of(obj: gpd.GeoSeries | gpd.GeoDataFrame, name: str) -> gpd.GeoSeries:
    if isinstance(obj, gpd.GeoDataFrame):
        return obj.geometry
    if isinstance(obj, gpd.GeoSeries):
        return obj
    raise ValueError(f"{name}: expected a GeoSeries or GeoDataFrame, got {type(obj).__name__}")


def _check_crs(crs: pyproj.CRS | None, name: str) -> None:
    if crs is None:
        raise ValueError(
            f"{name} has no CRS; set a projected CRS in metres (Xicheng: EPSG:4548) first"
        )
    crs = pyproj.CRS.from_user_input(crs)
    if crs.is_geographic or not crs.is_projected:
        raise ValueError(
            f"{name} is in {crs.to_string()} (geographic, degrees); reproject to a projected "
            "CRS in metres (Xicheng: EPSG:4548) before computing distances and areas"
        )
    units = {(ax.unit_name or "").lower() for ax in crs.axis_info}
    if not units or not units <= {"metre", "meter", "m"}:
        raise ValueError(f"{name} CRS {crs.to_string()} is not in metres (axis units {units})")


def _check_same_crs(a: gpd.GeoSeries, b: gpd.GeoSeries, name_a: str, name_b: str) -> None:
    if not pyproj.CRS.from_user_input(a.crs).equals(pyproj.CRS.from_user_input(b.crs)):
        raise ValueError(
            f"CRS mismatch: {name_a} is {a.crs.to_string()} but {name_b} is {b.crs.to_string()}"
        )


def _check_quad_segs(quad_segs: object) -> int:
    if isinstance(quad_segs, bool) or not isinstance(quad_segs, int | np.integer):
        raise ValueError(f"quad_segs must be a positive integer, got {quad_segs!r}")
    if quad_segs < 1:
        raise ValueError(f"quad_segs must be a positive integer, got {quad_segs!r}")
    return int(quad_segs)


def _geoms(series: gpd.GeoSeries, name: str, *, polygonal: bool) -> NDArray[np.object_]:
    arr = np.asarray(series.values, dtype=object)
    missing = shapely.is_missing(arr)
    if missing.any():
        bad = series.index[missing][:5].tolist()
        raise ValueError(f"{name} has missing (None) geometries at index {bad}")
    if polygonal:
        tid = shapely.get_type_id(arr)
        notpoly = ~np.isin(tid, _POLYGONAL) & ~shapely.is_empty(arr)
        if notpoly.any():
            bad = series.index[notpoly][:5].tolist()
            raise ValueError(f"{name} must be Polygon/MultiPolygon; non-polygonal at index {bad}")
    return arr


def _radii(radii: ArrayLike, n: int) -> FloatArray:
    try:
        r = np.asarray(radii, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"radii must be numbers (metres): {exc}") from exc
    if r.ndim == 0:
        r = np.full(n, float(r))
    elif r.ndim != 1:
        raise ValueError(f"radii must be a scalar or 1-D array, got shape {r.shape}")
    elif len(r) != n:
        raise ValueError(f"radii has length {len(r)} but parks has {n} rows (length mismatch)")
    bad = ~np.isfinite(r) | (r < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"radii must be finite and >= 0 metres; radii[{i}] = {r[i]!r} "
            f"({int(bad.sum())} bad value(s))"
        )
    return r
