"""Building the :class:`~layers.errors.Problem` lists the layer loader reports.

Every check in the ``layers.io`` family names the file, the 1-based row and the field at fault; these
helpers keep that wording in one place so each check states only what is wrong.

Examples
--------
>>> problems: list[Problem] = []
>>> flag_rows(problems, "parks.csv", [0, 2], "area_m2", lambda i: f"bad value at index {i}")
>>> for p in problems:
...     print(p)
parks.csv, row 1, field 'area_m2': bad value at index 0
parks.csv, row 3, field 'area_m2': bad value at index 2
>>> print(file_error("parks.csv", None, "file not found"))
parks.csv: file not found
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from layers.errors import LayerError, Problem


def file_error(name: str, field: str | None, message: str) -> LayerError:
    """One error with a single problem about the whole file (no row).

    Parameters
    ----------
    name : str
        The file (or layer label) at fault.
    field : str or None
        The column or setting at fault; ``None`` for the file as a whole.
    message : str
        What is wrong, in plain words.

    Returns
    -------
    LayerError
        To be raised by the caller (``raise file_error(...) from exc`` keeps the cause).
    """
    return LayerError([Problem(name, None, field, message)])


def flag_rows(
    problems: list[Problem],
    name: str,
    rows: Sequence[int] | np.ndarray,
    field: str,
    message: str | Callable[[int], str],
    limit: int = 50,
) -> None:
    """Append one problem per 0-based row index in ``rows``, at most ``limit`` of them.

    Parameters
    ----------
    problems : list of Problem
        Collected in place.
    name : str
        The file at fault.
    rows : sequence of int
        0-based positions of the bad rows, in order; reported 1-based.
    field : str
        The column at fault.
    message : str or callable
        The message, or a function of the 0-based position returning it.
    limit : int
        Cap on the rows reported, so one systematic fault does not drown the others.
    """
    for i in rows[:limit]:
        pos = int(i)
        text = message if isinstance(message, str) else message(pos)
        problems.append(Problem(name, pos + 1, field, text))
