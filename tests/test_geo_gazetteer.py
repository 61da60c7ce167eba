"""geo.gazetteer: normalisation, aliases, fuzzy matching, ambiguity, merging of street pieces."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo.gazetteer import build_gazetteer, grid_streets, normalise, similarity

CRS = "EPSG:4548"


def _gz(**kw: object) -> object:
    streets = grid_streets(4)
    extra = gpd.GeoDataFrame(
        {"name": ["德胜门内大街", "德胜门内大街", "西二环", "白纸坊西街", "前海东街", "前海西街"]},
        geometry=[
            shapely.LineString([(1000, 0), (1000, 100)]),
            shapely.LineString([(1000, 100), (1000, 250)]),
            shapely.LineString([(-500, -500), (-500, 900)]),
            shapely.LineString([(0, -800), (300, -800)]),
            shapely.LineString([(2000, 0), (2000, 100)]),
            shapely.LineString([(2100, 0), (2100, 100)]),
        ],
        crs=CRS,
    )
    streets = gpd.GeoDataFrame(
        {"name": list(streets["name"]) + list(extra["name"])},
        geometry=list(streets.geometry) + list(extra.geometry),
        crs=CRS,
    )
    parks = gpd.GeoDataFrame(
        {"name": ["人定湖公园"]}, geometry=[shapely.box(500, 500, 600, 600)], crs=CRS
    )
    return build_gazetteer(
        streets,
        {"park": parks},
        crs=CRS,
        abbreviations={"德内": "德胜门内"},
        rings={"二环路": "二环"},
        affixes={"suffixes": ["公园"], "score": 0.9},
        **kw,
    )


def test_normalise_full_width_and_notes() -> None:
    assert normalise("ＡＢ　路（北段）") == "AB路"
    assert normalise("西四北大街") == "西四北大街"


def test_pieces_merged_per_name() -> None:
    m = _gz().lookup("德胜门内大街")
    assert m.found and m.score == 1.0
    assert m.geometry.geom_type == "LineString" and m.geometry.length == pytest.approx(250)


def test_abbreviation_alias() -> None:
    m = _gz().lookup("德内大街")
    assert m.name == "德胜门内大街" and m.via == "alias" and m.score == 1.0


def test_ring_pattern() -> None:
    m = _gz().lookup("二环路")
    assert m.found and m.via == "ring" and m.geometry.length == pytest.approx(1400)


def test_direction_kept_distinct() -> None:
    gz = _gz()
    assert not gz.lookup("白纸坊东街").found  # only 白纸坊西街 exists: a different street
    assert similarity("白纸坊西街", "白纸坊东街") < 0.5


def test_fuzzy_with_score() -> None:
    m = _gz().lookup("经1号路")
    assert m.found and m.name == "经1路" and 0.8 <= m.score < 1.0 and m.via == "fuzzy"


def test_affix_park() -> None:
    m = _gz().lookup("人定湖")
    assert m.found and m.name == "人定湖公园" and m.kind == "park" and m.score == 0.9


def test_ambiguous_reported() -> None:
    # With a low threshold, 前海街 is equally close to 前海东街 and 前海西街.
    gz = _gz(min_score=0.3)
    m = gz.lookup("前海街")
    assert not m.found
    assert set(m.ambiguous) == {"前海东街", "前海西街"}
    assert not _gz().lookup("前海街").found  # below the default threshold: simply not found


def test_missing() -> None:
    m = _gz().lookup("不存在胡同")
    assert not m.found and not m.ambiguous and m.name is None


def test_kinds_filter() -> None:
    assert not _gz().lookup("人定湖公园", kinds=["street"]).found


def test_osmnx_list_names_split() -> None:
    streets = gpd.GeoDataFrame(
        {"name": ["['甲路', '乙路']"]}, geometry=[shapely.LineString([(0, 0), (1, 0)])], crs=CRS
    )
    gz = build_gazetteer(streets, crs=CRS)
    assert gz.lookup("甲路").found and gz.lookup("乙路").found


def test_missing_name_column() -> None:
    with pytest.raises(ValueError, match="name column"):
        build_gazetteer(
            gpd.GeoDataFrame({"x": [1]}, geometry=[shapely.Point(0, 0)], crs=CRS), crs=CRS
        )
