"""A gazetteer of named streets and features, for reading the plans' location texts against a street map.

Pure: GeoDataFrames in (any CRS, reprojected to the metric CRS given), a :class:`Gazetteer` out. Street pieces
with the same normalised name are merged into one (Multi)LineString per name (``shapely.line_merge``) so that
bounding streets can be intersected. Names are normalised (Unicode NFKC: full-width → half-width; spaces and
brackets dropped) but 东/西/南/北 prefixes and the suffixes 大街/街/路/胡同 are kept distinct, so 白纸坊西街 and
白纸坊东街 never match each other exactly and fuzzy matches that differ in them are penalised.

Aliases (``data/gazetteer/aliases.toml``, read by :mod:`layers.gazetteer_io`) expand the plans' abbreviations
(德内 → 德胜门内) and name ring-road sides (西二环 → every street whose name contains 西二环).

>>> import geopandas as gpd, shapely
>>> streets = gpd.GeoDataFrame({"name": ["甲路", "甲路", "乙街"]}, geometry=[
...     shapely.LineString([(0, 0), (50, 0)]), shapely.LineString([(50, 0), (100, 0)]),
...     shapely.LineString([(50, -50), (50, 50)])], crs="EPSG:4548")
>>> gz = build_gazetteer(streets, crs="EPSG:4548")
>>> m = gz.lookup("甲路")
>>> m.name, m.score, round(m.geometry.length)
('甲路', 1.0, 100)
"""

from __future__ import annotations

import ast
import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

DIRECTIONS = "东西南北内外前后中"
NUMERALS = "0123456789一二三四五六七八九十头"
SUFFIXES = ("大街", "胡同", "街", "路", "巷", "桥", "河", "公园", "站")
_DROP = re.compile(r"[\s\"'“”‘’「」《》]|\(.*?\)")


def normalise(name: str) -> str:
    """Normalised form of a place name: NFKC (full → half width), no spaces, quotes or bracketed notes.

    >>> normalise("  德胜门内大街（北段） ")
    '德胜门内大街'
    >>> normalise("“金科新区”")
    '金科新区'
    """
    s = unicodedata.normalize("NFKC", str(name))
    s = _DROP.sub("", s)
    return s.replace("—", "-").replace("–", "-").replace("－", "-")


def _suffix(name: str) -> str:
    for suf in SUFFIXES:
        if name.endswith(suf):
            return suf
    return ""


def _directions(name: str) -> str:
    return "".join(sorted(c for c in name if c in DIRECTIONS))


def _numerals(name: str) -> str:
    return "".join(c for c in name if c in NUMERALS)


def similarity(query: str, candidate: str) -> float:
    """Fuzzy score in [0, 1] between two normalised names (difflib ratio, penalised for a differing
    direction or position character (东西南北内外前后中), number, or street-type suffix, which name different
    streets or buildings).

    >>> similarity("西四北大街", "西四北大街")
    1.0
    >>> similarity("白纸坊西街", "白纸坊东街") < 0.5
    True
    >>> similarity("三里河三区", "三里河一区") < 0.5
    True
    """
    if query == candidate:
        return 1.0
    score = difflib.SequenceMatcher(None, query, candidate, autojunk=False).ratio()
    if _directions(query) != _directions(candidate):
        score *= 0.5
    if _numerals(query) != _numerals(candidate):
        score *= 0.5
    if _suffix(query) != _suffix(candidate):
        score *= 0.8
    return float(score)


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
        if len(rows) == 1:
            i = rows[0]
            return Match(
                query, ent["name"].iat[i], ent["kind"].iat[i], score, ent.geometry.iat[i], (), via
            )
        # Same name in several kinds: prefer a street, then the largest feature.
        kinds = [ent["kind"].iat[i] for i in rows]
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
        query = normalise(name)
        if not query:
            return Match(name, None, "", 0.0, None)
        for norm, via in self.variants(name):
            rows = self._rows(norm, kset)
            if rows:
                return self._match_rows(name, rows, 1.0, via)
        for norm, _ in self.variants(name):
            if norm in self.rings and (kset is None or "street" in kset):
                pattern = self.rings[norm]
                ent = self.entries
                sel = (ent["kind"] == "street") & ent["norm"].str.contains(pattern, regex=False)
                if sel.any():
                    geom = shapely.line_merge(shapely.union_all(ent.geometry[sel].to_numpy()))
                    return Match(name, f"{pattern}*", "street", 1.0, geom, (), "ring")
        for norm, _ in self.variants(name):
            if norm in self.groups and (kset is None or "street" in kset):
                got = [n for n in self.groups[norm] if self._rows(n, {"street"})]
                if got:
                    geom = shapely.line_merge(
                        shapely.union_all(
                            [self.entries.geometry.iat[self._rows(n, {"street"})[0]] for n in got]
                        )
                    )
                    score = len(got) / len(self.groups[norm])
                    return Match(name, "+".join(got), "street", score, geom, (), "group")
        affixed: list[str] = []
        for norm, _ in self.variants(name) if affix else []:
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
            return Match(name, None, "", self.affix_score, None, tuple(affixed), "affix")
        cands = [n for n in self._norms if kset is None or self._rows(n, kset)]
        if not cands:
            return Match(name, None, "", 0.0, None)
        if not fuzzy:
            return self._prefix(name, kset) if prefix else Match(name, None, "", 0.0, None)
        best: list[tuple[float, str]] = []
        for norm, _ in self.variants(name):
            best.extend((similarity(norm, c), c) for c in cands)
        best.sort(key=lambda t: -t[0])
        top_score, top = best[0]
        if top_score < self.min_score:
            if prefix:
                pre = self._prefix(name, kset)
                if pre.found or pre.ambiguous:
                    return pre
            return Match(name, None, "", top_score, None)
        rivals = tuple(
            dict.fromkeys(
                c for s, c in best[1:] if c != top and top_score - s <= self.tie_tolerance
            )
        )
        if rivals:
            return Match(name, None, "", top_score, None, (top, *rivals), "fuzzy")
        return self._match_rows(name, self._rows(top, kset), top_score, "fuzzy")

    def _prefix(self, name: str, kset: set[str] | None) -> Match:
        """``name`` as the beginning of exactly one gazetteer name (of any kind), which must be an area.

        Every longer name counts for ambiguity, but only a polygon feature (a project, estate, park …) is
        matched: a street, river, rail line or point named after a place (菜市口大街, 大栅栏街道) is a
        different feature from the place (菜市口, 大栅栏).

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
            return Match(name, None, "", 0.0, None, tuple(longer), "prefix")
        rows = [
            i
            for i in (self._rows(longer[0], kset) if len(longer) == 1 else [])
            if self.entries.geometry.iat[i].geom_type in ("Polygon", "MultiPolygon")
        ]
        if rows:
            head = max((h for h in heads if longer[0].startswith(h)), key=len)
            m = self._match_rows(name, rows, len(head) / len(longer[0]), "")
            return Match(m.query, m.name, m.kind, m.score, m.geometry, (), "prefix")
        return Match(name, None, "", 0.0, None)


def _split_names(value: object) -> list[str]:
    """OSMnx stores several names of a merged edge as a list or its string form "['a', 'b']"."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    s = str(value).strip()
    if s.startswith("[") and s.endswith("]"):
        try:
            items = ast.literal_eval(s)
        except (ValueError, SyntaxError):
            items = [s]
        return [str(v) for v in items if str(v).strip()]
    return [s] if s else []


def _explode_names(gdf: gpd.GeoDataFrame, name_col: str) -> gpd.GeoDataFrame:
    names = gdf[name_col].map(_split_names)
    out = gdf.assign(_names=names).explode("_names")
    out = out[out["_names"].notna()]
    return out.assign(name=out["_names"].astype(str)).drop(columns=["_names"])


def build_gazetteer(
    streets: gpd.GeoDataFrame | None = None,
    features: Mapping[str, gpd.GeoDataFrame] | None = None,
    *,
    crs: str,
    name_col: str = "name",
    abbreviations: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    rings: Mapping[str, str] | None = None,
    min_score: float = 0.8,
    tie_tolerance: float = 1e-3,
    groups: Mapping[str, Iterable[str]] | None = None,
    affixes: Mapping[str, Any] | None = None,
    gates: Mapping[str, str] | None = None,
    prefix_min_chars: int = 3,
) -> Gazetteer:
    """Build a gazetteer from street centrelines and named feature layers.

    Parameters
    ----------
    streets : GeoDataFrame, optional
        Lines with a name column (OSMnx edges, OSM/Geofabrik roads, official centrelines); list-valued names
        (OSMnx) are split. Pieces with one normalised name are merged (``line_merge``).
    features : mapping of kind -> GeoDataFrame, optional
        Named features of any geometry (parks, water, landuse, places, stations …), dissolved per name.
    crs : str
        Metric CRS for the gazetteer (EPSG:4548 for Xicheng); inputs are reprojected to it.
    name_col : str
        Name column of every input.
    abbreviations, names, rings, groups : mapping, optional
        Alias tables (see :class:`Gazetteer`).
    affixes : mapping, optional
        ``suffixes``, ``prefixes`` and ``drop_prefixes`` (lists of str) and ``score`` (see
        :class:`Gazetteer`).
    gates : mapping, optional
        Gate words -> side (``N``/``S``/``E``/``W`` or "") (see :class:`Gazetteer`).
    prefix_min_chars : int
        Shortest name tried as the beginning of a longer gazetteer name.

    Returns
    -------
    Gazetteer
    """
    parts = []
    if streets is not None and len(streets):
        if name_col not in streets.columns:
            raise ValueError(f"streets: no name column {name_col!r}")
        s = _explode_names(streets.to_crs(crs)[[name_col, "geometry"]], name_col)
        s = s[s.geom_type.isin(["LineString", "MultiLineString"])]
        s = s.assign(norm=s["name"].map(normalise), kind="street", layer="streets")
        parts.append(s)
    for kind, gdf in (features or {}).items():
        if gdf is None or not len(gdf):
            continue
        if name_col not in gdf.columns:
            raise ValueError(f"features[{kind!r}]: no name column {name_col!r}")
        f = _explode_names(gdf.to_crs(crs)[[name_col, "geometry"]], name_col)
        f = f.assign(norm=f["name"].map(normalise), kind=kind, layer=kind)
        parts.append(f)
    if parts:
        allp = pd.concat([p[["name", "norm", "kind", "layer", "geometry"]] for p in parts])
        allp = allp[(allp["norm"] != "") & allp.geometry.notna()]
        rows = []
        for (norm, kind), grp in allp.groupby(["norm", "kind"], sort=True):
            geom = shapely.union_all(grp.geometry.to_numpy())
            if kind == "street":
                geom = shapely.line_merge(geom)
            rows.append((grp["name"].iat[0], norm, kind, grp["layer"].iat[0], geom))
        entries = gpd.GeoDataFrame(
            pd.DataFrame(rows, columns=["name", "norm", "kind", "layer", "geometry"]),
            geometry="geometry",
            crs=crs,
        )
    else:
        entries = gpd.GeoDataFrame(
            {"name": [], "norm": [], "kind": [], "layer": []}, geometry=[], crs=crs
        )
    aff = dict(affixes or {})
    bad = {k: v for k, v in (gates or {}).items() if v not in ("N", "S", "E", "W", "")}
    if bad:
        raise ValueError(f"gates: sides must be N, S, E, W or empty, got {bad}")
    return Gazetteer(
        entries.reset_index(drop=True),
        crs,
        {normalise(k): normalise(v) for k, v in (abbreviations or {}).items()},
        {normalise(k): normalise(v) for k, v in (names or {}).items()},
        {normalise(k): normalise(v) for k, v in (rings or {}).items()},
        min_score,
        tie_tolerance,
        {normalise(k): tuple(normalise(n) for n in v) for k, v in (groups or {}).items()},
        tuple(normalise(str(s)) for s in aff.get("suffixes", [])),
        tuple(normalise(str(s)) for s in aff.get("prefixes", [])),
        float(aff.get("score", 0.9)),
        tuple(normalise(str(s)) for s in aff.get("drop_prefixes", [])),
        {normalise(k): str(v) for k, v in (gates or {}).items()},
        int(prefix_min_chars),
    )


def grid_streets(n: int = 4, spacing: float = 100.0, crs: str = "EPSG:4548") -> gpd.GeoDataFrame:
    """A synthetic n × n street grid for tests and examples: 经1路 … 经n路 run north–south at x = (i-1)·spacing,
    纬1路 … 纬n路 east–west at y = (j-1)·spacing (metres), each a little longer than the grid.

    >>> g = grid_streets(4)
    >>> len(g), sorted(g["name"])[:2]
    (8, ['纬1路', '纬2路'])
    """
    ext = (n - 1) * spacing
    pad = spacing / 2
    names, geoms = [], []
    for i in range(n):
        names.append(f"经{i + 1}路")
        geoms.append(shapely.LineString([(i * spacing, -pad), (i * spacing, ext + pad)]))
        names.append(f"纬{i + 1}路")
        geoms.append(shapely.LineString([(-pad, i * spacing), (ext + pad, i * spacing)]))
    return gpd.GeoDataFrame({"name": names}, geometry=geoms, crs=crs)
