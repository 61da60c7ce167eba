"""The projects store (layers.store, layers.store_postgis): both back ends pass the same tests.

PostgreSQL tests use a throwaway server from scripts/pg-test-server.sh; they skip only when the
PostgreSQL binaries are missing (Debian: postgresql postgresql-15-postgis-3).
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

import layers
from layers.errors import LayerError
from layers.store import (
    EDITABLE_FIELDS,
    ProjectStore,
    StaleEdit,
    UnknownProject,
    open_store,
    replay,
)
from layers.store_gpkg import GeoPackageStore, decode_gpkg_geometry, encode_gpkg_geometry

ROOT = Path(__file__).resolve().parents[1]
PG_SCRIPT = ROOT / "scripts" / "pg-test-server.sh"
_PG: dict[str, Any] = {}


def pg_dsn() -> str:
    """DSN of the session's throwaway PostgreSQL server (started on first use)."""
    if "dsn" in _PG:
        return str(_PG["dsn"])
    if "skip" in _PG:
        pytest.skip(_PG["skip"])
    proc = subprocess.run(
        ["bash", str(PG_SCRIPT), "start"], capture_output=True, text=True, timeout=180
    )
    if proc.returncode == 3:
        _PG["skip"] = (
            "PostgreSQL binaries missing: apt-get install postgresql postgresql-15-postgis-3"
        )
        pytest.skip(_PG["skip"])
    assert proc.returncode == 0, f"pg-test-server.sh failed: {proc.stderr}"
    # psycopg is a test dependency: its absence is a failure, not a skip
    import psycopg  # noqa: F401

    dsn, directory = proc.stdout.split()
    atexit.register(
        subprocess.run, ["bash", str(PG_SCRIPT), "stop", directory], capture_output=True
    )
    _PG["dsn"] = dsn
    return dsn


def make_store(kind: str, tmp_path: Path, **kwargs: Any) -> ProjectStore:
    if kind == "gpkg":
        return GeoPackageStore(tmp_path / "data" / "projects.gpkg", **kwargs)
    from layers.store_postgis import PostGISStore

    return PostGISStore(pg_dsn(), schema=f"t_{uuid.uuid4().hex[:12]}", **kwargs)


SHIPPED = layers.read_layer("projects")
SMALL = SHIPPED.iloc[:12].copy()
# issue 11 ships approximate geometry for some projects: these tests start from projects without any
SMALL = SMALL.set_geometry(gpd.GeoSeries([None] * len(SMALL), index=SMALL.index, crs=SMALL.crs))
SMALL["geometry_quality"] = "none"
DISTRICT = layers.read_layer("district").geometry.iloc[0]
INSIDE = DISTRICT.representative_point()
PID = str(SMALL["project_id"].iloc[0])


@pytest.fixture(params=["gpkg", "postgis"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(kind: str, tmp_path: Path) -> ProjectStore:
    s = make_store(kind, tmp_path, seed=SMALL)
    yield s
    s.close()


def square(pt: shapely.Point = INSIDE, d: float = 0.001) -> shapely.Polygon:
    return shapely.box(pt.x - d, pt.y - d, pt.x + d, pt.y + d)


def snapshot(store: ProjectStore) -> tuple[list[dict[str, Any]], int]:
    return [store.get(p)["properties"] for p in SMALL["project_id"]], store.revision()


# ---------------------------------------------------------------------------------- creation


def test_created_from_shipped_layer_equals_read_layer(kind: str, tmp_path: Path) -> None:
    shipped = ROOT / "data" / "xicheng" / "projects.geojson"
    before = hashlib.sha256(shipped.read_bytes()).hexdigest()
    s = make_store(kind, tmp_path)
    out = s.to_geodataframe()
    pd.testing.assert_frame_equal(out, layers.read_layer("projects"))
    assert out.crs.to_epsg() == 4326
    assert hashlib.sha256(shipped.read_bytes()).hexdigest() == before
    # every feature starts at version 1 with one import entry
    f = s.get("xc2016-1")
    assert f["version"] == 1 and f["properties"]["version"] == 1
    (h,) = s.history("xc2016-1")
    assert (h.action, h.version, h.user) == ("import", 1, "system")


def test_store_is_reopened_not_recreated(tmp_path: Path) -> None:
    s = make_store("gpkg", tmp_path, seed=SMALL)
    s.update(PID, {"note": "kept"}, expected_version=1, user="li")
    again = GeoPackageStore(tmp_path / "data" / "projects.gpkg", seed=SHIPPED)
    assert again.get(PID)["properties"]["note"] == "kept"
    assert len(again.records()) == len(SMALL)


def test_geopackage_is_valid_and_gdal_reads_edits(tmp_path: Path) -> None:
    s = make_store("gpkg", tmp_path, seed=SMALL)
    g = square()
    s.update(PID, {"note": "drawn"}, g, 1, "li")
    path = s.path  # type: ignore[attr-defined]
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    contents = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall())
    assert contents == {"projects": "features", "project_history": "attributes"}
    assert con.execute("SELECT column_name, srs_id FROM gpkg_geometry_columns").fetchall() == [
        ("geom", 4326)
    ]
    blob = con.execute("SELECT geom FROM projects WHERE project_id = ?", (PID,)).fetchone()[0]
    assert blob[:2] == b"GP" and decode_gpkg_geometry(blob).equals(g)
    con.close()
    gdf = pyogrio.read_dataframe(path, layer="projects")
    assert gdf.crs.to_epsg() == 4326 and len(gdf) == len(SMALL)
    row = gdf[gdf["project_id"] == PID].iloc[0]
    assert row.geometry.equals(g) and row["geometry_quality"] == "user"
    assert row["version"] == 2
    hist = pyogrio.read_dataframe(path, layer="project_history")
    assert len(hist) == len(SMALL) + 1
    if shutil.which("ogrinfo"):
        out = subprocess.run(
            ["ogrinfo", "-ro", "-so", str(path), "projects"], capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        assert f"Feature Count: {len(SMALL)}" in out.stdout


@pytest.mark.parametrize(
    "geom",
    [
        shapely.Point(116.37, 39.91),
        shapely.box(116.3, 39.9, 116.31, 39.91),
        shapely.MultiLineString(
            [[(116.3, 39.9), (116.31, 39.91)], [(116.32, 39.9), (116.33, 39.9)]]
        ),
        shapely.Polygon(),
        None,
    ],
)
def test_gpkg_blob_round_trip(geom: shapely.Geometry | None) -> None:
    blob = encode_gpkg_geometry(geom)
    back = decode_gpkg_geometry(blob)
    if geom is None or geom.is_empty:
        assert back is None
    else:
        assert shapely.to_wkb(back) == shapely.to_wkb(geom)


# ---------------------------------------------------------------------------------- editing


def test_update_versions_history_and_quality(store: ProjectStore) -> None:
    g = square()
    v = store.update(
        PID,
        {"latest_status": "done", "latest_status_year": 2025, "note": "完成"},
        g,
        expected_version=1,
        user="li",
    )
    assert v == 2
    f = store.get(PID)
    p = f["properties"]
    assert f["version"] == 2 and p["updated_by"] == "li"
    assert p["geometry_quality"] == "user" and p["note"] == "完成"
    assert p["status_history"].endswith("2025:done")
    assert shapely.geometry.shape(f["geometry"]).equals(g)
    h = store.history(PID)[-1]
    assert (h.version, h.action, h.user) == (2, "update", "li")
    assert set(h.fields) == {
        "latest_status",
        "latest_status_year",
        "note",
        "status_history",
        "geometry_quality",
        "geometry",
    }
    assert h.old_values["geometry_quality"] == "none" and h.new_values["note"] == "完成"
    assert h.old_geometry is None and shapely.from_wkt(h.new_geometry).equals(g)
    # the store's layer reflects the edit
    gdf = store.to_geodataframe()
    assert gdf.loc[gdf.project_id == PID, "geometry_quality"].item() == "user"
    assert list(gdf.columns) == list(SHIPPED.columns)


def test_stale_edit_writes_nothing(store: ProjectStore) -> None:
    store.update(PID, {"note": "first"}, expected_version=1, user="li")
    before = snapshot(store)
    with pytest.raises(StaleEdit) as exc:
        store.update(PID, {"note": "second"}, square(), expected_version=1, user="wang")
    assert exc.value.current_version == 2
    assert snapshot(store) == before
    assert len(store.history(PID)) == 2


def test_noop_edit_keeps_version(store: ProjectStore) -> None:
    note = store.get(PID)["properties"]["note"]
    assert store.update(PID, {"note": note}, expected_version=1, user="li") == 1
    assert len(store.history(PID)) == 1


def test_restore_is_a_new_version(store: ProjectStore) -> None:
    orig = store.get(PID)
    store.update(PID, {"note": "a", "area_m2": 1234.5}, square(), 1, "li")
    store.update(PID, {"note": "b"}, square(d=0.002), 2, "li")
    with pytest.raises(StaleEdit):
        store.restore(PID, 1, "wang", expected_version=2)
    v = store.restore(PID, 1, "wang", expected_version=3)
    assert v == 4
    now = store.get(PID)
    assert now["geometry"] is None
    for k in ("note", "area_m2", "geometry_quality"):
        assert now["properties"][k] == orig["properties"][k]
    h = store.history(PID)[-1]
    assert (h.action, h.restored_from, h.user) == ("restore", 1, "wang")
    assert "geometry" in h.fields and h.new_geometry is None
    # restore version 2 brings back its geometry
    store.restore(PID, 2, "wang", expected_version=4)
    assert shapely.geometry.shape(store.get(PID)["geometry"]).equals(square())
    with pytest.raises(LayerError, match="version"):
        store.restore(PID, 99, "wang", expected_version=5)


def test_history_replay_equals_state(store: ProjectStore) -> None:
    v = 1
    for i in range(5):
        geom = square(d=0.0005 * (i + 1)) if i % 2 else None
        v = store.update(PID, {"note": f"n{i}", "households": i}, geom, v, "li")
    v = store.restore(PID, 2, "wang", v)
    state = replay(store.history(PID))
    rec = next(r for r in store.records() if r["project_id"] == PID)
    assert state["version"] == rec["version"] == v
    for c in SHIPPED.columns:
        if c != "geometry":
            assert state[c] == rec[c], c
    assert shapely.to_wkb(state["geometry"]) == shapely.to_wkb(rec["geometry"])


def test_clear_geometry(store: ProjectStore) -> None:
    store.update(PID, {}, square(), 1, "li")
    store.update(PID, {}, None, 2, "li", clear_geometry=True)
    f = store.get(PID)
    assert f["geometry"] is None and f["properties"]["geometry_quality"] == "none"


def test_unknown_project(store: ProjectStore) -> None:
    with pytest.raises(UnknownProject):
        store.get("nope")
    with pytest.raises(UnknownProject):
        store.update("nope", {"note": "x"}, expected_version=1, user="li")
    with pytest.raises(UnknownProject):
        store.history("nope")


def test_list_filters(store: ProjectStore) -> None:
    allp = store.list()
    assert len(allp) == len(SMALL)
    status = SMALL["latest_status"].iloc[0]
    want = int((SMALL["latest_status"] == status).sum())
    assert len(store.list({"latest_status": status})) == want
    store.update(PID, {}, square(), 1, "li")
    assert [f["id"] for f in store.list({"has_geometry": True})] == [PID]
    with pytest.raises(LayerError, match="colour"):
        store.list({"colour": "red"})


# ---------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"colour": "red"}, ["colour"]),
        (
            {"source": "mine", "project_id": "x", "geometry_quality": "official"},
            ["source", "project_id", "geometry_quality"],
        ),
        ({"area_m2": "lots"}, ["area_m2"]),
        ({"area_m2": -5}, ["area_m2"]),
        ({"area_m2": float("nan")}, ["area_m2"]),
        ({"households": 1.5}, ["households"]),
        ({"households": True}, ["households"]),
        ({"households": 10**30}, ["households"]),
        ({"start_year": 20251}, ["start_year"]),
        ({"latest_status": "finished"}, ["latest_status"]),
        ({"category": "zoo"}, ["category"]),
        ({"name_zh": ""}, ["name_zh"]),
        ({"name_zh": None}, ["name_zh"]),
        ({"note": 5}, ["note"]),
        ({"note": "a\x00b"}, ["note"]),
        ({"note": "\ud800"}, ["note"]),
        ({"note": "x" * 5000}, ["note"]),
        ({"adds_green_space": "maybe"}, ["adds_green_space"]),
        (
            {"note": "ok", "area_m2": "x", "planned_end_year": "soon"},
            ["area_m2", "planned_end_year"],
        ),
    ],
)
def test_bad_fields_rejected_naming_them(
    store: ProjectStore, changes: dict[str, Any], fields: list[str]
) -> None:
    before = snapshot(store)
    with pytest.raises(LayerError) as exc:
        store.update(PID, changes, square(), expected_version=1, user="li")
    named = [p.field for p in exc.value.problems]
    assert sorted(named) == sorted(fields)
    assert snapshot(store) == before


def test_coercion_of_form_values(store: ProjectStore) -> None:
    store.update(
        PID,
        {"area_m2": "1200", "households": "30", "adds_green_space": "true", "start_year": 2020.0},
        expected_version=1,
        user="li",
    )
    p = store.get(PID)["properties"]
    assert (p["area_m2"], p["households"], p["adds_green_space"], p["start_year"]) == (
        1200.0,
        30,
        True,
        2020,
    )
    store.update(PID, {"area_m2": "", "note": None}, expected_version=2, user="li")
    p = store.get(PID)["properties"]
    assert p["area_m2"] is None and p["note"] is None


def test_editable_fields_are_schema_columns() -> None:
    assert set(EDITABLE_FIELDS) <= set(SHIPPED.columns)
    assert not {"project_id", "source", "geometry_quality", "status_history"} & set(EDITABLE_FIELDS)


BOWTIE = shapely.Polygon(
    [
        (INSIDE.x, INSIDE.y),
        (INSIDE.x + 0.001, INSIDE.y + 0.001),
        (INSIDE.x + 0.001, INSIDE.y),
        (INSIDE.x, INSIDE.y + 0.001),
    ]
)


@pytest.mark.parametrize(
    ("geom", "match"),
    [
        (shapely.Point(INSIDE.y, INSIDE.x), "wrong CRS"),  # swapped lon/lat
        (shapely.Point(446000.0, 4419000.0), "wrong CRS"),  # metres, not degrees
        (shapely.Point(116.285, 39.985), "outside the district"),  # in the extent, far from it
        (shapely.Polygon(), "empty"),
        (shapely.GeometryCollection([INSIDE]), "not allowed"),
        (shapely.Point(float("nan"), 39.9), "finite"),
        ({"type": "Polygon", "coordinates": [[1, 2]]}, "malformed"),
        ({"type": "Circle", "coordinates": [116.37, 39.91]}, "not allowed"),
    ],
)
def test_bad_geometry_rejected(store: ProjectStore, geom: Any, match: str) -> None:
    before = snapshot(store)
    with pytest.raises(LayerError, match=match) as exc:
        store.update(PID, {"note": "x"}, geom, expected_version=1, user="li")
    assert [p.field for p in exc.value.problems] == ["geometry"]
    assert snapshot(store) == before


def test_invalid_polygon_repaired_or_rejected(store: ProjectStore) -> None:
    edit = store.validate(PID, {}, BOWTIE)
    assert any("make_valid" in m for m in edit.messages)
    assert edit.geometry.is_valid and edit.geometry.geom_type == "MultiPolygon"
    with pytest.raises(LayerError, match="invalid geometry"):
        store.update(PID, {}, BOWTIE, 1, "li", repair=False)
    store.update(PID, {}, BOWTIE, 1, "li")
    stored = shapely.geometry.shape(store.get(PID)["geometry"])
    # both triangles of the bow tie are kept (buffer(0) would drop one)
    assert stored.is_valid and stored.area == pytest.approx(0.5 * 0.001**2, rel=1e-6)


def test_z_dropped_and_geojson_accepted(store: ProjectStore) -> None:
    gj = {
        "type": "Polygon",
        "coordinates": [[[c[0], c[1], 50.0] for c in square().exterior.coords]],
    }
    edit = store.validate(PID, {}, gj)
    assert "Z values dropped" in " ".join(edit.messages)
    assert not shapely.has_z(edit.geometry)


def test_bad_version_and_user(store: ProjectStore) -> None:
    for bad in (None, 0, "1", True, 1.0):
        with pytest.raises(LayerError, match="expected_version"):
            store.update(PID, {"note": "x"}, expected_version=bad, user="li")  # type: ignore[arg-type]
    with pytest.raises(LayerError, match="user"):
        store.update(PID, {"note": "x"}, expected_version=1, user=" ")


def test_open_store_by_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENMAP_DATA_DIR", str(tmp_path))
    s = open_store(seed=SMALL)
    assert isinstance(s, GeoPackageStore)
    assert s.path == tmp_path / "xicheng" / "projects.gpkg"
    assert np.array_equal(s.to_geodataframe()["project_id"], SMALL["project_id"])


def test_open_store_postgresql_url() -> None:
    from layers.store_postgis import PostGISStore

    s = open_store(pg_dsn(), seed=SMALL, schema=f"t_{uuid.uuid4().hex[:12]}")
    assert isinstance(s, PostGISStore) and len(s.records()) == len(SMALL)
    s.close()
