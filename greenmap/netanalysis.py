"""Network rules in the analyst API: the study area's street graph (cached) and the coverage table.

:func:`greenmap.analysis.coverage_table` calls :func:`coverage_table` here when the rule has a
``[network]`` table or ``barriers = true``. The graph is built once per study area, network file
and barrier setting (:func:`layers.network_io.street_graph` caches it in memory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from geo.netgains import network_marginal_gains
from geo.netgraph import StreetGraph
from geo.nettable import network_coverage_table
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
    count (by ``park_id``) are left out, so they cannot be taken for a neighbouring park's
    (:func:`geo.netentrances.entrances_for`). They are used as the rule's
    ``network.tagged_entrances`` says; ``use_entrances=False`` is ``"ignore"`` (none given).

    Returns
    -------
    (GeoDataFrame or None, dict, str)
        The entrances given to the engine (metric CRS), the number of access points per kind
        (``entrance``, ``pseudo``, ``crossing``, ``inside``) and the note.
    """
    from geo.netaccess import access_points
    from geo.netentrances import entrances_for
    from geo.scenarios import scenario_parks

    assert rule.network is not None
    mode = rule.network.tagged_entrances if use_entrances else "ignore"
    area_ent = study.optional("entrances")
    assigned = scenario_parks(
        study["parks"],
        rule,
        projects=study.get("projects"),
        year=year,
        include_planned=include_planned,
        historic_blocks=study.get("historic_blocks"),
    )
    ent = None if mode == "ignore" else entrances_for(area_ent, assigned)
    ap = access_points(
        graph,
        assigned,
        max_distance_m=rule.network.access_max_distance_m,
        spacing_m=rule.network.entrance_spacing_m,
        entrances=ent,
        tagged=mode,
    )
    kinds = pd.Series(ap.kind).value_counts()
    counts = {k: int(kinds.get(k, 0)) for k, _ in _KIND_LABELS}
    split = ", ".join(f"{counts[k]} {label}" for k, label in _KIND_LABELS)
    if not use_entrances:
        note = f"tagged entrances not used: pseudo-entrances only; access points: {split}"
    elif area_ent is None:
        note = f"{NO_ENTRANCES_NOTE}; access points: {split}"
    elif mode == "ignore":
        note = (
            "tagged entrances not used (rule: network.tagged_entrances = ignore): "
            f"pseudo-entrances only; access points: {split}"
        )
    else:
        given = 0 if ent is None else len(ent)
        parks = len(set(ap.park[ap.kind == "entrance"].tolist()))
        how = (
            "reached only through them"
            if mode == "only"
            else "reached through them and their pseudo-entrances"
        )
        note = (
            f"tagged entrances: {counts['entrance']} used ({given} of the area's {len(area_ent)} "
            f"belong to counted parks; {parks} park(s) {how}); access points: {split}"
        )
    return ent, counts, note


def coverage_table(
    study: Study,
    rule: RuleSet,
    *,
    year: int | None = None,
    include_planned: bool = False,
    use_entrances: bool = True,
) -> pd.DataFrame:
    """The network (or barrier-cut Euclidean) coverage table with the Euclidean figures beside.

    See :func:`geo.nettable.network_coverage_table` for the columns; the network's notes
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
    study: Study,
    rule: RuleSet,
    *,
    year: int = 2025,
    include_planned: bool = True,
    use_entrances: bool = True,
) -> pd.DataFrame:
    """Each green project's network gain, Euclidean gain beside (see
    :func:`geo.netgains.network_marginal_gains`), with the area's tagged entrances.

    ``attrs``: ``note`` (the tagged entrances and access points of the parks of ``year``, as in
    :func:`coverage_table`), ``access_kinds`` and ``n_entrances`` (of those parks);
    ``use_entrances=False`` ignores the entrances.
    """
    assert rule.network is not None
    graph = graph_of(study, use_barriers=bool(rule.barriers))
    # the note for the parks of the year; the gains get the area's entrances, given to each
    # project's label by geo.netentrances.entrance_owners (a project outside the baseline is no park
    # of the year, yet its gates count for its own gain)
    used, kinds, note = entrances_used(
        study,
        rule,
        graph,
        year=year,
        include_planned=include_planned,
        use_entrances=use_entrances,
    )
    out = network_marginal_gains(
        study["residential"],
        study["parks"],
        study["projects"],
        rule,
        year,
        graph,
        historic_blocks=study.get("historic_blocks"),
        include_planned=include_planned,
        entrances=study.optional("entrances") if use_entrances else None,
    )
    out.attrs = {
        "note": note,
        "access_kinds": kinds,
        "n_entrances": 0 if used is None else len(used),
    }
    return out
