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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from greenmap.table_notes import coverage_notes, input_notes, official_notes, unit_label
from greenmap.textable import display_width, fit, render

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


@dataclass
class CoverageReport:
    """What :func:`coverage_report` returns: the rendered ``text`` and its parts."""

    text: str
    variant: str
    rows: pd.DataFrame
    notes: list[str] = field(default_factory=list)


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
                unit_label(r, english),
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
