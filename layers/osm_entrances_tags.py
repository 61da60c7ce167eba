"""Which tagged points are park entrances: the ``[entrances]`` rule of the mapping, and the selection.

The rule is data (``data/osm/mapping.toml``, see :mod:`layers.osm_entrances`); :func:`select_entrances`
keeps the points whose tags it lists and that walkers may use. No geometry is measured here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.errors import LayerError, Problem
from layers.repair import Tally

__all__ = ["entrance_rule", "select_entrances"]

#: The tag columns an entrance point carries (read from a PBF or a file, written to ``osm_tags``).
_TAG_COLS = ("entrance", "barrier", "access", "foot")
_DEFAULT_RULE: dict[str, Any] = {
    "tags": {"entrance": ["*"], "barrier": ["gate", "entrance", "lift_gate", "kissing_gate"]},
    "not_public_access": ["private", "no"],
    "building_tolerance_m": 0.5,
    "max_boundary_distance_m": 5.0,
}


def entrance_rule(mapping: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``[entrances]`` table of the mapping (default the shipped file), checked.

    >>> r = entrance_rule()
    >>> r["tags"]["entrance"], "private" in r["not_public_access"], r["max_boundary_distance_m"]
    (['*'], True, 5)
    """
    if mapping is None:
        from layers.osm_extract import load_mapping

        mapping = load_mapping()
    rule = dict(mapping.get("entrances") or _DEFAULT_RULE)
    where = f"{mapping.get('_file', 'mapping')} [entrances]"
    problems = []
    tags = rule.get("tags")
    if not isinstance(tags, Mapping) or not tags:
        problems.append(Problem(where, None, "tags", "give {key: [values]} of entrance tags"))
    else:
        for k, v in tags.items():
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                problems.append(Problem(where, None, f"tags.{k}", "expected a list of strings"))
    for key in ("building_tolerance_m", "max_boundary_distance_m"):
        val = rule.get(key, _DEFAULT_RULE[key])
        if not isinstance(val, int | float) or isinstance(val, bool) or val < 0:
            problems.append(Problem(where, None, key, f"{val!r}: expected a number ≥ 0 (m)"))
    if problems:
        raise LayerError(problems)
    rule.setdefault("not_public_access", list(_DEFAULT_RULE["not_public_access"]))
    return rule


def _column(frame: pd.DataFrame, key: str) -> pd.Series:
    """The column ``key`` of ``frame``, or all None (0-based index) when it is absent."""
    return frame[key] if key in frame.columns else pd.Series([None] * len(frame))


def select_entrances(
    raw: gpd.GeoDataFrame, rule: Mapping[str, Any], *, tally: Tally | None = None
) -> gpd.GeoDataFrame:
    """The rows of ``raw`` whose tags count as an entrance and that walkers may use.

    A row counts when one of ``rule["tags"]`` matches (``"*"``: any value but ``no``); it is
    dropped when its walkers' access (``foot``, else ``access``) is in ``not_public_access``.
    Columns ``kind`` (the barrier value, else ``entrance``), ``osm_tags`` and ``access`` are set.

    >>> from shapely import Point
    >>> raw = gpd.GeoDataFrame({"entrance_id": ["a", "b", "c", "d"],
    ...     "entrance": [None, "main", None, None], "barrier": ["gate", None, "bollard", "gate"],
    ...     "access": [None, None, None, "private"], "foot": [None, None, None, None]},
    ...     geometry=[Point(0, 0)] * 4, crs="EPSG:4326")
    >>> select_entrances(raw, entrance_rule())[["entrance_id", "kind", "osm_tags"]].values.tolist()
    [['a', 'gate', 'barrier=gate'], ['b', 'entrance', 'entrance=main']]
    """
    tally = tally if tally is not None else Tally("entrances")
    n = len(raw)
    hit = np.zeros(n, dtype=bool)
    for key, values in rule["tags"].items():
        col = _column(raw, key)
        v = col.astype(object).where(col.notna(), None).to_numpy(dtype=object)
        have = pd.notna(v)
        if "*" in values:
            m = have & (np.asarray([str(x).lower() for x in v]) != "no")
        else:
            m = have & np.isin(v.astype(str), list(values))
        hit |= m
    tally.drop(int((~hit).sum()), "tags not listed in mapping [entrances] tags (e.g. bollards)")
    rows = raw[hit].reset_index(drop=True)
    foot = _column(rows, "foot")
    acc = _column(rows, "access")
    walk = np.where(pd.notna(foot.to_numpy(dtype=object)), foot, acc)
    closed = np.isin(
        np.asarray([str(x).lower() for x in walk]), [str(x) for x in rule["not_public_access"]]
    ) & pd.notna(walk)
    ids = rows["entrance_id"].astype(str).to_numpy()[closed]
    tally.drop(int(closed.sum()), "access/foot = private or no: closed to walkers", ids)
    rows = rows[~closed].reset_index(drop=True)
    bar = _column(rows, "barrier")
    barrier_ok = bar.isin(rule["tags"].get("barrier", [])).to_numpy()
    rows["kind"] = np.where(barrier_ok, bar.astype(object), "entrance")
    tags = []
    for _, r in rows.iterrows():  # small: the entrance nodes only
        tags.append(
            ";".join(f"{k}={r[k]}" for k in _TAG_COLS if k in rows.columns and pd.notna(r[k]))
        )
    rows["osm_tags"] = np.asarray(tags, dtype=object)
    open_walk = np.asarray(walk[~closed], dtype=object)
    open_walk[pd.isna(open_walk)] = None
    rows["access"] = open_walk
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=raw.crs)
