"""Layer data for the page: GeoDataFrames (WGS-84 lon/lat) to GeoJSON feature collections.

Features without geometry are listed by the API but not drawn; parks without a polygon fall back to their
published point; on the AMap basemap overlays are shifted to GCJ-02.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from webmap.service import to_feature_collection


def _missing(g: np.ndarray) -> np.ndarray:
    """Boolean mask of missing (``None``) or empty geometries."""
    return shapely.is_missing(g) | shapely.is_empty(g)


def _with_geometry(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf[~_missing(np.asarray(gdf.geometry.values))]


def _fc(gdf: gpd.GeoDataFrame, key: str, layer: str, columns: list[str] | None = None) -> dict:
    """Feature collection of the drawable rows, with ``id = "<layer>:<key value>"`` and a label."""
    fc = to_feature_collection(_with_geometry(gdf), columns)
    for f in fc["features"]:
        p = f["properties"]
        p["_layer"] = layer
        f["id"] = f"{layer}:{p.get(key)}"
        p["_label"] = " ".join(str(p[k]) for k in ("name_zh", "name_en") if p.get(k))
    return fc


def _to_display(gdf: gpd.GeoDataFrame, basemap: str) -> gpd.GeoDataFrame:
    """Overlays on the AMap basemap are shifted to GCJ-02 (``geo.datums.convert_gdf``)."""
    if basemap != "amap" or gdf.empty:
        return gdf
    from geo.datums import convert_gdf

    return convert_gdf(_with_geometry(gdf), "wgs84", "gcj02")


def _park_points(parks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Parks without a polygon but with a published point are drawn as points (quality kept)."""
    parks = parks.copy()
    g = np.asarray(parks.geometry.values)
    missing = _missing(g)
    if {"lon", "lat"} <= set(parks.columns):
        lon = parks["lon"].to_numpy(dtype=float, na_value=np.nan)
        lat = parks["lat"].to_numpy(dtype=float, na_value=np.nan)
        use = missing & ~np.isnan(lon) & ~np.isnan(lat)
        pts = shapely.points(lon, lat)
        parks[parks.geometry.name] = np.where(use, pts, g)
        if "geometry_quality" in parks.columns:
            q = parks["geometry_quality"].astype(object).to_numpy()
            parks["geometry_quality"] = np.where(use & (q == "none"), "approximate", q)
    return parks
