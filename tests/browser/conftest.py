"""Browser tests of the web map: the app on a free loopback port, driven by Playwright + Debian Chromium.

The Chromium is the system one (/usr/bin/chromium, installed by scripts/system-deps.sh); Playwright never
downloads a browser. Every test is marked ``browser``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _webmap_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Recorder,
    require_data_and_assets,
    serve_app,
    xss_hook,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """Base URL of the app (basemap none, XSS hook) served on a free 127.0.0.1 port in a thread."""
    from webmap import create_app

    require_data_and_assets()
    app = create_app({"TESTING": True, "LAYER_HOOK": xss_hook, "LOG_LEVEL": "WARNING"})
    with serve_app(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless system Chromium via Playwright."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    pg = ctx.new_page()
    pg.recorder = Recorder(pg)
    try:
        yield pg
    finally:
        ctx.close()
