"""webmap/netservice.py: network rules on the map — service area layer, coverage with the
Euclidean rate beside, and 'unavailable' (not a 500) where the study area has no network."""

from __future__ import annotations

import pytest

from tests._shared import needs_realdata
from webmap import netservice
from webmap.service import LayersLoader, MapService, UnavailableError


def test_no_network_is_unavailable_not_an_error() -> None:
    svc = MapService(LayersLoader("xicheng"), version_ttl=60)
    assert netservice.is_network(svc.rule("xicheng-2016-walk"))
    assert not netservice.is_network(svc.rule("xicheng-2016"))
    with pytest.raises(UnavailableError, match="names no street network"):
        netservice.radii_layer(svc, "xicheng-2016-walk", None)


@needs_realdata
def test_xicheng_osm_network_layers(xicheng_osm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENMAP_USER_DATA", str(xicheng_osm.user_data))
    svc = MapService(LayersLoader("xicheng-osm"), version_ttl=60)
    lay = netservice.radii_layer(svc, "xicheng-2016-walk", None)
    assert len(lay) == 1 and lay.crs.to_epsg() == 4326 and lay.geometry.iloc[0].area > 0
    assert lay["geometry_quality"].iloc[0] == "approximate"
    t = netservice.coverage_table(svc, "xicheng-2016-walk", None)
    sub = t[(t["scope"] == "subdistrict") & (t["variant"] == "all_land")]
    assert len(sub) == 15
    ok = sub["rate_pct"].notna()
    assert (sub.loc[ok, "rate_pct"] <= sub.loc[ok, "euclidean_rate_pct"] + 0.01).all()


def test_rules_say_which_walk_along_streets() -> None:
    svc = MapService(LayersLoader("xicheng"), version_ttl=60)
    methods = {r["id"]: r["method"] for r in svc.rules()}
    assert methods["xicheng-2016-walk"] == "network" and methods["xicheng-2016"] == "euclidean"
    with pytest.raises(UnavailableError):
        svc.coverage("xicheng-2016-walk", None)
    assert "euclidean_coverage_pct" not in svc.coverage("xicheng-2016", None)["district"]


@needs_realdata
def test_panel_gets_both_rates_side_by_side(xicheng_osm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENMAP_USER_DATA", str(xicheng_osm.user_data))
    svc = MapService(LayersLoader("xicheng-osm"), version_ttl=60)
    c = svc.coverage("xicheng-2016-walk", None)
    d = c["district"]
    assert d["method"] == "network" and 0 < d["coverage_pct"] < d["euclidean_coverage_pct"]
    assert len(c["subdistricts"]) == 15
    gaps = svc.gaps("xicheng-2016-walk", None)
    euc_gaps = svc.gaps("xicheng-2016", None)
    assert gaps["uncovered_m2"].sum() > euc_gaps["uncovered_m2"].sum()
    assert len(svc.radii("xicheng-2016-walk", None)) == 1
