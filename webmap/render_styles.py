"""Map palettes and the folium style functions of the overlay layers.

The palettes (park kinds, project categories, statuses, geometry quality) are bilingual ``(zh, en, …)``
tuples shared by the style functions, the legend and the page template; colours are CSS hex strings.
Features whose ``geometry_quality`` is ``"approximate"`` are drawn dashed.
"""

from __future__ import annotations

from typing import Any

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


def _approx(props: dict[str, Any]) -> bool:
    return props.get("geometry_quality") == "approximate"


def _dash(props: dict[str, Any]) -> str | None:
    """Leaflet ``dashArray`` for a feature: dashed when its geometry is approximate."""
    return APPROX_DASH if _approx(props) else None


def _area_style(
    feature: dict, colour: str, fill_colour: str, fill_opacity: float
) -> dict[str, Any]:
    """Style of an outlined, lightly filled area layer (subdistricts, historic blocks)."""
    # Key order is part of the page: folium serialises the dict as is.
    return {
        "color": colour,
        "weight": 1.5,
        "fillColor": fill_colour,
        "fillOpacity": fill_opacity,
        "dashArray": _dash(feature["properties"]),
    }


def _style_district(feature: dict) -> dict:
    return {
        "color": "#222222",
        "weight": 3,
        "fill": False,
        "dashArray": _dash(feature["properties"]),
    }


def _style_subdistrict(feature: dict) -> dict:
    return _area_style(feature, "#555555", "#cccccc", 0.25)


def _style_historic(feature: dict) -> dict:
    return _area_style(feature, "#8c2d04", "#fdae6b", 0.35)


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
        "dashArray": _dash(p),
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
        "dashArray": _dash(p),
    }
