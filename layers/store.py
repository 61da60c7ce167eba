"""The planners' editable projects store: versioned features, edit history and restore.

Planners draw the projects the district's tables give only as boundary texts (四至) and keep their
statuses current. :class:`ProjectStore` is the interface; ``layers.store_gpkg.GeoPackageStore`` keeps the layer in
a GeoPackage (SQLite) file in a data directory, created on first use from the shipped
``projects`` layer (the shipped files are only read). ``layers.store_postgis.PostGISStore`` keeps it
in PostgreSQL/PostGIS behind the same interface.

Guarantees
----------
* Every write is one transaction (SQLite: ``BEGIN IMMEDIATE`` in WAL mode; PostgreSQL:
  ``SELECT … FOR UPDATE``): the feature row and its history row are written together or not at all.
* Optimistic concurrency: every feature has a ``version``; an edit names the version it was based
  on and a stale edit raises :class:`StaleEdit` carrying the current version, writing nothing.
* Input is validated before anything is written (:meth:`ProjectStore.validate`): only the
  :data:`EDITABLE_FIELDS`, typed per the layer schema; geometry non-empty, valid (repaired with
  ``make_valid`` and a message), inside the study area extent and near the district outline.
* History: who, when, which fields, old and new values, old and new geometry (WKT, full
  precision). Creation writes one ``import`` entry per feature, so replaying the history
  reproduces the current state (:func:`replay`), and :meth:`ProjectStore.restore` brings back any
  earlier version as a new version.

Edited geometry gets ``geometry_quality = "user"``; a cleared geometry gets ``"none"``.

Modules
-------
This module is the entry point and imports the store's names back from its parts:

* :mod:`layers.store_model`: schema constants, :class:`StaleEdit`, :class:`UnknownProject`,
  :class:`ValidatedEdit`, :class:`HistoryEntry`, argument checks;
* :mod:`layers.store_records`: records to and from GeoDataFrames and GeoJSON, :func:`replay`;
* :mod:`layers.store_apply`: one versioned write (concurrency check, history entry);
* :mod:`layers.store_base`: the :class:`ProjectStore` interface;
* :mod:`layers.store_common`: the SQL both back ends share;
* :mod:`layers.store_factory`: :func:`default_data_dir` and :func:`open_store` (the only part that
  imports the back ends).
"""

from __future__ import annotations

from layers.edits import (
    DISTRICT_TOLERANCE_M as DISTRICT_TOLERANCE_M,
)
from layers.edits import (
    EDITABLE_FIELDS as EDITABLE_FIELDS,
)
from layers.edits import (
    GeometryChecker as GeometryChecker,
)
from layers.edits import (
    validate_changes as validate_changes,
)
from layers.errors import LayerError as LayerError
from layers.errors import Problem as Problem
from layers.schema import SCHEMAS as SCHEMAS
from layers.schema import Column as Column
from layers.store_base import ProjectStore as ProjectStore
from layers.store_factory import default_data_dir as default_data_dir
from layers.store_factory import open_store as open_store
from layers.store_model import COLUMNS as COLUMNS
from layers.store_model import KEY as KEY
from layers.store_model import SCHEMA as SCHEMA
from layers.store_model import Entries as Entries
from layers.store_model import HistoryEntry as HistoryEntry
from layers.store_model import Record as Record
from layers.store_model import Records as Records
from layers.store_model import StaleEdit as StaleEdit
from layers.store_model import UnknownProject as UnknownProject
from layers.store_model import ValidatedEdit as ValidatedEdit
from layers.store_model import history_entry_from_row as history_entry_from_row
from layers.store_model import wkt as wkt
from layers.store_records import feature as feature
from layers.store_records import frame_from_records as frame_from_records
from layers.store_records import records_from_frame as records_from_frame
from layers.store_records import replay as replay
from layers.studyarea import DEFAULT_AREA as DEFAULT_AREA
from layers.studyarea import StudyArea as StudyArea
from layers.studyarea import load_study_area as load_study_area

__all__ = [
    "EDITABLE_FIELDS",
    "HistoryEntry",
    "ProjectStore",
    "StaleEdit",
    "UnknownProject",
    "ValidatedEdit",
    "default_data_dir",
    "open_store",
    "replay",
]
