"""Renewal projects for the web map: status history, filters and the cached project list.

A project's status in a year comes from its ``status_history`` (``"2016:planned;2020:done"``),
else from ``latest_status`` counted from ``latest_status_year`` (or ``start_year``) on.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from webmap.service_cache import CachedService
from webmap.service_loaders import UnavailableError
from webmap.service_serialise import records

PROJECT_STATUSES: tuple[str, ...] = ("planned", "under_way", "done", "unknown")


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


class ProjectsMixin(CachedService):
    """The projects part of :class:`webmap.service.MapService` (list, filters, year range)."""

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
