"""Network rules in the analyst API: the study area's street graph (cached) and the coverage table.

:func:`greenmap.analysis.coverage_table` calls :func:`coverage_table` here when the rule has a
``[network]`` table or ``barriers = true``. The graph is built once per study area, network file
and barrier setting (:func:`layers.network_io.street_graph` caches it in memory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

import layers
from geo.netcoverage import network_coverage_table, network_marginal_gains
from geo.netgraph import StreetGraph
from geo.rules import RuleSet
from layers.errors import LayerError, Problem
from layers.network_io import street_graph

if TYPE_CHECKING:
    from greenmap.analysis import Study

__all__ = ["barriers_of", "coverage_table", "graph_of", "is_network_rule", "marginal_gains"]


def is_network_rule(rule: RuleSet) -> bool:
    """The rule needs the network engine (a ``[network]`` table or ``barriers = true``)."""
    return rule.network is not None or bool(rule.barriers)


def barriers_of(study: Study) -> gpd.GeoDataFrame | None:
    """The study area's barrier layer in its metric CRS, or ``None`` when it has none."""
    if "barriers" in study.layers:
        return study.layers["barriers"]
    if "barriers" not in study.area.layers:
        return None
    b = layers.read_layer("barriers", study.area).to_crs(study.metric_crs)
    study.layers["barriers"] = b
    return b


def water_of(study: Study) -> gpd.GeoDataFrame | None:
    """The study area's water areas in its metric CRS (culverted waterways are no barrier)."""
    if "water" in study.layers:
        return study.layers["water"]
    if "water" not in study.area.layers:
        return None
    w = layers.read_layer("water", study.area).to_crs(study.metric_crs)
    study.layers["water"] = w
    return w


def graph_of(study: Study, use_barriers: bool = True) -> StreetGraph:
    """The study area's walking graph (``[network]`` of its TOML), barrier rules applied, cached.

    Raises
    ------
    LayerError
        When the study area names no network, or the file is missing.
    """
    net = getattr(study.area, "network", None) or {}
    path = study.area.network_path() if hasattr(study.area, "network_path") else None
    if path is None:
        raise LayerError(
            [
                Problem(
                    str(study.area.config_file or study.area.name),
                    None,
                    "network",
                    f"study area '{study.area.name}' names no street network ([network] path); "
                    "network rules need one (e.g. the xicheng-osm area built with "
                    "`greenmap studyarea build`)",
                )
            ]
        )
    if not path.exists():
        raise LayerError(
            [Problem(str(path), None, "network.path", "street network file not found")]
        )
    g = street_graph(
        path,
        study.metric_crs,
        barriers=barriers_of(study) if use_barriers else None,
        use_barriers=use_barriers,
        fmt=net.get("format") or None,
        mode=net.get("mode") or None,
        water=water_of(study) if use_barriers else None,
    )
    return g


def coverage_table(
    study: Study,
    rule: RuleSet,
    *,
    year: int | None = None,
    include_planned: bool = False,
) -> pd.DataFrame:
    """The network (or barrier-cut Euclidean) coverage table with the Euclidean figures beside.

    See :func:`geo.netcoverage.network_coverage_table` for the columns; the network's notes
    (e.g. "drive network: walking distances are upper bounds") are in every row's ``note``.
    """
    notes: list[str] = []
    graph = None
    barriers = None
    if rule.network is not None:
        graph = graph_of(study, use_barriers=bool(rule.barriers))
        notes = list(graph.notes)
        note = (getattr(study.area, "network", None) or {}).get("note")
        if note and not any("upper bounds" in x for x in notes):
            notes.append(str(note))
    else:
        barriers = barriers_of(study)
        if barriers is None:
            raise LayerError(
                [
                    Problem(
                        f"rule {rule.id!r}",
                        None,
                        "barriers",
                        f"study area '{study.area.name}' has no barriers layer",
                    )
                ]
            )
    return network_coverage_table(
        study["residential"],
        study["parks"],
        rule,
        graph,
        projects=study.get("projects"),
        year=year,
        include_planned=include_planned,
        subdistricts=study.get("subdistricts"),
        historic_blocks=study.get("historic_blocks"),
        barriers=barriers,
        disjoint=study.residential_disjoint,
        notes=notes,
    )


def marginal_gains(
    study: Study, rule: RuleSet, *, year: int = 2025, include_planned: bool = True
) -> pd.DataFrame:
    """Each green project's network gain, Euclidean gain beside (see
    :func:`geo.netcoverage.network_marginal_gains`)."""
    return network_marginal_gains(
        study["residential"],
        study["parks"],
        study["projects"],
        rule,
        year,
        graph_of(study, use_barriers=bool(rule.barriers)),
        historic_blocks=study.get("historic_blocks"),
        include_planned=include_planned,
    )
