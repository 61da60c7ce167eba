"""Basemap tile layers (OpenStreetMap, Tianditu, AMap); the default ``none`` needs no network."""

from __future__ import annotations

import folium

#: Basemaps: key -> (zh, en). ``none`` is the default and needs no network.
BASEMAPS: dict[str, tuple[str, str]] = {
    "none": ("无底图", "No basemap"),
    "osm": ("OpenStreetMap", "OpenStreetMap"),
    "tianditu": ("天地图", "Tianditu"),
    "amap": ("高德地图", "AMap (GCJ-02)"),
}


def _basemap(m: folium.Map, basemap: str, tianditu_key: str | None) -> None:
    """Add the tile layer(s) of ``basemap`` to ``m`` (Web Mercator tiles; AMap's are GCJ-02)."""
    if basemap == "osm":
        folium.TileLayer(
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            attr="© OpenStreetMap contributors",
            name="OpenStreetMap",
            max_zoom=19,
        ).add_to(m)
    elif basemap == "tianditu":
        if not tianditu_key:
            raise ValueError("TIANDITU_KEY: the Tianditu basemap needs a key (config TIANDITU_KEY)")
        for layer, name in (("vec", "天地图 Tianditu"), ("cva", "天地图注记 Tianditu labels")):
            folium.TileLayer(
                f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={tianditu_key}",
                attr="© 天地图 Tianditu",
                name=name,
                subdomains="01234567",
                max_zoom=18,
                overlay=layer == "cva",
            ).add_to(m)
    elif basemap == "amap":
        folium.TileLayer(
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
            "&x={x}&y={y}&z={z}",
            attr="© 高德地图 AMap (GCJ-02)",
            name="高德地图 AMap",
            subdomains="1234",
            max_zoom=18,
        ).add_to(m)
