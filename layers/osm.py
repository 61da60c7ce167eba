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

The family: :mod:`layers.osm_mapping` (the tag mapping, :func:`map_osm_features`),
:mod:`layers.osm_pbf` (offline import, :func:`read_osm_pbf`) and this module (the online pull,
:func:`pull_osm`; the only code that touches the network).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import LayerError, Problem
from layers.osm_mapping import _DEFAULT_KIND_MAP as _DEFAULT_KIND_MAP
from layers.osm_mapping import _SCHEMA_OF as _SCHEMA_OF
from layers.osm_mapping import DEFAULT_TAGS, OSM_SOURCE, map_osm_features
from layers.osm_mapping import What as What
from layers.osm_mapping import _col as _col
from layers.osm_mapping import _osm_ids as _osm_ids
from layers.osm_mapping import _polygonal as _polygonal
from layers.osm_mapping import _tags as _tags
from layers.osm_pbf import read_osm_pbf
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

#: What :func:`pull_osm` can download.
PULL_WHAT: tuple[str, ...] = ("boundaries", "parks", "residential", "water", "streets")


class OsmUnavailableError(ConnectionError):
    """OpenStreetMap data could not be fetched (no network, service down, or osmnx not installed)."""


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


def _pull_boundaries(study: StudyArea) -> gpd.GeoDataFrame:
    """The 街道 relations named by the subdistricts layer's ``osm_relation_id``, with its codes."""
    from layers.io import read_layer

    subs = read_layer("subdistricts", study)
    rel = pd.to_numeric(subs.get("osm_relation_id"), errors="coerce")
    if rel is None or rel.isna().all():
        raise LayerError([Problem("subdistricts", None, "osm_relation_id", "no OSM relation ids")])
    ids = [int(r) for r in rel.dropna()]
    raw = _fetch("relations", None, ids)
    raw = raw.assign(id=raw["osm_id"] if "osm_id" in raw else ids[: len(raw)])
    raw["osm_type"] = "relation"
    code_by_rel = dict(zip(rel.dropna().astype(int), subs.loc[rel.notna(), "code"], strict=True))
    raw["adcode"] = [code_by_rel.get(int(i)) for i in raw["id"]]
    return map_osm_features(raw, "boundaries")


def _download_polygon(study: StudyArea) -> shapely.Geometry:
    """The study area's district outline buffered 300 m (in its metric CRS), in EPSG:4326."""
    from layers.io import read_layer

    district = read_layer("district", study).to_crs(study.metric_crs)
    poly_m = shapely.buffer(shapely.union_all(np.asarray(district.geometry.values)), 300)
    return gpd.GeoSeries([poly_m], crs=study.metric_crs).to_crs("EPSG:4326").iloc[0]


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
    from layers.io import write_layer

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
            gdf = _pull_boundaries(study)
        else:
            if polygon is None:
                polygon = _download_polygon(study)
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
