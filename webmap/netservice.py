"""Walking-network rules on the web map (issue 12): service areas, uncovered land and coverage.

Called by :class:`webmap.service.MapService` for rules with a ``[network]`` table (or
``barriers = true``); everything is cached there per data version. A study area without a street
network makes these layers *unavailable* (:class:`webmap.service.UnavailableError`), never a 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coverage import DEFAULT_QUAD_SEGS
from geo.netbarriers import cut_by_barriers
from geo.netcoverage import network_service, service_area_polygons
from geo.netentrances import entrances_for
from geo.netgraph import StreetGraph
from geo.nettable import network_coverage_table

if TYPE_CHECKING:
    from webmap.service import MapService

__all__ = ["coverage_table", "is_network", "radii_layer", "served"]


def is_network(rule: Any) -> bool:
    """The rule needs the network engine: a ``[network]`` table or ``barriers = true``."""
    return getattr(rule, "network", None) is not None or bool(getattr(rule, "barriers", False))


def _study_area(svc: MapService) -> Any:
    loader: Any = svc.loader
    while hasattr(loader, "base"):
        loader = loader.base
    study = getattr(loader, "_study", None)
    return study() if callable(study) else None


def _layer(svc: MapService, name: str) -> gpd.GeoDataFrame | None:
    from webmap.service import UnavailableError

    try:
        return svc._metric(name)
    except (UnavailableError, KeyError):
        return None


def _barriers(svc: MapService) -> gpd.GeoDataFrame | None:
    return _layer(svc, "barriers")


def _entrances(
    svc: MapService, rule: Any, parks: gpd.GeoDataFrame
) -> gpd.GeoDataFrame | gpd.GeoSeries | None:
    """The area's tagged entrances the rule uses (those of uncounted parks left out), as the
    analyst API does (:func:`greenmap.netanalysis.entrances_used`); ``None`` when there are none
    or the rule ignores them."""
    if rule.network is None or rule.network.tagged_entrances == "ignore":
        return None
    return entrances_for(_layer(svc, "entrances"), parks)


def graph(svc: MapService, rule: Any) -> StreetGraph:
    """The study area's walking graph (cached per data version and barrier setting)."""
    from layers.network_io import street_graph
    from webmap.service import UnavailableError

    def make() -> StreetGraph:
        area = _study_area(svc)
        path = area.network_path() if area is not None and hasattr(area, "network_path") else None
        if path is None or not path.exists():
            raise UnavailableError(
                f"rule {rule.id!r} walks along streets, but this study area names no street "
                "network (build one with `greenmap studyarea build`, e.g. xicheng-osm)"
            )
        net = getattr(area, "network", {}) or {}
        use = bool(getattr(rule, "barriers", False))
        return street_graph(
            path,
            svc.loader.metric_crs(),
            barriers=_barriers(svc) if use else None,
            use_barriers=use,
            fmt=net.get("format") or None,
            mode=net.get("mode") or None,
            water=_layer(svc, "water") if use else None,
        )

    return svc.cached(("net_graph", bool(getattr(rule, "barriers", False))), make)


def served(svc: MapService, rule_id: str, year: int | None) -> shapely.Geometry:
    """The served area under a network (or barrier-cut Euclidean) rule, metric CRS."""

    def make() -> shapely.Geometry:
        rule = svc.rule(rule_id)
        pr = svc.assigned(rule_id, year)
        qs = getattr(rule, "quad_segs", None) or DEFAULT_QUAD_SEGS
        if rule.network is not None:
            p = rule.network
            src = network_service(
                graph(svc, rule),
                pr,
                catchment_m=p.catchment_m,
                max_distance_m=p.access_max_distance_m,
                spacing_m=p.entrance_spacing_m,
                entrances=_entrances(svc, rule, pr),
                tagged=p.tagged_entrances,
            ).sources
            return service_area_polygons(src, quad_segs=qs)
        sa = shapely.buffer(
            np.asarray(pr.geometry.values), pr["radius_m"].to_numpy(float), quad_segs=qs
        )
        cut = cut_by_barriers(sa, np.asarray(pr.geometry.values), _barriers(svc))
        return shapely.union_all(cut) if len(cut) else shapely.Polygon()

    return svc.cached(("net_served", rule_id, year), make)


def radii_layer(svc: MapService, rule_id: str, year: int | None) -> gpd.GeoDataFrame:
    """The network service area as one map feature (EPSG:4326), in the radii layer's columns."""
    rule = svc.rule(rule_id)
    g = served(svc, rule_id, year)
    pr = svc.assigned(rule_id, year)
    radius = float(max(rule.radii)) if rule.radii else np.nan
    walk = rule.network is not None
    out = gpd.GeoDataFrame(
        pd.DataFrame(
            {
                "park_id": [f"{rule_id}:service_area"],
                "name_zh": ["步行网络服务区" if walk else "阻隔切分服务区"],
                "name_en": [
                    "walking-network service area" if walk else "service area cut by barriers"
                ],
                "radius_m": [radius],
                "tier": ["; ".join(t.label for t in rule.tiers)],
                "n_parks": [len(pr)],
            }
        ),
        geometry=[g],
        crs=pr.crs,
    ).to_crs(4326)
    out["rule_id"] = rule_id
    out["geometry_quality"] = "approximate"
    out["source"] = (
        (
            "本工具计算 computed: streets reached from park access points, buffered by the catchment "
            "(distance counted along streets)"
            if walk
            else "本工具计算 computed: park buffers cut along barrier lines"
        )
        + "; "
        + str(getattr(rule, "citation", rule_id))
    )
    return out


def coverage_table(svc: MapService, rule_id: str, year: int | None) -> pd.DataFrame:
    """The network coverage table (Euclidean figures beside) for the map's panels."""
    rule = svc.rule(rule_id)
    hb = svc._metric("historic_blocks") if svc.try_layer("historic_blocks") is not None else None
    g = graph(svc, rule) if rule.network is not None else None
    ent = _entrances(svc, rule, svc.assigned(rule_id, year)) if g is not None else None
    return network_coverage_table(
        svc._metric("residential"),
        svc._metric("parks"),
        rule,
        g,
        projects=svc._metric("projects") if year is not None else None,
        year=year,
        subdistricts=svc._metric("subdistricts"),
        historic_blocks=hb,
        barriers=None if g is not None else _barriers(svc),
        entrances=ent,
        notes=list(g.notes) if g is not None else None,
    )
