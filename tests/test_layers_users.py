"""User accounts (layers.users) and the ``greenmap users`` command (greenmap.users_cmd)."""

from __future__ import annotations

import argparse
import base64
import io
import stat
from pathlib import Path

import pytest

from greenmap.users_cmd import add_users_parser
from layers.users import (
    UserError,
    UserStore,
    hash_password,
    verify_password,
)

PW = "correct horse battery"


@pytest.fixture
def users(tmp_path: Path) -> UserStore:
    return UserStore(tmp_path / "users.sqlite")


def test_hash_is_salted_scrypt() -> None:
    a, b = hash_password(PW), hash_password(PW)
    assert a != b  # random salt
    kind, n, r, p, salt, key = a.split("$")
    assert (kind, n, r, p) == ("scrypt", str(2**14), "8", "1")
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(key)) == 32
    assert verify_password(PW, a) and verify_password(PW, b)
    assert not verify_password(PW + "x", a)
    assert not verify_password(PW, "garbage") and not verify_password(PW, "scrypt$1$2$3$x$y")


def test_add_verify_remove_list(users: UserStore) -> None:
    li = users.add("li.na", PW, role="editor")
    users.add("王小明", PW + "2", role="viewer")
    assert li.can_edit
    assert [(u.username, u.role) for u in users.list()] == [
        ("li.na", "editor"),
        ("王小明", "viewer"),
    ]
    assert users.verify("li.na", PW) == li
    assert users.verify("li.na", "wrong password") is None
    assert users.verify("nobody", PW) is None
    assert users.verify("li.na", None) is None  # type: ignore[arg-type]
    assert users.remove("li.na") and not users.remove("li.na")
    assert users.verify("li.na", PW) is None


def test_password_never_stored_in_clear(users: UserStore) -> None:
    users.add("li.na", PW, role="editor")
    raw = users.path.read_bytes()
    assert PW.encode() not in raw
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("name", "pw", "role", "match"),
    [
        ("a b", PW, "editor", "username"),
        ("", PW, "editor", "username"),
        ("x" * 65, PW, "editor", "username"),
        ("ok", "short", "editor", "password"),
        ("ok", PW, "admin", "role"),
    ],
)
def test_bad_accounts_rejected(users: UserStore, name: str, pw: str, role: str, match: str) -> None:
    with pytest.raises(UserError, match=match):
        users.add(name, pw, role=role)
    assert users.list() == []


def test_duplicate_and_replace(users: UserStore) -> None:
    old = users.add("li.na", PW, role="viewer")
    with pytest.raises(UserError, match="exists"):
        users.add("li.na", PW, role="editor")
    new = users.add("li.na", PW + "!", role="editor", replace=True)
    assert new.role == "editor" and new.session_key != old.session_key
    assert users.verify("li.na", PW) is None and users.verify("li.na", PW + "!") is not None


def test_sessions_end_on_logout_password_change_and_removal(users: UserStore) -> None:
    users.add("li.na", PW, role="editor")
    sid = users.create_session("li.na", 3600)
    assert users.session_user(sid).username == "li.na"
    users.end_session(sid)
    assert users.session_user(sid) is None
    sid = users.create_session("li.na", 3600)
    users.add("li.na", PW + "!", role="editor", replace=True)
    assert users.session_user(sid) is None
    sid = users.create_session("li.na", 3600)
    users.remove("li.na")
    assert users.session_user(sid) is None
    users.add("wang", PW, role="viewer")
    assert users.session_user(users.create_session("wang", -1)) is None  # expired
    assert users.session_user("not-a-session-id-at-all") is None and users.session_user(5) is None


def _run(argv: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> int:
    parser = argparse.ArgumentParser(prog="greenmap")
    add_users_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return int(args.func(args))


def test_cli_add_list_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(tmp_path)]
    assert (
        _run(
            ["users", "add", "li.na", "--role", "editor", "--password-stdin", *d],
            monkeypatch,
            PW + "\n",
        )
        == 0
    )
    monkeypatch.setenv("GREENMAP_DATA_DIR", str(tmp_path))
    assert _run(["users", "list"], monkeypatch) == 0
    out = capsys.readouterr().out
    assert "li.na\teditor" in out and PW not in out
    assert UserStore(tmp_path / "users.sqlite").verify("li.na", PW) is not None
    with pytest.raises(UserError, match="exists"):
        _run(["users", "add", "li.na", "--password-stdin", *d], monkeypatch, PW + "\n")
    assert _run(["users", "remove", "li.na", *d], monkeypatch) == 0
    assert _run(["users", "remove", "li.na", *d], monkeypatch) == 2
    with pytest.raises(UserError, match="password"):
        _run(["users", "add", "x", "--password-stdin", *d], monkeypatch, "short\n")
