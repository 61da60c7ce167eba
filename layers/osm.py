"""OpenStreetMap data as project layers: offline PBF import (pyrosm) and an optional online pull (osmnx).

OSM tags are mapped to the layer schemas of :mod:`layers.schema`; every feature gets
``source = "© OpenStreetMap contributors (ODbL)"`` and ``geometry_quality = "osm"``. Data derived from OSM is
under the Open Database License: exports carry the attribution (see :mod:`layers.export`).

Tag mapping (defaults; pass ``tags=`` / ``kind_map=`` to change them)

========================  =============================  ===========================================
layer (``what``)          OSM tags                        schema values
========================  =============================  ===========================================
``parks``                 ``leisure=park|garden``,        ``park_id = "osm:<type>/<id>"``, ``kind``:
                          ``landuse=recreation_ground``   garden → ``garden``, others → ``other``
                                                          (OSM does not say which park category of the
                                                          Chinese standard a park is); ``fee`` from
                                                          ``fee=yes|no``; ``status = existing``
``residential``           ``landuse=residential``         ``parcel_id = "osm:<type>/<id>"``;
                                                          population unknown (empty)
``boundaries``            ``boundary=administrative``     the 街道 schema: ``code`` from ``adcode`` /
                                                          ``ref`` tags (else ``osm:relation/<id>``),
                                                          ``osm_relation_id``, names from ``name:zh`` /
                                                          ``name`` / ``name:en``
========================  =============================  ===========================================

Only polygonal features are kept for these layers (points and lines are dropped and counted in
``attrs["dropped"]``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import LayerError, Problem
from layers.schema import SCHEMAS
from layers.studyarea import StudyArea, resolve_area

__all__ = [
    "DEFAULT_TAGS",
    "OSM_SOURCE",
    "PULL_WHAT",
    "OsmUnavailableError",
    "cache_dir",
    "map_osm_features",
    "pull_osm",
    "read_osm_pbf",
]

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

#: What :func:`pull_osm` can download.
PULL_WHAT: tuple[str, ...] = ("boundaries", "parks", "residential", "water", "streets")


class OsmUnavailableError(ConnectionError):
    """OpenStreetMap data could not be fetched (no network, service down, or osmnx not installed)."""


# ------------------------------------------------------------------------------------------ mapping
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


def _osm_ids(raw: pd.DataFrame) -> np.ndarray:
    if "osm_type" in raw.columns:
        kinds = raw["osm_type"].astype(str).to_numpy()
    elif "element_type" in raw.columns:  # osmnx
        kinds = raw["element_type"].astype(str).to_numpy()
    else:
        kinds = np.full(len(raw), "way", dtype=object)
    ids = (
        raw["id"].to_numpy()
        if "id" in raw.columns
        else (raw["osmid"].to_numpy() if "osmid" in raw.columns else np.arange(len(raw)))
    )
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
    if what not in _SCHEMA_OF:
        raise LayerError(
            [Problem("<osm>", None, "what", f"{what!r} is not one of {', '.join(_SCHEMA_OF)}")]
        )
    schema = SCHEMAS[_SCHEMA_OF[what]]
    raw = raw.to_crs("EPSG:4326") if raw.crs is not None else raw.set_crs("EPSG:4326")
    geoms = _polygonal(np.asarray(raw.geometry.values, dtype=object))
    keep = np.array([g is not None for g in geoms], dtype=bool)
    dropped = int((~keep).sum())
    raw = raw[keep].reset_index(drop=True)
    geoms = geoms[keep]
    tags = [_tags(t) for t in (raw["tags"] if "tags" in raw.columns else [None] * len(raw))]
    ids = _osm_ids(raw)
    name = _col(raw, "name", tags)
    name_zh = _col(raw, "name:zh", tags)
    name_en = _col(raw, "name:en", tags)
    n = len(raw)
    data: dict[str, Any] = {c: pd.Series([None] * n, dtype=object) for c in schema.column_names}
    if what == "parks":
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
        data.update(
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
    elif what == "residential":
        data.update(parcel_id=ids, population=np.full(n, np.nan))
    else:
        rel = (
            raw["id"].to_numpy()
            if "id" in raw.columns
            else (raw["osmid"].to_numpy() if "osmid" in raw.columns else np.full(n, None))
        )
        codes = np.full(n, None, dtype=object)
        for t in code_tags:
            v = _col(raw, t, tags)
            fill = (codes == None) & (v != None)  # noqa: E711 - elementwise on object arrays
            codes[fill] = v[fill]
        codes = np.where(codes == None, ids, codes)  # noqa: E711
        data.update(
            code=codes,
            name_zh=[z or nm or i for z, nm, i in zip(name_zh, name, ids, strict=True)],
            name_en=name_en,
            osm_relation_id=pd.array([int(r) if r is not None else None for r in rel], "Int64"),
        )
        for c in ("area_km2_published", "interior_lon", "interior_lat"):
            data[c] = np.full(n, np.nan)
        for c in ("communities_2023", "pop_2020_census", "pop_other", "pop_other_year"):
            data[c] = pd.array([None] * n, dtype="Int64")
    data["source"] = np.full(n, OSM_SOURCE, dtype=object)
    data["geometry_quality"] = np.full(n, "osm", dtype=object)
    frame = pd.DataFrame({c: data[c] for c in schema.column_names})
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    out.attrs["dropped"] = dropped
    return out


# ------------------------------------------------------------------------------------------ PBF
def read_osm_pbf(
    path: str | os.PathLike[str],
    what: What = "parks",
    bbox: Sequence[float] | None = None,
    *,
    tags: Mapping[str, Sequence[str]] | None = None,
    kind_map: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read an OpenStreetMap ``.osm.pbf`` extract offline and map it to a project layer.

    Parameters
    ----------
    path : path
        The PBF file (e.g. a Geofabrik or BBBike extract).
    what : {"parks", "residential", "boundaries"}
        Which layer to build (see the module docstring for the tag mapping).
    bbox : (west, south, east, north), optional
        WGS-84 degrees; only features in this box are read.
    tags : mapping, optional
        OSM tag filter ``{key: [values]}`` replacing :data:`DEFAULT_TAGS` ``[what]``.
    kind_map : mapping, optional
        Park kind per ``"key=value"`` tag (see :func:`map_osm_features`).

    Returns
    -------
    GeoDataFrame
        The layer in EPSG:4326 with the schema's columns (``parks``, ``residential`` or, for
        ``boundaries``, ``subdistricts``); ``geometry_quality = "osm"``, ``source`` = :data:`OSM_SOURCE`.
        Empty (with the columns) when the extract has no matching feature.

    Raises
    ------
    LayerError
        Missing/unreadable file, bad ``what`` or ``bbox``; pyrosm not installed.
    """
    p = Path(path)
    name = str(p)
    if what not in _SCHEMA_OF:
        raise LayerError(
            [Problem(name, None, "what", f"{what!r} is not one of {', '.join(_SCHEMA_OF)}")]
        )
    if not p.exists():
        raise LayerError([Problem(name, None, None, "file not found")])
    box = None
    if bbox is not None:
        try:
            w, s, e, n = (float(v) for v in bbox)
        except (TypeError, ValueError) as exc:
            raise LayerError(
                [
                    Problem(
                        name, None, "bbox", f"expected 4 numbers (west, south, east, north): {exc}"
                    )
                ]
            ) from exc
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise LayerError(
                [
                    Problem(
                        name, None, "bbox", f"not a lon/lat box with west<east, south<north: {bbox}"
                    )
                ]
            )
        box = [w, s, e, n]
    try:
        import pyrosm
    except ImportError as exc:  # pragma: no cover - pyrosm is a test/data dependency
        raise LayerError(
            [Problem(name, None, None, "reading .osm.pbf needs pyrosm: pip install pyrosm")]
        ) from exc
    flt = {k: list(v) for k, v in (tags or DEFAULT_TAGS[what]).items()}
    try:
        import warnings

        osm = pyrosm.OSM(str(p), bounding_box=box)
        # One query per tag key: pyrosm drops a feature whose *other* filter key has an unlisted value
        # (e.g. leisure=park with landuse=grass under a landuse=[recreation_ground] filter).
        parts = []
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Could not find any")
            for key, values in flt.items():
                part = osm.get_data_by_custom_criteria(
                    custom_filter={key: values},
                    filter_type="keep",
                    keep_nodes=False,
                    keep_ways=True,
                    keep_relations=True,
                )
                if part is not None and len(part):
                    parts.append(part)
        raw = None
        if parts:
            raw = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
            raw = raw.drop_duplicates(subset=["osm_type", "id"]).reset_index(drop=True)
    except Exception as exc:  # pyrosm raises many types on a corrupt file
        raise LayerError([Problem(name, None, None, f"cannot read OSM PBF: {exc}")]) from exc
    if raw is None or len(raw) == 0:
        raw = gpd.GeoDataFrame({"id": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    out = map_osm_features(raw, what, kind_map=kind_map)
    if box is not None and len(out):
        # pyrosm keeps ways that cross the box; keep those that intersect it, as documented.
        out = out[out.intersects(shapely.box(*box))].reset_index(drop=True)
    return out


# ------------------------------------------------------------------------------------------ online
def cache_dir(base: str | os.PathLike[str] | None = None) -> Path:
    """Folder for downloaded OSM data: ``base``, ``$GREENMAP_CACHE`` or ``~/.cache/greenmap``, + ``osm``.

    >>> cache_dir("/tmp/x").as_posix()
    '/tmp/x/osm'
    """
    root = Path(base or os.environ.get("GREENMAP_CACHE") or Path.home() / ".cache" / "greenmap")
    return root / "osm"


_PULL_TAGS: dict[str, dict[str, Any]] = {
    "parks": {"leisure": ["park", "garden"], "landuse": ["recreation_ground"]},
    "residential": {"landuse": "residential"},
    "water": {"natural": "water", "waterway": "riverbank"},
}


def _network_fetch(kind: str, polygon: shapely.Geometry | None, arg: Any) -> gpd.GeoDataFrame:
    """The only function that touches the network (osmnx; tests replace it).

    ``kind``: ``"relations"`` (``arg`` = list of relation ids), ``"features"`` (``arg`` = tag dict) or
    ``"walk"`` (the walkable street network's edges).
    """
    try:
        import osmnx as ox
    except ImportError as exc:
        raise OsmUnavailableError(
            "downloading OSM data needs osmnx (pip install osmnx) and an internet connection"
        ) from exc
    if kind == "relations":
        return ox.geocode_to_gdf([f"R{int(r)}" for r in arg], by_osmid=True)
    if kind == "features":
        return ox.features_from_polygon(polygon, tags=arg)
    graph = ox.graph_from_polygon(polygon, network_type="walk")
    return ox.graph_to_gdfs(graph, nodes=False).reset_index()


def _fetch(kind: str, polygon: shapely.Geometry | None, arg: Any) -> gpd.GeoDataFrame:
    try:
        return _network_fetch(kind, polygon, arg)
    except OsmUnavailableError:
        raise
    except Exception as exc:  # requests/osmnx raise many types when offline
        raise OsmUnavailableError(
            f"could not download OpenStreetMap data ({type(exc).__name__}: {exc}); "
            "check the internet connection, or import a local .osm.pbf with read_osm_pbf"
        ) from exc


def pull_osm(
    what: Sequence[str] = PULL_WHAT,
    *,
    area: StudyArea | str | None = None,
    cache: str | os.PathLike[str] | None = None,
    refresh: bool = False,
    on_progress: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Download OSM layers for a study area (needs osmnx and the internet) into the cache.

    Parameters
    ----------
    what : sequence of str
        Any of :data:`PULL_WHAT`: ``boundaries`` (the 街道 relations named by the subdistricts layer's
        ``osm_relation_id``, mapped to the 街道 schema with the layer's codes), ``parks``, ``residential``,
        ``water`` (raw tags kept) and ``streets`` (walkable street network edges).
    area : StudyArea or str
        Study area; its district outline (buffered 300 m) bounds the download.
    cache : path, optional
        Base cache folder (see :func:`cache_dir`).
    refresh : bool
        Download again even when a cached file exists.
    on_progress : callable, optional
        Called with each item's name before it is fetched.

    Returns
    -------
    dict
        ``what`` → cached GeoJSON file (``<cache>/osm/<area>/<what>.geojson``).

    Raises
    ------
    OsmUnavailableError
        Offline, service error, or osmnx missing (a :class:`ConnectionError`).
    LayerError
        Unknown ``what``; the study area lacks what is needed (district outline, relation ids).
    """
    from layers.io import read_layer, write_layer

    study = resolve_area(area)
    unknown = [w for w in what if w not in PULL_WHAT]
    if unknown:
        raise LayerError(
            [Problem("<osm>", None, "what", f"unknown: {unknown}; use {', '.join(PULL_WHAT)}")]
        )
    folder = cache_dir(cache) / study.name
    out: dict[str, Path] = {}
    polygon = None
    for w in what:
        target = folder / f"{w}.geojson"
        if target.exists() and not refresh:
            out[w] = target
            continue
        if on_progress is not None:
            on_progress(w)
        if w == "boundaries":
            subs = read_layer("subdistricts", study)
            rel = pd.to_numeric(subs.get("osm_relation_id"), errors="coerce")
            if rel is None or rel.isna().all():
                raise LayerError(
                    [Problem("subdistricts", None, "osm_relation_id", "no OSM relation ids")]
                )
            ids = [int(r) for r in rel.dropna()]
            raw = _fetch("relations", None, ids)
            raw = raw.assign(id=raw["osm_id"] if "osm_id" in raw else ids[: len(raw)])
            raw["osm_type"] = "relation"
            code_by_rel = dict(
                zip(rel.dropna().astype(int), subs.loc[rel.notna(), "code"], strict=True)
            )
            raw["adcode"] = [code_by_rel.get(int(i)) for i in raw["id"]]
            gdf = map_osm_features(raw, "boundaries")
        else:
            if polygon is None:
                district = read_layer("district", study).to_crs(study.metric_crs)
                poly_m = shapely.buffer(
                    shapely.union_all(np.asarray(district.geometry.values)), 300
                )
                polygon = gpd.GeoSeries([poly_m], crs=study.metric_crs).to_crs("EPSG:4326").iloc[0]
            if w == "streets":
                gdf = _fetch("walk", polygon, None)
            else:
                raw = _fetch("features", polygon, _PULL_TAGS[w])
                if w in ("parks", "residential"):
                    gdf = map_osm_features(raw.reset_index(), w)  # type: ignore[arg-type]
                else:
                    gdf = raw.reset_index()
            keep = [
                c for c in gdf.columns if gdf[c].map(lambda v: not isinstance(v, list | dict)).all()
            ]
            gdf = gpd.GeoDataFrame(gdf[keep], geometry=gdf.geometry.name, crs=gdf.crs)
            gdf["source"] = OSM_SOURCE
            gdf["geometry_quality"] = "osm"
        write_layer(gdf, target)
        out[w] = target
    return out
