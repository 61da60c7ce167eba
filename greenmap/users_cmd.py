"""``greenmap users add|remove|list``: accounts of the planners' editing service.

Wire into the CLI with ``add_users_parser(sub)`` in ``greenmap.cli.build_parser``.

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="greenmap")
>>> add_users_parser(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["users", "add", "li.na", "--role", "editor"])
>>> args.action, args.username, args.role
('add', 'li.na', 'editor')
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_users_parser", "cmd_users", "users_path"]


def users_path(data_dir: str | None = None) -> Path:
    """``<data dir>/users.sqlite`` (``--data-dir``, else ``GREENMAP_DATA_DIR``, else the default)."""
    from layers.store import default_data_dir

    return (Path(data_dir) if data_dir else default_data_dir()) / "users.sqlite"


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    env = os.environ.get("GREENMAP_NEW_PASSWORD")
    if env:
        return env
    first = getpass.getpass(f"password for {args.username}: ")
    again = getpass.getpass("again: ")
    if first != again:
        raise ValueError("password: the two entries differ")
    return first


def cmd_users(args: argparse.Namespace) -> int:
    """Run ``greenmap users …``; returns the exit code (0 ok, 2 bad input)."""
    from layers.users import UserStore

    store = UserStore(users_path(args.data_dir))
    if args.action == "add":
        user = store.add(args.username, _read_password(args), args.role, replace=args.replace)
        print(f"{user.username}\t{user.role}\t{'updated' if args.replace else 'added'}")
        return 0
    if args.action == "remove":
        if not store.remove(args.username):
            print(f"error: no user {args.username!r}", file=sys.stderr)
            return 2
        print(f"{args.username}\tremoved")
        return 0
    for u in store.list():
        print(f"{u.username}\t{u.role}\t{u.created_at}")
    return 0


def add_users_parser(subparsers: Any) -> None:
    """Add the ``users`` command to the ``greenmap`` CLI's subparsers.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From ``parser.add_subparsers()``.
    """
    p = subparsers.add_parser(
        "users",
        help="accounts of the editing service: add, remove, list",
        description=(
            "Accounts live in <data dir>/users.sqlite (scrypt password hashes). Roles: editor "
            "(may edit projects), viewer (reads only). The password is asked twice, or read from "
            "one line of stdin (--password-stdin) or GREENMAP_NEW_PASSWORD."
        ),
    )
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("username", nargs="?", help="user name (add, remove)")
    p.add_argument("--role", choices=["editor", "viewer"], default="viewer")
    p.add_argument("--replace", action="store_true", help="add: reset an existing user")
    p.add_argument(
        "--password-stdin", action="store_true", help="add: read the password from stdin"
    )
    p.add_argument("--data-dir", help="data directory (default $GREENMAP_DATA_DIR)")

    def run(args: argparse.Namespace) -> int:
        if args.action in ("add", "remove") and not args.username:
            p.error(f"users {args.action}: give a user name")
        return cmd_users(args)

    p.set_defaults(func=run)
