"""OSM features → the polygon layers of a study area: parks, residential land, water.

Each builder takes a :class:`BuildContext` (the extract, the mapping of ``data/osm/mapping.toml``, the metric CRS,
the district and its units) and returns the layer in EPSG:4326 with its :class:`~layers.repair.Tally` (read,
kept, repaired, clipped, dropped, reasons). Used by :func:`layers.studyarea_build.build_study_area`; the line
and point layers (barriers, streets, places) are built by :mod:`layers.osm_lines` with the helpers here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.osm_extract import Extract, osm_ref, select
from layers.repair import (
    Tally,
    clip_to,
    dedupe_ids,
    drop_absurd,
    label_unnamed,
    polygonal,
    repair_invalid,
)

__all__ = [
    "OSM_SHORT",
    "BuildContext",
    "parks_layer",
    "residential_layer",
    "water_layer",
]

OSM_SHORT = "© OpenStreetMap contributors (ODbL)"
# What a BBBike/Geofabrik `type`/`fclass` value stands for, as an OSM tag.
_BBBIKE_TAG = {
    "park": "leisure=park",
    "garden": "leisure=garden",
    "zoo": "tourism=zoo",
    "recreation_ground": "landuse=recreation_ground",
    "village_green": "landuse=village_green",
    "forest": "landuse=forest",
}


@dataclass
class BuildContext:
    """What every layer builder needs.

    Attributes
    ----------
    extract : Extract
        The OSM extract read by :func:`layers.osm_extract.read_extract`.
    mapping : mapping
        ``data/osm/mapping.toml`` as loaded by :func:`layers.osm_extract.load_mapping`.
    metric_crs : str
        Projected CRS (metres) of the study area.
    district_m : shapely geometry
        The district in ``metric_crs``.
    units_m : GeoDataFrame
        The units (街道; ``code``, ``name_zh``) in ``metric_crs``.
    quality : str
        ``geometry_quality`` of every feature built.
    """

    extract: Extract
    mapping: Mapping[str, Any]
    metric_crs: str
    district_m: shapely.Geometry
    units_m: gpd.GeoDataFrame
    quality: str = "osm"

    def region(self, margin: float) -> shapely.Geometry:
        """The district, or the district grown by ``margin`` metres."""
        if margin <= 0:
            return self.district_m
        return shapely.buffer(self.district_m, margin, quad_segs=16)

    def label(self, layer: str, default: str) -> str:
        return str(self.mapping.get("unnamed", {}).get(layer, default))

    def polygons(
        self,
        rows: gpd.GeoDataFrame,
        layer: str,
        tally: Tally,
        rule: Mapping[str, Any],
        margin: float,
        unnamed: str,
    ) -> tuple[gpd.GeoDataFrame, np.ndarray]:
        """:func:`_polygon_layer` of ``rows`` clipped to the district plus the rule's
        ``clip_margin_m`` (default ``margin``), unnamed features labelled ``unnamed``."""
        region = self.region(float(rule.get("clip_margin_m", margin)))
        return _polygon_layer(
            self.extract,
            rows,
            layer,
            tally,
            self.metric_crs,
            region,
            rule,
            self.label(layer, unnamed),
        )


def _metric(geoms: Any, crs: str) -> np.ndarray:
    return np.asarray(gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(crs).values, dtype=object)


def _wgs(geoms: Any, crs: str) -> gpd.GeoSeries:
    return gpd.GeoSeries(geoms, crs=crs).to_crs("EPSG:4326")


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


def _source_label(extract: Extract, theme: str, value: str, key: str) -> str:
    what = (
        f"{key}={value}"
        if key
        else f"{theme} {'fclass' if extract.layout == 'geofabrik' else 'type'}={value}"
    )
    return f"{OSM_SHORT} · {extract.layout} extract {extract.path.name}: {what}"


def _source_labels(extract: Extract, rows: pd.DataFrame, take: Any = None) -> list[str]:
    """:func:`_source_label` of every row of ``rows`` (columns ``theme``, ``value``, ``key``), or of
    the rows ``take`` (a boolean mask or positions)."""
    cols = [rows[c].to_numpy() for c in ("theme", "value", "key")]
    if take is not None:
        cols = [c[take] for c in cols]
    return [_source_label(extract, t, v, k) for t, v, k in zip(*cols, strict=True)]


def _drop_rows(rows: pd.DataFrame, mask: np.ndarray, tally: Tally, why: str) -> Any:
    """``rows`` without the ``mask`` rows, counted as dropped for ``why``."""
    tally.drop(int(mask.sum()), why)
    return rows[~mask].reset_index(drop=True)


# ------------------------------------------------------------------------------------------ polygon layers
def _polygon_layer(
    extract: Extract,
    rows: gpd.GeoDataFrame,
    layer: str,
    tally: Tally,
    metric_crs: str,
    region: shapely.Geometry,
    rule: Mapping[str, Any],
    unnamed_label: str,
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Repaired, absurd-free, clipped polygons in the metric CRS, with ``ref``, ``label``, ``full_area_m2``.

    ``tally.read`` is the caller's to set (it may have dropped features before).
    """
    if not len(rows):
        return rows.assign(ref=[], label=[], full_area_m2=[]).set_crs(
            metric_crs, allow_override=True
        ), np.array([])
    tid = shapely.get_type_id(rows.geometry.values)
    non_poly = ~np.isin(tid, (3, 6))
    rows = _drop_rows(rows, non_poly, tally, "not a polygon (points/lines of a polygon layer)")
    ccw = shapely.is_ccw(shapely.get_exterior_ring(shapely.get_geometry(rows.geometry.values, 0)))
    if (~ccw).any():
        tally.note(
            f"{int((~ccw).sum())} exterior rings clockwise (shapefile order): written counter-clockwise "
            "(RFC 7946)"
        )
    geoms, repaired, reasons = repair_invalid(rows.geometry.values, "polygon")
    refs = np.array(
        [osm_ref(i, e) for i, e in zip(rows["osm_id"], rows["element"], strict=True)], dtype=object
    )
    if repaired.any():
        tally.repaired += int(repaired.sum())
        kinds = sorted({r.split("[")[0].strip() for r in reasons})
        ids = ", ".join(refs[repaired][:8])
        tally.note(
            f"repaired {int(repaired.sum())} invalid geometries with make_valid ({'; '.join(kinds)}: {ids})"
        )
    metric = _metric(geoms, metric_crs)
    empty = shapely.is_empty(metric) | (shapely.area(metric) <= 0)
    tally.drop(int(empty.sum()), "empty after repair", refs[empty])
    max_extent = float(rule.get("max_extent_m", 10000))
    absurd, ext = drop_absurd(metric, max_extent)
    absurd &= ~empty
    for i in np.flatnonzero(absurd):
        tally.drop(
            1,
            f"{refs[i]} spans {ext[i] / 1000:.1f} km, more than max_extent_m = {max_extent:g} m for "
            f"layer {layer}: a broken geometry",
        )
    keep = ~(empty | absurd)
    full_area = shapely.area(metric)
    clipped_geoms, cut, outside = clip_to(metric, region, "polygon")
    outside &= keep
    margin = float(rule.get("clip_margin_m", 0))
    where = "the district" + (f" plus {margin:g} m" if margin else "")
    tally.drop(int(outside.sum()), f"outside {where}")
    keep &= ~outside
    tally.clipped += int((cut & keep).sum())
    if (cut & keep).any():
        tally.note(f"clipped {int((cut & keep).sum())} features crossing {where}")
    out = gpd.GeoDataFrame(
        rows.drop(columns="geometry")
        .assign(ref=refs, full_area_m2=full_area)[keep]
        .reset_index(drop=True),
        geometry=gpd.GeoSeries(clipped_geoms[keep], crs=metric_crs).values,
        crs=metric_crs,
    )
    labels, n_unnamed = label_unnamed(out["name"].to_numpy(), out["ref"].to_numpy(), unnamed_label)
    out["label"] = labels
    if n_unnamed:
        tally.note(f"{n_unnamed} without a name labelled '{unnamed_label} · osm:…'")
    return out, keep


def _dedupe(ids: np.ndarray, tally: Tally) -> np.ndarray:
    new, dups = dedupe_ids(list(ids))
    if dups:
        tally.note(f"duplicate ids resolved with a #n suffix: {', '.join(dups[:8])}")
    return new


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
    rep = _wgs(shapely.point_on_surface(parks_m.geometry.values), metric_crs)
    fee = ["unknown"] * len(parks_m)
    if "fee" in parks_m.columns:
        fee = [str(f) if str(f) in ("yes", "no") else "unknown" for f in parks_m["fee"]]
    ids = _dedupe(parks_m["ref"].to_numpy(), tally)
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
            "source": _source_labels(extract, parks_m),
            "geometry_quality": quality,
        },
        geometry=_wgs(parks_m.geometry.values, metric_crs).values,
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
    tree = shapely.STRtree(unit_m.geometry.values)
    left, right = tree.query(res_m.geometry.values, predicate="intersects")
    pieces = shapely.intersection(res_m.geometry.values[left], unit_m.geometry.values[right])
    pieces = np.array([polygonal(g) for g in pieces], dtype=object)
    ok = ~shapely.is_empty(pieces) & (shapely.area(pieces) > 0.01)
    left, right, pieces = left[ok], right[ok], pieces[ok]
    counts = np.bincount(left, minlength=len(res_m))
    split = int((counts > 1).sum())
    if split:
        tally.note(
            f"{split} parcels crossing a 街道 boundary split into one piece per 街道 (id@code)"
        )
    refs = res_m["ref"].to_numpy(dtype=object)
    codes = unit_m["code"].to_numpy(dtype=object)
    ids = np.array(
        [
            f"{refs[i]}@{codes[j]}" if counts[i] > 1 else refs[i]
            for i, j in zip(left, right, strict=True)
        ],
        dtype=object,
    )
    ids = _dedupe(ids, tally)
    src = _source_labels(extract, res_m, left)
    tally.kept = len(ids)
    return gpd.GeoDataFrame(
        {
            "parcel_id": ids,
            "subdistrict_code": codes[right],
            "population": np.nan,
            "source": src,
            "geometry_quality": quality,
        },
        geometry=_wgs(pieces, metric_crs).values,
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
    ids = _dedupe(water_m["ref"].to_numpy(), wtally)
    out = gpd.GeoDataFrame(
        {
            "water_id": ids,
            "name_zh": water_m["label"].to_numpy(),
            "kind": water_m["value"].to_numpy(),
            "source": _source_labels(extract, water_m),
            "geometry_quality": ctx.quality,
        },
        geometry=_wgs(water_m.geometry.values, ctx.metric_crs).values,
        crs="EPSG:4326",
    )
    return out, wtally
