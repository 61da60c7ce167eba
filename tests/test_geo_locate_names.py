"""geo.locate_names and the name rules of geo.gazetteer on a small synthetic gazetteer (EPSG:4548, metres):
gates (景山公园西门西侧), partial names (北新华街110号, 月坛西街西里), the former-name prefix 原, and a name that
begins exactly one gazetteer name (新兴盛 → 新兴盛危房改造项目) or several (西单 → ambiguous).
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo.gazetteer import build_gazetteer
from geo.locate import locate_text, street_chord
from geo.locate_names import base_name, partial_note

CRS = "EPSG:4548"
GATES = {"东门": "E", "西门": "W", "南门": "S", "北门": "N", "正门": "", "南口": "S", "北口": "N"}


def _gdf(names: list[str], geoms: list[shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": names}, geometry=geoms, crs=CRS)


@pytest.fixture(scope="module")
def gz():  # type: ignore[no-untyped-def]
    streets = _gdf(
        ["乙街", "甲北街", "马连道东街", "戊家园北大街", "己家胡同"],
        [
            shapely.LineString([(0, 0), (400, 0)]),
            shapely.LineString([(0, 0), (0, 300)]),
            shapely.LineString([(1000, 0), (1000, 500)]),
            shapely.LineString([(2000, 0), (2000, 300)]),
            shapely.LineString([(3000, 0), (3300, 0)]),
        ],
    )
    park = _gdf(["丙公园"], [shapely.box(100, 100, 300, 200)])
    landuse = _gdf(
        ["丁小区", "新兴盛危房改造项目", "戊家园商业区"],
        [
            shapely.box(500, 500, 600, 600),
            shapely.box(700, 700, 900, 800),
            shapely.box(2100, 0, 2200, 100),
        ],
    )
    water = _gdf(["己水河"], [shapely.LineString([(4000, 0), (4000, 600)])])
    places = _gdf(["辛家庄社区"], [shapely.Point(5000, 5000)])
    return build_gazetteer(
        streets,
        {"park": park, "landuse": landuse, "waterways": water, "places": places},
        crs=CRS,
        affixes={"suffixes": ["公园"], "drop_prefixes": ["原"], "score": 0.9},
        gates=GATES,
    )


# ---------------------------------------------------------------- gates


def test_gate_side_then_offset(gz) -> None:  # type: ignore[no-untyped-def]
    """丙公园西门西侧: the west gate is where the line through the park's representative point (y = 150)
    leaves it westwards (100, 150); 西侧 then puts the point 40 m (offset.side_m) further west."""
    r = locate_text("丙公园西门西侧", gz)
    assert r.method == "side"
    assert r.geometry.equals_exact(shapely.Point(60, 150), 1e-9)
    assert "gate 西门 of 丙公园" in r.reason and "W side" in r.reason
    assert r.matches == [("丙公园西门", "丙公园", 1.0)]
    assert r.confidence == pytest.approx(0.4)  # side × score 1.0


def test_gate_alone_is_a_computed_point_on_that_side(gz) -> None:  # type: ignore[no-untyped-def]
    north = locate_text("丙公园北门", gz)
    assert north.method == "place" and north.geometry.equals_exact(shapely.Point(200, 200), 1e-9)
    assert not set(north.geometry.coords) & set(shapely.box(100, 100, 300, 200).exterior.coords)
    # a street's south end (南口): the chord end, 10 m inside the source's end vertex
    south = locate_text("甲北街南口", gz)
    assert south.method == "place" and south.geometry.equals_exact(shapely.Point(0, 10), 1e-9)
    # 正门: no side is known, the place's representative point
    front = locate_text("丙公园正门", gz)
    assert front.geometry.equals(shapely.point_on_surface(shapely.box(100, 100, 300, 200)))
    assert "no side known" in front.reason


def test_gate_of_unknown_place_not_placed(gz) -> None:  # type: ignore[no-untyped-def]
    r = locate_text("无名园西门西侧", gz)
    assert not r.placed and "not found 未找到: 无名园西门" in r.reason


# ---------------------------------------------------------------- partial names


def test_house_number_on_street(gz) -> None:  # type: ignore[no-untyped-def]
    """乙街110号: a two-character street followed by a number; the whole street's chord, low confidence."""
    r = locate_text("乙街110号", gz)
    assert r.method == "partial"
    assert r.geometry.equals(street_chord(gz.lookup("乙街").geometry))
    assert r.matches == [("乙街110号", "乙街", pytest.approx(2 / 6))]
    assert r.confidence == pytest.approx(round(0.25 * 2 / 6, 3))
    assert (
        "house number 110号 not located: the whole street shown 门牌号未定位，显示整条街道"
        in r.reason
    )


def test_partial_name_of_street_and_of_area(gz) -> None:  # type: ignore[no-untyped-def]
    r = locate_text("甲北街西里", gz)
    assert r.method == "partial" and r.geometry.geom_type == "LineString"
    assert "only '甲北街' of '甲北街西里' found" in r.reason
    assert r.matches[0][2] == pytest.approx(3 / 5) and r.confidence == pytest.approx(0.15)
    # a building of an estate: the estate's representative point, not one of its vertices
    b = locate_text("丁小区5号楼", gz)
    assert b.method == "partial"
    assert b.geometry.equals(shapely.point_on_surface(shapely.box(500, 500, 600, 600)))
    assert "house number 5号楼 not located" in b.reason and "丁小区" in b.reason


def test_partial_limits(gz) -> None:  # type: ignore[no-untyped-def]
    # a two-character part not followed by a number is too short
    assert not locate_text("乙街西里", gz).placed
    # a sub-estate is not part of a river (三里河三区 is not the river 三里河)
    r = locate_text("己水河三区", gz)
    assert not r.placed and "not found" in r.reason
    # only whole names count: 丙 + 公园 (an affix form) is not a leading part of 丙小区
    assert not locate_text("丙小区", gz).placed
    # the whole name found: no partial match
    assert locate_text("甲北街", gz).method == "street"


def test_partial_inside_a_list_keeps_the_method_but_low_confidence(gz) -> None:  # type: ignore[no-untyped-def]
    whole = locate_text("甲北街周边", gz)
    part = locate_text("甲北街3号周边", gz)
    assert whole.method == part.method == "buffer"
    assert part.confidence == pytest.approx(round(0.25 * 3 / 5, 3))
    assert part.confidence < whole.confidence
    assert "house number 3号 not located" in part.reason


def test_partial_note_kinds() -> None:
    assert partial_note("牛街3号地", "牛街", "3号地", "牛街", "street").startswith(
        "plot 3号地 not located"
    )
    assert base_name("景山公园西门") == "景山公园西门"  # gates are data, not part suffixes


# ---------------------------------------------------------------- 原 and prefixes


def test_former_name_prefix(gz) -> None:  # type: ignore[no-untyped-def]
    m = gz.lookup("原马连道东街")
    assert (m.name, m.via, m.score) == ("马连道东街", "affix", 0.9)
    plain = build_gazetteer(gz.entries[gz.entries["kind"] == "street"], crs=CRS)
    assert plain.lookup("原马连道东街").via == "fuzzy"  # without the rule only a fuzzy match


def test_unique_prefix(gz) -> None:  # type: ignore[no-untyped-def]
    m = gz.lookup("新兴盛")
    assert (m.name, m.via) == ("新兴盛危房改造项目", "prefix") and m.score == pytest.approx(3 / 9)
    r = locate_text("新兴盛", gz)
    assert r.method == "partial"
    assert r.geometry.equals(shapely.point_on_surface(shapely.box(700, 700, 900, 800)))
    assert r.confidence == pytest.approx(round(0.25 * 3 / 9, 3))
    assert "taken as the one name beginning with it" in r.reason


def test_ambiguous_prefix(gz) -> None:  # type: ignore[no-untyped-def]
    m = gz.lookup("戊家园")
    assert not m.found and m.ambiguous == ("戊家园北大街", "戊家园商业区")
    r = locate_text("戊家园", gz)
    assert not r.placed and "ambiguous 有歧义: 戊家园" in r.reason


def test_prefix_never_extends_into_a_street_or_point(gz) -> None:  # type: ignore[no-untyped-def]
    # 菜市口 is not 菜市口大街, 大栅栏 is not the 街道 node 大栅栏街道
    assert not gz.lookup("己家胡").found
    assert not gz.lookup("辛家庄").found
    assert not gz.lookup("新兴").found  # shorter than prefix_min_chars


def test_source_point_not_copied(gz) -> None:  # type: ignore[no-untyped-def]
    r = locate_text("辛家庄社区", gz)
    assert not r.placed and "source point: not copied" in r.reason
    around = locate_text("辛家庄社区周边", gz)  # a disc around it has only computed vertices
    assert around.method == "buffer"
    assert (5000.0, 5000.0) not in set(around.geometry.exterior.coords)
