"""App-level glue between the web map and ``layers``/``geo``: loading, filtering, coverage, GeoJSON.

Everything here is cached per *data version* (a fingerprint of the study area's data and rule files), so a
changed file is picked up on the next request and unchanged data is served from memory. Coverage goes
through :func:`geo.scenarios.scenario_coverage`, the one pipeline the CLI and the Python API use; the radii and
gaps layers reuse the service's cached parks of the year and their assigned radii. A missing data file (or
no rule sets) is reported as :class:`UnavailableError` instead of failing the page.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.gaps import candidate_land, candidate_sites, uncovered
from geo.rules import assign_radii
from geo.scenarios import parks_as_of, scenario_coverage
from layers import rules as lrules
from webmap import netservice

log = logging.getLogger("webmap")

#: Layers the map and the API serve (GeoJSON), in drawing order.
MAP_LAYERS: tuple[str, ...] = (
    "district",
    "subdistricts",
    "historic_blocks",
    "residential",
    "parks",
    "projects",
)
#: Key column of each layer.
LAYER_KEYS: dict[str, str] = {
    "district": "code",
    "subdistricts": "code",
    "parks": "park_id",
    "historic_blocks": "block_id",
    "projects": "project_id",
    "residential": "parcel_id",
}
PROJECT_STATUSES: tuple[str, ...] = ("planned", "under_way", "done", "unknown")
#: Indicators whose officially reported values are shown beside the computed coverage.
REPORTED_INDICATORS: tuple[str, ...] = ("park_500m_coverage", "park_500m_coverage_non_historic")


class UnavailableError(RuntimeError):
    """A feature needs a data file (or rule set) that is not there; the message says which."""


class DataLoader(Protocol):
    """Where the service reads layers, tables and rule sets from."""

    def read_layer(self, name: str) -> gpd.GeoDataFrame: ...

    def read_table(self, name: str) -> pd.DataFrame: ...

    def version(self) -> str: ...

    def list_rules(self) -> list[Any]: ...

    def load_rule(self, rule_id: str) -> Any: ...

    def metric_crs(self) -> str: ...

    def default_rule(self) -> str | None: ...


class LayersLoader:
    """Reads through the ``layers`` package for one study area.

    Parameters
    ----------
    area : str
        Study-area name (``data/studyareas/<area>.toml``).
    """

    def __init__(self, area: str | None = None) -> None:
        from layers.studyarea import default_area

        self.area = area or default_area()

    def _study(self) -> Any:
        import layers

        return layers.load_study_area(self.area)

    def read_layer(self, name: str) -> gpd.GeoDataFrame:
        import layers

        return layers.read_layer(name, area=self.area)

    def read_table(self, name: str) -> pd.DataFrame:
        import layers

        return layers.read_table(name, area=self.area)

    def version(self) -> str:
        """Fingerprint of the data and rule files (names, sizes, modification times)."""
        parts: list[str] = [self.area]
        try:
            study = self._study()
            files = [Path(study.data_dir) / f for f in study.layers.values()]
            if study.config_file:
                files.append(Path(study.config_file))
            rules_dir = Path(study.data_dir).parent / "rules"
            if rules_dir.is_dir():
                files.extend(sorted(rules_dir.glob("*.toml")))
            from layers.io import user_dir

            imported = user_dir()  # imports override shipped layers: they change the version too
            if imported is not None and (imported / study.name).is_dir():
                files.extend(sorted((imported / study.name).glob("*.*")))
        except Exception as exc:  # data not there yet: a constant version until it is
            return "unavailable-" + type(exc).__name__
        for f in files:
            try:
                st = f.stat()
                parts.append(f"{f.name}:{st.st_size}:{st.st_mtime_ns}")
            except OSError:
                parts.append(f"{f.name}:missing")
        return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]

    def list_rules(self) -> list[Any]:
        return list(lrules.list_rules())

    def load_rule(self, rule_id: str) -> Any:
        return lrules.load_rule(rule_id)

    def metric_crs(self) -> str:
        try:
            return str(self._study().metric_crs)
        except Exception:
            return "EPSG:4548"

    def default_rule(self) -> str | None:
        try:
            return str(self._study().default_rule)
        except Exception:
            return None


class StoreProjectsLoader:
    """Projects from the planners' editable store (``layers.store``), everything else from ``base``.

    The data version adds the store's ``revision()``, so an edit shows on the map (and invalidates
    the caches) within the service's version TTL. If the store cannot be read, the shipped layer is
    used and a warning logged.

    Parameters
    ----------
    base : DataLoader
    store : callable
        Returns the open ``ProjectStore`` (e.g. ``lambda: webmap.edit_api.get_store(app)``).
    """

    def __init__(self, base: DataLoader, store: Callable[[], Any]) -> None:
        self.base = base
        self.store = store

    def read_layer(self, name: str) -> gpd.GeoDataFrame:
        if name == "projects":
            try:
                return self.store().to_geodataframe()
            except Exception as exc:
                log.warning("projects store unreadable (%s); using the shipped layer", exc)
        return self.base.read_layer(name)

    def read_table(self, name: str) -> pd.DataFrame:
        return self.base.read_table(name)

    def version(self) -> str:
        try:
            rev = str(self.store().revision())
        except Exception:
            rev = "unavailable"
        return f"{self.base.version()}-store{rev}"

    def list_rules(self) -> list[Any]:
        return self.base.list_rules()

    def load_rule(self, rule_id: str) -> Any:
        return self.base.load_rule(rule_id)

    def metric_crs(self) -> str:
        return self.base.metric_crs()

    def default_rule(self) -> str | None:
        return self.base.default_rule()


# --------------------------------------------------------------------------------------------- helpers


def _plain(value: Any) -> Any:
    """A JSON-ready Python value: NaN/NA → None, numpy scalars → Python scalars."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def records(df: pd.DataFrame, columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Rows of ``df`` (without geometry) as JSON-ready dicts.

    >>> records(pd.DataFrame({"a": [1, None], "b": ["x", None]}))
    [{'a': 1.0, 'b': 'x'}, {'a': None, 'b': None}]
    """
    cols = [c for c in (columns or df.columns) if c in df.columns and c != "geometry"]
    if isinstance(df, gpd.GeoDataFrame):
        cols = [c for c in cols if c != df.geometry.name]
    data = df[cols].to_dict(orient="list")
    n = len(df)
    return [{c: _plain(data[c][i]) for c in cols} for i in range(n)]


def to_feature_collection(
    gdf: gpd.GeoDataFrame, columns: Iterable[str] | None = None, precision: int = 6
) -> dict[str, Any]:
    """GeoJSON FeatureCollection of ``gdf`` (EPSG:4326), coordinates rounded to ``precision`` decimals.

    Features without geometry are kept with ``"geometry": null``.

    >>> from shapely import Point
    >>> g = gpd.GeoDataFrame({"k": ["a"]}, geometry=[Point(116.1234567, 39.9)], crs=4326)
    >>> to_feature_collection(g)["features"][0]["geometry"]["coordinates"]
    [116.123457, 39.9]
    """
    props = records(gdf, columns)
    geoms = np.asarray(gdf.geometry.values)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    rounded = shapely.set_precision(geoms, 10.0**-precision, mode="pointwise")
    texts = shapely.to_geojson(rounded)
    feats: list[dict[str, Any]] = []
    for i, p in enumerate(props):
        g = None if missing[i] else json.loads(texts[i])
        feats.append({"type": "Feature", "properties": p, "geometry": g})
    return {"type": "FeatureCollection", "features": feats}


def parse_status_history(text: Any) -> list[tuple[int, str]]:
    """``"2016:planned;2020:under_way"`` → ``[(2016, 'planned'), (2020, 'under_way')]`` (sorted).

    >>> parse_status_history("2020:under_way; 2016:planned")
    [(2016, 'planned'), (2020, 'under_way')]
    >>> parse_status_history(None)
    []
    """
    if not isinstance(text, str):
        return []
    out = []
    for part in text.split(";"):
        year, _, status = part.strip().partition(":")
        if year.strip().isdigit() and status.strip():
            out.append((int(year), status.strip()))
    return sorted(out)


def status_as_of(row: Mapping[str, Any], year: int | None) -> str | None:
    """A project's status in ``year`` (``None``: not yet listed in any document by then).

    The last ``status_history`` entry at or before ``year``; without a history, ``latest_status``
    counts from ``latest_status_year`` (or ``start_year``) on. ``year=None`` means the latest status.

    >>> status_as_of({"status_history": "2016:planned;2020:done"}, 2018)
    'planned'
    >>> status_as_of({"status_history": "2016:planned;2020:done"}, 2015) is None
    True
    >>> status_as_of({"latest_status": "done", "latest_status_year": None}, 2010)
    'done'
    """
    hist = parse_status_history(row.get("status_history"))
    if not hist:
        latest = row.get("latest_status") or "unknown"
        since = row.get("latest_status_year") or row.get("start_year")
        if year is None or since is None or (isinstance(since, float) and math.isnan(since)):
            return str(latest)
        return str(latest) if year >= int(since) else None
    if year is None:
        return hist[-1][1]
    past = [s for y, s in hist if y <= year]
    return past[-1] if past else None


def split_codes(text: Any) -> list[str]:
    """``"110102001;110102003"`` → list of codes (empty for missing).

    >>> split_codes("110102001; 110102003")
    ['110102001', '110102003']
    """
    if not isinstance(text, str):
        return []
    return [c.strip() for c in text.split(";") if c.strip()]


@dataclass(frozen=True)
class ProjectFilter:
    """Filters of the projects list; ``None`` means "any"."""

    subdistrict: str | None = None
    statuses: tuple[str, ...] | None = None
    year: int | None = None
    categories: tuple[str, ...] | None = None


# --------------------------------------------------------------------------------------------- service


class MapService:
    """Cached access to everything the web map shows.

    Parameters
    ----------
    loader : DataLoader
        Where data comes from (:class:`LayersLoader` in production).
    layer_hook : callable, optional
        ``hook(name, frame) -> frame`` applied to every layer/table after reading (tests use it to add
        rows, e.g. a project with a hostile name).
    version_ttl : float
        Seconds between two checks of the data version (0: every call).
    """

    def __init__(
        self,
        loader: DataLoader,
        layer_hook: Callable[[str, pd.DataFrame], pd.DataFrame] | None = None,
        version_ttl: float = 1.0,
    ) -> None:
        self.loader = loader
        self.layer_hook = layer_hook
        self._lock = threading.RLock()
        self._version: str | None = None
        self._checked = 0.0
        self.version_ttl = version_ttl
        self._cache: dict[Any, Any] = {}

    # -- versioning / caching
    def version(self) -> str:
        """The current data version; a change empties the caches.

        The loader is asked at most once per ``version_ttl`` seconds (a changed file shows up within
        that time).
        """
        now = time.monotonic()
        if self._version is not None and now - self._checked < self.version_ttl:
            return self._version
        v = self.loader.version()
        self._checked = now
        with self._lock:
            if v != self._version:
                self._version = v
                self._cache.clear()
        return v

    def cached(self, key: Any, make: Callable[[], Any]) -> Any:
        """``make()`` once per data version and key."""
        self.version()
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = make()
        with self._lock:
            self._cache[key] = value
        return value

    # -- raw data
    def layer(self, name: str) -> gpd.GeoDataFrame:
        """A layer (EPSG:4326), after the hook. Raises :class:`UnavailableError` if it cannot be read."""

        def make() -> gpd.GeoDataFrame:
            try:
                gdf = self.loader.read_layer(name)
            except Exception as exc:
                raise UnavailableError(f"layer '{name}' cannot be read: {exc}") from exc
            if self.layer_hook is not None:
                gdf = self.layer_hook(name, gdf)
            return gdf

        return self.cached(("layer", name), make).copy()

    def table(self, name: str) -> pd.DataFrame:
        """An attribute table, after the hook. Raises :class:`UnavailableError` if it cannot be read."""

        def make() -> pd.DataFrame:
            try:
                df = self.loader.read_table(name)
            except Exception as exc:
                raise UnavailableError(f"table '{name}' cannot be read: {exc}") from exc
            if self.layer_hook is not None:
                df = self.layer_hook(name, df)
            return df

        return self.cached(("table", name), make).copy()

    def try_layer(self, name: str) -> gpd.GeoDataFrame | None:
        """The layer, or ``None`` when it is unavailable (logged)."""
        try:
            return self.layer(name)
        except UnavailableError as exc:
            log.warning("%s", exc)
            return None

    # -- subdistricts
    def subdistricts(self) -> list[dict[str, Any]]:
        """The 街道 with names, population where known, bounds and geometry quality."""

        def make() -> list[dict[str, Any]]:
            sd = self.layer("subdistricts")
            cols = [
                "code",
                "name_zh",
                "name_en",
                "area_km2_published",
                "communities_2023",
                "pop_2020_census",
                "pop_other",
                "pop_other_year",
                "source",
                "geometry_quality",
            ]
            rows = records(sd, cols)
            geoms = np.asarray(sd.geometry.values)
            for r, g in zip(rows, geoms, strict=True):
                ok = g is not None and not shapely.is_empty(g)
                r["bounds"] = [round(float(b), 6) for b in shapely.bounds(g)] if ok else None
                r["has_geometry"] = bool(ok)
            return rows

        return list(self.cached("subdistricts", make))

    def subdistrict(self, code: str) -> dict[str, Any] | None:
        """One 街道 by code, or ``None``."""
        return next((s for s in self.subdistricts() if s["code"] == code), None)

    # -- projects
    def project_records(self) -> list[dict[str, Any]]:
        """All projects as dicts (plus ``codes`` list, ``history`` pairs and ``has_geometry``)."""

        def make() -> list[dict[str, Any]]:
            pj = self.layer("projects")
            rows = records(pj)
            geoms = np.asarray(pj.geometry.values)
            missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
            for r, miss in zip(rows, missing, strict=True):
                r["codes"] = split_codes(r.get("subdistrict_codes"))
                r["history"] = parse_status_history(r.get("status_history"))
                r["has_geometry"] = not bool(miss)
            return rows

        return list(self.cached("project_records", make))

    def projects(self, flt: ProjectFilter) -> list[dict[str, Any]]:
        """Projects matching ``flt``, each with ``status_as_of`` for ``flt.year``."""
        out = []
        for r in self.project_records():
            st = status_as_of(r, flt.year)
            if flt.year is not None and st is None:
                continue
            if flt.subdistrict is not None and flt.subdistrict not in r["codes"]:
                continue
            if flt.statuses is not None and st not in flt.statuses:
                continue
            if flt.categories is not None and r.get("category") not in flt.categories:
                continue
            item = {k: v for k, v in r.items() if k not in ("codes", "history")}
            item["status_as_of"] = st
            out.append(item)
        return out

    def categories(self) -> list[str]:
        """Project categories present in the data, in first-seen order."""
        seen: dict[str, None] = {}
        for r in self.project_records():
            if r.get("category"):
                seen[str(r["category"])] = None
        return list(seen)

    def year_range(self) -> tuple[int, int]:
        """(first, last) year of any project status or reported indicator."""

        def make() -> tuple[int, int]:
            years: list[int] = []
            for r in self.project_records():
                years.extend(y for y, _ in r["history"])
                for k in ("start_year", "latest_status_year"):
                    if isinstance(r.get(k), int | float) and r.get(k) is not None:
                        years.append(int(r[k]))
            with contextlib.suppress(UnavailableError):
                years.extend(int(y) for y in self.table("indicators")["year"].dropna())
            return (min(years), max(years)) if years else (2015, 2025)

        return tuple(self.cached("year_range", make))  # type: ignore[return-value]

    # -- rules
    def rules(self) -> list[dict[str, Any]]:
        """Rule sets: id, titles, citation, headline variant, radii."""

        def make() -> list[dict[str, Any]]:
            try:
                items = self.loader.list_rules()
            except UnavailableError:
                return []
            out = []
            for it in items:
                rule = it if hasattr(it, "id") else self.loader.load_rule(str(it))
                out.append(
                    {
                        "id": rule.id,
                        "title_zh": getattr(rule, "title_zh", rule.id),
                        "title_en": getattr(rule, "title_en", ""),
                        "citation": getattr(rule, "citation", ""),
                        "headline_variant": getattr(rule, "headline_variant", "all_land"),
                        "radii_m": list(getattr(rule, "radii", ())),
                        "method": "network" if getattr(rule, "network", None) else "euclidean",
                        "barriers": bool(getattr(rule, "barriers", False)),
                    }
                )
            default = self.loader.default_rule()
            out.sort(key=lambda r: (r["id"] != default, r["id"]))
            return out

        return list(self.cached("rules", make))

    def rule_ids(self) -> list[str]:
        return [r["id"] for r in self.rules()]

    def default_rule(self) -> str | None:
        ids = self.rule_ids()
        d = self.loader.default_rule()
        return d if d in ids else (ids[0] if ids else None)

    # -- indicators
    def reported_series(self) -> list[dict[str, Any]]:
        """The district's officially reported coverage values (``indicators`` table), by year."""

        def make() -> list[dict[str, Any]]:
            try:
                ind = self.table("indicators")
            except UnavailableError:
                return []
            ind = ind[ind["indicator_id"].isin(REPORTED_INDICATORS)]
            if "year" in ind.columns:
                ind = ind.sort_values(["year", "indicator_id"], kind="stable")
            cols = ["indicator_id", "name_zh", "year", "value", "unit", "kind", "binding", "scope"]
            cols += ["source", "note"]
            return records(ind, cols)

        return list(self.cached("reported", make))

    # -- geometry derived for the map
    def _metric(self, name: str) -> gpd.GeoDataFrame:
        return self.cached(
            ("metric", name), lambda: self.layer(name).to_crs(self.loader.metric_crs())
        )

    def parks_as_of(self, year: int | None) -> gpd.GeoDataFrame:
        """Parks of ``year`` in the metric CRS (``geo.scenarios.parks_as_of``; ``None`` = all parks)."""

        def make() -> gpd.GeoDataFrame:
            parks = self._metric("parks")
            if year is None:
                return parks
            return parks_as_of(parks, self._metric("projects"), year)

        return self.cached(("parks_as_of", year), make)

    def assigned(self, rule_id: str, year: int | None) -> gpd.GeoDataFrame:
        """Eligible parks with ``radius_m`` under a rule, as of a year (metric CRS)."""

        def make() -> gpd.GeoDataFrame:
            rule = self.rule(rule_id)
            zones = None
            if any(getattr(t, "zone", "any") != "any" for t in getattr(rule, "tiers", ())):
                zones = self._metric("historic_blocks")
            return assign_radii(self.parks_as_of(year), rule, zones)

        return self.cached(("assigned", rule_id, year), make)

    def rule(self, rule_id: str) -> Any:
        """The rule set object (cached)."""
        return self.cached(("rule", rule_id), lambda: self.loader.load_rule(rule_id))

    def radii(self, rule_id: str, year: int | None = None) -> gpd.GeoDataFrame:
        """One service-radius polygon per eligible park under a rule (EPSG:4326).

        Columns: park_id, name_zh, name_en, radius_m, tier, opened_year, rule_id, geometry_quality,
        source.
        """

        def make() -> gpd.GeoDataFrame:
            pr = self.assigned(rule_id, year)
            rule = self.rule(rule_id)
            if netservice.is_network(rule):  # walking-network rules (issue 12)
                return netservice.radii_layer(self, rule_id, year)
            qs = getattr(rule, "quad_segs", None) or 16
            geom = shapely.buffer(
                np.asarray(pr.geometry.values), pr["radius_m"].to_numpy(dtype=float), quad_segs=qs
            )
            keep = [
                c
                for c in ("park_id", "name_zh", "name_en", "radius_m", "tier", "opened_year")
                if c in pr.columns
            ]
            out = gpd.GeoDataFrame(pr[keep].copy(), geometry=geom, crs=pr.crs).to_crs(4326)
            out["rule_id"] = rule_id
            out["geometry_quality"] = pr["geometry_quality"].to_numpy()
            out["source"] = "本工具计算 computed: " + str(getattr(rule, "citation", rule_id))
            return out

        return self.cached(("radii", rule_id, year), make).copy()

    def gaps(self, rule_id: str, year: int | None = None) -> gpd.GeoDataFrame:
        """Residential land outside every service radius under a rule, per 街道 (EPSG:4326).

        ``geo.gaps.uncovered`` dissolved by ``subdistrict_code``, simplified by 1 m for display.
        Columns: gap_id, subdistrict_code, residential_m2, uncovered_m2, uncovered_pct, rule_id,
        year, geometry_quality, source.
        """

        def make() -> gpd.GeoDataFrame:
            res = self._metric("residential")
            pr = self.assigned(rule_id, year)
            rule = self.rule(rule_id)
            qs = getattr(rule, "quad_segs", None) or 16
            served = shapely.buffer(
                np.asarray(pr.geometry.values), pr["radius_m"].to_numpy(dtype=float), quad_segs=qs
            )
            if netservice.is_network(rule):  # walking-network rules (issue 12)
                served = np.array([netservice.served(self, rule_id, year)], dtype=object)
            by = "subdistrict_code" if "subdistrict_code" in res.columns else None
            out = uncovered(res, gpd.GeoSeries(served, crs=res.crs), by=by)
            g = np.asarray(out.geometry.values)
            out = out[~(shapely.is_empty(g) | shapely.is_missing(g))].copy()
            out[out.geometry.name] = shapely.simplify(np.asarray(out.geometry.values), 1.0)
            key = out[by].astype(str) if by else pd.Series(["all"] * len(out), index=out.index)
            out["gap_id"] = rule_id + ":" + key
            out["rule_id"] = rule_id
            out["year"] = year
            quality = set(res["geometry_quality"]) if "geometry_quality" in res else set()
            out["geometry_quality"] = "approximate" if "approximate" in quality else "user"
            out["source"] = "本工具计算 computed: residential land minus park service radii"
            return out.to_crs(4326)

        return self.cached(("gaps", rule_id, year), make).copy()

    def candidates(self, rule_id: str, k: int = 10) -> gpd.GeoDataFrame:
        """Candidate cells for new parks (``geo.gaps.candidate_sites``), a model result (EPSG:4326).

        Candidate land is :func:`geo.gaps.candidate_land` (non-residential land, else land to be
        vacated); a new park of the rule's minimum size gets the rule's radius for that size; cells
        of 200 m; ``k`` picks.
        """

        def make() -> gpd.GeoDataFrame:
            rule = self.rule(rule_id)
            res = self._metric("residential")
            size = max(float(getattr(rule, "min_area_m2", 5000.0)), 1000.0)
            land = candidate_land(
                self._metric("district"), res, self._metric("parks"), min_area_m2=size
            )
            radius = max(
                (t.radius_m for t in rule.tiers if t.min_area_m2 <= size and t.zone == "any"),
                default=max(rule.radii),
            )
            pr = self.assigned(rule_id, None)
            served = shapely.buffer(
                np.asarray(pr.geometry.values), pr["radius_m"].to_numpy(dtype=float), quad_segs=16
            )
            cell = max(200.0, math.ceil(math.sqrt(size)))
            out = candidate_sites(
                res, gpd.GeoSeries(served, crs=res.crs), land.geometry, size, radius, k, cell
            )
            out = out.copy()
            out["site_id"] = [f"{rule_id}:{int(r)}" for r in out["rank"]]
            out["name_zh"] = [f"候选地块 {int(r)}" for r in out["rank"]]
            out["name_en"] = [f"candidate site {int(r)}" for r in out["rank"]]
            out["rule_id"] = rule_id
            out["geometry_quality"] = "approximate"
            out["land_basis"] = land.basis
            out["source"] = (
                "本工具计算 computed: greedy maximal-coverage model, not a real site; candidate land: "
                + land.note
            )
            return out.to_crs(4326)

        return self.cached(("candidates", rule_id, k), make).copy()

    # -- coverage
    def coverage(self, rule_id: str, year: int | None) -> dict[str, Any]:
        """Computed coverage under a rule as of a year: district totals and one row per 街道.

        Returns a dict with ``rule``, ``year``, ``district`` (dict) and ``subdistricts`` (list of dicts
        with ``code``, ``name_zh``, ``coverage_pct`` (all land), ``coverage_non_historic_pct``, ...).
        """
        return dict(self.cached(("coverage", rule_id, year), lambda: self._coverage(rule_id, year)))

    def _coverage(self, rule_id: str, year: int | None) -> dict[str, Any]:
        if netservice.is_network(self.rule(rule_id)):  # walking-network rules (issue 12)
            return normalise_coverage(netservice.coverage_table(self, rule_id, year), rule_id, year)
        hb = (
            self._metric("historic_blocks")
            if self.try_layer("historic_blocks") is not None
            else None
        )
        table = scenario_coverage(
            self._metric("residential"),
            self._metric("parks"),
            self.rule(rule_id),
            projects=self._metric("projects") if year is not None else None,
            year=year,
            subdistricts=self._metric("subdistricts"),
            historic_blocks=hb,
        )
        return normalise_coverage(table, rule_id, year)


def normalise_coverage(table: pd.DataFrame, rule_id: str, year: int | None) -> dict[str, Any]:
    """Pivot ``geo.indicator.coverage_table`` (long: one row per unit and variant) for the API.

    >>> t = pd.DataFrame({"scope": ["district", "district", "subdistrict"],
    ...     "unit_code": ["district", "district", "110102001"], "unit_name_zh": ["全区", "全区", "x"],
    ...     "unit_name_en": ["", "", ""], "variant": ["all_land", "non_historic", "all_land"],
    ...     "rate_pct": [90.0, 95.0, 80.123], "headline": [False, True, False]})
    >>> out = normalise_coverage(t, "r", 2020)
    >>> out["district"]["coverage_pct"], out["district"]["coverage_non_historic_pct"]
    (90.0, 95.0)
    >>> out["subdistricts"][0]["coverage_pct"], out["subdistricts"][0]["coverage_non_historic_pct"]
    (80.12, None)
    """
    units: dict[tuple[str, str], dict[str, Any]] = {}
    for r in records(table):
        scope = str(r.get("scope"))
        code = str(r.get("unit_code"))
        u = units.setdefault(
            (scope, code),
            {
                "code": code,
                "scope": scope,
                "name_zh": r.get("unit_name_zh"),
                "name_en": r.get("unit_name_en"),
                "coverage_pct": None,
                "coverage_non_historic_pct": None,
                "variants": {},
            },
        )
        variant = str(r.get("variant"))
        rate = r.get("rate_pct")
        rate = round(float(rate), 2) if isinstance(rate, int | float) else None
        if variant == "all_land":
            u["coverage_pct"] = rate
        elif variant == "non_historic":
            u["coverage_non_historic_pct"] = rate
        eu = r.get("euclidean_rate_pct")
        if isinstance(eu, int | float):  # network rules: the straight-line rate beside
            u["method"] = r.get("method")
            key = (
                "euclidean_coverage_pct"
                if variant == "all_land"
                else "euclidean_coverage_non_historic_pct"
            )
            u[key] = round(float(eu), 2)
        if r.get("headline"):
            u["headline_variant"] = variant
            u["headline_pct"] = rate
        u["variants"][variant] = {
            k: r.get(k)
            for k in (
                "residential_m2",
                "covered_m2",
                "rate_pct",
                "arc_error_bound_pp",
                "population",
                "pop_rate_pct",
                "euclidean_rate_pct",
                "note",
            )
            if k in r
        }
    district = next((u for (s, _), u in units.items() if s == "district"), {})
    subs = [u for (s, _), u in units.items() if s == "subdistrict"]
    blocks = [u for (s, _), u in units.items() if s == "historic_block"]
    return {
        "rule": rule_id,
        "year": year,
        "district": district,
        "subdistricts": subs,
        "historic_blocks": blocks,
    }
