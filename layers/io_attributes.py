"""Attribute checks on a loaded layer: column mapping and presence, value types, keys, 街道 codes.

Everything here is about columns other than the geometry. Checks append to the caller's problem
list, one problem per bad cell (capped per column), each naming the file, the 1-based row and the field.

Examples
--------
>>> from layers.schema import SCHEMAS
>>> problems: list[Problem] = []
>>> _check_keys(pd.DataFrame({"code": ["a", "b", "a"]}), SCHEMAS["subdistricts"], "s.csv", problems)
>>> for p in problems:
...     print(p)
s.csv, row 1, field 'code': duplicate key 'a'
s.csv, row 3, field 'code': duplicate key 'a'
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.errors import LayerError, Problem
from layers.io_problems import file_error, flag_rows
from layers.schema import GEOMETRY_QUALITIES, Column, LayerSchema

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def _apply_column_map(
    df: pd.DataFrame, column_map: Mapping[str, str], name: str, changes: list[str]
) -> pd.DataFrame:
    """Rename ``{file_column: schema_column}``; every mapped column must be in the file."""
    absent = [k for k in column_map if k not in df.columns]
    if absent:
        raise LayerError(
            [
                Problem(name, None, k, "column named in the column mapping is not in the file")
                for k in absent
            ]
        )
    df = df.rename(columns=dict(column_map))
    changes.append("renamed columns: " + ", ".join(f"{k}→{v}" for k, v in column_map.items()))
    return df


def _fill_provenance(
    df: pd.DataFrame,
    source: str | None,
    geometry_quality: str | None,
    name: str,
    changes: list[str],
) -> None:
    """Set ``source`` / ``geometry_quality`` for every row, in place, when the file has no such column.

    Rows without geometry get quality ``"none"``.
    """
    if source is not None and "source" not in df.columns:
        df["source"] = source
        changes.append(f"source set to {source!r} for every feature")
    if geometry_quality is not None and "geometry_quality" not in df.columns:
        if geometry_quality not in GEOMETRY_QUALITIES:
            raise file_error(
                name,
                "geometry_quality",
                f"{geometry_quality!r} is not one of {', '.join(GEOMETRY_QUALITIES)}",
            )
        df["geometry_quality"] = geometry_quality
        if isinstance(df, gpd.GeoDataFrame):
            none_geom = df.geometry.isna() | df.geometry.is_empty
            df.loc[none_geom, "geometry_quality"] = "none"
        changes.append(f"geometry_quality set to {geometry_quality!r} (none where no geometry)")


def _check_columns(
    df: pd.DataFrame,
    sch: LayerSchema,
    name: str,
    extra: Literal["error", "drop", "keep"],
    changes: list[str],
) -> tuple[pd.DataFrame, list[str]]:
    """Require the schema's required columns and handle unknown ones as ``extra`` says.

    Returns
    -------
    df : DataFrame
        ``df``, without the unknown columns if ``extra="drop"``.
    unknown : list of str
        The columns the schema does not know (kept in the output only if ``extra="keep"``).
    """
    geom_col = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    cols = [c for c in df.columns if c != geom_col]
    problems: list[Problem] = []
    for c in (c for c in sch.required_names if c not in cols):
        hint = " (pass source=... to set it for all features)" if c == "source" else ""
        hint = " (pass geometry_quality=...)" if c == "geometry_quality" else hint
        problems.append(Problem(name, None, c, f"required column is missing{hint}"))
    unknown = [c for c in cols if c not in sch.column_names]
    if unknown and extra == "error":
        problems.append(
            Problem(
                name,
                None,
                ", ".join(unknown),
                "columns not in the schema of layer "
                f"'{sch.name}' (map them with column_map, or pass extra='drop' or 'keep')",
            )
        )
    if problems:
        raise LayerError(problems)
    if unknown and extra == "drop":
        df = df.drop(columns=unknown)
        changes.append(f"dropped columns not in the schema: {', '.join(unknown)}")
    return df, unknown


def _blank(values: pd.Series) -> np.ndarray:
    as_str = values.astype("string")
    return np.asarray(values.isna() | (as_str.str.strip() == ""), dtype=bool)


def _coerce(df: pd.DataFrame, schema: LayerSchema, name: str, problems: list[Problem]) -> None:
    """Convert every schema column in place, recording a problem per bad cell."""
    for col in schema.columns:
        if col.name not in df.columns:
            df[col.name] = pd.Series([None] * len(df), index=df.index, dtype=object)
        raw = df[col.name]
        blank = _blank(raw)
        if col.dtype in ("int", "float"):
            df[col.name] = _coerce_number(raw, blank, col, name, problems)
        elif col.dtype == "bool":
            df[col.name] = _coerce_bool(raw, blank, col, name, problems)
        else:
            df[col.name] = _coerce_text(raw, blank, col, name, problems)
        if not col.nullable:
            flag_rows(
                problems, name, np.flatnonzero(blank), col.name, "empty, but a value is required"
            )


def _coerce_number(
    raw: pd.Series, blank: np.ndarray, col: Column, name: str, problems: list[Problem]
) -> pd.Series:
    """``float64``, or nullable ``Int64`` for whole numbers (left float if any is fractional)."""
    num = pd.to_numeric(raw.where(~blank, None), errors="coerce")
    bad = np.flatnonzero(num.isna().to_numpy() & ~blank)
    flag_rows(problems, name, bad, col.name, lambda i: f"not a number: {raw.iloc[i]!r}")
    if col.dtype == "int":
        frac = np.flatnonzero(num.notna().to_numpy() & (num.fillna(0) % 1 != 0).to_numpy())
        flag_rows(problems, name, frac, col.name, lambda i: f"not a whole number: {raw.iloc[i]!r}")
        out = num.round().astype("Int64") if len(frac) == 0 else num
    else:
        out = num.astype("float64")
    if col.minimum is not None:
        minimum = col.minimum
        low = np.flatnonzero((num < minimum).fillna(False).to_numpy())
        flag_rows(problems, name, low, col.name, lambda i: f"{raw.iloc[i]!r} is below {minimum}")
    return out


def _coerce_bool(
    raw: pd.Series, blank: np.ndarray, col: Column, name: str, problems: list[Problem]
) -> pd.Series:
    """Nullable ``boolean`` from true/false, yes/no, 1/0, y/n, t/f (any case), or real booleans."""
    text = raw.astype("string").str.strip().str.lower()
    val = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    val[text.isin(_TRUE).fillna(False).to_numpy()] = True
    val[text.isin(_FALSE).fillna(False).to_numpy()] = False
    if raw.dtype == bool:
        val = raw.astype("boolean")
    bad = np.flatnonzero(val.isna().to_numpy() & ~blank)
    flag_rows(problems, name, bad, col.name, lambda i: f"not true/false: {raw.iloc[i]!r}")
    return val


def _coerce_text(
    raw: pd.Series, blank: np.ndarray, col: Column, name: str, problems: list[Problem]
) -> np.ndarray:
    """Stripped text, ``None`` where blank; values outside ``col.choices`` are problems."""
    text = raw.astype("string").str.strip()
    values = text.astype(object).to_numpy(copy=True)
    values[blank] = None
    if col.choices is not None:
        choices = col.choices
        bad = np.flatnonzero(~blank & ~text.isin(choices).fillna(False).to_numpy())
        flag_rows(
            problems,
            name,
            bad,
            col.name,
            lambda i: f"{raw.iloc[i]!r} is not one of: {', '.join(choices)}",
        )
    return values


def _check_keys(df: pd.DataFrame, sch: LayerSchema, name: str, problems: list[Problem]) -> None:
    """Flag every row whose (non-empty) key is shared with another row."""
    key = df[sch.key]
    dup_rows = np.flatnonzero((key.notna() & key.duplicated(keep=False)).to_numpy())
    flag_rows(
        problems, name, dup_rows, sch.key, lambda i: f"duplicate key {key.iloc[i]!r}", limit=20
    )


def _check_codes(
    df: pd.DataFrame,
    ref_cols: list[Column],
    codes: Collection[str],
    name: str,
    problems: list[Problem],
) -> None:
    """Flag values of ``ref_cols`` (``;``-separated lists allowed) naming 街道 codes not in ``codes``."""
    for col in ref_cols:
        for i, value in enumerate(df[col.name]):
            if pd.isna(value):
                continue
            unknown_codes = [
                c for c in str(value).split(";") if c.strip() and c.strip() not in codes
            ]
            if unknown_codes:
                problems.append(
                    Problem(
                        name,
                        int(i) + 1,
                        col.name,
                        f"unknown 街道 code(s): {', '.join(unknown_codes)}",
                    )
                )
