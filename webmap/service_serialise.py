"""JSON-ready rows and GeoJSON FeatureCollections (EPSG:4326) of the frames the web map serves."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely


def _plain(value: Any) -> Any:
    """A JSON-ready Python value: NaN/NA → None, numpy scalars → Python scalars."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def records(df: pd.DataFrame, columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Rows of ``df`` (without geometry) as JSON-ready dicts.

    >>> records(pd.DataFrame({"a": [1, None], "b": ["x", None]}))
    [{'a': 1.0, 'b': 'x'}, {'a': None, 'b': None}]
    """
    cols = [c for c in (columns or df.columns) if c in df.columns and c != "geometry"]
    if isinstance(df, gpd.GeoDataFrame):
        cols = [c for c in cols if c != df.geometry.name]
    data = df[cols].to_dict(orient="list")
    n = len(df)
    return [{c: _plain(data[c][i]) for c in cols} for i in range(n)]


def to_feature_collection(
    gdf: gpd.GeoDataFrame, columns: Iterable[str] | None = None, precision: int = 6
) -> dict[str, Any]:
    """GeoJSON FeatureCollection of ``gdf`` (EPSG:4326), coordinates rounded to ``precision`` decimals.

    Features without geometry are kept with ``"geometry": null``.

    >>> from shapely import Point
    >>> g = gpd.GeoDataFrame({"k": ["a"]}, geometry=[Point(116.1234567, 39.9)], crs=4326)
    >>> to_feature_collection(g)["features"][0]["geometry"]["coordinates"]
    [116.123457, 39.9]
    """
    props = records(gdf, columns)
    geoms = np.asarray(gdf.geometry.values)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    rounded = shapely.set_precision(geoms, 10.0**-precision, mode="pointwise")
    texts = shapely.to_geojson(rounded)
    feats: list[dict[str, Any]] = []
    for i, p in enumerate(props):
        g = None if missing[i] else json.loads(texts[i])
        feats.append({"type": "Feature", "properties": p, "geometry": g})
    return {"type": "FeatureCollection", "features": feats}
