"""GreenMap Xicheng web map: a Flask app with an offline Folium map and a JSON API.

>>> app = create_app({"TESTING": True, "LOG_LEVEL": "WARNING"})
>>> app.config["BASEMAP"]
'none'
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any

from flask import Flask, Response, g, request

__all__ = ["DEFAULTS", "create_app", "serve"]

#: Configuration keys and their defaults. Each can also be set from the environment as ``GREENMAP_<KEY>``.
DEFAULTS: dict[str, Any] = {
    "STUDY_AREA": "xicheng",
    "BASEMAP": "none",
    "TIANDITU_KEY": None,
    # A ``webmap.service.DataLoader`` (default: read through the ``layers`` package).
    "DATA_LOADER": None,
    # ``hook(name, frame) -> frame`` applied to every layer/table read (tests add rows with it).
    "LAYER_HOOK": None,
    "LOG_LEVEL": "INFO",
    # Seconds browsers may reuse a response before revalidating with its ETag.
    "CACHE_MAX_AGE": 0,
    # Seconds between checks of the data files' version (a changed file is served within this time).
    "VERSION_TTL": 1.0,
    # Serve unchanged map page and API responses from memory without entering Flask.
    "RESPONSE_CACHE": True,
    # Where the map's projects come from: "layer" (shipped file), "store" (the planners' editable
    # store of webmap.edit_api), "auto" (the store when PROJECT_STORE or DATA_DIR is configured).
    "MAP_PROJECTS_SOURCE": "auto",
}
_ENV_KEYS = ("STUDY_AREA", "BASEMAP", "TIANDITU_KEY", "LOG_LEVEL", "CACHE_MAX_AGE")


def _logger(level: str) -> logging.Logger:
    log = logging.getLogger("webmap")
    if not any(getattr(h, "_greenmap", False) for h in log.handlers):
        h = logging.StreamHandler(sys.stdout)
        h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        h._greenmap = True  # type: ignore[attr-defined]
        log.addHandler(h)
    log.setLevel(level.upper())
    log.propagate = False
    return log


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the web map application.

    Parameters
    ----------
    config : dict, optional
        Overrides of :data:`DEFAULTS` (and any Flask setting). Environment variables
        ``GREENMAP_STUDY_AREA``, ``GREENMAP_BASEMAP``, ``GREENMAP_TIANDITU_KEY``, ``GREENMAP_LOG_LEVEL``,
        ``GREENMAP_CACHE_MAX_AGE`` are read first; ``config`` wins over them.

    Returns
    -------
    Flask
        The app: the map at ``/``, the JSON API under ``/api/`` (OpenAPI document at
        ``/api/openapi.json``), vendored assets under ``/static/vendor/``.

    Raises
    ------
    ValueError
        If ``BASEMAP`` is not one of ``none``, ``osm``, ``tianditu``, ``amap``.
    """
    from webmap.api import api
    from webmap.render import BASEMAPS
    from webmap.respcache import ResponseCache
    from webmap.service import LayersLoader, MapService, StoreProjectsLoader
    from webmap.views import views

    app = Flask(__name__)
    app.config.update(DEFAULTS)
    for key in _ENV_KEYS:
        val = os.environ.get(f"GREENMAP_{key}")
        if val is not None and val != "":
            app.config[key] = int(val) if key == "CACHE_MAX_AGE" else val
    if config:
        app.config.update(config)
    if app.config["BASEMAP"] not in BASEMAPS:
        raise ValueError(
            f"BASEMAP: unknown basemap {app.config['BASEMAP']!r}; choose one of {sorted(BASEMAPS)}"
        )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    log = _logger(str(app.config["LOG_LEVEL"]))
    loader = app.config["DATA_LOADER"] or LayersLoader(app.config["STUDY_AREA"])
    source = app.config["MAP_PROJECTS_SOURCE"]
    if source not in ("auto", "layer", "store"):
        raise ValueError(f"MAP_PROJECTS_SOURCE: expected auto, layer or store, got {source!r}")
    if source == "store" or (
        source == "auto" and (app.config.get("PROJECT_STORE") or app.config.get("DATA_DIR"))
    ):
        from webmap.edit_api import get_store

        loader = StoreProjectsLoader(loader, lambda: get_store(app))
    app.extensions["greenmap"] = MapService(
        loader,
        layer_hook=app.config["LAYER_HOOK"],
        version_ttl=float(app.config["VERSION_TTL"]),
    )

    @app.before_request
    def _start() -> None:
        g.t0 = time.perf_counter()

    @app.after_request
    def _log(resp: Response) -> Response:
        ms = (time.perf_counter() - g.get("t0", time.perf_counter())) * 1000
        log.info(
            "%s %s %s %.1fms", request.method, request.full_path.rstrip("?"), resp.status_code, ms
        )
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        return resp

    @app.errorhandler(404)
    @app.errorhandler(405)
    def _not_found(err: Any) -> Any:
        if request.path.startswith("/api/"):
            names = {404: "not found", 405: "method not allowed"}
            body = {"error": names.get(err.code, "error"), "message": err.description}
            return body, err.code
        return err

    @app.errorhandler(500)
    def _server_error(err: Any) -> Any:
        log.exception("internal error on %s", request.path)
        if request.path.startswith("/api/"):
            return {"error": "internal error", "message": "see the server log"}, 500
        return err

    if app.config["RESPONSE_CACHE"]:
        svc = app.extensions["greenmap"]
        app.wsgi_app = ResponseCache(app.wsgi_app, svc.version)  # type: ignore[method-assign]
    app.register_blueprint(views)
    app.register_blueprint(api, url_prefix="/api")
    from webmap.auth import init_auth
    from webmap.edit_api import init_edit_api
    from webmap.ogcapi import ogcapi

    app.register_blueprint(ogcapi, url_prefix="/ogc")
    init_auth(app)  # /auth: login, logout, session + CSRF token
    init_edit_api(app)  # /api/edit: editors' writes, history, restore
    log.info(
        "webmap ready: study area %s, basemap %s", app.config["STUDY_AREA"], app.config["BASEMAP"]
    )
    return app


def serve(
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int = 4,
    production: bool = True,
    config: dict[str, Any] | None = None,
) -> None:
    """Run the web map.

    Parameters
    ----------
    host, port : str, int
        Where to listen.
    workers : int
        Worker threads of the waitress server (``production=True``); the dev server is threaded.
    production : bool
        ``True``: waitress (multi-threaded WSGI server); ``False``: Flask's development server.
    config : dict, optional
        Passed to :func:`create_app`.
    """
    app = create_app(config)
    if production:
        import waitress

        waitress.serve(app, host=host, port=port, threads=max(1, int(workers)), ident="greenmap")
    else:
        app.run(host=host, port=port, threaded=True, debug=False, use_reloader=False)
