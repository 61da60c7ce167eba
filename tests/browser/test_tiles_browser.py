"""The map on a large synthetic study area drawn from vector tiles (issue 13), in headless Chromium.

The area (``bench/synthetic_area.py``, made up by ``geo.synthetic``): 10,000 residential parcels,
500 parks, 3,000 street segments, 15 街道 — smaller than the benchmark's 50,000 / 2,000 / 30,000
for CI time. The app's tiling threshold is set to 400 features, so residential land, parks (and
their service radii), streets and uncovered land are all tiled; 街道 and projects stay GeoJSON.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _webmap_support import open_map, serve_app

ROOT = Path(__file__).resolve().parents[2]
N_PARCELS, N_PARKS, N_STREETS = 10_000, 500, 3_000
THRESHOLD = 400


@pytest.fixture(scope="module")
def large_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic_area import write_synthetic_area

    from webmap import create_app

    folder = tmp_path_factory.mktemp("large_area")
    toml = write_synthetic_area(folder, "synthetic-ci", N_PARCELS, N_PARKS, N_STREETS)
    app = create_app(
        {
            "TESTING": True,
            "LOG_LEVEL": "WARNING",
            "STUDY_AREA": str(toml),
            "TILE_MIN_FEATURES": THRESHOLD,
            "MAP_PROJECTS_SOURCE": "layer",
        }
    )
    with serve_app(app) as url:
        yield url


def _wait_tiles(page: Any, key: str) -> None:
    page.wait_for_function(f"() => window.GREENMAP.tiledStats({key!r}).total > 0", timeout=30_000)


def _show_overlay(page: Any, title: str) -> None:
    page.locator(".leaflet-control-layers").hover()
    page.get_by_role("checkbox", name=title, exact=True).check()


def test_large_area_loads_tiles_without_errors_and_offline(large_server: str, page: Any) -> None:
    open_map(page, large_server + "/")
    cfg = page.evaluate("window.GREENMAP.cfg.names.tiled")
    assert {"residential", "parks", "radii", "gaps", "streets"} <= set(cfg)
    _wait_tiles(page, "parks")
    # the page itself embeds no tiled layer as GeoJSON: it stays small
    html_len = page.evaluate("document.documentElement.outerHTML.length")
    assert html_len < 1_500_000
    tiles = [u for u in page.recorder.requests if "/tiles/parks/" in u and u.endswith(".mvt")]
    assert tiles, "no park tile requested"
    assert page.recorder.errors == []
    # zooming in fetches tiles of the next zoom, and nothing comes from outside 127.0.0.1
    z0 = page.evaluate("window.GREENMAP.map.getZoom()")
    before = len(page.recorder.requests)
    page.evaluate("() => { window.GREENMAP.map.setZoom(window.GREENMAP.map.getZoom() + 2); }")
    page.wait_for_function(
        f"() => performance.getEntriesByType('resource').some(e => e.name.includes('/tiles/parks/{z0 + 2}/'))",
        timeout=30_000,
    )
    assert len(page.recorder.requests) > before
    hosts = {u.split("/")[2] for u in page.recorder.requests if u.startswith("http")}
    assert hosts and all(h.startswith("127.0.0.1") for h in hosts), hosts
    assert page.recorder.errors == []


def test_click_on_a_parcel_shows_its_attributes(large_server: str, page: Any) -> None:
    open_map(page, large_server + "/")
    _show_overlay(page, "居住用地 Residential land")
    # uncovered land and service radii are drawn over the parcels: hide them to reach a parcel
    page.get_by_role(
        "checkbox", name="未覆盖居住用地 Uncovered residential land", exact=True
    ).uncheck()
    page.get_by_role("checkbox", name="公园服务半径 Park service radii", exact=True).uncheck()
    page.evaluate("() => { window.GREENMAP.map.setZoom(16); }")
    _wait_tiles(page, "residential")
    page.wait_for_timeout(500)
    # a parcel drawn on the canvas: centre the map on it, then click at its centre
    target = page.evaluate(
        """async () => {
          const G = window.GREENMAP, map = G.map;
          const key = G.tiledStats('residential').keys[0];
          const r = await fetch('/api/features/residential/' + encodeURIComponent(key));
          const b = (await r.json()).bbox;
          const c = L.latLng((b[1] + b[3]) / 2, (b[0] + b[2]) / 2);
          map.setView(c, 17, {animate: false});
          await new Promise(res => setTimeout(res, 1500));
          const pt = map.latLngToContainerPoint(c);
          const box = map.getContainer().getBoundingClientRect();
          return {key, x: box.left + pt.x, y: box.top + pt.y};
        }"""
    )
    assert target, "no parcel in view"
    page.mouse.click(target["x"], target["y"])
    page.wait_for_selector(".leaflet-popup-content [data-feature-key]", timeout=15_000)
    key = page.get_attribute(".leaflet-popup-content [data-feature-key]", "data-feature-key")
    text = page.inner_text(".leaflet-popup-content")
    assert key == target["key"]
    assert "近似" in text  # the approximate-geometry mark of the synthetic parcels
    assert "synthetic" in text  # source, fetched from /api/features
    assert any(f"/api/features/residential/{key}" in u for u in page.recorder.requests)
    assert page.recorder.errors == []


def test_year_filter_changes_drawn_parks(large_server: str, page: Any) -> None:
    open_map(page, large_server + "/")
    _wait_tiles(page, "parks")
    page.wait_for_timeout(300)
    before = page.evaluate("window.GREENMAP.tiledStats('parks')")
    assert before["shown"] > 0
    n_requests = len(page.recorder.requests)
    page.eval_on_selector(
        "#gm-year", "n => { n.value = n.min; n.dispatchEvent(new Event('input')); }"
    )
    after = page.evaluate("window.GREENMAP.tiledStats('parks')")
    assert after["total"] == before["total"]
    assert after["shown"] < before["shown"]  # parks opened later are no longer drawn
    # no page reload, and no refetch of the park tiles for a year change
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert not [u for u in page.recorder.requests[n_requests:] if "/tiles/parks/" in u]
    assert page.recorder.errors == []
