"""What the ``greenmap`` subcommands share: exit codes and printing a table for people or machines."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

__all__ = ["EXIT_FAIL", "EXIT_INPUT", "EXIT_OK", "EXIT_UNAVAILABLE", "print_table"]

#: 0 success, 1 unexpected failure, 2 bad usage or bad input, 3 a required resource is unavailable.
EXIT_OK, EXIT_FAIL, EXIT_INPUT, EXIT_UNAVAILABLE = 0, 1, 2, 3


def print_table(df: pd.DataFrame, fmt: str, out: str | None) -> None:
    """``df`` as ``table`` (plain text), ``csv`` or ``json`` (a list of records) to stdout or ``out``.

    >>> print_table(pd.DataFrame({"街道": ["什刹海"], "rate": [50.04]}), "json", None)
    [
     {
      "街道":"什刹海",
      "rate":50.04
     }
    ]
    """
    if fmt == "csv":
        text = df.to_csv(index=False)
    elif fmt == "json":
        text = df.to_json(orient="records", force_ascii=False, indent=1) + "\n"
    else:
        with pd.option_context(
            "display.max_rows", 500, "display.width", 200, "display.max_colwidth", 40
        ):
            text = df.to_string(index=False) + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
