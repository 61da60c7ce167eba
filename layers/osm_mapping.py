"""OSM tags → project layer schemas: the mapping behind :func:`layers.osm.read_osm_pbf` and ``pull_osm``.

Raw OSM features (pyrosm or osmnx output, EPSG:4326) become rows of the ``parks``, ``residential`` or
``subdistricts`` schema of :mod:`layers.schema`; the tag mapping itself is documented in
:mod:`layers.osm`. Only polygonal features are kept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import LayerError, Problem
from layers.schema import SCHEMAS

__all__ = ["DEFAULT_TAGS", "OSM_SOURCE", "What", "check_what", "map_osm_features"]

#: ``source`` of every feature taken from OpenStreetMap.
OSM_SOURCE = "© OpenStreetMap contributors (ODbL)"

What = Literal["parks", "residential", "boundaries"]

#: Default OSM tag filters per layer (``{key: [values]}``; features matching any pair are kept).
DEFAULT_TAGS: dict[str, dict[str, list[str]]] = {
    "parks": {"leisure": ["park", "garden"], "landuse": ["recreation_ground"]},
    "residential": {"landuse": ["residential"]},
    "boundaries": {"boundary": ["administrative"]},
}
_DEFAULT_KIND_MAP = {"leisure=garden": "garden"}
_SCHEMA_OF = {"parks": "parks", "residential": "residential", "boundaries": "subdistricts"}


def check_what(what: str, where: str) -> None:
    """Raise :class:`LayerError` (naming ``where``) unless ``what`` is a layer OSM can be mapped to.

    >>> check_what("parks", "<osm>")
    >>> check_what("roads", "x.pbf")
    Traceback (most recent call last):
    ...
    layers.errors.LayerError: ...
    """
    if what not in _SCHEMA_OF:
        raise LayerError(
            [Problem(where, None, "what", f"{what!r} is not one of {', '.join(_SCHEMA_OF)}")]
        )


def _tags(row_tags: Any) -> dict[str, Any]:
    if isinstance(row_tags, dict):
        return row_tags
    if isinstance(row_tags, str) and row_tags.strip():
        try:
            out = json.loads(row_tags)
        except json.JSONDecodeError:
            return {}
        return out if isinstance(out, dict) else {}
    return {}


def _col(raw: pd.DataFrame, key: str, tags: list[dict[str, Any]]) -> np.ndarray:
    """Value of an OSM tag per feature: the column if present, else the ``tags`` dict."""
    out = np.full(len(raw), None, dtype=object)
    if key in raw.columns:
        vals = raw[key].astype(object).to_numpy()
        for i, v in enumerate(vals):
            if v is not None and not (isinstance(v, float) and np.isnan(v)) and str(v).strip():
                out[i] = str(v).strip()
    for i, t in enumerate(tags):
        if out[i] is None and t.get(key) not in (None, ""):
            out[i] = str(t[key]).strip()
    return out


def _id_values(raw: pd.DataFrame, missing: np.ndarray) -> np.ndarray:
    """The OSM ids of the features: ``id`` (pyrosm), else ``osmid`` (osmnx), else ``missing``."""
    for c in ("id", "osmid"):
        if c in raw.columns:
            return raw[c].to_numpy()
    return missing


def _osm_ids(raw: pd.DataFrame) -> np.ndarray:
    if "osm_type" in raw.columns:
        kinds = raw["osm_type"].astype(str).to_numpy()
    elif "element_type" in raw.columns:  # osmnx
        kinds = raw["element_type"].astype(str).to_numpy()
    else:
        kinds = np.full(len(raw), "way", dtype=object)
    ids = _id_values(raw, np.arange(len(raw)))
    return np.array([f"osm:{k}/{int(i)}" for k, i in zip(kinds, ids, strict=True)], dtype=object)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    out = np.asarray(geoms, dtype=object).copy()
    missing = shapely.is_missing(out)
    bad = ~missing & ~shapely.is_valid(np.where(missing, shapely.Point(), out))
    if bad.any():
        out[bad] = shapely.make_valid(out[bad])
    keep = np.full(len(out), None, dtype=object)
    for i, g in enumerate(out):
        if g is None or g.is_empty:
            continue
        if g.geom_type in ("Polygon", "MultiPolygon"):
            keep[i] = g
        elif g.geom_type == "GeometryCollection":
            parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
            if parts:
                keep[i] = shapely.union_all(parts)
    return keep


def _park_columns(
    raw: pd.DataFrame,
    tags: list[dict[str, Any]],
    ids: np.ndarray,
    kind_map: Mapping[str, str] | None,
) -> dict[str, Any]:
    """The ``parks`` schema's values of the features (kind from ``kind_map``, fee, names)."""
    n = len(raw)
    name = _col(raw, "name", tags)
    name_zh = _col(raw, "name:zh", tags)
    name_en = _col(raw, "name:en", tags)
    kmap = dict(_DEFAULT_KIND_MAP if kind_map is None else kind_map)
    leisure = _col(raw, "leisure", tags)
    landuse = _col(raw, "landuse", tags)
    kinds = []
    for le, lu in zip(leisure, landuse, strict=True):
        k = kmap.get(f"leisure={le}") if le else None
        k = k or (kmap.get(f"landuse={lu}") if lu else None)
        kinds.append(k or "other")
    fee = _col(raw, "fee", tags)
    label = [f"{le or lu}" for le, lu in zip(leisure, landuse, strict=True)]
    data: dict[str, Any] = dict(
        park_id=ids,
        name_zh=[
            z or nm or f"未命名 unnamed ({lab}, {i})"
            for z, nm, lab, i in zip(name_zh, name, label, ids, strict=True)
        ],
        name_en=[e or nm for e, nm in zip(name_en, name, strict=True)],
        kind=kinds,
        fee=[f if f in ("yes", "no") else "unknown" for f in fee],
        status="existing",
        note=[f"OSM {lab}" for lab in label],
    )
    for c in ("area_m2", "water_m2", "lon", "lat"):
        data[c] = np.full(n, np.nan)
    data["opened_year"] = pd.array([None] * n, dtype="Int64")
    return data


def _boundary_columns(
    raw: pd.DataFrame, tags: list[dict[str, Any]], ids: np.ndarray, code_tags: Sequence[str]
) -> dict[str, Any]:
    """The 街道 (``subdistricts``) schema's values: code from the first of ``code_tags`` given."""
    n = len(raw)
    name = _col(raw, "name", tags)
    name_zh = _col(raw, "name:zh", tags)
    name_en = _col(raw, "name:en", tags)
    rel = _id_values(raw, np.full(n, None))
    codes = np.full(n, None, dtype=object)
    for t in code_tags:
        v = _col(raw, t, tags)
        fill = (codes == None) & (v != None)  # noqa: E711 - elementwise on object arrays
        codes[fill] = v[fill]
    codes = np.where(codes == None, ids, codes)  # noqa: E711
    data: dict[str, Any] = dict(
        code=codes,
        name_zh=[z or nm or i for z, nm, i in zip(name_zh, name, ids, strict=True)],
        name_en=name_en,
        osm_relation_id=pd.array([int(r) if r is not None else None for r in rel], "Int64"),
    )
    for c in ("area_km2_published", "interior_lon", "interior_lat"):
        data[c] = np.full(n, np.nan)
    for c in ("communities_2023", "pop_2020_census", "pop_other", "pop_other_year"):
        data[c] = pd.array([None] * n, dtype="Int64")
    return data


def map_osm_features(
    raw: gpd.GeoDataFrame,
    what: What,
    *,
    kind_map: Mapping[str, str] | None = None,
    code_tags: Sequence[str] = ("adcode", "ref:adcode", "ref"),
) -> gpd.GeoDataFrame:
    """Map raw OSM features (pyrosm or osmnx output) to a project layer schema.

    Parameters
    ----------
    raw : GeoDataFrame
        Features with OSM tags as columns and/or a ``tags`` column (JSON text or dict), an ``id`` (pyrosm) or
        ``osmid`` (osmnx) and ``osm_type`` / ``element_type``; EPSG:4326.
    what : {"parks", "residential", "boundaries"}
        Target layer; ``boundaries`` maps to the 街道 (``subdistricts``) schema.
    kind_map : mapping, optional
        ``{"key=value": park kind}`` for parks (default: ``leisure=garden`` → ``garden``; others ``other``).
    code_tags : sequence of str
        Tags tried, in order, for a boundary's ``code``.

    Returns
    -------
    GeoDataFrame
        The schema's columns in order plus geometry, EPSG:4326, ``source`` = :data:`OSM_SOURCE`,
        ``geometry_quality = "osm"``; non-polygonal features dropped (count in ``attrs["dropped"]``).

    Examples
    --------
    >>> raw = gpd.GeoDataFrame({"id": [7, 8], "osm_type": ["way", "node"],
    ...     "leisure": ["garden", "park"], "name": ["Rose garden", None]},
    ...     geometry=[shapely.box(0, 0, 1, 1), shapely.Point(0, 0)], crs="EPSG:4326")
    >>> out = map_osm_features(raw, "parks")
    >>> out[["park_id", "name_zh", "kind", "geometry_quality"]].values.tolist()
    [['osm:way/7', 'Rose garden', 'garden', 'osm']]
    >>> out.attrs["dropped"]
    1
    """
    check_what(what, "<osm>")
    schema = SCHEMAS[_SCHEMA_OF[what]]
    raw = raw.to_crs("EPSG:4326") if raw.crs is not None else raw.set_crs("EPSG:4326")
    geoms = _polygonal(np.asarray(raw.geometry.values, dtype=object))
    keep = np.array([g is not None for g in geoms], dtype=bool)
    dropped = int((~keep).sum())
    raw = raw[keep].reset_index(drop=True)
    geoms = geoms[keep]
    tags = [_tags(t) for t in (raw["tags"] if "tags" in raw.columns else [None] * len(raw))]
    ids = _osm_ids(raw)
    n = len(raw)
    data: dict[str, Any] = {c: pd.Series([None] * n, dtype=object) for c in schema.column_names}
    if what == "parks":
        data.update(_park_columns(raw, tags, ids, kind_map))
    elif what == "residential":
        data.update(parcel_id=ids, population=np.full(n, np.nan))
    else:
        data.update(_boundary_columns(raw, tags, ids, code_tags))
    data["source"] = np.full(n, OSM_SOURCE, dtype=object)
    data["geometry_quality"] = np.full(n, "osm", dtype=object)
    frame = pd.DataFrame({c: data[c] for c in schema.column_names})
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    out.attrs["dropped"] = dropped
    return out
