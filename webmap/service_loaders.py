"""Where the web map's data comes from: the :class:`DataLoader` protocol and its two loaders.

:class:`LayersLoader` reads one study area through the ``layers`` package and fingerprints its files
(the *data version* the service caches by); :class:`StoreProjectsLoader` swaps in the planners'
editable projects store. A feature whose data is not there raises :class:`UnavailableError`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd

from layers import rules as lrules

log = logging.getLogger("webmap")


class UnavailableError(RuntimeError):
    """A feature needs a data file (or rule set) that is not there; the message says which."""


class DataLoader(Protocol):
    """Where the service reads layers, tables and rule sets from."""

    def read_layer(self, name: str) -> gpd.GeoDataFrame: ...

    def read_table(self, name: str) -> pd.DataFrame: ...

    def version(self) -> str: ...

    def list_rules(self) -> list[Any]: ...

    def load_rule(self, rule_id: str) -> Any: ...

    def metric_crs(self) -> str: ...

    def default_rule(self) -> str | None: ...


class LayersLoader:
    """Reads through the ``layers`` package for one study area.

    Parameters
    ----------
    area : str
        Study-area name (``data/studyareas/<area>.toml``).
    """

    def __init__(self, area: str | None = None) -> None:
        from layers.studyarea import default_area

        self.area = area or default_area()

    def _study(self) -> Any:
        import layers

        return layers.load_study_area(self.area)

    def read_layer(self, name: str) -> gpd.GeoDataFrame:
        import layers

        return layers.read_layer(name, area=self.area)

    def read_table(self, name: str) -> pd.DataFrame:
        import layers

        return layers.read_table(name, area=self.area)

    def version(self) -> str:
        """Fingerprint of the data and rule files (names, sizes, modification times)."""
        parts: list[str] = [self.area]
        try:
            study = self._study()
            files = [Path(study.data_dir) / f for f in study.layers.values()]
            if study.config_file:
                files.append(Path(study.config_file))
            rules_dir = Path(study.data_dir).parent / "rules"
            if rules_dir.is_dir():
                files.extend(sorted(rules_dir.glob("*.toml")))
            from layers.io import user_dir

            imported = user_dir()  # imports override shipped layers: they change the version too
            if imported is not None and (imported / study.name).is_dir():
                files.extend(sorted((imported / study.name).glob("*.*")))
        except Exception as exc:  # data not there yet: a constant version until it is
            return "unavailable-" + type(exc).__name__
        for f in files:
            try:
                st = f.stat()
                parts.append(f"{f.name}:{st.st_size}:{st.st_mtime_ns}")
            except OSError:
                parts.append(f"{f.name}:missing")
        return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]

    def list_rules(self) -> list[Any]:
        return list(lrules.list_rules())

    def load_rule(self, rule_id: str) -> Any:
        return lrules.load_rule(rule_id)

    def metric_crs(self) -> str:
        try:
            return str(self._study().metric_crs)
        except Exception:
            return "EPSG:4548"

    def default_rule(self) -> str | None:
        try:
            return str(self._study().default_rule)
        except Exception:
            return None


class StoreProjectsLoader:
    """Projects from the planners' editable store (``layers.store``), everything else from ``base``.

    The data version adds the store's ``revision()``, so an edit shows on the map (and invalidates
    the caches) within the service's version TTL. If the store cannot be read, the shipped layer is
    used and a warning logged.

    Parameters
    ----------
    base : DataLoader
    store : callable
        Returns the open ``ProjectStore`` (e.g. ``lambda: webmap.edit_api.get_store(app)``).
    """

    def __init__(self, base: DataLoader, store: Callable[[], Any]) -> None:
        self.base = base
        self.store = store

    def read_layer(self, name: str) -> gpd.GeoDataFrame:
        if name == "projects":
            try:
                return self.store().to_geodataframe()
            except Exception as exc:
                log.warning("projects store unreadable (%s); using the shipped layer", exc)
        return self.base.read_layer(name)

    def read_table(self, name: str) -> pd.DataFrame:
        return self.base.read_table(name)

    def version(self) -> str:
        try:
            rev = str(self.store().revision())
        except Exception:
            rev = "unavailable"
        return f"{self.base.version()}-store{rev}"

    def list_rules(self) -> list[Any]:
        return self.base.list_rules()

    def load_rule(self, rule_id: str) -> Any:
        return self.base.load_rule(rule_id)

    def metric_crs(self) -> str:
        return self.base.metric_crs()

    def default_rule(self) -> str | None:
        return self.base.default_rule()
