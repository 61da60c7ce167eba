"""Helpers shared by the browser tests (constants, the XSS data hook, request/console recorder)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely

CHROMIUM = os.environ.get("GREENMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-sync",
]
XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_ID = "test-xss-1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def xss_hook(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Adds a test-only project whose name is an HTML payload (at a 街道's published interior point)."""
    if name != "projects":
        return frame
    import layers

    sd = layers.read_layer("subdistricts")
    first = sd.iloc[0]
    row: dict[str, Any] = {c: None for c in frame.columns}
    row.update(
        {
            "project_id": XSS_ID,
            "name_zh": XSS_NAME,
            "category": "pocket_park",
            "subdistrict_codes": str(first["code"]),
            "subdistricts_zh": f"{first['name_zh']}<b>bold</b>",
            "start_year": 2019,
            "latest_status": "done",
            "latest_status_year": 2020,
            "status_history": "2019:planned;2020:done",
            "adds_green_space": True,
            "source": "test fixture <script>alert(2)</script>",
            "geometry_quality": "user",
        }
    )
    point = shapely.Point(float(first["interior_lon"]), float(first["interior_lat"]))
    extra = frame.iloc[:0].copy()
    extra = pd.concat([extra, pd.DataFrame([row])], ignore_index=True)
    out = pd.concat([frame, extra], ignore_index=True)
    geoms = [*np.asarray(frame.geometry.values).tolist(), point]
    cls: Any = frame.__class__  # a GeoDataFrame
    return cls(out.drop(columns=frame.geometry.name), geometry=geoms, crs=frame.crs)  # type: ignore[no-any-return]


class Recorder:
    """Console errors, page errors, dialogs and every request URL of a page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

        def on_dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)


def open_map(page: Any, url: str) -> None:
    """Load the map page and wait until app.js has applied the view state."""
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)


def require_data_and_assets() -> None:
    """Skip when the layers cannot be read; fail when the vendored front-end assets are missing."""
    try:
        import layers

        layers.read_layer("subdistricts")
    except Exception as exc:  # data not built
        pytest.skip(f"layers not readable: {exc}")
    stamp = Path(__file__).resolve().parents[2] / "webmap" / "static" / "vendor" / ".stamp"
    if not stamp.exists():
        pytest.fail(
            "webmap/static/vendor is missing: run `make node-deps` (scripts/vendor-assets.sh)"
        )


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port in a thread; yields the base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
