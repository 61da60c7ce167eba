"""Attribute repairs of a tolerant import: labels for unnamed features, unique ids, known kinds.

Part of the :mod:`layers.repair` family (import from :mod:`layers.repair`; it re-exports these
names). Labels and id suffixes are stable: they depend only on the id and the row order, so a
re-import of the same file gives the same values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from layers.repair_report import _shown

__all__ = ["dedupe_ids", "label_unnamed", "tolerate_attributes"]


def label_unnamed(
    names: Sequence[Any] | np.ndarray, ids: Sequence[Any] | np.ndarray, label: str
) -> tuple[np.ndarray, int]:
    """Names with blanks replaced by ``"<label> · <id>"`` (stable: the label depends only on the id).

    >>> label_unnamed(["景山公园", None, " "], ["osm:way/1", "osm:way/2", "osm:way/3"], "未命名公园 unnamed park")
    (array(['景山公园', '未命名公园 unnamed park · osm:way/2', '未命名公园 unnamed park · osm:way/3'],
          dtype=object), 2)
    """
    out = np.array([None if pd.isna(n) else str(n).strip() for n in names], dtype=object)
    blank = np.array([not n for n in out], dtype=bool)
    for i in np.flatnonzero(blank):
        out[i] = f"{label} · {ids[int(i)]}"
    return out, int(blank.sum())


def dedupe_ids(ids: Sequence[Any]) -> tuple[np.ndarray, list[str]]:
    """Unique ids: the second and later copies of an id get ``#2``, ``#3`` …; returns the ids that repeated.

    >>> dedupe_ids(["a", "b", "a", "a"])
    (array(['a', 'b', 'a#2', 'a#3'], dtype=object), ['a'])
    """
    seen: dict[str, int] = {}
    out = np.empty(len(ids), dtype=object)
    dups: list[str] = []
    taken = {str(i) for i in ids}
    for n, raw in enumerate(ids):
        key = str(raw)
        count = seen.get(key, 0) + 1
        seen[key] = count
        if count == 1:
            out[n] = key
            continue
        if count == 2:
            dups.append(key)
        new = f"{key}#{count}"
        while new in taken:
            count += 1
            new = f"{key}#{count}"
        taken.add(new)
        out[n] = new
    return out, dups


def tolerate_attributes(df: pd.DataFrame, schema: Any, name: str) -> tuple[pd.DataFrame, list[str]]:
    """Blank keys numbered, blank names labelled, duplicate keys suffixed, unknown park kinds → ``other``.

    ``schema`` is a :class:`layers.schema.LayerSchema`; returns the frame and notes of every change.
    """
    notes: list[str] = []
    df = df.copy()
    key = schema.key
    if key in df.columns:
        ids = df[key].astype(object).to_numpy(copy=True)
        blank = np.array([pd.isna(v) or not str(v).strip() for v in ids], dtype=bool)
        for i in np.flatnonzero(blank):
            ids[i] = f"row-{i + 1}"
        if blank.any():
            notes.append(f"{int(blank.sum())} features without {key}: numbered row-N by their row")
        new, dups = dedupe_ids(
            [str(v).removesuffix(".0") if isinstance(v, float) else str(v) for v in ids]
        )
        if dups:
            notes.append(f"duplicate {key} resolved with a #n suffix: {_shown(dups, 8)}")
        if blank.any() or dups:
            df[key] = new
    if key in df.columns and "name_zh" in df.columns and not schema.column("name_zh").nullable:
        label = f"未命名{schema.title_zh} unnamed {schema.title_en.lower()}"
        names, n = label_unnamed(df["name_zh"].to_numpy(), df[key].astype(str).to_numpy(), label)
        if n:
            df["name_zh"] = names
            notes.append(f"{n} features without a name labelled '{label} · <{key}>'")
    if schema.name == "parks" and "kind" in df.columns:
        choices = set(schema.column("kind").choices or ())
        kinds = df["kind"].astype(object)
        bad = kinds.notna() & ~kinds.astype(str).str.strip().isin(choices)
        if bad.any():
            vals = ", ".join(sorted({str(v) for v in kinds[bad]})[:8])
            df.loc[bad, "kind"] = "other"
            notes.append(
                f"{int(bad.sum())} park kinds not of the schema ({vals}) set to 'other' "
                "(greenmap studyarea build guesses the kind from the OSM tag and size)"
            )
    return df, notes
