"""App-level glue between the web map and ``layers``/``geo``: loading, filtering, coverage, GeoJSON.

Everything here is cached per *data version* (a fingerprint of the study area's data and rule files), so a
changed file is picked up on the next request and unchanged data is served from memory. Coverage goes
through :func:`geo.scenarios.scenario_coverage`, the one pipeline the CLI and the Python API use; the radii and
gaps layers reuse the service's cached parks of the year and their assigned radii. A missing data file (or
no rule sets) is reported as :class:`UnavailableError` instead of failing the page.

:class:`MapService` is assembled from one part per concern, each importable from here:

- :mod:`webmap.service_loaders` — :class:`DataLoader`, :class:`LayersLoader`,
  :class:`StoreProjectsLoader`, :class:`UnavailableError`;
- :mod:`webmap.service_cache` — the per-version cache and raw layers/tables;
- :mod:`webmap.service_serialise` — :func:`records`, :func:`to_feature_collection`;
- :mod:`webmap.service_projects` — status history, :class:`ProjectFilter`, the project list;
- :mod:`webmap.service_panel` — the 街道, rule and reported-indicator tables;
- :mod:`webmap.service_coverage` — parks of a year, assigned radii, :func:`normalise_coverage`;
- :mod:`webmap.service_geometry` — service radii, gaps and candidate sites.
"""

from __future__ import annotations

import logging

from webmap.service_cache import CachedService
from webmap.service_coverage import CoverageMixin, normalise_coverage
from webmap.service_geometry import GeometryMixin
from webmap.service_loaders import DataLoader, LayersLoader, StoreProjectsLoader, UnavailableError
from webmap.service_panel import REPORTED_INDICATORS, PanelMixin
from webmap.service_projects import (
    PROJECT_STATUSES,
    ProjectFilter,
    ProjectsMixin,
    parse_status_history,
    split_codes,
    status_as_of,
)
from webmap.service_serialise import records, to_feature_collection

__all__ = [
    "LAYER_KEYS",
    "MAP_LAYERS",
    "PROJECT_STATUSES",
    "REPORTED_INDICATORS",
    "CachedService",
    "CoverageMixin",
    "DataLoader",
    "GeometryMixin",
    "LayersLoader",
    "MapService",
    "PanelMixin",
    "ProjectFilter",
    "ProjectsMixin",
    "StoreProjectsLoader",
    "UnavailableError",
    "normalise_coverage",
    "parse_status_history",
    "records",
    "split_codes",
    "status_as_of",
    "to_feature_collection",
]

log = logging.getLogger("webmap")

#: Layers the map and the API serve (GeoJSON), in drawing order.
MAP_LAYERS: tuple[str, ...] = (
    "district",
    "subdistricts",
    "historic_blocks",
    "residential",
    "parks",
    "projects",
)
#: Key column of each layer.
LAYER_KEYS: dict[str, str] = {
    "district": "code",
    "subdistricts": "code",
    "parks": "park_id",
    "historic_blocks": "block_id",
    "projects": "project_id",
    "residential": "parcel_id",
}


class MapService(GeometryMixin, PanelMixin, ProjectsMixin):
    """Cached access to everything the web map shows.

    All parts share one cache (per instance), emptied when the data version changes.

    Parameters
    ----------
    loader : DataLoader
        Where data comes from (:class:`LayersLoader` in production).
    layer_hook : callable, optional
        ``hook(name, frame) -> frame`` applied to every layer/table after reading (tests use it to add
        rows, e.g. a project with a hostile name).
    version_ttl : float
        Seconds between two checks of the data version (0: every call).
    """
