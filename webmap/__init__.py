"""GreenMap Xicheng web map: a Flask app with an offline Folium map and a JSON API.

Settings come from, highest precedence first: the ``config`` dict given to :func:`create_app`, the
environment (``GREENMAP_<KEY>``), a TOML config file (``CONFIG_FILE`` in the dict, else
``$GREENMAP_CONFIG``; see ``webmap/config.example.toml``) and :data:`DEFAULTS`.

>>> app = create_app({"TESTING": True, "LOG_LEVEL": "WARNING"})
>>> app.config["BASEMAP"]
'none'
"""

from __future__ import annotations

import logging
import os
import sys
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request

__all__ = ["CONFIG_KEYS", "DEFAULTS", "create_app", "load_config_file", "resolve_config", "serve"]

#: Configuration keys and their defaults. Each can also be set from the environment as ``GREENMAP_<KEY>``.
DEFAULTS: dict[str, Any] = {
    # None: ``layers.studyarea.default_area()`` ($GREENMAP_AREA, else "xicheng").
    "STUDY_AREA": None,
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
    # Layers with at least this many features, or this estimated GeoJSON size, are served as vector
    # tiles (webmap.tiles_api); smaller ones stay GeoJSON in the page.
    "TILE_MIN_FEATURES": 2000,
    "TILE_MIN_BYTES": 1_000_000,
}
#: Keys a config file or ``GREENMAP_<KEY>`` may set, with their value type. ``path`` values in a file
#: are relative to the file's folder.
CONFIG_KEYS: dict[str, str] = {
    "STUDY_AREA": "str",
    "BASEMAP": "str",
    "TIANDITU_KEY": "str",
    "LOG_LEVEL": "str",
    "CACHE_MAX_AGE": "int",
    "VERSION_TTL": "float",
    "RESPONSE_CACHE": "bool",
    "MAP_PROJECTS_SOURCE": "str",
    "TILE_MIN_FEATURES": "int",
    "TILE_MIN_BYTES": "int",
    # the planners' data (webmap.edit_api, webmap.auth)
    "DATA_DIR": "path",
    "PROJECT_STORE": "path",
    "EDIT_COVERAGE_GAIN": "bool",
    "MAX_CONTENT_LENGTH": "int",
    "SECRET_KEY": "str",
    "AUTH_COOKIE_SECURE": "bool",
    "AUTH_COOKIE_NAME": "str",
    "AUTH_SAMESITE": "str",
    "AUTH_SESSION_HOURS": "float",
    "AUTH_RATE_LIMIT": "int",
    "AUTH_RATE_WINDOW": "float",
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _typed(key: str, value: Any, where: str, base: Path | None = None) -> Any:
    """``value`` checked/converted to the type of ``key`` (strings from the environment are parsed)."""
    kind = CONFIG_KEYS[key]
    text = isinstance(value, str)
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if text and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
            raise ValueError("expected true or false")
        if kind == "int":
            if isinstance(value, bool) or not (isinstance(value, int) or text):
                raise ValueError("expected an integer")
            return int(value)
        if kind == "float":
            if isinstance(value, bool) or not (isinstance(value, int | float) or text):
                raise ValueError("expected a number")
            return float(value)
        if not text:
            raise ValueError("expected a string")
        if kind == "path" and base is not None and "://" not in value:
            path = Path(value).expanduser()
            return str(path if path.is_absolute() else (base / path).resolve())
        return value
    except ValueError as exc:
        raise ValueError(f"{where}: {key}: {exc}, got {value!r}") from None


def load_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Settings from a TOML file of config keys (``BASEMAP = "osm"``, ``DATA_DIR = "/srv/greenmap"`` …).

    Parameters
    ----------
    path : path
        The file. Keys are those of :data:`CONFIG_KEYS` (upper case); relative ``DATA_DIR`` and
        ``PROJECT_STORE`` paths are taken relative to the file's folder.

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        The file is missing or not TOML, a key is unknown or a value has the wrong type (the message
        names the file and the key).

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "greenmap.toml"
    >>> _ = f.write_text('BASEMAP = "osm"\\nAUTH_COOKIE_SECURE = true\\n', encoding="utf-8")
    >>> load_config_file(f)
    {'BASEMAP': 'osm', 'AUTH_COOKIE_SECURE': True}
    >>> _ = f.write_text('BASEMAPS = "osm"', encoding="utf-8")
    >>> load_config_file(f)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...greenmap.toml: unknown config key 'BASEMAPS'; known keys: ...
    """
    file = Path(path).expanduser()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{file}: config file not found") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{file}: not a readable TOML config file: {exc}") from None
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in CONFIG_KEYS:
            raise ValueError(
                f"{file}: unknown config key {key!r}; known keys: {', '.join(CONFIG_KEYS)}"
            )
        out[key] = _typed(key, value, str(file), base=file.resolve().parent)
    return out


def _environment() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in CONFIG_KEYS:
        val = os.environ.get(f"GREENMAP_{key}")
        if val is not None and val != "":
            out[key] = _typed(key, val, f"environment variable GREENMAP_{key}")
    return out


def resolve_config(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings of an app: :data:`DEFAULTS` < config file < environment < ``config``.

    The config file is ``config["CONFIG_FILE"]``, else ``$GREENMAP_CONFIG`` (none when both are unset).

    >>> resolve_config({"BASEMAP": "osm", "CONFIG_FILE": None})["BASEMAP"]
    'osm'
    """
    given = dict(config or {})
    out = dict(DEFAULTS)
    file = given.get("CONFIG_FILE") or os.environ.get("GREENMAP_CONFIG") or None
    if file:
        out.update(load_config_file(file))
        out["CONFIG_FILE"] = str(file)
    out.update(_environment())
    out.update({k: v for k, v in given.items() if k != "CONFIG_FILE" or v})
    if not out.get("STUDY_AREA"):
        from layers.studyarea import default_area

        out["STUDY_AREA"] = default_area()
    return out


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
        Overrides of :data:`DEFAULTS` (and any Flask setting); ``CONFIG_FILE`` names a TOML config
        file (else ``$GREENMAP_CONFIG``). Precedence: ``config`` > environment ``GREENMAP_<KEY>``
        (keys of :data:`CONFIG_KEYS`) > config file > :data:`DEFAULTS`.

    Returns
    -------
    Flask
        The app: the map at ``/``, the JSON API under ``/api/`` (OpenAPI document at
        ``/api/openapi.json``), vendored assets under ``/static/vendor/``.

    Raises
    ------
    ValueError
        If ``BASEMAP`` is not one of ``none``, ``osm``, ``tianditu``, ``amap``; if the config file or
        an environment value is invalid (naming the file or variable and the key).
    """
    from webmap.api import api
    from webmap.render import BASEMAPS
    from webmap.respcache import ResponseCache
    from webmap.service import LayersLoader, MapService, StoreProjectsLoader
    from webmap.views import views

    app = Flask(__name__)
    app.config.update(resolve_config(config))
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
        app.wsgi_app = ResponseCache(  # type: ignore[method-assign]
            app.wsgi_app, svc.version, prefixes=("/", "/api/", "/tiles/")
        )
    app.register_blueprint(views)
    app.register_blueprint(api, url_prefix="/api")
    from webmap.auth import init_auth
    from webmap.edit_api import init_edit_api
    from webmap.ogcapi import ogcapi

    app.register_blueprint(ogcapi, url_prefix="/ogc")
    init_auth(app)  # /auth: login, logout, session + CSRF token
    init_edit_api(app)  # /api/edit: editors' writes, history, restore
    from webmap.tiles_api import init_tiles

    init_tiles(app)  # /tiles: vector tiles of the large layers (issue 13)
    from webmap.report_api import init_report_api

    init_report_api(app)  # /report/<code>.pdf, /report/district.pdf (issue 14)
    from webmap.locate_api import init_locate_api

    init_locate_api(app)  # /api/locate: 从文字定位, proposals from location texts (issue 11)
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
