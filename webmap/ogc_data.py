"""OGC API – Features: which collections a study area has, and reading their features.

Framework-free: :class:`OgcSource` gets the map service (or ``None``), the study-area name and a cache factory
from the caller, so the same code serves the app factory's ``MapService`` (the web map and this API then show the
same data) and a bare Flask app that reads through :func:`layers.read_layer`.  Frames are WGS-84 lon/lat.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import LayerError
from layers.export import coverage_results
from layers.schema import SCHEMAS
from layers.studyarea import load_study_area
from webmap.ogc_core import COVERAGE_LAYERS, OgcError

__all__ = ["OgcSource", "collection_ids", "feature_key", "titles"]

_COVERAGE_TITLES = {
    "coverage-subdistricts": ("公园服务半径覆盖率（街道）", "Park service-radius coverage by 街道"),
    "coverage-residential": (
        "居住用地覆盖情况",
        "Residential land covered / not covered by park service radii",
    ),
    "coverage-service-areas": ("公园服务半径", "Park service areas (dissolved per radius)"),
}


def collection_ids(area: str | None = None) -> list[str]:
    """Collection ids of a study area: its layers (not attribute tables) and the coverage results.

    >>> collection_ids("xicheng")[:3], collection_ids("xicheng")[-1]
    (['district', 'subdistricts', 'parks'], 'coverage-service-areas')
    """
    study = load_study_area(area)
    out = [n for n in study.layers if not SCHEMAS[n].is_table]
    if {"residential", "parks"} <= set(study.layers):
        cov = [c for c in COVERAGE_LAYERS if c != "coverage-subdistricts"]
        if "subdistricts" in study.layers:
            cov.insert(0, "coverage-subdistricts")
        out += cov
    return out


def feature_key(cid: str, gdf: pd.DataFrame) -> str:
    """Column whose value is a feature's ``id`` (the layer schema's key; else a coverage id column)."""
    if cid in SCHEMAS:
        return SCHEMAS[cid].key
    for col in ("code", "part_id", "radius_id"):
        if col in gdf.columns:
            return col
    return str(gdf.columns[0])


def titles(cid: str) -> tuple[str, str]:
    """Chinese and English title of a collection (the id twice when unknown)."""
    if cid in SCHEMAS:
        return SCHEMAS[cid].title_zh, SCHEMAS[cid].title_en
    return _COVERAGE_TITLES.get(cid, (cid, cid))


@dataclass(frozen=True)
class OgcSource:
    """Features of one study area's collections.

    Parameters
    ----------
    service
        A ``MapService``-like object with ``layer(name)`` and ``cached(key, make)``, or ``None``.
    area
        Study-area name (see :func:`layers.studyarea.load_study_area`).
    store
        Returns the cache dict used when ``service`` has no ``cached``; called only then, so a service-backed
        app gets no extra cache.
    """

    service: Any
    area: str
    store: Callable[[], MutableMapping[Any, Any]]

    def cached(self, key: Any, make: Callable[[], Any]) -> Any:
        """``make()`` once per ``key``, in the service's cache when it has one."""
        if self.service is not None and hasattr(self.service, "cached"):
            return self.service.cached(("ogcapi", *key), make)
        store = self.store()
        if key not in store:
            store[key] = make()
        return store[key]

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """One layer of the study area, through the service when it has one."""
        if self.service is not None and hasattr(self.service, "layer"):
            return self.service.layer(name)
        import layers

        return layers.read_layer(name, self.area)

    def coverage(self, name: str) -> gpd.GeoDataFrame:
        """One coverage result under the study area's default rule (computed once, then cached).

        Raises
        ------
        OgcError
            503 when the coverage cannot be computed.
        """
        study = load_study_area(self.area)

        def make() -> dict[str, pd.DataFrame]:
            frames: dict[str, gpd.GeoDataFrame] = {
                n: self.layer(n)
                for n in ("residential", "parks", "subdistricts", "historic_blocks")
                if n in study.layers
            }
            return coverage_results(study, frames=frames).layers

        try:
            results = self.cached(("coverage", study.name), make)
        except (LayerError, ValueError, ImportError) as exc:
            raise OgcError(
                503, "ServiceUnavailable", f"coverage cannot be computed: {exc}"
            ) from exc
        out = results[name]
        assert isinstance(out, gpd.GeoDataFrame)
        return out

    def collection(self, cid: str) -> gpd.GeoDataFrame:
        """Every feature of collection ``cid``.

        Raises
        ------
        OgcError
            404 for an unknown collection, 503 when its data cannot be read.
        """
        if cid not in collection_ids(self.area):
            raise OgcError(404, "NotFound", f"collection {cid!r} does not exist")
        if cid in COVERAGE_LAYERS:
            return self.coverage(cid)
        try:
            return self.layer(cid)
        except Exception as exc:
            raise OgcError(
                503, "ServiceUnavailable", f"layer {cid!r} cannot be read: {exc}"
            ) from exc

    def extent(self, gdf: gpd.GeoDataFrame) -> list[float]:
        """Lon/lat bounds of ``gdf``'s geometries (7 decimals); the study area's extent if it has none."""
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        if ok.any():
            b = shapely.total_bounds(geoms[ok])
            return [round(float(v), 7) for v in b]
        study = load_study_area(self.area)
        return [float(v) for v in study.extent]
