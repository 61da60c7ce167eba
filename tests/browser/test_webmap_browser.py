"""The map page in headless Chromium: layers, 街道 panel, URL state, filters, escaping, offline."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

from _webmap_support import ARTIFACTS, XSS_ID, XSS_NAME, open_map


def _config(page: Any) -> dict[str, Any]:
    return json.loads(page.eval_on_selector("#gm-config", "n => n.textContent"))


def test_page_loads_all_layers_without_console_errors(page: Any, live_server: str) -> None:
    open_map(page, live_server + "/")
    cfg = _config(page)
    for key in ("district", "subdistricts", "historic_blocks", "parks", "projects"):
        assert key in cfg["names"]["groups"], key
        if cfg["names"]["counts"][key]["with_geometry"] == 0:
            continue  # e.g. historic blocks published without boundaries
        assert key in cfg["names"]["layers"], key
        n = page.evaluate(
            f"() => window[{json.dumps(cfg['names']['layers'][key])}].getLayers().length"
        )
        assert n > 0, key
    assert cfg["names"]["rules"][cfg["default_rule"]].get("radii")
    # the uncovered-land layer is fetched from the API for the chosen rule and year
    page.wait_for_selector("body[data-loaded-gaps]", timeout=30_000)
    assert page.locator("path.leaflet-interactive").count() > 15
    # map chrome: scale bar, fullscreen, measure, search, layer control, legend
    for sel in (
        ".leaflet-control-scale",
        ".leaflet-control-zoom-fullscreen",
        ".leaflet-control-measure",
        ".leaflet-control-search",
        ".leaflet-control-layers",
        ".gm-legend",
    ):
        assert page.locator(sel).count() == 1, sel
    assert page.recorder.errors == []


def test_approximate_geometry_is_dashed_and_labelled(page: Any, live_server: str) -> None:
    open_map(page, live_server + "/")
    cfg = _config(page)
    name = cfg["names"]["layers"]["subdistricts"]
    dashed = page.evaluate(
        f"""() => window[{json.dumps(name)}].getLayers()
            .filter(l => l.feature.properties.geometry_quality === 'approximate')
            .map(l => l.options.dashArray)"""
    )
    if not dashed:
        return  # no approximate 街道 geometry in this data
    assert all(d for d in dashed)
    page.evaluate(f"() => window[{json.dumps(name)}].getLayers()[0].openPopup()")
    assert "近似 approximate" in page.locator(".leaflet-popup-content").inner_text()


def test_selecting_subdistrict_updates_panel_and_url(page: Any, live_server: str) -> None:
    open_map(page, live_server + "/")
    sd = _config(page)["subdistricts"][2]
    page.select_option("#gm-sd", sd["code"])
    page.wait_for_function(
        "code => location.hash.includes('sd=' + code)", arg=sd["code"], timeout=5_000
    )
    assert sd["name_zh"] in page.locator("#gm-sd-title").inner_text()
    panel = page.locator("#gm-panel").inner_text()
    assert "官方公布 reported" in panel and "本工具计算 computed" in panel
    assert "人口 population" in panel


def test_reopening_url_restores_view(page: Any, live_server: str, browser: Any) -> None:
    open_map(page, live_server + "/")
    cfg = _config(page)
    sd = cfg["subdistricts"][5]
    url = f"{live_server}/#sd={sd['code']}&year=2018&status=done,under_way&metric=projects"
    other = browser.new_context().new_page()
    try:
        open_map(other, url)
        assert other.locator("#gm-sd").input_value() == sd["code"]
        assert other.locator("#gm-year").input_value() == "2018"
        assert other.locator("#gm-metric").input_value() == "projects"
        checked = other.eval_on_selector_all(
            "input[name=gm-status]:checked", "ns => ns.map(n => n.value)"
        )
        assert sorted(checked) == ["done", "under_way"]
        assert sd["name_zh"] in other.locator("#gm-sd-title").inner_text()
        assert "year=2018" in other.evaluate("location.hash")
    finally:
        other.context.close()


def test_filters_change_what_is_visible(page: Any, live_server: str) -> None:
    open_map(page, live_server + "/")
    before = int(page.get_attribute("body", "data-visible-projects") or "0")
    n_list_before = page.locator("#gm-projects, .gm-projects h3").first.inner_text()
    # uncheck every status: nothing left
    for box in page.locator("input[name=gm-status]").all():
        box.uncheck()
    assert page.get_attribute("body", "data-visible-projects") == "0"
    assert "（0）" in page.locator(".gm-projects h3").inner_text()
    assert "status=" in page.evaluate("location.hash")
    page.locator("input[name=gm-status][value=done]").check()
    done = int(page.get_attribute("body", "data-visible-projects") or "0")
    assert done <= before
    # as-of year before any project was listed: no projects
    page.eval_on_selector(
        "#gm-year",
        "n => { n.value = n.min; n.dispatchEvent(new Event('input')); }",
    )
    assert page.locator(".gm-projects h3").inner_text() != n_list_before
    assert "year=" in page.evaluate("location.hash")


def test_hostile_project_name_renders_as_text(page: Any, live_server: str) -> None:
    open_map(page, live_server + "/")
    cfg = _config(page)
    xss = next(p for p in cfg["projects"] if p["project_id"] == XSS_ID)
    code = xss["subdistrict_codes"]
    page.select_option("#gm-sd", code)
    item = page.locator(f"li[data-project-id='{XSS_ID}']")
    assert item.locator(".gm-pname").inner_text() == XSS_NAME
    # popup and tooltip of the feature on the map
    name = cfg["names"]["layers"]["projects"]
    page.evaluate(
        f"""() => window[{json.dumps(name)}].getLayers()
            .filter(l => l.feature.properties.project_id === {json.dumps(XSS_ID)})
            .forEach(l => {{ l.openTooltip(); l.openPopup(); }})"""
    )
    assert XSS_NAME in page.locator(".leaflet-popup-content").inner_text()
    assert XSS_NAME in page.locator(".leaflet-tooltip").first.inner_text()
    # search tips are text too
    page.locator(".leaflet-control-search .search-button").click()
    page.locator(".leaflet-control-search input").press_sequentially("img src")
    page.wait_for_selector(".search-tip", timeout=5_000)
    assert XSS_NAME in page.locator(".search-tip").first.inner_text()
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("#gm-panel b, .leaflet-popup-content b:has-text('bold')").count() == 0
    assert page.recorder.dialogs == []


def test_no_request_leaves_loopback(page: Any, live_server: str) -> None:
    open_map(page, live_server + "/")
    page.wait_for_selector("body[data-loaded-gaps]", timeout=30_000)
    page.select_option("#gm-sd", _config(page)["subdistricts"][0]["code"])
    page.wait_for_timeout(300)
    hosts = {urlparse(u).hostname for u in page.recorder.requests if not u.startswith("data:")}
    assert hosts == {"127.0.0.1"}, hosts


def test_screenshot(page: Any, live_server: str) -> None:
    open_map(page, live_server + "/")
    cfg = _config(page)
    page.select_option("#gm-sd", cfg["subdistricts"][1]["code"])
    page.wait_for_selector("body[data-loaded-gaps]", timeout=30_000)
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "webmap.png"
    page.screenshot(path=str(out))
    assert out.stat().st_size > 10_000


def test_reported_figures_show_their_citation_and_caveat(page: Any, live_server: str) -> None:
    open_map(page, live_server + "/")
    reported = _config(page)["reported"]
    sd = _config(page)["subdistricts"][0]
    page.select_option("#gm-sd", sd["code"])
    box = page.locator(".gm-reported-sources")
    assert box.count() == 1
    box.locator("summary").click()
    items = box.locator("li")
    assert items.count() == len(reported)
    # it stays open when the panel is redrawn (another 街道)
    page.select_option("#gm-sd", _config(page)["subdistricts"][1]["code"])
    page.wait_for_timeout(500)
    assert page.locator(".gm-reported-sources").evaluate("d => d.open")
    box = page.locator(".gm-reported-sources")
    # every figure's footnote number and its citation, visible, not only as a hover title
    text = box.inner_text()
    row = next(
        r for r in reported if r["year"] == 2021 and r["kind"] == "actual" and r["source_file"]
    )
    assert f"{row['source_file']}（行 lines {row['source_lines']}）" in text
    assert "说明 note: " + row["note"] in text
    n_sup = page.locator(".gm-reported table sup").count()
    assert n_sup == len(reported)
