"""greenmap.tables and the readable ``greenmap coverage`` output (issue 10, point 4)."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from greenmap import analysis
from greenmap.cli import main
from greenmap.tables import UNIT_WIDTH, coverage_report
from greenmap.textable import display_width
from layers.rules import load_rule


@pytest.fixture(scope="module")
def demo() -> tuple[analysis.Study, pd.DataFrame]:
    study = analysis.load("xicheng")
    return study, analysis.coverage_table("xicheng-2016", study=study)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_one_row_per_unit_and_notes_once(demo: tuple[analysis.Study, pd.DataFrame]) -> None:
    _, table = demo
    rule = load_rule("xicheng-2016")
    rep = coverage_report(table, rule)
    assert rep.variant == rule.headline_variant == "non_historic"
    n_sub = int((table["scope"] == "subdistrict").sum() / 2)
    n_blocks = int((table["scope"] == "historic_block").sum())
    assert n_sub == 15
    assert len(rep.rows) == 1 + n_sub + n_blocks
    body = rep.text.split("\n\n")[0].splitlines()[2:]
    assert len(body) == len(rep.rows)
    assert body[0].startswith("全区")
    # the district figure as the API gives it, rounded to 2 decimals
    want = table[(table["scope"] == "district") & (table["variant"] == "non_historic")]
    assert f"{want['rate_pct'].item():.2f}" in body[0]
    # every note of the table is printed once, below the table, never on the rows
    for note in {p.strip() for n in table["note"] for p in str(n).split(";") if p.strip()}:
        if note.startswith("19 historic") or note.startswith("population unknown"):
            assert rep.text.count(note) == 1, note
    assert any(n.startswith("依据 citation:") for n in rep.notes)
    assert all("citation" not in line for line in body)
    # the other variant on request
    assert coverage_report(table, rule, variant="all_land").variant == "all_land"


@pytest.mark.parametrize("width", [60, 72, 100, 160])
def test_report_fits_the_terminal(demo: tuple[analysis.Study, pd.DataFrame], width: int) -> None:
    _, table = demo
    rep = coverage_report(table, load_rule("xicheng-2016"), width=width)
    lines = rep.text.split("\n\n")[0].splitlines()
    assert max(display_width(line) for line in lines) <= width
    if width >= 100:
        assert "Whole district" in lines[2]  # English beside the Chinese when there is room
    if width < 72:
        assert "Whole district" not in rep.text
    assert max(display_width(line.split("  ")[0]) for line in lines) <= UNIT_WIDTH


def test_cli_table_json_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "coverage", "--rule", "xicheng-2016")
    assert code == 0
    assert out.splitlines()[0].startswith("单元 unit")
    assert out.count("依据 citation:") == 1
    assert "it/s" not in err  # no progress bar when stderr is not a terminal
    code, out, err = _run(capsys, "coverage", "--rule", "xicheng-2016", "--format", "json")
    assert code == 0
    records = json.loads(out)  # stdout stays machine-readable: a list of records
    assert isinstance(records, list)
    codes = {r["unit_code"] for r in records if r["scope"] == "subdistrict"}
    assert len(codes) == 15 and any(r["scope"] == "district" for r in records)
    assert {"arc_error_bound_pp", "pop_rate_pct", "note", "residential_m2"} <= set(records[0])
    assert err.count("note: 依据 citation:") == 1
    code, out, _ = _run(capsys, "coverage", "--format", "csv", "--variant", "all_land")
    assert code == 0
    df = pd.read_csv(io.StringIO(out), dtype={"unit_code": str})
    assert set(df["variant"]) == {"all_land"} and len(df.columns) >= 19


def test_network_table_shows_the_euclidean_rate_beside() -> None:
    t = pd.DataFrame(
        {
            "scope": ["district", "subdistrict"],
            "unit_code": ["d", "110102012"],
            "unit_name_zh": ["全区", "什刹海街道"],
            "unit_name_en": ["Whole district", "Shichahai"],
            "variant": "all_land",
            "residential_m2": [2.0e6, 5.0e5],
            "covered_m2": [1.0e6, 2.0e5],
            "rate_pct": [50.0, 40.0],
            "arc_error_bound_pp": [0.004, 0.0],
            "pop_rate_pct": [None, None],
            "euclidean_rate_pct": [69.69, 81.25],
            "note": ["", ""],
        }
    )
    rep = coverage_report(t)
    lines = rep.text.splitlines()
    assert "直线 Euclid %" in lines[0]
    assert lines[2].split()[-2:] == ["±0.0040", "69.69"]
    assert lines[3].split()[-1] == "81.25"
    # a Euclidean table has no such column; a narrow terminal still gets it
    assert "Euclid" not in coverage_report(t.drop(columns="euclidean_rate_pct")).text
    narrow = coverage_report(t, width=60).text.splitlines()
    assert all(display_width(x) <= 60 for x in narrow[:4]) and "81.25" in narrow[3]
