"""Folium rendering of the map page: layers, styles, controls, legend, local (vendored) front-end assets.

Folium builds the map (Leaflet map, basemap, one ``FeatureGroup`` per layer, scale bar, fullscreen, measure
tool, layer control); ``static/app.js`` adds what needs the browser: tooltips and popups built from text
nodes (so user text is never parsed as HTML), search, the 街道 panel, filters and the URL state.

Every script, stylesheet and image comes from ``/static/vendor/`` (copied from the npm registry's
packages by ``scripts/vendor-assets.sh``); :func:`check_offline` rejects a page that would load anything
from another host.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template
from markupsafe import escape

from webmap.service import MapService, UnavailableError, to_feature_collection

#: Basemaps: key -> (zh, en). ``none`` is the default and needs no network.
BASEMAPS: dict[str, tuple[str, str]] = {
    "none": ("无底图", "No basemap"),
    "osm": ("OpenStreetMap", "OpenStreetMap"),
    "tianditu": ("天地图", "Tianditu"),
    "amap": ("高德地图", "AMap (GCJ-02)"),
}

VENDOR = "/static/vendor"
#: Local replacements for the CDN assets folium and its plugins reference (folium 0.20).
LEAFLET_JS = [("leaflet", f"{VENDOR}/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{VENDOR}/leaflet/leaflet.css")]
FULLSCREEN_JS = [("Control.Fullscreen.js", f"{VENDOR}/leaflet.fullscreen/Control.FullScreen.js")]
FULLSCREEN_CSS = [("Control.FullScreen.css", f"{VENDOR}/leaflet.fullscreen/Control.FullScreen.css")]
MEASURE_JS = [("leaflet_measure_js", f"{VENDOR}/leaflet-measure/leaflet-measure.min.js")]
MEASURE_CSS = [("leaflet_measure_css", f"{VENDOR}/leaflet-measure/leaflet-measure.css")]
SEARCH_JS = [("Leaflet.Search.js", f"{VENDOR}/leaflet-search/dist/leaflet-search.min.js")]
SEARCH_CSS = [("Leaflet.Search.css", f"{VENDOR}/leaflet-search/dist/leaflet-search.min.css")]

PARK_KINDS: dict[str, tuple[str, str, str]] = {
    "comprehensive_park": ("综合公园", "Comprehensive park", "#1b7837"),
    "community_park": ("社区公园", "Community park", "#5aae61"),
    "special_park": ("专类公园", "Special park", "#2166ac"),
    "garden": ("游园", "Garden", "#7fbc41"),
    "pocket_park": ("口袋公园", "Pocket park", "#b8e186"),
    "urban_forest": ("城市森林", "Urban forest", "#00441b"),
    "greenway": ("绿道", "Greenway", "#35978f"),
    "wetland_park": ("湿地公园", "Wetland park", "#4393c3"),
    "scenic_area": ("风景区", "Scenic area", "#8073ac"),
    "square": ("广场", "Square", "#bababa"),
    "other": ("其他", "Other", "#878787"),
}
PROJECT_CATEGORIES: dict[str, tuple[str, str, str]] = {
    "park": ("公园", "Park", "#1a9850"),
    "pocket_park": ("口袋公园", "Pocket park", "#66bd63"),
    "greenway": ("绿道", "Greenway", "#35978f"),
    "urban_forest": ("城市森林", "Urban forest", "#006837"),
    "garden_block": ("花园式街区", "Garden block", "#a6d96a"),
    "vertical_greening": ("垂直绿化", "Vertical greening", "#80cdc1"),
    "green_other": ("其他绿化", "Other greening", "#b8e186"),
    "shantytown": ("棚户区改造", "Shantytown renewal", "#d73027"),
    "environment_upgrade": ("环境整治", "Environment upgrade", "#f46d43"),
    "lease_surrender": ("申请式退租", "Lease surrender", "#fdae61"),
    "old_housing": ("老旧小区改造", "Old housing renewal", "#e08214"),
    "heritage_vacate": ("文物腾退", "Heritage vacating", "#8c510a"),
    "renewal_plot": ("更新地块", "Renewal plot", "#c51b7d"),
    "infrastructure": ("基础设施", "Infrastructure", "#542788"),
    "parking": ("停车", "Parking", "#4d4d4d"),
    "other": ("其他", "Other", "#999999"),
}
STATUSES: dict[str, tuple[str, str, float]] = {
    "planned": ("计划", "planned", 0.15),
    "under_way": ("实施中", "under way", 0.45),
    "done": ("已完成", "done", 0.85),
    "unknown": ("未知", "unknown", 0.3),
}
QUALITY: dict[str, tuple[str, str]] = {
    "official": ("官方", "official"),
    "osm": ("OSM", "OpenStreetMap"),
    "user": ("用户", "user"),
    "approximate": ("近似", "approximate"),
    "none": ("无几何", "no geometry"),
}
APPROX_DASH = "6 4"
#: JS variable registry is filled by folium names; app.js reads ``window.GREENMAP``.
CDN_PATTERN = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


@dataclass
class RenderedMap:
    """The pieces of a rendered folium figure, to place into the Flask template."""

    header: str
    html: str
    script: str
    names: dict[str, Any]


def _approx(props: dict[str, Any]) -> bool:
    return props.get("geometry_quality") == "approximate"


def _with_geometry(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    g = np.asarray(gdf.geometry.values)
    return gdf[~(shapely.is_missing(g) | shapely.is_empty(g))]


def _fc(gdf: gpd.GeoDataFrame, key: str, layer: str, columns: list[str] | None = None) -> dict:
    fc = to_feature_collection(_with_geometry(gdf), columns)
    for f in fc["features"]:
        p = f["properties"]
        p["_layer"] = layer
        f["id"] = f"{layer}:{p.get(key)}"
        p["_label"] = " ".join(str(p[k]) for k in ("name_zh", "name_en") if p.get(k))
    return fc


def _style_district(feature: dict) -> dict:
    p = feature["properties"]
    return {
        "color": "#222222",
        "weight": 3,
        "fill": False,
        "dashArray": APPROX_DASH if _approx(p) else None,
    }


def _style_subdistrict(feature: dict) -> dict:
    p = feature["properties"]
    return {
        "color": "#555555",
        "weight": 1.5,
        "fillColor": "#cccccc",
        "fillOpacity": 0.25,
        "dashArray": APPROX_DASH if _approx(p) else None,
    }


def _style_historic(feature: dict) -> dict:
    p = feature["properties"]
    return {
        "color": "#8c2d04",
        "weight": 1.5,
        "fillColor": "#fdae6b",
        "fillOpacity": 0.35,
        "dashArray": APPROX_DASH if _approx(p) else None,
    }


def _style_park(feature: dict) -> dict:
    p = feature["properties"]
    colour = PARK_KINDS.get(p.get("kind") or "other", PARK_KINDS["other"])[2]
    fee = p.get("fee") == "yes"
    return {
        "color": "#b8860b" if fee else colour,
        "weight": 3 if fee else 1.5,
        "fillColor": colour,
        "fillOpacity": 0.6,
        "radius": 6,
        "dashArray": APPROX_DASH if _approx(p) else None,
    }


def _style_radius(feature: dict) -> dict:
    return {"color": "#2ca25f", "weight": 1, "fillColor": "#99d8c9", "fillOpacity": 0.15}


def _style_project(feature: dict) -> dict:
    p = feature["properties"]
    colour = PROJECT_CATEGORIES.get(p.get("category") or "other", PROJECT_CATEGORIES["other"])[2]
    status = STATUSES.get(p.get("latest_status") or "unknown", STATUSES["unknown"])
    return {
        "color": colour,
        "weight": 2.5,
        "fillColor": colour,
        "fillOpacity": status[2],
        "radius": 7,
        "dashArray": APPROX_DASH if _approx(p) else None,
    }


class Legend(MacroElement):
    """A categorical legend as a Leaflet control (HTML escaped in Python)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function() {
                var div = L.DomUtil.create("div", "gm-legend leaflet-bar");
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html


def legend_html(park_kinds: list[str], categories: list[str]) -> str:
    """Legend HTML for the kinds/categories present (text escaped)."""

    def swatch(colour: str, label_zh: str, label_en: str, extra: str = "") -> str:
        return (
            f'<div class="gm-legend-row"><span class="gm-swatch" style="background:{colour};{extra}">'
            f"</span>{escape(label_zh)} <span class='en'>{escape(label_en)}</span></div>"
        )

    parts = ['<details open><summary>图例 Legend</summary><div class="gm-legend-body">']
    parts.append("<b>公园 Parks</b>")
    for k in park_kinds:
        zh, en, colour = PARK_KINDS.get(k, (k, k, "#878787"))
        parts.append(swatch(colour, zh, en))
    parts.append(
        swatch(
            "#ffffff",
            "收费公园（金色边框）",
            "fee charged (gold outline)",
            "border:3px solid #b8860b",
        )
    )
    parts.append("<b>项目 Projects</b>")
    for c in categories:
        zh, en, colour = PROJECT_CATEGORIES.get(c, (c, c, "#999999"))
        parts.append(swatch(colour, zh, en))
    for _key, (zh, en, op) in STATUSES.items():
        parts.append(swatch(f"rgba(60,60,60,{op})", f"状态：{zh}", f"status: {en}"))
    parts.append("<b>其他 Other</b>")
    parts.append(swatch("#fdae6b", "历史文化街区", "historic block", "border:1px solid #8c2d04"))
    parts.append(
        swatch("#99d8c9", "公园服务半径", "park service radius", "border:1px solid #2ca25f")
    )
    parts.append(swatch("#fb6a4a", "未覆盖居住用地", "uncovered residential land"))
    parts.append(swatch("#bcbddc", "居住用地", "residential land", "border:1px solid #6a51a3"))
    parts.append(
        swatch(
            "transparent",
            "虚线 = 近似几何",
            "dashed = approximate geometry",
            "border:2px dashed #333",
        )
    )
    parts.append("</div></details>")
    return "".join(parts)


def _basemap(m: folium.Map, basemap: str, tianditu_key: str | None) -> None:
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


def _to_display(gdf: gpd.GeoDataFrame, basemap: str) -> gpd.GeoDataFrame:
    """Overlays on the AMap basemap are shifted to GCJ-02 (``geo.datums.convert_gdf``)."""
    if basemap != "amap" or gdf.empty:
        return gdf
    from geo.datums import convert_gdf

    return convert_gdf(_with_geometry(gdf), "wgs84", "gcj02")


def render_map(
    service: MapService,
    basemap: str = "none",
    tianditu_key: str | None = None,
    tiled: Collection[str] = (),
) -> RenderedMap:
    """Build the folium map for the current data.

    Parameters
    ----------
    service : MapService
    basemap : {"none", "osm", "tianditu", "amap"}
    tianditu_key : str, optional
        Needed for ``basemap="tianditu"``.
    tiled : collection of str
        Layers served as vector tiles (``webmap.tiles_api.tiled_layers``): not embedded in the page;
        app.js draws them with Leaflet.VectorGrid from ``/tiles/<layer>/{z}/{x}/{y}.mvt``.

    Returns
    -------
    RenderedMap
        Header/html/script of the folium figure and the JS names of the map and layers.
    """
    if basemap not in BASEMAPS:
        raise ValueError(f"basemap: unknown basemap {basemap!r}; choose one of {sorted(BASEMAPS)}")
    sd = service.layer("subdistricts")
    b = sd.total_bounds
    m = folium.Map(
        location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2],
        zoom_start=13,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
        zoom_control=True,
    )
    m.default_js = LEAFLET_JS
    m.default_css = LEAFLET_CSS
    _basemap(m, basemap, tianditu_key)

    names: dict[str, Any] = {
        "map": m.get_name(),
        "layers": {},
        "groups": {},
        "rules": {},
        "counts": {},
        "tiled": {},
    }

    def tiles(key: str, group: Any, id_col: str, per_rule: bool = False) -> None:
        """Register a tiled layer for app.js (its group stays empty in the page)."""
        url = f"/tiles/{key}/{{z}}/{{x}}/{{y}}.mvt" + (
            "?rule={rule}&year={year}" if per_rule else ""
        )
        names["tiled"][key] = {"group": group.get_name(), "url": url, "key": id_col}

    def add(
        key: str,
        title: str,
        gdf: gpd.GeoDataFrame | None,
        id_col: str,
        style: Any,
        *,
        show: bool = True,
        point: bool = False,
        columns: list[str] | None = None,
    ) -> None:
        group = folium.FeatureGroup(name=title, show=show)
        names["groups"][key] = group.get_name()
        n_geom = len(_with_geometry(gdf)) if gdf is not None else 0
        names["counts"][key] = {"features": 0 if gdf is None else len(gdf), "with_geometry": n_geom}
        if key in tiled and n_geom:
            tiles(key, group, id_col)
        elif gdf is not None and n_geom:
            fc = _fc(_to_display(gdf, basemap), id_col, key, columns)
            gj = folium.GeoJson(
                fc,
                style_function=style,
                marker=folium.CircleMarker(radius=6) if point else None,
                name=title,
                control=False,
            )
            gj.add_to(group)
            names["layers"][key] = gj.get_name()
        group.add_to(m)

    district = service.try_layer("district")
    add("district", "西城区界 District outline", district, "code", _style_district)
    add("subdistricts", "街道 Subdistricts", sd, "code", _style_subdistrict)
    add(
        "historic_blocks",
        "历史文化街区 Historic blocks",
        service.try_layer("historic_blocks"),
        "block_id",
        _style_historic,
    )

    def lazy(key: str, title: str, url: str, show: bool) -> None:
        group = folium.FeatureGroup(name=title, show=show)
        group.add_to(m)
        names["groups"][key] = group.get_name()
        names["lazy"][key] = {"group": group.get_name(), "url": url}

    names["lazy"] = {}
    if "residential" in tiled:
        res_group = folium.FeatureGroup(name="居住用地 Residential land", show=False)
        res_group.add_to(m)
        names["groups"]["residential"] = res_group.get_name()
        tiles("residential", res_group, "parcel_id")
    else:
        lazy("residential", "居住用地 Residential land", "/api/layers/residential.geojson", False)

    # Service radii: one GeoJson per rule (app.js shows the chosen rule's). Uncovered residential land
    # and candidate sites depend on rule and year: app.js loads them from the API into their groups.
    rules = service.rules()
    radii_group = folium.FeatureGroup(name="公园服务半径 Park service radii", show=True)
    names["groups"]["radii"] = radii_group.get_name()
    if "radii" in tiled:
        tiles("radii", radii_group, "park_id", per_rule=True)
    for r in rules:
        entry: dict[str, str] = {}
        if "radii" in tiled:
            names["rules"][r["id"]] = entry
            continue
        try:
            radii = service.radii(r["id"])
            gj = folium.GeoJson(
                _fc(_to_display(radii, basemap), "park_id", "radii"),
                style_function=_style_radius,
                control=False,
            )
            gj.add_to(radii_group)
            entry["radii"] = gj.get_name()
        except UnavailableError as exc:
            names.setdefault("unavailable", {})[f"radii:{r['id']}"] = str(exc)
        names["rules"][r["id"]] = entry
    radii_group.add_to(m)
    if "gaps" in tiled:
        gaps_group = folium.FeatureGroup(
            name="未覆盖居住用地 Uncovered residential land", show=True
        )
        gaps_group.add_to(m)
        names["groups"]["gaps"] = gaps_group.get_name()
        tiles("gaps", gaps_group, "gap_id", per_rule=True)
    else:
        lazy(
            "gaps",
            "未覆盖居住用地 Uncovered residential land",
            "/api/layers/gaps.geojson?rule={rule}&year={year}",
            True,
        )

    parks = service.try_layer("parks")
    park_cols = [
        "park_id",
        "name_zh",
        "name_en",
        "kind",
        "subdistrict_zh",
        "area_m2",
        "fee",
        "opened_year",
        "status",
        "source",
        "geometry_quality",
    ]
    if parks is not None:
        parks = _park_points(parks)
    add("parks", "公园 Parks", parks, "park_id", _style_park, point=True, columns=park_cols)

    lazy(
        "candidates",
        "候选绿地（模型）Candidate sites (model)",
        "/api/layers/candidates.geojson?rule={rule}",
        False,
    )

    projects = service.try_layer("projects")
    add(
        "projects",
        "更新与绿化项目 Projects",
        projects,
        "project_id",
        _style_project,
        point=True,
        columns=[
            "project_id",
            "name_zh",
            "category",
            "subdistrict_codes",
            "subdistricts_zh",
            "area_m2",
            "start_year",
            "planned_end_year",
            "latest_status",
            "latest_status_year",
            "status_history",
            "adds_green_space",
            "source",
            "geometry_quality",
        ],
    )

    if "streets" in tiled:  # a large street network (small ones are not drawn)
        streets_group = folium.FeatureGroup(name="街巷 Streets", show=False)
        streets_group.add_to(m)
        names["groups"]["streets"] = streets_group.get_name()
        tiles("streets", streets_group, "street_id")

    folium.plugins.Fullscreen(
        position="topleft", title="全屏 Full screen", title_cancel="退出全屏 Exit full screen"
    ).add_to(m)
    measure = folium.plugins.MeasureControl(
        position="topleft",
        primary_length_unit="meters",
        primary_area_unit="sqmeters",
        secondary_length_unit="kilometers",
        secondary_area_unit="hectares",
    )
    measure.add_to(m)
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    park_kinds = sorted(set(parks["kind"].dropna())) if parks is not None else []
    cats = service.categories() if projects is not None else []
    Legend(legend_html(park_kinds, cats)).add_to(m)

    fig: Any = m.get_root()
    # Local assets for every element folium asks for (plugins keep their own default_js/_css).
    _localise(m, measure)
    fig.render()
    rendered = RenderedMap(
        header=fig.header.render(),
        html=fig.html.render(),
        script=fig.script.render(),
        names=names,
    )
    check_offline(rendered.header + rendered.html + rendered.script)
    return rendered


def _park_points(parks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Parks without a polygon but with a published point are drawn as points (quality kept)."""
    parks = parks.copy()
    g = np.asarray(parks.geometry.values)
    missing = shapely.is_missing(g) | shapely.is_empty(g)
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


def _localise(m: folium.Map, *elements: Any) -> None:
    for el in (m, *elements):
        if isinstance(el, folium.plugins.Fullscreen):
            el.default_js, el.default_css = FULLSCREEN_JS, FULLSCREEN_CSS
        elif isinstance(el, folium.plugins.MeasureControl):
            el.default_js, el.default_css = MEASURE_JS, MEASURE_CSS
    for child in m._children.values():
        if isinstance(child, folium.plugins.Fullscreen):
            child.default_js, child.default_css = FULLSCREEN_JS, FULLSCREEN_CSS
        elif isinstance(child, folium.plugins.MeasureControl):
            child.default_js, child.default_css = MEASURE_JS, MEASURE_CSS


def check_offline(html: str) -> None:
    """Raise ``ValueError`` if the page would load a script, stylesheet or image from another host.

    >>> check_offline('<script src="/static/vendor/leaflet/leaflet.js"></script>')
    >>> cdn = "https://cdn.example.org/x.js"
    >>> check_offline(f'<script src="{cdn}"></script>')
    Traceback (most recent call last):
    ...
    ValueError: page references an outside host: src=...cdn.example.org/x.js"
    """
    hit = CDN_PATTERN.search(html)
    if hit:
        end = html.find(">", hit.start())
        frag = html[hit.start() : end if end > 0 else hit.end() + 40].rstrip("/ ")
        raise ValueError(f"page references an outside host: {frag.split()[0]}")
