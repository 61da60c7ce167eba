"""Bringing a loaded layer into EPSG:4326 (WGS-84 lon/lat), whatever CRS or Chinese datum it came in.

The declared source CRS wins over the file's; ``"gcj02"`` / ``"bd09"`` convert the Chinese offset datums
(:mod:`geo.datums`); CGCS2000 is relabelled rather than transformed; a file with no CRS is taken as
lon/lat only if its coordinates look like degrees. Every conversion is reported in ``changes``.

Examples
--------
>>> import shapely
>>> gdf = gpd.GeoDataFrame(geometry=[shapely.Point(116.36, 39.91)], crs="EPSG:4490")
>>> changes: list[str] = []
>>> _convert_crs(gdf, None, "parks.geojson", changes).crs.to_epsg(), changes
(4326, ['CGCS2000 (EPSG:4490) relabelled as WGS-84: they differ by centimetres'])
"""

from __future__ import annotations

import geopandas as gpd
from pyproj import CRS

from geo import datums as gdatums
from layers.io_problems import file_error

_OFFSET_DATUMS = ("gcj02", "gcj-02", "bd09", "bd-09")


def _convert_crs(
    gdf: gpd.GeoDataFrame, source_crs: str | None, name: str, changes: list[str]
) -> gpd.GeoDataFrame:
    """Return ``gdf`` in EPSG:4326, appending a note to ``changes`` for each conversion made.

    Parameters
    ----------
    gdf : GeoDataFrame
        As read, in the file's CRS (possibly none).
    source_crs : str or None
        Declared CRS: any pyproj input (``"EPSG:4548"``) or ``"gcj02"`` / ``"bd09"``.
    name : str
        The file, for error messages.
    changes : list of str
        Collected in place.

    Raises
    ------
    LayerError
        Unknown declared CRS, an offset datum declared on projected data, or no CRS with
        coordinates that are not lon/lat degrees.
    """
    datum = (source_crs or "").strip().lower()
    if datum in _OFFSET_DATUMS:
        src = "gcj02" if datum.startswith("gcj") else "bd09"
        if gdf.crs is not None and not CRS(gdf.crs).is_geographic:
            raise file_error(
                name, "crs", f"declared {src} but the file's CRS is projected ({gdf.crs})"
            )
        out = gdf.set_crs("EPSG:4326", allow_override=True)
        out = gdatums.convert_gdf(out, src, "wgs84")
        label = "GCJ-02" if src == "gcj02" else "BD-09"
        changes.append(f"converted coordinates from {label} to WGS-84 (EPSG:4326)")
        return out
    if source_crs:
        try:
            declared = CRS.from_user_input(source_crs)
        except Exception as exc:
            raise file_error(name, "crs", f"unknown CRS {source_crs!r}: {exc}") from exc
        if gdf.crs is not None and CRS(gdf.crs) != declared:
            changes.append(f"file CRS {gdf.crs} overridden by the declared {source_crs}")
        gdf = gdf.set_crs(declared, allow_override=True)
    if gdf.crs is None:
        bounds = gdf.geometry.total_bounds
        if gdf.geometry.notna().any() and not (
            -180 <= bounds[0] <= 180
            and -90 <= bounds[1] <= 90
            and bounds[2] <= 180
            and bounds[3] <= 90
        ):
            raise file_error(
                name,
                "crs",
                "the file declares no CRS and its coordinates are not lon/lat degrees; "
                "pass the source CRS (e.g. EPSG:4548)",
            )
        changes.append("no CRS declared: assumed WGS-84 lon/lat (EPSG:4326)")
        return gdf.set_crs("EPSG:4326")
    crs = CRS(gdf.crs)
    if crs.equals(CRS("EPSG:4326"), ignore_axis_order=True):
        return gdf
    if crs.equals(CRS("EPSG:4490"), ignore_axis_order=True):
        changes.append("CGCS2000 (EPSG:4490) relabelled as WGS-84: they differ by centimetres")
        return gdf.set_crs("EPSG:4326", allow_override=True)
    changes.append(f"reprojected from {crs.to_string()} to EPSG:4326")
    return gdf.to_crs("EPSG:4326")
