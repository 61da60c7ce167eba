"""Quick loader of the real OSM layers of Xicheng from ``../shared`` (tests and benchmarks only).

Reads the BBBike shapefiles (``natural.shp`` type ``park``, ``landuse.shp`` type ``residential``),
clips them to the union of the 15 街道 of ``xicheng_15_streets_osm.geojson``, repairs them with
``make_valid``, drops osm_id 366762619 (a residential polygon spanning more than 10 km) and
projects to EPSG:4548. Nothing read here is ever written to the repository; this is a stand-in for
``greenmap studyarea build`` where a test needs only the raw geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tests._shared import BBBIKE, STREETS_OSM

METRIC_CRS = "EPSG:4548"
DROP_IDS = ("366762619",)


@dataclass(frozen=True)
class OsmXicheng:
    """Layers in EPSG:4548: ``residential`` (parcel_id, subdistrict_code), ``parks`` (park_id,
    name_zh, kind, area_m2, status, fee), ``subdistricts`` (code, name_zh, name_en)."""

    residential: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame
    subdistricts: gpd.GeoDataFrame


def available() -> bool:
    return (BBBIKE / "natural.shp").is_file() and STREETS_OSM.is_file()


def _polygonal(g: np.ndarray) -> np.ndarray:
    g = shapely.make_valid(np.asarray(g, dtype=object))
    tid = shapely.get_type_id(g)
    odd = np.flatnonzero(~np.isin(tid, (3, 6)))
    for i in odd:  # collections from make_valid / clipping: keep the polygonal parts
        parts = [p for p in shapely.get_parts(g[i]) if shapely.get_type_id(p) in (3, 6)]
        g[i] = shapely.union_all(parts) if parts else shapely.Polygon()
    return g


def load() -> OsmXicheng:
    """Read, clip, repair and project the real layers (a few hundred ms)."""
    streets = gpd.read_file(STREETS_OSM).to_crs(METRIC_CRS)
    subs = gpd.GeoDataFrame(
        {
            "code": streets["adcode"].astype(str).str[:9],
            "name_zh": streets["name"].astype(str),
            "name_en": "",
        },
        geometry=_polygonal(streets.geometry.values),
        crs=METRIC_CRS,
    )
    district = shapely.union_all(subs.geometry.values)
    out = []
    for fname, kind in (("landuse.shp", "residential"), ("natural.shp", "park")):
        g = gpd.read_file(BBBIKE / fname)
        g = g[(g["type"] == kind) & ~g["osm_id"].astype(str).isin(DROP_IDS)]
        g = g.to_crs(METRIC_CRS)
        geom = _polygonal(g.geometry.values)
        geom = _polygonal(shapely.intersection(geom, district))
        keep = ~shapely.is_empty(geom) & (shapely.area(geom) > 0)
        g = g.loc[keep].copy()
        g["geometry"] = geom[keep]
        out.append(g.set_geometry("geometry").reset_index(drop=True))
    res_raw, parks_raw = out
    res = gpd.GeoDataFrame(
        {"parcel_id": "osm:" + res_raw["osm_id"].astype(str), "population": np.nan},
        geometry=res_raw.geometry.values,
        crs=METRIC_CRS,
    )
    # 街道 of each parcel: the one holding its representative point
    si, pj = shapely.STRtree(subs.geometry.values).query(
        shapely.point_on_surface(res.geometry.values), predicate="within"
    )
    code = pd.Series(None, index=res.index, dtype=object)
    code.iloc[si] = subs["code"].to_numpy()[pj]
    res["subdistrict_code"] = code
    names = parks_raw["name"].fillna("").astype(str)
    pid = "osm:" + parks_raw["osm_id"].astype(str)
    parks = gpd.GeoDataFrame(
        {
            "park_id": pid,
            "name_zh": np.where(names != "", names, "未命名公园 " + pid),
            "kind": "park",
            "area_m2": shapely.area(parks_raw.geometry.values),
            "status": "existing",
            "fee": "unknown",
        },
        geometry=parks_raw.geometry.values,
        crs=METRIC_CRS,
    )
    return OsmXicheng(res, parks, subs)
