"""The location rules of :mod:`geo.locate`: offsets, buffer widths, gaps and confidences, with defaults.

Pure. The rules file is ``data/gazetteer/rules.toml`` (read by :mod:`layers.gazetteer_io`); every distance
is in metres of the gazetteer's metric CRS (EPSG:4548 for Xicheng).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_RULES: dict[str, dict[str, float]] = {
    "match": {"min_score": 0.8, "tie_tolerance": 0.001},
    "sizhi": {"max_corner_gap_m": 400.0},
    "offset": {"corner_m": 40.0, "side_m": 40.0},
    "buffer": {"around_m": 150.0, "along_m": 30.0, "area_m": 200.0},
    "confidence": {
        "sizhi": 0.7,
        "sizhi_partial": 0.35,
        "segment": 0.6,
        "place": 0.5,
        "street": 0.45,
        "corner": 0.4,
        "side": 0.4,
        "buffer": 0.4,
        "partial": 0.25,
    },
    "partial": {"min_chars": 3.0, "min_chars_before_number": 2.0},
}


def rules_with_defaults(rules: Mapping[str, Any] | None) -> dict[str, dict[str, float]]:
    """``DEFAULT_RULES`` updated with a rules mapping (as read from ``data/gazetteer/rules.toml``).

    >>> rules_with_defaults({"buffer": {"around_m": 100}})["buffer"]["around_m"]
    100.0
    """
    out = {k: dict(v) for k, v in DEFAULT_RULES.items()}
    for sect, vals in (rules or {}).items():
        if not isinstance(vals, Mapping):
            raise ValueError(f"rules: section {sect!r} must be a table")
        for key, val in vals.items():
            try:
                out.setdefault(sect, {})[key] = float(val)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"rules: {sect}.{key} must be a number, got {val!r}") from exc
    return out
