"""The planners' editable projects store: versioned features, edit history and restore.

Planners draw the projects the district's tables give only as boundary texts (四至) and keep their
statuses current. :class:`ProjectStore` is the interface; :class:`GeoPackageStore` keeps the layer in
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
import math
import os
import re
import sqlite3
import struct
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from layers.errors import LayerError, Problem
from layers.schema import SCHEMAS, Column
from layers.studyarea import DEFAULT_AREA, StudyArea, load_study_area

__all__ = [
    "EDITABLE_FIELDS",
    "GeoPackageStore",
    "HistoryEntry",
    "ProjectStore",
    "StaleEdit",
    "UnknownProject",
    "ValidatedEdit",
    "decode_gpkg_geometry",
    "default_data_dir",
    "encode_gpkg_geometry",
    "open_store",
    "replay",
]

SCHEMA = SCHEMAS["projects"]
KEY = SCHEMA.key
COLUMNS: tuple[Column, ...] = SCHEMA.columns
_COL = {c.name: c for c in COLUMNS}

#: Fields planners may change through the store (everything else is provenance or derived).
EDITABLE_FIELDS: tuple[str, ...] = (
    "name_zh",
    "category",
    "location_zh",
    "sizhi_zh",
    "area_m2",
    "households",
    "investment_wan_cny",
    "start_year",
    "planned_end_year",
    "latest_status",
    "latest_status_year",
    "adds_green_space",
    "note",
)
_YEAR_FIELDS = {"start_year", "planned_end_year", "latest_status_year"}
YEAR_RANGE = (1949, 2100)
#: Largest accepted text value (characters) and numbers.
MAX_TEXT = 4000
MAX_NUMBER = 1e13
#: Largest accepted number of vertices of an edited geometry.
MAX_VERTICES = 20_000
#: How far (metres) an edited geometry may reach outside the (approximate) district outline.
DISTRICT_TOLERANCE_M = 1000.0
#: Geometry types a project may have.
GEOMETRY_TYPES = SCHEMA.geometry_types


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


def _printable(text: object, limit: int = 80) -> str:
    """``text`` safe to echo in a message: no lone surrogates, bounded length."""
    s = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    return s if len(s) <= limit else s[:limit] + "…"


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
# validation


def _coerce(name: str, value: Any, problems: list[Problem], where: str) -> Any:
    col = _COL[name]

    def bad(msg: str) -> None:
        problems.append(Problem(where, None, name, msg))

    if isinstance(value, str) and col.dtype != "str" and value.strip() == "":
        value = None
    if value is None:
        if not col.nullable:
            bad("may not be empty")
        return None
    if col.dtype == "str":
        if not isinstance(value, str):
            bad(f"expected text, got {type(value).__name__}")
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            bad("not valid Unicode text (lone surrogate)")
            return None
        if "\x00" in value:
            bad("contains a NUL character")
            return None
        if len(value) > MAX_TEXT:
            bad(f"longer than {MAX_TEXT} characters ({len(value)})")
            return None
        if not col.nullable and not value.strip():
            bad("may not be empty")
            return None
        if col.choices is not None and value not in col.choices:
            bad(f"{_printable(value)!r} is not one of {', '.join(col.choices)}")
            return None
        return value
    if col.dtype == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        bad(f"expected true or false, got {_printable(value)!r}")
        return None
    # numbers
    num: float | int
    if isinstance(value, bool):
        bad(f"expected a number, got {value!r}")
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            num = (
                int(text)
                if col.dtype == "int" and re.fullmatch(r"[+-]?\d{1,18}", text)
                else float(text)
            )
        except ValueError:
            bad(f"not a number: {_printable(value)!r}")
            return None
    elif isinstance(value, int | float):
        num = value
    else:
        bad(f"expected a number, got {type(value).__name__}")
        return None
    if isinstance(num, float) and not math.isfinite(num):
        bad(f"not a finite number: {num!r}")
        return None
    if abs(num) > MAX_NUMBER:
        bad(f"{num!r} is too large")
        return None
    if col.dtype == "int":
        if isinstance(num, float):
            if not num.is_integer():
                bad(f"expected a whole number, got {num!r}")
                return None
            num = int(num)
        if name in _YEAR_FIELDS and not YEAR_RANGE[0] <= num <= YEAR_RANGE[1]:
            bad(f"year {num} outside {YEAR_RANGE[0]}–{YEAR_RANGE[1]}")
            return None
    else:
        num = float(num)
    if col.minimum is not None and num < col.minimum:
        bad(f"{num!r} is below the minimum {col.minimum:g}")
        return None
    return num


def validate_changes(changes: Mapping[str, Any], where: str = "edit") -> dict[str, Any]:
    """Check and type an edit's field values; raise one :class:`LayerError` naming every bad field.

    Parameters
    ----------
    changes : mapping
        Field -> new value. Only :data:`EDITABLE_FIELDS`; numbers may be given as JSON numbers or
        numeric text, an empty string clears a nullable number.
    where : str
        Label for the error messages (e.g. ``"project xc2016-1"``).

    Examples
    --------
    >>> validate_changes({"latest_status": "done", "latest_status_year": "2024"})
    {'latest_status': 'done', 'latest_status_year': 2024}
    >>> validate_changes({"area_m2": "abc", "source": "x", "colour": 1})
    Traceback (most recent call last):
    ...
    layers.errors.LayerError: edit, field 'area_m2': not a number: 'abc'
    edit, field 'source': not editable (editable: name_zh, ...)
    edit, field 'colour': unknown field
    """
    if not isinstance(changes, Mapping):
        raise LayerError([Problem(where, None, "properties", "expected an object of fields")])
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if not isinstance(name, str):
            problems.append(Problem(where, None, _printable(name), "field names must be text"))
            continue
        if name not in _COL:
            problems.append(Problem(where, None, _printable(name), "unknown field"))
            continue
        if name not in EDITABLE_FIELDS:
            problems.append(
                Problem(where, None, name, f"not editable (editable: {', '.join(EDITABLE_FIELDS)})")
            )
            continue
        n = len(problems)
        v = _coerce(name, value, problems, where)
        if len(problems) == n:
            out[name] = v
    if problems:
        raise LayerError(problems)
    return out


def _polygonal_or_linear(g: shapely.Geometry, dim: int) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(g) if shapely.get_dimensions(p) == dim]
    parts = [q for p in parts for q in shapely.get_parts(p)]
    if not parts:
        return shapely.GeometryCollection()
    return shapely.union_all(parts) if dim == 2 else shapely.line_merge(shapely.union_all(parts))


class GeometryChecker:
    """Checks an edited geometry against the study area extent and the district outline.

    Parameters
    ----------
    extent : (west, south, east, north)
        Study area extent, degrees (EPSG:4326).
    district : shapely geometry or None
        District outline, EPSG:4326 (``None``: only the extent is checked).
    metric_crs : str
        Projected CRS for distances (metres).
    tolerance_m : float
        How far outside the district outline a geometry may reach, metres.
    """

    def __init__(
        self,
        extent: tuple[float, float, float, float],
        district: shapely.Geometry | None,
        metric_crs: str,
        tolerance_m: float = DISTRICT_TOLERANCE_M,
    ) -> None:
        self.extent = tuple(float(v) for v in extent)
        self.tolerance_m = float(tolerance_m)
        self._to_metric = Transformer.from_crs(CRS("EPSG:4326"), CRS(metric_crs), always_xy=True)
        self._zone = None
        if district is not None:
            self._zone = shapely.buffer(self._metric(district), self.tolerance_m)
            shapely.prepare(self._zone)

    def _metric(self, g: shapely.Geometry) -> shapely.Geometry:
        return shapely.transform(g, lambda xy: np.column_stack(self._to_metric.transform(*xy.T)))

    def check(
        self, geom: Any, where: str = "edit", *, repair: bool = True
    ) -> tuple[shapely.Geometry, list[str]]:
        """Validate (and repair) one geometry; return it with messages, or raise :class:`LayerError`.

        Parameters
        ----------
        geom : shapely geometry or GeoJSON mapping
            Lon/lat, EPSG:4326.
        where : str
            Label for messages.
        repair : bool
            Repair invalid polygons with ``make_valid`` (else reject them).
        """

        def fail(msg: str) -> LayerError:
            return LayerError([Problem(where, None, "geometry", msg)])

        if isinstance(geom, Mapping):
            geom = geometry_from_geojson(geom, where)
        if not isinstance(geom, shapely.Geometry):
            raise fail(f"expected a geometry, got {type(geom).__name__}")
        messages: list[str] = []
        if shapely.is_empty(geom):
            raise fail("empty geometry")
        if geom.geom_type not in GEOMETRY_TYPES:
            raise fail(f"{geom.geom_type} not allowed (expected {', '.join(GEOMETRY_TYPES)})")
        if shapely.get_num_coordinates(geom) > MAX_VERTICES:
            raise fail(f"more than {MAX_VERTICES} vertices ({shapely.get_num_coordinates(geom)})")
        if shapely.has_z(geom):
            geom = shapely.force_2d(geom)
            messages.append("geometry: Z values dropped")
        coords = shapely.get_coordinates(geom)
        if not np.isfinite(coords).all():
            raise fail("coordinates must be finite numbers")
        w, s, e, n = self.extent
        x0, y0, x1, y1 = shapely.bounds(geom)
        if x0 < w or y0 < s or x1 > e or y1 > n:
            raise fail(
                f"outside the study area extent {self.extent} (bounds {x0:.5f}, {y0:.5f}, "
                f"{x1:.5f}, {y1:.5f}): send WGS-84 lon/lat (EPSG:4326) — wrong CRS, swapped "
                "lon/lat, or a GCJ-02/BD-09 offset?"
            )
        if not shapely.is_valid(geom):
            why = shapely.is_valid_reason(geom)
            if not repair:
                raise fail(f"invalid geometry: {why}")
            dim = int(shapely.get_dimensions(geom))
            fixed = _polygonal_or_linear(shapely.make_valid(geom), dim)
            if shapely.is_empty(fixed) or not shapely.is_valid(fixed):
                raise fail(f"invalid geometry that cannot be repaired: {why}")
            if fixed.geom_type not in GEOMETRY_TYPES:
                raise fail(f"invalid geometry: {why}")
            geom = fixed
            messages.append(f"geometry: repaired invalid geometry ({why}) with make_valid")
        if self._zone is not None:
            gm = self._metric(geom)
            if not shapely.covers(self._zone, gm):
                far = float(shapely.distance(self._zone, gm))
                detail = (
                    f"{far:.0f} m beyond that zone"
                    if far > 0
                    else "part of it reaches beyond that zone"
                )
                raise fail(
                    f"outside the district (more than {self.tolerance_m:g} m beyond its outline; "
                    f"{detail}): wrong CRS or a misplaced drawing?"
                )
        return geom, messages


def geometry_from_geojson(obj: Any, where: str = "edit") -> shapely.Geometry:
    """A GeoJSON geometry object (or Feature) as a shapely geometry; :class:`LayerError` if malformed.

    >>> geometry_from_geojson({"type": "Point", "coordinates": [116.37, 39.91]}).wkt
    'POINT (116.37 39.91)'
    """

    def fail(msg: str) -> LayerError:
        return LayerError([Problem(where, None, "geometry", msg)])

    if not isinstance(obj, Mapping):
        raise fail("expected a GeoJSON geometry object")
    if obj.get("type") == "Feature":
        obj = obj.get("geometry")
        if not isinstance(obj, Mapping):
            raise fail("Feature without a geometry object")
    gtype = obj.get("type")
    if gtype not in GEOMETRY_TYPES:
        raise fail(
            f"GeoJSON type {_printable(gtype)!r} not allowed (expected {', '.join(GEOMETRY_TYPES)})"
        )
    if "coordinates" not in obj:
        raise fail("GeoJSON geometry without 'coordinates'")
    try:
        text = json.dumps({"type": gtype, "coordinates": obj["coordinates"]}, allow_nan=False)
        g = shapely.from_geojson(text)
    except (ValueError, TypeError, RecursionError, shapely.errors.GEOSException) as exc:
        raise fail(f"malformed GeoJSON {gtype}: {_printable(exc, 200)}") from exc
    if g is None:
        raise fail("malformed GeoJSON geometry")
    return g


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


# --------------------------------------------------------------------------------------------
# GeoPackage


_GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
_GPKG_USER_VERSION = 10300  # GeoPackage 1.3
_ENVELOPE_LEN = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_SQL_TYPE = {"str": "TEXT", "int": "INTEGER", "float": "REAL", "bool": "BOOLEAN"}
TABLE = "projects"
HISTORY_TABLE = "project_history"


def encode_gpkg_geometry(geom: shapely.Geometry | None, srs_id: int = 4326) -> bytes | None:
    """A GeoPackage geometry blob: ``GP`` header, little-endian, XY envelope, ISO WKB.

    >>> blob = encode_gpkg_geometry(shapely.Point(116.4, 39.9))
    >>> blob[:2], blob[3], decode_gpkg_geometry(blob).wkt
    (b'GP', 3, 'POINT (116.4 39.9)')
    """
    if geom is None:
        return None
    wkb = shapely.to_wkb(geom, byte_order=1, flavor="iso", output_dimension=2)
    if shapely.is_empty(geom):
        return b"GP\x00\x11" + struct.pack("<i", srs_id) + wkb
    x0, y0, x1, y1 = shapely.bounds(geom)
    return b"GP\x00\x03" + struct.pack("<i4d", srs_id, x0, x1, y0, y1) + wkb


def decode_gpkg_geometry(blob: bytes | None) -> shapely.Geometry | None:
    """The geometry in a GeoPackage geometry blob (``None`` for NULL or an empty geometry)."""
    if blob is None:
        return None
    blob = bytes(blob)
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    flags = blob[3]
    env = (flags >> 1) & 0x07
    if env not in _ENVELOPE_LEN:
        raise ValueError(f"bad GeoPackage envelope indicator {env}")
    g = shapely.from_wkb(blob[8 + _ENVELOPE_LEN[env] :])
    return None if g is None or shapely.is_empty(g) else g


def _wkt_4326() -> str:
    return str(CRS("EPSG:4326").to_wkt("WKT1_GDAL"))


def default_data_dir() -> Path:
    """Where the editable store, the users file and the session key live.

    ``GREENMAP_DATA_DIR`` if set, else ``instance/`` in the working directory (one default for
    ``greenmap serve`` and ``greenmap users``, so an editor added is an editor the server knows).
    """
    value = os.environ.get("GREENMAP_DATA_DIR") or "instance"
    return Path(value).expanduser().resolve()


def _to_sql(value: Any, col: Column) -> Any:
    if value is None:
        return None
    if col.dtype == "bool":
        return 1 if value else 0
    return value


def _from_sql(value: Any, col: Column) -> Any:
    if value is None:
        return None
    if col.dtype == "bool":
        return bool(value)
    if col.dtype == "int":
        return int(value)
    if col.dtype == "float":
        return float(value)
    return str(value)


_SELECT = ", ".join(
    ["geom", *[f'"{c.name}"' for c in COLUMNS], "version", "updated_at", "updated_by"]
)
_HIST_COLS = (
    "project_id, version, action, user_name, at, fields, old_values, new_values, "
    "old_geometry_wkt, new_geometry_wkt, restored_from"
)


def _row_to_record(row: Sequence[Any]) -> Record:
    rec: Record = {"geometry": decode_gpkg_geometry(row[0])}
    for i, c in enumerate(COLUMNS, start=1):
        rec[c.name] = _from_sql(row[i], c)
    n = len(COLUMNS) + 1
    rec["version"] = int(row[n])
    rec["updated_at"] = row[n + 1]
    rec["updated_by"] = row[n + 2]
    return rec


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _hist_params(e: HistoryEntry) -> tuple[Any, ...]:
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


class _SQLiteWriter:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def lock(self, project_id: str) -> Record | None:
        row = self.con.execute(
            f"SELECT {_SELECT} FROM {TABLE} WHERE project_id = ?", (project_id,)
        ).fetchone()
        return None if row is None else _row_to_record(row)

    def history(self, project_id: str) -> list[HistoryEntry]:
        rows = self.con.execute(
            f"SELECT {_HIST_COLS} FROM {HISTORY_TABLE} WHERE project_id = ? ORDER BY version",
            (project_id,),
        ).fetchall()
        return [history_entry_from_row(r) for r in rows]

    def save(self, rec: Record, changed: Sequence[str], old_version: int) -> None:
        sets = [f'"{n}" = ?' for n in changed if n != "geometry"]
        params: list[Any] = [_to_sql(rec[n], _COL[n]) for n in changed if n != "geometry"]
        if "geometry" in changed:
            sets.append("geom = ?")
            params.append(encode_gpkg_geometry(rec["geometry"]))
        sets += ["version = ?", "updated_at = ?", "updated_by = ?"]
        params += [rec["version"], rec["updated_at"], rec["updated_by"]]
        cur = self.con.execute(
            f"UPDATE {TABLE} SET {', '.join(sets)} WHERE project_id = ? AND version = ?",
            (*params, rec[KEY], old_version),
        )
        if cur.rowcount != 1:  # cannot happen under BEGIN IMMEDIATE; never write half
            raise StaleEdit(old_version)
        self.con.execute(
            "UPDATE gpkg_contents SET last_change = ? WHERE table_name IN (?, ?)",
            (rec["updated_at"], TABLE, HISTORY_TABLE),
        )

    def add_history(self, entry: HistoryEntry) -> None:
        self.con.execute(
            f"INSERT INTO {HISTORY_TABLE} ({_HIST_COLS}) VALUES ({', '.join('?' * 11)})",
            _hist_params(entry),
        )


class GeoPackageStore(ProjectStore):
    """The projects store in a GeoPackage (SQLite) file.

    The file is created on first use from the shipped layer (atomically: built aside, then linked
    into place, so concurrent first users agree on one file). It holds the ``projects`` feature
    table (GeoPackage geometry blobs, EPSG:4326, plus ``version``, ``updated_at``, ``updated_by``)
    and the ``project_history`` attribute table; GDAL (``ogrinfo``) opens it.

    Parameters
    ----------
    path : path
        The ``.gpkg`` file (see :func:`default_data_dir`).
    area, seed, district, district_tolerance_m
        See :class:`ProjectStore`.
    busy_timeout_s : float
        How long a writer waits for another writer's transaction.

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> seed = gpd.GeoDataFrame({c.name: [None] for c in COLUMNS}, geometry=[None], crs=4326)
    >>> seed[["project_id", "name_zh", "category", "source", "geometry_quality"]] = [
    ...     "p1", "鱼藻池公园", "park", "doc", "none"]
    >>> store = GeoPackageStore(tempfile.mkdtemp() + "/s.gpkg", seed=seed, district=False)
    >>> store.update("p1", {"latest_status": "done", "latest_status_year": 2024},
    ...     expected_version=1, user="li")
    2
    >>> store.get("p1")["properties"]["status_history"]
    '2024:done'
    >>> store.update("p1", {"note": "x"}, expected_version=1, user="wang")
    Traceback (most recent call last):
    ...
    layers.store.StaleEdit: stale edit: the feature is at version 2
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        area: StudyArea | str = DEFAULT_AREA,
        *,
        seed: gpd.GeoDataFrame | None = None,
        district: shapely.Geometry | bool | None = None,
        district_tolerance_m: float = DISTRICT_TOLERANCE_M,
        busy_timeout_s: float = 30.0,
    ) -> None:
        super().__init__(
            area, seed=seed, district=district, district_tolerance_m=district_tolerance_m
        )
        self.path = Path(path)
        self.busy_timeout_s = float(busy_timeout_s)
        self._local = threading.local()
        if not self.path.exists():
            self._create()
        self._check_file()

    # ---- connections (one per thread and process)

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None or getattr(self._local, "pid", None) != os.getpid():
            con = sqlite3.connect(
                self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=True
            )
            con.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA synchronous = FULL")
            con.execute("PRAGMA foreign_keys = ON")
            self._local.con = con
            self._local.pid = os.getpid()
        return con

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None and getattr(self._local, "pid", None) == os.getpid():
            con.close()
        self._local.con = None

    @contextmanager
    def _write(self) -> Iterator[_SQLiteWriter]:
        con = self._con()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield _SQLiteWriter(con)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        else:
            con.execute("COMMIT")

    # ---- creation

    def _check_file(self) -> None:
        con = self._con()
        app = con.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if app != _GPKG_APPLICATION_ID or not {TABLE, HISTORY_TABLE} <= tables:
            raise LayerError(
                [Problem(str(self.path), None, None, "not a GreenMap projects store (GeoPackage)")]
            )

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        records = self.seed_records()
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        if tmp.exists():
            tmp.unlink()
        con = sqlite3.connect(tmp, isolation_level=None)
        try:
            con.execute("BEGIN")
            _create_schema(con)
            cols = ", ".join(f'"{c.name}"' for c in COLUMNS)
            qs = ", ".join("?" * (len(COLUMNS) + 2))
            con.executemany(
                f"INSERT INTO {TABLE} (geom, {cols}, version) VALUES ({qs})",
                [
                    (
                        encode_gpkg_geometry(r["geometry"]),
                        *[_to_sql(r[c.name], c) for c in COLUMNS],
                        1,
                    )
                    for r in records
                ],
            )
            con.executemany(
                f"INSERT INTO {HISTORY_TABLE} ({_HIST_COLS}) VALUES ({', '.join('?' * 11)})",
                [_hist_params(e) for e in self.import_entries(records)],
            )
            geoms = [r["geometry"] for r in records if r["geometry"] is not None]
            w, s, e, n = shapely.bounds(shapely.union_all(geoms)) if geoms else self.area.extent
            con.execute(
                "UPDATE gpkg_contents SET min_x=?, min_y=?, max_x=?, max_y=? WHERE table_name=?",
                (w, s, e, n, TABLE),
            )
            con.execute("COMMIT")
            con.execute("PRAGMA journal_mode = WAL")
        finally:
            con.close()
        try:
            os.link(tmp, self.path)  # atomic: fails if another process created the store first
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)

    # ---- reads

    def _fetch(self, project_id: str | None = None) -> list[Record]:
        con = self._con()
        if project_id is None:
            rows = con.execute(f"SELECT {_SELECT} FROM {TABLE} ORDER BY fid").fetchall()
        else:
            rows = con.execute(
                f"SELECT {_SELECT} FROM {TABLE} WHERE project_id = ?", (project_id,)
            ).fetchall()
        return [_row_to_record(r) for r in rows]

    def _fetch_history(self, project_id: str) -> list[HistoryEntry]:
        return _SQLiteWriter(self._con()).history(project_id)

    def revision(self) -> int:
        row = self._con().execute(f"SELECT max(hist_id) FROM {HISTORY_TABLE}").fetchone()
        return int(row[0] or 0)

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check`` of the file (``"ok"`` when sound)."""
        return str(self._con().execute("PRAGMA integrity_check").fetchone()[0])


def _create_schema(con: sqlite3.Connection) -> None:
    con.execute(f"PRAGMA application_id = {_GPKG_APPLICATION_ID}")
    con.execute(f"PRAGMA user_version = {_GPKG_USER_VERSION}")
    con.execute(
        """CREATE TABLE gpkg_spatial_ref_sys (
            srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
            organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
            definition TEXT NOT NULL, description TEXT)"""
    )
    con.executemany(
        "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian"),
            ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic"),
            ("WGS 84 geodetic", 4326, "EPSG", 4326, _wkt_4326(), "longitude/latitude WGS 84"),
        ],
    )
    con.execute(
        """CREATE TABLE gpkg_contents (
            table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
            identifier TEXT UNIQUE, description TEXT DEFAULT '',
            last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
            CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))"""
    )
    con.execute(
        """CREATE TABLE gpkg_geometry_columns (
            table_name TEXT NOT NULL, column_name TEXT NOT NULL,
            geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
            z TINYINT NOT NULL, m TINYINT NOT NULL,
            CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
            CONSTRAINT uk_gc_table_name UNIQUE (table_name),
            CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
            CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))"""
    )
    cols = ",\n".join(
        f'"{c.name}" {_SQL_TYPE[c.dtype]}'
        + (" NOT NULL UNIQUE" if c.name == KEY else (" NOT NULL" if not c.nullable else ""))
        for c in COLUMNS
    )
    con.execute(
        f"""CREATE TABLE {TABLE} (
            fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
            geom GEOMETRY,
            {cols},
            version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
            updated_at TEXT, updated_by TEXT)"""
    )
    con.execute(
        f"""CREATE TABLE {HISTORY_TABLE} (
            hist_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
            project_id TEXT NOT NULL, version INTEGER NOT NULL,
            action TEXT NOT NULL, user_name TEXT NOT NULL, at TEXT NOT NULL,
            fields TEXT NOT NULL, old_values TEXT NOT NULL, new_values TEXT NOT NULL,
            old_geometry_wkt TEXT, new_geometry_wkt TEXT, restored_from INTEGER,
            UNIQUE (project_id, version))"""
    )
    con.executemany(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            (
                TABLE,
                "features",
                TABLE,
                "更新与绿化项目 Renewal and greening projects (editable)",
                4326,
            ),
            (HISTORY_TABLE, "attributes", HISTORY_TABLE, "Edit history of projects", None),
        ],
    )
    con.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'GEOMETRY', 4326, 0, 0)", (TABLE,)
    )


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
    return GeoPackageStore(location, study, **kwargs)
