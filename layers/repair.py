"""Tolerant, honest import: repair what can be repaired, say what was changed, drop only what is absurd.

Used by ``greenmap studyarea build`` (:mod:`layers.studyarea_build`) and by ``greenmap import`` /
:func:`layers.import_layer` (``tolerant=True``). Every step counts what it did in a :class:`Tally`, one row of
the build report:

* a feature without a name gets a stable label (``未命名公园 unnamed park · osm:way/123``);
* invalid geometry is repaired with ``make_valid`` (polygon layers keep the polygonal part) and counted;
* unclosed rings (GeoJSON that GDAL refuses) are closed by :func:`read_json_lenient` and reported;
* features crossing the study extent are clipped to it (parks: the district plus a stated margin) and counted;
* a feature absurd for its layer (wider than ``max_extent_m``) is dropped with its id and the reason;
* duplicate ids get a suffix (``#2``) and are reported.

Geometry work here takes and returns arrays; metric measures are made in the caller's metric CRS.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import LayerError, Problem

__all__ = [
    "Tally",
    "clip_to",
    "dedupe_ids",
    "drop_absurd",
    "label_unnamed",
    "polygonal",
    "read_json_lenient",
    "repair_invalid",
    "tolerate_attributes",
    "tolerate_geometry",
]

_POLY_IDS = (3, 6)  # shapely type ids of Polygon, MultiPolygon
_LINE_IDS = (1, 5)


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
        shown = ", ".join(map(str, list(ids)[:8])) + (" …" if len(ids) > 8 else "")
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


def polygonal(g: shapely.Geometry | None) -> shapely.Geometry | None:
    """The polygonal part of a geometry (a collection from ``make_valid`` or a clip), or an empty polygon.

    >>> from shapely import GeometryCollection, LineString, box
    >>> polygonal(GeometryCollection([box(0, 0, 1, 1), LineString([(0, 0), (2, 2)])])).area
    1.0
    """
    if g is None or shapely.get_type_id(g) in _POLY_IDS:
        return g
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in _POLY_IDS]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _lineal(g: shapely.Geometry | None) -> shapely.Geometry | None:
    if g is None or shapely.get_type_id(g) in _LINE_IDS:
        return g
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in _LINE_IDS]
    if not parts:
        return shapely.LineString()
    merged = shapely.line_merge(shapely.MultiLineString(parts))
    return merged


def _keep_kind(geoms: np.ndarray, kind: str) -> np.ndarray:
    if kind == "polygon":
        return np.array([polygonal(g) for g in geoms], dtype=object)
    if kind == "line":
        return np.array([_lineal(g) for g in geoms], dtype=object)
    return geoms


def repair_invalid(
    geoms: np.ndarray, kind: str = "polygon"
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Repair invalid geometries with ``make_valid``.

    Parameters
    ----------
    geoms : array of shapely geometries
    kind : {"polygon", "line", "point"}
        What the layer holds: the repaired result keeps only that part.

    Returns
    -------
    geoms, repaired, reasons
        New array, boolean mask of the repaired ones, GEOS' reason per repaired geometry.

    >>> bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    >>> out, mask, why = repair_invalid(np.array([bowtie, shapely.box(0, 0, 1, 1)]))
    >>> mask.tolist(), round(out[0].area, 2), why[0].startswith("Self-intersection")
    ([True, False], 0.5, True)
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    invalid = present & ~shapely.is_valid(geoms)
    reasons = [str(r) for r in shapely.is_valid_reason(geoms[invalid])]
    if invalid.any():
        geoms[invalid] = _keep_kind(shapely.make_valid(geoms[invalid]), kind)
    return geoms, invalid, reasons


def drop_absurd(metric_geoms: np.ndarray, max_extent_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Features wider or taller than ``max_extent_m`` (metres, bounding box in a metric CRS).

    Returns the mask of absurd features and the extent (m) of every feature.

    >>> mask, ext = drop_absurd(np.array([shapely.box(0, 0, 50, 20), shapely.box(0, 0, 22000, 5)]), 10000)
    >>> mask.tolist(), ext.tolist()
    ([False, True], [50.0, 22000.0])
    """
    b = shapely.bounds(np.asarray(metric_geoms, dtype=object))
    with np.errstate(invalid="ignore"):  # missing geometries have NaN bounds: extent 0
        ext = np.fmax(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    ext = np.nan_to_num(ext, nan=0.0)
    return ext > max_extent_m, ext


def clip_to(
    geoms: np.ndarray, region: shapely.Geometry, kind: str = "polygon"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clip geometries to ``region`` (same CRS): those not inside it are intersected with it.

    Returns
    -------
    geoms, clipped, outside
        The new array, the mask of features that were cut, and of those wholly outside (now empty).

    >>> region = shapely.box(0, 0, 10, 10)
    >>> g, c, o = clip_to(np.array([shapely.box(1, 1, 2, 2), shapely.box(8, 8, 12, 12), shapely.box(20, 20, 21, 21)]), region)
    >>> c.tolist(), o.tolist(), g[1].area
    ([False, True, False], [False, False, True], 4.0)
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    shapely.prepare(region)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    inside = np.zeros(len(geoms), dtype=bool)
    inside[present] = shapely.covers(region, geoms[present])
    touching = np.zeros(len(geoms), dtype=bool)
    touching[present] = shapely.intersects(region, geoms[present])
    outside = present & ~touching
    cut = present & touching & ~inside
    if cut.any():
        geoms[cut] = _keep_kind(shapely.intersection(geoms[cut], region), kind)
        gone = shapely.is_empty(geoms) & cut
        if kind == "polygon":
            gone |= cut & (shapely.area(geoms) <= 0)
        outside |= gone
        cut &= ~gone
    return geoms, cut, outside


def label_unnamed(
    names: Sequence[Any] | np.ndarray, ids: Sequence[Any] | np.ndarray, label: str
) -> tuple[np.ndarray, int]:
    """Names with blanks replaced by ``"<label> · <id>"`` (stable: the label depends only on the id).

    >>> label_unnamed(["景山公园", None, " "], ["osm:way/1", "osm:way/2", "osm:way/3"], "未命名公园 unnamed park")
    (array(['景山公园', '未命名公园 unnamed park · osm:way/2', '未命名公园 unnamed park · osm:way/3'],
          dtype=object), 2)
    """
    out = np.array([None if pd.isna(n) else str(n).strip() for n in names], dtype=object)
    blank = np.array([not n for n in out], dtype=bool)
    for i in np.flatnonzero(blank):
        out[i] = f"{label} · {ids[int(i)]}"
    return out, int(blank.sum())


def dedupe_ids(ids: Sequence[Any]) -> tuple[np.ndarray, list[str]]:
    """Unique ids: the second and later copies of an id get ``#2``, ``#3`` …; returns the ids that repeated.

    >>> dedupe_ids(["a", "b", "a", "a"])
    (array(['a', 'b', 'a#2', 'a#3'], dtype=object), ['a'])
    """
    seen: dict[str, int] = {}
    out = np.empty(len(ids), dtype=object)
    dups: list[str] = []
    taken = {str(i) for i in ids}
    for n, raw in enumerate(ids):
        key = str(raw)
        count = seen.get(key, 0) + 1
        seen[key] = count
        if count == 1:
            out[n] = key
            continue
        if count == 2:
            dups.append(key)
        new = f"{key}#{count}"
        while new in taken:
            count += 1
            new = f"{key}#{count}"
        taken.add(new)
        out[n] = new
    return out, dups


# ------------------------------------------------------------------------------------------ reading
def _close_ring(ring: list[Any]) -> tuple[list[Any], bool]:
    if len(ring) >= 1 and list(ring[0]) != list(ring[-1]):
        return [*ring, ring[0]], True
    return ring, False


def _close_rings(geom: dict[str, Any]) -> tuple[int, int]:
    """Close the rings of a GeoJSON (Multi)Polygon in place; (rings closed, degenerate rings removed).

    A ring with fewer than 3 distinct positions encloses nothing: it is removed (a polygon whose exterior
    goes loses its holes too).
    """
    kind = geom.get("type")
    if kind == "GeometryCollection":
        counts = [_close_rings(g) for g in geom.get("geometries") or []]
        return sum(c[0] for c in counts), sum(c[1] for c in counts)
    if kind not in ("Polygon", "MultiPolygon"):
        return 0, 0
    polys = [geom.get("coordinates") or []] if kind == "Polygon" else geom.get("coordinates") or []
    closed_n = removed = 0
    kept_polys = []
    for poly in polys:
        rings = []
        for j, ring in enumerate(poly):
            ring, closed = _close_ring(ring)
            closed_n += closed
            if len(ring) < 4:
                if j == 0:  # the exterior: the polygon goes, holes included
                    removed += len(poly)
                    break
                removed += 1
                continue
            rings.append(ring)
        if rings:
            kept_polys.append(rings)
    if kind == "Polygon":
        geom["coordinates"] = kept_polys[0] if kept_polys else []
    else:
        geom["coordinates"] = kept_polys
    return closed_n, removed


def read_json_lenient(path: str | os.PathLike[str]) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read a GeoJSON file with a plain JSON parser, closing unclosed rings (which GDAL refuses).

    Returns the features (CRS as declared by a legacy ``crs`` member, else none) and notes of what was
    changed. Raises :class:`LayerError` naming the file and the feature when a geometry cannot be built.
    """
    p = Path(path)
    name = str(p)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise LayerError([Problem(name, None, None, f"not UTF-8 text: {exc}")]) from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise LayerError([Problem(name, None, None, f"not readable JSON: {exc}")]) from exc
    if not isinstance(doc, dict):
        raise LayerError([Problem(name, None, None, "not a GeoJSON object")])
    feats = doc.get("features") if doc.get("type") == "FeatureCollection" else None
    if feats is None:
        feats = [doc] if doc.get("type") == "Feature" else None
    if feats is None:
        raise LayerError(
            [Problem(name, None, "type", "not a GeoJSON FeatureCollection or Feature")]
        )
    props: list[dict[str, Any]] = []
    geoms = np.empty(len(feats), dtype=object)
    closed_rows: list[int] = []
    degenerate_rows: list[int] = []
    problems: list[Problem] = []
    for i, f in enumerate(feats):
        if not isinstance(f, dict):
            problems.append(Problem(name, i + 1, None, "feature is not a JSON object"))
            props.append({})
            continue
        props.append(dict(f.get("properties") or {}))
        g = f.get("geometry")
        if not g:
            continue
        closed, removed = _close_rings(g)
        if closed:
            closed_rows.append(i + 1)
        if removed:
            degenerate_rows.append(i + 1)
        if not g.get("coordinates") and g.get("type") in ("Polygon", "MultiPolygon"):
            continue  # nothing left: no geometry (the loader reports it)
        try:
            geoms[i] = shapely.geometry.shape(g)
        except Exception as exc:  # shapely raises several types on malformed coordinates
            problems.append(Problem(name, i + 1, "geometry", f"cannot build geometry: {exc}"))
    if problems:
        raise LayerError(problems[:50])
    crs = None
    legacy = doc.get("crs")
    if isinstance(legacy, dict):
        crs = (legacy.get("properties") or {}).get("name")
    gdf = gpd.GeoDataFrame(pd.DataFrame(props), geometry=gpd.GeoSeries(geoms), crs=crs)
    notes = []
    if closed_rows:
        shown = ", ".join(map(str, closed_rows[:10])) + (" …" if len(closed_rows) > 10 else "")
        notes.append(
            f"closed unclosed polygon rings of {len(closed_rows)} features (rows {shown}); "
            "read with a plain JSON reader because GDAL refused the file"
        )
    if degenerate_rows:
        shown = ", ".join(map(str, degenerate_rows[:10])) + (
            " …" if len(degenerate_rows) > 10 else ""
        )
        notes.append(
            f"removed degenerate rings (fewer than 3 distinct points) of {len(degenerate_rows)} "
            f"features (rows {shown})"
        )
    return gdf, notes


# ------------------------------------------------------------------------------------------ import
#: Largest plausible feature (m) per layer for ``greenmap import --tolerant`` (``data/osm/mapping.toml``
#: ``max_extent_m`` of the layer when it has one, else no limit).
def _max_extent(layer: str) -> float | None:
    try:
        from layers.osm_extract import load_mapping

        value = load_mapping().get(layer, {}).get("max_extent_m")
    except LayerError:
        return None
    return float(value) if value is not None else None


def tolerate_attributes(df: pd.DataFrame, schema: Any, name: str) -> tuple[pd.DataFrame, list[str]]:
    """Blank keys numbered, blank names labelled, duplicate keys suffixed, unknown park kinds → ``other``.

    ``schema`` is a :class:`layers.schema.LayerSchema`; returns the frame and notes of every change.
    """
    notes: list[str] = []
    df = df.copy()
    key = schema.key
    if key in df.columns:
        ids = df[key].astype(object).to_numpy(copy=True)
        blank = np.array([pd.isna(v) or not str(v).strip() for v in ids], dtype=bool)
        for i in np.flatnonzero(blank):
            ids[i] = f"row-{i + 1}"
        if blank.any():
            notes.append(f"{int(blank.sum())} features without {key}: numbered row-N by their row")
        new, dups = dedupe_ids(
            [str(v).removesuffix(".0") if isinstance(v, float) else str(v) for v in ids]
        )
        if dups:
            shown = ", ".join(dups[:8]) + (" …" if len(dups) > 8 else "")
            notes.append(f"duplicate {key} resolved with a #n suffix: {shown}")
        if blank.any() or dups:
            df[key] = new
    if key in df.columns and "name_zh" in df.columns and not schema.column("name_zh").nullable:
        label = f"未命名{schema.title_zh} unnamed {schema.title_en.lower()}"
        names, n = label_unnamed(df["name_zh"].to_numpy(), df[key].astype(str).to_numpy(), label)
        if n:
            df["name_zh"] = names
            notes.append(f"{n} features without a name labelled '{label} · <{key}>'")
    if schema.name == "parks" and "kind" in df.columns:
        choices = set(schema.column("kind").choices or ())
        kinds = df["kind"].astype(object)
        bad = kinds.notna() & ~kinds.astype(str).str.strip().isin(choices)
        if bad.any():
            vals = ", ".join(sorted({str(v) for v in kinds[bad]})[:8])
            df.loc[bad, "kind"] = "other"
            notes.append(
                f"{int(bad.sum())} park kinds not of the schema ({vals}) set to 'other' "
                "(greenmap studyarea build guesses the kind from the OSM tag and size)"
            )
    return df, notes


def tolerate_geometry(
    gdf: gpd.GeoDataFrame,
    schema: Any,
    name: str,
    extent: tuple[float, float, float, float] | None,
    metric_crs: str | None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Drop absurd features (wider than the layer's ``max_extent_m``), clip those crossing the extent.

    ``gdf`` is in EPSG:4326. Features wholly outside the extent are dropped and reported when they are a
    minority; when most are outside the file is probably in the wrong CRS and they are left for the loader
    to reject with that message.
    """
    notes: list[str] = []
    if extent is None or not len(gdf):
        return gdf, notes
    geoms = gdf.geometry.array
    present = ~(gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
    kind = (
        "polygon" if all(t in ("Polygon", "MultiPolygon") for t in schema.geometry_types) else "any"
    )
    keys = (
        gdf[schema.key].astype(str).to_numpy() if schema.key in gdf.columns else np.arange(len(gdf))
    )
    drop = np.zeros(len(gdf), dtype=bool)
    if schema.geometry_required and (~present).any():
        rows = np.flatnonzero(~present)
        shown = ", ".join(str(i + 1) for i in rows[:10]) + (" …" if len(rows) > 10 else "")
        notes.append(
            f"dropped {len(rows)} features without geometry (rows {shown}): layer needs one"
        )
        drop |= ~present
    limit = _max_extent(schema.name)
    if limit is not None and metric_crs and present.any():
        metric = np.asarray(
            gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(metric_crs).values, dtype=object
        )
        metric[~present] = None
        absurd, ext = drop_absurd(metric, limit)
        for i in np.flatnonzero(absurd & present):
            notes.append(
                f"row {i + 1} ({schema.key} {keys[i]}): dropped, spans {ext[i] / 1000:.1f} km, more than "
                f"max_extent_m = {limit:g} m for layer {schema.name} (data/osm/mapping.toml)"
            )
        drop |= absurd & present
    box = shapely.box(*extent)
    clipped, cut, outside = clip_to(np.asarray(geoms, dtype=object), box, kind)
    outside &= present & ~drop
    if outside.sum() * 2 > present.sum():
        outside[:] = False  # most features outside: wrong CRS, left for the loader's message
        cut[:] = False
        clipped = np.asarray(geoms, dtype=object)
    for i in np.flatnonzero(outside)[:20]:
        notes.append(
            f"row {i + 1} ({schema.key} {keys[i]}): dropped, wholly outside the study extent"
        )
    if outside.sum() > 20:
        notes.append(f"... {int(outside.sum()) - 20} more features outside the extent dropped")
    drop |= outside
    n_cut = int((cut & ~drop).sum())
    if n_cut:
        notes.append(f"clipped {n_cut} features crossing the study extent {extent}")
    out = gdf.copy()
    out = out.set_geometry(gpd.GeoSeries(clipped, index=gdf.index, crs=gdf.crs))
    return out[~drop].reset_index(drop=True), notes
