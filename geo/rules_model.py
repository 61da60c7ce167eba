"""The rule set itself: :class:`RuleSet`, its nested (TOML) form and the validation of that form.

A rule set says which parks count, which service radius (m) each gets, which demand the indicator
is measured over and which part of the district is left out of the headline figure. The
``[eligibility]`` table, the ``[[tiers]]`` list and the ``[network]`` table are validated by
:mod:`geo.rules_eligibility`, :mod:`geo.rules_tiers` and :mod:`geo.netrules`; this module checks
the top-level fields and assembles the result. Import these names from :mod:`geo.rules`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from geo.netrules import NetworkParams
from geo.rules_eligibility import parse_eligibility
from geo.rules_fields import Problems, RuleError, check_table, read_choice, read_str, unknown_fields
from geo.rules_tiers import RadiusTier, parse_tiers
from geo.rules_vocab import CITATION_STATUSES, DEMAND_BASES, EXCLUSIONS, VARIANTS

__all__ = ["TOP_KEYS", "RuleSet"]

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
#: Top-level fields a rule-set table may have.
TOP_KEYS = {
    "id",
    "title_zh",
    "title_en",
    "citation",
    "citation_status",
    "eligibility",
    "tiers",
    "exclusion",
    "demand_base",
    "headline_variant",
    "quad_segs",
    "notes",
    "network",
    "barriers",
}


@dataclass(frozen=True)
class RuleSet:
    """A park service-radius coverage rule.

    Attributes
    ----------
    id : str
        Slug (lower case, digits, ``-``, ``_``, ``.``); also the TOML file stem.
    title_zh, title_en : str
        Titles, Chinese first.
    citation : str
        Where the rule is defined.
    citation_status : str
        One of :data:`CITATION_STATUSES`.
    min_area_m2 : float
        Eligibility: parks smaller than this (m²) do not count.
    kinds : tuple of str or None
        Eligible park kinds; ``None`` means all kinds.
    statuses : tuple of str
        Eligible park ``status`` values (the parks layer uses ``existing``).
    fee : str
        ``"any"`` or ``"free_only"`` (only parks with ``fee == "no"`` count).
    tiers : tuple of RadiusTier
        Radius tiers; a park gets the largest radius among the tiers it matches.
    exclusion : str
        ``"none"`` or ``"historic_blocks"``: the exclusion zone. It is the zone that
        ``inside_exclusion``/``outside_exclusion`` tiers refer to, and the land the ``non_historic``
        variant leaves out of numerator and denominator.
    demand_base : str
        ``"residential_area"`` or ``"population"``: what the headline rate is a share of.
    headline_variant : str
        ``"all_land"`` or ``"non_historic"``: the variant that is the rule's headline figure.
        Defaults to ``"non_historic"`` when ``exclusion`` is set, else ``"all_land"``.
    quad_segs : int or None
        Buffer segments per quarter circle; ``None`` uses the engine default.
    notes : str
        Free text for planners.
    source : str
        Where the rule was read from (file name), for error messages and provenance.

    Examples
    --------
    >>> r = RuleSet.from_dict({
    ...     "id": "demo", "title_zh": "示例", "title_en": "Demo", "citation": "none",
    ...     "citation_status": "secondary",
    ...     "eligibility": {"min_area_m2": 5000},
    ...     "tiers": [{"min_area_m2": 5000, "radius_m": 500}]})
    >>> r.tiers[0].label, r.headline_variant, r.kinds is None
    ('≥5000 m² → 500 m', 'all_land', True)
    """

    id: str
    title_zh: str
    title_en: str
    citation: str
    citation_status: str
    min_area_m2: float
    tiers: tuple[RadiusTier, ...]
    kinds: tuple[str, ...] | None = None
    statuses: tuple[str, ...] = ("existing",)
    fee: str = "any"
    exclusion: str = "none"
    demand_base: str = "residential_area"
    headline_variant: str = "all_land"
    quad_segs: int | None = None
    notes: str = ""
    #: Walking-network parameters (``[network]`` table, :mod:`geo.netrules`); ``None``: Euclidean.
    network: NetworkParams | None = None
    #: Barriers (railways, rivers, canals, motorways, trunk roads): network rules forbid crossing
    #: them except on bridges/tunnels; Euclidean rules cut their service areas along them.
    barriers: bool = False
    source: str = field(default="<dict>", compare=False)

    @property
    def radii(self) -> tuple[float, ...]:
        """Distinct radii of the tiers, ascending (m)."""
        return tuple(sorted({t.radius_m for t in self.tiers}))

    def to_dict(self) -> dict[str, Any]:
        """The nested form :meth:`from_dict` reads (JSON/TOML-ready; ``None`` values omitted)."""
        tiers = []
        for t in self.tiers:
            d: dict[str, Any] = {
                "min_area_m2": t.min_area_m2,
                "radius_m": t.radius_m,
                "zone": t.zone,
            }
            if t.max_area_m2 is not None:
                d["max_area_m2"] = t.max_area_m2
            tiers.append(d)
        out: dict[str, Any] = {
            "id": self.id,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "citation": self.citation,
            "citation_status": self.citation_status,
            "eligibility": {
                "min_area_m2": self.min_area_m2,
                "kinds": "all" if self.kinds is None else list(self.kinds),
                "statuses": list(self.statuses),
                "fee": self.fee,
            },
            "tiers": tiers,
            "exclusion": self.exclusion,
            "demand_base": self.demand_base,
            "headline_variant": self.headline_variant,
            "notes": self.notes,
        }
        if self.quad_segs is not None:
            out["quad_segs"] = self.quad_segs
        if self.network is not None:
            out["network"] = self.network.to_dict()
        if self.barriers:
            out["barriers"] = True
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "<dict>") -> RuleSet:
        """Validate a nested mapping (the TOML layout) and build a rule set.

        Parameters
        ----------
        d : mapping
            Keys as documented in ``data/rules/README.md``.
        source : str
            Name of the file the mapping came from; used in error messages.

        Returns
        -------
        RuleSet

        Raises
        ------
        RuleError
            Listing every problem, each naming its field (``eligibility.fee``, ``tiers[2].zone``, ...)
            and ``source``.

        Examples
        --------
        >>> RuleSet.from_dict({"id": "Bad Id"}, source="bad.toml")
        Traceback (most recent call last):
        ...
        geo.rules.RuleError: bad.toml: field 'id': must match [a-z0-9][a-z0-9._-]*, got 'Bad Id'
        bad.toml: field 'title_zh': missing
        ...
        """
        p: Problems = []
        if not check_table(d, "<root>", p):
            raise RuleError(p, source)
        unknown_fields(d, TOP_KEYS, p)

        rid = read_str(d, "id", p)
        if rid is not None and not _ID_RE.match(rid):
            p.append(("id", f"must match [a-z0-9][a-z0-9._-]*, got {rid!r}"))
        title_zh = read_str(d, "title_zh", p)
        title_en = read_str(d, "title_en", p)
        citation = read_str(d, "citation", p)
        cstat = read_choice(d, "citation_status", CITATION_STATUSES, p)
        exclusion = read_choice(d, "exclusion", EXCLUSIONS, p, default="none")
        demand = read_choice(d, "demand_base", DEMAND_BASES, p, default="residential_area")
        headline = read_choice(
            d,
            "headline_variant",
            VARIANTS,
            p,
            default="non_historic" if exclusion not in (None, "none") else "all_land",
        )
        if headline == "non_historic" and exclusion in (None, "none"):
            p.append(("headline_variant", '"non_historic" needs exclusion = "historic_blocks"'))
        notes = read_str(d, "notes", p, default="") or ""
        quad_segs: int | None = None
        if "quad_segs" in d:
            q = d["quad_segs"]
            if isinstance(q, bool) or not isinstance(q, int) or q < 1:
                p.append(("quad_segs", f"must be an integer ≥ 1, got {q!r}"))
            else:
                quad_segs = q
        network: NetworkParams | None = None
        if "network" in d:
            network = NetworkParams.parse(d["network"], p)
        barriers = d.get("barriers", False)
        if not isinstance(barriers, bool):
            p.append(("barriers", f"must be true or false, got {barriers!r}"))
            barriers = False
        elig = parse_eligibility(d.get("eligibility"), p)
        tiers = parse_tiers(d.get("tiers"), exclusion, network, elig.min_area_m2, p)

        if p:
            raise RuleError(p, source)
        assert rid and title_zh and title_en and citation and cstat and elig.min_area_m2 is not None
        return cls(
            id=rid,
            title_zh=title_zh,
            title_en=title_en,
            citation=citation,
            citation_status=cstat,
            min_area_m2=elig.min_area_m2,
            tiers=tuple(tiers),
            kinds=elig.kinds,
            statuses=elig.statuses,
            fee=elig.fee,
            exclusion=exclusion or "none",
            demand_base=demand or "residential_area",
            headline_variant=headline or "all_land",
            quad_segs=quad_segs,
            notes=notes,
            network=network,
            barriers=bool(barriers),
            source=source,
        )
