"""Layer file formats: reading GeoJSON, GeoPackage, Shapefile, FlatGeobuf and CSV, and writing them.

Reading here is raw: columns come back as the file has them (CSV as text) and in the file's own CRS;
validation against a schema is :func:`layers.io.load_file`'s job. Any read failure becomes a
:class:`~layers.errors.LayerError` naming the file (and the row, for bad CSV WKT).

Examples
--------
>>> import tempfile
>>> tmp = Path(tempfile.mkdtemp())
>>> gdf = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(116.36, 39.91)], crs="EPSG:4326")
>>> path = write_layer(gdf, tmp / "one.csv")
>>> path.read_text(encoding="utf-8").splitlines()
['id,geometry', 'a,POINT (116.36 39.91)']
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import LayerError, Problem
from layers.io_problems import file_error
from layers.schema import LayerSchema

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".fgb", ".zip"}


def _read_raw(path: Path, schema: LayerSchema, layer: str | None) -> pd.DataFrame:
    """Read ``path`` as it is: a DataFrame for tables, a GeoDataFrame (file CRS, maybe none) otherwise.

    Notes made by a lenient GeoJSON read (e.g. rings closed) are left in ``attrs["changes"]``.
    """
    name = str(path)
    if not path.exists():
        raise file_error(name, None, "file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
            if schema.is_table:
                return df
            return _csv_to_gdf(df, name)
        if suffix in VECTOR_SUFFIXES or path.is_dir():
            return _read_vector(path, suffix, layer)
    except LayerError:
        raise
    except UnicodeDecodeError as exc:
        raise file_error(name, None, f"not UTF-8 text: {exc}") from exc
    except (
        Exception
    ) as exc:  # pyogrio/pandas raise many types; the user needs the message, not a trace
        raise file_error(name, None, f"cannot read file: {exc}") from exc
    raise file_error(
        name, None, f"unsupported file type '{suffix}' (use .geojson .gpkg .shp .fgb .csv)"
    )


def _read_vector(path: Path, suffix: str, layer: str | None) -> gpd.GeoDataFrame:
    """GDAL read (``layer`` picks a GeoPackage table), falling back to a lenient JSON reader."""
    kwargs: dict[str, Any] = {"engine": "pyogrio"}
    if layer is not None:
        kwargs["layer"] = layer
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Non closed ring")
            # JSON-valued text columns (e.g. location_matches) stay text: that is what we want.
            warnings.filterwarnings("ignore", message="Could not parse column")
            return gpd.read_file(path, **kwargs)
    except Exception as gdal_exc:
        if suffix not in (".geojson", ".json"):
            raise
        # GDAL refuses e.g. unclosed rings: a plain JSON reader closes them and says so.
        from layers.repair import read_json_lenient

        try:
            gdf, notes = read_json_lenient(path)
        except LayerError as exc:
            if any(p.row is not None for p in exc.problems):
                raise  # a feature at fault: its row is more use than GDAL's message
            raise gdal_exc from None
        gdf.attrs["changes"] = notes
        return gdf


def _csv_to_gdf(df: pd.DataFrame, name: str) -> gpd.GeoDataFrame:
    """CSV with a WKT ``geometry`` column, or ``lon``/``lat`` columns, or no geometry at all."""
    if "geometry" in df.columns:
        wkt = df.pop("geometry").replace("", None)
        geoms = np.empty(len(wkt), dtype=object)
        problems = []
        for i, text in enumerate(wkt):
            if text is None:
                continue
            try:
                geoms[i] = shapely.from_wkt(text)
            except shapely.errors.GEOSException as exc:
                problems.append(Problem(name, i + 1, "geometry", f"not valid WKT: {exc}"))
        if problems:
            raise LayerError(problems)
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms), crs=None)
    if {"lon", "lat"} <= set(df.columns):
        lon = pd.to_numeric(df["lon"].replace("", None), errors="coerce")
        lat = pd.to_numeric(df["lat"].replace("", None), errors="coerce")
        pts = gpd.points_from_xy(lon, lat)
        pts[lon.isna().to_numpy() | lat.isna().to_numpy()] = None
        return gpd.GeoDataFrame(df, geometry=pts, crs=None)
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([None] * len(df)), crs=None)


def write_layer(
    gdf: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    precision: int = 7,
) -> Path:
    """Write a layer: GeoJSON (RFC 7946, ``precision`` decimals), GeoPackage, FlatGeobuf or CSV by suffix.

    GeoJSON is written in WGS-84 lon/lat with counter-clockwise exterior rings and no ``crs`` member.
    Built study areas use ``precision=15`` so that measures on them equal those on the source to ~1e-12.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv" or not isinstance(gdf, gpd.GeoDataFrame):
        frame = pd.DataFrame(gdf)
        if "geometry" in frame.columns:
            frame["geometry"] = gpd.GeoSeries(frame["geometry"]).to_wkt()
        frame.to_csv(path, index=False, encoding="utf-8")
        return path
    out = gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf.set_crs("EPSG:4326")
    if suffix in (".geojson", ".json"):
        geoms = shapely.orient_polygons(out.geometry.array, exterior_cw=False)
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs="EPSG:4326"))
        if path.exists():
            path.unlink()
        out.to_file(
            path,
            driver="GeoJSON",
            engine="pyogrio",
            layer_options={
                "RFC7946": "YES",
                "COORDINATE_PRECISION": str(int(precision)),
                "WRITE_NAME": "NO",
            },
        )
        return path
    driver = {".gpkg": "GPKG", ".fgb": "FlatGeobuf", ".shp": "ESRI Shapefile"}.get(suffix)
    if driver is None:
        raise ValueError(
            f"path: unsupported output type '{suffix}' (.geojson .gpkg .fgb .shp .csv)"
        )
    out.to_file(path, driver=driver, engine="pyogrio", layer=layer)
    return path
