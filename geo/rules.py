"""Park service-radius rule sets as data, and the assignment of a radius to each eligible park.

A :class:`RuleSet` says which parks count (minimum size, kinds, statuses, fee policy), which service
radius each one gets (radius tiers by park area, optionally depending on whether the park lies inside
an exclusion zone such as the historic blocks), which demand the indicator is measured over
(residential land area or population) and which part of the district is left out of the headline
figure (``exclusion``). Rule sets are written as TOML files in ``data/rules/`` and read by
``layers.rules``; this module only validates plain dictionaries and never touches files.

All geometry work happens in the projected metric CRS of the study area (metres, m²).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.netrules import NetworkParams

__all__ = [
    "CITATION_STATUSES",
    "DEMAND_BASES",
    "EXCLUSIONS",
    "FEE_POLICIES",
    "KNOWN_PARK_KINDS",
    "PARK_KINDS",
    "VARIANTS",
    "ZONES",
    "RadiusTier",
    "RuleError",
    "RuleSet",
    "assign_radii",
    "classify_parks",
]

#: Park kinds of the parks layer: the CJJ/T 85-2017 categories as used in ``facts/parks.csv``, plus
#: ``square`` (广场用地) for rules that count squares and ``other`` (e.g. an OSM park of unknown
#: category). ``layers.schema`` validates the parks layer against this tuple.
PARK_KINDS: tuple[str, ...] = (
    "comprehensive_park",
    "community_park",
    "special_park",
    "garden",
    "pocket_park",
    "urban_forest",
    "greenway",
    "wetland_park",
    "scenic_area",
    "square",
    "other",
)

#: Kinds a rule may name: the park kinds plus the green project categories ``park`` and
#: ``garden_block`` (projects added by :func:`geo.scenarios.parks_as_of` keep their category as
#: kind).
KNOWN_PARK_KINDS: frozenset[str] = frozenset(PARK_KINDS) | {"park", "garden_block"}
#: How a rule set's source has been checked.
CITATION_STATUSES: tuple[str, ...] = (
    "primary",
    "secondary",
    "commonly cited; no primary source checked",
)
FEE_POLICIES: tuple[str, ...] = ("any", "free_only")
ZONES: tuple[str, ...] = ("any", "inside_exclusion", "outside_exclusion")
EXCLUSIONS: tuple[str, ...] = ("none", "historic_blocks")
DEMAND_BASES: tuple[str, ...] = ("residential_area", "population")
VARIANTS: tuple[str, ...] = ("all_land", "non_historic")

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_TOP_KEYS = {
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
_ELIG_KEYS = {"min_area_m2", "kinds", "statuses", "fee"}
_TIER_KEYS = {"min_area_m2", "max_area_m2", "radius_m", "minutes", "zone"}


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
        p: list[tuple[str, str]] = []
        if not isinstance(d, Mapping):
            raise RuleError([("<root>", f"must be a table, got {type(d).__name__}")], source)
        for k in sorted(set(d) - _TOP_KEYS):
            p.append((k, f"unknown field (allowed: {', '.join(sorted(_TOP_KEYS))})"))

        rid = _str(d, "id", p)
        if rid is not None and not _ID_RE.match(rid):
            p.append(("id", f"must match [a-z0-9][a-z0-9._-]*, got {rid!r}"))
        title_zh = _str(d, "title_zh", p)
        title_en = _str(d, "title_en", p)
        citation = _str(d, "citation", p)
        cstat = _choice(d, "citation_status", CITATION_STATUSES, p)
        exclusion = _choice(d, "exclusion", EXCLUSIONS, p, default="none")
        demand = _choice(d, "demand_base", DEMAND_BASES, p, default="residential_area")
        headline = _choice(
            d,
            "headline_variant",
            VARIANTS,
            p,
            default="non_historic" if exclusion not in (None, "none") else "all_land",
        )
        if headline == "non_historic" and exclusion in (None, "none"):
            p.append(("headline_variant", '"non_historic" needs exclusion = "historic_blocks"'))
        notes = _str(d, "notes", p, default="") or ""
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

        # eligibility
        elig = d.get("eligibility")
        min_area: float | None = None
        kinds: tuple[str, ...] | None = None
        statuses: tuple[str, ...] = ("existing",)
        fee = "any"
        if elig is None:
            p.append(("eligibility", "missing (a table with at least min_area_m2)"))
        elif not isinstance(elig, Mapping):
            p.append(("eligibility", f"must be a table, got {type(elig).__name__}"))
        else:
            for k in sorted(set(elig) - _ELIG_KEYS):
                p.append(
                    (
                        f"eligibility.{k}",
                        f"unknown field (allowed: {', '.join(sorted(_ELIG_KEYS))})",
                    )
                )
            min_area = _number(elig, "min_area_m2", p, prefix="eligibility.", minimum=0.0)
            kinds_raw = elig.get("kinds", "all")
            if kinds_raw == "all":
                kinds = None
            elif _is_str_list(kinds_raw) and kinds_raw:
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
                    (
                        "eligibility.kinds",
                        f'must be "all" or a non-empty list of kinds, got {kinds_raw!r}',
                    )
                )
            st_raw = elig.get("statuses", ["existing"])
            if _is_str_list(st_raw) and st_raw:
                statuses = tuple(st_raw)
            else:
                p.append(
                    ("eligibility.statuses", f"must be a non-empty list of strings, got {st_raw!r}")
                )
            fee = (
                _choice(elig, "fee", FEE_POLICIES, p, prefix="eligibility.", default="any") or "any"
            )

        # tiers
        tiers: list[RadiusTier] = []
        raw_tiers = d.get("tiers")
        if raw_tiers is None:
            p.append(("tiers", "missing (a list of radius tiers)"))
        elif not isinstance(raw_tiers, Sequence) or isinstance(raw_tiers, str) or not raw_tiers:
            p.append(("tiers", f"must be a non-empty list of tables, got {raw_tiers!r}"))
        else:
            for i, t in enumerate(raw_tiers):
                pre = f"tiers[{i}]."
                if not isinstance(t, Mapping):
                    p.append((f"tiers[{i}]", f"must be a table, got {type(t).__name__}"))
                    continue
                for k in sorted(set(t) - _TIER_KEYS):
                    p.append((pre + k, f"unknown field (allowed: {', '.join(sorted(_TIER_KEYS))})"))
                lo = _number(t, "min_area_m2", p, prefix=pre, minimum=0.0)
                hi = None
                if t.get("max_area_m2") is not None:
                    hi = _number(t, "max_area_m2", p, prefix=pre, minimum=0.0)
                    if hi is not None and lo is not None and hi <= lo:
                        p.append(
                            (pre + "max_area_m2", f"must be > min_area_m2 ({lo:g}), got {hi:g}")
                        )
                        hi = None
                if "minutes" in t:
                    r = _minutes_radius(t, pre, network, p)
                else:
                    r = _number(t, "radius_m", p, prefix=pre, minimum=0.0, strict=True)
                z = _choice(t, "zone", ZONES, p, prefix=pre, default="any")
                if z in ("inside_exclusion", "outside_exclusion") and exclusion == "none":
                    p.append(
                        (
                            pre + "zone",
                            f'{z!r} needs an exclusion (set exclusion = "historic_blocks")',
                        )
                    )
                if lo is not None and r is not None and z is not None:
                    tiers.append(RadiusTier(lo, hi, r, z))
            if min_area is not None:
                for i, t in enumerate(tiers):
                    if t.max_area_m2 is not None and t.max_area_m2 <= min_area:
                        p.append(
                            (
                                f"tiers[{i}].max_area_m2",
                                f"tier lies wholly below eligibility.min_area_m2 ({min_area:g})",
                            )
                        )

        if p:
            raise RuleError(p, source)
        assert rid and title_zh and title_en and citation and cstat and min_area is not None
        return cls(
            id=rid,
            title_zh=title_zh,
            title_en=title_en,
            citation=citation,
            citation_status=cstat,
            min_area_m2=min_area,
            tiers=tuple(tiers),
            kinds=kinds,
            statuses=statuses,
            fee=fee,
            exclusion=exclusion or "none",
            demand_base=demand or "residential_area",
            headline_variant=headline or "all_land",
            quad_segs=quad_segs,
            notes=notes,
            network=network,
            barriers=bool(barriers),
            source=source,
        )


# ---------------------------------------------------------------------------------------------
# validation helpers


def _minutes_radius(
    t: Mapping[str, Any], pre: str, network: NetworkParams | None, p: list[tuple[str, str]]
) -> float | None:
    """A tier radius given as ``minutes`` × ``network.walk_speed_m_per_min`` (m)."""
    if "radius_m" in t:
        p.append((pre + "minutes", "give radius_m or minutes, not both"))
        return None
    mins = _number(t, "minutes", p, prefix=pre, minimum=0.0, strict=True)
    if network is None or network.walk_speed_m_per_min is None:
        p.append((pre + "minutes", "needs network.walk_speed_m_per_min"))
        return None
    return None if mins is None else mins * network.walk_speed_m_per_min


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list | tuple) and all(isinstance(x, str) and x for x in v)


def _str(
    d: Mapping[str, Any], key: str, p: list[tuple[str, str]], default: str | None = None
) -> str | None:
    if key not in d:
        if default is None:
            p.append((key, "missing"))
        return default
    v = d[key]
    if not isinstance(v, str) or (default is None and not v.strip()):
        p.append((key, f"must be a non-empty string, got {v!r}"))
        return default
    return v


def _choice(
    d: Mapping[str, Any],
    key: str,
    allowed: Sequence[str],
    p: list[tuple[str, str]],
    prefix: str = "",
    default: str | None = None,
) -> str | None:
    if key not in d:
        if default is None:
            p.append((prefix + key, f"missing (one of {', '.join(map(repr, allowed))})"))
        return default
    v = d[key]
    if v not in allowed:
        p.append((prefix + key, f"must be one of {', '.join(map(repr, allowed))}, got {v!r}"))
        return default
    return str(v)


def _number(
    d: Mapping[str, Any],
    key: str,
    p: list[tuple[str, str]],
    prefix: str = "",
    minimum: float | None = None,
    strict: bool = False,
) -> float | None:
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


# ---------------------------------------------------------------------------------------------
# assigning radii


def _num(values: Any) -> np.ndarray:
    """Float array of a column (numbers, strings or nullable dtypes); unparseable/NA → NaN."""
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _check_metric(gdf: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> None:
    crs = gdf.crs
    if crs is not None and not crs.is_projected:
        raise ValueError(
            f"{name}: CRS {crs.to_string()} is not projected; reproject to the study area's "
            "metric CRS (metres) first"
        )


def classify_parks(
    parks: gpd.GeoDataFrame,
    rule: RuleSet,
    exclusion_zones: gpd.GeoSeries | gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Decide for every park whether it counts under ``rule`` and which radius it gets.

    Parameters
    ----------
    parks : GeoDataFrame
        Parks in a projected metric CRS. Optional columns: ``area_m2`` (used when present and not
        NaN, else the geometry area is used), ``kind``, ``status`` (missing → ``"existing"``),
        ``fee`` (``yes``/``no``/``unknown``).
    rule : RuleSet
    exclusion_zones : GeoSeries or GeoDataFrame, optional
        Polygons of the exclusion zone (e.g. historic blocks) in the same CRS. Needed when a tier
        has ``zone != "any"``; rows with no geometry are ignored.

    Returns
    -------
    GeoDataFrame
        All input rows, plus ``area_m2_used`` (m²), ``area_basis`` (``"area_m2"``, ``"geometry"``
        or ``"none"``), ``in_exclusion`` (bool), ``radius_m`` (NaN when not eligible),
        ``tier`` (tier label or ``""``), ``eligible`` (bool) and ``reason`` (why not eligible, else
        ``""``).

    Raises
    ------
    ValueError
        If the CRS is geographic, or zones are needed but not given.
    """
    _check_metric(parks, "parks")
    needs_zones = any(t.zone != "any" for t in rule.tiers)
    if needs_zones and exclusion_zones is None:
        raise ValueError(
            f"exclusion_zones: rule {rule.id!r} has tiers that depend on {rule.exclusion!r}; "
            "pass their polygons"
        )
    out = parks.copy()
    n = len(out)
    geom = out.geometry.values
    has_geom = ~(shapely.is_missing(np.asarray(geom)) | shapely.is_empty(np.asarray(geom)))

    # area
    col = _num(out["area_m2"]) if "area_m2" in out.columns else np.full(n, np.nan)
    geom_area = np.where(has_geom, shapely.area(np.asarray(geom)), np.nan)
    use_col = ~np.isnan(col)
    area = np.where(use_col, col, geom_area)
    basis = np.where(use_col, "area_m2", np.where(has_geom, "geometry", "none"))
    out["area_m2_used"] = area
    out["area_basis"] = basis

    # zone
    inside = np.zeros(n, dtype=bool)
    if exclusion_zones is not None:
        _check_metric(exclusion_zones, "exclusion_zones")
        zg = np.asarray(
            exclusion_zones.geometry.values
            if isinstance(exclusion_zones, gpd.GeoDataFrame)
            else exclusion_zones.values
        )
        zg = zg[~(shapely.is_missing(zg) | shapely.is_empty(zg))]
        if len(zg) and has_geom.any():
            pts = shapely.point_on_surface(np.asarray(geom)[has_geom])
            tree = shapely.STRtree(zg)
            hit = tree.query(pts, predicate="within")
            idx = np.flatnonzero(has_geom)
            inside[idx[np.unique(hit[0])]] = True
    out["in_exclusion"] = inside

    # tiers: largest radius among matching tiers
    radius = np.full(n, np.nan)
    tier_label = np.full(n, "", dtype=object)
    for t in rule.tiers:
        m = area >= t.min_area_m2
        if t.max_area_m2 is not None:
            m &= area < t.max_area_m2
        if t.zone == "inside_exclusion":
            m &= inside
        elif t.zone == "outside_exclusion":
            m &= ~inside
        better = m & ~(radius >= t.radius_m)
        radius[better] = t.radius_m
        tier_label[better] = t.label

    reason = np.full(n, "", dtype=object)

    def flag(mask: np.ndarray, why: str) -> None:
        reason[(reason == "") & mask] = why

    flag(~has_geom, "no geometry")
    flag(np.isnan(area), "area unknown")
    flag(area < rule.min_area_m2, f"area below {rule.min_area_m2:g} m²")
    if rule.kinds is not None:
        kind = out["kind"].astype(object).to_numpy() if "kind" in out.columns else np.full(n, None)
        flag(~np.isin(kind, list(rule.kinds)), "kind not eligible")
    status = (
        out["status"].fillna("existing").astype(str).to_numpy()
        if "status" in out.columns
        else np.full(n, "existing")
    )
    flag(~np.isin(status, list(rule.statuses)), "status not eligible")
    if rule.fee == "free_only":
        fee = out["fee"].astype(object).to_numpy() if "fee" in out.columns else np.full(n, None)
        flag(fee == "yes", "charges a fee")
        flag(fee != "no", "fee unknown")
    flag(np.isnan(radius), "no radius tier matches")
    eligible = reason == ""
    radius[~eligible] = np.nan
    tier_label[~eligible] = ""
    out["radius_m"] = radius
    out["tier"] = tier_label
    out["eligible"] = eligible
    out["reason"] = reason
    return out


def assign_radii(
    parks: gpd.GeoDataFrame,
    rule: RuleSet,
    exclusion_zones: gpd.GeoSeries | gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The parks that count under ``rule``, each with its service radius.

    Parameters
    ----------
    parks : GeoDataFrame
        Parks in a projected metric CRS (see :func:`classify_parks` for the columns used).
    rule : RuleSet
    exclusion_zones : GeoSeries or GeoDataFrame, optional
        Needed when a tier depends on the exclusion zone.

    Returns
    -------
    GeoDataFrame
        Eligible parks with ``radius_m`` (m), ``tier``, ``area_m2_used`` and ``area_basis``.
        ``attrs["n_input"]``, ``attrs["n_no_geometry"]`` (parks dropped for lack of a polygon) and
        ``attrs["n_excluded"]`` (all parks dropped, for any reason) are ints; use
        :func:`classify_parks` for the reason per park.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> r = RuleSet.from_dict({
    ...     "id": "t", "title_zh": "t", "title_en": "t", "citation": "c",
    ...     "citation_status": "secondary", "eligibility": {"min_area_m2": 2000},
    ...     "tiers": [{"min_area_m2": 5000, "radius_m": 500},
    ...               {"min_area_m2": 2000, "max_area_m2": 5000, "radius_m": 300}]})
    >>> parks = gpd.GeoDataFrame({"park_id": ["a", "b", "c", "d"],
    ...     "area_m2": [None, 3000.0, 1000.0, 9000.0]},
    ...     geometry=[box(0, 0, 100, 100), box(0, 0, 10, 10), box(0, 0, 10, 10), None],
    ...     crs="EPSG:4548")
    >>> out = assign_radii(parks, r)
    >>> out[["park_id", "radius_m", "area_basis"]].values.tolist()
    [['a', 500.0, 'geometry'], ['b', 300.0, 'area_m2']]
    >>> out.attrs["n_no_geometry"], out.attrs["n_excluded"]
    (1, 2)
    """
    c = classify_parks(parks, rule, exclusion_zones)
    out = c[c["eligible"].to_numpy()].drop(columns=["eligible", "reason"])
    out.attrs = {
        "rule_id": rule.id,
        "n_input": len(c),
        "n_no_geometry": int((c["reason"] == "no geometry").sum()),
        "n_excluded": int((~c["eligible"]).sum()),
    }
    return out
