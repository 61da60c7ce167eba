"""The ``[network]`` table of a rule set: walking-network parameters (issue 12).

A rule set with a ``[network]`` table measures distance along streets from park access points
(:mod:`geo.netcoverage`); without it, distance is Euclidean from the park boundary. Read by
:meth:`geo.rules.RuleSet.from_dict`; documented in ``data/rules/README.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["NETWORK_KEYS", "TAGGED_ENTRANCES", "NetworkParams"]

NETWORK_KEYS = frozenset(
    {
        "access_max_distance_m",
        "entrance_spacing_m",
        "catchment_m",
        "walk_speed_m_per_min",
        "speed_source",
        "method_citation",
        "tagged_entrances",
    }
)
#: Allowed ``tagged_entrances`` values (``tagged`` of :func:`geo.netaccess.access_points`): tagged
#: entrances are the only access of their park, are added to its other access points, are unused.
TAGGED_ENTRANCES = ("only", "add", "ignore")


@dataclass(frozen=True)
class NetworkParams:
    """Walking-network parameters of a rule.

    Attributes
    ----------
    access_max_distance_m : float
        N: a street within this distance (m) of a pseudo-entrance or tagged entrance gives an
        access point (GHSCI: 30 m).
    entrance_spacing_m : float
        Pseudo-entrance spacing along the park boundary (m), 20–50 (GHSCI: 20 m).
    catchment_m : float
        Largest distance (m) from a reached street to a served parcel point; the off-network leg
        is counted in the walk (``min(catchment, remaining distance)``).
    walk_speed_m_per_min : float or None
        Walking speed (m/min) for tiers given in ``minutes``.
    speed_source : str
        Where the speed comes from (or why it is derived).
    method_citation : str
        Citation of the network method.
    tagged_entrances : {"only", "add", "ignore"}
        How a park's tagged entrances are used: ``only`` (default) the park is reached only through
        them (walled parks); ``add`` through them and the usual pseudo-entrances, street crossings
        and street nodes inside; ``ignore`` not at all (pseudo-entrances etc. only).

    Examples
    --------
    >>> p = []
    >>> NetworkParams.parse({"catchment_m": 50}, p), p
    (NetworkParams(access_max_distance_m=30.0, entrance_spacing_m=20.0, catchment_m=50.0, walk_speed_m_per_min=None, speed_source='', method_citation='', tagged_entrances='only'), [])
    >>> _ = NetworkParams.parse({"entrance_spacing_m": 5, "x": 1}, p); p
    [('network.x', 'unknown field (allowed: access_max_distance_m, catchment_m, entrance_spacing_m, method_citation, speed_source, tagged_entrances, walk_speed_m_per_min)'), ('network.entrance_spacing_m', 'must be between 20 and 50 (GHSCI-style pseudo-entrances), got 5')]
    >>> p = []; _ = NetworkParams.parse({"tagged_entrances": "gates"}, p); p
    [('network.tagged_entrances', "must be one of 'only', 'add', 'ignore', got 'gates'")]
    >>> NetworkParams.parse({"tagged_entrances": "add"}, p).to_dict()["tagged_entrances"]
    'add'
    """

    access_max_distance_m: float = 30.0
    entrance_spacing_m: float = 20.0
    catchment_m: float = 100.0
    walk_speed_m_per_min: float | None = None
    speed_source: str = ""
    method_citation: str = ""
    tagged_entrances: str = "only"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "access_max_distance_m": self.access_max_distance_m,
            "entrance_spacing_m": self.entrance_spacing_m,
            "catchment_m": self.catchment_m,
        }
        if self.walk_speed_m_per_min is not None:
            d["walk_speed_m_per_min"] = self.walk_speed_m_per_min
        if self.speed_source:
            d["speed_source"] = self.speed_source
        if self.method_citation:
            d["method_citation"] = self.method_citation
        if self.tagged_entrances != "only":
            d["tagged_entrances"] = self.tagged_entrances
        return d

    @classmethod
    def parse(cls, d: object, p: list[tuple[str, str]]) -> NetworkParams | None:
        """Validate the ``[network]`` table, appending ``(field, message)`` problems to ``p``."""
        if not isinstance(d, Mapping):
            p.append(("network", f"must be a table, got {type(d).__name__}"))
            return None
        for k in sorted(set(d) - NETWORK_KEYS):
            p.append(
                (f"network.{k}", f"unknown field (allowed: {', '.join(sorted(NETWORK_KEYS))})")
            )
        n0 = len(p)

        def num(key: str, default: float | None, lo: float, hi: float = math.inf) -> float | None:
            if key not in d:
                return default
            v = d[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                p.append((f"network.{key}", f"must be a finite number, got {v!r}"))
                return default
            return float(v)

        amd = num("access_max_distance_m", 30.0, 0.0)
        sp = num("entrance_spacing_m", 20.0, 0.0)
        c = num("catchment_m", 100.0, 0.0)
        ws = num("walk_speed_m_per_min", None, 0.0)
        if amd is not None and amd < 0:
            p.append(("network.access_max_distance_m", f"must be ≥ 0, got {amd:g}"))
        if sp is not None and not 20.0 <= sp <= 50.0:
            p.append(
                (
                    "network.entrance_spacing_m",
                    f"must be between 20 and 50 (GHSCI-style pseudo-entrances), got {sp:g}",
                )
            )
        if c is not None and not c > 0:
            p.append(("network.catchment_m", f"must be > 0, got {c:g}"))
        if ws is not None and not ws > 0:
            p.append(("network.walk_speed_m_per_min", f"must be > 0, got {ws:g}"))
        texts = {}
        for key in ("speed_source", "method_citation"):
            v = d.get(key, "")
            if not isinstance(v, str):
                p.append((f"network.{key}", f"must be a string, got {v!r}"))
                v = ""
            texts[key] = v
        tagged = d.get("tagged_entrances", "only")
        if tagged not in TAGGED_ENTRANCES:
            allowed = ", ".join(repr(x) for x in TAGGED_ENTRANCES)
            p.append(("network.tagged_entrances", f"must be one of {allowed}, got {tagged!r}"))
        if len(p) > n0:
            return None
        assert amd is not None and sp is not None and c is not None
        return cls(amd, sp, c, ws, texts["speed_source"], texts["method_citation"], str(tagged))
