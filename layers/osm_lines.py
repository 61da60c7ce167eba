"""OSM features → the line and point layers of a study area: barriers, streets, places.

Like :mod:`layers.osm_layers` (whose :class:`~layers.osm_layers.BuildContext` and helpers they use), each
builder returns the layer in EPSG:4326 with its :class:`~layers.repair.Tally`. Barriers (rail outside
tunnels, rivers, canals, motorways and trunk roads) and streets (named centrelines, one per name) take
the GraphML street network's edges when given, else the extract's roads. Lengths in metres, measured in
the study area's metric CRS.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.osm_common import OSM_SHORT, dedupe, drop_rows, source_labels, to_metric, to_wgs
from layers.osm_extract import Extract, osm_ref, select
from layers.osm_polygons import BuildContext
from layers.repair import Tally, clip_to, repair_invalid

__all__ = ["barriers_layer", "places_layer", "streets_layer"]


def _lines(
    rows: gpd.GeoDataFrame, metric_crs: str, zone: shapely.Geometry, tally: Tally, what: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    what = f"{what} " if what else ""
    tid = shapely.get_type_id(rows.geometry.values)
    lines = np.isin(tid, (1, 5))
    tally.drop(int((~lines).sum()), f"{what}not a line")
    metric = to_metric(rows.geometry.values, metric_crs)
    metric, repaired, _ = repair_invalid(metric, "line")
    tally.repaired += int(repaired.sum())
    geoms, cut, outside = clip_to(metric, zone, "line")
    outside &= lines
    tally.drop(int(outside.sum()), f"{what}outside the district plus margin")
    keep = lines & ~outside & ~shapely.is_empty(geoms)
    tally.clipped += int((cut & keep).sum())
    return geoms, keep


def _barriers(
    extract: Extract,
    rules: Mapping[str, Any],
    edges: gpd.GeoDataFrame | None,
    metric_crs: str,
    region: Callable[[float], shapely.Geometry],
    quality: str,
    tally: Tally,
) -> gpd.GeoDataFrame | None:
    zone = region(float(rules.get("clip_margin_m", 1000)))
    frames = []
    for kind, rule in rules.items():
        if not isinstance(rule, Mapping):
            continue
        rows = select(extract, rule)
        if kind in ("motorway", "trunk") and edges is not None:
            continue  # taken from the street network below
        if not len(rows):
            continue
        tally.read += len(rows)
        if "tunnel" in rows.columns:
            tun = rows["tunnel"].fillna(False).astype(bool).to_numpy()
            rows = drop_rows(rows, tun, tally, f"{kind} in tunnels: no barrier at the surface")
        elif kind == "rail":
            tally.note(
                "no tunnel column in the extract: every 'rail' segment kept (subways left out by the mapping)"
            )
        geoms, keep = _lines(rows, metric_crs, zone, tally, kind)
        refs = [osm_ref(i, e) for i, e in zip(rows["osm_id"], rows["element"], strict=True)]
        frames.append(
            pd.DataFrame(
                {
                    "barrier_id": np.asarray(refs, dtype=object)[keep],
                    "name_zh": rows["name"].to_numpy(dtype=object)[keep],
                    "kind": kind,
                    "osm_type": rows["value"].to_numpy(dtype=object)[keep],
                    "source": source_labels(extract, rows, keep),
                    "geometry": geoms[keep],
                }
            )
        )
    if edges is not None:
        mw = edges[edges["highway"].isin(["motorway", "trunk"])].reset_index(drop=True)
        tally.read += len(mw)
        tun = mw["tunnel"].to_numpy(dtype=bool)
        mw = drop_rows(mw, tun, tally, "motorway/trunk in tunnels: no barrier at the surface")
        geoms, keep = _lines(mw, metric_crs, zone, tally, "motorway/trunk")
        ids = [f"graphml:{u}-{v}" for u, v in zip(mw["u"], mw["v"], strict=True)]
        frames.append(
            pd.DataFrame(
                {
                    "barrier_id": np.asarray(ids, dtype=object)[keep],
                    "name_zh": mw["name"].to_numpy(dtype=object)[keep],
                    "kind": mw["highway"].to_numpy(dtype=object)[keep],
                    "osm_type": mw["highway"].to_numpy(dtype=object)[keep],
                    "source": f"{OSM_SHORT} · OSMnx street network: highway=motorway|trunk",
                    "geometry": geoms[keep],
                }
            )
        )
    if not frames:
        tally.note("no rail, river, canal or motorway in the sources")
        return None
    df = pd.concat(frames, ignore_index=True)
    df["barrier_id"] = dedupe(df["barrier_id"].to_numpy(), tally)
    df["geometry_quality"] = quality
    tally.kept = len(df)
    geom = to_wgs(df.pop("geometry").to_numpy(), metric_crs)
    return gpd.GeoDataFrame(df, geometry=geom.values, crs="EPSG:4326")


def _streets(
    extract: Extract,
    rule: Mapping[str, Any],
    edges: gpd.GeoDataFrame | None,
    streets_path: str | os.PathLike[str] | None,
    metric_crs: str,
    region: Callable[[float], shapely.Geometry],
    quality: str,
    tally: Tally,
) -> gpd.GeoDataFrame | None:
    zone = region(float(rule.get("clip_margin_m", 1000)))
    highways = set(rule.get("highway", []))
    if edges is not None:
        src = f"{OSM_SHORT} · OSMnx street network {Path(streets_path or '').name}"
        rows = edges.rename(columns={"highway": "value"})
    elif "roads" in extract.themes:
        rows = extract.themes["roads"]
        src = f"{OSM_SHORT} · {extract.layout} extract {extract.path.name}: roads"
    else:
        tally.note("no street network given and the extract has no roads layer: no streets layer")
        return None
    tally.read = len(rows)
    unnamed = rows["name"].isna().to_numpy()
    rows = drop_rows(rows, unnamed, tally, "edges without a street name (a gazetteer needs names)")
    other = (
        ~rows["value"].isin(list(highways)).to_numpy() if highways else np.zeros(len(rows), bool)
    )
    rows = drop_rows(rows, other, tally, "highway class not in mapping streets.highway")
    geoms, keep = _lines(rows, metric_crs, zone, tally, "named edges")
    rows = rows[keep].reset_index(drop=True)
    geoms = geoms[keep]
    out = []
    for nm, idx in rows.groupby("name").indices.items():
        merged = shapely.line_merge(shapely.union_all(geoms[idx]))
        hw = rows["value"].iloc[idx].value_counts().index[0]
        out.append((str(nm), hw, merged))
    tally.note(f"{len(rows)} named edges merged into {len(out)} streets, one per name")
    tally.kept = len(out)
    geom = to_wgs([g for *_x, g in out], metric_crs)
    return gpd.GeoDataFrame(
        {
            "street_id": [f"street:{n}" for n, _h, _g in out],
            "name_zh": [n for n, _h, _g in out],
            "highway": [h for _n, h, _g in out],
            "length_m": np.round(shapely.length(np.array([g for *_x, g in out], dtype=object)), 1),
            "source": src,
            "geometry_quality": quality,
        },
        geometry=geom.values,
        crs="EPSG:4326",
    )


def _places(
    extract: Extract,
    rule: Mapping[str, Any],
    metric_crs: str,
    region: Callable[[float], shapely.Geometry],
    quality: str,
    tally: Tally,
) -> gpd.GeoDataFrame | None:
    rows = select(extract, rule)
    tally.read = len(rows)
    if not len(rows):
        tally.note("no places in the extract")
        return None
    pts = np.isin(shapely.get_type_id(rows.geometry.values), (0,))
    rows = drop_rows(rows, ~pts, tally, "not a point")
    rows = drop_rows(rows, rows["name"].isna().to_numpy(), tally, "no name")
    metric = to_metric(rows.geometry.values, metric_crs)
    inside = shapely.intersects(region(float(rule.get("clip_margin_m", 1000))), metric)
    rows = drop_rows(rows, ~inside, tally, "outside the district plus margin")
    element = ["node" if extract.layout != "pbf" else e for e in rows["element"]]
    ids = dedupe(
        np.array(
            [osm_ref(i, e) for i, e in zip(rows["osm_id"], element, strict=True)], dtype=object
        ),
        tally,
    )
    pop = (
        pd.to_numeric(rows["population"], errors="coerce")
        if "population" in rows.columns
        else np.nan
    )
    tally.kept = len(rows)
    return gpd.GeoDataFrame(
        {
            "place_id": ids,
            "name_zh": rows["name"].astype(str).to_numpy(),
            "kind": rows["value"].to_numpy(),
            "population": pop,
            "source": source_labels(extract, rows),
            "geometry_quality": quality,
        },
        geometry=rows.geometry.values,
        crs="EPSG:4326",
    )


def barriers_layer(
    ctx: BuildContext, edges: gpd.GeoDataFrame | None
) -> tuple[gpd.GeoDataFrame | None, Tally]:
    """Rail outside tunnels, rivers and canals, motorways and trunk roads (from the network when given)."""
    tally = Tally("barriers")
    out = _barriers(
        ctx.extract,
        ctx.mapping.get("barriers", {}),
        edges,
        ctx.metric_crs,
        ctx.region,
        ctx.quality,
        tally,
    )
    return out, tally


def streets_layer(
    ctx: BuildContext, edges: gpd.GeoDataFrame | None, path: str | os.PathLike[str] | None
) -> tuple[gpd.GeoDataFrame | None, Tally]:
    """Named centrelines, one feature per name, from the GraphML edges or the extract's roads."""
    tally = Tally("streets")
    out = _streets(
        ctx.extract, ctx.mapping.get("streets", {}), edges, path, ctx.metric_crs, ctx.region,
        ctx.quality, tally,
    )  # fmt: skip
    return out, tally


def places_layer(ctx: BuildContext) -> tuple[gpd.GeoDataFrame | None, Tally]:
    """Named points (``place=*``) in the district plus margin."""
    tally = Tally("places")
    out = _places(
        ctx.extract, ctx.mapping.get("places", {}), ctx.metric_crs, ctx.region, ctx.quality, tally
    )
    return out, tally
