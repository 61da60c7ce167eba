"""Overlay layers of the map page: one folium ``FeatureGroup`` per layer and the JS name registry.

Each layer is drawn in one of three ways: embedded in the page as GeoJSON, served as vector tiles
(``/tiles/<layer>/{z}/{x}/{y}.mvt``, drawn by app.js with Leaflet.VectorGrid) or loaded lazily from the
API into its (empty) group by app.js. :class:`LayerRegistry` records which, under ``names``, for app.js.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import folium
import geopandas as gpd

from webmap.render_features import _fc, _to_display, _with_geometry
from webmap.render_styles import _style_radius
from webmap.service import MapService, UnavailableError

#: Park and project properties embedded in the page (what app.js's popups and filters read).
PARK_COLUMNS = [
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
PROJECT_COLUMNS = [
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
]


class LayerRegistry:
    """Adds overlay groups to a folium map and records their JS names for app.js.

    Parameters
    ----------
    m : folium.Map
        The map the groups are added to.
    basemap : str
        Basemap key; on ``"amap"`` embedded overlays are shifted to GCJ-02.
    tiled : collection of str
        Layers served as vector tiles: their groups stay empty in the page.

    Attributes
    ----------
    names : dict
        ``map`` (the map's JS name) and, per layer key, ``layers`` (GeoJson), ``groups``
        (FeatureGroup), ``rules`` (per-rule radii GeoJson), ``counts``, ``tiled`` and ``lazy`` (URLs);
        ``unavailable`` (reason per ``radii:<rule>``) when a rule's radii cannot be computed.
    """

    def __init__(self, m: folium.Map, basemap: str, tiled: Collection[str]) -> None:
        self.m = m
        self.basemap = basemap
        self.tiled = tiled
        self.names: dict[str, Any] = {
            "map": m.get_name(),
            "layers": {},
            "groups": {},
            "rules": {},
            "counts": {},
            "tiled": {},
            "lazy": {},
        }

    def _group(self, key: str, title: str, show: bool) -> folium.FeatureGroup:
        """A new group registered under ``key`` (not yet on the map)."""
        group = folium.FeatureGroup(name=title, show=show)
        self.names["groups"][key] = group.get_name()
        return group

    def _empty_group(self, key: str, title: str, show: bool) -> folium.FeatureGroup:
        """A registered group on the map that app.js fills (tiles or lazily loaded GeoJSON)."""
        group = self._group(key, title, show)
        group.add_to(self.m)
        return group

    def tiles(self, key: str, group: Any, id_col: str, per_rule: bool = False) -> None:
        """Register a tiled layer for app.js (its group stays empty in the page)."""
        url = f"/tiles/{key}/{{z}}/{{x}}/{{y}}.mvt" + (
            "?rule={rule}&year={year}" if per_rule else ""
        )
        self.names["tiled"][key] = {"group": group.get_name(), "url": url, "key": id_col}

    def add(
        self,
        key: str,
        title: str,
        gdf: gpd.GeoDataFrame | None,
        id_col: str,
        style: Callable[[dict], dict],
        *,
        show: bool = True,
        point: bool = False,
        columns: list[str] | None = None,
    ) -> None:
        """Add a layer embedded as GeoJSON (or as tiles if ``key`` is tiled); rows lacking geometry
        are counted, not drawn."""
        group = self._group(key, title, show)
        n_geom = len(_with_geometry(gdf)) if gdf is not None else 0
        self.names["counts"][key] = {
            "features": 0 if gdf is None else len(gdf),
            "with_geometry": n_geom,
        }
        if key in self.tiled and n_geom:
            self.tiles(key, group, id_col)
        elif gdf is not None and n_geom:
            fc = _fc(_to_display(gdf, self.basemap), id_col, key, columns)
            gj = folium.GeoJson(
                fc,
                style_function=style,
                marker=folium.CircleMarker(radius=6) if point else None,
                name=title,
                control=False,
            )
            gj.add_to(group)
            self.names["layers"][key] = gj.get_name()
        group.add_to(self.m)

    def lazy(self, key: str, title: str, url: str, show: bool) -> None:
        """Add an empty group that app.js fills from ``url`` (``{rule}``/``{year}`` substituted)."""
        group = self._empty_group(key, title, show)
        self.names["lazy"][key] = {"group": group.get_name(), "url": url}

    def tiled_or_lazy(
        self, key: str, title: str, id_col: str, url: str, show: bool, per_rule: bool = False
    ) -> None:
        """Serve ``key`` as vector tiles if it is tiled, else load it lazily from ``url``."""
        if key in self.tiled:
            self.tiles(key, self._empty_group(key, title, show), id_col, per_rule=per_rule)
        else:
            self.lazy(key, title, url, show)

    def tiled_only(self, key: str, title: str, id_col: str, show: bool) -> None:
        """Add ``key`` as vector tiles if it is tiled; otherwise the layer is not drawn at all."""
        if key in self.tiled:
            self.tiles(key, self._empty_group(key, title, show), id_col)

    def radii(self, service: MapService) -> None:
        """Park service radii: one GeoJson per rule (app.js shows the chosen rule's), or tiles."""
        rules = service.rules()
        group = self._group("radii", "公园服务半径 Park service radii", True)
        tiled = "radii" in self.tiled
        if tiled:
            self.tiles("radii", group, "park_id", per_rule=True)
        for r in rules:
            entry: dict[str, str] = {}
            if tiled:
                self.names["rules"][r["id"]] = entry
                continue
            try:
                radii = service.radii(r["id"])
                gj = folium.GeoJson(
                    _fc(_to_display(radii, self.basemap), "park_id", "radii"),
                    style_function=_style_radius,
                    control=False,
                )
                gj.add_to(group)
                entry["radii"] = gj.get_name()
            except UnavailableError as exc:
                self.names.setdefault("unavailable", {})[f"radii:{r['id']}"] = str(exc)
            self.names["rules"][r["id"]] = entry
        group.add_to(self.m)
