"""Export provenance: the progress helper, data vintage and the metadata record of an export.

The record (:func:`export_metadata`) states the rule set, as-of year, data vintage (fingerprint and date of
the data files), ``generated_at``, study area, filters and licence/attribution; ``© OpenStreetMap
contributors (ODbL)`` is added whenever OSM-derived data is included. The writers in
:mod:`layers.export_write` store it; :func:`layers.export.export` assembles it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import sys
from collections.abc import Iterable, Iterator, Mapping, Sized
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from layers.studyarea import StudyArea, resolve_area

__all__ = ["OSM_ATTRIBUTION", "export_metadata", "progress"]

#: Attribution required for anything derived from OpenStreetMap.
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"

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
