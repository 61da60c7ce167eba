"""The app's projects store for the write API: configured, opened once, shared by requests."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import cast

from flask import Flask, current_app

from layers.store import ProjectStore, open_store
from layers.studyarea import default_area

__all__ = ["get_store", "set_store"]

# app.extensions key; tests read the store from there too
_EXT_STORE = "greenmap_store"
# one opener at a time, so concurrent first requests share a single store
_store_lock = threading.Lock()


def set_store(app: Flask, store: ProjectStore) -> None:
    """Use ``store`` as ``app``'s projects store (instead of opening the configured one)."""
    app.extensions[_EXT_STORE] = store


def get_store(app: Flask | None = None) -> ProjectStore:
    """The app's projects store (opened on first use).

    Parameters
    ----------
    app : Flask, optional
        Default: the current app.

    Returns
    -------
    ProjectStore
        The store given to :func:`webmap.edit_api.init_edit_api`, else opened from
        ``PROJECT_STORE`` (a ``.gpkg`` path or a ``postgresql://`` URL; default
        ``<DATA_DIR>/<STUDY_AREA>/projects.gpkg``).
    """
    app = app or cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    store = app.extensions.get(_EXT_STORE)
    if store is None:
        with _store_lock:
            store = app.extensions.get(_EXT_STORE)
            if store is None:
                area = app.config.get("STUDY_AREA") or default_area()
                loc = app.config.get("PROJECT_STORE")
                if loc is None and app.config.get("DATA_DIR"):
                    loc = Path(app.config["DATA_DIR"]) / area / "projects.gpkg"
                store = open_store(loc, area)
                app.extensions[_EXT_STORE] = store
    return cast(ProjectStore, store)
