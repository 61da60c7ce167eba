"""Field readers for rule-set validation, and :class:`RuleError`, the error they build up.

Every reader takes the mapping, the key and a problem list ``p``; on a bad or missing value it
appends ``(field, message)`` to ``p`` and returns the default instead of raising, so that one
:class:`RuleError` can list every problem of a file at once. ``field`` is a dotted path such as
``"tiers[1].radius_m"``: callers pass the table's ``prefix`` (``"eligibility."``, ``"tiers[1]."``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

__all__ = [
    "Problems",
    "RuleError",
    "check_table",
    "is_str_list",
    "read_choice",
    "read_number",
    "read_str",
    "unknown_fields",
]

#: The problems found so far: ``(field, message)`` pairs, in the order they were found.
Problems = list[tuple[str, str]]


class RuleError(ValueError):
    """A rule set is malformed.

    Parameters
    ----------
    problems : list of (field, message)
        Every problem found; ``field`` is a dotted path such as ``"tiers[1].radius_m"``.
    source : str
        Where the rule came from (a file name, or ``"<dict>"``).

    Examples
    --------
    >>> print(RuleError([("tiers[0].radius_m", "must be > 0, got -5")], source="x.toml"))
    x.toml: field 'tiers[0].radius_m': must be > 0, got -5
    """

    def __init__(self, problems: Sequence[tuple[str, str]], source: str = "<dict>") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(
            "\n".join(f"{source}: field '{f}': {m}" for f, m in self.problems) or source
        )


# Public home is geo.rules: tracebacks keep showing ``geo.rules.RuleError`` as before the split.
RuleError.__module__ = "geo.rules"


def check_table(v: Any, field: str, p: Problems) -> TypeGuard[Mapping[str, Any]]:
    """Whether ``v`` is a table (mapping); if not, note it as a problem of ``field``."""
    if isinstance(v, Mapping):
        return True
    p.append((field, f"must be a table, got {type(v).__name__}"))
    return False


def unknown_fields(d: Mapping[str, Any], allowed: set[str], p: Problems, prefix: str = "") -> None:
    """Note every key of ``d`` not in ``allowed``, in sorted order."""
    for k in sorted(set(d) - allowed):
        p.append((prefix + k, f"unknown field (allowed: {', '.join(sorted(allowed))})"))


def is_str_list(v: Any) -> bool:
    """Whether ``v`` is a list or tuple of non-empty strings (an empty list counts)."""
    return isinstance(v, list | tuple) and all(isinstance(x, str) and x for x in v)


def read_str(d: Mapping[str, Any], key: str, p: Problems, default: str | None = None) -> str | None:
    """A string field; without a ``default`` it is required and must not be blank."""
    if key not in d:
        if default is None:
            p.append((key, "missing"))
        return default
    v = d[key]
    if not isinstance(v, str) or (default is None and not v.strip()):
        p.append((key, f"must be a non-empty string, got {v!r}"))
        return default
    return v


def read_choice(
    d: Mapping[str, Any],
    key: str,
    allowed: Sequence[str],
    p: Problems,
    prefix: str = "",
    default: str | None = None,
) -> str | None:
    """A field that must be one of ``allowed``; without a ``default`` it is required."""
    if key not in d:
        if default is None:
            p.append((prefix + key, f"missing (one of {', '.join(map(repr, allowed))})"))
        return default
    v = d[key]
    if v not in allowed:
        p.append((prefix + key, f"must be one of {', '.join(map(repr, allowed))}, got {v!r}"))
        return default
    return str(v)


def read_number(
    d: Mapping[str, Any],
    key: str,
    p: Problems,
    prefix: str = "",
    minimum: float | None = None,
    strict: bool = False,
) -> float | None:
    """A required finite number (not a bool), ``≥ minimum`` (``> minimum`` when ``strict``)."""
    if key not in d:
        p.append((prefix + key, "missing"))
        return None
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        p.append((prefix + key, f"must be a finite number, got {v!r}"))
        return None
    if minimum is not None and (v <= minimum if strict else v < minimum):
        p.append((prefix + key, f"must be {'>' if strict else '≥'} {minimum:g}, got {v!r}"))
        return None
    return float(v)
