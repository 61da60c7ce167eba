"""One versioned write inside a back end's transaction: check the version, apply, record history.

:func:`apply_edit` holds the store's write rules once for every back end: optimistic concurrency
(:class:`~layers.store_model.StaleEdit`), ``geometry_quality`` and ``status_history`` upkeep,
restore by replaying the history, and the history entry written with the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from layers.errors import LayerError, Problem
from layers.store_model import (
    COLUMNS,
    HistoryEntry,
    Record,
    StaleEdit,
    UnknownProject,
    ValidatedEdit,
    _now,
    _same_geometry,
    wkt,
)
from layers.store_records import replay

__all__ = ["apply_edit"]


class _Writer(Protocol):
    """What a back end provides inside one write transaction."""

    def lock(self, project_id: str) -> Record | None: ...

    def history(self, project_id: str) -> list[HistoryEntry]: ...

    def save(self, rec: Record, changed: Sequence[str], old_version: int) -> None: ...

    def add_history(self, entry: HistoryEntry) -> None: ...


def _status_history(text: str | None, year: int, status: str) -> str:
    """``status_history`` with ``year:status`` set (one entry per year, sorted).

    >>> _status_history("2016:under_way;2022:under_way", 2024, "done")
    '2016:under_way;2022:under_way;2024:done'
    >>> _status_history("2016:planned;2024:under_way", 2024, "done")
    '2016:planned;2024:done'
    """
    entries: dict[int, str] = {}
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        y, _, s = part.partition(":")
        try:
            entries[int(y)] = s.strip()
        except ValueError:
            continue
    entries[int(year)] = status
    return ";".join(f"{y}:{s}" for y, s in sorted(entries.items()))


def _restored(project_id: str, w: _Writer, cur: Record, restore_to: int | None) -> Record:
    """The feature's fields and geometry at version ``restore_to``, replayed from its history."""
    entries = w.history(project_id)
    if restore_to is None or restore_to > cur["version"]:
        raise LayerError(
            [
                Problem(
                    f"project {project_id}",
                    None,
                    "version",
                    f"no version {restore_to} (current: {cur['version']})",
                )
            ]
        )
    past = replay(entries, upto=restore_to)
    if past["version"] != restore_to:
        raise LayerError(
            [
                Problem(
                    f"project {project_id}",
                    None,
                    "version",
                    f"version {restore_to} is not in the history",
                )
            ]
        )
    return past


def apply_edit(
    w: _Writer,
    project_id: str,
    edit: ValidatedEdit | None,
    expected: int,
    user: str,
    action: str,
    restore_to: int | None,
) -> int:
    """Apply a validated edit (or, with ``edit=None``, a restore) through an open writer.

    Parameters
    ----------
    w : writer
        The back end's hooks inside one write transaction (``lock``, ``history``, ``save``,
        ``add_history``); raising here rolls the transaction back.
    project_id : str
    edit : ValidatedEdit or None
        The edit; ``None`` restores version ``restore_to``.
    expected : int
        The version the edit is based on.
    user : str
        Who edits (recorded in the history).
    action : {"update", "restore"}
    restore_to : int or None
        The version to bring back (``restore`` only).

    Returns
    -------
    int
        The new version (the current one when nothing changes; then nothing is written).

    Raises
    ------
    UnknownProject, StaleEdit, LayerError
        Before anything is written.
    """
    cur = w.lock(project_id)
    if cur is None:
        raise UnknownProject(project_id)
    if cur["version"] != expected:
        raise StaleEdit(cur["version"])
    new = dict(cur)
    if edit is not None:
        new.update(edit.changes)
        if edit.geometry is not None:
            new["geometry"] = edit.geometry
            new["geometry_quality"] = "user"
        elif edit.clear_geometry:
            new["geometry"] = None
            new["geometry_quality"] = "none"
        touched = {"latest_status", "latest_status_year"} & set(edit.changes)
        if touched and new.get("latest_status") and new.get("latest_status_year"):
            new["status_history"] = _status_history(
                new.get("status_history"),
                int(new["latest_status_year"]),
                str(new["latest_status"]),
            )
    else:
        past = _restored(project_id, w, cur, restore_to)
        for c in COLUMNS:
            new[c.name] = past.get(c.name)
        new["geometry"] = past["geometry"]
    names = [c.name for c in COLUMNS if new.get(c.name) != cur.get(c.name)]
    geom_changed = not _same_geometry(new["geometry"], cur["geometry"])
    if not names and not geom_changed:
        return int(cur["version"])
    at = _now()
    new["version"] = cur["version"] + 1
    new["updated_at"] = at
    new["updated_by"] = user
    fields = (*names, "geometry") if geom_changed else tuple(names)
    w.save(new, fields, cur["version"])
    w.add_history(
        HistoryEntry(
            project_id,
            new["version"],
            action,
            user,
            at,
            fields,
            {n: cur.get(n) for n in names},
            {n: new.get(n) for n in names},
            wkt(cur["geometry"]) if geom_changed else None,
            wkt(new["geometry"]) if geom_changed else None,
            restore_to,
        )
    )
    return int(new["version"])
