"""Folium rendering of the map page: layers, styles, controls, legend, local (vendored) front-end assets.

Folium builds the map (Leaflet map, basemap, one ``FeatureGroup`` per layer, scale bar, fullscreen, measure
tool, layer control); ``static/app.js`` adds what needs the browser: tooltips and popups built from text
nodes (so user text is never parsed as HTML), search, the 街道 panel, filters and the URL state.

Every script, stylesheet and image comes from ``/static/vendor/`` (copied from the npm registry's
packages by ``scripts/vendor-assets.sh``); :func:`check_offline` rejects a page that would load anything
from another host.

The parts live in one module per concern, and their names stay importable from here:
``webmap.render_styles`` (palettes, style functions), ``webmap.render_legend`` (legend),
``webmap.render_basemap`` (tile layers), ``webmap.render_assets`` (vendored assets),
``webmap.render_features`` (GeoDataFrame to GeoJSON) and ``webmap.render_layers`` (overlay groups).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import folium
import folium.plugins

# Names of the render_* modules stay importable from here; private helpers that callers import
# (webmap.tiles_api uses _park_points) are re-exported with redundant aliases.
from webmap.render_assets import (
    CDN_PATTERN,
    FULLSCREEN_CSS,
    FULLSCREEN_JS,
    LEAFLET_CSS,
    LEAFLET_JS,
    MEASURE_CSS,
    MEASURE_JS,
    SEARCH_CSS,
    SEARCH_JS,
    VENDOR,
    _localise,
)
from webmap.render_basemap import BASEMAPS, _basemap
from webmap.render_features import _fc as _fc
from webmap.render_features import _park_points as _park_points
from webmap.render_features import _to_display as _to_display
from webmap.render_features import _with_geometry as _with_geometry
from webmap.render_layers import PARK_COLUMNS, PROJECT_COLUMNS, LayerRegistry
from webmap.render_legend import Legend, legend_html
from webmap.render_styles import (
    APPROX_DASH,
    PARK_KINDS,
    PROJECT_CATEGORIES,
    QUALITY,
    STATUSES,
    _style_district,
    _style_historic,
    _style_park,
    _style_project,
    _style_subdistrict,
)
from webmap.render_styles import _approx as _approx
from webmap.render_styles import _style_radius as _style_radius
from webmap.service import MapService
from webmap.service import UnavailableError as UnavailableError
from webmap.service import to_feature_collection as to_feature_collection

__all__ = [
    "APPROX_DASH",
    "BASEMAPS",
    "CDN_PATTERN",
    "FULLSCREEN_CSS",
    "FULLSCREEN_JS",
    "LEAFLET_CSS",
    "LEAFLET_JS",
    "MEASURE_CSS",
    "MEASURE_JS",
    "PARK_KINDS",
    "PROJECT_CATEGORIES",
    "QUALITY",
    "SEARCH_CSS",
    "SEARCH_JS",
    "STATUSES",
    "VENDOR",
    "Legend",
    "RenderedMap",
    "check_offline",
    "legend_html",
    "render_map",
]


@dataclass
class RenderedMap:
    """The pieces of a rendered folium figure, to place into the Flask template."""

    header: str
    html: str
    script: str
    names: dict[str, Any]


def _controls(m: folium.Map) -> folium.plugins.MeasureControl:
    """Fullscreen, measure (metres, m², km, ha) and layer controls; returns the measure control."""
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
    return measure


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
    b = sd.total_bounds  # lon/lat (WGS-84): the map opens on the study area's centre
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

    reg = LayerRegistry(m, basemap, tiled)
    reg.add(
        "district",
        "西城区界 District outline",
        service.try_layer("district"),
        "code",
        _style_district,
    )
    reg.add("subdistricts", "街道 Subdistricts", sd, "code", _style_subdistrict)
    reg.add(
        "historic_blocks",
        "历史文化街区 Historic blocks",
        service.try_layer("historic_blocks"),
        "block_id",
        _style_historic,
    )
    reg.tiled_or_lazy(
        "residential",
        "居住用地 Residential land",
        "parcel_id",
        "/api/layers/residential.geojson",
        False,
    )
    # Uncovered residential land and candidate sites depend on rule and year: app.js loads them from
    # the API into their groups.
    reg.radii(service)
    reg.tiled_or_lazy(
        "gaps",
        "未覆盖居住用地 Uncovered residential land",
        "gap_id",
        "/api/layers/gaps.geojson?rule={rule}&year={year}",
        True,
        per_rule=True,
    )
    parks = service.try_layer("parks")
    if parks is not None:
        parks = _park_points(parks)
    reg.add("parks", "公园 Parks", parks, "park_id", _style_park, point=True, columns=PARK_COLUMNS)
    reg.lazy(
        "candidates",
        "候选绿地（模型）Candidate sites (model)",
        "/api/layers/candidates.geojson?rule={rule}",
        False,
    )
    projects = service.try_layer("projects")
    reg.add(
        "projects",
        "更新与绿化项目 Projects",
        projects,
        "project_id",
        _style_project,
        point=True,
        columns=PROJECT_COLUMNS,
    )
    # A large street network is tiled; a small one is not drawn.
    reg.tiled_only("streets", "街巷 Streets", "street_id", False)

    measure = _controls(m)
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
        names=reg.names,
    )
    check_offline(rendered.header + rendered.html + rendered.script)
    return rendered


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
