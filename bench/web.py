"""Benchmark of the web map: first-view bytes, time to first rendered layer, filter time, API latency.

* **first view**: bytes transferred (response headers + bodies, as Chromium reports them) for the map page
  with basemap ``none`` until the page is ready and the API-loaded layer (uncovered land) and coverage
  have arrived. Target < 2 MB.
* **time to first rendered layer**: headless Chromium (``/usr/bin/chromium``), from navigation start to the
  first Leaflet vector path in the DOM (``performance.now()``), median of ``--runs`` fresh page loads on a
  warm server. Target < 1.5 s.
* **filter**: milliseconds app.js takes to apply a filter change (year slider, status, 街道), as it records
  in ``body[data-filter-ms]``. Target < 300 ms.
* **API latency**: the app under waitress in a subprocess on 127.0.0.1, ``--clients`` concurrent client
  threads (keep-alive connections) sending ``--requests`` requests in all over a mix of ``/api`` routes;
  p50/p95/p99 in ms. Target p95 < 50 ms.

* **at scale** (issue 13, ``--area``): ``demo`` (the shipped Xicheng data), ``synthetic`` (a study area
  of 50,000 parcels, 2,000 parks, 30,000 street segments from ``geo.synthetic``, written to a temp
  user-data folder by ``bench/synthetic_area.py``), ``xicheng-osm`` (the real-data area built by
  ``greenmap``; skipped with a message when ``../shared`` or the built area is absent). For each:
  first-view bytes, first rendered layer, **tile p95** at ``--clients`` concurrent clients over the
  vector tiles around the centre (zooms 11-15; target < 100 ms) and the server's resident memory.

Only loopback traffic; every loop is bounded. Prints a table and writes ``bench/results/web.json``
(``web_<area>.json`` for ``--area`` other than demo).

Usage::

    python bench/web.py [--runs 5] [--clients 50] [--requests 3000] [--area demo|synthetic|xicheng-osm]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("GREENMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
FIRST_PATH_JS = """
(() => {
  window.__gmFirstPath = null;
  const obs = new MutationObserver(() => {
    if (window.__gmFirstPath === null && document.querySelector('path.leaflet-interactive')) {
      window.__gmFirstPath = performance.now();
      obs.disconnect();
    }
  });
  document.addEventListener('DOMContentLoaded', () =>
    obs.observe(document.body, {childList: true, subtree: true}));
})();
"""
API_MIX = [
    "/api/subdistricts",
    "/api/projects",
    "/api/projects?year=2020&status=done",
    "/api/projects?subdistrict={sd}",
    "/api/coverage?year=2021",
    "/api/coverage",
    "/api/subdistricts/{sd}",
    "/api/indicators/reported",
    "/api/layers/parks.geojson",
    "/api/rules",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, threads: int, area: str | None = None) -> subprocess.Popen[bytes]:
    cfg: dict[str, Any] = {"LOG_LEVEL": "WARNING"}
    if area:
        cfg["STUDY_AREA"] = area
        cfg["MAP_PROJECTS_SOURCE"] = "layer"
    code = (
        "import logging; logging.getLogger('waitress.queue').setLevel(logging.ERROR); "
        "from webmap import serve; "
        f"serve('127.0.0.1', {port}, workers={threads}, production=True, "
        f"config={cfg!r})"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start within 60 s")


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    conn.request("GET", path)
    r = conn.getresponse()
    return r.status, r.read()


def warm(port: int) -> str:
    """Fill the server's caches (page, coverage, gaps) and return one 街道 code."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    _status, body = get(conn, "/api/subdistricts")
    sd = json.loads(body)["subdistricts"][0]["code"]
    for path in ["/", *API_MIX]:
        get(conn, path.format(sd=sd))
    conn.close()
    return str(sd)


def browser_metrics(base: str, runs: int, filters: bool = True) -> dict[str, Any]:
    """Fresh page loads; with ``filters``, each run also times filter changes (these make the server
    compute other years' layers, so :func:`main` runs them last, after the latency loops)."""
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {"first_layer_ms": [], "ready_ms": [], "bytes": [], "filter_ms": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(runs):
            ctx = browser.new_context(viewport={"width": 1400, "height": 900})
            page = ctx.new_page()
            page.add_init_script(FIRST_PATH_JS)
            sizes: list[int] = []
            hosts: set[str] = set()

            def on_finished(req: Any, sizes: list[int] = sizes, hosts: set[str] = hosts) -> None:
                s = req.sizes()
                sizes.append(int(s["responseBodySize"]) + int(s["responseHeadersSize"]))
                hosts.add(req.url.split("/")[2])

            page.on("requestfinished", on_finished)
            page.goto(base + "/", timeout=120_000)
            page.wait_for_selector("body[data-ready='1']", timeout=60_000)
            # uncovered land: GeoJSON from the API, or vector tiles on a large area
            page.wait_for_selector("body[data-loaded-gaps], body[data-tiles-gaps]", timeout=120_000)
            page.wait_for_load_state("networkidle")
            out["first_layer_ms"].append(page.evaluate("window.__gmFirstPath"))
            out["ready_ms"].append(
                page.evaluate(
                    "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
                )
            )
            out["bytes"].append(sum(sizes))
            out["hosts"] = sorted(hosts)
            if not filters:
                ctx.close()
                continue
            # filters: year slider steps, status toggles, 街道 selection
            ms: list[float] = []
            for y in ("2016", "2019", "2022", "2025"):
                page.eval_on_selector(
                    "#gm-year",
                    f"n => {{ n.value = '{y}'; n.dispatchEvent(new Event('input')); }}",
                )
                ms.append(float(page.get_attribute("body", "data-filter-ms") or "nan"))
            page.locator("input[name=gm-status][value=planned]").uncheck()
            ms.append(float(page.get_attribute("body", "data-filter-ms") or "nan"))
            codes = page.eval_on_selector_all("#gm-sd option", "os => os.map(o => o.value)")
            for code in codes[1:6]:
                page.select_option("#gm-sd", code)
                ms.append(float(page.get_attribute("body", "data-filter-ms") or "nan"))
            out["filter_ms"].extend(ms)
            ctx.close()
        browser.close()
    return out


def _hammer(
    port: int, clients: int, total: int, pick: Callable[[int, int], str], ok: tuple[int, ...]
) -> tuple[list[float], float]:
    """``clients`` threads, each GETting ``total // clients`` paths (``pick(client, k)``); the latencies
    in ms and the wall time in s. A status not in ``ok`` raises."""
    per_client = max(1, total // clients)

    def worker(i: int) -> list[float]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        lat: list[float] = []
        for k in range(per_client):
            path = pick(i, k)
            t0 = time.perf_counter()
            status, _ = get(conn, path)
            lat.append((time.perf_counter() - t0) * 1000)
            if status not in ok:
                raise RuntimeError(f"{path}: HTTP {status}")
        conn.close()
        return lat

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as ex:
        lats = [x for part in ex.map(worker, range(clients)) for x in part]
    return lats, time.perf_counter() - t0


def api_latency(port: int, sd: str, clients: int, total: int) -> dict[str, Any]:
    paths = [p.format(sd=sd) for p in API_MIX]
    lats, wall = _hammer(port, clients, total, lambda i, k: paths[(i + k) % len(paths)], (200,))
    q = statistics.quantiles(lats, n=100)
    return {
        "clients": clients,
        "requests": len(lats),
        "p50_ms": round(q[49], 2),
        "p95_ms": round(q[94], 2),
        "p99_ms": round(q[98], 2),
        "max_ms": round(max(lats), 2),
        "throughput_rps": round(len(lats) / wall, 1),
    }


def tile_paths(port: int) -> list[str]:
    """Tile URLs of the tiled layers around the 街道's centre, zooms 11-15 (3x3 tiles each)."""
    import re

    from webmap.tiles import tile_for

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    _s, body = get(conn, "/")
    cfg = json.loads(
        re.search(rb'id="gm-config" type="application/json">(.*?)</script>', body, re.S).group(1)  # type: ignore[union-attr]
    )
    conn.close()
    tiled = cfg["names"].get("tiled", {})
    b = [s["bounds"] for s in cfg["subdistricts"] if s.get("bounds")]
    lon = (min(x[0] for x in b) + max(x[2] for x in b)) / 2
    lat = (min(x[1] for x in b) + max(x[3] for x in b)) / 2
    rule = cfg.get("default_rule") or ""
    out = []
    for entry in tiled.values():
        for z in (11, 12, 13, 14, 15):
            cx, cy = tile_for(lon, lat, z)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    url = entry["url"].format(
                        z=z, x=cx + dx, y=cy + dy, rule=rule, year=cfg["years"][1]
                    )
                    out.append(url)
    return out


def warm_tiles(port: int, paths: list[str]) -> list[float]:
    """Request every tile once (computing the layers, encoding the tiles); ms per request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    cold: list[float] = []
    for p in paths:
        t0 = time.perf_counter()
        get(conn, p)
        cold.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return cold


def tile_latency(
    port: int, paths: list[str], cold: list[float], clients: int, total: int
) -> dict[str, Any]:
    """p50/p95 of tile requests from ``clients`` threads, after :func:`warm_tiles`."""
    lats, wall = _hammer(
        port, clients, total, lambda i, k: paths[(i * 7 + k) % len(paths)], (200, 204)
    )
    q = statistics.quantiles(lats, n=100)
    return {
        "tiles": len(paths),
        "cold_p50_ms": round(statistics.median(cold), 1) if cold else None,
        "cold_max_ms": round(max(cold), 1) if cold else None,
        "cold_total_s": round(sum(cold) / 1000, 1),
        "clients": clients,
        "requests": len(lats),
        "p50_ms": round(q[49], 2),
        "p95_ms": round(q[94], 2),
        "throughput_rps": round(len(lats) / wall, 1),
    }


def rss_mb(pid: int) -> float | None:
    try:
        import psutil

        return round(psutil.Process(pid).memory_info().rss / 2**20, 1)
    except Exception:
        return None


def resolve_area(name: str, tmp: Path) -> str | None:
    """``STUDY_AREA`` for the app: None (demo), a synthetic TOML, or the real-data area's name."""
    if name == "demo":
        return None
    if name == "synthetic":
        sys.path.insert(0, str(ROOT / "bench"))
        from synthetic_area import write_synthetic_area

        return str(write_synthetic_area(tmp))
    if name == "xicheng-osm":
        sys.path.insert(0, str(ROOT))
        from tests._shared import SHARED, needs_realdata

        if needs_realdata.mark.args[0]:
            raise SystemExit(f"xicheng-osm: skipped, {needs_realdata.mark.kwargs['reason']}")
        from layers.studyarea_build import build_from_shared

        user_data = tmp / "user_data"
        build_from_shared(SHARED, user_data)
        os.environ["GREENMAP_USER_DATA"] = str(user_data)  # the server subprocess inherits it
        return "xicheng-osm"
    raise SystemExit(f"--area: unknown area {name!r}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="fresh page loads in Chromium")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    ap.add_argument("--area", default="demo", help="demo, synthetic or xicheng-osm")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    if args.out is None:
        name = "web.json" if args.area == "demo" else f"web_{args.area}.json"
        args.out = str(ROOT / "bench" / "results" / name)

    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="greenmap-bench-"))
    area = resolve_area(args.area, tmp)
    port = free_port()
    proc = start_server(port, args.threads, area)
    try:
        sd = warm(port)
        base = f"http://127.0.0.1:{port}"
        paths = tile_paths(port)
        cold = warm_tiles(port, paths)  # the layers behind the tiles are computed here, once
        b = browser_metrics(base, args.runs, filters=False)
        api = api_latency(port, sd, args.clients, args.requests)
        tiles_ = tile_latency(port, paths, cold, args.clients, args.requests) if paths else None
        memory = rss_mb(proc.pid)
        b["filter_ms"] = browser_metrics(base, 1, filters=True)["filter_ms"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    result = {
        "area": args.area,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "tiles": tiles_,
        "server_rss_mb": memory,
        "first_view_bytes": int(statistics.median(b["bytes"])),
        "first_view_hosts": b.get("hosts", []),
        "first_layer_ms_median": round(statistics.median(b["first_layer_ms"]), 1),
        "first_layer_ms_runs": [round(x, 1) for x in b["first_layer_ms"]],
        "dom_content_loaded_ms_median": round(statistics.median(b["ready_ms"]), 1),
        "filter_ms_max": max(b["filter_ms"]),
        "filter_ms_median": statistics.median(b["filter_ms"]),
        "api": api,
        "targets": {
            "first_view_bytes": 2_000_000,
            "first_layer_ms": 1500,
            "filter_ms": 300,
            "api_p95_ms": 50,
        },
    }
    result["meets"] = {
        "first_view_bytes": result["first_view_bytes"] < 2_000_000,
        "first_layer_ms": result["first_layer_ms_median"] < 1500,
        "filter_ms": result["filter_ms_max"] < 300,
        "api_p95_ms": api["p95_ms"] < 50,
        "tile_p95_ms": None if tiles_ is None else tiles_["p95_ms"] < 100,
    }
    rows = [
        ("first view bytes", f"{result['first_view_bytes']:,}", "< 2,000,000"),
        ("first rendered layer (median ms)", result["first_layer_ms_median"], "< 1500"),
        ("filter apply (max ms)", result["filter_ms_max"], "< 300"),
        (f"/api p95 at {api['clients']} clients (ms)", api["p95_ms"], "< 50"),
        ("/api p50 / p99 (ms)", f"{api['p50_ms']} / {api['p99_ms']}", ""),
        ("/api throughput (req/s)", api["throughput_rps"], ""),
        ("tile p95 (ms)", tiles_["p95_ms"] if tiles_ else "no tiled layer", "< 100"),
        (
            "tile first encode p50 / max (ms)",
            f"{tiles_['cold_p50_ms']} / {tiles_['cold_max_ms']}" if tiles_ else "",
            "",
        ),
        ("server RSS (MB)", memory, ""),
    ]
    for name, val, target in rows:
        print(f"{name:<36} {val!s:>14}  {target}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
