"""What the SQL back ends share: the two tables' SQL, one connection per thread, the reads.

The GeoPackage (SQLite) and PostGIS stores keep the same two tables, ``projects`` (the layer's
columns, ``geom``, ``version``, ``updated_at``, ``updated_by``) and ``project_history``. They
differ only in the SQL dialect (placeholders, column types), in how a geometry goes in and out
and in how a write transaction is opened, so :class:`SQLWriter` holds every statement once and a
back end's writer gives only those differences; :class:`SQLStore` holds the per-thread
connection and the reads.
"""

from __future__ import annotations

import json
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Generic, TypeVar

import shapely

from layers.schema import Column
from layers.store_base import ProjectStore
from layers.store_model import (
    _COL,
    COLUMNS,
    KEY,
    Entries,
    HistoryEntry,
    Record,
    Records,
    StaleEdit,
    history_entry_from_row,
)
from layers.studyarea import DEFAULT_AREA, StudyArea

__all__ = ["HIST_COLS", "SQLStore", "SQLWriter", "from_sql", "hist_params"]

#: The history table's columns, in the order of :func:`layers.store_model.history_entry_from_row`.
HIST_COLS = (
    "project_id, version, action, user_name, at, fields, old_values, new_values, "
    "old_geometry_wkt, new_geometry_wkt, restored_from"
)

ConT = TypeVar("ConT")


def from_sql(value: Any, col: Column) -> Any:
    """A stored cell as the plain Python value of the column's dtype (``None`` stays ``None``)."""
    if value is None:
        return None
    if col.dtype == "bool":
        return bool(value)
    if col.dtype == "int":
        return int(value)
    if col.dtype == "float":
        return float(value)
    return str(value)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def hist_params(e: HistoryEntry) -> tuple[Any, ...]:
    """A history entry as the parameters of an insert into :data:`HIST_COLS`."""
    return (
        e.project_id,
        e.version,
        e.action,
        e.user,
        e.at,
        _json(list(e.fields)),
        _json(e.old_values),
        _json(e.new_values),
        e.old_geometry,
        e.new_geometry,
        e.restored_from,
    )


class SQLWriter(ABC):
    """The store's two tables in SQL over one connection or cursor.

    Inside a write transaction it is the back end's writer (``lock``, ``history``, ``save``,
    ``add_history``, see :func:`layers.store_apply.apply_edit`); outside one it serves the reads.
    Subclasses set the dialect (class attributes) and implement :meth:`_execute`,
    :meth:`_executemany`, :meth:`_decode_geometry` and :meth:`_encode_geometry`.

    Parameters
    ----------
    table, history_table : str
        The (qualified) names of the feature table and the history table.
    """

    #: Parameter placeholder (``?`` or ``%s``).
    placeholder: ClassVar[str]
    #: SQL type per schema dtype, and of the store's own integer and text columns.
    column_types: ClassVar[Mapping[str, str]]
    integer: ClassVar[str]
    text: ClassVar[str]
    #: Declarations of the feature-id and history-id columns, and the geometry column's type.
    fid_column: ClassVar[str]
    hist_id_column: ClassVar[str]
    geom_type: ClassVar[str]
    #: The geometry as selected, and as set from one parameter.
    geom_select: ClassVar[str]
    geom_param: ClassVar[str]
    #: Appended to the ``SELECT`` that reads the row about to be written.
    lock_clause: ClassVar[str] = ""

    def __init__(self, table: str, history_table: str) -> None:
        self.table = table
        self.history_table = history_table

    # ---- what a back end provides

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Run one statement; return a cursor (``fetchone``, ``fetchall``, ``rowcount``)."""

    @abstractmethod
    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""

    @abstractmethod
    def _decode_geometry(self, value: Any) -> shapely.Geometry | None:
        """The geometry of a selected ``geom`` (``None`` for NULL)."""

    @abstractmethod
    def _encode_geometry(self, geom: shapely.Geometry | None) -> Any:
        """The parameter for :attr:`geom_param` (``None`` for no geometry)."""

    def _param(self, value: Any, col: Column) -> Any:
        """A record's value as a statement parameter (default: as is)."""
        return value

    def _after_save(self, rec: Record) -> None:  # noqa: B027 - optional hook
        """Bookkeeping in the same transaction after a row was saved (default: none)."""

    # ---- statements

    @property
    def select(self) -> str:
        """The columns a record is read from (:meth:`_record`)."""
        return ", ".join(
            [
                self.geom_select,
                *[f'"{c.name}"' for c in COLUMNS],
                "version",
                "updated_at",
                "updated_by",
            ]
        )

    def _record(self, row: Sequence[Any]) -> Record:
        rec: Record = {"geometry": self._decode_geometry(row[0])}
        for i, c in enumerate(COLUMNS, start=1):
            rec[c.name] = from_sql(row[i], c)
        n = len(COLUMNS) + 1
        rec["version"] = int(row[n])
        rec["updated_at"] = row[n + 1]
        rec["updated_by"] = row[n + 2]
        return rec

    def _history_insert(self) -> str:
        qs = ", ".join([self.placeholder] * 11)
        return f"INSERT INTO {self.history_table} ({HIST_COLS}) VALUES ({qs})"

    def feature_table_sql(self) -> str:
        """``CREATE TABLE`` of the feature table."""
        cols = ",\n".join(
            f'"{c.name}" {self.column_types[c.dtype]}'
            + (" NOT NULL UNIQUE" if c.name == KEY else (" NOT NULL" if not c.nullable else ""))
            for c in COLUMNS
        )
        return f"""CREATE TABLE {self.table} (
            {self.fid_column},
            geom {self.geom_type},
            {cols},
            version {self.integer} NOT NULL DEFAULT 1 CHECK (version >= 1),
            updated_at {self.text}, updated_by {self.text})"""

    def history_table_sql(self) -> str:
        """``CREATE TABLE`` of the history table (one row per version of a feature)."""
        t, i = self.text, self.integer
        return f"""CREATE TABLE {self.history_table} (
            {self.hist_id_column},
            project_id {t} NOT NULL, version {i} NOT NULL,
            action {t} NOT NULL, user_name {t} NOT NULL, at {t} NOT NULL,
            fields {t} NOT NULL, old_values {t} NOT NULL, new_values {t} NOT NULL,
            old_geometry_wkt {t}, new_geometry_wkt {t}, restored_from {i},
            UNIQUE (project_id, version))"""

    def insert_seed(self, records: Sequence[Record], entries: Sequence[HistoryEntry]) -> None:
        """Fill new tables: the records at version 1 and their ``import`` history entries."""
        names = ", ".join(f'"{c.name}"' for c in COLUMNS)
        qs = ", ".join([self.placeholder] * len(COLUMNS))
        self._executemany(
            f"INSERT INTO {self.table} (geom, {names}, version) "
            f"VALUES ({self.geom_param}, {qs}, 1)",
            [
                (
                    self._encode_geometry(r["geometry"]),
                    *[self._param(r[c.name], c) for c in COLUMNS],
                )
                for r in records
            ],
        )
        self._executemany(self._history_insert(), [hist_params(e) for e in entries])

    # ---- reads and the writer hooks

    def fetch(self, project_id: str | None = None) -> Records:
        """All records in table order (``project_id=None``) or the one record (or none)."""
        if project_id is None:
            cur = self._execute(f"SELECT {self.select} FROM {self.table} ORDER BY fid")
        else:
            cur = self._execute(
                f"SELECT {self.select} FROM {self.table} WHERE project_id = {self.placeholder}",
                (project_id,),
            )
        return [self._record(r) for r in cur.fetchall()]

    def lock(self, project_id: str) -> Record | None:
        """The record about to be written (row-locked where the dialect needs it), or ``None``."""
        row = self._execute(
            f"SELECT {self.select} FROM {self.table} "
            f"WHERE project_id = {self.placeholder}{self.lock_clause}",
            (project_id,),
        ).fetchone()
        return None if row is None else self._record(row)

    def history(self, project_id: str) -> Entries:
        """The feature's history entries by version."""
        rows = self._execute(
            f"SELECT {HIST_COLS} FROM {self.history_table} "
            f"WHERE project_id = {self.placeholder} ORDER BY version",
            (project_id,),
        ).fetchall()
        return [history_entry_from_row(r) for r in rows]

    def revision(self) -> int:
        """The newest history id (0 for none): grows with every write."""
        row = self._execute(f"SELECT max(hist_id) FROM {self.history_table}").fetchone()
        return int(row[0] or 0) if row else 0

    def save(self, rec: Record, changed: Sequence[str], old_version: int) -> None:
        """Write the ``changed`` fields and the new version of the row at ``old_version``."""
        p = self.placeholder
        sets = [f'"{n}" = {p}' for n in changed if n != "geometry"]
        params: list[Any] = [self._param(rec[n], _COL[n]) for n in changed if n != "geometry"]
        if "geometry" in changed:
            sets.append(f"geom = {self.geom_param}")
            params.append(self._encode_geometry(rec["geometry"]))
        sets += [f"version = {p}", f"updated_at = {p}", f"updated_by = {p}"]
        params += [rec["version"], rec["updated_at"], rec["updated_by"]]
        cur = self._execute(
            f"UPDATE {self.table} SET {', '.join(sets)} WHERE project_id = {p} AND version = {p}",
            (*params, rec[KEY], old_version),
        )
        if cur.rowcount != 1:  # cannot happen under the write lock; never write half
            raise StaleEdit(old_version)
        self._after_save(rec)

    def add_history(self, entry: HistoryEntry) -> None:
        """Insert the history entry of a write."""
        self._execute(self._history_insert(), hist_params(entry))


class SQLStore(ProjectStore, Generic[ConT]):
    """A :class:`ProjectStore` on one SQL connection per thread and process.

    Subclasses implement :meth:`_connect`, :meth:`_reader` and ``_write``; the reads and
    :meth:`revision` go through :meth:`_reader`.
    """

    def __init__(self, area: StudyArea | str = DEFAULT_AREA, **kwargs: Any) -> None:
        super().__init__(area, **kwargs)
        self._local = threading.local()

    # ---- connections (one per thread and process)

    @abstractmethod
    def _connect(self) -> ConT:
        """A new connection, set up for this store."""

    def _usable(self, con: ConT) -> bool:
        """Whether this thread's connection can still be used (default: yes)."""
        return True

    def _con(self) -> ConT:
        con = getattr(self._local, "con", None)
        # a connection inherited over fork belongs to the parent: open a new one
        if con is None or not self._usable(con) or getattr(self._local, "pid", None) != os.getpid():
            con = self._connect()
            self._local.con = con
            self._local.pid = os.getpid()
        return con

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None and getattr(self._local, "pid", None) == os.getpid():
            con.close()
        self._local.con = None

    @abstractmethod
    def _reader(self) -> AbstractContextManager[SQLWriter]:
        """Context manager: the tables' SQL on this thread's connection, outside a write."""

    # ---- reads

    def _fetch(self, project_id: str | None = None) -> Records:
        with self._reader() as r:
            return r.fetch(project_id)

    def _fetch_history(self, project_id: str) -> Entries:
        with self._reader() as r:
            return r.history(project_id)

    def revision(self) -> int:
        with self._reader() as r:
            return r.revision()
