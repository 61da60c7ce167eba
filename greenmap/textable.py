"""Plain-text tables that line up in a terminal with 中文 in them: width-aware, CJK-aware.

Widths are display columns: East Asian wide and full-width characters count 2
(:func:`display_width`); :func:`fit` pads or shortens to exact columns; :func:`render` lays out
a table with one column that may shrink to fit the terminal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

__all__ = ["display_width", "fit", "render"]


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
