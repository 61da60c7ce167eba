"""Concurrent editors and killed writers: no lost update, no partial row, on both back ends.

8 editor processes x 200 edits on 3 hot projects: every edit is either applied (and then has its
own version and history entry) or rejected with StaleEdit; the final state equals the history
replay. A writer killed with SIGKILL in the middle of its transaction leaves the GeoPackage
consistent (``PRAGMA integrity_check`` = ok) and no trace of the edit.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import shapely

try:
    from test_layers_store import DISTRICT, SMALL, make_store, pg_dsn
except ImportError:  # tests/ imported as a package
    from tests.test_layers_store import DISTRICT, SMALL, make_store, pg_dsn  # type: ignore[no-redef]

from layers.store import ProjectStore, StaleEdit, replay
from layers.store_gpkg import GeoPackageStore, _SQLiteWriter

WORKERS = 8
EDITS = 200
HOT = [str(p) for p in SMALL["project_id"].iloc[:3]]
CENTRE = DISTRICT.representative_point()
CTX = mp.get_context("fork")


def _open(kind: str, where: str) -> ProjectStore:
    if kind == "gpkg":
        return GeoPackageStore(where, seed=SMALL)
    from layers.store_postgis import PostGISStore

    dsn, schema = where.split("|")
    return PostGISStore(dsn, schema=schema, seed=SMALL)


def _editor(kind: str, where: str, wid: int, out: Any) -> None:
    store = _open(kind, where)
    applied: list[tuple[str, int, str]] = []
    conflicts = 0
    for i in range(EDITS):
        pid = HOT[(wid + i) % len(HOT)]
        version = store.get(pid)["version"]
        note = f"w{wid}-e{i}"
        geom = None
        if i % 25 == 0:
            d = 0.0002 * (1 + (wid + i) % 7)
            geom = shapely.box(CENTRE.x - d, CENTRE.y - d, CENTRE.x + d, CENTRE.y + d)
        try:
            v = store.update(
                pid, {"note": note, "households": wid * 1000 + i}, geom, version, f"u{wid}"
            )
        except StaleEdit as err:
            assert err.current_version > version
            conflicts += 1
        else:
            applied.append((pid, v, note))
    store.close()
    out.put((wid, applied, conflicts))


def _where(kind: str, store: ProjectStore) -> str:
    if isinstance(store, GeoPackageStore):
        return str(store.path)
    return f"{pg_dsn()}|{store.schema}"  # type: ignore[attr-defined]


def _run_editors(kind: str, where: str) -> tuple[list[tuple[str, int, str]], int]:
    q = CTX.Queue()
    procs = [CTX.Process(target=_editor, args=(kind, where, w, q)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    results = [q.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    applied = [a for _, app, _ in results for a in app]
    conflicts = sum(c for _, _, c in results)
    return applied, conflicts


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gpkg", "postgis"])
def test_concurrent_editors_lose_nothing(kind: str, tmp_path: Path) -> None:
    store = make_store(kind, tmp_path, seed=SMALL)
    where = _where(kind, store)
    store.close()
    t0 = time.perf_counter()
    applied, conflicts = _run_editors(kind, where)
    elapsed = time.perf_counter() - t0
    print(
        f"\n{kind}: {WORKERS}x{EDITS} edits: {len(applied)} applied, {conflicts} conflicts "
        f"(StaleEdit), {elapsed:.1f} s"
    )
    store = _open(kind, where)
    assert len(applied) + conflicts == WORKERS * EDITS
    assert len(applied) > 0
    # each applied edit got its own version: no two editors wrote the same version
    versions = Counter((pid, v) for pid, v, _ in applied)
    assert max(versions.values()) == 1
    for pid in HOT:
        mine = sorted((v, note) for p, v, note in applied if p == pid)
        history = store.history(pid)
        # versions 2..n are exactly the applied edits, in order, with their values
        assert [h.version for h in history] == list(range(1, len(mine) + 2))
        assert [(h.version, h.new_values["note"]) for h in history[1:]] == mine
        # the final state equals the replay of the history, and is the last applied edit
        state = replay(history)
        rec = next(r for r in store.records() if r["project_id"] == pid)
        assert rec["version"] == state["version"] == mine[-1][0]
        assert rec["note"] == state["note"] == mine[-1][1]
        assert rec["households"] == state["households"]
        assert shapely.to_wkb(rec["geometry"]) == shapely.to_wkb(state["geometry"])
    if kind == "gpkg":
        assert store.integrity_check() == "ok"  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ killed writer


def _writer_killed_mid_transaction(kind: str, where: str, ready: Any) -> None:
    """Update a project; after the row is written but before the history entry, stop and wait."""
    store = _open(kind, where)
    if kind == "gpkg":
        original = _SQLiteWriter.add_history
    else:
        from layers.store_postgis import _PGWriter

        original = _PGWriter.add_history

    def stall(self: Any, entry: Any) -> None:
        ready.set()
        time.sleep(60)
        original(self, entry)

    if kind == "gpkg":
        _SQLiteWriter.add_history = stall  # type: ignore[method-assign]
    else:
        _PGWriter.add_history = stall  # type: ignore[method-assign]
    store.update(HOT[0], {"note": "half written"}, None, 1, "killed")


@pytest.mark.parametrize("kind", ["gpkg", "postgis"])
def test_sigkill_mid_transaction_leaves_no_partial_row(kind: str, tmp_path: Path) -> None:
    store = make_store(kind, tmp_path, seed=SMALL)
    where = _where(kind, store)
    store.close()
    ready = CTX.Event()
    p = CTX.Process(target=_writer_killed_mid_transaction, args=(kind, where, ready))
    p.start()
    assert ready.wait(60), "writer never reached the middle of its transaction"
    os.kill(p.pid, signal.SIGKILL)  # type: ignore[arg-type]
    p.join(30)
    assert p.exitcode == -signal.SIGKILL
    store = _open(kind, where)
    if kind == "gpkg":
        assert store.integrity_check() == "ok"  # type: ignore[attr-defined]
    f = store.get(HOT[0])
    assert f["version"] == 1 and f["properties"]["note"] != "half written"
    assert [h.version for h in store.history(HOT[0])] == [1]
    # the lock is gone: the next editor writes normally
    assert store.update(HOT[0], {"note": "after the crash"}, None, 1, "next") == 2
    assert replay(store.history(HOT[0]))["note"] == "after the crash"


def _write_forever(where: str) -> None:
    store = GeoPackageStore(where, seed=SMALL)
    i = 0
    while True:
        pid = HOT[i % len(HOT)]
        v = store.get(pid)["version"]
        with contextlib.suppress(StaleEdit):
            store.update(pid, {"note": f"loop {i}", "households": i}, None, v, "looper")
        i += 1


def test_repeated_sigkill_during_writes_keeps_store_consistent(tmp_path: Path) -> None:
    store = make_store("gpkg", tmp_path, seed=SMALL)
    where = str(store.path)  # type: ignore[attr-defined]
    store.close()
    for delay in (0.05, 0.11, 0.17, 0.23, 0.31):
        p = CTX.Process(target=_write_forever, args=(where,))
        p.start()
        time.sleep(delay)
        os.kill(p.pid, signal.SIGKILL)  # type: ignore[arg-type]
        p.join(30)
    store = _open("gpkg", where)
    assert store.integrity_check() == "ok"  # type: ignore[attr-defined]
    for pid in HOT:
        rec = next(r for r in store.records() if r["project_id"] == pid)
        state = replay(store.history(pid))
        assert (rec["version"], rec["note"], rec["households"]) == (
            state["version"],
            state["note"],
            state["households"],
        )
