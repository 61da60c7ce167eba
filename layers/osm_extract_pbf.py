"""An ``.osm.pbf`` extract read into the themes of :class:`layers.osm_extract.Extract` (pyrosm).

One pyrosm query per tag key of each theme (:func:`layers.osm_pbf.query_by_key`), the keys and values
from ``data/osm/mapping.toml`` (:func:`pbf_filters`); every row keeps the key and the value that selected it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.errors import LayerError, Problem
from layers.osm_pbf import query_by_key, require_pyrosm

__all__ = ["pbf_filters", "read_pbf_themes"]


def pbf_filters(mapping: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """``{theme: {osm_key: [values]}}`` to query a PBF for, from the mapping's sections.

    >>> pbf_filters({"parks": {"tags": {"leisure": ["park"]}}, "residential": {}})
    {'parks': {'leisure': ['park']}}
    """
    parks = mapping["parks"]
    out = {
        "parks": dict(parks.get("tags", {})),
        "forest": dict(parks.get("forest_types", {}).get("tags", {})),
        "residential": dict(mapping["residential"].get("tags", {})),
        "water": dict(mapping.get("water", {}).get("tags", {})),
        "places": dict(mapping.get("places", {}).get("tags", {})),
    }
    if mapping["residential"].get("buildings", "no") == "add":
        out["buildings"] = dict(mapping["residential"].get("building_tags", {}))
    barriers: dict[str, list[str]] = {}
    for rule in mapping.get("barriers", {}).values():
        if isinstance(rule, dict):
            for k, vals in rule.get("tags", {}).items():
                barriers.setdefault(k, []).extend(vals)
    out["barriers"] = barriers
    return {k: v for k, v in out.items() if v}


def _rows(part: pd.DataFrame, key: str) -> gpd.GeoDataFrame:
    """A pyrosm result as extract rows: ``osm_id``, ``element``, ``name``, ``value``, ``key`` …"""
    part = part.reset_index(drop=True)
    none = np.full(len(part), None, dtype=object)
    cols = {
        "osm_id": part["id"].astype("int64").astype(str).to_numpy(dtype=object),
        "element": part.get("osm_type", pd.Series(["way"] * len(part))).astype(str).values,
        "name": part["name"].values if "name" in part.columns else none,
        "value": part[key].astype(str).values,
        "key": key,
        "tunnel": part["tunnel"].astype(str).isin(["yes", "building_passage"]).values
        if "tunnel" in part.columns
        else False,
    }
    for extra in ("access", "fee", "population"):
        cols[extra] = part[extra].values if extra in part.columns else none
    return gpd.GeoDataFrame(cols, geometry=part.geometry.values, crs="EPSG:4326")


def read_pbf_themes(
    p: Path, mapping: Mapping[str, Any], bbox: tuple[float, float, float, float] | None
) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, str]]:
    """The PBF's features per theme (EPSG:4326), one row per OSM element, and theme → file.

    Raises
    ------
    LayerError
        pyrosm is not installed, or the file cannot be read (named).
    """
    pyrosm = require_pyrosm(str(p))
    themes: dict[str, gpd.GeoDataFrame] = {}
    files: dict[str, str] = {}
    try:
        osm = pyrosm.OSM(str(p), bounding_box=list(bbox) if bbox else None)
        for theme, flt in pbf_filters(mapping).items():
            found = query_by_key(
                osm,
                {k: list(v) for k, v in flt.items()},
                keep_nodes=theme == "places",
                keep_ways=True,
                keep_relations=True,
            )
            if found:
                parts = [_rows(part, key) for key, part in found.items()]
                gdf = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
                themes[theme] = gdf.drop_duplicates(subset=["element", "osm_id"]).reset_index(
                    drop=True
                )
                files[theme] = str(p)
    except LayerError:
        raise
    except Exception as exc:  # pyrosm raises many types on a corrupt file
        raise LayerError([Problem(str(p), None, None, f"cannot read OSM PBF: {exc}")]) from exc
    return themes, files
