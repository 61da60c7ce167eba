"""Tagged park entrances: read from an OSM PBF or a points file, checked, attached to parks.

The network rules start a walk at a park's access points (:mod:`geo.netaccess`); where the data has
tagged entrances a park is reached only through them (a fenced park). Which OSM tags count is data:
the ``[entrances]`` table of ``data/osm/mapping.toml``:

``tags``
    ``{key: [values]}``; ``"*"`` is any value except ``no`` (e.g. ``entrance = ["*"]``,
    ``barrier = ["gate", "kissing_gate", …]``);
``not_public_access``
    values of ``access`` (``foot`` overrides it when given) that keep walkers out;
``building_tolerance_m``
    a point this close (m) to a building outline is a door of the building, not a park entrance
    (PBF only: the building outlines are read from the same file);
``max_boundary_distance_m``
    a point is a park entrance only this close (m) to a park's boundary; it gets that park's
    ``park_id``;
``fence_tags``, ``fence_tolerance_m``, ``fenced_min_share``
    PBF only: a park's gates count only when fences/walls run along at least that share of its
    boundary (:func:`fenced_share`); an open park keeps its streets and pseudo-entrances.

The layer (schema ``entrances`` in :mod:`layers.schema`) is in EPSG:4326 with ``entrance_id``
(``osm:node/123`` or the file's id), ``name_zh``, ``kind`` (``gate``, ``entrance`` …), ``osm_tags``,
``access``, ``park_id``, ``source`` and ``geometry_quality`` (``osm`` from a PBF, ``user`` from a
file unless it says otherwise). Distances are measured in the study area's metric CRS.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import LayerError, Problem
from layers.repair import Tally
from layers.schema import GEOMETRY_QUALITIES

__all__ = [
    "attach_to_parks",
    "entrance_rule",
    "entrances_layer",
    "fenced_share",
    "read_entrance_file",
    "read_pbf_entrances",
    "select_entrances",
]

OSM_SHORT = "© OpenStreetMap contributors (ODbL)"
_TAG_COLS = ("entrance", "barrier", "access", "foot")
_DEFAULT_RULE: dict[str, Any] = {
    "tags": {"entrance": ["*"], "barrier": ["gate", "entrance", "lift_gate", "kissing_gate"]},
    "not_public_access": ["private", "no"],
    "building_tolerance_m": 0.5,
    "max_boundary_distance_m": 5.0,
}


def entrance_rule(mapping: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``[entrances]`` table of the mapping (default the shipped file), checked.

    >>> r = entrance_rule()
    >>> r["tags"]["entrance"], "private" in r["not_public_access"], r["max_boundary_distance_m"]
    (['*'], True, 5)
    """
    if mapping is None:
        from layers.osm_extract import load_mapping

        mapping = load_mapping()
    rule = dict(mapping.get("entrances") or _DEFAULT_RULE)
    where = f"{mapping.get('_file', 'mapping')} [entrances]"
    problems = []
    tags = rule.get("tags")
    if not isinstance(tags, Mapping) or not tags:
        problems.append(Problem(where, None, "tags", "give {key: [values]} of entrance tags"))
    else:
        for k, v in tags.items():
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                problems.append(Problem(where, None, f"tags.{k}", "expected a list of strings"))
    for key in ("building_tolerance_m", "max_boundary_distance_m"):
        val = rule.get(key, _DEFAULT_RULE[key])
        if not isinstance(val, int | float) or isinstance(val, bool) or val < 0:
            problems.append(Problem(where, None, key, f"{val!r}: expected a number ≥ 0 (m)"))
    if problems:
        raise LayerError(problems)
    rule.setdefault("not_public_access", list(_DEFAULT_RULE["not_public_access"]))
    return rule


def _text(values: Any, n: int) -> np.ndarray:
    """Strings with missing/blank values as None."""
    if values is None:
        return np.full(n, None, dtype=object)
    s = pd.Series(values, dtype=object)
    ok = s.notna() & (s.astype(str).str.strip() != "") & (s.astype(str) != "nan")
    return s.astype(str).str.strip().where(ok, None).to_numpy(dtype=object)


def read_pbf_entrances(
    path: str | os.PathLike[str],
    mapping: Mapping[str, Any] | None = None,
    *,
    bbox: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Nodes of an ``.osm.pbf`` carrying one of the entrance tag keys (pyrosm), unfiltered by value.

    Returns
    -------
    GeoDataFrame
        EPSG:4326 points: ``entrance_id`` (``osm:node/<id>``), ``name``, ``entrance``, ``barrier``,
        ``access``, ``foot`` (None where untagged). One query per tag key (pyrosm drops a feature whose
        other filter key has an unlisted value), duplicates once.

    Raises
    ------
    LayerError
        pyrosm missing, the file missing or unreadable (named).
    """
    p = Path(path)
    if not p.is_file():
        raise LayerError([Problem(str(p), None, None, "OSM PBF not found")])
    try:
        import pyrosm
    except ImportError as exc:  # pragma: no cover - pyrosm is an optional dependency
        raise LayerError(
            [Problem(str(p), None, None, "reading .osm.pbf needs pyrosm: pip install pyrosm")]
        ) from exc
    rule = entrance_rule(mapping)
    frames = []
    try:
        osm = pyrosm.OSM(str(p), bounding_box=list(bbox) if bbox else None)
        for key, values in rule["tags"].items():
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Could not find any")
                part = osm.get_data_by_custom_criteria(
                    custom_filter={key: True if "*" in values else list(values)},
                    filter_type="keep",
                    tags_as_columns=[*_TAG_COLS, "name", "name:zh"],
                    keep_nodes=True,
                    keep_ways=False,
                    keep_relations=False,
                )
            if part is None or not len(part):
                continue
            part = part.reset_index(drop=True)
            n = len(part)
            name = _text(part.get("name:zh"), n)
            name = np.where(pd.isna(name), _text(part.get("name"), n), name)
            cols: dict[str, Any] = {
                "entrance_id": [f"osm:node/{int(i)}" for i in part["id"]],
                "name": name,
            }
            for c in _TAG_COLS:
                cols[c] = _text(part.get(c), n)
            frames.append(gpd.GeoDataFrame(cols, geometry=part.geometry.values, crs="EPSG:4326"))
    except LayerError:
        raise
    except Exception as exc:  # pyrosm raises many types on a corrupt file
        raise LayerError([Problem(str(p), None, None, f"cannot read OSM PBF: {exc}")]) from exc
    if not frames:
        return gpd.GeoDataFrame(
            {c: [] for c in ("entrance_id", "name", *_TAG_COLS)},
            geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        )
    out = pd.concat(frames, ignore_index=True).drop_duplicates("entrance_id")
    return gpd.GeoDataFrame(out.reset_index(drop=True), crs="EPSG:4326")


def _pbf_buildings(path: Path, bbox: tuple[float, float, float, float] | None) -> np.ndarray:
    """Outlines of the buildings of a PBF (EPSG:4326), to tell doors from park entrances."""
    import pyrosm

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore")
        b = pyrosm.OSM(str(path), bounding_box=list(bbox) if bbox else None).get_buildings()
    if b is None or not len(b):
        return np.empty(0, dtype=object)
    return np.asarray(shapely.boundary(b.geometry.values), dtype=object)


def _pbf_fences(
    path: Path, rule: Mapping[str, Any], bbox: tuple[float, float, float, float] | None
) -> np.ndarray:
    """Fence and wall lines of a PBF (EPSG:4326; closed ways as their outline)."""
    import pyrosm

    tags = rule.get("fence_tags") or {}
    osm = pyrosm.OSM(str(path), bounding_box=list(bbox) if bbox else None)
    parts = []
    for key, values in tags.items():
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore")
            f = osm.get_data_by_custom_criteria(
                custom_filter={key: list(values)},
                filter_type="keep",
                keep_nodes=False,
                keep_ways=True,
                keep_relations=False,
            )
        if f is not None and len(f):
            g = np.asarray(f.geometry.values, dtype=object)
            poly = np.isin(shapely.get_type_id(g), (3, 6))
            parts.append(np.where(poly, shapely.boundary(g), g))
    return np.concatenate(parts) if parts else np.empty(0, dtype=object)


def fenced_share(
    parks: gpd.GeoDataFrame, fences: np.ndarray, metric_crs: str, tolerance_m: float
) -> pd.Series:
    """Share (0–1) of each park's boundary within ``tolerance_m`` (m) of a fence/wall line.

    ``fences`` in EPSG:4326; measured in ``metric_crs``. Indexed by ``park_id``.

    >>> from shapely import LineString, box
    >>> p = gpd.GeoDataFrame({"park_id": ["a"]}, geometry=[box(0, 0, 100, 100)], crs="EPSG:4548")
    >>> f = gpd.GeoSeries([LineString([(0, -1), (100, -1)])], crs="EPSG:4548").to_crs("EPSG:4326")
    >>> round(float(fenced_share(p, f.values, "EPSG:4548", 3.0)["a"]), 6)  # (100 + 2 + 2) / 400
    0.26
    """
    pm = parks.to_crs(metric_crs)
    bnd = shapely.boundary(np.asarray(pm.geometry.values, dtype=object))
    ids = pm["park_id"].astype(str).to_numpy()
    share = np.zeros(len(bnd))
    if len(fences):
        fm = np.asarray(gpd.GeoSeries(fences, crs="EPSG:4326").to_crs(metric_crs).values)
        zones = shapely.buffer(fm, tolerance_m, quad_segs=4)
        pi, fj = shapely.STRtree(zones).query(bnd, predicate="intersects")
        for i in np.unique(pi):  # parks with a fence nearby: union their fence zones once
            zone = shapely.union_all(zones[fj[pi == i]])
            share[i] = shapely.length(shapely.intersection(bnd[i], zone)) / shapely.length(bnd[i])
    return pd.Series(share, index=ids)


def select_entrances(
    raw: gpd.GeoDataFrame, rule: Mapping[str, Any], *, tally: Tally | None = None
) -> gpd.GeoDataFrame:
    """The rows of ``raw`` whose tags count as an entrance and that walkers may use.

    A row counts when one of ``rule["tags"]`` matches (``"*"``: any value but ``no``); it is
    dropped when its walkers' access (``foot``, else ``access``) is in ``not_public_access``.
    Columns ``kind`` (the barrier value, else ``entrance``), ``osm_tags`` and ``access`` are set.

    >>> from shapely import Point
    >>> raw = gpd.GeoDataFrame({"entrance_id": ["a", "b", "c", "d"],
    ...     "entrance": [None, "main", None, None], "barrier": ["gate", None, "bollard", "gate"],
    ...     "access": [None, None, None, "private"], "foot": [None, None, None, None]},
    ...     geometry=[Point(0, 0)] * 4, crs="EPSG:4326")
    >>> select_entrances(raw, entrance_rule())[["entrance_id", "kind", "osm_tags"]].values.tolist()
    [['a', 'gate', 'barrier=gate'], ['b', 'entrance', 'entrance=main']]
    """
    tally = tally if tally is not None else Tally("entrances")
    n = len(raw)
    hit = np.zeros(n, dtype=bool)
    for key, values in rule["tags"].items():
        col = raw[key] if key in raw.columns else pd.Series([None] * n)
        v = col.astype(object).where(col.notna(), None).to_numpy(dtype=object)
        have = pd.notna(v)
        if "*" in values:
            m = have & (np.asarray([str(x).lower() for x in v]) != "no")
        else:
            m = have & np.isin(v.astype(str), list(values))
        hit |= m
    tally.drop(int((~hit).sum()), "tags not listed in mapping [entrances] tags (e.g. bollards)")
    rows = raw[hit].reset_index(drop=True)
    foot = rows["foot"] if "foot" in rows.columns else pd.Series([None] * len(rows))
    acc = rows["access"] if "access" in rows.columns else pd.Series([None] * len(rows))
    walk = np.where(pd.notna(foot.to_numpy(dtype=object)), foot, acc)
    closed = np.isin(
        np.asarray([str(x).lower() for x in walk]), [str(x) for x in rule["not_public_access"]]
    ) & pd.notna(walk)
    ids = rows["entrance_id"].astype(str).to_numpy()[closed]
    tally.drop(int(closed.sum()), "access/foot = private or no: closed to walkers", ids)
    rows = rows[~closed].reset_index(drop=True)
    bar = rows["barrier"] if "barrier" in rows.columns else pd.Series([None] * len(rows))
    barrier_ok = bar.isin(rule["tags"].get("barrier", [])).to_numpy()
    rows["kind"] = np.where(barrier_ok, bar.astype(object), "entrance")
    tags = []
    for _, r in rows.iterrows():  # small: the entrance nodes only
        tags.append(
            ";".join(f"{k}={r[k]}" for k in _TAG_COLS if k in rows.columns and pd.notna(r[k]))
        )
    rows["osm_tags"] = np.asarray(tags, dtype=object)
    open_walk = np.asarray(walk[~closed], dtype=object)
    open_walk[pd.isna(open_walk)] = None
    rows["access"] = open_walk
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=raw.crs)


def read_entrance_file(
    path: str | os.PathLike[str],
    mapping: Mapping[str, Any] | None = None,
    *,
    geometry_quality: str = "user",
) -> gpd.GeoDataFrame:
    """A points file of park entrances (Shapefile, GeoJSON, GeoPackage …), validated.

    Every row is an entrance (the file says so), except those closed to walkers by an ``access`` /
    ``foot`` column (``not_public_access``) or tagged ``entrance = no``. Optional columns:
    ``entrance_id`` (else ``id`` / ``osm_id``, else ``<file>#<row>``), ``name_zh`` / ``name``,
    ``entrance``, ``barrier``, ``access``, ``foot``, ``source``, ``geometry_quality``.

    Raises
    ------
    LayerError
        Unreadable file, no CRS, a row without geometry or not a point, a bad ``geometry_quality`` or a
        duplicate id: the message names the file, row (1-based) and field.
    """
    p = Path(path)
    if not p.exists():
        raise LayerError([Problem(str(p), None, None, "entrances file not found")])
    try:
        raw = gpd.read_file(p, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types
        raise LayerError([Problem(str(p), None, None, f"cannot read file: {exc}")]) from exc
    if raw.crs is None:
        raise LayerError([Problem(str(p), None, "geometry", "no CRS: give the file's CRS")])
    g = np.asarray(raw.geometry.values, dtype=object)
    problems = [
        Problem(str(p), int(i) + 1, "geometry", "no geometry")
        for i in np.flatnonzero(shapely.is_missing(g) | shapely.is_empty(g))
    ]
    bad = ~(shapely.is_missing(g) | shapely.is_empty(g)) & (shapely.get_type_id(g) != 0)
    problems += [
        Problem(str(p), int(i) + 1, "geometry", f"{shapely.get_type_id(g[i])}: not a point")
        for i in np.flatnonzero(bad)
    ]
    n = len(raw)
    idcol = next((c for c in ("entrance_id", "id", "osm_id") if c in raw.columns), None)
    ids = (
        raw[idcol].astype(str).to_numpy(dtype=object)
        if idcol
        else np.asarray([f"{p.name}#{i + 1}" for i in range(n)], dtype=object)
    )
    dup = pd.Series(ids).duplicated().to_numpy()
    problems += [
        Problem(str(p), int(i) + 1, idcol or "entrance_id", f"duplicate id {ids[i]!r}")
        for i in np.flatnonzero(dup)
    ]
    gq = (
        raw["geometry_quality"].astype(str).to_numpy(dtype=object)
        if "geometry_quality" in raw.columns
        else np.full(n, geometry_quality, dtype=object)
    )
    allowed = [q for q in GEOMETRY_QUALITIES if q != "none"]
    problems += [
        Problem(str(p), int(i) + 1, "geometry_quality", f"{gq[i]!r} is not one of {allowed}")
        for i in np.flatnonzero(~np.isin(gq, allowed))
    ]
    if problems:
        raise LayerError(problems)
    name = _text(raw["name_zh"] if "name_zh" in raw.columns else None, n)
    if "name" in raw.columns:
        name = np.where(pd.isna(name), _text(raw["name"], n), name)
    cols: dict[str, Any] = {"entrance_id": ids, "name": name}
    for c in _TAG_COLS:
        cols[c] = _text(raw[c] if c in raw.columns else None, n)
    cols["entrance"] = np.where(
        pd.isna(cols["entrance"]) & pd.isna(cols["barrier"]), "yes", cols["entrance"]
    )
    src = _text(raw["source"] if "source" in raw.columns else None, n)
    cols["source"] = np.where(pd.isna(src), f"user file {p.name}", src)
    cols["geometry_quality"] = gq
    frame = gpd.GeoDataFrame(cols, geometry=g, crs=raw.crs).to_crs("EPSG:4326")
    rule = dict(entrance_rule(mapping))
    # the file declares its rows entrances: any tag value counts, only exclusions apply
    rule["tags"] = {"entrance": ["*"], "barrier": ["*"]}
    tally = Tally("entrances")
    out = select_entrances(frame, rule, tally=tally)
    out["kind"] = np.where(pd.notna(out["barrier"]), out["barrier"], "entrance")
    out.attrs.update(reasons=tally.reasons, read=n, dropped=tally.dropped)
    return out


def attach_to_parks(
    entrances: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    metric_crs: str,
    rule: Mapping[str, Any],
    *,
    buildings: np.ndarray | None = None,
    tally: Tally | None = None,
) -> gpd.GeoDataFrame:
    """Entrances within ``max_boundary_distance_m`` of a park boundary, with that park's ``park_id``.

    Points within ``building_tolerance_m`` of a building outline (``buildings``, EPSG:4326 lines)
    are dropped first: they are doors. Distances in ``metric_crs`` (m). Vectorised (STRtree).

    >>> from shapely import Point, box
    >>> parks = gpd.GeoDataFrame({"park_id": ["p"]}, geometry=[box(0, 0, 100, 100)], crs="EPSG:4548")
    >>> e = gpd.GeoDataFrame({"entrance_id": ["on", "far", "in"]},
    ...     geometry=[Point(100, 50), Point(150, 50), Point(50, 50)], crs="EPSG:4548")
    >>> attach_to_parks(e, parks, "EPSG:4548", entrance_rule())[["entrance_id", "park_id"]].values.tolist()
    [['on', 'p']]
    """
    tally = tally if tally is not None else Tally("entrances")
    em = np.asarray(entrances.to_crs(metric_crs).geometry.values, dtype=object)
    keep = np.ones(len(em), dtype=bool)
    tol = float(rule.get("building_tolerance_m", 0.5))
    if buildings is not None and len(buildings) and len(em):
        bm = np.asarray(gpd.GeoSeries(buildings, crs="EPSG:4326").to_crs(metric_crs).values)
        (ei, _bj) = shapely.STRtree(bm).query(em, predicate="dwithin", distance=tol)
        door = np.zeros(len(em), dtype=bool)
        door[ei] = True
        ids = entrances["entrance_id"].astype(str).to_numpy()[door]
        tally.drop(int(door.sum()), f"on a building outline (within {tol:g} m): a door", ids)
        keep &= ~door
    pm = parks.to_crs(metric_crs)
    pg = np.asarray(pm.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(pg) | shapely.is_empty(pg))
    bnd = shapely.boundary(pg[ok])
    pids = pm["park_id"].astype(str).to_numpy(dtype=object)[ok]
    park = np.full(len(em), None, dtype=object)
    maxd = float(rule.get("max_boundary_distance_m", 5.0))
    if len(bnd) and keep.any():
        cand = np.flatnonzero(keep)
        (ei, pj), _d = shapely.STRtree(bnd).query_nearest(
            em[cand], max_distance=maxd, return_distance=True, all_matches=False
        )
        park[cand[ei]] = pids[pj]
    far = keep & pd.isna(park)
    tally.drop(int(far.sum()), f"not within {maxd:g} m of a park boundary")
    keep &= ~far
    out = entrances[keep].copy()
    out["park_id"] = park[keep]
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=entrances.crs)


def entrances_layer(
    parks: gpd.GeoDataFrame,
    metric_crs: str,
    mapping: Mapping[str, Any] | None = None,
    *,
    pbf: str | os.PathLike[str] | None = None,
    file: str | os.PathLike[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    quality: str = "osm",
) -> tuple[gpd.GeoDataFrame | None, Tally]:
    """The ``entrances`` layer of a study area: tagged entrances of a PBF and/or a user's file.

    Parameters
    ----------
    parks : GeoDataFrame
        The area's parks (``park_id``), any CRS.
    metric_crs : str
        Projected CRS (m) of the area.
    pbf, file : path, optional
        An ``.osm.pbf`` (entrance/gate nodes; building outlines to drop doors) and a points file.
    bbox : (west, south, east, north), optional
        Read only this part of the PBF (WGS-84 degrees).
    quality : str
        ``geometry_quality`` of the PBF's points.

    Returns
    -------
    (GeoDataFrame or None, Tally)
        The layer in the ``entrances`` schema (EPSG:4326), None when nothing is kept.
    """
    rule = entrance_rule(mapping)
    tally = Tally("entrances")
    frames = []
    if pbf is not None:
        raw = read_pbf_entrances(pbf, mapping, bbox=bbox)
        tally.read += len(raw)
        sel = select_entrances(raw, rule, tally=tally)
        sel["source"] = [f"{OSM_SHORT} · PBF {Path(pbf).name}: {t}" for t in sel["osm_tags"]]
        sel["geometry_quality"] = quality
        blds = _pbf_buildings(Path(pbf), bbox) if len(sel) and "entrance" in rule["tags"] else None
        at = attach_to_parks(sel, parks, metric_crs, rule, buildings=blds, tally=tally)
        if len(at) and rule.get("fence_tags"):
            with_gate = parks[parks["park_id"].astype(str).isin(set(at["park_id"].astype(str)))]
            share = fenced_share(
                with_gate,
                _pbf_fences(Path(pbf), rule, bbox),
                metric_crs,
                float(rule.get("fence_tolerance_m", 3.0)),
            )
            need = float(rule.get("fenced_min_share", 0.5))
            open_parks = sorted(share.index[share < need])
            drop = at["park_id"].astype(str).isin(open_parks).to_numpy()
            tally.drop(
                int(drop.sum()),
                f"gate of a park fenced along less than {need:.0%} of its boundary (an open park: "
                f"its streets reach it anyway): {', '.join(open_parks[:8])}",
            )
            for pid in sorted(share.index[share >= need]):
                tally.note(f"{pid}: fenced along {share[pid]:.0%} of its boundary, entrances only")
            at = at[~drop].reset_index(drop=True)
        frames.append(at)
    if file is not None:
        user = read_entrance_file(file, mapping)
        tally.read += int(user.attrs.get("read", len(user)))
        tally.dropped += int(user.attrs.get("dropped", 0))
        for r in user.attrs.get("reasons", []):
            tally.note(r)
        frames.append(attach_to_parks(user, parks, metric_crs, rule, tally=tally))
    frames = [f for f in frames if len(f)]
    if not frames:
        tally.note("no tagged entrances kept: pseudo-entrances only")
        return None, tally
    df = pd.concat(frames, ignore_index=True).drop_duplicates("entrance_id")
    tally.kept = len(df)
    out = gpd.GeoDataFrame(
        {
            "entrance_id": df["entrance_id"].astype(str).to_numpy(),
            "name_zh": df["name"].to_numpy(dtype=object),
            "kind": df["kind"].to_numpy(dtype=object),
            "osm_tags": df["osm_tags"].to_numpy(dtype=object),
            "access": df["access"].to_numpy(dtype=object),
            "park_id": df["park_id"].to_numpy(dtype=object),
            "source": df["source"].to_numpy(dtype=object),
            "geometry_quality": df["geometry_quality"].to_numpy(dtype=object),
        },
        geometry=df.geometry.values,
        crs="EPSG:4326",
    )
    return out, tally
