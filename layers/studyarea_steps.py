"""The steps of :func:`layers.studyarea_build.build_study_area` that are not a layer of their own.

Parameter checks, the district in the metric CRS, the street network named in ``[network]``, the
tagged park entrances, the layers inherited from a shipped area and the area's metadata. Each step
returns what it made and its notes; the build collects them into its report.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from layers.errors import LayerError, Problem
from layers.graphml_streets import read_street_edges
from layers.osm_extract import Extract
from layers.repair import Tally, polygonal
from layers.schema import SCHEMAS
from layers.studyarea import DATA_ROOT, StudyArea, check_area_name

__all__ = [
    "INHERITED_LAYERS",
    "NETWORK_NOTES",
    "area_meta",
    "check_build_params",
    "entrances_step",
    "inherited_layers",
    "metric_district",
    "network_edges",
]

#: Layers and tables an OSM-built area takes from the area it inherits from.
INHERITED_LAYERS = ("projects", "historic_blocks", "indicators", "indicator_definitions")
#: The note each network mode carries in the area's ``[network]`` table.
NETWORK_NOTES = {
    "drive": "drive network: no footways, pedestrian streets or many hutongs; walking distances "
    "computed on it are upper bounds",
    "walk": "walk network",
}


def check_build_params(
    name: str, geometry_quality: str, boundaries: object | None, inherit: str | None
) -> None:
    """Raise ValueError naming the parameter at fault (name, geometry_quality, boundaries)."""
    check_area_name(name)
    if (DATA_ROOT / "studyareas" / f"{name}.toml").exists():
        raise ValueError(f"name: '{name}' is a shipped study area; choose another name")
    from layers.schema import GEOMETRY_QUALITIES

    if geometry_quality not in GEOMETRY_QUALITIES or geometry_quality == "none":
        raise ValueError(
            f"geometry_quality: {geometry_quality!r} is not one of {GEOMETRY_QUALITIES[:-1]}"
        )
    if boundaries is None and inherit is None:
        raise ValueError(
            "boundaries: give a boundary file of the district's units, or inherit=AREA"
        )


def metric_district(district: gpd.GeoDataFrame, metric_crs: str) -> shapely.Geometry:
    """The district (WGS-84 GeoDataFrame) as one valid polygonal geometry in ``metric_crs`` (m)."""
    district_m = polygonal(
        shapely.make_valid(
            shapely.union_all(
                gpd.GeoSeries(district.geometry.values, crs="EPSG:4326").to_crs(metric_crs).values
            )
        )
    )
    assert district_m is not None
    return district_m


def network_edges(
    streets: str | os.PathLike[str] | None, network_mode: str | None
) -> tuple[gpd.GeoDataFrame | None, dict[str, str]]:
    """The edges of an OSMnx GraphML street network and its ``[network]`` table (both empty without).

    The mode defaults to ``walk`` when the file name says so, else ``drive``.
    """
    if streets is None:
        return None, {}
    spath = Path(streets)
    if spath.suffix.lower() != ".graphml":
        raise LayerError(
            [Problem(str(spath), None, None, "street network: expected an OSMnx .graphml file")]
        )
    edges = read_street_edges(spath)
    mode = network_mode or ("walk" if "walk" in spath.name.lower() else "drive")
    network = {
        "path": "network.graphml",
        "format": "graphml",
        "mode": mode,
        "note": NETWORK_NOTES.get(mode, ""),
    }
    return edges, network


def entrances_step(
    extract: Extract,
    parks: gpd.GeoDataFrame,
    metric_crs: str,
    cfg: Mapping[str, Any],
    entrances: str | os.PathLike[str] | None,
    geometry_quality: str,
) -> tuple[gpd.GeoDataFrame | None, Tally | None, str | None]:
    """Tagged park entrances (PBF nodes and/or a points file): the layer, its tally, or a note.

    Shapefile extracts carry no entrance points: then no layer, no tally and a note saying so.
    """
    if extract.layout == "pbf" or entrances is not None:
        from layers.osm_entrances import entrances_layer

        frame, tally = entrances_layer(
            parks,
            metric_crs,
            cfg,
            pbf=extract.path if extract.layout == "pbf" else None,
            file=entrances,
            quality=geometry_quality,
        )
        return frame, tally, None
    return (
        None,
        None,
        f"no tagged entrances in this area's data ({extract.layout} shapefiles carry no entrance "
        "points): network rules use pseudo-entrances only",
    )


def inherited_layers(
    base: StudyArea | None, units: gpd.GeoDataFrame
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The :data:`INHERITED_LAYERS` of shipped area ``base`` and the notes on them.

    ``projects`` are left out when their 街道 codes are not all among ``units["code"]``.
    """
    inherited: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    if base is None:
        return inherited, notes
    import layers as _layers

    codes = set(units["code"])
    base_codes = (
        set(_layers.read_layer("subdistricts", base)["code"])
        if "subdistricts" in base.layers
        else set()
    )
    for lname in INHERITED_LAYERS:
        if lname not in base.layers:
            continue
        if lname == "projects" and not codes >= base_codes:
            notes.append(
                f"projects of '{base.name}' not inherited: their 街道 codes are not all among the units of "
                "the boundary file"
            )
            continue
        frame = (
            _layers.read_table(lname, base)
            if SCHEMAS[lname].is_table
            else _layers.read_layer(lname, base)
        )
        inherited[lname] = frame
    if inherited:
        notes.append(f"inherited from '{base.name}' (not OpenStreetMap): {', '.join(inherited)}")
    return inherited, notes


def area_meta(
    name: str,
    base: StudyArea | None,
    metric_crs: str,
    district_m: shapely.Geometry,
    title_zh: str | None,
    title_en: str | None,
) -> dict[str, Any]:
    """The new area's TOML metadata; the extent is the district plus 2 km, in WGS-84 degrees."""
    extent_geom = shapely.buffer(district_m, 2000.0, quad_segs=4)
    w, s, e, n = gpd.GeoSeries([extent_geom], crs=metric_crs).to_crs("EPSG:4326").total_bounds
    extent = (round(float(w), 4), round(float(s), 4), round(float(e), 4), round(float(n), 4))
    return {
        "name": name,
        "title_zh": title_zh or (f"{base.title_zh}（OpenStreetMap）" if base else name),
        "title_en": title_en or (f"{base.title_en} (OpenStreetMap)" if base else name),
        "code": base.code if base else "",
        "metric_crs": metric_crs,
        "extent": extent,
        "official_area_km2": base.official_area_km2 if base else None,
        "default_rule": base.default_rule if base else "xicheng-2016",
    }
