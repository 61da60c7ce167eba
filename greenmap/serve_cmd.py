"""``greenmap serve``: the web map on waitress (or Flask's development server), with its data directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from greenmap.cli_common import EXIT_OK

__all__ = ["cmd_serve", "register", "serve_data_dir"]


def serve_data_dir(value: str | None = None) -> Path:
    """The web map's data directory: ``--data-dir``, else ``$GREENMAP_DATA_DIR``, else ``instance/``.

    It holds the planners' editable projects store (``<dir>/<area>/projects.gpkg``, created from the
    shipped layer on first use), the accounts (``<dir>/users.sqlite``) and the session key.

    >>> serve_data_dir("/srv/greenmap").as_posix()
    '/srv/greenmap'
    """
    from layers.store import default_data_dir

    return Path(value).expanduser().resolve() if value else default_data_dir()


def cmd_serve(args: argparse.Namespace) -> int:
    from webmap import resolve_config, serve

    config: dict[str, object] = {"STUDY_AREA": args.area}
    if args.config:
        config["CONFIG_FILE"] = args.config
    if args.basemap:
        config["BASEMAP"] = args.basemap
    if args.data_dir:
        config["DATA_DIR"] = str(serve_data_dir(args.data_dir))
    # --data-dir > $GREENMAP_DATA_DIR > DATA_DIR of the config file > instance/
    settings = resolve_config(config)
    data_dir = serve_data_dir(settings.get("DATA_DIR"))
    data_dir.mkdir(parents=True, exist_ok=True)
    config["DATA_DIR"] = str(data_dir)
    print(f"GreenMap Xicheng 西城区绿化地图: http://{args.host}:{args.port}/", flush=True)
    if settings.get("CONFIG_FILE"):
        print(f"config file 配置文件: {settings['CONFIG_FILE']}", flush=True)
    print(f"data directory 数据目录: {data_dir}", flush=True)
    try:
        from layers.users import UserStore

        if not any(u.role == "editor" for u in UserStore(data_dir / "users.sqlite").list()):
            print(
                "no editor account yet 尚无编辑账户: "
                f"greenmap users add NAME --role editor --data-dir {data_dir}",
                flush=True,
            )
    except Exception as exc:  # the map still serves read-only
        print(f"users file not readable ({exc}); editing logins will fail", file=sys.stderr)
    serve(
        host=args.host, port=args.port, workers=args.workers, production=not args.dev, config=config
    )
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``serve`` to the ``greenmap`` subcommands (``sub``: argparse subparsers)."""
    p = sub.add_parser("serve", help="start the web map")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--workers", type=int, default=8, help="waitress worker threads")
    p.add_argument(
        "--dev", action="store_true", help="Flask development server instead of waitress"
    )
    p.add_argument("--basemap", choices=["none", "osm", "tianditu", "amap"], default=None)
    p.add_argument(
        "--config",
        metavar="FILE.toml",
        help="TOML file of settings (see webmap/config.example.toml; default $GREENMAP_CONFIG); "
        "environment GREENMAP_<KEY> and these options win over it",
    )
    p.add_argument(
        "--data-dir",
        help="editable projects store, users.sqlite and session key "
        "(default $GREENMAP_DATA_DIR, else instance/ in the working directory)",
    )
    p.set_defaults(func=cmd_serve)
