"""Helpers every OSM layer builder shares: CRS moves, the per-feature source label, drops, ids.

Used by :mod:`layers.osm_polygons`, :mod:`layers.osm_layers` (parks, residential land, water) and
:mod:`layers.osm_lines` (barriers, streets, places).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.osm_extract import Extract
from layers.repair import Tally, dedupe_ids

__all__ = ["OSM_SHORT", "dedupe", "drop_rows", "source_labels", "to_metric", "to_wgs"]

OSM_SHORT = "© OpenStreetMap contributors (ODbL)"


def to_metric(geoms: Any, crs: str) -> np.ndarray:
    """EPSG:4326 geometries as an object array in the metric ``crs``."""
    return np.asarray(gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(crs).values, dtype=object)


def to_wgs(geoms: Any, crs: str) -> gpd.GeoSeries:
    """Geometries in ``crs`` as an EPSG:4326 GeoSeries."""
    return gpd.GeoSeries(geoms, crs=crs).to_crs("EPSG:4326")


def _source_label(extract: Extract, theme: str, value: str, key: str) -> str:
    what = (
        f"{key}={value}"
        if key
        else f"{theme} {'fclass' if extract.layout == 'geofabrik' else 'type'}={value}"
    )
    return f"{OSM_SHORT} · {extract.layout} extract {extract.path.name}: {what}"


def source_labels(extract: Extract, rows: pd.DataFrame, take: Any = None) -> list[str]:
    """:func:`_source_label` of every row of ``rows`` (columns ``theme``, ``value``, ``key``), or of
    the rows ``take`` (a boolean mask or positions)."""
    cols = [rows[c].to_numpy() for c in ("theme", "value", "key")]
    if take is not None:
        cols = [c[take] for c in cols]
    return [_source_label(extract, t, v, k) for t, v, k in zip(*cols, strict=True)]


def drop_rows(rows: pd.DataFrame, mask: np.ndarray, tally: Tally, why: str) -> Any:
    """``rows`` without the ``mask`` rows, counted as dropped for ``why``."""
    tally.drop(int(mask.sum()), why)
    return rows[~mask].reset_index(drop=True)


def dedupe(ids: np.ndarray, tally: Tally) -> np.ndarray:
    """``ids`` made unique with a ``#n`` suffix, the duplicates noted on ``tally``."""
    new, dups = dedupe_ids(list(ids))
    if dups:
        tally.note(f"duplicate ids resolved with a #n suffix: {', '.join(dups[:8])}")
    return new
