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

The work is split by concern: :mod:`layers.export_meta` (progress, provenance record),
:mod:`layers.export_results` (filters, coverage results) and :mod:`layers.export_write` (GeoJSON, CSV,
GeoPackage writers); this module chooses what to export and every public name is importable from here.

>>> import tempfile, json
>>> tmp = Path(tempfile.mkdtemp())
>>> report = export("subdistricts", "geojson", tmp / "sd.geojson")
>>> doc = json.loads((tmp / "sd.geojson").read_text(encoding="utf-8"))
>>> len(doc["features"]), doc["metadata"]["study_area"]["name"], "crs" in doc
(15, 'xicheng', False)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from layers.errors import LayerError, Problem
from layers.export_meta import OSM_ATTRIBUTION, _study, export_metadata, progress
from layers.export_results import (
    COVERAGE_RESULTS,
    CoverageResults,
    coverage_results,
    filter_layer,
)
from layers.export_write import feature_collection, write_csv, write_geojson, write_gpkg
from layers.io import read_layer
from layers.schema import SCHEMAS
from layers.studyarea import StudyArea

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

#: Output formats of :func:`export`.
FORMATS: tuple[str, ...] = ("geojson", "gpkg", "csv")


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
