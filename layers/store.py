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
"""

from __future__ import annotations

import json
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.edits import (
    DISTRICT_TOLERANCE_M,
    EDITABLE_FIELDS,
    GeometryChecker,
    _printable,
    validate_changes,
)
from layers.errors import LayerError, Problem
from layers.schema import SCHEMAS, Column
from layers.studyarea import DEFAULT_AREA, StudyArea, load_study_area

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


def _plain(value: Any, col: Column) -> Any:
    """A cell of a shipped GeoDataFrame as a plain Python value (``None`` for missing)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if col.dtype == "int":
        return int(value)
    if col.dtype == "float":
        return float(value)
    if col.dtype == "bool":
        return bool(value)
    return str(value)


def records_from_frame(gdf: gpd.GeoDataFrame) -> list[Record]:
    """Rows of a projects GeoDataFrame (EPSG:4326) as store records at version 1."""
    missing = [c.name for c in COLUMNS if c.name not in gdf.columns]
    if missing:
        raise LayerError([Problem("projects", None, m, "column missing") for m in missing])
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    out = []
    for i, row in enumerate(gdf[[c.name for c in COLUMNS]].itertuples(index=False, name=None)):
        rec: Record = {c.name: _plain(v, c) for c, v in zip(COLUMNS, row, strict=True)}
        g = geoms[i]
        rec["geometry"] = None if g is None or shapely.is_empty(g) else g
        rec["version"] = 1
        rec["updated_at"] = None
        rec["updated_by"] = None
        out.append(rec)
    return out


def frame_from_records(records: Sequence[Record]) -> gpd.GeoDataFrame:
    """Store records as the projects layer: the schema's columns and dtypes, EPSG:4326.

    Same columns and dtypes as ``layers.read_layer("projects")`` (no ``version``).
    """
    data: dict[str, Any] = {}
    for c in COLUMNS:
        values = [r.get(c.name) for r in records]
        if c.dtype == "int":
            data[c.name] = pd.array(values, dtype="Int64")
        elif c.dtype == "float":
            data[c.name] = np.array([np.nan if v is None else v for v in values], dtype=float)
        elif c.dtype == "bool":
            data[c.name] = pd.array(values, dtype="boolean")
        else:
            data[c.name] = pd.Series(values, dtype="str")
    geoms = np.array([r.get("geometry") for r in records], dtype=object)
    return gpd.GeoDataFrame(pd.DataFrame(data), geometry=gpd.GeoSeries(geoms), crs="EPSG:4326")


def feature(rec: Record) -> dict[str, Any]:
    """A record as a GeoJSON Feature (``version`` at the top level and in ``properties``).

    >>> rec = {c.name: None for c in COLUMNS} | {"project_id": "p1", "geometry": None,
    ...     "version": 3, "updated_at": None, "updated_by": None}
    >>> f = feature(rec)
    >>> f["id"], f["version"], f["properties"]["version"], f["geometry"]
    ('p1', 3, 3, None)
    """
    props = {c.name: rec.get(c.name) for c in COLUMNS}
    props["version"] = rec["version"]
    props["updated_at"] = rec.get("updated_at")
    props["updated_by"] = rec.get("updated_by")
    g = rec.get("geometry")
    return {
        "type": "Feature",
        "id": rec[KEY],
        "version": rec["version"],
        "properties": props,
        "geometry": None if g is None else shapely.geometry.mapping(g),
    }


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


def replay(entries: Sequence[HistoryEntry], upto: int | None = None) -> Record:
    """The feature's state after applying its history up to version ``upto`` (default: all).

    The first entry must be the ``import`` entry that holds every field. Returns the schema's
    fields, ``geometry`` and ``version``.

    Examples
    --------
    >>> e1 = HistoryEntry("p", 1, "import", "system", "t", ("note", "geometry"), {},
    ...     {"note": "a"}, None, "POINT (1 2)")
    >>> e2 = HistoryEntry("p", 2, "update", "li", "t", ("note",), {"note": "a"}, {"note": "b"},
    ...     None, None)
    >>> replay([e1, e2])["note"], replay([e1, e2], upto=1)["note"], replay([e1, e2])["version"]
    ('b', 'a', 2)
    """
    state: Record = {}
    seen = False
    for e in sorted(entries, key=lambda e: e.version):
        if upto is not None and e.version > upto:
            break
        state.update(e.new_values)
        if "geometry" in e.fields:
            state["geometry"] = None if e.new_geometry is None else shapely.from_wkt(e.new_geometry)
        state["version"] = e.version
        seen = True
    if not seen:
        raise LayerError([Problem("history", None, "version", f"no version {upto} in the history")])
    state.setdefault("geometry", None)
    return state


# --------------------------------------------------------------------------------------------
# the interface


class _Writer(Protocol):
    """What a back end provides inside one write transaction."""

    def lock(self, project_id: str) -> Record | None: ...

    def history(self, project_id: str) -> list[HistoryEntry]: ...

    def save(self, rec: Record, changed: Sequence[str], old_version: int) -> None: ...

    def add_history(self, entry: HistoryEntry) -> None: ...


class ProjectStore(ABC):
    """Versioned, history-keeping store of the projects layer (interface and shared logic).

    Back ends implement ``_fetch``, ``_fetch_history``, ``_write`` and :meth:`revision`;
    validation, optimistic concurrency, history and restore are shared.

    Parameters
    ----------
    area : StudyArea or str
        Study area (extent, metric CRS, shipped ``projects`` and ``district`` layers).
    seed : GeoDataFrame, optional
        Initial content of a new store (default: the shipped ``projects`` layer).
    district : shapely geometry, optional
        District outline for validation (default: the ``district`` layer; ``False`` disables).
    district_tolerance_m : float
        See :class:`GeometryChecker`.
    """

    def __init__(
        self,
        area: StudyArea | str = DEFAULT_AREA,
        *,
        seed: gpd.GeoDataFrame | None = None,
        district: shapely.Geometry | bool | None = None,
        district_tolerance_m: float = DISTRICT_TOLERANCE_M,
    ) -> None:
        self.area = load_study_area(area) if isinstance(area, str) else area
        self._seed = seed
        self._district = district
        self._tolerance = district_tolerance_m
        self._checker: GeometryChecker | None = None
        self._checker_lock = threading.Lock()

    # ---- back-end hooks

    @abstractmethod
    def _fetch(self, project_id: str | None = None) -> list[Record]:
        """All records (``project_id=None``) or the one record (empty list if unknown)."""

    @abstractmethod
    def _fetch_history(self, project_id: str) -> list[HistoryEntry]:
        """History entries of one feature, by version."""

    @abstractmethod
    def _write(self) -> Any:
        """Context manager: one write transaction yielding a :class:`_Writer`."""

    @abstractmethod
    def revision(self) -> int:
        """A number that grows with every write (for caches and ETags)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    # ---- shared

    def seed_records(self) -> list[Record]:
        """Records a new store starts with (the shipped layer unless ``seed`` was given)."""
        if self._seed is not None:
            frame = self._seed
        else:
            from layers.io import read_layer

            frame = read_layer("projects", self.area)
        return records_from_frame(frame)

    def import_entries(
        self, records: Sequence[Record], at: str | None = None
    ) -> list[HistoryEntry]:
        """One ``import`` history entry per seed record."""
        at = at or _now()
        names = tuple(c.name for c in COLUMNS)
        return [
            HistoryEntry(
                r[KEY],
                1,
                "import",
                "system",
                at,
                (*names, "geometry"),
                {},
                {n: r[n] for n in names},
                None,
                wkt(r["geometry"]),
            )
            for r in records
        ]

    @property
    def checker(self) -> GeometryChecker:
        """The geometry validator (district outline loaded on first use)."""
        with self._checker_lock:
            if self._checker is None:
                district = self._district
                if district is None or district is True:
                    from layers.io import read_layer

                    d = read_layer("district", self.area)
                    district = shapely.union_all(np.asarray(d.geometry.values))
                self._checker = GeometryChecker(
                    self.area.extent,
                    None if district is False else district,  # type: ignore[arg-type]
                    self.area.metric_crs,
                    self._tolerance,
                )
            return self._checker

    def validate(
        self,
        project_id: str,
        changes: Mapping[str, Any],
        geometry: Any = None,
        *,
        clear_geometry: bool = False,
        repair: bool = True,
    ) -> ValidatedEdit:
        """Validate an edit without writing; raise one :class:`LayerError` naming every bad field.

        Parameters
        ----------
        project_id : str
        changes : mapping
            Field -> value (:data:`EDITABLE_FIELDS`).
        geometry : shapely geometry, GeoJSON mapping or None
            New geometry (EPSG:4326); ``None`` keeps the current one.
        clear_geometry : bool
            Remove the geometry (with ``geometry=None``).
        repair : bool
            Repair invalid polygons with ``make_valid`` (else reject).
        """
        where = f"project {_printable(project_id)}"
        problems: list[Problem] = []
        clean: dict[str, Any] = {}
        try:
            clean = validate_changes(changes, where)
        except LayerError as err:
            problems.extend(err.problems)
        geom = None
        messages: list[str] = []
        if geometry is not None and clear_geometry:
            problems.append(
                Problem(where, None, "geometry", "give a geometry or clear it, not both")
            )
        elif geometry is not None:
            try:
                geom, messages = self.checker.check(geometry, where, repair=repair)
            except LayerError as err:
                problems.extend(err.problems)
        if problems:
            raise LayerError(problems)
        return ValidatedEdit(clean, geom, bool(clear_geometry), messages)

    def get(self, project_id: str) -> dict[str, Any]:
        """The feature as a GeoJSON Feature dict with its ``version``; :class:`UnknownProject` if absent."""
        recs = self._fetch(_check_id(project_id))
        if not recs:
            raise UnknownProject(project_id)
        return feature(recs[0])

    def list(self, filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Features matching ``filters`` (field -> value or list of values; all must match).

        ``subdistrict_code`` matches one of a project's ``;``-separated ``subdistrict_codes``;
        ``has_geometry`` (bool) selects drawn or undrawn projects. Unknown fields raise
        :class:`LayerError`.
        """
        flt = dict(filters or {})
        known = set(_COL) | {"version", "updated_by", "subdistrict_code", "has_geometry"}
        bad = [k for k in flt if k not in known]
        if bad:
            raise LayerError(
                [Problem("filters", None, _printable(k), "unknown filter field") for k in bad]
            )
        out = []
        for rec in self._fetch(None):
            ok = True
            for k, want in flt.items():
                wants = list(want) if isinstance(want, list | tuple | set) else [want]
                if k == "subdistrict_code":
                    codes = set((rec.get("subdistrict_codes") or "").split(";"))
                    ok = any(str(w) in codes for w in wants)
                elif k == "has_geometry":
                    ok = (rec["geometry"] is not None) in [bool(w) for w in wants]
                else:
                    ok = rec.get(k) in wants
                if not ok:
                    break
            if ok:
                out.append(feature(rec))
        return out

    def records(self) -> Records:
        """All records (plain values, shapely geometry, version)."""
        return self._fetch(None)

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """The projects layer as stored now: EPSG:4326, the columns of ``read_layer("projects")``."""
        return frame_from_records(self._fetch(None))

    def history(self, project_id: str) -> Entries:
        """Every version of the feature, oldest first; :class:`UnknownProject` if absent."""
        entries = self._fetch_history(_check_id(project_id))
        if not entries:
            raise UnknownProject(project_id)
        return entries

    def update(
        self,
        project_id: str,
        changes: Mapping[str, Any],
        geometry: Any = None,
        expected_version: int | None = None,
        user: str = "",
        *,
        clear_geometry: bool = False,
        repair: bool = True,
    ) -> int:
        """Apply an edit in one transaction; return the new version.

        Parameters
        ----------
        project_id : str
        changes : mapping
            Field -> value (:data:`EDITABLE_FIELDS`). Setting ``latest_status`` or
            ``latest_status_year`` also records ``year:status`` in ``status_history``.
        geometry : shapely geometry, GeoJSON mapping or None
            New geometry in EPSG:4326 (quality becomes ``user``); ``None`` keeps the current one.
        expected_version : int
            The version the edit is based on.
        user : str
            Who edits (recorded in the history).
        clear_geometry : bool
            Remove the geometry (quality becomes ``none``).
        repair : bool
            Repair invalid polygons with ``make_valid`` (else reject).

        Returns
        -------
        int
            The new version (the current one when the edit changes nothing).

        Raises
        ------
        StaleEdit
            ``expected_version`` is not the current version; nothing written.
        UnknownProject
            No such project.
        LayerError
            Bad fields or geometry, each named; nothing written.
        """
        _check_id(project_id)
        _check_user(user)
        expected = _check_version(expected_version, "expected_version")
        edit = self.validate(
            project_id, changes, geometry, clear_geometry=clear_geometry, repair=repair
        )
        return self._apply(project_id, edit, expected, user, "update", None)

    def restore(
        self, project_id: str, version: int, user: str, expected_version: int | None = None
    ) -> int:
        """Bring back the feature as it was at ``version``, as a new version with history.

        Raises
        ------
        StaleEdit
            ``expected_version`` is not the current version.
        LayerError
            ``version`` is not in the feature's history.
        """
        _check_id(project_id)
        _check_user(user)
        target = _check_version(version, "version")
        expected = _check_version(expected_version, "expected_version")
        return self._apply(project_id, None, expected, user, "restore", target)

    def _apply(
        self,
        project_id: str,
        edit: ValidatedEdit | None,
        expected: int,
        user: str,
        action: str,
        restore_to: int | None,
    ) -> int:
        with self._write() as w:
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
