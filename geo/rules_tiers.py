"""Radius tiers of a rule set: :class:`RadiusTier` and the validation of the ``[[tiers]]`` list.

A tier gives parks of an area band (m²), optionally only inside or outside the rule's exclusion
zone, a service radius in metres; a radius may be given as walking ``minutes`` instead, converted
with the rule's ``network.walk_speed_m_per_min``. Import these names from :mod:`geo.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from geo.netrules import NetworkParams
from geo.rules_fields import Problems, check_table, read_choice, read_number, unknown_fields
from geo.rules_vocab import ZONES

__all__ = ["TIER_KEYS", "RadiusTier", "parse_tiers"]

#: Fields a ``[[tiers]]`` table may have.
TIER_KEYS = {"min_area_m2", "max_area_m2", "radius_m", "minutes", "zone"}


@dataclass(frozen=True)
class RadiusTier:
    """One radius tier: parks with ``min_area_m2 <= area < max_area_m2`` in ``zone`` get ``radius_m``.

    Attributes
    ----------
    min_area_m2 : float
        Lower area bound, inclusive (m²).
    max_area_m2 : float or None
        Upper area bound, exclusive (m²); ``None`` for no upper bound.
    radius_m : float
        Service radius in metres.
    zone : str
        ``"any"``, ``"inside_exclusion"`` (park's representative point inside an exclusion zone) or
        ``"outside_exclusion"``.
    """

    min_area_m2: float
    max_area_m2: float | None
    radius_m: float
    zone: str = "any"

    @property
    def label(self) -> str:
        """Short human label, e.g. ``"≥5000 m² → 500 m"``."""
        lo = f"{self.min_area_m2:g}"
        rng = f"≥{lo} m²" if self.max_area_m2 is None else f"{lo}–{self.max_area_m2:g} m²"
        where = {"any": "", "inside_exclusion": " (inside)", "outside_exclusion": " (outside)"}
        return f"{rng}{where[self.zone]} → {self.radius_m:g} m"


def _minutes_radius(
    t: Mapping[str, Any], pre: str, network: NetworkParams | None, p: Problems
) -> float | None:
    """A tier radius given as ``minutes`` × ``network.walk_speed_m_per_min`` (m)."""
    if "radius_m" in t:
        p.append((pre + "minutes", "give radius_m or minutes, not both"))
        return None
    mins = read_number(t, "minutes", p, prefix=pre, minimum=0.0, strict=True)
    if network is None or network.walk_speed_m_per_min is None:
        p.append((pre + "minutes", "needs network.walk_speed_m_per_min"))
        return None
    return None if mins is None else mins * network.walk_speed_m_per_min


def _parse_tier(
    t: Mapping[str, Any],
    pre: str,
    exclusion: str | None,
    network: NetworkParams | None,
    p: Problems,
) -> RadiusTier | None:
    """One tier table (fields prefixed ``pre``, e.g. ``"tiers[1]."``); ``None`` if unusable."""
    unknown_fields(t, TIER_KEYS, p, prefix=pre)
    lo = read_number(t, "min_area_m2", p, prefix=pre, minimum=0.0)
    hi = None
    if t.get("max_area_m2") is not None:
        hi = read_number(t, "max_area_m2", p, prefix=pre, minimum=0.0)
        if hi is not None and lo is not None and hi <= lo:
            p.append((pre + "max_area_m2", f"must be > min_area_m2 ({lo:g}), got {hi:g}"))
            hi = None
    if "minutes" in t:
        r = _minutes_radius(t, pre, network, p)
    else:
        r = read_number(t, "radius_m", p, prefix=pre, minimum=0.0, strict=True)
    z = read_choice(t, "zone", ZONES, p, prefix=pre, default="any")
    if z in ("inside_exclusion", "outside_exclusion") and exclusion == "none":
        p.append((pre + "zone", f'{z!r} needs an exclusion (set exclusion = "historic_blocks")'))
    if lo is not None and r is not None and z is not None:
        return RadiusTier(lo, hi, r, z)
    return None


def parse_tiers(
    raw: Any,
    exclusion: str | None,
    network: NetworkParams | None,
    min_area: float | None,
    p: Problems,
) -> list[RadiusTier]:
    """Validate the ``tiers`` list of a rule set.

    Parameters
    ----------
    raw : any
        The ``tiers`` value as read (``None`` when absent).
    exclusion : str or None
        The rule's ``exclusion``; zone-dependent tiers need one other than ``"none"``.
    network : NetworkParams or None
        The rule's ``[network]`` table; tiers in ``minutes`` need its walking speed.
    min_area : float or None
        The rule's ``eligibility.min_area_m2`` (m²), if valid; tiers wholly below it are errors.
    p : list of (field, message)
        Problems found are appended here.

    Returns
    -------
    list of RadiusTier
        The valid tiers, in file order (only meaningful when no problem was added).

    Examples
    --------
    >>> p = []
    >>> raw = [{"min_area_m2": 0, "max_area_m2": 900, "radius_m": 300}]
    >>> parse_tiers(raw, "none", None, 1000, p)
    [RadiusTier(min_area_m2=0.0, max_area_m2=900.0, radius_m=300.0, zone='any')]
    >>> p
    [('tiers[0].max_area_m2', 'tier lies wholly below eligibility.min_area_m2 (1000)')]
    """
    tiers: list[RadiusTier] = []
    if raw is None:
        p.append(("tiers", "missing (a list of radius tiers)"))
        return tiers
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        p.append(("tiers", f"must be a non-empty list of tables, got {raw!r}"))
        return tiers
    for i, t in enumerate(raw):
        if check_table(t, f"tiers[{i}]", p):
            tier = _parse_tier(t, f"tiers[{i}].", exclusion, network, p)
            if tier is not None:
                tiers.append(tier)
    if min_area is not None:
        for i, tier in enumerate(tiers):
            if tier.max_area_m2 is not None and tier.max_area_m2 <= min_area:
                p.append(
                    (
                        f"tiers[{i}].max_area_m2",
                        f"tier lies wholly below eligibility.min_area_m2 ({min_area:g})",
                    )
                )
    return tiers
