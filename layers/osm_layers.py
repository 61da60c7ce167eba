"""OSM features → the polygon layers of a study area: parks, residential land, water.

Each builder takes a :class:`BuildContext` (the extract, the mapping of ``data/osm/mapping.toml``, the metric CRS,
the district and its units) and returns the layer in EPSG:4326 with its :class:`~layers.repair.Tally` (read,
kept, repaired, clipped, dropped, reasons). Used by :func:`layers.studyarea_build.build_study_area`; the line
and point layers (barriers, streets, places) are built by :mod:`layers.osm_lines`; both share
:mod:`layers.osm_polygons` (the context, the polygon pipeline) and :mod:`layers.osm_common`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.residential_units import split_by_units
from layers.osm_common import OSM_SHORT, dedupe, source_labels, to_wgs
from layers.osm_extract import Extract, osm_ref, select
from layers.osm_polygons import BuildContext
from layers.repair import Tally

__all__ = [
    "OSM_SHORT",
    "BuildContext",
    "parks_layer",
    "residential_layer",
    "water_layer",
]

# What a BBBike/Geofabrik `type`/`fclass` value stands for, as an OSM tag.
_BBBIKE_TAG = {
    "park": "leisure=park",
    "garden": "leisure=garden",
    "zoo": "tourism=zoo",
    "recreation_ground": "landuse=recreation_ground",
    "village_green": "landuse=village_green",
    "forest": "landuse=forest",
}


def _kind_guess(tag: str, area_m2: float, guess: Mapping[str, Any]) -> str:
    if tag == "tourism=zoo":
        return "special_park"
    if tag in ("landuse=forest", "natural=wood"):
        return "urban_forest"
    if tag in ("landuse=recreation_ground", "landuse=village_green"):
        return "other"
    if tag == "leisure=garden":
        return "garden"
    if area_m2 >= float(guess.get("comprehensive_park_min_m2", 100000)):
        return "comprehensive_park"
    if area_m2 >= float(guess.get("community_park_min_m2", 10000)):
        return "community_park"
    return "garden"


def _tag_of(row_key: str, row_value: str) -> str:
    if row_key:
        return f"{row_key}={row_value}"
    return _BBBIKE_TAG.get(row_value, f"type={row_value}")


def _assign_unit(geoms_m: np.ndarray, unit_m: gpd.GeoDataFrame) -> np.ndarray:
    """Code of the unit containing each geometry's representative point (None outside every unit)."""
    out = np.full(len(geoms_m), None, dtype=object)
    if not len(geoms_m):
        return out
    pts = shapely.point_on_surface(geoms_m)
    tree = shapely.STRtree(unit_m.geometry.values)
    left, right = tree.query(pts, predicate="within")
    codes = unit_m["code"].to_numpy(dtype=object)
    out[left] = codes[right]
    return out


def _parks_frame(
    extract: Extract,
    parks_m: gpd.GeoDataFrame,
    unit_m: gpd.GeoDataFrame,
    metric_crs: str,
    quality: str,
    rule: Mapping[str, Any],
    tally: Tally,
) -> gpd.GeoDataFrame:
    guess = rule.get("kind_guess", {})
    tags = [_tag_of(k, v) for k, v in zip(parks_m["key"], parks_m["value"], strict=True)]
    areas = parks_m["full_area_m2"].to_numpy(dtype=float)
    kinds = [_kind_guess(t, a, guess) for t, a in zip(tags, areas, strict=True)]
    codes = _assign_unit(parks_m.geometry.values, unit_m)
    names = dict(zip(unit_m["code"], unit_m["name_zh"], strict=True))
    rep = to_wgs(shapely.point_on_surface(parks_m.geometry.values), metric_crs)
    fee = ["unknown"] * len(parks_m)
    if "fee" in parks_m.columns:
        fee = [str(f) if str(f) in ("yes", "no") else "unknown" for f in parks_m["fee"]]
    ids = dedupe(parks_m["ref"].to_numpy(), tally)
    clipped = ~np.isclose(shapely.area(parks_m.geometry.values), areas, rtol=1e-9)
    notes = [
        f"kind_basis: guess: osm tag + size ({t}, {a / 1e4:.2f} ha)"
        + ("; area_m2 of the whole park, geometry clipped to the district + margin" if c else "")
        for t, a, c in zip(tags, areas, clipped, strict=True)
    ]
    tally.kept = len(parks_m)
    return gpd.GeoDataFrame(
        {
            "park_id": ids,
            "name_zh": parks_m["label"].to_numpy(),
            "kind": kinds,
            "subdistrict_code": codes,
            "subdistrict_zh": [names.get(c) if c else None for c in codes],
            "area_m2": np.round(areas, 1),
            "fee": fee,
            "status": "existing",
            "lon": np.round(rep.x.to_numpy(), 7),
            "lat": np.round(rep.y.to_numpy(), 7),
            "coord_datum_source": "WGS-84 (OpenStreetMap)",
            "note": notes,
            "source": source_labels(extract, parks_m),
            "geometry_quality": quality,
        },
        geometry=to_wgs(parks_m.geometry.values, metric_crs).values,
        crs="EPSG:4326",
    )


def _residential_frame(
    extract: Extract,
    res_m: gpd.GeoDataFrame,
    unit_m: gpd.GeoDataFrame,
    metric_crs: str,
    quality: str,
    tally: Tally,
) -> gpd.GeoDataFrame:
    """Residential land cut at the unit boundaries, so every piece belongs to one 街道."""
    if not len(res_m):
        tally.kept = 0
        return gpd.GeoDataFrame(
            {
                "parcel_id": [],
                "subdistrict_code": [],
                "population": [],
                "source": [],
                "geometry_quality": [],
            },
            geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        )
    cut = split_by_units(
        gpd.GeoDataFrame(
            {"parcel_id": res_m["ref"].to_numpy(dtype=object)},
            geometry=res_m.geometry.values,
            crs=metric_crs,
        ),
        unit_m,
    )
    if len(cut.split):
        tally.note(
            f"{len(cut.split)} parcels crossing a 街道 boundary split into one piece per 街道 (id@code)"
        )
    ids = dedupe(cut.pieces["parcel_id"].to_numpy(dtype=object), tally)
    src = source_labels(extract, res_m, cut.row)
    pieces = cut.pieces.geometry.values
    tally.kept = len(ids)
    return gpd.GeoDataFrame(
        {
            "parcel_id": ids,
            "subdistrict_code": cut.pieces["subdistrict_code"].to_numpy(dtype=object),
            "population": np.nan,
            "source": src,
            "geometry_quality": quality,
        },
        geometry=to_wgs(pieces, metric_crs).values,
        crs="EPSG:4326",
    )


# ------------------------------------------------------------------------------------------ layers
def parks_layer(ctx: BuildContext) -> tuple[gpd.GeoDataFrame, Tally]:
    """Parks: the mapping's tags, minus forest (unless counted), the exclusion list and non-public ones."""
    extract, prule = ctx.extract, ctx.mapping["parks"]
    rows = select(extract, prule)
    forest = select(extract, {**prule.get("forest_types", {})})
    ptally = Tally("parks")
    if prule.get("forest", "exclude") == "urban_forest":
        rows = gpd.GeoDataFrame(pd.concat([rows, forest], ignore_index=True), crs="EPSG:4326")
    elif len(forest):
        ptally.note(
            f'{len(forest)} forest polygons not counted as parks (mapping parks.forest = "exclude": '
            "tree cover, not a public park)"
        )
    ptally.read = len(rows)
    excl = {str(e["osm_id"]): str(e["reason"]) for e in prule.get("exclude", [])}
    hit = rows["osm_id"].astype(str).isin(list(excl)).to_numpy()
    for oid in rows.loc[hit, "osm_id"].astype(str):
        ptally.drop(1, f"exclusion list: osm {oid}: {excl[oid]}")
    for oid in sorted(set(excl) - set(rows["osm_id"].astype(str))):
        ptally.note(f"exclusion-list id {oid} not in the extract")
    rows = rows[~hit].reset_index(drop=True)
    if "access" in rows.columns:
        private = (
            rows["access"].astype(str).isin(list(prule.get("not_public_access", []))).to_numpy()
        )
        refs = [
            osm_ref(i, e)
            for i, e in zip(rows.loc[private, "osm_id"], rows.loc[private, "element"], strict=True)
        ]
        ptally.drop(int(private.sum()), "access=private|no: not public", refs)
        rows = rows[~private].reset_index(drop=True)
    else:
        ptally.note("the extract has no access tags: public access assumed for every park")
    parks_m, _ = ctx.polygons(rows, "parks", ptally, prule, 1000, "未命名公园 unnamed park")
    out = _parks_frame(extract, parks_m, ctx.units_m, ctx.metric_crs, ctx.quality, prule, ptally)
    return out, ptally


def residential_layer(ctx: BuildContext) -> tuple[gpd.GeoDataFrame, Tally]:
    """Residential land (``landuse=residential``; buildings when the mapping says so), clipped, per 街道."""
    extract, rrule = ctx.extract, ctx.mapping["residential"]
    rtally = Tally("residential")
    rows = select(extract, rrule)
    if rrule.get("buildings", "no") == "add":
        b = select(
            extract,
            {
                "tags": rrule.get("building_tags", {}),
                "bbbike": {"buildings": ["residential", "apartments", "house"]},
                "geofabrik": {"buildings": ["residential", "apartments", "house"]},
            },
        )
        rows = gpd.GeoDataFrame(pd.concat([rows, b], ignore_index=True), crs="EPSG:4326")
        rtally.note(f'{len(b)} residential buildings added (mapping residential.buildings = "add")')
    rtally.read = len(rows)
    res_m, _ = ctx.polygons(
        rows, "residential", rtally, rrule, 0, "未命名居住用地 unnamed residential land"
    )
    out = _residential_frame(extract, res_m, ctx.units_m, ctx.metric_crs, ctx.quality, rtally)
    return out, rtally


def water_layer(ctx: BuildContext) -> tuple[gpd.GeoDataFrame | None, Tally]:
    """Water areas (``natural=water`` …), clipped to the district plus margin."""
    extract, wrule = ctx.extract, ctx.mapping.get("water", {})
    wtally = Tally("water")
    wrows = select(extract, wrule)
    wtally.read = len(wrows)
    water_m, _ = ctx.polygons(wrows, "water", wtally, wrule, 1000, "未命名水体 unnamed water")
    wtally.kept = len(water_m)
    if not len(water_m):
        return None, wtally
    ids = dedupe(water_m["ref"].to_numpy(), wtally)
    out = gpd.GeoDataFrame(
        {
            "water_id": ids,
            "name_zh": water_m["label"].to_numpy(),
            "kind": water_m["value"].to_numpy(),
            "source": source_labels(extract, water_m),
            "geometry_quality": ctx.quality,
        },
        geometry=to_wgs(water_m.geometry.values, ctx.metric_crs).values,
        crs="EPSG:4326",
    )
    return out, wtally
