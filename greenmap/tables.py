"""Tables people can read: the ``greenmap coverage`` output for planners, width-aware, CJK-aware.

:func:`coverage_report` turns :func:`greenmap.analysis.coverage_table` into one row per unit (the district,
every 街道, then the historic blocks), with what a planner reads — the unit (中文 name first, English beside),
residential and covered land in km², the rate in %, its arc error bound ± in percentage points and the
population rate where the population is known — and the notes *once* below the table (the rule's citation,
notes that held for some units with those units named, what the inputs are), not repeated on every row.

Widths are display columns: East Asian wide and full-width characters count 2
(:func:`display_width`), so columns of 中文 names line up in a terminal. When the table is wider than the
terminal, the English names go first, then the covered km², then names are shortened with "…".

The machine-readable formats (``--format csv|json``) are not built here: they keep every column of the
table, one record per unit and variant, and the CLI prints the notes on stderr.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = [
    "CoverageReport",
    "coverage_notes",
    "coverage_report",
    "display_width",
    "emit_coverage",
    "fit",
    "input_notes",
    "official_notes",
    "render",
]

#: Widest unit column (display columns); longer names end in "…".
UNIT_WIDTH = 40

_SCOPE_ORDER = {"district": 0, "subdistrict": 1, "historic_block": 2}


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (W) and full-width (F) characters count 2.

    >>> display_width("abc"), display_width("什刹海街道"), display_width("全区 Whole")
    (3, 10, 10)
    """
    return sum(
        0
        if unicodedata.combining(ch)
        else 2
        if unicodedata.east_asian_width(ch) in ("W", "F")
        else 1
        for ch in text
    )


def fit(text: str, width: int, align: str = "<") -> str:
    """``text`` padded (``<`` left, ``>`` right) or shortened with "…" to exactly ``width`` columns.

    >>> fit("什刹海街道", 7) + "|"
    '什刹海…|'
    >>> fit("12.5", 6, ">") + "|"
    '  12.5|'
    """
    if display_width(text) > width:
        out = ""
        for ch in text:
            if display_width(out + ch) > width - 1:
                break
            out += ch
        text = out + "…"
    pad = " " * max(width - display_width(text), 0)
    return pad + text if align == ">" else text + pad


def render(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    aligns: Sequence[str],
    shrinkable: int | None = None,
    max_width: int | None = None,
    max_col: int | None = None,
) -> str:
    """A plain-text table; column ``shrinkable`` (if any) is cut to ``max_col``, then to ``max_width``.

    >>> print(render(["单元 unit", "%"], [["全区", "98.1"]], ["<", ">"]))
    单元 unit     %
    ---------  ----
    全区       98.1
    """
    widths = [
        max([display_width(h)] + [display_width(r[i]) for r in rows]) for i, h in enumerate(headers)
    ]
    if max_col is not None and shrinkable is not None:
        widths[shrinkable] = min(
            widths[shrinkable], max(max_col, display_width(headers[shrinkable]))
        )
    if max_width is not None and shrinkable is not None:
        total = sum(widths) + 2 * (len(widths) - 1)
        if total > max_width:
            widths[shrinkable] = max(widths[shrinkable] - (total - max_width), 6)
    lines = ["  ".join(fit(h, w, a) for h, w, a in zip(headers, widths, aligns, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(fit(c, w, a) for c, w, a in zip(r, widths, aligns, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


def _num(x: Any, digits: int) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "—"
    return "—" if math.isnan(v) else f"{v:.{digits}f}"


def _bound(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "—"
    if math.isnan(v):
        return "—"
    return "±0" if v == 0 else f"±{v:.4f}" if v < 0.1 else f"±{v:.2f}"


def _unit(row: pd.Series, english: bool) -> str:
    zh = str(row.get("unit_name_zh") or "").strip()
    en = str(row.get("unit_name_en") or "").strip()
    code = str(row.get("unit_code") or "")
    name = zh or en or code
    if english and en and en != name:
        name = f"{name} {en}"
    if row.get("scope") == "historic_block":
        name = f"· {name}"
    return name


@dataclass
class CoverageReport:
    """What :func:`coverage_report` returns: the rendered ``text`` and its parts."""

    text: str
    variant: str
    rows: pd.DataFrame
    notes: list[str] = field(default_factory=list)


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
                    name = _unit(row, english=False).lstrip("· ")
                    if name not in units:
                        units.append(name)
        main = {
            _unit(r, english=False)
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


def coverage_report(
    table: pd.DataFrame,
    rule: Any | None = None,
    *,
    variant: str | None = None,
    width: int | None = None,
    inputs: Sequence[str] = (),
) -> CoverageReport:
    """One row per unit for planners, notes once below; fits ``width`` columns when given.

    Parameters
    ----------
    table : DataFrame
        :func:`greenmap.analysis.coverage_table` (columns of :data:`geo.indicator.TABLE_COLUMNS`).
    rule : RuleSet, optional
        For the title, citation and headline variant.
    variant : str, optional
        ``all_land`` or ``non_historic``; default the rule's headline variant (else ``all_land``).
        Historic-block rows are always shown with all their land.
    width : int, optional
        Terminal width (columns).
    inputs : sequence of str
        Extra notes about the inputs (e.g. an approximate residential layer).

    Returns
    -------
    CoverageReport

    Examples
    --------
    >>> t = pd.DataFrame({"scope": ["district", "subdistrict"], "unit_code": ["d", "110102012"],
    ...     "unit_name_zh": ["全区", "什刹海街道"], "unit_name_en": ["Whole district", "Shichahai"],
    ...     "variant": "all_land", "residential_m2": [2.0e6, 5.0e5], "covered_m2": [1.5e6, 5.0e5],
    ...     "rate_pct": [75.0, 100.0], "arc_error_bound_pp": [0.004, 0.0],
    ...     "pop_rate_pct": [None, None], "note": ["", ""]})
    >>> print(coverage_report(t).text.splitlines()[2])
    全区 Whole district        2.000     1.500   75.00  ±0.0040
    """
    if variant is None:
        variant = getattr(rule, "headline_variant", None) or "all_land"
        if variant not in set(table.get("variant", pd.Series(dtype=object))):
            variant = "all_land"
    scope = table["scope"].astype(str)
    keep = (table["variant"] == variant) | (scope == "historic_block")
    rows = table[keep].copy()
    rows["_order"] = rows["scope"].map(_SCOPE_ORDER).fillna(9)
    rows = rows.sort_values("_order", kind="stable").drop(columns="_order")
    has_pop = "pop_rate_pct" in rows.columns and rows["pop_rate_pct"].notna().any()
    headers = ["单元 unit", "居住用地 km²", "覆盖 km²", "覆盖率 %", "± pp"]
    aligns = ["<", ">", ">", ">", ">"]
    if has_pop:
        headers.append("人口覆盖率 %")
        aligns.append(">")
    # network rules: the straight-line (Euclidean) rate of the same unit beside
    has_euc = "euclidean_rate_pct" in rows.columns and rows["euclidean_rate_pct"].notna().any()
    if has_euc:
        headers.append("直线 Euclid %")
        aligns.append(">")

    def body(english: bool, covered: bool) -> tuple[list[str], list[list[str]], list[str]]:
        hs, al = list(headers), list(aligns)
        out = []
        for _, r in rows.iterrows():
            cells = [
                _unit(r, english),
                _num(r.get("residential_m2", float("nan")) / 1e6, 3),
                _num(r.get("covered_m2", float("nan")) / 1e6, 3),
                _num(r.get("rate_pct"), 2),
                _bound(r.get("arc_error_bound_pp")),
            ]
            if has_pop:
                cells.append(_num(r.get("pop_rate_pct"), 2))
            if has_euc:
                cells.append(_num(r.get("euclidean_rate_pct"), 2))
            out.append(cells)
        if not covered:
            del hs[2], al[2]
            for c in out:
                del c[2]
        return hs, out, al

    # drop the English names, then the covered km², and only then shorten the names
    text = ""
    for english, covered, last in ((True, True, False), (False, True, False), (False, False, True)):
        hs, body_rows, al = body(english, covered)
        text = render(
            hs, body_rows, al, shrinkable=0, max_width=width if last else None, max_col=UNIT_WIDTH
        )
        if width is None or max(display_width(line) for line in text.splitlines()) <= width:
            break
    notes = coverage_notes(table[keep], rule, inputs=inputs, variant=variant)
    lines = [text, ""]
    lines += [f"* {n}" for n in notes]
    return CoverageReport("\n".join(lines) + "\n", variant, rows, notes)


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
    the note says that the rate above is this tool's measurement on the area's own layers.

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
            figs.append(f"{float(r['value']):g} % ({int(r['year'])} {kind}; {where})")
        if figs:
            name = str(part["name_zh"].iloc[0])
            out.append(
                "官方 official, as reported (not recomputed; the rates above are measured here on "
                f"this area's layers): {name} " + "; ".join(figs)
            )
    return out


def emit_coverage(
    table: pd.DataFrame,
    rule: Any | None,
    *,
    fmt: str,
    variant: str | None = None,
    output: str | None = None,
    inputs: Sequence[str] = (),
    width: int | None = None,
) -> None:
    """Write the coverage table: ``table`` for people, ``csv``/``json`` for machines.

    ``table``: :func:`coverage_report` (one row per unit of ``variant``, notes below), fitted to
    ``width`` (default the terminal's, :func:`shutil.get_terminal_size`). ``csv``/``json``: every
    column, one record per unit and variant (``variant`` filters), to stdout or ``output``; the
    notes go once to stderr so that stdout stays machine-readable (JSON: a list of records).
    """
    import shutil
    import sys
    from pathlib import Path

    if fmt == "table":
        if width is None and output is None:
            width = shutil.get_terminal_size((120, 24)).columns
        text = coverage_report(table, rule, variant=variant, width=width, inputs=inputs).text
    else:
        data = table if variant is None else table[table["variant"] == variant]
        if fmt == "csv":
            text = data.to_csv(index=False)
        elif fmt == "json":
            text = data.to_json(orient="records", force_ascii=False, indent=1) + "\n"
        else:
            raise ValueError(f"--format: {fmt!r} is not one of table, csv, json")
        notes = coverage_notes(data, rule, inputs=inputs, variant=variant)
        print("\n".join(f"note: {n}" for n in notes), file=sys.stderr)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
