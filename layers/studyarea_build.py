"""Build a study area from the files people have: an OSM extract, a street network and a boundary file.

``build_study_area("xicheng-osm", osm=".../bbbike-shp", streets=".../xicheng_drive.graphml",
boundaries=".../xicheng_15_streets_osm.geojson", inherit="xicheng")`` writes
``<user_data>/studyareas/xicheng-osm.toml`` and the layers in ``<user_data>/xicheng-osm/``:

* ``district`` (union of the units of the boundary file), ``subdistricts`` (the units; with ``inherit`` and
  matching NBS codes the published attributes of the inherited area are kept and only the geometry is taken
  from the file);
* ``parks``, ``residential``, ``water`` (polygons), ``barriers`` (rail outside tunnels, rivers and canals,
  motorways and trunk roads), ``streets`` (named centrelines), ``places`` (named points), chosen by
  ``data/osm/mapping.toml`` and repaired by :mod:`layers.repair`;
* with ``inherit``: the non-OSM layers and tables of a shipped area (``projects``, ``historic_blocks``,
  ``indicators``, ``indicator_definitions``), so the map, panel and reported series still work;
* the GraphML street network, copied and named in the TOML's ``[network]`` table.

Every feature has ``source`` and ``geometry_quality`` (``osm`` unless given) and the area carries the ODbL
attribution. Writing is atomic: everything is built and validated in a temporary folder, then renamed into
place; a failure leaves nothing half-written. :class:`BuildReport` says per layer what was read, kept,
repaired, clipped and dropped, and why.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import crs as gcrs
from layers.errors import LayerError, Problem
from layers.osm_extract import load_mapping, read_extract, read_graphml_edges
from layers.osm_layers import (
    OSM_SHORT,
    BuildContext,
    barriers_layer,
    parks_layer,
    places_layer,
    residential_layer,
    streets_layer,
    water_layer,
)
from layers.repair import Tally, polygonal, read_json_lenient, repair_invalid
from layers.schema import SCHEMAS
from layers.studyarea import (
    DATA_ROOT,
    ODBL_ATTRIBUTION,
    StudyArea,
    check_area_name,
    load_study_area,
    user_area_paths,
    user_data_dir,
)

__all__ = [
    "INHERITED_LAYERS",
    "BuildReport",
    "build_from_shared",
    "build_study_area",
    "shared_inputs",
]

#: Layers and tables an OSM-built area takes from the area it inherits from.
INHERITED_LAYERS = ("projects", "historic_blocks", "indicators", "indicator_definitions")
_CODE_FIELDS = ("code", "adcode", "nbs_code", "ref", "CODE", "ADCODE")
_NAME_FIELDS = ("name_zh", "name", "NAME", "name:zh")
_NETWORK_NOTES = {
    "drive": "drive network: no footways, pedestrian streets or many hutongs; walking distances "
    "computed on it are upper bounds",
    "walk": "walk network",
}


@dataclass
class BuildReport:
    """What ``build_study_area`` did: one :class:`~layers.repair.Tally` per layer, and notes.

    Attributes
    ----------
    name : str
        The area built.
    config_file, data_dir : Path
        Where it was written.
    rows : list of Tally
        Per layer: read, kept, repaired, clipped, dropped and the reasons.
    notes : list of str
        Area-wide notes (inheritance, boundary codes matched, network copied, what the extract lacks).
    """

    name: str
    config_file: Path
    data_dir: Path
    rows: list[Tally] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: What was read: ``osm``, ``streets``, ``boundaries``, ``inherit`` → path or name.
    sources: dict[str, str] = field(default_factory=dict)

    def row(self, layer: str) -> Tally:
        """The tally of one layer (KeyError when the build has none)."""
        for r in self.rows:
            if r.layer == layer:
                return r
        raise KeyError(f"build report of '{self.name}' has no layer '{layer}'")

    def to_frame(self) -> pd.DataFrame:
        """One row per layer: layer, read, kept, repaired, clipped, dropped, reasons."""
        cols = ["layer", "read", "kept", "repaired", "clipped", "dropped", "reasons"]
        return pd.DataFrame([r.as_row() for r in self.rows], columns=cols)

    def __str__(self) -> str:
        frame = self.to_frame()
        lines = [f"study area 研究区 '{self.name}': {self.config_file}"]
        lines.append(frame.drop(columns="reasons").to_string(index=False))
        for r in self.rows:
            for why in r.reasons:
                lines.append(f"  {r.layer}: {why}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------ helpers
def _step(progress: bool, steps: list[str]) -> Callable[[str], None]:
    if not progress:
        return lambda _label: None
    from tqdm import tqdm

    bar = tqdm(total=len(steps), desc="build", unit="layer", leave=False)

    def advance(label: str) -> None:
        bar.set_description(f"build: {label}")
        bar.update(1)
        if bar.n >= bar.total:
            bar.close()

    return advance


def _read_any(path: Path) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Any vector file (GDAL), falling back to the lenient JSON reader for GeoJSON GDAL refuses."""
    from layers.io import _convert_crs

    if not path.exists():
        raise LayerError([Problem(str(path), None, None, "file not found")])
    notes: list[str] = []
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:
        if path.suffix.lower() not in (".geojson", ".json"):
            raise LayerError([Problem(str(path), None, None, f"cannot read file: {exc}")]) from exc
        gdf, notes = read_json_lenient(path)
    gdf = _convert_crs(gdf, None, str(path), notes)
    return gdf, notes


def _pick(
    columns: Iterable[str], given: str | None, candidates: tuple[str, ...], file: str, what: str
) -> str | None:
    cols = list(columns)
    if given:
        if given not in cols:
            raise LayerError(
                [
                    Problem(
                        file,
                        None,
                        given,
                        f"{what} field not in the file; it has: {', '.join(cols)}",
                    )
                ]
            )
        return given
    return next((c for c in candidates if c in cols), None)


def _as_code(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text[:-2] if text.endswith(".0") else (text or None)


# ------------------------------------------------------------------------------------------ build
def build_study_area(
    name: str,
    *,
    osm: str | os.PathLike[str],
    streets: str | os.PathLike[str] | None = None,
    boundaries: str | os.PathLike[str] | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
    user_data: str | os.PathLike[str] | None = None,
    inherit: str | None = None,
    mapping: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    progress: bool = False,
    geometry_quality: str = "osm",
    title_zh: str | None = None,
    title_en: str | None = None,
    metric_crs: str | None = None,
    network_mode: str | None = None,
) -> BuildReport:
    """Build study area ``name`` from an OSM extract, a street network and a boundary file.

    Parameters
    ----------
    name : str
        The new area's name (lower case, digits, ``.``, ``_``, ``-``); must not be a shipped area's.
    osm : path
        BBBike/osmium2shape or Geofabrik shapefile folder or zip, or an ``.osm.pbf``.
    streets : path, optional
        An OSMnx GraphML street network (copied into the area and named in ``[network]``); else the
        extract's roads, when it has them.
    boundaries : path, optional
        The district's units (街道) in any vector format and CRS. Without it, ``inherit`` supplies district
        and units.
    code_field, name_field : str, optional
        Columns of the units' code and name (default: ``code``/``adcode``/``ref``, ``name_zh``/``name``).
    user_data : path, optional
        The user-data folder (default ``$GREENMAP_USER_DATA``, else ``instance/data``).
    inherit : str, optional
        A shipped area whose non-OSM layers and tables (:data:`INHERITED_LAYERS`), metric CRS, titles and
        published unit attributes the new area takes.
    mapping : path or mapping, optional
        The OSM → layer mapping (default ``data/osm/mapping.toml``).
    progress : bool
        Show a progress bar (stderr).
    geometry_quality : str
        ``geometry_quality`` of the OSM features (default ``osm``).
    title_zh, title_en, metric_crs : str, optional
        Default: the inherited area's, else from the name and the boundary's location.
    network_mode : {"drive", "walk"}, optional
        Mode of the GraphML network (default: guessed from its file name, else ``drive``).

    Returns
    -------
    BuildReport

    Raises
    ------
    LayerError
        A file cannot be read (the message names it, the feature and the field) or a layer fails
        validation; nothing is written.
    ValueError
        Bad parameters (name, a shipped area's name, no boundaries and nothing to inherit).
    """
    check_area_name(name)
    if (DATA_ROOT / "studyareas" / f"{name}.toml").exists():
        raise ValueError(f"name: '{name}' is a shipped study area; choose another name")
    from layers.schema import GEOMETRY_QUALITIES

    if geometry_quality not in GEOMETRY_QUALITIES or geometry_quality == "none":
        raise ValueError(
            f"geometry_quality: {geometry_quality!r} is not one of {GEOMETRY_QUALITIES[:-1]}"
        )
    if boundaries is None and inherit is None:
        raise ValueError(
            "boundaries: give a boundary file of the district's units, or inherit=AREA"
        )
    cfg = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    base = load_study_area(inherit) if inherit else None
    if base is not None and base.origin != "shipped":
        raise ValueError(f"inherit: '{inherit}' is not a shipped study area")
    steps = [
        "read",
        "boundaries",
        "parks",
        "residential",
        "water",
        "barriers",
        "streets",
        "places",
        "write",
    ]
    advance = _step(progress, steps)
    ud = user_data_dir(user_data)
    toml_path, data_dir = user_area_paths(name, ud)
    report = BuildReport(name, toml_path, data_dir)
    report.sources = {
        k: str(v)
        for k, v in {
            "osm": osm,
            "streets": streets,
            "boundaries": boundaries,
            "inherit": inherit,
        }.items()
        if v is not None
    }
    extract = read_extract(osm, cfg)
    advance("read")
    missing_themes = sorted(
        {"natural", "landuse", "railways", "waterways", "places", "roads", "buildings"}
        - set(extract.themes)
    )
    if extract.layout == "bbbike" and missing_themes:
        report.notes.append(f"the extract has no {', '.join(missing_themes)} layer(s)")

    # --- boundaries: units and district ------------------------------------------------------------
    units, district, sub_tally, dist_tally = _boundaries(
        boundaries, base, code_field, name_field, geometry_quality, report
    )
    if metric_crs is None:
        metric_crs = (
            base.metric_crs
            if base
            else gcrs.metric_crs_for_bounds(district.total_bounds).to_string()
        )
    district_m = polygonal(
        shapely.make_valid(
            shapely.union_all(
                gpd.GeoSeries(district.geometry.values, crs="EPSG:4326").to_crs(metric_crs).values
            )
        )
    )
    assert district_m is not None
    report.rows += [dist_tally, sub_tally]
    advance("boundaries")
    unit_m = gpd.GeoDataFrame(
        units[["code", "name_zh"]],
        geometry=units.to_crs(metric_crs).geometry.values,
        crs=metric_crs,
    )

    ctx = BuildContext(extract, cfg, metric_crs, district_m, unit_m, geometry_quality)
    layers_out: dict[str, gpd.GeoDataFrame] = {"district": district, "subdistricts": units}
    parks, tally = parks_layer(ctx)
    layers_out["parks"] = parks
    report.rows.append(tally)
    if extract.layout == "bbbike":
        report.notes.append(
            "BBBike's shapefiles do not export tourism=zoo: 北京动物园 and other zoos are missing from parks"
        )
    advance("parks")
    layers_out["residential"], tally = residential_layer(ctx)
    report.rows.append(tally)
    advance("residential")
    water, tally = water_layer(ctx)
    if water is not None:
        layers_out["water"] = water
    report.rows.append(tally)
    advance("water")

    # --- network edges (streets, motorway barriers) ------------------------------------------------------
    edges = None
    network: dict[str, str] = {}
    if streets is not None:
        spath = Path(streets)
        if spath.suffix.lower() != ".graphml":
            raise LayerError(
                [Problem(str(spath), None, None, "street network: expected an OSMnx .graphml file")]
            )
        edges = read_graphml_edges(spath)
        mode = network_mode or ("walk" if "walk" in spath.name.lower() else "drive")
        network = {
            "path": "network.graphml",
            "format": "graphml",
            "mode": mode,
            "note": _NETWORK_NOTES.get(mode, ""),
        }

    for label, (frame, tally) in (
        ("barriers", barriers_layer(ctx, edges)),
        ("streets", streets_layer(ctx, edges, streets)),
        ("places", places_layer(ctx)),
    ):
        if frame is not None:
            layers_out[label] = frame
        report.rows.append(tally)
        advance(label)

    # --- inherited layers ----------------------------------------------------------------------------------
    inherited: dict[str, pd.DataFrame] = {}
    if base is not None:
        import layers as _layers

        codes = set(units["code"])
        base_codes = (
            set(_layers.read_layer("subdistricts", base)["code"])
            if "subdistricts" in base.layers
            else set()
        )
        for lname in INHERITED_LAYERS:
            if lname not in base.layers:
                continue
            if lname == "projects" and not codes >= base_codes:
                report.notes.append(
                    f"projects of '{base.name}' not inherited: their 街道 codes are not all among the units of "
                    "the boundary file"
                )
                continue
            frame = (
                _layers.read_table(lname, base)
                if SCHEMAS[lname].is_table
                else _layers.read_layer(lname, base)
            )
            inherited[lname] = frame
        if inherited:
            report.notes.append(
                f"inherited from '{base.name}' (not OpenStreetMap): {', '.join(inherited)}"
            )

    # --- write ---------------------------------------------------------------------------------------------
    extent_geom = shapely.buffer(district_m, 2000.0, quad_segs=4)
    w, s, e, n = gpd.GeoSeries([extent_geom], crs=metric_crs).to_crs("EPSG:4326").total_bounds
    extent = (round(float(w), 4), round(float(s), 4), round(float(e), 4), round(float(n), 4))
    meta = {
        "name": name,
        "title_zh": title_zh or (f"{base.title_zh}（OpenStreetMap）" if base else name),
        "title_en": title_en or (f"{base.title_en} (OpenStreetMap)" if base else name),
        "code": base.code if base else "",
        "metric_crs": metric_crs,
        "extent": extent,
        "official_area_km2": base.official_area_km2 if base else None,
        "default_rule": base.default_rule if base else "xicheng-2016",
    }
    _write_area(
        name, ud, toml_path, data_dir, meta, layers_out, inherited, network, streets, report
    )
    advance("write")
    return report


def shared_inputs(shared_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """The files of a ``../shared`` folder that the real-data area ``xicheng-osm`` is built from.

    ``osm`` (the BBBike shapefile folder), ``streets`` (the OSMnx drive network, GraphML) and
    ``boundaries`` (the 15 街道), as :func:`build_study_area` keywords. Nothing is read or checked.

    >>> sorted(shared_inputs("/shared"))
    ['boundaries', 'osm', 'streets']
    >>> shared_inputs("/shared")["osm"].as_posix()
    '/shared/realdata/xicheng/bbbike-shp'
    """
    shared = Path(shared_dir)
    real = shared / "realdata" / "xicheng"
    return {
        "osm": real / "bbbike-shp",
        "streets": real / "osmnx-drive" / "xicheng_drive.graphml",
        "boundaries": shared / "xicheng_15_streets_osm.geojson",
    }


def build_from_shared(
    shared_dir: str | os.PathLike[str],
    user_data: str | os.PathLike[str],
    name: str = "xicheng-osm",
    *,
    inherit: str = "xicheng",
    progress: bool = False,
) -> BuildReport:
    """Build ``name`` (default ``xicheng-osm``) from the real OSM files of ``shared_dir`` into ``user_data``.

    The one recipe the tests, benchmarks and notebook share: :func:`shared_inputs` given to
    :func:`build_study_area` with ``inherit="xicheng"``. The street network is left out when its
    GraphML file is absent; the extract and the boundary file are required.

    Raises
    ------
    FileNotFoundError
        ``shared_dir`` lacks the OSM extract or the boundary file (real data is never committed).
    """
    files = shared_inputs(shared_dir)
    missing = [str(files[k]) for k in ("osm", "boundaries") if not files[k].exists()]
    if missing:
        raise FileNotFoundError(
            f"{' and '.join(missing)} absent (real data is never committed to the repository)"
        )
    return build_study_area(
        name,
        osm=files["osm"],
        streets=files["streets"] if files["streets"].is_file() else None,
        boundaries=files["boundaries"],
        inherit=inherit,
        user_data=user_data,
        progress=progress,
    )


def _boundaries(
    boundaries: str | os.PathLike[str] | None,
    base: StudyArea | None,
    code_field: str | None,
    name_field: str | None,
    quality: str,
    report: BuildReport,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, Tally, Tally]:
    import layers as _layers
    from layers.io import replace_geometry

    sub_t, dist_t = Tally("subdistricts"), Tally("district")
    base_subs = (
        _layers.read_layer("subdistricts", base)
        if base is not None and "subdistricts" in base.layers
        else None
    )
    base_dist = (
        _layers.read_layer("district", base)
        if base is not None and "district" in base.layers
        else None
    )
    if boundaries is None:
        assert base_subs is not None and base_dist is not None
        sub_t.read = sub_t.kept = len(base_subs)
        dist_t.read = dist_t.kept = len(base_dist)
        sub_t.note(f"no boundary file: units inherited from '{base.name}' as they are")  # type: ignore[union-attr]
        return base_subs, base_dist, sub_t, dist_t
    path = Path(boundaries)
    raw, notes = _read_any(path)
    for n in notes:
        sub_t.note(n)
    sub_t.read = len(raw)
    cf = _pick(raw.columns, code_field, _CODE_FIELDS, str(path), "code")
    nf = _pick(raw.columns, name_field, _NAME_FIELDS, str(path), "name")
    geoms, repaired, _why = repair_invalid(raw.geometry.values, "polygon")
    sub_t.repaired = int(repaired.sum())
    if repaired.any():
        sub_t.note(f"repaired {sub_t.repaired} invalid unit geometries with make_valid")
    empty = (
        shapely.is_missing(geoms)
        | shapely.is_empty(geoms)
        | ~np.isin(shapely.get_type_id(geoms), (3, 6))
    )
    problems = [
        Problem(str(path), int(i) + 1, "geometry", "unit without polygon geometry")
        for i in np.flatnonzero(empty)
    ]
    codes = [(_as_code(v) if cf else None) for v in (raw[cf] if cf else [None] * len(raw))]
    if cf is None:
        codes = [f"unit-{i + 1:03d}" for i in range(len(raw))]
        sub_t.note(f"no code field in {path.name} (pass code_field): units numbered unit-001 …")
    for i, c in enumerate(codes):
        if c is None:
            problems.append(Problem(str(path), i + 1, cf, "unit without a code"))
    dups = pd.Series(codes).duplicated(keep=False)
    problems += [
        Problem(str(path), int(i) + 1, cf, f"duplicate unit code {codes[i]!r}")
        for i in np.flatnonzero(dups.to_numpy())
    ]
    if problems:
        raise LayerError(problems)
    names = [
        str(v).strip() if nf and pd.notna(v) and str(v).strip() else None
        for v in (raw[nf] if nf else [None] * len(raw))
    ]
    src = f"{path.name}" + (
        f" ({raw['source'].iloc[0]}, {raw['license'].iloc[0]})"
        if {"source", "license"} <= set(raw.columns)
        else ""
    )
    label = f"{src}; {OSM_SHORT}" if quality == "osm" else src
    new = gpd.GeoDataFrame(
        {
            "code": codes,
            "name_zh": [n or c for n, c in zip(names, codes, strict=True)],
            "name_en": None,
            "source": label,
            "geometry_quality": quality,
        },
        geometry=list(geoms),
        crs="EPSG:4326",
    )
    if "osm_relation_id" in raw.columns:
        new["osm_relation_id"] = (
            pd.to_numeric(raw["osm_relation_id"], errors="coerce").astype("Int64").values
        )
    matched: list[str] = []
    if base_subs is not None:
        known = set(base_subs["code"])
        matched = [c for c in codes if c is not None and c in known]
    if base is not None and base_subs is not None and matched:
        units = replace_geometry(
            base_subs,
            new[new["code"].isin(matched)].reset_index(drop=True),
            "code",
            label=str(path),
        )
        extra = new[~new["code"].isin(matched)]
        if len(extra):
            units = gpd.GeoDataFrame(pd.concat([units, extra], ignore_index=True), crs="EPSG:4326")
        lost = sorted(set(base_subs["code"]) - set(codes))
        report.notes.append(
            f"{len(matched)} of {len(codes)} units of {path.name} match the NBS codes of '{base.name}': "
            "published attributes (names, areas, population) kept, geometry from the file"
            + (
                f"; '{base.name}' units not in the file keep their approximate geometry: {', '.join(lost)}"
                if lost
                else ""
            )
        )
    else:
        units = new
    units = units.reset_index(drop=True)
    sub_t.kept = len(units)
    union = polygonal(shapely.make_valid(shapely.union_all(units.geometry.values)))
    if base_dist is not None and len(base_dist) == 1:
        row = base_dist.iloc[0]
        dist = gpd.GeoDataFrame(
            {
                "code": [row["code"]],
                "name_zh": [row["name_zh"]],
                "name_en": [row["name_en"]],
                "area_km2_official": [row["area_km2_official"]],
                "source": [
                    f"union of the {len(units)} units of {src}; {OSM_SHORT}; attributes: {row['source']}"
                ],
                "geometry_quality": [quality],
            },
            geometry=[union],
            crs="EPSG:4326",
        )
    else:
        dist = gpd.GeoDataFrame(
            {
                "code": ["district"],
                "name_zh": ["district"],
                "name_en": [None],
                "area_km2_official": [np.nan],
                "source": [f"union of the {len(units)} units of {src}"],
                "geometry_quality": [quality],
            },
            geometry=[union],
            crs="EPSG:4326",
        )
    dist_t.read = dist_t.kept = 1
    dist_t.note(f"union of the {len(units)} units of the boundary file")
    return units, dist, sub_t, dist_t


# ------------------------------------------------------------------------------------------ writing
def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    text = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _toml(
    meta: Mapping[str, Any],
    layer_files: Mapping[str, str],
    network: Mapping[str, str],
    notes: list[str],
) -> str:
    lines = [
        "# Built by `greenmap studyarea build` from OpenStreetMap data (see the build report); not shipped.",
        f"# Data: {ODBL_ATTRIBUTION}.",
    ]
    lines += [f"# {n}" for n in notes]
    for k, v in meta.items():
        if v is not None:
            lines.append(f"{k} = {_toml_value(v)}")
    lines.append(f"attribution = {_toml_value(ODBL_ATTRIBUTION)}")
    lines.append(f"data_dir = {_toml_value(meta['name'])}")
    lines.append('subdistrict_layer = "subdistricts"')
    lines.append("")
    lines.append("[layers]")
    lines += [f"{k} = {_toml_value(v)}" for k, v in layer_files.items()]
    if network:
        lines += ["", "[network]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in network.items()]
    return "\n".join(lines) + "\n"


def _write_area(
    name: str,
    ud: Path,
    toml_path: Path,
    data_dir: Path,
    meta: Mapping[str, Any],
    layers_out: Mapping[str, gpd.GeoDataFrame],
    inherited: Mapping[str, pd.DataFrame],
    network: Mapping[str, str],
    streets: str | os.PathLike[str] | None,
    report: BuildReport,
) -> None:
    """Write everything into a temporary folder, validate it strictly, then rename it into place."""
    from layers.io import load_file, write_layer

    ud.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".build-{name}-", dir=ud))
    try:
        tmp_data = tmp / name
        tmp_data.mkdir()
        files: dict[str, str] = {}
        order = [
            "district",
            "subdistricts",
            "parks",
            "residential",
            "water",
            "barriers",
            "streets",
            "places",
        ]
        for lname in order:
            if lname in layers_out and not len(layers_out[lname]):
                report.notes.append(f"layer {lname}: no features kept, not written")
            elif lname in layers_out:
                files[lname] = f"{lname}.geojson"
                write_layer(layers_out[lname], tmp_data / files[lname], precision=15)
        for lname, frame in inherited.items():
            suffix = ".csv" if SCHEMAS[lname].is_table else ".geojson"
            files[lname] = f"{lname}{suffix}"
            write_layer(frame, tmp_data / files[lname])
        if network and streets is not None:
            shutil.copyfile(streets, tmp_data / network["path"])
            report.notes.append(
                f"street network copied as {data_dir / network['path']} ({network['mode']})"
            )
        (tmp / "studyareas").mkdir()
        tmp_toml = tmp / "studyareas" / f"{name}.toml"
        sources = [f"{k}: {v}" for k, v in report.sources.items()]
        sources += [
            f"{r.layer}: read {r.read}, kept {r.kept}, dropped {r.dropped}" for r in report.rows
        ]
        tmp_toml.write_text(_toml(meta, files, network, sources), encoding="utf-8")
        study = load_study_area(tmp_toml)
        codes = set(layers_out["subdistricts"]["code"])
        for lname, fname in files.items():
            # The strict path read_layer uses: what is stored is what the area serves.
            load_file(
                tmp_data / fname, lname, area=study, repair=False, extra="error", known_codes=codes
            )
        # Into place: the folder first (the TOML makes the area visible), the old build kept until then.
        toml_path.parent.mkdir(parents=True, exist_ok=True)
        old = None
        if data_dir.exists():
            old = tmp / "previous"
            os.replace(data_dir, old)
        try:
            os.replace(tmp_data, data_dir)
        except OSError:
            if old is not None:
                os.replace(old, data_dir)
            raise
        os.replace(tmp_toml, toml_path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
