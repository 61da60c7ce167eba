"""greenmap.textable: terminal tables that line up with 中文 in them."""

from __future__ import annotations

from greenmap.textable import display_width, fit, render


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("Xicheng") == 7
    assert display_width("西城区") == 6
    assert display_width("ｘ") == 2  # full-width latin
    assert display_width("e\u0301") == 1  # combining accent takes no column
    assert display_width(fit("广安门外街道 Guang'anmenwai", 10)) == 10
    assert fit("广安门外街道", 9).endswith("…")
    assert fit("1.5", 5, ">") == "  1.5"


def test_render_aligns_cjk_columns() -> None:
    text = render(["名", "x"], [["什刹海街道", "1"], ["牛街", "22"]], ["<", ">"])
    lines = text.splitlines()
    # the right-aligned column ends in the same display column on every line
    assert len({display_width(line) for line in lines}) == 1


def test_render_shrinks_only_the_shrinkable_column_to_the_width() -> None:
    rows = [["广安门外街道 Guang'anmenwai Subdistrict", "47.54"], ["牛街", "0.00"]]
    wide = render(["单元 unit", "%"], rows, ["<", ">"])
    narrow = render(["单元 unit", "%"], rows, ["<", ">"], shrinkable=0, max_width=20)
    assert max(display_width(line) for line in wide.splitlines()) > 20
    assert max(display_width(line) for line in narrow.splitlines()) <= 20
    assert "…" in narrow and "47.54" in narrow  # the name is cut, the number never


def test_render_caps_the_shrinkable_column_at_max_col() -> None:
    text = render(["u", "n"], [["甲" * 30, "1"]], ["<", ">"], shrinkable=0, max_col=10)
    line = text.splitlines()[2]
    assert (
        line.endswith("1") and display_width(line) == 10 + 2 + 1
    )  # column 10 wide, then 2, then n
    assert "…" in line
