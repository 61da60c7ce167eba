"""The notes printed once below a coverage table: rule and citation, per-unit notes, inputs, official figures.

:func:`coverage_notes` groups the table's per-unit ``note`` column (each note once, with the units
it holds for), :func:`input_notes` names approximate and OpenStreetMap inputs, and
:func:`official_notes` cites the officially reported figures as published, beside what the
engine measured. :func:`unit_label` is the unit's name as the table shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["coverage_notes", "input_notes", "official_notes", "unit_label"]


def unit_label(row: pd.Series, english: bool) -> str:
    """中文 name (else English, else code), English beside when ``english``; "· " marks a historic block.

    >>> unit_label(pd.Series({"unit_name_zh": "什刹海街道", "unit_name_en": "Shichahai"}), True)
    '什刹海街道 Shichahai'
    """
    zh = str(row.get("unit_name_zh") or "").strip()
    en = str(row.get("unit_name_en") or "").strip()
    code = str(row.get("unit_code") or "")
    name = zh or en or code
    if english and en and en != name:
        name = f"{name} {en}"
    if row.get("scope") == "historic_block":
        name = f"· {name}"
    return name


def coverage_notes(
    table: pd.DataFrame,
    rule: Any | None = None,
    *,
    inputs: Sequence[str] = (),
    variant: str | None = None,
) -> list[str]:
    """Notes printed once below the table: rule and citation, per-unit notes grouped, inputs.

    Each distinct note of the table's ``note`` column is listed once, with the units it applies
    to (all of them: "every unit"). ``inputs`` are further lines (e.g. approximate layers).

    >>> t = pd.DataFrame({"scope": ["district", "subdistrict"], "unit_code": ["d", "s1"],
    ...     "unit_name_zh": ["全区", "甲街道"], "unit_name_en": ["", ""], "variant": "all_land",
    ...     "note": ["no population data", "no population data; no residential land"]})
    >>> coverage_notes(t)[-2:]
    ['no population data (every unit)', 'no residential land (甲街道)']
    """
    notes: list[str] = []
    if rule is not None:
        title = getattr(rule, "title_zh", "") or ""
        notes.append(f"规则 rule: {getattr(rule, 'id', '')} — {title}".rstrip(" —"))
        citation = getattr(rule, "citation", "")
        if citation:
            notes.append(f"依据 citation: {citation}")
        if getattr(rule, "network", None) is not None:
            notes.append(
                "distances along the street network (see the rule set); where the network is a "
                "drive network it is an upper bound on walking distance, so the rate is a lower "
                "bound"
            )
    if variant is not None:
        label = {
            "all_land": "all residential land 全部居住用地",
            "non_historic": "residential land outside the historic blocks 非历史文化街区地区",
        }.get(variant, variant)
        notes.append(f"口径 variant: {variant} ({label}); historic-block rows (·): all their land")
    notes.append(
        "± = arc error bound (percentage points): the rate with exact distances lies within it"
    )
    notes.extend(inputs)
    if "note" in table.columns and len(table):
        seen: dict[str, list[str]] = {}
        for _, row in table.iterrows():
            text = row.get("note")
            if not isinstance(text, str) or not text.strip():
                continue
            for part in (p.strip() for p in text.split(";")):
                if part:
                    units = seen.setdefault(part, [])
                    name = unit_label(row, english=False).lstrip("· ")
                    if name not in units:
                        units.append(name)
        main = {
            unit_label(r, english=False)
            for _, r in table.iterrows()
            if r.get("scope") != "historic_block"
        }
        for part, units in seen.items():
            if main and main <= set(units):
                where = "every unit" if len(units) == len(main) else "every 街道 and the district"
            elif len(units) > 6:
                where = f"{len(units)} units: {', '.join(units[:6])}, …"
            else:
                where = ", ".join(units)
            notes.append(f"{part} ({where})")
    return notes


def input_notes(study: Any) -> list[str]:
    """Notes on the inputs of a loaded study (:class:`greenmap.analysis.Study`): quality, sources.

    Layers whose features are ``approximate`` (or have no geometry quality) are named with the
    share of such features, and OpenStreetMap-derived layers get the ODbL attribution.
    """
    out: list[str] = []
    osm = False
    for name in ("residential", "parks"):
        gdf = study.get(name) if hasattr(study, "get") else None
        if gdf is None or not len(gdf):
            continue
        if "geometry_quality" in gdf.columns:
            q = gdf["geometry_quality"].astype(str)
            approx = int((q == "approximate").sum())
            if approx:
                out.append(
                    f"approximate input: {approx} of {len(gdf)} {name} features are approximate "
                    "(geometry_quality), not surveyed outlines"
                )
            osm |= bool((q == "osm").any())
        if "source" in gdf.columns:
            osm |= bool(gdf["source"].astype(str).str.contains("OpenStreetMap", case=False).any())
    if osm:
        out.append("map data © OpenStreetMap contributors (ODbL)")
    return out


def official_notes(reported: pd.DataFrame) -> list[str]:
    """One note per reported indicator: its latest actual and expected figures as published, cited.

    ``reported`` is :func:`greenmap.analysis.reported_series`. The figures are never recomputed;
    the note says that the rate above is this tool's measurement on the area's own layers. A
    row's ``note`` (the fact table's caveat: scope not stated, calculation base changed …) follows
    its figure in brackets.

    >>> r = pd.DataFrame({"indicator_id": ["a", "a"], "name_zh": ["覆盖率", "覆盖率"],
    ...     "year": [2021, 2025], "value": [98.05, 99.98], "kind": ["actual", "expected"],
    ...     "source": ["《报告甲》", "《报告乙》"], "source_file": ["002.txt", "004.txt"],
    ...     "source_lines": ["218-222", "73"]})
    >>> print(official_notes(r)[0])  # doctest: +NORMALIZE_WHITESPACE
    官方 official, as reported (not recomputed; the rates above are measured here on this area's
    layers): 覆盖率 98.05 % (2021 actual; 《报告甲》, 002.txt lines 218-222); 99.98 % (2025 expected;
    《报告乙》, 004.txt line 73)
    """
    out: list[str] = []
    if reported is None or not len(reported):
        return out
    obs = reported[reported["kind"].isin(["actual", "expected"])]
    for _ind, part in obs.groupby("indicator_id", sort=False):
        figs = []
        for kind in ("actual", "expected"):
            rows = part[part["kind"] == kind].sort_values("year", kind="stable")
            if not len(rows):
                continue
            r = rows.iloc[-1]
            where = str(r.get("source") or "").split(";")[0]
            f, lines = r.get("source_file"), r.get("source_lines")
            if isinstance(f, str) and f:
                where += f", {f.split(';')[0]}"
                if isinstance(lines, str) and lines:
                    first = lines.split(";")[0]
                    where += f" {'lines' if '-' in first else 'line'} {first}"
            caveat = r.get("note")
            # the fact table's caveat (scope not stated, base changed …) travels with the figure
            caveat = (
                f" [{str(caveat).strip()}]" if isinstance(caveat, str) and caveat.strip() else ""
            )
            figs.append(f"{float(r['value']):g} % ({int(r['year'])} {kind}; {where}){caveat}")
        if figs:
            name = str(part["name_zh"].iloc[0])
            out.append(
                "官方 official, as reported (not recomputed; the rates above are measured here on "
                f"this area's layers): {name} " + "; ".join(figs)
            )
    return out
