"""The planning-meeting report (issue 14): PDF/HTML of one 街道 and of the district.

Checks the typeset PDF with poppler (``pdftotext``, ``pdffonts``, ``pdftoppm``). Page 1 of each report is
kept as a PNG under ``tests/artifacts/report/`` (gitignored) for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from greenmap import analysis, report
from greenmap.cli import main

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "report"
CODE = "110102012"  # 什刹海街道: parks, population and projects in the demo data
NAME = "什刹海街道"
HOSTILE = "<b>x</b><script>alert(1)</script>口袋公园"

needs_poppler = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pdftotext", "pdffonts", "pdftoppm")),
    reason="poppler-utils not installed (scripts/system-deps.sh)",
)


def _text(pdf: Path) -> str:
    """The PDF's text in content order (``-raw``: a table cell's wrapped lines stay together)."""
    out = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def _flat(text: str) -> str:
    return text.replace("\n", "")


def _fonts(pdf: Path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True)
    return [line.split() for line in out.stdout.splitlines()[2:] if line.strip()]


def _pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True)
    return int(re.search(r"Pages:\s+(\d+)", out.stdout).group(1))  # type: ignore[union-attr]


def _page1_png(pdf: Path, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / name
    subprocess.run(
        ["pdftoppm", "-r", "110", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
        check=True,
    )
    png = stem.with_suffix(".png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    return png


@pytest.fixture(scope="module")
def study() -> analysis.Study:
    """The demo study with one extra project in 什刹海 whose name holds markup."""
    s = analysis.load("xicheng")
    p = s["projects"]
    row = p.iloc[[0]].copy()
    row["project_id"] = "test-hostile"
    row["name_zh"] = HOSTILE
    row["subdistrict_codes"] = CODE
    row["subdistricts_zh"] = NAME
    s.layers["projects"] = pd.concat([p, row], ignore_index=True).set_crs(
        p.crs, allow_override=True
    )
    return s


@pytest.fixture(scope="module")
def data(study: analysis.Study) -> report.ReportData:
    return report.prepare(study=study, dpi=150)


@pytest.fixture(scope="module")
def sub_pdf(data: report.ReportData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "sub.pdf"
    report.write_atomic(out, report.build_report(CODE, data=data))
    return out


@pytest.fixture(scope="module")
def district_pdf(data: report.ReportData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "district.pdf"
    report.write_atomic(out, report.build_report(district=True, data=data))
    return out


def _rate(data: report.ReportData, code: str | None, variant: str = "all_land") -> str:
    t = data.table
    scope = "district" if code is None else "subdistrict"
    t = t[(t["scope"] == scope) & (t["variant"] == variant)]
    if code is not None:
        t = t[t["unit_code"] == code]
    return report.fmt_pct(float(t["rate_pct"].iloc[0]))


@needs_poppler
def test_subdistrict_pdf_text(sub_pdf: Path, data: report.ReportData) -> None:
    text = _text(sub_pdf)
    assert NAME in text and "Shichahai" in text
    assert _rate(data, CODE) in text  # the computed rate as formatted
    projects = report._projects_of(data, CODE)
    assert len(projects) > 1
    real = next(n for n in projects["name_zh"] if n != HOSTILE)
    assert real in _flat(text)
    # the officially reported series with its citation sits beside the computed value
    assert "97.18%" in text and "98.05%" in text
    assert "西政发〔2016〕12号" in text
    assert "近似" in text and "approximate" in text
    # network rate: computed or plainly "not computed"
    assert ("未计算 not computed" in text) == (report.network_of(data, CODE).get("status") != "ok")
    assert _pages(sub_pdf) >= 2


@needs_poppler
def test_markup_in_a_project_name_prints_as_text(sub_pdf: Path) -> None:
    assert "<b>x</b><script>alert(1)</script>" in _flat(_text(sub_pdf))


def test_markup_is_escaped_in_html(data: report.ReportData) -> None:
    html = report.build_report(CODE, data=data, fmt="html").decode("utf-8")
    assert "&lt;b&gt;x&lt;/b&gt;&lt;script&gt;" in html
    assert "<script>alert" not in html
    assert "@page" in html and "counter(page)" in html


@needs_poppler
def test_fonts_are_embedded(sub_pdf: Path, district_pdf: Path) -> None:
    for pdf in (sub_pdf, district_pdf):
        rows = _fonts(pdf)
        assert rows, "no fonts in the PDF"
        assert any("CJK" in r[0] for r in rows), rows
        for r in rows:
            # columns: name type [type…] encoding emb sub uni object-id gen
            emb = r[-5]
            assert emb == "yes", f"font not embedded: {r}"


@needs_poppler
def test_page1_png_artefacts(sub_pdf: Path, district_pdf: Path) -> None:
    for pdf, name in ((sub_pdf, f"demo-{CODE}-page1"), (district_pdf, "demo-district-page1")):
        png = _page1_png(pdf, name)
        from PIL import Image

        with Image.open(png) as im:
            w, h = im.size
            assert abs(h / w - 297 / 210) < 0.01  # A4 portrait
            # not blank: the page has ink
            darkest = im.convert("L").getextrema()[0]
            assert isinstance(darkest, int) and darkest < 80


@needs_poppler
def test_district_report(district_pdf: Path, data: report.ReportData) -> None:
    text = _text(district_pdf)
    pages = text.split("\f")
    names = data.study["subdistricts"]["name_zh"].tolist()
    assert len(names) == 15
    # the opening page holds the table of all 15 街道 with their computed rates
    assert all(n in pages[0] for n in names)
    assert all(_rate(data, c) in pages[0] for c in data.study["subdistricts"]["code"])
    assert _rate(data, None) in text
    assert "第 1 页" in pages[0] and "page 1 of" in pages[0]
    # one section per 街道 after the district part
    assert _pages(district_pdf) >= 17
    assert "ODbL" in text


def test_indicator_rows(data: report.ReportData) -> None:
    rows = report._indicator_rows(data, "subdistrict", CODE)
    labels = " ".join(r["label"] for r in rows)
    assert "all residential land" in labels and "outside historic blocks" in labels
    assert "population-weighted" in labels and "network" in labels
    pop = [r for r in rows if r["basis"].startswith("人口")]
    assert pop[0]["value"].endswith("%")  # 什刹海 has a 2020 census population


def test_projects_say_how_they_were_placed(data: report.ReportData) -> None:
    rows = report._project_rows(data, report._projects_of(data, CODE))
    assert rows and all(r["placement"] for r in rows)
    assert all(r["placement"].startswith("未定位 not placed") for r in rows if not r["placed"])
    assert all("→" in r["history"] or r["history"] != "—" for r in rows if r["history"] != "—")


def test_candidates_carry_their_basis(data: report.ReportData) -> None:
    ctx = report.subdistrict_context(data, CODE, with_chart=False)
    assert ctx["candidate_basis"]
    assert ctx["candidates"] or ctx["candidate_note"]
    for c in ctx["candidates"]:
        assert 116.2 < float(c["lon"]) < 116.5 and 39.8 < float(c["lat"]) < 40.0


def test_bad_code_rule_year_leave_no_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "r.pdf"
    assert main(["report", "--subdistrict", "110102999", "-o", str(out)]) == 2
    assert "unknown 街道 code '110102999'" in capsys.readouterr().err
    assert main(["report", "--district", "--rule", "no-such-rule", "-o", str(out)]) == 2
    assert "no-such-rule" in capsys.readouterr().err
    assert main(["report", "--district", "--year", "3000", "-o", str(out)]) == 2
    assert "year" in capsys.readouterr().err
    assert main(["report", "--district", "-o", str(tmp_path / "r.docx")]) == 2
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary file left


def test_failure_keeps_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    out.write_bytes(b"old")

    def boom() -> bytes:
        raise RuntimeError("typesetting failed")

    with pytest.raises(RuntimeError):
        report.write_atomic(out, boom)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.pdf"]


def test_cli_html(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert main(["report", "--subdistrict", CODE, "--dpi", "60", "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and NAME in html
    assert "data:image/jpeg;base64," in html and "data:image/png;base64," in html


def test_web_route() -> None:
    from webmap import create_app

    app = create_app({"TESTING": True, "LOG_LEVEL": "WARNING", "RESPONSE_CACHE": False})
    c = app.test_client()
    r = c.get(f"/report/{CODE}.pdf?format=html")
    assert r.status_code == 200 and r.content_type.startswith("text/html")
    assert NAME in r.get_data(as_text=True)
    for url, param in (
        ("/report/110102999.pdf", "code"),
        ("/report/abc.pdf", "code"),
        ("/report/district.pdf?rule=nope", "rule"),
        ("/report/district.pdf?year=3000", "year"),
        ("/report/district.pdf?format=doc", "format"),
        ("/report/district.pdf?colour=red", "colour"),
    ):
        r = c.get(url)
        assert r.status_code == 400, url
        assert r.get_json()["parameter"] == param, url


def test_panel_has_the_report_button() -> None:
    from webmap import create_app

    app = create_app({"TESTING": True, "LOG_LEVEL": "WARNING", "RESPONSE_CACHE": False})
    js = app.test_client().get("/static/app.js").get_data(as_text=True)
    assert 'id: "gm-report"' in js and '"/report/"' in js and "报告 report (PDF)" in js


@pytest.mark.slow
@needs_poppler
def test_web_route_pdf() -> None:
    from webmap import create_app

    app = create_app({"TESTING": True, "LOG_LEVEL": "WARNING"})
    r = app.test_client().get(f"/report/{CODE}.pdf?rule=xicheng-2016&year=2025")  # as the button
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.data[:5] == b"%PDF-"
    assert "attachment" in r.headers["Content-Disposition"]


@needs_poppler
def test_xicheng_osm_reports(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The real-data study area, when ../shared is there (the session fixture builds it)."""
    try:
        built = request.getfixturevalue("xicheng_osm")
    except pytest.FixtureLookupError:
        pytest.skip("no xicheng_osm fixture in tests/conftest.py")
    monkeypatch.setenv("GREENMAP_USER_DATA", str(built.user_data))
    d = report.prepare(built.name, user_data=built.user_data, dpi=150)
    sub = d.study["subdistricts"]
    code = CODE if CODE in set(sub["code"].astype(str)) else str(sub["code"].iloc[0])
    name = str(sub.loc[sub["code"].astype(str) == code, "name_zh"].iloc[0])
    out = tmp_path / "osm-sub.pdf"
    report.write_atomic(out, report.build_report(code, data=d))
    text = _text(out)
    assert name in text and _rate(d, code) in text
    projects = report._projects_of(d, code)
    if len(projects):
        assert str(projects["name_zh"].iloc[0]) in _flat(text)
    assert all(r[-5] == "yes" for r in _fonts(out))
    _page1_png(out, f"xicheng-osm-{code}-page1")
    dist = tmp_path / "osm-district.pdf"
    report.write_atomic(dist, report.build_report(district=True, data=d))
    _page1_png(dist, "xicheng-osm-district-page1")
    assert _pages(dist) >= 17
