"""What a tolerant import changed, as report text: the per-layer :class:`Tally` and id lists.

Part of the :mod:`layers.repair` family (import from :mod:`layers.repair`; it re-exports
:class:`Tally`). :func:`_shown` is how every note of the family lists ids or rows: the first few,
then ``…`` when there are more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Tally"]


def _shown(items: Iterable[Any], limit: int) -> str:
    """The first ``limit`` items joined by commas, with `` …`` when some were left out.

    >>> _shown([3, 1, 4, 1, 5], 3), _shown(["a"], 8)
    ('3, 1, 4 …', 'a')
    """
    items = list(items)
    return ", ".join(map(str, items[:limit])) + (" …" if len(items) > limit else "")


@dataclass
class Tally:
    """What happened to one layer on import: one row of a build report.

    ``read`` features came in; ``kept`` went out; ``repaired`` had their geometry fixed; ``clipped`` were cut
    to the study extent; ``dropped`` were left out. ``reasons`` says why, one line per reason (ids listed).
    """

    layer: str
    read: int = 0
    kept: int = 0
    repaired: int = 0
    clipped: int = 0
    dropped: int = 0
    reasons: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """Add a reason line (kept in order, no duplicates)."""
        if text and text not in self.reasons:
            self.reasons.append(text)

    def drop(self, n: int, why: str, ids: Sequence[str] = ()) -> None:
        """Count ``n`` dropped features with the reason and (up to 8 of) their ids."""
        if n <= 0:
            return
        self.dropped += n
        shown = _shown(ids, 8)
        self.note(f"dropped {n}: {why}" + (f" ({shown})" if shown else ""))

    def as_row(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "read": self.read,
            "kept": self.kept,
            "repaired": self.repaired,
            "clipped": self.clipped,
            "dropped": self.dropped,
            "reasons": "; ".join(self.reasons),
        }
