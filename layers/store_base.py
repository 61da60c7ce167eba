"""The projects store interface, :class:`ProjectStore`: reads, validation, updates and restore.

Back ends (:mod:`layers.store_gpkg`, :mod:`layers.store_postgis`) subclass it and provide only
storage: ``_fetch``, ``_fetch_history``, ``_write`` and :meth:`ProjectStore.revision`. The write
rules themselves are :func:`layers.store_apply.apply_edit`.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from layers.edits import DISTRICT_TOLERANCE_M, GeometryChecker, _printable, validate_changes
from layers.errors import LayerError, Problem
from layers.store_apply import _Writer, apply_edit
from layers.store_model import (
    _COL,
    COLUMNS,
    KEY,
    Entries,
    HistoryEntry,
    Record,
    Records,
    UnknownProject,
    ValidatedEdit,
    _check_id,
    _check_user,
    _check_version,
    _now,
    wkt,
)
from layers.store_records import feature, frame_from_records, records_from_frame
from layers.studyarea import DEFAULT_AREA, StudyArea, load_study_area

__all__ = ["ProjectStore"]


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
        w: _Writer
        with self._write() as w:
            return apply_edit(w, project_id, edit, expected, user, action, restore_to)
