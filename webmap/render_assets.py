"""Local (vendored) front-end assets that replace the CDN scripts and stylesheets folium references.

Everything is served from ``/static/vendor/`` (copied from the npm registry's packages by
``scripts/vendor-assets.sh``); ``CDN_PATTERN`` finds a ``src``/``href`` that points at another host.
"""

from __future__ import annotations

import re
from typing import Any

import folium
import folium.plugins

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
#: A ``src``/``href`` attribute that loads from another host (``//host``, ``http(s)://host``).
CDN_PATTERN = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)

#: Plugin class -> its local (js, css); the first matching class wins.
_PLUGIN_ASSETS: tuple[tuple[type[Any], list[tuple[str, str]], list[tuple[str, str]]], ...] = (
    (folium.plugins.Fullscreen, FULLSCREEN_JS, FULLSCREEN_CSS),
    (folium.plugins.MeasureControl, MEASURE_JS, MEASURE_CSS),
)


def _use_local_assets(el: Any) -> None:
    """Point a plugin element's ``default_js``/``default_css`` at the vendored copies."""
    for cls, js, css in _PLUGIN_ASSETS:
        if isinstance(el, cls):
            el.default_js, el.default_css = js, css
            return


def _localise(m: folium.Map, *elements: Any) -> None:
    # Plugins keep their own default_js/_css: fix the given elements and every direct child of the map.
    for el in (m, *elements):
        _use_local_assets(el)
    for child in m._children.values():
        _use_local_assets(child)
