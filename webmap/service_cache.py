"""Per-data-version caching and raw data access, the base of :class:`webmap.service.MapService`.

Every value is cached per *data version* (the loader's fingerprint of the data and rule files),
so a changed file is picked up on the next check and unchanged data is served from memory. The
cache is one dict per service instance, shared by all the service's parts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd

from webmap.service_loaders import DataLoader, UnavailableError

log = logging.getLogger("webmap")


class CachedService:
    """Versioned cache plus the layers and tables of a :class:`DataLoader`.

    Parameters
    ----------
    loader : DataLoader
        Where data comes from.
    layer_hook : callable, optional
        ``hook(name, frame) -> frame`` applied to every layer/table after reading.
    version_ttl : float
        Seconds between two checks of the data version (0: every call).
    """

    def __init__(
        self,
        loader: DataLoader,
        layer_hook: Callable[[str, pd.DataFrame], pd.DataFrame] | None = None,
        version_ttl: float = 1.0,
    ) -> None:
        self.loader = loader
        self.layer_hook = layer_hook
        self._lock = threading.RLock()
        self._version: str | None = None
        self._checked = 0.0
        self.version_ttl = version_ttl
        self._cache: dict[Any, Any] = {}

    # -- versioning / caching
    def version(self) -> str:
        """The current data version; a change empties the caches.

        The loader is asked at most once per ``version_ttl`` seconds (a changed file shows up within
        that time).
        """
        now = time.monotonic()
        if self._version is not None and now - self._checked < self.version_ttl:
            return self._version
        v = self.loader.version()
        self._checked = now
        with self._lock:
            if v != self._version:
                self._version = v
                self._cache.clear()
        return v

    def cached(self, key: Any, make: Callable[[], Any]) -> Any:
        """``make()`` once per data version and key."""
        self.version()
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = make()
        with self._lock:
            self._cache[key] = value
        return value

    # -- raw data
    def _read(self, kind: str, name: str, read: Callable[[str], Any]) -> Any:
        """``read(name)`` after the hook, cached, as a copy; :class:`UnavailableError` naming the
        ``kind`` (layer or table) when it cannot be read."""

        def make() -> Any:
            try:
                df = read(name)
            except Exception as exc:
                raise UnavailableError(f"{kind} '{name}' cannot be read: {exc}") from exc
            if self.layer_hook is not None:
                df = self.layer_hook(name, df)
            return df

        return self.cached((kind, name), make).copy()

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """A layer (EPSG:4326), after the hook. Raises :class:`UnavailableError` if it cannot be read."""
        gdf: gpd.GeoDataFrame = self._read("layer", name, self.loader.read_layer)
        return gdf

    def table(self, name: str) -> pd.DataFrame:
        """An attribute table, after the hook. Raises :class:`UnavailableError` if it cannot be read."""
        df: pd.DataFrame = self._read("table", name, self.loader.read_table)
        return df

    def try_layer(self, name: str) -> gpd.GeoDataFrame | None:
        """The layer, or ``None`` when it is unavailable (logged)."""
        try:
            return self.layer(name)
        except UnavailableError as exc:
            log.warning("%s", exc)
            return None

    def _metric(self, name: str) -> gpd.GeoDataFrame:
        """A layer in the loader's metric CRS (cached)."""
        return self.cached(
            ("metric", name), lambda: self.layer(name).to_crs(self.loader.metric_crs())
        )
