"""Looking names up in a gazetteer for :mod:`geo.gazetteer`: the :class:`Gazetteer` table and its :class:`Match`.

Pure. A name is tried whole (after normalisation and aliases), as a ring-road side, as a group of streets,
with an affix added or dropped, fuzzily, and finally as the beginning of exactly one gazetteer name; the
first step that finds something decides. Geometry is in the gazetteer's metric CRS (metres).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import shapely

from geo.gazetteer_names import normalise, similarity


@dataclass(frozen=True)
class Match:
    """The result of looking a name up.

    Attributes
    ----------
    query : str
        The name asked for (as written in the plan).
    name : str or None
        The gazetteer name matched (None when not found).
    kind : str
        ``street`` or the feature layer's kind (``park``, ``water``, ``place``, ``station`` …); "" when not found.
    score : float
        1.0 exact (after normalisation and aliases), else the fuzzy score.
    geometry : shapely geometry or None
        In the gazetteer's metric CRS.
    ambiguous : tuple of str
        Other gazetteer names that matched equally well (non-empty = ambiguous, geometry left None).
    via : str
        How it matched: ``exact``, ``alias``, ``ring``, ``fuzzy``, ``contains`` or ``none``.
    """

    query: str
    name: str | None
    kind: str
    score: float
    geometry: Any  # shapely geometry or None (shapely ships no type stubs)
    ambiguous: tuple[str, ...] = ()
    via: str = "none"

    @property
    def found(self) -> bool:
        """True when one feature matched (not missing, not ambiguous)."""
        return self.geometry is not None and not self.ambiguous


def _missing(
    query: str, score: float = 0.0, ambiguous: tuple[str, ...] = (), via: str = "none"
) -> Match:
    """No single feature: not found, or ``ambiguous`` between several names."""
    return Match(query, None, "", score, None, ambiguous, via)


def merge_lines(geoms: Any) -> shapely.Geometry:
    """Street pieces (a sequence or array of lines, metres) as one merged (Multi)LineString."""
    return shapely.line_merge(shapely.union_all(geoms))


@dataclass
class Gazetteer:
    """Named streets and features in one metric CRS.

    Attributes
    ----------
    entries : GeoDataFrame
        Columns ``name`` (as in the source), ``norm`` (normalised), ``kind``, ``layer``, geometry — one row per
        (normalised name, kind): streets merged per name, features dissolved per name and kind.
    crs : str
        The metric CRS (metres).
    abbreviations, names, rings : dict
        Alias tables (see ``data/gazetteer/aliases.toml``).
    min_score, tie_tolerance : float
        Fuzzy-match threshold and the score difference under which two different names are ambiguous.
    groups : dict
        Collective names of a chain of streets -> the street names joined.
    suffixes, prefixes, drop_prefixes, affix_score :
        Generic words a plan may add or drop around a name (人定湖 = 人定湖公园), and words a plan puts
        before a name that the map does not carry (原 = former: 原马连道东街 = 马连道东街); such a match
        scores ``affix_score``.
    gates : dict
        Gate or entrance words -> the side they stand on (西门 → ``W``, 南口 → ``S``, 正门 → ""), read by
        :mod:`geo.locate_names`.
    prefix_min_chars : int
        A name of at least this many characters that begins exactly one gazetteer name (and is no name
        itself) matches it with score len(name) / len(gazetteer name) (``via="prefix"``); two or more
        such names are ambiguous.
    """

    entries: gpd.GeoDataFrame
    crs: str
    abbreviations: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    rings: dict[str, str] = field(default_factory=dict)
    min_score: float = 0.8
    tie_tolerance: float = 1e-3
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    suffixes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    affix_score: float = 0.9
    drop_prefixes: tuple[str, ...] = ()
    gates: dict[str, str] = field(default_factory=dict)
    prefix_min_chars: int = 3

    def __post_init__(self) -> None:
        self._by_norm: dict[str, list[int]] = {}
        for i, n in enumerate(self.entries["norm"]):
            self._by_norm.setdefault(n, []).append(i)
        self._norms = list(self._by_norm)

    def __len__(self) -> int:
        return len(self.entries)

    def variants(self, name: str) -> list[tuple[str, str]]:
        """Normalised forms to try for ``name``, with how each was obtained (``exact`` or ``alias``).

        >>> gz = Gazetteer(gpd.GeoDataFrame({"name": [], "norm": [], "kind": [], "layer": []},
        ...                geometry=[], crs="EPSG:4548"), "EPSG:4548", abbreviations={"德内": "德胜门内"})
        >>> gz.variants("德内大街")
        [('德内大街', 'exact'), ('德胜门内大街', 'alias')]
        """
        base = normalise(name)
        out = [(base, "exact")]
        if base in self.names:
            out.append((normalise(self.names[base]), "alias"))
        expanded = base
        for key in sorted(self.abbreviations, key=len, reverse=True):
            if key in expanded and self.abbreviations[key] not in expanded:
                expanded = expanded.replace(key, self.abbreviations[key])
        if expanded != base:
            out.append((expanded, "alias"))
        return out

    def _rows(self, norm: str, kinds: set[str] | None) -> list[int]:
        rows = self._by_norm.get(norm, [])
        if kinds is not None:
            rows = [i for i in rows if self.entries["kind"].iat[i] in kinds]
        return rows

    def _match_rows(self, query: str, rows: list[int], score: float, via: str) -> Match:
        ent = self.entries
        i = rows[0]
        if len(rows) > 1:
            # Same name in several kinds: prefer a street, then the largest feature.
            kinds = [ent["kind"].iat[j] for j in rows]
            if "street" in kinds:
                i = rows[kinds.index("street")]
            else:
                i = max(rows, key=lambda j: float(shapely.area(ent.geometry.iat[j])))
        return Match(
            query, ent["name"].iat[i], ent["kind"].iat[i], score, ent.geometry.iat[i], (), via
        )

    def lookup(
        self,
        name: str,
        kinds: Iterable[str] | None = None,
        *,
        fuzzy: bool = True,
        prefix: bool = True,
        affix: bool = True,
    ) -> Match:
        """Find ``name``: exact (after normalisation), alias, ring-road side, group, affix, fuzzy, then
        as the beginning of exactly one gazetteer name.

        Parameters
        ----------
        name : str
            A street or place name as written in a plan.
        kinds : iterable of str, optional
            Restrict to these kinds (``street``, ``park``, …).
        fuzzy, prefix, affix : bool
            Try the fuzzy match, the unique-prefix match and the affix forms (all False: whole names,
            aliases, ring sides and groups only).

        Returns
        -------
        Match
            ``ambiguous`` lists the competing names when two different names score equally well.
        """
        kset = set(kinds) if kinds is not None else None
        if not normalise(name):
            return _missing(name)
        variants = self.variants(name)
        for norm, via in variants:
            rows = self._rows(norm, kset)
            if rows:
                return self._match_rows(name, rows, 1.0, via)
        norms = [norm for norm, _ in variants]
        streets = kset is None or "street" in kset
        found = (
            (self._ring(name, norms) if streets else None)
            or (self._group(name, norms) if streets else None)
            or (self._affix(name, norms, kset) if affix else None)
        )
        return found or self._fuzzy(name, norms, kset, fuzzy, prefix)

    def _ring(self, name: str, norms: list[str]) -> Match | None:
        """A ring-road side (西二环): every street whose name contains the ring's pattern, merged."""
        ent = self.entries
        for norm in norms:
            if norm in self.rings:
                pattern = self.rings[norm]
                sel = (ent["kind"] == "street") & ent["norm"].str.contains(pattern, regex=False)
                if sel.any():
                    geom = merge_lines(ent.geometry[sel].to_numpy())
                    return Match(name, f"{pattern}*", "street", 1.0, geom, (), "ring")
        return None

    def _group(self, name: str, norms: list[str]) -> Match | None:
        """A collective name of a chain of streets: the streets found, merged; score = share found."""
        for norm in norms:
            if norm in self.groups:
                got = [n for n in self.groups[norm] if self._rows(n, {"street"})]
                if got:
                    geom = merge_lines(
                        [self.entries.geometry.iat[self._rows(n, {"street"})[0]] for n in got]
                    )
                    score = len(got) / len(self.groups[norm])
                    return Match(name, "+".join(got), "street", score, geom, (), "group")
        return None

    def _affix(self, name: str, norms: list[str], kset: set[str] | None) -> Match | None:
        """A generic word added or dropped (人定湖 = 人定湖公园, 原马连道东街 = 马连道东街)."""
        affixed: list[str] = []
        for norm in norms:
            forms = {norm + s for s in self.suffixes} | {p + norm for p in self.prefixes}
            forms |= {
                norm[: -len(s)]
                for s in self.suffixes
                if norm.endswith(s) and len(norm) > len(s) + 1
            }
            forms |= {
                norm[len(p) :]
                for p in self.drop_prefixes
                if norm.startswith(p) and len(norm) > len(p) + 1
            }
            affixed.extend(f for f in forms if self._rows(f, kset))
        affixed = list(dict.fromkeys(affixed))
        if len(affixed) == 1:
            return self._match_rows(name, self._rows(affixed[0], kset), self.affix_score, "affix")
        if len(affixed) > 1:
            return _missing(name, self.affix_score, tuple(affixed), "affix")
        return None

    def _fuzzy(
        self, name: str, norms: list[str], kset: set[str] | None, fuzzy: bool, prefix: bool
    ) -> Match:
        """The best fuzzy match at or above ``min_score`` (ties ambiguous), else the unique prefix."""
        cands = [n for n in self._norms if kset is None or self._rows(n, kset)]
        if not cands:
            return _missing(name)
        if not fuzzy:
            return self._prefix(name, kset) if prefix else _missing(name)
        best: list[tuple[float, str]] = []
        for norm in norms:
            best.extend((similarity(norm, c), c) for c in cands)
        best.sort(key=lambda t: -t[0])
        top_score, top = best[0]
        if top_score < self.min_score:
            if prefix:
                pre = self._prefix(name, kset)
                if pre.found or pre.ambiguous:
                    return pre
            return _missing(name, top_score)
        rivals = tuple(
            dict.fromkeys(
                c for s, c in best[1:] if c != top and top_score - s <= self.tie_tolerance
            )
        )
        if rivals:
            return _missing(name, top_score, (top, *rivals), "fuzzy")
        return self._match_rows(name, self._rows(top, kset), top_score, "fuzzy")

    def _prefix(self, name: str, kset: set[str] | None) -> Match:
        """``name`` as the beginning of exactly one gazetteer name (of any kind), which must be an area.

        Every longer name counts for ambiguity, but only a polygon feature (a project, estate, park …) is
        matched: a street, river, rail line or point named after a place (菜市口大街, 大栅栏街道) is a
        different feature from the place (菜市口, 大栅栏).

        >>> from geo.gazetteer import build_gazetteer
        >>> line = gpd.GeoDataFrame({"name": ["西单北大街"]}, geometry=[shapely.LineString([(0, 0), (0, 9)])],
        ...     crs="EPSG:4548")
        >>> gz = build_gazetteer(line, {"landuse": gpd.GeoDataFrame({"name": ["新兴盛危房改造项目", "西单商业区"]},
        ...     geometry=[shapely.box(0, 0, 1, 1)] * 2, crs="EPSG:4548")}, crs="EPSG:4548")
        >>> m = gz.lookup("新兴盛")
        >>> m.name, round(m.score, 3), m.via
        ('新兴盛危房改造项目', 0.333, 'prefix')
        >>> gz.lookup("西单").ambiguous  # 2 characters: too short to be a prefix
        ()
        >>> gz.lookup("西单商").found, gz.lookup("西单北").found  # 西单北大街 is a line, not an area
        (True, False)
        """
        heads = [n for n, _ in self.variants(name) if len(n) >= self.prefix_min_chars]
        longer = sorted({c for h in heads for c in self._norms if c.startswith(h) and c != h})
        if len(longer) > 1:
            return _missing(name, 0.0, tuple(longer), "prefix")
        rows = [
            i
            for i in (self._rows(longer[0], kset) if len(longer) == 1 else [])
            if self.entries.geometry.iat[i].geom_type in ("Polygon", "MultiPolygon")
        ]
        if rows:
            head = max((h for h in heads if longer[0].startswith(h)), key=len)
            return self._match_rows(name, rows, len(head) / len(longer[0]), "prefix")
        return _missing(name)
