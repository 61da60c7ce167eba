"""greenmap.cli_common and greenmap.serve_cmd: what the subcommands share."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from greenmap.cli_common import print_table
from greenmap.serve_cmd import serve_data_dir


def test_print_table_to_a_file_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.csv"
    print_table(pd.DataFrame({"街道": ["什刹海", "牛街"], "rate": [50.04, None]}), "csv", str(out))
    assert out.read_text(encoding="utf-8") == "街道,rate\n什刹海,50.04\n牛街,\n"
    std = capsys.readouterr()
    assert std.out == "" and std.err.strip() == f"wrote {out}"


def test_print_table_for_people_keeps_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    print_table(pd.DataFrame({"n": range(300)}), "table", None)
    assert len(capsys.readouterr().out.splitlines()) == 301  # header + 300 rows, none elided


def test_serve_data_dir_falls_back_to_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENMAP_DATA_DIR", str(tmp_path / "env"))
    assert serve_data_dir() == (tmp_path / "env").resolve()
    assert serve_data_dir(str(tmp_path / "arg")) == (tmp_path / "arg").resolve()
