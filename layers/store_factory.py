"""Where the projects store lives and which back end opens it: :func:`open_store`.

The only store module that imports the back ends (lazily, so PostGIS support costs nothing until a
``postgresql://`` location is opened); the back ends never import it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from layers.store_base import ProjectStore
from layers.studyarea import DEFAULT_AREA, StudyArea, load_study_area

__all__ = ["default_data_dir", "open_store"]


def default_data_dir() -> Path:
    """Where the editable store, the users file and the session key live.

    ``GREENMAP_DATA_DIR`` if set, else ``instance/`` in the working directory (one default for
    ``greenmap serve`` and ``greenmap users``, so an editor added is an editor the server knows).
    """
    value = os.environ.get("GREENMAP_DATA_DIR") or "instance"
    return Path(value).expanduser().resolve()


def open_store(
    location: str | os.PathLike[str] | None = None,
    area: StudyArea | str = DEFAULT_AREA,
    **kwargs: Any,
) -> ProjectStore:
    """Open the projects store: a PostgreSQL URL (``postgresql://…``) or a ``.gpkg`` path.

    Parameters
    ----------
    location : str or path, optional
        Default: ``<default_data_dir()>/<area>/projects.gpkg``.
    area : StudyArea or str
    **kwargs
        Passed to the store class.
    """
    study = load_study_area(area) if isinstance(area, str) else area
    if location is None:
        location = default_data_dir() / study.name / "projects.gpkg"
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        from layers.store_postgis import PostGISStore

        return PostGISStore(text, study, **kwargs)
    from layers.store_gpkg import GeoPackageStore

    return GeoPackageStore(location, study, **kwargs)
