"""Read the OpenStreetMap extracts people download, and the rules that map them to layers.

Three layouts are understood, all returned as the same :class:`Extract` (one GeoDataFrame per theme, EPSG:4326,
columns ``osm_id`` (str), ``element`` (``way``/``relation``/``node`` or empty when the layout does not say),
``name``, ``value`` (the ``type``/``fclass`` value, or for a PBF the tag value that selected it), ``key`` (the
OSM tag key, PBF only), ``tunnel`` (bool or missing), ``access``, ``fee``):

* a BBBike / osmium2shape shapefile folder or zip (``natural.shp``, ``landuse.shp``, ``railways.shp`` …, column
  ``type``),
* Geofabrik's free shapefiles (``gis_osm_<theme>[_a]_free_1.shp``, column ``fclass``), folder or zip,
* an ``.osm.pbf`` file (pyrosm; the OSM tags themselves).

The mapping from OSM to layers is data: ``data/osm/mapping.toml`` (:func:`load_mapping`). A PBF is read
by :mod:`layers.osm_extract_pbf`; a street network saved by OSMnx (GraphML) by :mod:`layers.graphml_streets`.
"""

from __future__ import annotations

import os
import re
import tomllib
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.errors import LayerError, Problem
from layers.osm_extract_pbf import read_pbf_themes
from layers.studyarea import DATA_ROOT

__all__ = [
    "MAPPING_FILE",
    "OSM_LAYERS",
    "Extract",
    "load_mapping",
    "read_extract",
    "select",
]

#: The shipped OSM → layer mapping.
MAPPING_FILE = DATA_ROOT / "osm" / "mapping.toml"
Layout = Literal["bbbike", "geofabrik", "pbf"]
#: The layers an OSM extract is mapped to (mapping sections of the same names), in build order.
OSM_LAYERS = ("parks", "residential", "water", "barriers", "streets", "places", "entrances")
_MAPPING_SECTIONS = {"attribution", "element_bbbike", "element_geofabrik", *OSM_LAYERS, "unnamed"}
_GEOFABRIK_RE = re.compile(r"^gis_osm_([a-z]+?)(_a)?_free_1$")
# Tag keys a PBF is queried for, per theme; values come from the mapping.
_PBF_THEMES = ("parks", "forest", "residential", "buildings", "water", "barriers", "places")


def load_mapping(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The OSM → layer mapping (default ``data/osm/mapping.toml``), checked for unknown sections.

    >>> m = load_mapping()
    >>> m["parks"]["bbbike"]["natural"], m["parks"]["exclude"][0]["osm_id"]
    (['park'], '651001455')
    """
    p = Path(path) if path else MAPPING_FILE
    try:
        cfg = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LayerError([Problem(str(p), None, None, "mapping file not found")]) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LayerError(
            [Problem(str(p), None, None, f"not a readable TOML file: {exc}")]
        ) from None
    unknown = sorted(set(cfg) - _MAPPING_SECTIONS)
    missing = sorted({"parks", "residential"} - set(cfg))
    problems = [Problem(str(p), None, k, "unknown section") for k in unknown]
    problems += [Problem(str(p), None, k, "missing section") for k in missing]
    forest = cfg.get("parks", {}).get("forest", "exclude")
    if forest not in ("exclude", "urban_forest"):
        problems.append(
            Problem(str(p), None, "parks.forest", f"{forest!r}: use exclude or urban_forest")
        )
    if problems:
        raise LayerError(problems)
    cfg["_file"] = str(p)
    return cfg


@dataclass
class Extract:
    """An OSM extract read into themes.

    Attributes
    ----------
    path : Path
        What was read.
    layout : {"bbbike", "geofabrik", "pbf"}
        Which layout it was.
    themes : dict of str to GeoDataFrame
        ``natural``, ``landuse``, ``railways``, ``waterways``, ``places``, ``roads``, ``buildings`` … (shapefile
        layouts: the file stems, Geofabrik's without ``gis_osm_`` / ``_free_1``, areas and points joined);
        PBF: the mapping's sections (``parks``, ``residential`` …).
    files : dict of str to str
        Theme → the file it came from (for messages).
    """

    path: Path
    layout: Layout
    themes: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


def _norm(raw: gpd.GeoDataFrame, value_col: str, element: str, file: str) -> gpd.GeoDataFrame:
    if "osm_id" not in raw.columns:
        raise LayerError([Problem(file, None, "osm_id", "column missing: not an OSM shapefile")])
    if value_col not in raw.columns:
        raise LayerError([Problem(file, None, value_col, "column missing")])
    ids = raw["osm_id"].astype(str).str.replace(r"\.0$", "", regex=True)
    names = raw["name"].astype(object) if "name" in raw.columns else pd.Series([None] * len(raw))
    names = names.where(names.notna() & (names.astype(str).str.strip() != ""), None)
    out = gpd.GeoDataFrame(
        {
            "osm_id": ids.to_numpy(dtype=object),
            "element": element,
            "name": names.to_numpy(dtype=object),
            "value": raw[value_col].astype(str).to_numpy(dtype=object),
            "key": "",
        },
        geometry=raw.geometry.values,
        crs=raw.crs or "EPSG:4326",
    )
    if "tunnel" in raw.columns:
        out["tunnel"] = raw["tunnel"].astype(str).str.upper().isin(["T", "1", "YES", "TRUE"]).values
    for extra in ("population", "width", "access", "fee"):
        if extra in raw.columns:
            out[extra] = raw[extra].values
    if out.crs is not None and not out.crs.equals("EPSG:4326"):
        out = out.to_crs("EPSG:4326")
    return out


def _shapefile_members(path: Path) -> dict[str, str]:
    """Stem → readable path (``/vsizip/…`` inside a zip) of every shapefile in a folder or zip."""
    if path.is_dir():
        return {p.stem: str(p) for p in sorted(path.glob("*.shp"))}
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.lower().endswith(".shp")]
    except zipfile.BadZipFile as exc:
        raise LayerError([Problem(str(path), None, None, f"not a zip file: {exc}")]) from exc
    return {Path(n).stem: f"/vsizip/{path.resolve()}/{n}" for n in sorted(names)}


def _read_shp(file: str, label: str) -> gpd.GeoDataFrame:
    try:
        return gpd.read_file(file, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types; the user needs the file and message
        raise LayerError([Problem(label, None, None, f"cannot read shapefile: {exc}")]) from exc


def read_extract(
    path: str | os.PathLike[str],
    mapping: Mapping[str, Any] | None = None,
    *,
    bbox: tuple[float, float, float, float] | None = None,
) -> Extract:
    """Read an OSM extract: a BBBike/osmium2shape or Geofabrik shapefile folder or zip, or an ``.osm.pbf``.

    Parameters
    ----------
    path : path
        Folder, ``.zip`` or ``.osm.pbf``.
    mapping : mapping, optional
        From :func:`load_mapping` (PBF: which tags to query). Default the shipped file.
    bbox : (west, south, east, north), optional
        WGS-84 degrees; PBF only (shapefile extracts are read whole: they are already cut to a region).

    Raises
    ------
    LayerError
        The path is missing, is no known layout, or a file in it cannot be read (named).
    """
    p = Path(path)
    if not p.exists():
        raise LayerError([Problem(str(p), None, None, "OSM extract not found")])
    if p.name.endswith(".pbf"):
        themes, files = read_pbf_themes(p, mapping or load_mapping(), bbox)
        return Extract(p, "pbf", themes, files)
    members = _shapefile_members(p)
    geofabrik = {m: f for m, f in members.items() if _GEOFABRIK_RE.match(m)}
    if geofabrik:
        out = Extract(p, "geofabrik")
        element = str((mapping or {}).get("element_geofabrik", ""))
        for stem, file in geofabrik.items():
            m = _GEOFABRIK_RE.match(stem)
            assert m is not None
            theme = m.group(1)
            label = f"{p}/{stem}.shp" if p.is_dir() else f"{p}!{stem}.shp"
            gdf = _norm(_read_shp(file, label), "fclass", element, label)
            if theme in out.themes:
                gdf = gpd.GeoDataFrame(
                    pd.concat([out.themes[theme], gdf], ignore_index=True), crs="EPSG:4326"
                )
                label = out.files[theme] + " + " + label
            out.themes[theme] = gdf
            out.files[theme] = label
        return out
    known = {"natural", "landuse", "railways", "waterways", "places", "roads", "buildings"}
    if known & set(members):
        out = Extract(p, "bbbike")
        element = str((mapping or {}).get("element_bbbike", "way"))
        for stem, file in members.items():
            label = f"{p}/{stem}.shp" if p.is_dir() else f"{p}!{stem}.shp"
            raw = _read_shp(file, label)
            if "type" not in raw.columns:
                continue  # not an osmium2shape theme file
            out.themes[stem] = _norm(raw, "type", element, label)
            out.files[stem] = label
        return out
    raise LayerError(
        [
            Problem(
                str(p),
                None,
                None,
                "not an OSM extract: expected BBBike/osmium2shape shapefiles (natural.shp, landuse.shp … "
                "with a 'type' column), Geofabrik's gis_osm_*_free_1.shp, or an .osm.pbf file",
            )
        ]
    )


def select(extract: Extract, rule: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """The features of ``extract`` a mapping rule selects (``rule[layout]`` or ``rule["tags"]``).

    Parameters
    ----------
    extract : Extract
        From :func:`read_extract`.
    rule : mapping
        A mapping section, e.g. ``mapping["parks"]``: ``bbbike`` / ``geofabrik`` are ``{theme: [values]}``,
        ``tags`` is ``{osm_key: [values]}`` (for a PBF, whose themes are the mapping's section names).

    Returns
    -------
    GeoDataFrame
        The matching rows, with a ``theme`` column (which file / query they came from); may be empty.
    """
    parts = []
    if extract.layout == "pbf":
        wanted = {k: set(v) for k, v in rule.get("tags", {}).items()}
        for theme, gdf in extract.themes.items():
            hit = np.zeros(len(gdf), dtype=bool)
            for key, values in wanted.items():
                hit |= ((gdf["key"] == key) & gdf["value"].isin(values)).to_numpy()
            if hit.any():
                parts.append(gdf[hit].assign(theme=theme))
    else:
        for theme, values in rule.get(extract.layout, {}).items():
            gdf = extract.themes.get(theme)
            if gdf is not None:
                parts.append(gdf[gdf["value"].isin(values)].assign(theme=theme))
    if not parts:
        return gpd.GeoDataFrame(
            {"osm_id": [], "element": [], "name": [], "value": [], "key": [], "theme": []},
            geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        )
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    if extract.layout == "pbf":  # one feature matched by several tag keys: once
        out = out.drop_duplicates(subset=["element", "osm_id"]).reset_index(drop=True)
    return out  # shapefiles: a repeated osm_id is a fault the caller reports and resolves


def osm_ref(osm_id: Any, element: Any) -> str:
    """``osm:way/123`` (or ``osm:123`` when the layout does not say the element type).

    >>> osm_ref("123", "way"), osm_ref("9", "")
    ('osm:way/123', 'osm:9')
    """
    element = str(element or "").strip()
    return f"osm:{element}/{osm_id}" if element else f"osm:{osm_id}"
