"""Small hand-made cities the network tests share: rules, a street grid, block parcels, parks,
projects, a toy :class:`~greenmap.analysis.Study`, and the exact-area helpers.

Plain functions (as in ``tests/_webapp.py``), each building fresh frames, so a test may change what
it gets. Everything is in the metric :data:`CRS` (EPSG:4548, metres; areas in m²).

Shared by the network tests that mirror ``geo/net*.py`` (``tests/test_geo_netaccess.py``,
``test_geo_netbarriers.py``, ``test_geo_netcoverage.py``, ``test_geo_netengine.py``,
``test_geo_netoverlay.py``, ``test_geo_netrules.py``, ``test_geo_nettable.py``,
``test_geo_netgains.py``), ``tests/test_net_entrances.py``, ``tests/test_layers_osm_entrances.py``
and ``tests/test_geo_scenarios.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import LineString, Point, box

from geo.coverage import covered_area
from geo.netengine import Reach
from geo.netgraph import StreetGraph, build_graph
from geo.rules import RuleSet
from greenmap.analysis import Study

CRS = "EPSG:4548"
QS = 256  # fine buffers: arc error well below the tolerances used

# the network section of the walled-park rules (metres): pseudo-entrances every 20 m, a park's
# access within 30 m of a street, the land 50 m either side of a reached street served; a
# read-only Mapping, so a rule takes a copy (``dict(WALK_NETWORK)``)
WALK_NETWORK: Mapping[str, Any] = {
    "catchment_m": 50,
    "access_max_distance_m": 30,
    "entrance_spacing_m": 20,
}


# ------------------------------------------------------------------------------------------------
# rules


def rule_set(radius_m: float, min_area_m2: float = 0, **extra: Any) -> RuleSet:
    """A one-tier test rule "walk": parks of at least ``min_area_m2`` (m²) serve ``radius_m`` (m).

    Parameters
    ----------
    radius_m
        The tier's radius, metres.
    min_area_m2
        Both the eligibility threshold and the tier's lower bound, m².
    **extra
        Further rule fields, after the tiers (``network`` for a network rule); a field named here
        that the default has (``id``, ``tiers`` …) replaces it in place.
    """
    d: dict[str, Any] = {
        "id": "walk",
        "title_zh": "步行",
        "title_en": "walk",
        "citation": "test",
        "citation_status": "secondary",
        "eligibility": {"min_area_m2": min_area_m2},
        "tiers": [{"min_area_m2": min_area_m2, "radius_m": radius_m}],
    }
    return RuleSet.from_dict({**d, **extra})


def network_rule(**extra: Any) -> RuleSet:
    """:func:`rule_set` at 250 m with a 40 m network catchment; ``extra`` replaces fields
    (a ``network`` given here replaces the whole table)."""
    return rule_set(250, **({"network": {"catchment_m": 40}} | extra))


# ------------------------------------------------------------------------------------------------
# a street grid and its blocks


def grid(k: int = 9, step: float = 100.0) -> StreetGraph:
    """A ``k`` × ``k`` street grid of ``step`` m blocks from (0, 0); node ids ``"x,y"``."""
    segs = []
    for a in range(k):
        for b in range(k - 1):
            segs.append(((b * step, a * step), ((b + 1) * step, a * step)))
            segs.append(((a * step, b * step), (a * step, (b + 1) * step)))
    u = [f"{p[0]:g},{p[1]:g}" for p, _ in segs]
    v = [f"{q[0]:g},{q[1]:g}" for _, q in segs]
    e = gpd.GeoDataFrame({"u": u, "v": v}, geometry=[LineString([p, q]) for p, q in segs], crs=CRS)
    return build_graph(e)


def edges_of(
    segments: Sequence[tuple[Sequence[float], Sequence[float]]], **cols: Any
) -> gpd.GeoDataFrame:
    """Street edges from ((x0, y0), (x1, y1)) pairs; node ids are the rounded end coordinates."""
    u = [f"{a[0]:g},{a[1]:g}" for a, _ in segments]
    v = [f"{b[0]:g},{b[1]:g}" for _, b in segments]
    return gpd.GeoDataFrame(
        {"u": u, "v": v, **cols}, geometry=[LineString([a, b]) for a, b in segments], crs=CRS
    )


def node_dist(graph: StreetGraph, reach: Reach, xy: tuple[float, float]) -> float:
    """The walking distance (m) ``reach`` gives to the node of ``graph`` at ``xy`` (inf: not
    reached)."""
    i = int(np.flatnonzero((np.abs(graph.node_xy - np.asarray(xy)) < 1e-9).all(axis=1))[0])
    return float(reach.node_distance[i])


def river_city(bridge_at_0: bool = True) -> tuple[StreetGraph, gpd.GeoDataFrame]:
    """Two east-west streets at y = ±100 m from x = −500 to 500 m, joined by connectors at x = 0
    and x = 300 m across a river along y = 0; the connector at x = 0 is a bridge when
    ``bridge_at_0``. Returns the graph and the river (a barrier layer of kind ``"river"``)."""
    segs = [((x, -100), (x + 100, -100)) for x in range(-500, 500, 100)]
    segs += [((x, 100), (x + 100, 100)) for x in range(-500, 500, 100)]
    segs += [((0, -100), (0, 100)), ((300, -100), (300, 100))]
    bridge = [None] * (len(segs) - 2) + ["yes" if bridge_at_0 else None, None]
    e = edges_of(segs, bridge=bridge)
    river = gpd.GeoDataFrame(
        {"kind": ["river"]}, geometry=[LineString([(-1000, 0), (1000, 0)])], crs=CRS
    )
    return build_graph(e), river


def random_city(seed: int) -> tuple[StreetGraph, gpd.GeoDataFrame, gpd.GeoSeries]:
    """A seeded 7 × 7 jittered grid (80 m, ~20 % of streets dropped, each a two-segment line),
    two parks (``radius_m`` 300 and 180 m) and a lattice of 37 × 29 m demand cells over it."""
    rng = np.random.default_rng(seed)
    n = 7
    xy = {
        (i, j): (i * 80 + rng.uniform(-15, 15), j * 80 + rng.uniform(-15, 15))
        for i in range(n)
        for j in range(n)
    }
    segs = []
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n and rng.random() > 0.2:
                    a, b = xy[(i, j)], xy[(i + di, j + dj)]
                    mid = (
                        (a[0] + b[0]) / 2 + rng.uniform(-8, 8),
                        (a[1] + b[1]) / 2 + rng.uniform(-8, 8),
                    )
                    segs.append((a, mid, b))
    e = gpd.GeoDataFrame(
        {"u": [f"{s[0]}" for s in segs], "v": [f"{s[2]}" for s in segs]},
        geometry=[LineString(s) for s in segs],
        crs=CRS,
    )
    parks = parks_of(
        box(100, 100, 150, 170),
        Point(400, 60).buffer(25),
        radius=0.0,
    )
    parks["radius_m"] = [300.0, 180.0]
    cells = [box(x, y, x + 37, y + 29) for x in range(-20, 520, 41) for y in range(-20, 520, 33)]
    return build_graph(e), parks, gpd.GeoSeries(cells, crs=CRS)


def block_parcels(n: int = 8) -> gpd.GeoDataFrame:
    """A residential parcel 15 m inside each of ``n`` × ``n`` 100 m blocks from (0, 0).

    Parcels ``"0"``, ``"1"`` … column by column (x outer, y inner); 街道 ``"w"`` west of
    x = 50·n m, ``"e"`` east of it.
    """
    cells = [
        box(x + 15, y + 15, x + 85, y + 85)
        for x in range(0, 100 * n, 100)
        for y in range(0, 100 * n, 100)
    ]
    cx = np.array([c.centroid.x for c in cells])
    return gpd.GeoDataFrame(
        {
            "parcel_id": [str(i) for i in range(len(cells))],
            "subdistrict_code": np.where(cx < 50 * n, "w", "e"),
        },
        geometry=cells,
        crs=CRS,
    )


# ------------------------------------------------------------------------------------------------
# parks and green projects


def parks_of(*geoms: shapely.Geometry, radius: float = 500.0) -> gpd.GeoDataFrame:
    """Service sources ``"p0"``, ``"p1"`` … from ``geoms``, each of ``radius_m`` = ``radius`` m."""
    return gpd.GeoDataFrame(
        {"park_id": [f"p{i}" for i in range(len(geoms))], "radius_m": radius},
        geometry=list(geoms),
        crs=CRS,
    )


def garden_parks(specs: Sequence[tuple[str, shapely.Geometry, float, int]]) -> gpd.GeoDataFrame:
    """Existing gardens from ``(park_id, geometry, area_m2, opened_year)`` specs."""
    return gpd.GeoDataFrame(
        {
            "park_id": [s[0] for s in specs],
            "area_m2": [s[2] for s in specs],
            "kind": ["garden"] * len(specs),
            "status": ["existing"] * len(specs),
            "opened_year": [s[3] for s in specs],
        },
        geometry=[s[1] for s in specs],
        crs=CRS,
    )


def park_projects(
    specs: Sequence[tuple[str, shapely.Geometry | None, float, str]],
    *,
    names: Sequence[str] | None = None,
    planned_end_year: Sequence[int] | None = None,
) -> gpd.GeoDataFrame:
    """Park projects from ``(project_id, geometry, area_m2, status_history)`` specs.

    Named ``项目<id>`` and planned to end in 2030 unless ``names`` / ``planned_end_year`` say.
    """
    return gpd.GeoDataFrame(
        {
            "project_id": [s[0] for s in specs],
            "name_zh": list(names) if names is not None else [f"项目{s[0]}" for s in specs],
            "category": ["park"] * len(specs),
            "area_m2": [s[2] for s in specs],
            "status_history": [s[3] for s in specs],
            "planned_end_year": (
                list(planned_end_year) if planned_end_year is not None else [2030] * len(specs)
            ),
        },
        geometry=[s[1] for s in specs],
        crs=CRS,
    )


def toy_study(layers: dict[str, gpd.GeoDataFrame]) -> Study:
    """A :class:`~greenmap.analysis.Study` of the study area "toy" over ``layers`` (metric CRS)."""
    area = SimpleNamespace(name="toy", layers={}, network={}, metric_crs=CRS, config_file=None)
    return Study(area=area, layers=layers)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------
# exact areas and table rows


def cap_integral(u: float, r: float) -> float:
    """∫ sqrt(r² − u²) du (antiderivative)."""
    return u / 2 * math.sqrt(max(r * r - u * u, 0.0)) + r * r / 2 * math.asin(u / r)


def covered(sources: gpd.GeoDataFrame, parcel: shapely.Geometry) -> float:
    """The area (m²) of ``parcel`` within the ``radius_m`` of the service ``sources``."""
    return float(
        covered_area(
            gpd.GeoSeries([parcel], crs=CRS), sources.geometry, sources["radius_m"], quad_segs=QS
        )[0]
    )


def district_row(t: pd.DataFrame) -> pd.Series:
    """The district, all-land row of a coverage table."""
    return t[(t["scope"] == "district") & (t["variant"] == "all_land")].iloc[0]
