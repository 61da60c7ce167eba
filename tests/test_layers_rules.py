"""Tests for layers.rules: the shipped rule files and the loader's errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from layers.errors import LayerError
from layers.rules import RULES_DIR, list_rules, load_rule, read_rule_file

SHIPPED = [
    "gbt51346-2019",
    "parkserve-10min",
    "tiered-300-500",
    "who-europe-2016",
    "xicheng-2016",
    "xicheng-2016-walk",
]


@pytest.mark.parametrize("rule_id", SHIPPED)
def test_each_shipped_rule_loads(rule_id: str) -> None:
    r = load_rule(rule_id)
    assert r.id == rule_id
    assert r.source == f"{rule_id}.toml"
    assert r.tiers and r.title_zh and r.title_en and r.citation


def test_list_rules_has_all_shipped() -> None:
    assert [r.id for r in list_rules()] == sorted(SHIPPED)


def test_xicheng_2016_matches_definition() -> None:
    r = load_rule("xicheng-2016")
    assert "西政发〔2016〕12号" in r.citation and "表1 第28项" in r.citation
    assert r.citation_status == "primary"
    assert r.min_area_m2 == 5000
    assert [(t.min_area_m2, t.max_area_m2, t.radius_m, t.zone) for t in r.tiers] == [
        (5000, None, 500, "any")
    ]
    assert r.exclusion == "historic_blocks" and r.headline_variant == "non_historic"
    assert r.kinds is None and r.demand_base == "residential_area"


def test_tiered_rule() -> None:
    r = load_rule("tiered-300-500")
    assert r.citation_status == "commonly cited; no primary source checked"
    assert r.min_area_m2 == 1000
    tiers = {(t.min_area_m2, t.max_area_m2, t.radius_m, t.zone) for t in r.tiers}
    assert tiers == {
        (5000, None, 500, "any"),
        (2000, 5000, 300, "any"),
        (1000, None, 300, "inside_exclusion"),
    }


def test_who_and_gbt() -> None:
    who = load_rule("who-europe-2016")
    assert who.demand_base == "population"
    assert who.min_area_m2 == 5000 and who.radii == (300,)
    assert "Urban green spaces and health" in who.citation
    gbt = load_rule("gbt51346-2019")
    assert gbt.radii == (500,) and gbt.kinds is None  # parks of every kind and squares
    assert "GB/T 51346-2019" in gbt.citation


def test_unknown_id_lists_available() -> None:
    with pytest.raises(LayerError) as ei:
        load_rule("xicheng-2099")
    msg = str(ei.value)
    assert "xicheng-2099" in msg
    for rid in SHIPPED:
        assert rid in msg


GOOD = """
id = "{id}"
title_zh = "新规则"
title_en = "New rule"
citation = "planner"
citation_status = "secondary"
[eligibility]
min_area_m2 = 400
[[tiers]]
min_area_m2 = 400
radius_m = 300
"""


def test_planner_adds_rule_by_file(tmp_path: Path) -> None:
    (tmp_path / "pocket-300.toml").write_text(GOOD.format(id="pocket-300"), encoding="utf-8")
    assert [r.id for r in list_rules(tmp_path)] == ["pocket-300"]
    assert load_rule("pocket-300", tmp_path).tiers[0].radius_m == 300


def test_malformed_file_names_file_and_field(tmp_path: Path) -> None:
    bad = GOOD.format(id="bad").replace("radius_m = 300", "radius_m = -300")
    (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(LayerError) as ei:
        load_rule("bad", tmp_path)
    (p,) = ei.value.problems
    assert p.file == "bad.toml" and p.field == "tiers[0].radius_m"
    assert "bad.toml" in str(ei.value) and "tiers[0].radius_m" in str(ei.value)
    # the whole folder fails loudly too
    with pytest.raises(LayerError, match=r"bad\.toml"):
        list_rules(tmp_path)


def test_syntax_error_and_id_mismatch(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text("id = \n", encoding="utf-8")
    with pytest.raises(LayerError, match=r"broken\.toml.*not valid TOML"):
        read_rule_file(tmp_path / "broken.toml")
    (tmp_path / "other.toml").write_text(GOOD.format(id="different"), encoding="utf-8")
    with pytest.raises(LayerError) as ei:
        read_rule_file(tmp_path / "other.toml")
    assert ei.value.problems[0].field == "id"


def test_rules_dir_is_repo_data() -> None:
    assert RULES_DIR.name == "rules" and (RULES_DIR / "README.md").is_file()
