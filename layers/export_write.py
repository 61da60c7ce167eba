"""Export writers: RFC 7946 GeoJSON feature collections, CSV with a sidecar and GeoPackage.

Every writer takes the metadata record of :func:`layers.export_meta.export_metadata` and stores it:

* GeoJSON: a top-level foreign member ``"metadata"`` of the FeatureCollection (RFC 7946 §6.1);
* GeoPackage: a ``greenmap_metadata`` attribute table (``key``, ``value`` as JSON text) and GDAL dataset
  metadata (stored by GDAL in the standard ``gpkg_metadata`` table);
* CSV: a sidecar ``<stem>.meta.json`` next to the file.

Geometry is written in EPSG:4326 (WGS-84 lon/lat) with counter-clockwise exterior rings and 7 decimals
(about 1 cm).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.export_meta import progress
from layers.io import write_layer
from layers.schema import SCHEMAS

__all__ = ["feature_collection", "write_csv", "write_geojson", "write_gpkg"]


# ------------------------------------------------------------------------------------------ writers
def _json_value(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, pd.Timestamp | _dt.date):
        return v.isoformat()
    return v


def _round_geoms(geoms: np.ndarray, decimals: int = 7) -> np.ndarray:
    oriented = shapely.orient_polygons(geoms, exterior_cw=False)
    return shapely.transform(oriented, lambda xy: np.round(xy, decimals))


def feature_collection(
    gdf: gpd.GeoDataFrame,
    *,
    id_column: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    decimals: int = 7,
) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection as a dict (EPSG:4326, CCW exterior rings, rounded coordinates).

    Parameters
    ----------
    gdf : GeoDataFrame
        Features in any CRS (converted to EPSG:4326); missing geometry becomes ``null``.
    id_column : str, optional
        Column whose value becomes each feature's ``id``.
    metadata : mapping, optional
        Stored as the top-level foreign member ``"metadata"``.
    decimals : int
        Coordinate decimals (7 ≈ 1 cm).

    Examples
    --------
    >>> g = gpd.GeoDataFrame({"k": ["a", "b"], "n": [1.5, float("nan")]},
    ...     geometry=[shapely.box(0, 0, 1, 1), None], crs="EPSG:4326")
    >>> fc = feature_collection(g, id_column="k")
    >>> fc["features"][0]["id"], fc["features"][1]["geometry"], fc["features"][1]["properties"]["n"]
    ('a', None, None)
    >>> fc["features"][0]["geometry"]["coordinates"][0][:2]
    [[1.0, 0.0], [1.0, 1.0]]
    """
    g = gdf if gdf.crs is None else gdf.to_crs("EPSG:4326")
    geoms = np.asarray(g.geometry.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    texts = np.full(len(geoms), None, dtype=object)
    if present.any():
        texts[present] = shapely.to_geojson(_round_geoms(geoms[present], decimals))
    props = pd.DataFrame(g.drop(columns=g.geometry.name))
    cols = list(props.columns)
    rows = props.astype(object).to_numpy()
    features = []
    for i in range(len(g)):
        p = {c: _json_value(rows[i, j]) for j, c in enumerate(cols)}
        f: dict[str, Any] = {"type": "Feature"}
        if id_column is not None:
            f["id"] = p.get(id_column)
        f["properties"] = p
        f["geometry"] = json.loads(texts[i]) if texts[i] is not None else None
        features.append(f)
    out: dict[str, Any] = {"type": "FeatureCollection"}
    if metadata is not None:
        out["metadata"] = dict(metadata)
    out["features"] = features
    return out


def _key_of(name: str, df: pd.DataFrame) -> str | None:
    if name in SCHEMAS:
        return SCHEMAS[name].key
    for col in ("part_id", "radius_id", "row_id", "code"):
        if col in df.columns:
            return col
    return None


def write_geojson(
    gdf: gpd.GeoDataFrame, path: str | os.PathLike[str], metadata: Mapping[str, Any]
) -> Path:
    """Write RFC 7946 GeoJSON (via GDAL's RFC7946 writer) with a top-level ``"metadata"`` member.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer (any CRS; written in EPSG:4326, 7 decimals, counter-clockwise exterior rings).
    path : path
        Output file.
    metadata : mapping
        The record of :func:`export_metadata`.

    Returns
    -------
    Path
    """
    path = Path(path)
    write_layer(gdf, path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc.pop("crs", None)
    out = {"type": "FeatureCollection", "metadata": dict(metadata)}
    out.update({k: v for k, v in doc.items() if k != "type"})
    path.write_text(
        json.dumps(out, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n",
        encoding="utf-8",
    )
    return path


def _table_for_file(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(df).copy()
    for c in out.columns:
        if str(out[c].dtype) == "boolean":
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def write_csv(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    metadata: Mapping[str, Any],
    *,
    bom: bool = False,
    geometry: Literal["wkt", "none"] = "wkt",
) -> Path:
    """Write a table (or a layer's attributes) as UTF-8 CSV plus a sidecar ``<stem>.meta.json``.

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
        The table. A GeoDataFrame's geometry becomes a WKT ``geometry`` column in EPSG:4326 with 7 decimals
        (``geometry="wkt"``) or is dropped (``"none"``).
    path : path
        Output CSV.
    metadata : mapping
        The record of :func:`export_metadata`.
    bom : bool
        Start the file with a UTF-8 byte order mark, so Excel opens Chinese text correctly.
    geometry : {"wkt", "none"}

    Returns
    -------
    Path
        The CSV file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(df).copy()
    if isinstance(df, gpd.GeoDataFrame):
        gname = df.geometry.name
        g = df.to_crs("EPSG:4326") if df.crs is not None else df
        frame = frame.drop(columns=[gname])
        if geometry == "wkt":
            geoms = np.asarray(g.geometry.values, dtype=object)
            present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
            wkt = np.full(len(geoms), None, dtype=object)
            if present.any():
                wkt[present] = shapely.to_wkt(
                    _round_geoms(geoms[present]), rounding_precision=7, trim=True
                )
            frame["geometry"] = wkt
    frame.to_csv(path, index=False, encoding="utf-8-sig" if bom else "utf-8")
    meta = path.with_suffix(".meta.json")
    meta.write_text(
        json.dumps(dict(metadata), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return path


def write_gpkg(
    frames: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    metadata: Mapping[str, Any],
    *,
    show_progress: bool = False,
) -> Path:
    """Write layers and tables into one GeoPackage with a ``greenmap_metadata`` table.

    Parameters
    ----------
    frames : mapping of str to DataFrame/GeoDataFrame
        Layer/table name → data. GeoDataFrames become EPSG:4326 feature tables (layer names use ``_`` for
        ``-``); plain DataFrames attribute tables.
    path : path
        Output ``.gpkg`` (replaced if it exists).
    metadata : mapping
        The record of :func:`export_metadata`: stored as rows ``(key, value)`` of ``greenmap_metadata`` (value:
        JSON text) and as GDAL dataset metadata (``gpkg_metadata``).
    show_progress : bool
        Progress bar on stderr.

    Returns
    -------
    Path
    """
    import pyogrio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    flat = {k: json.dumps(v, ensure_ascii=False) for k, v in metadata.items()}
    md = pd.DataFrame({"key": list(flat), "value": list(flat.values())})
    # GeoPackage 1.3: readable without warnings by GDAL >= 2.2 (the bundled GDAL would write 1.4).
    pyogrio.write_dataframe(
        md,
        path,
        layer="greenmap_metadata",
        driver="GPKG",
        dataset_options={"VERSION": "1.3"},
        dataset_metadata={
            k: (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
            for k, v in metadata.items()
        },
        layer_metadata={"title": "GreenMap export metadata"},
    )
    items = list(frames.items())
    it: Iterable[tuple[str, pd.DataFrame]] = (
        progress(items, "gpkg", total=len(items)) if show_progress else items
    )
    for name, df in it:
        layer = name.replace("-", "_")
        layer_md = {"title": name, "source": "see the source column"}
        if isinstance(df, gpd.GeoDataFrame):
            g = df.to_crs("EPSG:4326") if df.crs is not None else df.set_crs("EPSG:4326")
            g = g.set_geometry(
                gpd.GeoSeries(
                    shapely.orient_polygons(np.asarray(g.geometry.values), exterior_cw=False),
                    index=g.index,
                    crs="EPSG:4326",
                )
            )
            gtypes = set(g.geometry.dropna().geom_type)
            promote = bool(gtypes) and gtypes <= {"Polygon", "MultiPolygon"}
            pyogrio.write_dataframe(
                _table_for_file(g).pipe(
                    gpd.GeoDataFrame, geometry=g.geometry.name, crs="EPSG:4326"
                ),
                path,
                layer=layer,
                driver="GPKG",
                append=True,
                promote_to_multi=promote or None,
                layer_metadata=layer_md,
            )
        else:
            pyogrio.write_dataframe(
                _table_for_file(df),
                path,
                layer=layer,
                driver="GPKG",
                append=True,
                layer_metadata=layer_md,
            )
    return path
