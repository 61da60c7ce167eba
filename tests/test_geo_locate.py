"""geo.locate on synthetic streets with known answers: a 4 × 4 grid at 100 m spacing (EPSG:4548).

经1路 … 经4路 run north–south at x = 0, 100, 200, 300; 纬1路 … 纬4路 east–west at y = 0 … 300.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import pytest
import shapely

from geo.gazetteer import build_gazetteer, grid_streets
from geo.locate import locate_text, results_frame, street_chord

CRS = "EPSG:4548"


@pytest.fixture(scope="module")
def gz():  # type: ignore[no-untyped-def]
    streets = grid_streets(4)
    extra = gpd.GeoDataFrame(
        {"name": ["花园甲路", "花园乙路", "斜路"]},
        geometry=[
            shapely.LineString([(1000, 0), (1000, 100)]),
            shapely.LineString([(1100, 0), (1100, 100)]),
            # ends 30 m short of 经4路: closest approach, not a crossing
            shapely.LineString([(150, 150), (270, 150)]),
        ],
        crs=CRS,
    )
    streets = gpd.GeoDataFrame(
        {"name": [*streets["name"], *extra["name"]]},
        geometry=[*streets.geometry, *extra.geometry],
        crs=CRS,
    )
    parks = gpd.GeoDataFrame(
        {"name": ["甲公园"]}, geometry=[shapely.box(100, 100, 200, 200)], crs=CRS
    )
    return build_gazetteer(streets, {"park": parks}, crs=CRS)


def test_sizhi_grid_block(gz) -> None:  # type: ignore[no-untyped-def]
    r = locate_text("东至经3路，西至经1路，南至纬1路，北至纬3路", gz, published_area_m2=40_000)
    assert r.method == "sizhi" and r.geometry_quality == "approximate"
    assert r.geometry.equals(shapely.box(0, 0, 200, 200))
    assert r.area_ratio == pytest.approx(1.0)
    assert r.confidence == pytest.approx(0.7)
    assert [m[2] for m in r.matches] == [1.0, 1.0, 1.0, 1.0]
    assert r.span.startswith("东至经3路")


def test_sizhi_yi_form_same_answer(gz) -> None:  # type: ignore[no-untyped-def]
    r = locate_text("纬2路以南，纬1路以北，经2路以东，经4路以西", gz)
    assert r.method == "sizhi" and r.geometry.equals(shapely.box(100, 0, 300, 100))


def test_sizhi_gap_closest_approach(gz) -> None:  # type: ignore[no-untyped-def]
    # 斜路 stops 30 m short of 经4路: the corner is the midpoint of their closest approach.
    r = locate_text("北至纬3路，南至斜路，西至经2路，东至经4路", gz)
    assert r.method == "sizhi"
    assert shapely.Point(285, 150).distance(shapely.get_exterior_ring(r.geometry)) < 1e-6
    assert shapely.Point(125, 150).distance(shapely.get_exterior_ring(r.geometry)) < 1e-6
    # With a 40 m limit the 50 m gap to 经2路 is too wide: that corner completes a parallelogram.
    rules = {"sizhi": {"max_corner_gap_m": 40}}
    r2 = locate_text("北至纬3路，南至斜路，西至经2路，东至经4路", gz, rules)
    assert "corner SW completed" in r2.reason and r2.confidence < r.confidence
    # corners NE (300,200), ES (285,150), WN (100,200) → SW = ES + WN − NE = (85,150): area 200 × 50
    assert r.geometry.area == pytest.approx(9_000) and r2.geometry.area == pytest.approx(10_000)


def test_same_street_two_sides(gz) -> None:  # type: ignore[no-untyped-def]
    r = locate_text("北至纬3路，南至纬1路，西至经1路，东至纬1路", gz)
    assert "same street on two sides" in r.reason and "ES" in r.reason


def test_missing_street(gz) -> None:  # type: ignore[no-untyped-def]
    r = locate_text("东至无名胡同，西至经1路，南至纬1路，北至纬3路", gz)
    assert "无名胡同" in r.reason
    # three sides found, two corners: a point between them, low confidence
    assert r.method == "sizhi_partial" and r.geometry.geom_type == "Point"
    assert r.geometry.equals(shapely.Point(0, 100))
    r = locate_text("东至无名胡同，西至不存在路，南至纬1路，北至纬3路", gz)
    assert not r.placed and r.geometry_quality == "none" and "不存在路" in r.reason


def test_ambiguous_name(gz) -> None:  # type: ignore[no-untyped-def]
    # 花园路 is equally close to 花园甲路 and 花园乙路 (score 0.857 each)
    r = locate_text("花园路", gz)
    assert (
        not r.placed
        and "ambiguous" in r.reason
        and "花园甲路" in r.reason
        and "花园乙路" in r.reason
    )


def test_segment(gz) -> None:  # type: ignore[no-untyped-def]
    r = locate_text("纬2路：经1路-经4路", gz)
    assert r.method == "segment"
    assert r.geometry.equals(shapely.LineString([(0, 100), (300, 100)]))
    r = locate_text("经2路至经3路段", gz)
    assert r.method == "segment" and "carrier" in r.reason
    # carrier not written, but the project is named after it
    r = locate_text("经1路-经3路", gz, hint="纬3路道路大修")
    assert r.geometry.equals(shapely.LineString([(0, 200), (200, 200)])) and "纬3路" in r.reason


def test_corner_and_side(gz) -> None:  # type: ignore[no-untyped-def]
    r = locate_text("经2路与纬2路交叉口西南角", gz)
    d = 40 / 2**0.5
    assert r.method == "corner" and r.geometry.equals_exact(shapely.Point(100 - d, 100 - d), 1e-9)
    r = locate_text("甲公园东侧", gz)
    assert r.method == "side" and r.geometry.equals(shapely.Point(240, 150))
    r = locate_text("甲公园西南角", gz)
    assert r.method == "corner" and r.geometry.x < 100 and r.geometry.y < 100


def test_place_and_disc(gz) -> None:  # type: ignore[no-untyped-def]
    r = locate_text("甲公园", gz)
    assert r.method == "place" and r.geometry.within(shapely.box(100, 100, 200, 200))
    r = locate_text("甲公园", gz, published_area_m2=10_000)
    assert r.geometry.area == pytest.approx(10_000, rel=0.01)
    r = locate_text("经2路", gz)
    assert r.method == "street" and r.geometry.equals(
        shapely.LineString([(100, -40), (100, 340)])
    )  # 10 m inside each end


def test_loop_street_not_placed() -> None:
    ring = gpd.GeoDataFrame(
        {"name": ["环路"]},
        geometry=[shapely.LineString([(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)])],
        crs=CRS,
    )
    r = locate_text("环路", build_gazetteer(ring, crs=CRS))
    assert not r.placed and "ring road" in r.reason


def test_buffers(gz) -> None:  # type: ignore[no-untyped-def]
    r = locate_text("经2路两侧", gz, {"buffer": {"along_m": 10}})
    assert r.method == "buffer" and r.geometry.area == pytest.approx(
        (400 - 2 * 10) * 20 + 3.1416 * 10**2,
        rel=0.01,  # the chord starts 10 m inside each end
    )
    r = locate_text("甲公园周边", gz, {"buffer": {"around_m": 50}})
    radius = (10_000 / 3.141592653589793) ** 0.5 + 50
    assert r.geometry.area == pytest.approx(3.14159 * radius**2, rel=0.02)


def test_multi_area_text(gz) -> None:  # type: ignore[no-untyped-def]
    text = (
        "西至经1路，北至纬2路，东至经2路，南至纬1路；西至经3路，北至纬4路，东至经4路，南至纬3路；"
        "西至无名路，北至纬4路，东至经2路，南至纬3路"
    )
    r = locate_text(text, gz)
    assert r.method == "multi" and len(r.parts) == 3
    assert [p.method for p in r.parts] == ["sizhi", "sizhi", "sizhi_partial"]
    # the point of the third, partial area is left out of the areal union and said so
    assert r.geometry.geom_type == "MultiPolygon" and r.geometry.area == pytest.approx(20_000)
    assert "3/3 parts placed" in r.reason and "point" in r.reason


def test_district_wide(gz) -> None:  # type: ignore[no-untyped-def]
    for text in ("全区范围内", "西城全区", "位置待定"):
        r = locate_text(text, gz)
        assert not r.placed and r.reason and r.method == "none"


def test_no_source_vertex_copied(gz) -> None:  # type: ignore[no-untyped-def]
    # A bent street: the result is a chord between computed points near its ends, no source vertex.
    bent = shapely.LineString([(0, 0), (50, 40), (100, 0)])
    chord = street_chord(bent)
    assert chord is not None
    assert not set(chord.coords) & set(bent.coords)
    # 10 m inside each end along the 64.03 m first and last legs: x = 10 · 50 / hypot(50, 40)
    assert chord.length == pytest.approx(100.0 - 2 * 10.0 * 50 / math.hypot(50, 40), rel=1e-12)


def test_results_frame_columns(gz) -> None:  # type: ignore[no-untyped-def]
    rs = [locate_text("经2路", gz), locate_text("全区", gz)]
    f = results_frame(rs, CRS)
    assert list(f["geometry_method"]) == ["street", "none"]
    assert list(f["geometry_quality"]) == ["approximate", "none"]
    assert json.loads(f["location_matches"].iloc[0]) == [["经2路", "经2路", 1.0]]
    assert f.geometry.iloc[1] is None


def test_bad_rules(gz) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=r"buffer\.around_m"):
        locate_text("甲公园周边", gz, {"buffer": {"around_m": "wide"}})
