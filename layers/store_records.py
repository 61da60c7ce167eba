"""Store records converted: from and to the projects GeoDataFrame, to GeoJSON, and from the history.

A record is a plain ``dict`` (:data:`layers.store_model.Record`); geometry is shapely in EPSG:4326.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import LayerError, Problem
from layers.schema import Column
from layers.store_model import COLUMNS, KEY, HistoryEntry, Record

__all__ = ["feature", "frame_from_records", "records_from_frame", "replay"]


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
