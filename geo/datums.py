"""Conversions between WGS-84 and the Chinese map datums GCJ-02 and BD-09.

GCJ-02 ("Mars coordinates", used by Amap/Gaode, Tencent and Chinese Google maps) and BD-09
(Baidu) are obfuscated lon/lat frames that pyproj does not know. This module converts them
to/from WGS-84 with vectorised numpy functions (:func:`wgs84_to_gcj02`, :func:`gcj02_to_wgs84`,
:func:`gcj02_to_bd09`, :func:`bd09_to_gcj02`, :func:`wgs84_to_bd09`, :func:`bd09_to_wgs84`):
the forward formulas exactly, the GCJ-02 inverse iteratively (to ``tol_m``, 1 cm by default).
Whole geometry arrays are converted with :func:`convert_geometry` / :func:`convert_gdf`.

All coordinates are lon/lat in degrees. CGCS2000 (``EPSG:4490``) counts as WGS-84, as in the
CRS policy of :mod:`geo.crs`; converted geometries are labelled :data:`geo.crs.STORAGE_CRS`
(GCJ-02/BD-09 have no EPSG code of their own).

Modules
    This module re-exports the family; import from here. :mod:`geo.datums_gcj02` (the GCJ-02
    constants, :func:`out_of_china`, the forward formula and its iterative inverse),
    :mod:`geo.datums_bd09` (GCJ-02 <-> BD-09 and the WGS-84 <-> BD-09 chains),
    :mod:`geo.datums_geometry` (datum names, geometry and GeoDataFrame conversion) and
    :mod:`geo.datums_arrays` (the shared lon/lat input handling).
"""

from __future__ import annotations

# FloatArray: the array alias of this module's signatures, importable from here as before.
from geo.datums_arrays import FloatArray as FloatArray
from geo.datums_bd09 import (
    BD09_X_PI,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    wgs84_to_bd09,
)
from geo.datums_gcj02 import (
    GCJ02_A,
    GCJ02_EE,
    GCJ02_OUT_OF_CHINA_BOUNDS,
    ConvergenceError,
    gcj02_to_wgs84,
    out_of_china,
    wgs84_to_gcj02,
)
from geo.datums_geometry import (
    DATUMS,
    convert_gdf,
    convert_geometry,
    normalize_datum,
)

__all__ = [
    "BD09_X_PI",
    "DATUMS",
    "GCJ02_A",
    "GCJ02_EE",
    "GCJ02_OUT_OF_CHINA_BOUNDS",
    "ConvergenceError",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert_gdf",
    "convert_geometry",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "normalize_datum",
    "out_of_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]
