"""The projects store's data model: schema constants, errors, edits, history entries, argument checks.

Shared by the interface (:mod:`layers.store_base`), the write logic (:mod:`layers.store_apply`) and
both back ends; imports nothing of the store itself, so every store module may import it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import shapely

from layers.edits import _printable
from layers.errors import LayerError, Problem
from layers.schema import SCHEMAS, Column

__all__ = [
    "COLUMNS",
    "KEY",
    "SCHEMA",
    "Entries",
    "HistoryEntry",
    "Record",
    "Records",
    "StaleEdit",
    "UnknownProject",
    "ValidatedEdit",
    "history_entry_from_row",
    "wkt",
]

SCHEMA = SCHEMAS["projects"]
KEY = SCHEMA.key
COLUMNS: tuple[Column, ...] = SCHEMA.columns
_COL = {c.name: c for c in COLUMNS}


class StaleEdit(Exception):  # noqa: N818 - name fixed by the interface
    """The edit was based on an older version of the feature; nothing was written.

    Attributes
    ----------
    current_version : int
        The feature's version now (send it back with a fresh edit).

    Examples
    --------
    >>> err = StaleEdit(7)
    >>> err.current_version, str(err)
    (7, 'stale edit: the feature is at version 7')
    """

    def __init__(self, current_version: int) -> None:
        self.current_version = int(current_version)
        super().__init__(f"stale edit: the feature is at version {self.current_version}")


class UnknownProject(KeyError):  # noqa: N818
    """No project with this ``project_id`` in the store."""

    def __init__(self, project_id: str) -> None:
        self.project_id = project_id
        super().__init__(project_id)

    def __str__(self) -> str:
        return f"unknown project_id {_printable(self.project_id)!r}"


@dataclass
class ValidatedEdit:
    """An edit after validation: typed values, the (repaired) geometry and what was changed on the way.

    Attributes
    ----------
    changes : dict
        Field -> value, typed per the schema (``None`` clears a nullable field).
    geometry : shapely geometry or None
        New geometry in EPSG:4326 (``None``: unchanged unless ``clear_geometry``).
    clear_geometry : bool
        Remove the geometry (quality becomes ``none``).
    messages : list of str
        Repairs made (``make_valid``, dropped Z values).
    """

    changes: dict[str, Any]
    geometry: shapely.Geometry | None = None
    clear_geometry: bool = False
    messages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HistoryEntry:
    """One version of a feature in the history table.

    Attributes
    ----------
    project_id : str
    version : int
        The version this entry created.
    action : {"import", "update", "restore"}
    user : str
    at : str
        UTC time, ISO 8601.
    fields : tuple of str
        The fields changed (``"geometry"`` when the geometry changed).
    old_values, new_values : dict
        Field -> value before and after (attributes only).
    old_geometry, new_geometry : str or None
        WKT (full precision) before and after, when ``"geometry"`` is in ``fields``.
    restored_from : int or None
        For ``restore``: the version brought back.
    """

    project_id: str
    version: int
    action: str
    user: str
    at: str
    fields: tuple[str, ...]
    old_values: dict[str, Any]
    new_values: dict[str, Any]
    old_geometry: str | None
    new_geometry: str | None
    restored_from: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "project_id": self.project_id,
            "version": self.version,
            "action": self.action,
            "user": self.user,
            "at": self.at,
            "fields": list(self.fields),
            "old_values": self.old_values,
            "new_values": self.new_values,
            "old_geometry": self.old_geometry,
            "new_geometry": self.new_geometry,
            "restored_from": self.restored_from,
        }


#: A feature row: the schema's columns, ``geometry`` (shapely or None), ``version``,
#: ``updated_at`` and ``updated_by``.
Record = dict[str, Any]
Records = list[Record]
Entries = list["HistoryEntry"]


def history_entry_from_row(row: Sequence[Any]) -> HistoryEntry:
    """A history row (columns in the order of both back ends' history queries) as an entry."""
    return HistoryEntry(
        str(row[0]),
        int(row[1]),
        str(row[2]),
        str(row[3]),
        str(row[4]),
        tuple(json.loads(row[5])),
        json.loads(row[6]),
        json.loads(row[7]),
        row[8],
        row[9],
        None if row[10] is None else int(row[10]),
    )


# --------------------------------------------------------------------------------------------
# helpers


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def wkt(geom: shapely.Geometry | None) -> str | None:
    """Full-precision WKT (round-trips exactly), ``None`` for no geometry.

    >>> wkt(shapely.Point(116.1, 39.9))
    'POINT (116.1 39.9)'
    """
    if geom is None:
        return None
    return str(shapely.to_wkt(geom, rounding_precision=-1, output_dimension=2))


def _same_geometry(a: shapely.Geometry | None, b: shapely.Geometry | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return bool(shapely.to_wkb(a) == shapely.to_wkb(b))


# --------------------------------------------------------------------------------------------
# request argument checks (before any validation or write)


def _check_id(project_id: Any) -> str:
    if not isinstance(project_id, str) or not project_id:
        raise LayerError([Problem("request", None, "project_id", "must be non-empty text")])
    return project_id


def _check_user(user: Any) -> None:
    if not isinstance(user, str) or not user.strip() or len(user) > 200 or "\x00" in user:
        raise LayerError([Problem("request", None, "user", "who edits must be named")])
    try:
        user.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LayerError([Problem("request", None, "user", "not valid Unicode text")]) from exc


def _check_version(v: Any, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise LayerError(
            [
                Problem(
                    "request", None, name, f"must be a positive whole number, got {_printable(v)!r}"
                )
            ]
        )
    return int(v)
