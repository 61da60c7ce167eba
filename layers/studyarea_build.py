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
repaired, clipped and dropped, and why. The units come from :mod:`layers.studyarea_units`, the writing is
:mod:`layers.studyarea_write`; :func:`build_from_shared` is the ``xicheng-osm`` recipe from ``../shared``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import crs as gcrs
from layers.osm_extract import OSM_LAYERS, load_mapping, read_extract
from layers.osm_layers import BuildContext, parks_layer, residential_layer, water_layer
from layers.osm_lines import barriers_layer, places_layer, streets_layer
from layers.repair import Tally
from layers.studyarea import (
    load_study_area,
    user_area_paths,
    user_data_dir,
)
from layers.studyarea_steps import (
    INHERITED_LAYERS,
    area_meta,
    check_build_params,
    entrances_step,
    inherited_layers,
    metric_district,
    network_edges,
)
from layers.studyarea_units import unit_layers
from layers.studyarea_write import write_area

__all__ = [
    "INHERITED_LAYERS",
    "BuildReport",
    "build_from_shared",
    "build_study_area",
    "shared_inputs",
]


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
    entrances: str | os.PathLike[str] | None = None,
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
    entrances : path, optional
        A points file of park entrances (:func:`layers.osm_entrances.read_entrance_file`), added to
        the tagged entrance nodes of a PBF; the ``entrances`` layer keeps those near a park.

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
    check_build_params(name, geometry_quality, boundaries, inherit)
    cfg = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    base = load_study_area(inherit) if inherit else None
    if base is not None and base.origin != "shipped":
        raise ValueError(f"inherit: '{inherit}' is not a shipped study area")
    advance = _step(progress, ["read", "boundaries", *OSM_LAYERS, "write"])
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
    units, district, sub_tally, dist_tally = unit_layers(
        boundaries, base, code_field, name_field, geometry_quality, report.notes
    )
    if metric_crs is None:
        metric_crs = (
            base.metric_crs
            if base
            else gcrs.metric_crs_for_bounds(district.total_bounds).to_string()
        )
    district_m = metric_district(district, metric_crs)
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
    edges, network = network_edges(streets, network_mode)
    for label, (frame, tally) in (
        ("barriers", barriers_layer(ctx, edges)),
        ("streets", streets_layer(ctx, edges, streets)),
        ("places", places_layer(ctx)),
    ):
        if frame is not None:
            layers_out[label] = frame
        report.rows.append(tally)
        advance(label)

    # --- tagged park entrances (PBF nodes and/or a points file; shapefile extracts have none) -------------
    ent, ent_tally, ent_note = entrances_step(
        extract, parks, metric_crs, cfg, entrances, geometry_quality
    )
    if ent is not None:
        layers_out["entrances"] = ent
    if ent_tally is not None:
        report.rows.append(ent_tally)
    if ent_note is not None:
        report.notes.append(ent_note)
    advance("entrances")

    # --- inherited layers, then write ------------------------------------------------------------------
    inherited, notes = inherited_layers(base, units)
    report.notes += notes
    meta = area_meta(name, base, metric_crs, district_m, title_zh, title_en)
    write_area(name, ud, toml_path, data_dir, meta, layers_out, inherited, network, streets, report)
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
