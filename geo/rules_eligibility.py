"""The ``[eligibility]`` table of a rule set: which parks count (size, kinds, statuses, fee).

Validation only; :func:`geo.rules.classify_parks` applies the result to a parks layer.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from geo.rules_fields import (
    Problems,
    check_table,
    is_str_list,
    read_choice,
    read_number,
    unknown_fields,
)
from geo.rules_vocab import FEE_POLICIES, KNOWN_PARK_KINDS

__all__ = ["ELIG_KEYS", "Eligibility", "parse_eligibility"]

#: Fields an ``[eligibility]`` table may have.
ELIG_KEYS = {"min_area_m2", "kinds", "statuses", "fee"}


class Eligibility(NamedTuple):
    """The validated ``[eligibility]`` fields (see :class:`geo.rules.RuleSet` for their meaning)."""

    #: Minimum park area (m²); ``None`` when missing or invalid (a problem was noted).
    min_area_m2: float | None = None
    #: Eligible kinds; ``None`` means all kinds.
    kinds: tuple[str, ...] | None = None
    statuses: tuple[str, ...] = ("existing",)
    fee: str = "any"


def parse_eligibility(elig: Any, p: Problems) -> Eligibility:
    """Validate the ``eligibility`` value of a rule set.

    Parameters
    ----------
    elig : any
        The ``eligibility`` value as read (``None`` when absent).
    p : list of (field, message)
        Problems found are appended here, fields prefixed ``eligibility.``.

    Returns
    -------
    Eligibility
        The fields; defaults where a value is absent or invalid.

    Examples
    --------
    >>> p = []
    >>> parse_eligibility({"min_area_m2": 400, "kinds": ["garden"], "fee": "free_only"}, p)
    Eligibility(min_area_m2=400.0, kinds=('garden',), statuses=('existing',), fee='free_only')
    >>> parse_eligibility({"kinds": "some"}, p).min_area_m2, [f for f, _ in p]
    (None, ['eligibility.min_area_m2', 'eligibility.kinds'])
    """
    if elig is None:
        p.append(("eligibility", "missing (a table with at least min_area_m2)"))
        return Eligibility()
    if not check_table(elig, "eligibility", p):
        return Eligibility()
    unknown_fields(elig, ELIG_KEYS, p, prefix="eligibility.")
    min_area = read_number(elig, "min_area_m2", p, prefix="eligibility.", minimum=0.0)
    kinds: tuple[str, ...] | None = None
    kinds_raw = elig.get("kinds", "all")
    if kinds_raw == "all":
        kinds = None
    elif is_str_list(kinds_raw) and kinds_raw:
        bad = [k for k in kinds_raw if k not in KNOWN_PARK_KINDS]
        if bad:
            p.append(
                (
                    "eligibility.kinds",
                    f"unknown kind(s) {bad}; known: {', '.join(sorted(KNOWN_PARK_KINDS))}",
                )
            )
        kinds = tuple(kinds_raw)
    else:
        p.append(
            ("eligibility.kinds", f'must be "all" or a non-empty list of kinds, got {kinds_raw!r}')
        )
    statuses: tuple[str, ...] = ("existing",)
    st_raw = elig.get("statuses", ["existing"])
    if is_str_list(st_raw) and st_raw:
        statuses = tuple(st_raw)
    else:
        p.append(("eligibility.statuses", f"must be a non-empty list of strings, got {st_raw!r}"))
    fee = read_choice(elig, "fee", FEE_POLICIES, p, prefix="eligibility.", default="any") or "any"
    return Eligibility(min_area, kinds, statuses, fee)
