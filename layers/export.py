"""Exports: every layer and coverage result as RFC 7946 GeoJSON, one GeoPackage, or CSV tables.

Every export carries provenance twice: per feature (``source`` and ``geometry_quality`` columns) and as one
metadata record (:func:`export_metadata`): rule set, as-of year, data vintage (fingerprint and date of the data
files), ``generated_at``, study area, filters and licence/attribution (``© OpenStreetMap contributors (ODbL)``
whenever OSM-derived data is included). Where the record goes:

* GeoJSON: a top-level foreign member ``"metadata"`` of the FeatureCollection (RFC 7946 §6.1);
* GeoPackage: a ``greenmap_metadata`` attribute table (``key``, ``value`` as JSON text) and GDAL dataset
  metadata (stored by GDAL in the standard ``gpkg_metadata`` table);
* CSV: a sidecar ``<stem>.meta.json`` next to the file.

GeoJSON is written in WGS-84 lon/lat with counter-clockwise exterior rings, 7 decimals, no ``crs`` member and
UTF-8 text (Chinese as is, never ``\\uXXXX`` escapes). Features without geometry keep ``"geometry": null``.

>>> import tempfile, json
>>> tmp = Path(tempfile.mkdtemp())
>>> report = export("subdistricts", "geojson", tmp / "sd.geojson")
>>> doc = json.loads((tmp / "sd.geojson").read_text(encoding="utf-8"))
>>> len(doc["features"]), doc["metadata"]["study_area"]["name"], "crs" in doc
(15, 'xicheng', False)
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import LayerError, Problem
from layers.io import read_layer, write_layer
from layers.schema import GEOMETRY_QUALITIES, SCHEMAS
from layers.studyarea import StudyArea, resolve_area

__all__ = [
    "COVERAGE_RESULTS",
    "FORMATS",
    "OSM_ATTRIBUTION",
    "CoverageResults",
    "ExportReport",
    "coverage_results",
    "export",
    "export_metadata",
    "feature_collection",
    "filter_layer",
    "layer_names",
    "progress",
    "write_csv",
    "write_geojson",
    "write_gpkg",
]

#: Attribution required for anything derived from OpenStreetMap.
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
#: Output formats of :func:`export`.
FORMATS: tuple[str, ...] = ("geojson", "gpkg", "csv")
#: Names of the coverage results (layers and the table) produced by :func:`coverage_results`.
COVERAGE_RESULTS: tuple[str, ...] = (
    "coverage-subdistricts",
    "coverage-residential",
    "coverage-service-areas",
    "coverage-table",
)
_COMPUTED = "本工具计算 computed by GreenMap Xicheng"
_QUALITY_RANK = {q: i for i, q in enumerate(GEOMETRY_QUALITIES)}

T = TypeVar("T")


# ------------------------------------------------------------------------------------------ progress
def progress(items: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar on stderr: ``tqdm`` when installed, else ``desc: i/n`` lines.

    Examples
    --------
    >>> list(progress([1, 2], "demo", total=2))
    [1, 2]
    """
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is normally installed
        n = total if total is not None else (len(items) if isinstance(items, Sized) else None)
        for i, item in enumerate(items, 1):
            print(f"{desc}: {i}/{n if n is not None else '?'}", file=sys.stderr, flush=True)
            yield item
        return
    yield from tqdm(items, desc=desc, total=total, file=sys.stderr, leave=False)


# ------------------------------------------------------------------------------------------ metadata
def _study(area: StudyArea | str | None) -> StudyArea:
    return resolve_area(area)


def _file_vintage(paths: Iterable[Path]) -> dict[str, Any]:
    digest = hashlib.sha256()
    files = []
    latest = None
    for p in sorted(set(paths)):
        if not p.exists():
            continue
        data = p.read_bytes()
        h = hashlib.sha256(data).hexdigest()
        digest.update(p.name.encode() + b"\0" + h.encode())
        mtime = _dt.datetime.fromtimestamp(p.stat().st_mtime, tz=_dt.UTC)
        latest = mtime if latest is None or mtime > latest else latest
        files.append(
            {
                "file": p.name,
                "sha256": h[:16],
                "modified": mtime.date().isoformat(),
                "bytes": len(data),
            }
        )
    return {
        "fingerprint": digest.hexdigest()[:16],
        "date": latest.date().isoformat() if latest else None,
        "date_basis": "newest modification date of the data files",
        "files": files,
    }


def _layer_files(study: StudyArea, user_data: Path | None) -> list[Path]:
    from layers.io import _override_path, user_dir

    out = []
    for name in study.layers:
        over = _override_path(study, name, user_data or user_dir())
        out.append(over or study.path(name))
    return out


def _is_osm(df: pd.DataFrame) -> bool:
    if "geometry_quality" in df.columns and (df["geometry_quality"].astype(str) == "osm").any():
        return True
    if "source" in df.columns:
        text = df["source"].dropna().astype(str)
        return bool(text.str.contains(r"OpenStreetMap|\bOSM\b", regex=True).any())
    return False


def export_metadata(
    area: StudyArea | str | None = None,
    *,
    frames: Mapping[str, pd.DataFrame] | None = None,
    rule: Any = None,
    year: int | None = None,
    filters: Mapping[str, Any] | None = None,
    user_data: Path | None = None,
) -> dict[str, Any]:
    """The metadata record of an export.

    Parameters
    ----------
    area : StudyArea or str
        Study area.
    frames : mapping of str to DataFrame, optional
        The exported layers by name: their ``source`` and ``geometry_quality`` decide the attribution
        (OpenStreetMap's whenever one feature is OSM-derived) and give feature counts.
    rule : RuleSet, optional
        Coverage rule set (id, titles, citation, citation status are recorded).
    year : int, optional
        As-of year of the data or scenario.
    filters : mapping, optional
        Filters applied (``subdistrict``, ``status``, ``category``, ``year``).
    user_data : Path, optional
        Folder of imported layers (its files count in the data vintage).

    Returns
    -------
    dict
        JSON-ready: ``title``, ``generated_at`` (UTC ISO 8601), ``study_area``, ``rule_set``, ``year``,
        ``filters``, ``data_vintage`` (``fingerprint``: SHA-256 prefix over the data files, ``date``: newest
        file date, ``files``), ``layers`` (name → feature count and geometry qualities), ``crs``,
        ``licence``, ``attribution`` (list of str).

    Examples
    --------
    >>> md = export_metadata("xicheng", year=2020)
    >>> md["study_area"]["metric_crs"], md["year"], len(md["data_vintage"]["fingerprint"])
    ('EPSG:4548', 2020, 16)
    """
    study = _study(area)
    frames = dict(frames or {})
    attribution = [
        "GreenMap Xicheng 西城区城市更新与绿化地图服务: layer sources are cited per feature (`source`)."
    ]
    osm = any(_is_osm(df) for df in frames.values())
    if osm:
        attribution.append(OSM_ATTRIBUTION + ", https://www.openstreetmap.org/copyright")
    layers_md: dict[str, Any] = {}
    for name, df in frames.items():
        entry: dict[str, Any] = {"features": len(df)}
        if "geometry_quality" in df.columns:
            entry["geometry_quality"] = {
                str(k): int(v) for k, v in df["geometry_quality"].value_counts().items()
            }
        layers_md[name] = entry
    rule_md = None
    if rule is not None:
        rule_md = {
            k: getattr(rule, k, None)
            for k in ("id", "title_zh", "title_en", "citation", "citation_status")
        }
    return {
        "title": f"GreenMap export: {study.title_zh} {study.title_en}",
        "generated_at": _dt.datetime.now(tz=_dt.UTC).replace(microsecond=0).isoformat(),
        "generator": "greenmap-xicheng",
        "study_area": {
            "name": study.name,
            "title_zh": study.title_zh,
            "title_en": study.title_en,
            "code": study.code,
            "metric_crs": study.metric_crs,
            "extent": list(study.extent),
        },
        "rule_set": rule_md,
        "year": year,
        "filters": {k: v for k, v in (filters or {}).items() if v is not None},
        "data_vintage": _file_vintage(_layer_files(study, user_data)),
        "layers": layers_md,
        "crs": "EPSG:4326 (WGS-84 lon/lat; metric work in " + study.metric_crs + ")",
        "licence": (
            "Data: as cited per feature; OpenStreetMap-derived data under the Open Database "
            "License (ODbL) 1.0. Computed results: see the rule set's citation."
        ),
        "attribution": attribution,
    }


# ------------------------------------------------------------------------------------------ filters
def _codes_match(values: pd.Series, code: str) -> np.ndarray:
    text = values.astype("string").fillna("")
    return np.asarray(
        text.str.split(";").map(lambda xs: code in [x.strip() for x in xs]), dtype=bool
    )


def filter_layer(
    df: pd.DataFrame,
    name: str,
    *,
    subdistrict: str | None = None,
    status: str | None = None,
    category: str | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """Rows of a layer or result that match the filters (``None`` = no filter).

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
        The layer.
    name : str
        Its name (used in error messages).
    subdistrict : str, optional
        9-digit 街道 code: matched against ``subdistrict_code``, ``subdistrict_codes`` (``;`` lists),
        ``code`` (the 街道 layer) or ``unit_code`` (coverage results).
    status : str, optional
        ``latest_status`` of projects, ``status`` of parks (or the project status as of ``year``).
    category : str, optional
        ``category`` of projects, ``kind`` of parks.
    year : int, optional
        Projects: status taken as of ``year`` from ``status_history`` and projects started after ``year``
        dropped; parks: parks opened after ``year`` dropped; tables with a ``year`` column: that year only.

    Returns
    -------
    DataFrame or GeoDataFrame
        The matching rows (a copy).

    Raises
    ------
    LayerError
        When a filter does not apply to the layer (naming the parameter).

    Examples
    --------
    >>> parks = read_layer("parks")
    >>> len(filter_layer(parks, "parks", subdistrict="110102001")) <= len(parks)
    True
    >>> filter_layer(parks, "parks", category="no_such_kind").empty
    True
    """
    out = df
    cols = set(df.columns)

    def bad(param: str, why: str) -> LayerError:
        return LayerError([Problem(name, None, param, why)])

    if subdistrict is not None:
        code = str(subdistrict).strip()
        for col in ("subdistrict_code", "subdistrict_codes", "code", "unit_code"):
            if col in cols:
                out = out[_codes_match(out[col], code)]
                break
        else:
            raise bad("subdistrict", f"layer '{name}' has no 街道 column to filter on")
    st_col = None
    if year is not None:
        if "status_history" in cols:
            from geo.scenarios import status_in_year

            as_of = [
                status_in_year(h, int(year)) if isinstance(h, str) and h.strip() else None
                for h in out["status_history"]
            ]
            out = out.copy()
            out["status_as_of"] = pd.Series(as_of, index=out.index, dtype=object).fillna(
                out["latest_status"].astype(object)
                if "latest_status" in out.columns
                else pd.Series(None, index=out.index, dtype=object)
            )
            st_col = "status_as_of"
            if "start_year" in cols:
                sy = pd.to_numeric(out["start_year"], errors="coerce")
                out = out[~(sy > year).fillna(False).to_numpy(dtype=bool)]
        elif "opened_year" in cols:
            oy = pd.to_numeric(out["opened_year"], errors="coerce")
            out = out[~(oy > year).fillna(False).to_numpy(dtype=bool)]
        elif "year" in cols:
            out = out[(pd.to_numeric(out["year"], errors="coerce") == year).to_numpy()]
        else:
            raise bad("year", f"layer '{name}' has no year to filter on")
    if status is not None:
        st = st_col or next((c for c in ("latest_status", "status") if c in cols), None)
        if st is None:
            raise bad("status", f"layer '{name}' has no status column")
        out = out[(out[st].astype("string") == status).fillna(False).to_numpy()]
    if category is not None:
        cat = next((c for c in ("category", "kind") if c in cols), None)
        if cat is None:
            raise bad("category", f"layer '{name}' has no category/kind column")
        out = out[(out[cat].astype("string") == category).fillna(False).to_numpy()]
    return out.copy()


# ------------------------------------------------------------------------------------------ coverage
@dataclass
class CoverageResults:
    """Coverage results of a study area under one rule, as exportable layers (EPSG:4326).

    Attributes
    ----------
    rule : RuleSet
        The rule set used.
    year : int or None
        As-of year (parks plus green projects done by then), ``None`` for the parks layer as is.
    layers : dict
        ``coverage-subdistricts`` (街道 polygons with rates; absent without a 街道 layer),
        ``coverage-residential`` (residential land split covered / not covered),
        ``coverage-service-areas`` (dissolved service areas per radius) and ``coverage-table`` (a
        DataFrame: :func:`geo.indicator.coverage_table`). Every frame has ``source`` and
        ``geometry_quality``.
    """

    rule: Any
    year: int | None
    layers: dict[str, pd.DataFrame] = field(default_factory=dict)


def _worst_quality(*frames: pd.DataFrame | None) -> str:
    qualities = set()
    for df in frames:
        if df is not None and "geometry_quality" in df.columns and len(df):
            qualities |= {q for q in df["geometry_quality"].dropna().astype(str) if q != "none"}
    if not qualities:
        return "approximate"
    return max(qualities, key=lambda q: _QUALITY_RANK.get(q, len(_QUALITY_RANK)))


def coverage_results(
    area: StudyArea | str | None = None,
    *,
    rule: Any = None,
    year: int | None = None,
    include_planned: bool = False,
    frames: Mapping[str, gpd.GeoDataFrame] | None = None,
    user_data: Path | None = None,
) -> CoverageResults:
    """Compute the park service-radius coverage of a study area and return it as layers.

    Parameters
    ----------
    area : StudyArea or str
        Study area (its ``metric_crs`` is used for distances and areas).
    rule : RuleSet or str, optional
        Rule set or its id (default the study area's ``default_rule``).
    year : int, optional
        As-of year: parks opened by then plus green projects done by then (:func:`geo.scenarios.parks_as_of`).
    include_planned : bool
        With ``year``: also count planned green projects due by then.
    frames : mapping, optional
        Layers to use instead of reading them (``residential``, ``parks``; optional ``subdistricts``,
        ``historic_blocks``, ``projects``), in any CRS.
    user_data : Path, optional
        Folder of imported layers.

    Returns
    -------
    CoverageResults

    Examples
    --------
    >>> res = coverage_results("xicheng", rule="xicheng-2016")
    >>> sorted(res.layers)
    ['coverage-residential', 'coverage-service-areas', 'coverage-subdistricts', 'coverage-table']
    >>> len(res.layers["coverage-subdistricts"])
    15
    """
    from geo.indicator import coverage_layers
    from geo.scenarios import scenario_parks
    from layers.rules import load_rule

    study = _study(area)
    rs = load_rule(rule or study.default_rule) if rule is None or isinstance(rule, str) else rule
    if rs.network is not None or rs.barriers:
        # Never export the Euclidean figures under a network rule's name.
        raise LayerError(
            [
                Problem(
                    study.name,
                    None,
                    "rule",
                    f"rule '{rs.id}' is measured along streets; its coverage is not exported as layers "
                    f"yet — use `greenmap coverage --area {study.name} --rule {rs.id} --format csv|json` "
                    "or greenmap.analysis.coverage_table",
                )
            ]
        )
    given = dict(frames or {})

    def get(name: str, required: bool) -> gpd.GeoDataFrame | None:
        if name in given:
            return given[name]
        if name not in study.layers:
            if required:
                raise LayerError(
                    [Problem(study.name, None, name, f"study area has no '{name}' layer")]
                )
            return None
        return read_layer(name, study, user_data=user_data)

    m = study.metric_crs
    res = get("residential", True)
    parks = get("parks", True)
    assert res is not None and parks is not None
    subs = get("subdistricts", False)
    blocks = get("historic_blocks", False)
    parks_m = parks.to_crs(m)
    projects = get("projects", False) if year is not None else None
    scenario_year = int(year) if projects is not None and year is not None else None
    if year is not None and projects is None:
        # No projects layer: the parks of the year are those opened by then.
        oy = pd.to_numeric(parks_m.get("opened_year"), errors="coerce")
        parks_m = (
            parks_m[~(oy > year).fillna(False).to_numpy(dtype=bool)] if oy is not None else parks_m
        )
    blocks_m = blocks.to_crs(m) if blocks is not None else None
    pr = scenario_parks(
        parks_m,
        rs,
        projects=projects.to_crs(m) if projects is not None else None,
        year=scenario_year,
        include_planned=include_planned,
        historic_blocks=blocks_m,
    )
    lay = coverage_layers(
        res.to_crs(m),
        pr,
        subdistricts=subs.to_crs(m) if subs is not None else None,
        historic_blocks=blocks_m,
        rule=rs,
        district_code=study.code or "district",
    )
    src = f"{_COMPUTED}: rule {rs.id} ({rs.citation})" + (f", as of {year}" if year else "")
    if any(_is_osm(df) for df in (res, parks, subs, blocks) if df is not None):
        src += f"; inputs include data {OSM_ATTRIBUTION}"
    out: dict[str, pd.DataFrame] = {}
    if lay.subdistricts is not None and subs is not None:
        sl = lay.subdistricts.to_crs("EPSG:4326")
        qual = subs.set_index("code")["geometry_quality"].astype(str)
        sl["rule_id"] = rs.id
        sl["year"] = pd.array([year] * len(sl), dtype="Int64")
        sl["source"] = src
        sl["geometry_quality"] = sl["code"].astype(str).map(qual).fillna("approximate").to_numpy()
        out["coverage-subdistricts"] = sl
    rl = lay.residential.to_crs("EPSG:4326")
    rl.insert(
        0,
        "part_id",
        [
            f"{c or 'none'}:{'h' if h else 'n'}:{'covered' if v else 'uncovered'}"
            for c, h, v in zip(
                rl["subdistrict_code"], rl["in_historic_block"], rl["covered"], strict=True
            )
        ],
    )
    rl["rule_id"] = rs.id
    rl["source"] = src
    rl["geometry_quality"] = _worst_quality(res, pr)
    out["coverage-residential"] = rl
    sa = lay.service_areas.to_crs("EPSG:4326")
    sa.insert(0, "radius_id", [f"{r:g}m" for r in sa["radius_m"]])
    sa["rule_id"] = rs.id
    sa["source"] = src
    sa["geometry_quality"] = _worst_quality(pr)
    out["coverage-service-areas"] = sa
    table = pd.DataFrame(lay.table).copy()
    table.insert(
        0,
        "row_id",
        [
            f"{s}:{c}:{v}"
            for s, c, v in zip(table["scope"], table["unit_code"], table["variant"], strict=True)
        ],
    )
    table["year"] = pd.array([year] * len(table), dtype="Int64")
    table["source"] = src
    out["coverage-table"] = table
    return CoverageResults(rule=rs, year=year, layers=out)


# ------------------------------------------------------------------------------------------ writers
def _json_value(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, pd.Timestamp | _dt.date):
        return v.isoformat()
    return v


def _round_geoms(geoms: np.ndarray, decimals: int = 7) -> np.ndarray:
    oriented = shapely.orient_polygons(geoms, exterior_cw=False)
    return shapely.transform(oriented, lambda xy: np.round(xy, decimals))


def feature_collection(
    gdf: gpd.GeoDataFrame,
    *,
    id_column: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    decimals: int = 7,
) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection as a dict (EPSG:4326, CCW exterior rings, rounded coordinates).

    Parameters
    ----------
    gdf : GeoDataFrame
        Features in any CRS (converted to EPSG:4326); missing geometry becomes ``null``.
    id_column : str, optional
        Column whose value becomes each feature's ``id``.
    metadata : mapping, optional
        Stored as the top-level foreign member ``"metadata"``.
    decimals : int
        Coordinate decimals (7 ≈ 1 cm).

    Examples
    --------
    >>> g = gpd.GeoDataFrame({"k": ["a", "b"], "n": [1.5, float("nan")]},
    ...     geometry=[shapely.box(0, 0, 1, 1), None], crs="EPSG:4326")
    >>> fc = feature_collection(g, id_column="k")
    >>> fc["features"][0]["id"], fc["features"][1]["geometry"], fc["features"][1]["properties"]["n"]
    ('a', None, None)
    >>> fc["features"][0]["geometry"]["coordinates"][0][:2]
    [[1.0, 0.0], [1.0, 1.0]]
    """
    g = gdf if gdf.crs is None else gdf.to_crs("EPSG:4326")
    geoms = np.asarray(g.geometry.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    texts = np.full(len(geoms), None, dtype=object)
    if present.any():
        texts[present] = shapely.to_geojson(_round_geoms(geoms[present], decimals))
    props = pd.DataFrame(g.drop(columns=g.geometry.name))
    cols = list(props.columns)
    rows = props.astype(object).to_numpy()
    features = []
    for i in range(len(g)):
        p = {c: _json_value(rows[i, j]) for j, c in enumerate(cols)}
        f: dict[str, Any] = {"type": "Feature"}
        if id_column is not None:
            f["id"] = p.get(id_column)
        f["properties"] = p
        f["geometry"] = json.loads(texts[i]) if texts[i] is not None else None
        features.append(f)
    out: dict[str, Any] = {"type": "FeatureCollection"}
    if metadata is not None:
        out["metadata"] = dict(metadata)
    out["features"] = features
    return out


def _key_of(name: str, df: pd.DataFrame) -> str | None:
    if name in SCHEMAS:
        return SCHEMAS[name].key
    for col in ("part_id", "radius_id", "row_id", "code"):
        if col in df.columns:
            return col
    return None


def write_geojson(
    gdf: gpd.GeoDataFrame, path: str | os.PathLike[str], metadata: Mapping[str, Any]
) -> Path:
    """Write RFC 7946 GeoJSON (via GDAL's RFC7946 writer) with a top-level ``"metadata"`` member.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer (any CRS; written in EPSG:4326, 7 decimals, counter-clockwise exterior rings).
    path : path
        Output file.
    metadata : mapping
        The record of :func:`export_metadata`.

    Returns
    -------
    Path
    """
    path = Path(path)
    write_layer(gdf, path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc.pop("crs", None)
    out = {"type": "FeatureCollection", "metadata": dict(metadata)}
    out.update({k: v for k, v in doc.items() if k != "type"})
    path.write_text(
        json.dumps(out, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n",
        encoding="utf-8",
    )
    return path


def _table_for_file(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(df).copy()
    for c in out.columns:
        if str(out[c].dtype) == "boolean":
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def write_csv(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    metadata: Mapping[str, Any],
    *,
    bom: bool = False,
    geometry: Literal["wkt", "none"] = "wkt",
) -> Path:
    """Write a table (or a layer's attributes) as UTF-8 CSV plus a sidecar ``<stem>.meta.json``.

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
        The table. A GeoDataFrame's geometry becomes a WKT ``geometry`` column in EPSG:4326 with 7 decimals
        (``geometry="wkt"``) or is dropped (``"none"``).
    path : path
        Output CSV.
    metadata : mapping
        The record of :func:`export_metadata`.
    bom : bool
        Start the file with a UTF-8 byte order mark, so Excel opens Chinese text correctly.
    geometry : {"wkt", "none"}

    Returns
    -------
    Path
        The CSV file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(df).copy()
    if isinstance(df, gpd.GeoDataFrame):
        gname = df.geometry.name
        g = df.to_crs("EPSG:4326") if df.crs is not None else df
        frame = frame.drop(columns=[gname])
        if geometry == "wkt":
            geoms = np.asarray(g.geometry.values, dtype=object)
            present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
            wkt = np.full(len(geoms), None, dtype=object)
            if present.any():
                wkt[present] = shapely.to_wkt(
                    _round_geoms(geoms[present]), rounding_precision=7, trim=True
                )
            frame["geometry"] = wkt
    frame.to_csv(path, index=False, encoding="utf-8-sig" if bom else "utf-8")
    meta = path.with_suffix(".meta.json")
    meta.write_text(
        json.dumps(dict(metadata), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return path


def write_gpkg(
    frames: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    metadata: Mapping[str, Any],
    *,
    show_progress: bool = False,
) -> Path:
    """Write layers and tables into one GeoPackage with a ``greenmap_metadata`` table.

    Parameters
    ----------
    frames : mapping of str to DataFrame/GeoDataFrame
        Layer/table name → data. GeoDataFrames become EPSG:4326 feature tables (layer names use ``_`` for
        ``-``); plain DataFrames attribute tables.
    path : path
        Output ``.gpkg`` (replaced if it exists).
    metadata : mapping
        The record of :func:`export_metadata`: stored as rows ``(key, value)`` of ``greenmap_metadata`` (value:
        JSON text) and as GDAL dataset metadata (``gpkg_metadata``).
    show_progress : bool
        Progress bar on stderr.

    Returns
    -------
    Path
    """
    import pyogrio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    flat = {k: json.dumps(v, ensure_ascii=False) for k, v in metadata.items()}
    md = pd.DataFrame({"key": list(flat), "value": list(flat.values())})
    # GeoPackage 1.3: readable without warnings by GDAL >= 2.2 (the bundled GDAL would write 1.4).
    pyogrio.write_dataframe(
        md,
        path,
        layer="greenmap_metadata",
        driver="GPKG",
        dataset_options={"VERSION": "1.3"},
        dataset_metadata={
            k: (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
            for k, v in metadata.items()
        },
        layer_metadata={"title": "GreenMap export metadata"},
    )
    items = list(frames.items())
    it: Iterable[tuple[str, pd.DataFrame]] = (
        progress(items, "gpkg", total=len(items)) if show_progress else items
    )
    for name, df in it:
        layer = name.replace("-", "_")
        layer_md = {"title": name, "source": "see the source column"}
        if isinstance(df, gpd.GeoDataFrame):
            g = df.to_crs("EPSG:4326") if df.crs is not None else df.set_crs("EPSG:4326")
            g = g.set_geometry(
                gpd.GeoSeries(
                    shapely.orient_polygons(np.asarray(g.geometry.values), exterior_cw=False),
                    index=g.index,
                    crs="EPSG:4326",
                )
            )
            gtypes = set(g.geometry.dropna().geom_type)
            promote = bool(gtypes) and gtypes <= {"Polygon", "MultiPolygon"}
            pyogrio.write_dataframe(
                _table_for_file(g).pipe(
                    gpd.GeoDataFrame, geometry=g.geometry.name, crs="EPSG:4326"
                ),
                path,
                layer=layer,
                driver="GPKG",
                append=True,
                promote_to_multi=promote or None,
                layer_metadata=layer_md,
            )
        else:
            pyogrio.write_dataframe(
                _table_for_file(df),
                path,
                layer=layer,
                driver="GPKG",
                append=True,
                layer_metadata=layer_md,
            )
    return path


# ------------------------------------------------------------------------------------------ export
def layer_names(area: StudyArea | str | None = None, *, tables: bool = True) -> list[str]:
    """The study area's layers (and tables), in configuration order.

    >>> layer_names("xicheng", tables=False)
    ['district', 'subdistricts', 'parks', 'historic_blocks', 'projects', 'residential']
    """
    study = _study(area)
    return [n for n in study.layers if tables or not SCHEMAS[n].is_table]


@dataclass
class ExportReport:
    """What :func:`export` wrote.

    Attributes
    ----------
    files : list of Path
        Files written (data files and sidecars).
    counts : dict
        Layer name → features written.
    metadata : dict
        The metadata record.
    """

    files: list[Path]
    counts: dict[str, int]
    metadata: dict[str, Any]


def _bad(param: str, why: str) -> LayerError:
    return LayerError([Problem("<export>", None, param, why)])


def export(
    what: str,
    fmt: str,
    path: str | os.PathLike[str],
    *,
    area: StudyArea | str | None = None,
    rule: str | None = None,
    year: int | None = None,
    include_planned: bool = False,
    subdistrict: str | None = None,
    status: str | None = None,
    category: str | None = None,
    bom: bool = False,
    user_data: Path | None = None,
    show_progress: bool = False,
    read: Callable[[str], pd.DataFrame] | None = None,
    filter_rows: Callable[[str, pd.DataFrame], tuple[pd.DataFrame, list[str]]] | None = None,
    extra_metadata: Mapping[str, Any] | None = None,
) -> ExportReport:
    """Export a layer, the coverage results or everything.

    Parameters
    ----------
    what : str
        A layer or table name (``parks``, ``indicators`` …), a coverage result (``coverage-subdistricts``,
        ``coverage-residential``, ``coverage-service-areas``, ``coverage-table``), ``coverage`` (GeoJSON: the
        街道 rates; CSV: the table; GPKG: all coverage results) or ``all`` (GPKG: every layer, table and
        coverage result; GeoJSON/CSV: ``path`` is a folder receiving one file per layer/table).
    fmt : {"geojson", "gpkg", "csv"}
        Output format.
    path : path
        Output file (folder for ``all`` as GeoJSON/CSV).
    area : StudyArea or str
        Study area.
    rule : str, optional
        Coverage rule set id (default the study area's).
    year : int, optional
        As-of year, for coverage (scenario) and as a filter of layers.
    include_planned : bool
        Coverage: count planned green projects due by ``year``.
    subdistrict, status, category : str, optional
        Filters (see :func:`filter_layer`). Exporting one layer, a filter that does not apply to it is an
        error; exporting several, each layer gets the filters that apply to it (listed per layer as
        ``filters_applied`` in the metadata) and the others leave it unfiltered.
    bom : bool
        CSV: write a UTF-8 byte order mark (for Excel).
    user_data : Path, optional
        Folder of imported layers.
    show_progress : bool
        Progress bar on stderr.
    read : callable, optional
        ``read(name) -> DataFrame`` instead of :func:`layers.read_layer` (e.g. a web app's loader).
    filter_rows : callable, optional
        ``filter_rows(name, frame) -> (frame, applied)`` instead of :func:`filter_layer` for layers and
        tables (not coverage results, which keep the ``subdistrict`` filter): the caller's own filter
        semantics, e.g. the web map's status lists. ``applied`` names the filters used (recorded per
        layer as ``filters_applied``); the filters given are recorded in the metadata either way.
    extra_metadata : mapping, optional
        JSON-ready items added to the metadata record (e.g. ``projects_source``: where the projects
        were read from).

    Returns
    -------
    ExportReport

    Raises
    ------
    LayerError
        Unknown layer, format or filter (naming the parameter).
    """
    study = _study(area)
    if fmt not in FORMATS:
        raise _bad("format", f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    known = layer_names(study)
    targets: list[str]
    if what == "all":
        targets = known + list(COVERAGE_RESULTS)
    elif what == "coverage":
        targets = {
            "geojson": ["coverage-subdistricts"],
            "csv": ["coverage-table"],
            "gpkg": list(COVERAGE_RESULTS),
        }[fmt]
    elif what in known or what in COVERAGE_RESULTS:
        targets = [what]
    else:
        raise _bad(
            "layer",
            f"unknown layer {what!r}; use one of {', '.join(known + list(COVERAGE_RESULTS))}, "
            "coverage or all",
        )
    is_table = (what in SCHEMAS and SCHEMAS[what].is_table) or what == "coverage-table"
    if fmt == "geojson" and len(targets) == 1 and what != "all" and is_table:
        raise _bad("format", f"{what!r} is a table without geometry: export it as csv or gpkg")
    filters: dict[str, Any] = {
        "subdistrict": subdistrict,
        "status": status,
        "category": category,
        "year": year,
    }
    reader = read or (lambda n: read_layer(n, study, user_data=user_data))
    cov: CoverageResults | None = None
    frames: dict[str, pd.DataFrame] = {}
    applied: dict[str, list[str]] = {}
    single = len(targets) == 1
    for name in progress(targets, "export", total=len(targets)) if show_progress else targets:
        if name in COVERAGE_RESULTS:
            if cov is None:
                cov = coverage_results(
                    study,
                    rule=rule,
                    year=year,
                    include_planned=include_planned,
                    frames={
                        n: reader(n)
                        for n in (
                            "residential",
                            "parks",
                            "subdistricts",
                            "historic_blocks",
                            "projects",
                        )
                        if n in study.layers
                    },
                )
            if name not in cov.layers:
                if single:
                    raise _bad("layer", f"{name} is not available for study area {study.name}")
                continue
            df = cov.layers[name]
            flt = {k: v for k, v in filters.items() if k == "subdistrict"}
        else:
            df = reader(name)
            flt = filters
        active = {k: v for k, v in flt.items() if v is not None}
        if filter_rows is not None and name not in COVERAGE_RESULTS:
            df, applied[name] = filter_rows(name, df)
            frames[name] = df
            continue
        try:
            df = filter_layer(df, name, **active)
            applied[name] = sorted(active)
        except LayerError:
            if single:
                raise
            # Multi-layer export: apply the filters that fit this layer, leave the others out.
            applied[name] = []
            for k, v in active.items():
                try:
                    df = filter_layer(df, name, **{k: v})
                    applied[name].append(k)
                except LayerError:
                    pass
        frames[name] = df
    rule_obj = cov.rule if cov is not None else None
    md = export_metadata(
        study, frames=frames, rule=rule_obj, year=year, filters=filters, user_data=user_data
    )
    for name, keys in applied.items():
        if name in md["layers"] and any(v is not None for v in filters.values()):
            md["layers"][name]["filters_applied"] = keys
    md.update(extra_metadata or {})
    path = Path(path)
    files: list[Path] = []
    if fmt == "gpkg":
        files.append(write_gpkg(frames, path, md, show_progress=show_progress))
    elif single:
        df = frames[targets[0]]
        if fmt == "geojson":
            assert isinstance(df, gpd.GeoDataFrame)
            files.append(write_geojson(df, path, md))
        else:
            files.append(write_csv(df, path, md, bom=bom))
            files.append(path.with_suffix(".meta.json"))
    else:
        path.mkdir(parents=True, exist_ok=True)
        for name, df in frames.items():
            if fmt == "geojson" and isinstance(df, gpd.GeoDataFrame):
                files.append(write_geojson(df, path / f"{name}.geojson", md))
            else:
                files.append(write_csv(df, path / f"{name}.csv", md, bom=bom))
                files.append(path / f"{name}.meta.json")
    return ExportReport(files=files, counts={k: len(v) for k, v in frames.items()}, metadata=md)
