"""The projects store in PostgreSQL/PostGIS, behind the :class:`layers.store.ProjectStore` interface.

Tables (in ``schema``, default ``greenmap``): ``projects`` (the layer's columns, ``geom
geometry(Geometry, 4326)``, ``version``, ``updated_at``, ``updated_by``) and ``project_history``.
Created and filled from the shipped layer on first use, under an advisory lock so concurrent
first users agree. A write is one transaction that locks the feature row (``SELECT … FOR
UPDATE``), checks its version and writes the row and its history entry together. The SQL shared
with the GeoPackage store is :mod:`layers.store_common`.

Needs ``psycopg`` (``pip install "psycopg[binary]"``) and a server with the PostGIS extension
(Debian: ``postgresql`` and ``postgresql-15-postgis-3``); ``scripts/pg-test-server.sh`` starts a
throwaway one for the tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import shapely

from layers.edits import DISTRICT_TOLERANCE_M
from layers.errors import LayerError, Problem
from layers.store_common import SQLStore, SQLWriter
from layers.studyarea import DEFAULT_AREA, StudyArea

__all__ = ["PostGISStore"]

_PG_TYPE = {"str": "text", "int": "bigint", "float": "double precision", "bool": "boolean"}
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


def _wkb(g: shapely.Geometry | None) -> bytes | None:
    return None if g is None else shapely.to_wkb(g, output_dimension=2, flavor="iso")


class _PGWriter(SQLWriter):
    """The tables' SQL on a psycopg cursor (inside a transaction when writing)."""

    placeholder = "%s"
    column_types = _PG_TYPE
    integer = "integer"
    text = "text"
    fid_column = "fid bigserial PRIMARY KEY"
    hist_id_column = "hist_id bigserial PRIMARY KEY"
    geom_type = "geometry(Geometry, 4326)"
    geom_select = "ST_AsBinary(geom)"
    geom_param = "ST_SetSRID(ST_GeomFromWKB(%s), 4326)"
    lock_clause = " FOR UPDATE"  # concurrent writers of the row wait here

    def __init__(self, cur: Any, schema: str) -> None:
        super().__init__(f"{schema}.projects", f"{schema}.project_history")
        self.cur = cur
        self.s = schema

    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        return self.cur.execute(sql, params)

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.cur.executemany(sql, rows)

    def _decode_geometry(self, value: Any) -> shapely.Geometry | None:
        return None if value is None else shapely.from_wkb(bytes(value))

    def _encode_geometry(self, geom: shapely.Geometry | None) -> bytes | None:
        return _wkb(geom)


class PostGISStore(SQLStore[Any]):
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
        self._create()

    # ---- connections (one per thread and process, see SQLStore)

    def _connect(self) -> Any:
        psycopg = _psycopg()
        con = psycopg.connect(self.dsn, autocommit=True)
        con.execute(f"SET lock_timeout = {int(self.lock_timeout_s * 1000)}")
        return con

    def _usable(self, con: Any) -> bool:
        return not con.closed

    @contextmanager
    def _reader(self) -> Iterator[_PGWriter]:
        with self._con().cursor() as cur:
            yield _PGWriter(cur, self.schema)

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
            tables = _PGWriter(cur, s)
            cur.execute(tables.feature_table_sql())
            cur.execute(f"CREATE INDEX ON {s}.projects USING gist (geom)")
            cur.execute(tables.history_table_sql())
            records = self.seed_records()
            tables.insert_seed(records, self.import_entries(records))
