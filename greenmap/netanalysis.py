"""Network rules in the analyst API: the study area's street graph (cached) and the coverage table.

:func:`greenmap.analysis.coverage_table` calls :func:`coverage_table` here when the rule has a
``[network]`` table or ``barriers = true``. The graph is built once per study area, network file
and barrier setting (:func:`layers.network_io.street_graph` caches it in memory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from geo.netcoverage import network_coverage_table, network_marginal_gains
from geo.netgraph import StreetGraph
from geo.rules import RuleSet
from layers.errors import LayerError, Problem
from layers.network_io import street_graph

if TYPE_CHECKING:
    from greenmap.analysis import Study

__all__ = ["coverage_table", "graph_of", "is_network_rule", "marginal_gains"]


def is_network_rule(rule: RuleSet) -> bool:
    """The rule needs the network engine (a ``[network]`` table or ``barriers = true``)."""
    return rule.network is not None or bool(rule.barriers)


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
        barriers=study.optional("barriers") if use_barriers else None,
        use_barriers=use_barriers,
        fmt=net.get("format") or None,
        mode=net.get("mode") or None,
        water=study.optional("water") if use_barriers else None,
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
        barriers = study.optional("barriers")
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
