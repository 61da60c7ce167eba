"""Tagged park entrances through every network result (issue 12): the ``tagged_entrances`` rule
switch (only / add / ignore) on a walled park worked out by hand, the marginal gains against
"coverage with the project − coverage without it", the map's coverage against the analyst API's,
and the rule field's validation."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString, Point, box

from geo.netaccess import access_points
from geo.netcoverage import network_service
from geo.netentrances import entrance_owners, entrances_for
from geo.netgains import network_marginal_gains
from geo.netgraph import StreetGraph, build_graph
from geo.netoverlay import network_covered_area
from geo.nettable import network_coverage_table
from geo.rules import RuleError, RuleSet
from geo.scenarios import scenario_parks
from greenmap import netanalysis
from greenmap.analysis import Study
from tests._netfixtures import (
    CRS,
    QS,
    WALK_NETWORK,
    block_parcels,
    cap_integral,
    covered,
    district_row,
    garden_parks,
    grid,
    park_projects,
    rule_set,
    toy_study,
)
from webmap import netservice
from webmap.service import MapService


def rule_of(tagged: str | None = None, **extra: Any) -> RuleSet:
    net: dict[str, Any] = dict(WALK_NETWORK)
    if tagged is not None:
        net["tagged_entrances"] = tagged
    return rule_set(500, **({"network": net} | extra))


# ------------------------------------------------------------------------------------------------
# a walled park: ring road 10 m round box(0,0,100,100), a street north from (50,110) and one south
# from (50,-10); the only tagged entrance is the north gate (50,100), 10 m from the ring.
#
# Gate: remaining 500 − 10 = 490 at (50,110). Pseudo-entrances (boundary every 20 m; none at
# x = 50) snap 10 m to the ring at x = 40 / 60: 500 − 20 = 480 at (50,110) and at (50,-10).
# Gate only: (50,-10) is 10 + 60 + 120 + 60 = 250 away, remaining 250.
# Along a straight street leaving a node with remaining r0 the remaining walk is r0 − x at x m,
# ≥ C = 50 up to x = r0 − 50; that portion buffered by 50 m covers a parcel 10–30 m to its side
# up to there, plus the round cap ∫_10^30 sqrt(50² − u²) du beyond it.
# North parcel Q = box(60,380,80,700): r0 = 490 → y ≤ 110 + 440 = 550: 20·170 + cap; r0 = 480:
#   y ≤ 540: 20·160 + cap.
# South parcel P = box(60,-400,80,-100): r0 = 250 → y ≥ −10 − 200 = −210: 20·110 + cap; r0 = 480
#   → y ≥ −440, the whole parcel: 20·300.
P = box(60, -400, 80, -100)
Q = box(60, 380, 80, 700)
CAP = cap_integral(30, 50) - cap_integral(10, 50)


def walled() -> tuple[StreetGraph, gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    ring = [(-10, -10), (50, -10), (110, -10), (110, 110), (50, 110), (-10, 110), (-10, -10)]
    segs = [(ring[i], ring[i + 1]) for i in range(len(ring) - 1)]
    segs += [((50, 110), (50, 900)), ((50, -10), (50, -900))]
    e = gpd.GeoDataFrame(
        {"u": [f"{a}" for a, _ in segs], "v": [f"{b}" for _, b in segs]},
        geometry=[LineString([a, b]) for a, b in segs],
        crs=CRS,
    )
    parks = gpd.GeoDataFrame(
        {"park_id": ["p"], "area_m2": [10000.0], "kind": ["garden"], "radius_m": [500.0]},
        geometry=[box(0, 0, 100, 100)],
        crs=CRS,
    )
    gate = gpd.GeoDataFrame({"park_id": ["p"]}, geometry=[Point(50, 100)], crs=CRS)
    res = gpd.GeoDataFrame(
        {"parcel_id": ["P", "Q"], "subdistrict_code": ["s", "n"]}, geometry=[P, Q], crs=CRS
    )
    return build_graph(e), parks, gate, res


EXPECT = {
    # mode: (covered of P, covered of Q)
    "only": (20 * 110 + CAP, 20 * 170 + CAP),
    "add": (20 * 300, 20 * 170 + CAP),
    "ignore": (20 * 300, 20 * 160 + CAP),
}


@pytest.mark.parametrize("mode", ["only", "add", "ignore"])
def test_walled_park_by_mode(mode: str) -> None:
    g, parks, gate, _ = walled()
    ap = access_points(g, parks, entrances=gate, tagged=mode)
    kinds = set(ap.kind)
    assert ("entrance" in kinds) == (mode != "ignore")
    assert ("pseudo" in kinds) == (mode != "only")
    net = network_service(g, parks, catchment_m=50, entrances=gate, tagged=mode)
    p_exp, q_exp = EXPECT[mode]
    assert covered(net.sources, P) == pytest.approx(p_exp, rel=2e-4)
    assert covered(net.sources, Q) == pytest.approx(q_exp, rel=2e-4)


def test_ignore_is_no_entrances_and_the_rule_switch_reaches_the_table() -> None:
    g, parks, gate, res = walled()
    none = network_service(g, parks, catchment_m=50)
    ign = network_service(g, parks, catchment_m=50, entrances=gate, tagged="ignore")
    assert np.array_equal(none.reach.rem, ign.reach.rem)
    for mode, (p_exp, q_exp) in EXPECT.items():
        t = network_coverage_table(res, parks, rule_of(mode), g, entrances=gate)
        d = t[(t["scope"] == "district") & (t["variant"] == "all_land")].iloc[0]
        assert d["covered_m2"] == pytest.approx(p_exp + q_exp, rel=2e-4), mode
    with pytest.raises(ValueError, match="tagged must be one of only, add, ignore"):
        access_points(g, parks, entrances=gate, tagged="walled")


def test_entrance_park_gives_entrances_by_row() -> None:
    g, parks, gate, _ = walled()
    two = pd.concat([parks, parks], ignore_index=True)
    # nearest-park assignment: the gate goes to one copy only, the other keeps pseudo-entrances
    near = access_points(g, two, entrances=gate)
    assert sorted(set(near.park[near.kind == "entrance"].tolist())) in ([0], [1])
    assert set(near.park[near.kind == "pseudo"].tolist()) in ({0}, {1})
    # by row: the gate repeated for both copies, both walled
    both = access_points(g, two, entrances=gate.iloc[[0, 0]], entrance_park=[0, 1])
    assert set(both.kind) == {"entrance"} and sorted(both.park.tolist()) == [0, 1]
    assert np.allclose(both.offset, 10.0)
    with pytest.raises(ValueError, match="entrance_park"):
        access_points(g, two, entrances=gate, entrance_park=[0, 1])


def test_entrances_for_and_owners_keep_uncounted_parks_out() -> None:
    gates = gpd.GeoDataFrame(
        {"park_id": ["a", None, "zz"]}, geometry=[Point(0, 0), Point(1, 1), Point(2, 2)], crs=CRS
    )
    assert entrances_for(gates, pd.DataFrame({"park_id": ["a"]})) is not None
    assert len(entrances_for(gates, pd.DataFrame({"park_id": ["a"]}))) == 2  # type: ignore[arg-type]
    assert entrances_for(gates.iloc[[2]], ["a"]) is None
    assert entrances_for(None, ["a"]) is None
    parks = gpd.GeoDataFrame(
        {"park_id": ["a", "zz"]}, geometry=[box(-5, -5, 0.5, 0.5), box(2, 2, 3, 3)]
    )
    # the "zz" gate: not the baseline park a's; the project zz's (it lies on it)
    e, row = entrance_owners(gates, parks, [True, False], [-1, -1], max_distance_m=5)
    pairs = sorted(zip(e.tolist(), row.tolist(), strict=True))
    assert (2, 0) not in pairs and (2, 1) in pairs and (0, 0) in pairs


# ------------------------------------------------------------------------------------------------
# marginal gains with entrances = coverage with the project − coverage without it
#
# 9 × 9 grid of 100 m blocks, a parcel in every block; baseline parks a (gate on its north side,
# 10 m from the street) and b (a gate without park_id); project "done" (finished 2022: in the
# 2025 baseline; its own gate) and "later" (finished 2030: outside it), a garden 35 m from every
# street (no pseudo-entrance within N = 30 m), far from the others, reached only through its gate 15 m north of it,
# 20 m from the street. Parks 120 m apart, radius 250 m: the service areas overlap, so a gate
# lost or lent changes the gains.


def gains_city() -> dict[str, Any]:
    res = block_parcels(8)
    parks = garden_parks(
        [("a", box(110, 110, 190, 190), 6400.0, 1990), ("b", box(510, 110, 590, 190), 6400.0, 2000)]
    )
    projects = park_projects(
        [
            ("done", box(310, 310, 390, 390), 6400.0, "2020:planned;2022:done"),
            ("later", box(735, 735, 765, 765), 6400.0, "2020:planned;2030:done"),
        ]
    )
    gates = gpd.GeoDataFrame(
        {"entrance_id": ["ga", "gb", "gd", "gl"], "park_id": ["a", None, "done", "later"]},
        geometry=[Point(150, 190), Point(550, 110), Point(390, 350), Point(750, 780)],
        crs=CRS,
    )
    return {"graph": grid(), "res": res, "parks": parks, "projects": projects, "gates": gates}


def rule_250(tagged: str | None = None) -> RuleSet:
    net: dict[str, Any] = {"catchment_m": 40}
    if tagged is not None:
        net["tagged_entrances"] = tagged
    return rule_set(250, 500, network=net)


def _covered(c: dict[str, Any], rule: RuleSet, year: int) -> float:
    """District covered area (m²) of the parks of ``year``, the entrances of the counted parks."""
    parks = scenario_parks(c["parks"], rule, projects=c["projects"], year=year)
    t = network_coverage_table(
        c["res"],
        c["parks"],
        rule,
        c["graph"],
        projects=c["projects"],
        year=year,
        entrances=entrances_for(c["gates"], parks),
    )
    return float(district_row(t)["covered_m2"])


def _district_gain(g: pd.DataFrame, pid: str) -> float:
    return float(g[(g["scope"] == "district") & (g["project_id"] == pid)]["gain_m2"].iloc[0])


@pytest.mark.parametrize("mode", ["only", "add"])
def test_gains_with_entrances_equal_with_minus_without(mode: str) -> None:
    c = gains_city()
    rule = rule_250(mode)
    g = network_marginal_gains(
        c["res"], c["parks"], c["projects"], rule, 2025, c["graph"], entrances=c["gates"]
    )
    c2021, c2025, c2030 = (_covered(c, rule, y) for y in (2021, 2025, 2030))
    # "later" outside the 2025 baseline: its own gate; "done" in it: the baseline without it
    # (2021) keeps park a's gate
    assert _district_gain(g, "later") == pytest.approx(c2030 - c2025, abs=1e-6)
    assert _district_gain(g, "done") == pytest.approx(c2025 - c2021, abs=1e-6)
    # 街道 rows add up to the district row
    sub = g[g["scope"] == "subdistrict"].groupby("project_id")["gain_m2"].sum()
    assert sub["done"] == pytest.approx(_district_gain(g, "done"), abs=1e-6)
    # the gates matter: without them the gains differ (with "add" only where pseudo-entrances
    # cannot do as well: the garden)
    g0 = network_marginal_gains(c["res"], c["parks"], c["projects"], rule, 2025, c["graph"])
    assert _district_gain(g0, "later") == 0.0
    for pid in ("done", "later") if mode == "only" else ("later",):
        assert abs(_district_gain(g0, pid) - _district_gain(g, pid)) > 1.0, pid


def test_gains_ignore_mode_equals_no_entrances() -> None:
    c = gains_city()
    args = (c["res"], c["parks"], c["projects"])
    g0 = network_marginal_gains(*args, rule_250(), 2025, c["graph"])
    gi = network_marginal_gains(*args, rule_250("ignore"), 2025, c["graph"], entrances=c["gates"])
    pd.testing.assert_frame_equal(g0, gi)


def _study(c: dict[str, Any]) -> Study:
    lay: dict[str, gpd.GeoDataFrame] = {
        k: c[k] for k in ("parks", "residential", "projects") if k in c
    }
    lay["entrances"] = c["gates"]
    return toy_study(lay)


def test_analyst_gains_pass_the_entrances(monkeypatch: pytest.MonkeyPatch) -> None:
    c = gains_city()
    c["residential"] = c["res"]
    monkeypatch.setattr(netanalysis, "graph_of", lambda study, use_barriers=True: c["graph"])
    rule = rule_250()
    g = netanalysis.marginal_gains(_study(c), rule, year=2025, include_planned=False)
    direct = network_marginal_gains(
        c["res"], c["parks"], c["projects"], rule, 2025, c["graph"], entrances=c["gates"]
    )
    pd.testing.assert_frame_equal(g, direct)
    # the note is about the parks of 2025: the gate of "later" (not built yet) is not among them
    assert "tagged entrances: 3 used" in g.attrs["note"] and g.attrs["n_entrances"] == 3
    off = netanalysis.marginal_gains(
        _study(c), rule, year=2025, include_planned=False, use_entrances=False
    )
    assert "tagged entrances not used" in off.attrs["note"] and off.attrs["n_entrances"] == 0
    ign = netanalysis.marginal_gains(
        _study(c), rule_250("ignore"), year=2025, include_planned=False
    )
    pd.testing.assert_frame_equal(ign, off)


# ------------------------------------------------------------------------------------------------
# the map: same entrances, same figures as the analyst API


class WalledLoader:
    """A DataLoader of the walled park (metric CRS throughout), with or without its gate."""

    def __init__(self, gate: bool = True, tagged: str | None = None) -> None:
        self.g, parks, self.gate, res = walled()
        self.parks = parks.drop(columns="radius_m")
        self.res = res
        self.subs = gpd.GeoDataFrame(
            {"code": ["s", "n"], "name_zh": ["南", "北"], "name_en": ["S", "N"]},
            geometry=[box(-100, -1000, 200, 0), box(-100, 100, 200, 1000)],
            crs=CRS,
        )
        self.has_gate = gate
        self.tagged = tagged

    def read_layer(self, name: str) -> gpd.GeoDataFrame:
        lay = {"parks": self.parks, "residential": self.res, "subdistricts": self.subs}
        if self.has_gate:
            lay["entrances"] = self.gate
        return lay[name].copy()  # KeyError: the layer is unavailable

    def read_table(self, name: str) -> pd.DataFrame:
        raise KeyError(name)

    def version(self) -> str:
        return "v1"

    def list_rules(self) -> list[Any]:
        return [self.load_rule("walk")]

    def load_rule(self, rule_id: str) -> Any:
        return rule_of(self.tagged)

    def metric_crs(self) -> str:
        return CRS

    def default_rule(self) -> str | None:
        return "walk"


def _map(monkeypatch: pytest.MonkeyPatch, **kw: Any) -> tuple[MapService, WalledLoader]:
    loader = WalledLoader(**kw)
    monkeypatch.setattr(netservice, "graph", lambda svc, rule: loader.g)
    monkeypatch.setattr(netanalysis, "graph_of", lambda study, use_barriers=True: loader.g)
    return MapService(loader, version_ttl=60), loader


@pytest.mark.parametrize("tagged", [None, "add", "ignore"])
def test_map_coverage_equals_the_analyst_api(
    monkeypatch: pytest.MonkeyPatch, tagged: str | None
) -> None:
    svc, loader = _map(monkeypatch, tagged=tagged)
    study = _study({"parks": loader.parks, "residential": loader.res, "gates": loader.gate})
    study.layers["subdistricts"] = loader.subs
    web = netservice.coverage_table(svc, "walk", None)
    cli = netanalysis.coverage_table(study, rule_of(tagged))
    assert district_row(web)["covered_m2"] == pytest.approx(
        district_row(cli)["covered_m2"], abs=1e-6
    )
    p_exp, q_exp = EXPECT[tagged or "only"]
    assert district_row(web)["covered_m2"] == pytest.approx(p_exp + q_exp, rel=2e-4)
    sub = web[web["scope"] == "subdistrict"].set_index("unit_code")["covered_m2"]
    assert sub["s"] == pytest.approx(p_exp, rel=2e-4) and sub["n"] == pytest.approx(q_exp, rel=2e-4)
    # the service-area layer uses the gate too
    served = netservice.served(svc, "walk", None)
    assert shapely.area(shapely.intersection(served, P)) == pytest.approx(p_exp, rel=2e-3)
    assert shapely.area(shapely.intersection(served, Q)) == pytest.approx(q_exp, rel=2e-3)


def test_map_without_entrances_layer_and_an_uncounted_parks_gate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    svc, _ = _map(monkeypatch, gate=False)
    t = netservice.coverage_table(svc, "walk", None)
    assert district_row(t)["covered_m2"] == pytest.approx(sum(EXPECT["ignore"]), rel=2e-4)
    svc2, loader = _map(monkeypatch)
    loader.gate = loader.gate.assign(park_id=["another-park"])
    t2 = netservice.coverage_table(svc2, "walk", None)
    assert district_row(t2)["covered_m2"] == pytest.approx(sum(EXPECT["ignore"]), rel=2e-4)
    area = network_covered_area(
        loader.res,
        network_service(loader.g, loader.parks.assign(radius_m=500.0), catchment_m=50).sources,
        quad_segs=QS,
    ).sum()
    assert area == pytest.approx(sum(EXPECT["ignore"]), rel=2e-4)


# ------------------------------------------------------------------------------------------------
# the rule field


def test_rule_field_is_validated_and_round_trips() -> None:
    with pytest.raises(RuleError) as exc:
        rule_of("walled")
    msg = str(exc.value)
    assert "network.tagged_entrances" in msg and "'only', 'add', 'ignore'" in msg
    with pytest.raises(RuleError, match=r"network\.tagged_entrances"):
        rule_of(True)  # type: ignore[arg-type]
    assert rule_of().network.tagged_entrances == "only"  # type: ignore[union-attr]
    assert "tagged_entrances" not in rule_of().to_dict()["network"]
    r = rule_of("add")
    assert r.to_dict()["network"]["tagged_entrances"] == "add"
    assert RuleSet.from_dict(r.to_dict()).network == r.network
