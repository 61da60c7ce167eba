"""Network rules in the analyst API: the study area's street graph (cached) and the coverage table.

:func:`greenmap.analysis.coverage_table` calls :func:`coverage_table` here when the rule has a
``[network]`` table or ``barriers = true``. The graph is built once per study area, network file
and barrier setting (:func:`layers.network_io.street_graph` caches it in memory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from geo.netcoverage import network_coverage_table
from geo.netgains import network_marginal_gains
from geo.netgraph import StreetGraph
from geo.rules import RuleSet
from layers.errors import LayerError, Problem
from layers.network_io import street_graph

if TYPE_CHECKING:
    from greenmap.analysis import Study

__all__ = ["coverage_table", "entrances_used", "graph_of", "is_network_rule", "marginal_gains"]


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


#: Note of a network result when the area has no tagged entrances.
NO_ENTRANCES_NOTE = "no tagged entrances in this area's data: pseudo-entrances only"
_KIND_LABELS = (
    ("entrance", "tagged entrance"),
    ("pseudo", "pseudo-entrance"),
    ("crossing", "street crossing"),
    ("inside", "street node inside"),
)


def entrances_used(
    study: Study,
    rule: RuleSet,
    graph: StreetGraph,
    *,
    year: int | None = None,
    include_planned: bool = False,
    use_entrances: bool = True,
) -> tuple[pd.DataFrame | None, dict[str, int], str]:
    """The tagged entrances a network rule uses, the access points by kind, and the note saying so.

    Entrances come from the area's optional ``entrances`` layer; those of a park the rule does not
    count (by ``park_id``) are left out, so they cannot be taken for a neighbouring park's.

    Returns
    -------
    (GeoDataFrame or None, dict, str)
        The entrances given to the engine (metric CRS), the number of access points per kind
        (``entrance``, ``pseudo``, ``crossing``, ``inside``) and the note.
    """
    from geo.netaccess import access_points
    from geo.scenarios import scenario_parks

    assert rule.network is not None
    ent = study.optional("entrances") if use_entrances else None
    assigned = scenario_parks(
        study["parks"],
        rule,
        projects=study.get("projects"),
        year=year,
        include_planned=include_planned,
        historic_blocks=study.get("historic_blocks"),
    )
    if ent is not None and "park_id" in ent.columns and ent["park_id"].notna().any():
        ids = set(assigned["park_id"].astype(str)) if "park_id" in assigned.columns else set()
        ent = ent[ent["park_id"].isna() | ent["park_id"].astype(str).isin(ids)]
    ap = access_points(
        graph,
        assigned,
        max_distance_m=rule.network.access_max_distance_m,
        spacing_m=rule.network.entrance_spacing_m,
        entrances=ent if ent is not None and len(ent) else None,
    )
    kinds = pd.Series(ap.kind).value_counts()
    counts = {k: int(kinds.get(k, 0)) for k, _ in _KIND_LABELS}
    split = ", ".join(f"{counts[k]} {label}" for k, label in _KIND_LABELS)
    if not use_entrances:
        note = f"tagged entrances not used: pseudo-entrances only; access points: {split}"
    elif study.optional("entrances") is None:
        note = f"{NO_ENTRANCES_NOTE}; access points: {split}"
    else:
        total = len(study.optional("entrances"))  # type: ignore[arg-type]
        given = 0 if ent is None else len(ent)
        parks = len(set(ap.park[ap.kind == "entrance"].tolist()))
        note = (
            f"tagged entrances: {counts['entrance']} used ({given} of the area's {total} belong to "
            f"counted parks; {parks} park(s) reached only through them); access points: {split}"
        )
    return (ent if ent is not None and len(ent) else None), counts, note


def coverage_table(
    study: Study,
    rule: RuleSet,
    *,
    year: int | None = None,
    include_planned: bool = False,
    use_entrances: bool = True,
) -> pd.DataFrame:
    """The network (or barrier-cut Euclidean) coverage table with the Euclidean figures beside.

    See :func:`geo.netcoverage.network_coverage_table` for the columns; the network's notes
    (e.g. "drive network: walking distances are upper bounds") and how many tagged entrances and
    access points of each kind were used are in every row's ``note`` (``attrs``: ``access_kinds``,
    ``n_entrances``). ``use_entrances=False`` ignores the area's tagged entrances (pseudo-entrances
    and street crossings only), for comparison.
    """
    notes: list[str] = []
    graph = None
    barriers = None
    entrances = None
    kinds: dict[str, int] = {}
    if rule.network is not None:
        graph = graph_of(study, use_barriers=bool(rule.barriers))
        notes = list(graph.notes)
        note = (getattr(study.area, "network", None) or {}).get("note")
        if note and not any("upper bounds" in x for x in notes):
            notes.append(str(note))
        entrances, kinds, ent_note = entrances_used(
            study,
            rule,
            graph,
            year=year,
            include_planned=include_planned,
            use_entrances=use_entrances,
        )
        notes.append(ent_note)
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
    out = network_coverage_table(
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
        entrances=entrances,
        disjoint=study.residential_disjoint,
        notes=notes,
    )
    if rule.network is not None:
        out.attrs["access_kinds"] = kinds
        out.attrs["n_entrances"] = 0 if entrances is None else len(entrances)
    return out


def marginal_gains(
    study: Study, rule: RuleSet, *, year: int = 2025, include_planned: bool = True
) -> pd.DataFrame:
    """Each green project's network gain, Euclidean gain beside (see
    :func:`geo.netgains.network_marginal_gains`)."""
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
