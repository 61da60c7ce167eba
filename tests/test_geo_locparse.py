"""geo.locparse: the grammar of the plans' location texts, and every text in ../shared/facts parses."""

from __future__ import annotations

import csv

import pytest

from geo import locparse as lp
from tests._shared import FACTS, needs_facts


def test_sizhi_any_order_and_wording() -> None:
    a = lp.parse_location("东至铺陈市胡同、西至留学路、南至永安路、北至珠市口西大街")
    b = lp.parse_location("北起珠市口西大街，南至永安路，西起留学路，东临铺陈市胡同")
    assert isinstance(a, lp.Sizhi) and isinstance(b, lp.Sizhi)
    assert (
        a.sides
        == b.sides
        == {
            "E": ("铺陈市胡同",),
            "W": ("留学路",),
            "S": ("永安路",),
            "N": ("珠市口西大街",),
        }
    )


def test_sizhi_yi_form_and_notes() -> None:
    n = lp.parse_location("西内大街以南，平安里西大街以北，赵登禹路以东，德内大街以西")
    assert isinstance(n, lp.Sizhi)
    assert n.sides == {
        "N": ("西内大街",),
        "S": ("平安里西大街",),
        "W": ("赵登禹路",),
        "E": ("德内大街",),
    }
    n = lp.parse_location(
        "北起车公庄大街、南至百万庄南街（横向），西起三里河路、东至百万庄南街（纵向）"
    )
    assert (
        isinstance(n, lp.Sizhi)
        and n.sides["S"] == ("百万庄南街",)
        and n.sides["E"] == ("百万庄南街",)
    )


def test_sizhi_sequences() -> None:
    n = lp.parse_location(
        "东至宣武门外大街，南至老墙根街，西至广安胡同，北至校场口大六条至杨椒山祠南侧一线"
    )
    assert isinstance(n, lp.Sizhi) and n.sides["N"] == ("校场口大六条", "杨椒山祠南侧")
    n = lp.parse_location(
        "北：新街口豁口→德胜门→鼓楼西大街；南：平安大街；西：柳荫街；东：地安门外大街"
    )
    assert isinstance(n, lp.Sizhi) and n.sides["N"] == ("新街口豁口", "德胜门", "鼓楼西大街")
    n = lp.parse_location("东：东黄城根；南：东、西长安街；西：府右街；北：平安大街")
    assert isinstance(n, lp.Sizhi) and n.sides["S"] == ("东长安街", "西长安街")


def test_several_areas() -> None:
    n = lp.parse_location(
        "西至甲路，北至乙路，东至丙路，南至丁路；西至戊路，北至己路，东至庚路，南至辛路"
    )
    assert isinstance(n, lp.Multi) and n.kind == "areas" and len(n.parts) == 2
    assert all(isinstance(p, lp.Sizhi) for p in n.parts)


@pytest.mark.parametrize(
    ("text", "street", "start", "end"),
    [
        ("西二环-新街口北大街", None, "西二环", "新街口北大街"),
        ("南横西街：牛街-菜市口大街", "南横西街", "牛街", "菜市口大街"),
        ("甲路至乙路段", None, "甲路", "乙路"),
        ("以护城河沿河为主线，北起木樨地，南至永定门桥", "护城河", "木樨地", "永定门桥"),
    ],
)
def test_segments(text: str, street: str | None, start: str, end: str) -> None:
    n = lp.parse_location(text)
    assert isinstance(n, lp.Segment) and (n.street, n.start, n.end) == (street, start, end)


@pytest.mark.parametrize(
    ("text", "anchor", "direction", "relation", "crossing"),
    [
        ("报国寺西南角", "报国寺", "SW", "corner", None),
        ("宣武艺园东北侧", "宣武艺园", "NE", "corner", None),
        ("后海南侧", "后海", "S", "side", None),
        ("鼓楼西大街（糖房大院）及以北区域", "鼓楼西大街", "N", "side", None),
        ("牛街四条与牛街交叉口西南角的新开发地块", "牛街四条", "SW", "corner", "牛街"),
    ],
)
def test_corners_and_sides(
    text: str, anchor: str, direction: str, relation: str, crossing: str | None
) -> None:
    n = lp.parse_location(text)
    assert isinstance(n, lp.Relative)
    assert (n.anchor, n.direction, n.relation, n.crossing) == (
        anchor,
        direction,
        relation,
        crossing,
    )


@pytest.mark.parametrize(
    ("text", "anchor", "mode"),
    [
        ("法源寺周边区域", "法源寺", "around"),
        ("德胜科技园及周边", "德胜科技园", "around"),
        ("长安街沿线（西城段）", "长安街", "along"),
        ("米市胡同片区", "米市胡同", "area"),
    ],
)
def test_around(text: str, anchor: str, mode: str) -> None:
    n = lp.parse_location(text)
    assert isinstance(n, lp.Around) and (n.anchor, n.mode) == (anchor, mode)


def test_crossing_corner_and_list_around() -> None:
    n = lp.parse_location("广外大街、达官营路口西北角，国家话剧院南侧")
    assert isinstance(n, lp.Multi) and isinstance(n.parts[0], lp.Relative)
    assert (n.parts[0].anchor, n.parts[0].crossing, n.parts[0].direction) == (
        "广外大街",
        "达官营",
        "NW",
    )
    n = lp.parse_location("西海、后海等水域周边")
    assert isinstance(n, lp.Multi)
    assert [(p.anchor, p.mode) for p in n.parts] == [("西海", "around"), ("后海", "around")]  # type: ignore[union-attr]


def test_lists_and_shared_names() -> None:
    n = lp.parse_location("莲花河东路、广安门车站西街、白纸坊东街、陶然亭西路等")
    assert isinstance(n, lp.Multi) and n.kind == "list"
    assert [p.name for p in n.parts if isinstance(p, lp.Place)][-1] == "陶然亭西路"
    n = lp.parse_location("南、北护城河")
    assert isinstance(n, lp.Multi) and [p.name for p in n.parts] == ["南护城河", "北护城河"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("全区", "district-wide"),
        ("全区范围内", "district-wide"),
        ("西城全区", "district-wide"),
        ("全区15个街道", "district-wide"),
        ("位置待定", "unknown"),
        ("西长安街街道、什刹海街道", "subdistricts"),
    ],
)
def test_no_place(text: str, reason: str) -> None:
    n = lp.parse_location(text)
    assert isinstance(n, lp.NoPlace) and n.reason == reason


def test_empty_is_unparsed() -> None:
    assert isinstance(lp.parse_location(""), lp.Unparsed)
    assert isinstance(lp.parse_location(None), lp.Unparsed)


def _fact_texts() -> list[tuple[str, str]]:
    out = []
    for table, cols in [
        ("projects", ["location_zh", "sizhi_zh"]),
        ("historic_blocks", ["sizhi_zh"]),
        ("parks", ["name_zh"]),
        ("subdistricts", ["sizhi_east_zh", "sizhi_west_zh", "sizhi_south_zh", "sizhi_north_zh"]),
    ]:
        with (FACTS / f"{table}.csv").open(encoding="utf-8") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                for c in cols:
                    if row.get(c, "").strip():
                        out.append((f"{table}.csv:{n}:{c}", row[c]))
    return out


@needs_facts
def test_every_fact_text_parses() -> None:
    texts = _fact_texts()
    assert len(texts) > 230
    kinds: dict[str, int] = {}
    for where, text in texts:
        node = lp.parse_location(text)
        for part in lp.walk(node):
            kinds[type(part).__name__] = kinds.get(type(part).__name__, 0) + 1
            if isinstance(part, lp.Unparsed):
                assert part.why, f"{where}: unparsed without a reason"
            if isinstance(part, lp.Place | lp.Around | lp.Relative):
                name = getattr(part, "name", None) or getattr(part, "anchor", "")
                assert len(name) >= 2, f"{where}: {text!r} gave an empty name"
    # Every text parses to a node; the covered grammar dominates.
    assert kinds.get("Sizhi", 0) >= 15 and kinds.get("NoPlace", 0) >= 10
    assert kinds.get("Unparsed", 0) <= 2, kinds


@needs_facts
def test_every_sizhi_in_projects_has_three_sides_or_is_a_segment() -> None:
    with (FACTS / "projects.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["sizhi_zh"].strip()]
    assert len(rows) == 12
    for r in rows:
        node = lp.parse_location(r["sizhi_zh"])
        parts = node.parts if isinstance(node, lp.Multi) else (node,)
        for p in parts:
            assert isinstance(p, lp.Sizhi | lp.Segment), (r["project_id"], p)
            if isinstance(p, lp.Sizhi):
                assert len(p.sides) >= 3, (r["project_id"], p.sides)
