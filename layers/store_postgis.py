"""The projects store in PostgreSQL/PostGIS, behind the :class:`layers.store.ProjectStore` interface.

Tables (in ``schema``, default ``greenmap``): ``projects`` (the layer's columns, ``geom
geometry(Geometry, 4326)``, ``version``, ``updated_at``, ``updated_by``) and ``project_history``.
Created and filled from the shipped layer on first use, under an advisory lock so concurrent
first users agree. A write is one transaction that locks the feature row (``SELECT … FOR
UPDATE``), checks its version and writes the row and its history entry together.

Needs ``psycopg`` (``pip install "psycopg[binary]"``) and a server with the PostGIS extension
(Debian: ``postgresql`` and ``postgresql-15-postgis-3``); ``scripts/pg-test-server.sh`` starts a
throwaway one for the tests.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import shapely

from layers.edits import DISTRICT_TOLERANCE_M
from layers.errors import LayerError, Problem
from layers.store import (
    COLUMNS,
    KEY,
    Entries,
    HistoryEntry,
    ProjectStore,
    Record,
    Records,
    StaleEdit,
    history_entry_from_row,
)
from layers.studyarea import DEFAULT_AREA, StudyArea

__all__ = ["PostGISStore"]

_PG_TYPE = {"str": "text", "int": "bigint", "float": "double precision", "bool": "boolean"}
_HIST_COLS = (
    "project_id, version, action, user_name, at, fields, old_values, new_values, "
    "old_geometry_wkt, new_geometry_wkt, restored_from"
)
_LOCK_KEY = 0x6772_6E6D  # advisory lock id for schema creation ("grnm")


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise LayerError(
            [
                Problem(
                    "postgresql",
                    None,
                    None,
                    'psycopg is not installed: pip install "psycopg[binary]"',
                )
            ]
        ) from exc
    return psycopg


def _rec(row: Sequence[Any]) -> Record:
    rec: Record = {"geometry": None if row[0] is None else shapely.from_wkb(bytes(row[0]))}
    for i, c in enumerate(COLUMNS, start=1):
        v = row[i]
        if v is not None:
            v = {"int": int, "float": float, "bool": bool}.get(c.dtype, str)(v)
        rec[c.name] = v
    n = len(COLUMNS) + 1
    rec["version"] = int(row[n])
    rec["updated_at"] = row[n + 1]
    rec["updated_by"] = row[n + 2]
    return rec


def _hist_params(e: HistoryEntry) -> tuple[Any, ...]:
    def js(v: Any) -> str:
        return json.dumps(v, ensure_ascii=False, allow_nan=False)

    return (
        e.project_id,
        e.version,
        e.action,
        e.user,
        e.at,
        js(list(e.fields)),
        js(e.old_values),
        js(e.new_values),
        e.old_geometry,
        e.new_geometry,
        e.restored_from,
    )


def _wkb(g: shapely.Geometry | None) -> bytes | None:
    return None if g is None else shapely.to_wkb(g, output_dimension=2, flavor="iso")


class _PGWriter:
    def __init__(self, cur: Any, schema: str) -> None:
        self.cur = cur
        self.s = schema

    def lock(self, project_id: str) -> Record | None:
        self.cur.execute(
            f"SELECT {_select()} FROM {self.s}.projects WHERE project_id = %s FOR UPDATE",
            (project_id,),
        )
        row = self.cur.fetchone()
        return None if row is None else _rec(row)

    def history(self, project_id: str) -> list[HistoryEntry]:
        self.cur.execute(
            f"SELECT {_HIST_COLS} FROM {self.s}.project_history WHERE project_id = %s "
            "ORDER BY version",
            (project_id,),
        )
        return [history_entry_from_row(r) for r in self.cur.fetchall()]

    def save(self, rec: Record, changed: Sequence[str], old_version: int) -> None:
        sets = [f'"{n}" = %s' for n in changed if n != "geometry"]
        params: list[Any] = [rec[n] for n in changed if n != "geometry"]
        if "geometry" in changed:
            sets.append("geom = ST_SetSRID(ST_GeomFromWKB(%s), 4326)")
            params.append(_wkb(rec["geometry"]))
        sets += ["version = %s", "updated_at = %s", "updated_by = %s"]
        params += [rec["version"], rec["updated_at"], rec["updated_by"]]
        self.cur.execute(
            f"UPDATE {self.s}.projects SET {', '.join(sets)} "
            "WHERE project_id = %s AND version = %s",
            (*params, rec[KEY], old_version),
        )
        if self.cur.rowcount != 1:  # cannot happen under FOR UPDATE; never write half
            raise StaleEdit(old_version)

    def add_history(self, entry: HistoryEntry) -> None:
        self.cur.execute(
            f"INSERT INTO {self.s}.project_history ({_HIST_COLS}) "
            f"VALUES ({', '.join(['%s'] * 11)})",
            _hist_params(entry),
        )


def _select() -> str:
    cols = ", ".join(f'"{c.name}"' for c in COLUMNS)
    return f"ST_AsBinary(geom), {cols}, version, updated_at, updated_by"


class PostGISStore(ProjectStore):
    """The projects store in PostgreSQL/PostGIS.

    Parameters
    ----------
    dsn : str
        libpq connection string or ``postgresql://`` URL.
    area, seed, district, district_tolerance_m
        See :class:`layers.store.ProjectStore`.
    schema : str
        Database schema holding the tables (created if missing). Letters, digits and ``_``.
    lock_timeout_s : float
        How long a writer waits for another writer's row lock before giving up.
    """

    def __init__(
        self,
        dsn: str,
        area: StudyArea | str = DEFAULT_AREA,
        *,
        seed: gpd.GeoDataFrame | None = None,
        district: shapely.Geometry | bool | None = None,
        district_tolerance_m: float = DISTRICT_TOLERANCE_M,
        schema: str = "greenmap",
        lock_timeout_s: float = 30.0,
    ) -> None:
        super().__init__(
            area, seed=seed, district=district, district_tolerance_m=district_tolerance_m
        )
        if not schema.replace("_", "").isalnum() or not schema.isascii() or schema[0].isdigit():
            raise LayerError([Problem("postgresql", None, "schema", f"bad schema name {schema!r}")])
        self.dsn = dsn
        self.schema = schema
        self.lock_timeout_s = float(lock_timeout_s)
        self._local = threading.local()
        self._create()

    # ---- connections (one per thread and process)

    def _con(self) -> Any:
        con = getattr(self._local, "con", None)
        if con is None or con.closed or getattr(self._local, "pid", None) != os.getpid():
            psycopg = _psycopg()
            con = psycopg.connect(self.dsn, autocommit=True)
            con.execute(f"SET lock_timeout = {int(self.lock_timeout_s * 1000)}")
            self._local.con = con
            self._local.pid = os.getpid()
        return con

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None and getattr(self._local, "pid", None) == os.getpid():
            con.close()
        self._local.con = None

    @contextmanager
    def _write(self) -> Iterator[_PGWriter]:
        con = self._con()
        with con.transaction(), con.cursor() as cur:
            yield _PGWriter(cur, self.schema)

    # ---- creation

    def _create(self) -> None:
        con = self._con()
        s = self.schema
        with con.transaction(), con.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
            if cur.fetchone() is None:
                cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
            cur.execute("SELECT to_regclass(%s)", (f"{s}.projects",))
            row = cur.fetchone()
            if row is not None and row[0] is not None:
                return
            cols = ",\n".join(
                f'"{c.name}" {_PG_TYPE[c.dtype]}'
                + (" NOT NULL UNIQUE" if c.name == KEY else (" NOT NULL" if not c.nullable else ""))
                for c in COLUMNS
            )
            cur.execute(
                f"""CREATE TABLE {s}.projects (
                    fid bigserial PRIMARY KEY,
                    geom geometry(Geometry, 4326),
                    {cols},
                    version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
                    updated_at text, updated_by text)"""
            )
            cur.execute(f"CREATE INDEX ON {s}.projects USING gist (geom)")
            cur.execute(
                f"""CREATE TABLE {s}.project_history (
                    hist_id bigserial PRIMARY KEY,
                    project_id text NOT NULL, version integer NOT NULL,
                    action text NOT NULL, user_name text NOT NULL, at text NOT NULL,
                    fields text NOT NULL, old_values text NOT NULL, new_values text NOT NULL,
                    old_geometry_wkt text, new_geometry_wkt text, restored_from integer,
                    UNIQUE (project_id, version))"""
            )
            records = self.seed_records()
            names = ", ".join(f'"{c.name}"' for c in COLUMNS)
            qs = ", ".join(["%s"] * len(COLUMNS))
            cur.executemany(
                f"INSERT INTO {s}.projects (geom, {names}, version) "
                f"VALUES (ST_SetSRID(ST_GeomFromWKB(%s), 4326), {qs}, 1)",
                [(_wkb(r["geometry"]), *[r[c.name] for c in COLUMNS]) for r in records],
            )
            cur.executemany(
                f"INSERT INTO {s}.project_history ({_HIST_COLS}) VALUES ({', '.join(['%s'] * 11)})",
                [_hist_params(e) for e in self.import_entries(records)],
            )

    # ---- reads

    def _fetch(self, project_id: str | None = None) -> Records:
        con = self._con()
        with con.cursor() as cur:
            if project_id is None:
                cur.execute(f"SELECT {_select()} FROM {self.schema}.projects ORDER BY fid")
            else:
                cur.execute(
                    f"SELECT {_select()} FROM {self.schema}.projects WHERE project_id = %s",
                    (project_id,),
                )
            return [_rec(r) for r in cur.fetchall()]

    def _fetch_history(self, project_id: str) -> Entries:
        con = self._con()
        with con.cursor() as cur:
            return _PGWriter(cur, self.schema).history(project_id)

    def revision(self) -> int:
        con = self._con()
        with con.cursor() as cur:
            cur.execute(f"SELECT max(hist_id) FROM {self.schema}.project_history")
            row = cur.fetchone()
        return int(row[0] or 0) if row else 0
