"""The projects store in a GeoPackage (SQLite) file: :class:`GeoPackageStore`.

One file in the data directory, created on first use from the shipped ``projects`` layer; WAL mode,
one ``BEGIN IMMEDIATE`` transaction per write, a history table beside the layer. The geometry is
kept as standard GeoPackage geometry blobs (:func:`encode_gpkg_geometry`), so GDAL and QGIS open the
file as they would any GeoPackage. The interface and guarantees are :class:`layers.store.ProjectStore`'s;
the SQL shared with PostGIS is :mod:`layers.store_common`.
"""

from __future__ import annotations

import os
import sqlite3
import struct
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from pyproj import CRS

from layers.edits import DISTRICT_TOLERANCE_M
from layers.errors import LayerError, Problem
from layers.schema import Column
from layers.store_common import SQLStore, SQLWriter
from layers.store_model import Record
from layers.studyarea import DEFAULT_AREA, StudyArea

__all__ = ["GeoPackageStore", "decode_gpkg_geometry", "encode_gpkg_geometry"]

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


class _SQLiteWriter(SQLWriter):
    """The tables' SQL on a SQLite connection (inside ``BEGIN IMMEDIATE`` when writing)."""

    placeholder = "?"
    column_types = _SQL_TYPE
    integer = "INTEGER"
    text = "TEXT"
    fid_column = "fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL"
    hist_id_column = "hist_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL"
    geom_type = "GEOMETRY"
    geom_select = "geom"
    geom_param = "?"

    def __init__(self, con: sqlite3.Connection) -> None:
        super().__init__(TABLE, HISTORY_TABLE)
        self.con = con

    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> sqlite3.Cursor:
        return self.con.execute(sql, () if params is None else params)

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.con.executemany(sql, rows)

    def _decode_geometry(self, value: Any) -> shapely.Geometry | None:
        return decode_gpkg_geometry(value)

    def _encode_geometry(self, geom: shapely.Geometry | None) -> bytes | None:
        return encode_gpkg_geometry(geom)

    def _param(self, value: Any, col: Column) -> Any:
        # SQLite has no boolean type: GeoPackage stores BOOLEAN as 0/1
        if value is None:
            return None
        if col.dtype == "bool":
            return 1 if value else 0
        return value

    def _after_save(self, rec: Record) -> None:
        # the GeoPackage spec: gpkg_contents.last_change dates the latest change of a table
        self.con.execute(
            "UPDATE gpkg_contents SET last_change = ? WHERE table_name IN (?, ?)",
            (rec["updated_at"], TABLE, HISTORY_TABLE),
        )


class GeoPackageStore(SQLStore[sqlite3.Connection]):
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
    >>> from layers.store_model import COLUMNS
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
    layers.store_model.StaleEdit: stale edit: the feature is at version 2
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
        if not self.path.exists():
            self._create()
        self._check_file()

    # ---- connections (one per thread and process, see SQLStore)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(
            self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=True
        )
        con.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = FULL")
        con.execute("PRAGMA foreign_keys = ON")
        return con

    @contextmanager
    def _reader(self) -> Iterator[_SQLiteWriter]:
        yield _SQLiteWriter(self._con())

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
            _SQLiteWriter(con).insert_seed(records, self.import_entries(records))
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
    tables = _SQLiteWriter(con)
    con.execute(tables.feature_table_sql())
    con.execute(tables.history_table_sql())
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
