"""The web app as the write-API tests build it: users in ``DATA_DIR``, the project store, logging in.

Shared by ``tests/test_webmap_edit.py`` and ``tests/test_webmap_locate.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from layers.users import UserStore
from webmap import create_app
from webmap.auth import CSRF_HEADER

PW = "correct horse battery"


def make_app(tmp_path: Path, users: Mapping[str, str], **config: Any) -> Flask:
    """The app on ``tmp_path`` (data dir, project store) with ``users`` (name → role, password
    :data:`PW`); ``config`` overrides the test settings."""
    cfg = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATA_DIR": str(tmp_path),
        "EDIT_COVERAGE_GAIN": False,
        "LOG_LEVEL": "WARNING",
        "PROJECT_STORE": str(tmp_path / "projects.gpkg"),
        **config,
    }
    # create_app registers /auth and /api/edit; they find the users and the store in DATA_DIR.
    store = UserStore(tmp_path / "users.sqlite")
    for name, role in users.items():
        store.add(name, PW, role=role)
    return create_app(cfg)


def csrf(client: FlaskClient) -> str:
    return str(client.get("/auth/session").get_json()["csrf_token"])


def login(client: FlaskClient, user: str = "editor1", pw: str = PW, **kw: Any) -> Any:
    tok = csrf(client)
    return client.post(
        "/auth/login", json={"username": user, "password": pw}, headers={CSRF_HEADER: tok}, **kw
    )


def logged_in(app: Flask, user: str = "editor1") -> tuple[FlaskClient, str]:
    c = app.test_client()
    r = login(c, user)
    assert r.status_code == 200, r.get_json()
    return c, str(r.get_json()["csrf_token"])


def session_cookie(client: FlaskClient) -> str:
    """The value of the client's ``greenmap_session`` cookie (it must have one)."""
    cookie = client.get_cookie("greenmap_session")
    assert cookie is not None, "no session cookie"
    return cookie.value
