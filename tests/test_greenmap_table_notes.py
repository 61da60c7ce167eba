"""greenmap.table_notes: the notes printed once below a coverage table."""

from __future__ import annotations

import pandas as pd

from greenmap.table_notes import coverage_notes, input_notes, official_notes, unit_label


def test_notes_name_the_units() -> None:
    t = pd.DataFrame(
        {
            "scope": ["district", "subdistrict", "subdistrict"],
            "unit_code": ["d", "a", "b"],
            "unit_name_zh": ["全区", "甲街道", "乙街道"],
            "unit_name_en": ["", "", ""],
            "note": ["x", "x; no residential land in this unit: rate undefined", "x"],
        }
    )
    notes = coverage_notes(t)
    assert "x (every unit)" in notes
    assert "no residential land in this unit: rate undefined (甲街道)" in notes


def test_notes_list_at_most_six_units_by_name() -> None:
    names = [f"{c}街道" for c in "甲乙丙丁戊己庚辛"]
    t = pd.DataFrame(
        {
            "scope": ["district"] + ["subdistrict"] * 8 + ["subdistrict"],
            "unit_code": [str(i) for i in range(10)],
            "unit_name_zh": ["全区", *names, "壬街道"],
            "unit_name_en": [""] * 10,
            "note": [""] + ["y"] * 8 + [""],
        }
    )
    assert "y (8 units: 甲街道, 乙街道, 丙街道, 丁街道, 戊街道, 己街道, …)" in coverage_notes(t)


def test_unit_label_marks_historic_blocks_and_falls_back_to_the_code() -> None:
    row = {"scope": "historic_block", "unit_name_zh": "什刹海历史文化街区", "unit_name_en": ""}
    assert unit_label(pd.Series(row), True) == "· 什刹海历史文化街区"
    assert unit_label(pd.Series({"unit_code": "110102"}), True) == "110102"


def test_input_notes_name_approximate_layers_and_credit_osm() -> None:
    parks = pd.DataFrame({"geometry_quality": ["osm", "approximate"], "source": ["OSM", "OSM"]})
    notes = input_notes({"parks": parks})
    assert notes[0].startswith("approximate input: 1 of 2 parks features")
    assert notes[-1] == "map data © OpenStreetMap contributors (ODbL)"
    assert input_notes({"parks": parks.iloc[:0]}) == []


def test_official_notes_take_the_latest_actual_and_expected() -> None:
    r = pd.DataFrame(
        {
            "indicator_id": ["a"] * 3,
            "name_zh": ["覆盖率"] * 3,
            "year": [2020, 2021, 2030],
            "value": [97.18, 98.05, 100.0],
            "kind": ["actual", "actual", "target"],
            "source": ["甲", "乙", "丙"],
            "source_file": ["1.txt", "2.txt", "3.txt"],
            "source_lines": ["5", "7-9", "1"],
        }
    )
    (note,) = official_notes(r)
    assert "98.05 % (2021 actual; 乙, 2.txt lines 7-9)" in note
    assert "97.18" not in note and "100" not in note  # older actual and the target left out


def test_official_notes_carry_the_fact_tables_caveat() -> None:
    r = pd.DataFrame(
        {
            "indicator_id": ["a", "a"],
            "name_zh": ["覆盖率"] * 2,
            "year": [2022, 2025],
            "value": [97.73, 99.98],
            "kind": ["actual", "expected"],
            "source": ["news", "《报告》"],
            "source_file": [None, "4.txt"],
            "source_lines": [None, "73"],
            "note": ["Scope not stated. Confidence M.", "  "],
        }
    )
    (note,) = official_notes(r)
    assert "97.73 % (2022 actual; news) [Scope not stated. Confidence M.]" in note
    assert note.endswith("99.98 % (2025 expected; 《报告》, 4.txt line 73)")  # blank note: nothing
