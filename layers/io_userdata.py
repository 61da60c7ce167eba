"""Where imported (user) layers live: ``<user data>/<study area>/<layer>.geojson`` (tables: ``.csv``).

A layer found there takes precedence over the study area's shipped file; the folder comes from the
``user_data`` argument or the ``GREENMAP_USER_DATA`` environment variable.

Examples
--------
>>> from layers.studyarea import load_study_area
>>> _user_layer_path(Path("/u"), load_study_area("xicheng"), "parks").as_posix()
'/u/xicheng/parks.geojson'
"""

from __future__ import annotations

import os
from pathlib import Path

from layers.schema import SCHEMAS
from layers.studyarea import StudyArea


def user_dir() -> Path | None:
    """Folder of imported layers that take precedence over shipped ones (``GREENMAP_USER_DATA``)."""
    value = os.environ.get("GREENMAP_USER_DATA")
    return Path(value) if value else None


def _user_layer_path(base: Path, study: StudyArea, name: str) -> Path:
    """Where layer ``name`` of ``study`` is stored under ``base`` (whether or not it exists yet)."""
    suffix = ".csv" if SCHEMAS[name].is_table else ".geojson"
    return base / study.name / f"{name}{suffix}"


def _override_path(study: StudyArea, name: str, base: Path | None) -> Path | None:
    """The imported file that replaces layer ``name``, if ``base`` holds one."""
    if base is None:
        return None
    path = _user_layer_path(base, study, name)
    return path if path.exists() else None
