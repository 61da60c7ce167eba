"""Tagged park entrances: read from an OSM PBF or a points file, checked, attached to parks.

The network rules start a walk at a park's access points (:mod:`geo.netaccess`); where the data has
tagged entrances a park is reached only through them (a fenced park). Which OSM tags count is data:
the ``[entrances]`` table of ``data/osm/mapping.toml``:

``tags``
    ``{key: [values]}``; ``"*"`` is any value except ``no`` (e.g. ``entrance = ["*"]``,
    ``barrier = ["gate", "kissing_gate", …]``);
``not_public_access``
    values of ``access`` (``foot`` overrides it when given) that keep walkers out;
``building_tolerance_m``
    a point this close (m) to a building outline is a door of the building, not a park entrance
    (PBF only: the building outlines are read from the same file);
``max_boundary_distance_m``
    a point is a park entrance only this close (m) to a park's boundary; it gets that park's
    ``park_id``;
``fence_tags``, ``fence_tolerance_m``, ``fenced_min_share``
    PBF only: a park's gates count only when fences/walls run along at least that share of its
    boundary (:func:`fenced_share`); an open park keeps its streets and pseudo-entrances.

The layer (schema ``entrances`` in :mod:`layers.schema`) is in EPSG:4326 with ``entrance_id``
(``osm:node/123`` or the file's id), ``name_zh``, ``kind`` (``gate``, ``entrance`` …), ``osm_tags``,
``access``, ``park_id``, ``source`` and ``geometry_quality`` (``osm`` from a PBF, ``user`` from a
file unless it says otherwise). Distances are measured in the study area's metric CRS.

The family: :mod:`layers.osm_entrances_tags` (the rule, which tags count),
:mod:`layers.osm_entrances_read` (PBF nodes, buildings, fences; a points file),
:mod:`layers.osm_entrances_parks` (attaching to parks, fenced share) and this module, which builds
the layer (:func:`entrances_layer`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from layers.osm_entrances_parks import attach_to_parks, drop_open_park_gates, fenced_share
from layers.osm_entrances_read import (
    _pbf_buildings,
    _pbf_fences,
    read_entrance_file,
    read_pbf_entrances,
)
from layers.osm_entrances_read import _text as _text
from layers.osm_entrances_tags import _DEFAULT_RULE as _DEFAULT_RULE
from layers.osm_entrances_tags import _TAG_COLS as _TAG_COLS
from layers.osm_entrances_tags import entrance_rule, select_entrances
from layers.osm_mapping import OSM_SOURCE as OSM_SHORT
from layers.repair import Tally

__all__ = [
    "attach_to_parks",
    "entrance_rule",
    "entrances_layer",
    "fenced_share",
    "read_entrance_file",
    "read_pbf_entrances",
    "select_entrances",
]


def _pbf_entrances(
    pbf: str | os.PathLike[str],
    parks: gpd.GeoDataFrame,
    metric_crs: str,
    mapping: Mapping[str, Any] | None,
    rule: Mapping[str, Any],
    bbox: tuple[float, float, float, float] | None,
    quality: str,
    tally: Tally,
) -> gpd.GeoDataFrame:
    """The PBF's entrances kept by the rule: not doors, near a park, of a fenced park."""
    raw = read_pbf_entrances(pbf, mapping, bbox=bbox)
    tally.read += len(raw)
    sel = select_entrances(raw, rule, tally=tally)
    sel["source"] = [f"{OSM_SHORT} · PBF {Path(pbf).name}: {t}" for t in sel["osm_tags"]]
    sel["geometry_quality"] = quality
    blds = _pbf_buildings(Path(pbf), bbox) if len(sel) and "entrance" in rule["tags"] else None
    at = attach_to_parks(sel, parks, metric_crs, rule, buildings=blds, tally=tally)
    if len(at) and rule.get("fence_tags"):
        fences = _pbf_fences(Path(pbf), rule, bbox)
        at = drop_open_park_gates(at, parks, fences, metric_crs, rule, tally)
    return at


def _file_entrances(
    file: str | os.PathLike[str],
    parks: gpd.GeoDataFrame,
    metric_crs: str,
    mapping: Mapping[str, Any] | None,
    rule: Mapping[str, Any],
    tally: Tally,
) -> gpd.GeoDataFrame:
    """The user file's entrances near a park; its read/drop counts and reasons go to ``tally``."""
    user = read_entrance_file(file, mapping)
    tally.read += int(user.attrs.get("read", len(user)))
    tally.dropped += int(user.attrs.get("dropped", 0))
    for r in user.attrs.get("reasons", []):
        tally.note(r)
    return attach_to_parks(user, parks, metric_crs, rule, tally=tally)


def entrances_layer(
    parks: gpd.GeoDataFrame,
    metric_crs: str,
    mapping: Mapping[str, Any] | None = None,
    *,
    pbf: str | os.PathLike[str] | None = None,
    file: str | os.PathLike[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    quality: str = "osm",
) -> tuple[gpd.GeoDataFrame | None, Tally]:
    """The ``entrances`` layer of a study area: tagged entrances of a PBF and/or a user's file.

    Parameters
    ----------
    parks : GeoDataFrame
        The area's parks (``park_id``), any CRS.
    metric_crs : str
        Projected CRS (m) of the area.
    pbf, file : path, optional
        An ``.osm.pbf`` (entrance/gate nodes; building outlines to drop doors) and a points file.
    bbox : (west, south, east, north), optional
        Read only this part of the PBF (WGS-84 degrees).
    quality : str
        ``geometry_quality`` of the PBF's points.

    Returns
    -------
    (GeoDataFrame or None, Tally)
        The layer in the ``entrances`` schema (EPSG:4326), None when nothing is kept.
    """
    rule = entrance_rule(mapping)
    tally = Tally("entrances")
    frames = []
    if pbf is not None:
        frames.append(_pbf_entrances(pbf, parks, metric_crs, mapping, rule, bbox, quality, tally))
    if file is not None:
        frames.append(_file_entrances(file, parks, metric_crs, mapping, rule, tally))
    frames = [f for f in frames if len(f)]
    if not frames:
        tally.note("no tagged entrances kept: pseudo-entrances only")
        return None, tally
    df = pd.concat(frames, ignore_index=True).drop_duplicates("entrance_id")
    tally.kept = len(df)
    out = gpd.GeoDataFrame(
        {
            "entrance_id": df["entrance_id"].astype(str).to_numpy(),
            "name_zh": df["name"].to_numpy(dtype=object),
            "kind": df["kind"].to_numpy(dtype=object),
            "osm_tags": df["osm_tags"].to_numpy(dtype=object),
            "access": df["access"].to_numpy(dtype=object),
            "park_id": df["park_id"].to_numpy(dtype=object),
            "source": df["source"].to_numpy(dtype=object),
            "geometry_quality": df["geometry_quality"].to_numpy(dtype=object),
        },
        geometry=df.geometry.values,
        crs="EPSG:4326",
    )
    return out, tally
