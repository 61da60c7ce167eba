"""Downloads of the web map: layers and coverage results as files, with the map's current filters.

``GET /api/export`` (see :mod:`webmap.api`) calls :func:`build_download`, which runs
:func:`layers.export.export` into a temporary folder, reading the same data as the map (the service's
layers, so the planners' editing store when it is configured) and filtering projects exactly as the map
does (:meth:`webmap.service.MapService.projects`: status lists, category lists, status as of a year).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from layers.export import COVERAGE_RESULTS, filter_layer, layer_names
from layers.schema import SCHEMAS
from webmap.service import MapService, ProjectFilter, StoreProjectsLoader

__all__ = ["MEDIA_TYPES", "SUFFIXES", "Download", "build_download", "download_targets"]

#: Media type of each format.
MEDIA_TYPES: dict[str, str] = {
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "csv": "text/csv; charset=utf-8",
}
#: File suffix of each format.
SUFFIXES: dict[str, str] = {"geojson": ".geojson", "gpkg": ".gpkg", "csv": ".csv"}


@dataclass(frozen=True)
class Download:
    """A file to send: its bytes, a (UTF-8) file name, an ASCII fallback name, the media type and the
    export counts."""

    data: bytes
    filename: str
    ascii_filename: str
    media_type: str
    counts: dict[str, int]

    def content_disposition(self) -> str:
        """``attachment`` with the ASCII name and the UTF-8 name (RFC 6266 / RFC 5987).

        >>> d = Download(b"", "a-什刹海.csv", "a-110102012.csv", "text/csv", {})
        >>> print(d.content_disposition())
        attachment; filename="a-110102012.csv"; filename*=UTF-8''a-%E4%BB%80%E5%88%B9%E6%B5%B7.csv
        """
        quoted = quote(self.filename, safe="")
        return f"attachment; filename=\"{self.ascii_filename}\"; filename*=UTF-8''{quoted}"


def download_targets(area: str) -> list[str]:
    """What ``/api/export?what=`` accepts: layers and tables, coverage results, ``coverage``, ``all``.

    >>> download_targets("xicheng")[:3], download_targets("xicheng")[-2:]
    (['district', 'subdistricts', 'parks'], ['coverage', 'all'])
    """
    return [*layer_names(area), *COVERAGE_RESULTS, "coverage", "all"]


def _filenames(
    svc: MapService, area: str, what: str, fmt: str, flt: ProjectFilter, rule: str | None
) -> tuple[str, str]:
    """The file name (街道 by name) and its ASCII fallback (街道 by code)."""
    parts = ["greenmap", area, what]
    if what in ("coverage", "all") or what in COVERAGE_RESULTS:
        parts.append(str(rule))
    name, ascii_name = list(parts), list(parts)
    if flt.subdistrict:
        sd = svc.subdistrict(flt.subdistrict)
        name.append(str(sd["name_zh"]) if sd and sd.get("name_zh") else flt.subdistrict)
        ascii_name.append(flt.subdistrict)
    if flt.year is not None:
        name.append(str(flt.year))
        ascii_name.append(str(flt.year))
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", "-".join(ascii_name))
    return "-".join(name) + SUFFIXES[fmt], safe + SUFFIXES[fmt]


def _projects_source(svc: MapService) -> dict[str, Any]:
    if isinstance(svc.loader, StoreProjectsLoader):
        try:
            return {"kind": "store", "revision": int(svc.loader.store().revision())}
        except Exception as exc:  # the service fell back to the shipped layer too
            return {"kind": "layer", "note": f"editing store unreadable: {exc}"}
    return {"kind": "layer"}


def build_download(
    svc: MapService,
    area: str,
    what: str,
    fmt: str,
    flt: ProjectFilter,
    rule: str | None,
) -> Download:
    """Export ``what`` as ``fmt`` with the map's filters and return the file.

    Parameters
    ----------
    svc : MapService
        The map's data (layers after the app's hook; projects from the editing store when configured).
    area : str
        Study area name.
    what : str
        One of :func:`download_targets`.
    fmt : {"geojson", "gpkg", "csv"}
    flt : ProjectFilter
        The map's filters: projects as the map shows them; parks opened by ``year`` and in the 街道;
        the 街道 filter for the layers with a 街道 column (subdistricts, residential, coverage
        results).
    rule : str, optional
        Coverage rule set id.

    Returns
    -------
    Download

    Raises
    ------
    layers.errors.LayerError
        A format that does not fit (e.g. a table as GeoJSON), naming the parameter.
    """
    from layers.export import export

    def read(name: str) -> pd.DataFrame:
        return svc.table(name) if SCHEMAS[name].is_table else svc.layer(name)

    chosen = {
        "subdistrict": flt.subdistrict,
        "status": flt.statuses,
        "category": flt.categories,
        "year": flt.year,
    }
    given = [k for k, v in chosen.items() if v is not None]

    def rows(name: str, df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        if name == "projects":
            if not given:
                return df.copy(), []
            status = {p["project_id"]: p["status_as_of"] for p in svc.projects(flt)}
            out = df[df["project_id"].isin(list(status))].copy()
            if flt.year is not None:
                out["status_as_of"] = out["project_id"].map(status)
            return out, given
        applied: list[str] = []
        out = df
        if flt.subdistrict is not None and name in ("parks", "subdistricts", "residential"):
            out = filter_layer(out, name, subdistrict=flt.subdistrict)
            applied.append("subdistrict")
        if flt.year is not None and name == "parks":
            out = filter_layer(out, name, year=flt.year)
            applied.append("year")
        return out.copy(), applied

    with tempfile.TemporaryDirectory(prefix="greenmap-export-") as tmp:
        path = Path(tmp) / ("export" + SUFFIXES[fmt])
        report = export(
            what,
            fmt,
            path,
            area=area,
            rule=rule,
            year=flt.year,
            subdistrict=flt.subdistrict,
            status=",".join(flt.statuses) if flt.statuses is not None else None,
            category=",".join(flt.categories) if flt.categories is not None else None,
            bom=fmt == "csv",
            read=read,
            filter_rows=rows,
            extra_metadata={"projects_source": _projects_source(svc)},
        )
        data = path.read_bytes()
    filename, ascii_filename = _filenames(svc, area, what, fmt, flt, rule)
    return Download(
        data=data,
        filename=filename,
        ascii_filename=ascii_filename,
        media_type=MEDIA_TYPES[fmt],
        counts=report.counts,
    )
