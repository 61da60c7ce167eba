"""geo/netgains.py: the vectorised network marginal gains against the old per-project loop.

``loop_gains`` below is the implementation that ``geo.netcoverage.network_marginal_gains`` had
before (one network run and one service-area union per project), kept here as the slow
reference: the vectorised gains must equal it to 1e-9 on grid cities with baseline parks, an
in-baseline project, a project with no street access, one the rule does not count, one without
geometry, a zone tier and the non-historic variant.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import box

from geo.coverage import DEFAULT_QUAD_SEGS
from geo.netaccess import access_points
from geo.netcoverage import network_service, service_area_polygons, service_sources
from geo.netengine import network_reach
from geo.netgains import NOISE_M2, _gain_land, network_marginal_gains
from geo.netgraph import StreetGraph
from geo.netlabels import labelled_reach
from geo.netoverlay import network_covered_area
from geo.nettable import euclidean_rule
from geo.rules import RuleSet
from tests._netfixtures import CRS, block_parcels, garden_parks, grid, park_projects, rule_set
from tests._shared import needs_realdata

# ------------------------------------------------------------------------------------------------
# the reference: the old loop, one network run per project


def loop_gains(
    residential: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame,
    rule: RuleSet,
    year: int,
    graph: StreetGraph,
    *,
    historic_blocks: gpd.GeoDataFrame | None = None,
    include_planned: bool = False,
    by: str = "subdistrict_code",
) -> pd.DataFrame:
    """Each green project's own gain under a network rule, with the Euclidean gain beside.

    The projects, their standing under the rule, the baseline of ``year`` and the variant are those
    of :func:`geo.scenarios.marginal_gains` (called with the same rule measured in a straight
    line, whose gains become ``euclidean_gain_m2`` / ``euclidean_gain_pp``). The network gain of a
    project outside the baseline is its network service area over the residential land the
    baseline's network service leaves unserved; for a project in the baseline, the land only it
    serves. One network run per counted project (a loop over projects, each run vectorised over
    its access points). Metric CRS; m² and percentage points.

    Returns
    -------
    DataFrame
        :data:`geo.scenarios.GAIN_COLUMNS` (gains on the network, ranks re-computed) plus
        ``euclidean_gain_m2``, ``euclidean_gain_pp`` and ``method`` = ``"network"``.
    """
    from geo.indicator import _polygonal
    from geo.rules import assign_radii
    from geo.scenarios import GAIN_COLUMNS, green_projects, marginal_gains, parks_as_of

    if rule.network is None:
        raise ValueError(f"rule {rule.id!r} is not a network rule")
    net_p = rule.network
    euc = marginal_gains(
        residential,
        parks,
        projects,
        euclidean_rule(rule),
        year,
        historic_blocks=historic_blocks,
        include_planned=include_planned,
        by=by,
    )
    variant = str(euc["variant"].iloc[0]) if len(euc) else "all_land"
    # the land (parcels, historic blocks cut out for the variant) as the engine takes it
    rg, keys, res_area, total = _gain_land(residential, historic_blocks, variant, by)

    zones = historic_blocks if any(t.zone != "any" for t in rule.tiers) else None
    base = assign_radii(parks_as_of(parks, projects, year, include_planned), rule, zones)

    def served(p: gpd.GeoDataFrame) -> shapely.Geometry:
        if len(p) == 0:
            return shapely.Polygon()
        src = network_service(
            graph,
            p,
            catchment_m=net_p.catchment_m,
            max_distance_m=net_p.access_max_distance_m,
            spacing_m=net_p.entrance_spacing_m,
        ).sources
        return service_area_polygons(src, quad_segs=rule.quad_segs or DEFAULT_QUAD_SEGS)

    served_base = served(base)
    unc = _polygonal(shapely.difference(rg, served_base))
    gp = green_projects(projects).reset_index(drop=True)
    gp_geom = dict(zip(gp["project_id"].astype(str), gp.geometry.values, strict=True))
    d_rows = euc[euc["scope"] == "district"]
    gains: dict[str, pd.Series] = {}
    for _, row in d_rows.iterrows():  # one network run per counted project
        pid = str(row["project_id"])
        if not (bool(row["eligible"]) and np.isfinite(row["gain_m2"])):
            continue
        one = gpd.GeoDataFrame(
            {"park_id": [pid], "radius_m": [float(row["radius_m"])]},
            geometry=[gp_geom[pid]],
            crs=projects.crs,
        )
        own = served(one)
        if bool(row["in_baseline"]):
            others = base[base["park_id"].astype(str) != pid]
            land = _polygonal(shapely.difference(rg, served(others)))
        else:
            land = unc
        gains[pid] = pd.Series(shapely.area(shapely.intersection(land, own))).groupby(keys).sum()

    rows = []
    for _, row in d_rows.iterrows():
        pid = str(row["project_id"])
        common = {c: row[c] for c in GAIN_COLUMNS if c not in ("scope", "unit_code", "gain_m2")}
        if pid not in gains:
            rows.append({**common, "scope": "district", "unit_code": "district",
                         "gain_m2": row["gain_m2"] if not np.isfinite(row["gain_m2"]) else 0.0})  # fmt: skip
            continue
        g = gains[pid][gains[pid] > 0]
        rows.append(
            {**common, "scope": "district", "unit_code": "district", "gain_m2": float(g.sum())}
        )
        for code, v in g.items():
            rows.append(
                {**common, "scope": "subdistrict", "unit_code": str(code), "gain_m2": float(v),
                 "residential_m2": float(res_area.get(code, 0.0))}
            )  # fmt: skip
    out = pd.DataFrame(rows)
    if len(out):
        out["residential_m2"] = np.where(
            out["scope"] == "district", total, out["residential_m2"].astype(float)
        )
        out["gain_pp"] = (
            100.0 * out["gain_m2"] / out["residential_m2"].where(out["residential_m2"] > 0)
        )
        out["rank"] = (
            out.groupby(["scope", "unit_code"])["gain_m2"]
            .rank(method="min", ascending=False, na_option="keep")
            .astype("Int64")
        )
        e = euc[["project_id", "scope", "unit_code", "gain_m2", "gain_pp"]].rename(
            columns={"gain_m2": "euclidean_gain_m2", "gain_pp": "euclidean_gain_pp"}
        )
        out = out.merge(e, on=["project_id", "scope", "unit_code"], how="left")
    else:
        out = pd.DataFrame(columns=[*GAIN_COLUMNS, "euclidean_gain_m2", "euclidean_gain_pp"])
    out["method"] = "network"
    out = out.sort_values(
        ["scope", "unit_code", "gain_m2", "project_id"],
        ascending=[True, True, False, True],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)
    return out[[*GAIN_COLUMNS, "euclidean_gain_m2", "euclidean_gain_pp", "method"]]


# ------------------------------------------------------------------------------------------------
# fixtures: a 9 × 9 street grid (100 m blocks), parcels in every block, a historic block


@pytest.fixture(scope="module")
def city() -> dict[str, Any]:
    res = block_parcels(8)
    parks = garden_parks(
        [
            ("a", box(110, 110, 190, 190), 6400.0, 1990),
            ("b", box(510, 110, 590, 190), 6400.0, 2000),
            ("tiny", box(420, 620, 460, 650), 1200.0, 2005),
        ]
    )
    specs = [
        # id, geometry, area_m2, status history
        ("done", box(310, 310, 390, 390), 6400.0, "2020:planned;2022:done"),
        ("done2", box(120, 130, 180, 170), 6400.0, "2020:planned;2023:done"),  # inside park a
        ("later", box(610, 610, 690, 690), 6400.0, "2020:planned;2030:done"),
        ("overlap", box(120, 520, 180, 580), 5600.0, "2020:planned;2030:done"),
        ("noaccess", box(240, 640, 260, 660), 6000.0, "2020:planned;2030:done"),
        ("small", box(710, 10, 790, 30), 1600.0, "2020:planned;2030:done"),
        ("hist", box(615, 415, 655, 445), 1500.0, "2020:planned;2021:done"),
        ("nogeom", None, 6400.0, "2020:planned;2030:done"),
    ]
    projects = park_projects(specs)
    hist = gpd.GeoDataFrame(
        {"block_id": ["h"], "name_zh": ["历史街区"]}, geometry=[box(600, 300, 800, 500)], crs=CRS
    )
    return {"graph": grid(), "res": res, "parks": parks, "projects": projects, "hist": hist}


def rule_of(**extra: Any) -> RuleSet:
    return rule_set(250, 5000, **({"network": {"catchment_m": 40}} | extra))


ZONED = {
    "exclusion": "historic_blocks",
    "eligibility": {"min_area_m2": 1000},
    "tiers": [
        {"min_area_m2": 5000, "radius_m": 300},
        {"min_area_m2": 2000, "max_area_m2": 5000, "radius_m": 180},
        {"min_area_m2": 1000, "radius_m": 220, "zone": "inside_exclusion"},
    ],
    "network": {"catchment_m": 60, "access_max_distance_m": 25, "entrance_spacing_m": 25},
}


def assert_same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    # the loop keeps 街道 rows of rounding noise (a sliver of 1e-10 m²); the package drops them
    noise = (old["scope"] == "subdistrict") & (old["gain_m2"] <= NOISE_M2)
    old = old[~noise].reset_index(drop=True)
    assert list(new.columns) == list(old.columns)
    assert len(new) == len(old)
    key = ["scope", "unit_code", "project_id"]
    assert new[key].values.tolist() == old[key].values.tolist()
    pd.testing.assert_frame_equal(new, old, check_exact=False, rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------------------------------------
# the vectorised gains equal the loop


@pytest.mark.parametrize(
    ("extra", "hist", "planned"),
    [({}, False, False), ({}, False, True), (ZONED, True, False), (ZONED, True, True)],
    ids=["simple", "simple-planned", "zoned-non-historic", "zoned-planned"],
)
def test_vectorised_gains_equal_the_loop(city, extra, hist, planned) -> None:
    rule = rule_of(**extra)
    kw: dict[str, Any] = {"include_planned": planned}
    if hist:
        kw["historic_blocks"] = city["hist"]
    args = (city["res"], city["parks"], city["projects"], rule, 2025, city["graph"])
    old = loop_gains(*args, **kw)
    new = network_marginal_gains(*args, **kw)
    assert_same(new, old)
    d: dict[Any, dict[Any, Any]] = (
        new[new["scope"] == "district"].set_index("project_id").to_dict("index")
    )
    # the cases the fixture is there for
    assert d["done"]["in_baseline"] and d["done"]["gain_m2"] > 0
    assert d["noaccess"]["eligible"] and d["noaccess"]["gain_m2"] == 0.0
    assert np.isnan(d["nogeom"]["gain_m2"]) and d["nogeom"]["reason"] == "no geometry"
    assert d["later"]["gain_m2"] > 0 and d["later"]["euclidean_gain_m2"] > 0
    # no street within the access distance: nothing on the network, a gain in a straight line
    assert d["noaccess"]["euclidean_gain_m2"] > 0
    if hist:
        assert set(new["variant"]) == {"non_historic"}
        # the zone tier counts the small project inside the historic block
        assert d["hist"]["eligible"] and d["hist"]["radius_m"] == 220.0
    else:
        assert not d["small"]["eligible"] and d["small"]["gain_m2"] == 0.0
    # an in-baseline project next to (inside) another park serves almost nothing of its own
    assert d["done2"]["in_baseline"] and d["done2"]["gain_m2"] < d["done"]["gain_m2"]


def test_gains_without_baseline_or_projects(city) -> None:
    rule = rule_of()
    g = city["graph"]
    no_parks = city["parks"].iloc[0:0]
    args = (city["res"], no_parks, city["projects"], rule, 2019, g)
    assert_same(network_marginal_gains(*args), loop_gains(*args))
    none = city["projects"].iloc[0:0]
    out = network_marginal_gains(city["res"], city["parks"], none, rule, 2025, g)
    assert len(out) == 0 and list(out.columns) == list(
        loop_gains(city["res"], city["parks"], none, rule, 2025, g).columns
    )
    with pytest.raises(ValueError, match="not a network rule"):
        d = rule.to_dict()
        d.pop("network")
        network_marginal_gains(city["res"], city["parks"], none, RuleSet.from_dict(d), 2025, g)


# ------------------------------------------------------------------------------------------------
# the pieces: labelled reach, labelled sources, labelled covered area


def test_labelled_reach_equals_one_run_per_label(city) -> None:
    g = city["graph"]
    parks = city["parks"].assign(radius_m=[250.0, 180.0, 120.0])
    ap = access_points(g, parks, max_distance_m=30, spacing_m=20)
    # labels: {a, b, tiny}, {a}, {b, tiny}, {} (no park)
    ml, mp = [0, 0, 0, 1, 2, 2], [0, 1, 2, 0, 1, 2]
    reach, rem, own = labelled_reach(g, ap, parks["radius_m"], ml, mp, 4)
    for lab, ps in enumerate([[0, 1, 2], [0], [1, 2], []]):
        one = parks.iloc[ps]
        r1 = network_reach(
            g, access_points(g, one, max_distance_m=30, spacing_m=20), one["radius_m"]
        )
        n0 = g.n_nodes
        a, b = rem[lab, :n0], r1.rem[:n0]
        assert (np.isinf(a) == np.isinf(b)).all()
        fin = np.isfinite(a)
        assert np.abs(a[fin] - b[fin]).max(initial=0.0) < 1e-9
        # the label's own access nodes: as many as its own run has virtual nodes
        assert int(own[lab, n0:].sum()) == len(r1.rem) - n0
        # the labelled sources cover the same land as the label's own run, parcel by parcel
        s1 = service_sources(r1, 40.0)
        sl = service_sources(reach, 40.0, rem=rem, node_mask=own)
        sl = sl[sl["label"] == lab]
        c1 = network_covered_area(city["res"], s1, quad_segs=64)
        cl = network_covered_area(city["res"], sl, quad_segs=64)
        assert np.allclose(cl, c1, rtol=1e-9, atol=1e-9)
        assert (lab == 3) == (c1.sum() == 0)
    # the label of all parks is the unlabelled run of all of them, virtual nodes included
    full = network_reach(g, ap, parks["radius_m"])
    assert len(full.rem) == rem.shape[1] and np.array_equal(full.node_xy, reach.node_xy)
    assert (np.isinf(rem[0]) == np.isinf(full.rem)).all()
    fin = np.isfinite(full.rem)
    assert np.abs(rem[0][fin] - full.rem[fin]).max() < 1e-9
    assert np.array_equal(reach.rem, rem.max(axis=0))


def test_labelled_covered_area_is_the_per_label_call(city) -> None:
    g = city["graph"]
    parks = city["parks"].assign(radius_m=200.0)
    net = network_service(g, parks, catchment_m=40)
    src = net.sources.assign(label=np.arange(len(net.sources)) % 3)
    tab = network_covered_area(city["res"], src, label="label", quad_segs=32)
    assert set(tab["label"]) == {0, 1, 2}
    for lab in range(3):
        one = network_covered_area(city["res"], src[src["label"] == lab], quad_segs=32)
        t = tab[tab["label"] == lab]
        dense = np.zeros(len(city["res"]))
        dense[t["parcel"].to_numpy()] = t["covered_m2"].to_numpy()
        assert np.array_equal(dense, one)
    # pairs restrict the computed (label, parcel) pairs
    keep = tab.iloc[::2]
    n = len(city["res"])
    sub = network_covered_area(
        city["res"], src, label="label", quad_segs=32, pairs=keep["label"] * n + keep["parcel"]
    )
    assert sub[["label", "parcel"]].values.tolist() == keep[["label", "parcel"]].values.tolist()
    assert np.array_equal(sub["covered_m2"].to_numpy(), keep["covered_m2"].to_numpy())


@needs_realdata
def test_xicheng_osm_gains_equal_the_loop(xicheng_osm, monkeypatch) -> None:
    monkeypatch.setenv("GREENMAP_USER_DATA", str(xicheng_osm.user_data))
    from greenmap import analysis, netanalysis
    from layers.rules import load_rule

    study = analysis.load("xicheng-osm", user_data=xicheng_osm.user_data)
    rule = load_rule("xicheng-2016-walk")
    g = netanalysis.graph_of(study, use_barriers=True)
    args = (study["residential"], study["parks"], study["projects"], rule, 2025, g)
    kw: dict[str, Any] = {"historic_blocks": study.get("historic_blocks"), "include_planned": True}
    new = netanalysis.marginal_gains(study, rule, year=2025, include_planned=True)
    old = loop_gains(*args, **kw)
    # real parcels: the overlays differ in the last digits (3e-8 m² on a 15,000 m² gain)
    noise = (old["scope"] == "subdistrict") & (old["gain_m2"] <= NOISE_M2)
    old = old[~noise].reset_index(drop=True)
    key = ["scope", "unit_code", "project_id"]
    assert new[key].values.tolist() == old[key].values.tolist()
    pd.testing.assert_frame_equal(new, old, check_exact=False, rtol=1e-9, atol=1e-6)
    d = new[new["scope"] == "district"]
    assert (d["gain_m2"] > 0).sum() >= 1 and d["in_baseline"].any()
