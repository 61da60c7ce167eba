"""User accounts of the planners' editing service: roles and salted, slow password hashes.

Accounts live in ``users.sqlite`` in the data directory (:func:`layers.store.default_data_dir`),
separate from the projects store so the store can be shared or exported without credentials.
Passwords are hashed with scrypt (``n=2**14, r=8, p=1``, 16-byte random salt, 32-byte key) and
compared in constant time; an unknown user name costs the same hash so response times do not tell
which names exist.

Roles: ``editor`` (may change projects) and ``viewer`` (may log in, reads only).

Examples
--------
>>> import tempfile
>>> users = UserStore(tempfile.mkdtemp() + "/users.sqlite")
>>> users.add("li.na", "correct horse battery", role="editor").role
'editor'
>>> users.verify("li.na", "correct horse battery").username
'li.na'
>>> users.verify("li.na", "wrong password") is None
True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "User",
    "UserError",
    "UserStore",
    "hash_password",
    "verify_password",
]

#: Roles a user may have.
ROLES: tuple[str, ...] = ("editor", "viewer")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
_NAME = re.compile(r"^[\w.@-]{1,64}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_DKLEN = 32


class UserError(ValueError):
    """Bad user name, password or role (the message names which)."""


@dataclass(frozen=True)
class User:
    """A user account (without its password hash).

    Attributes
    ----------
    username : str
    role : {"editor", "viewer"}
    created_at : str
        UTC, ISO 8601.
    session_key : str
        Changes when the password or role changes: sessions carrying an older key are void.
    """

    username: str
    role: str
    created_at: str
    session_key: str

    @property
    def can_edit(self) -> bool:
        """True for editors."""
        return self.role == "editor"


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Salted scrypt hash, self-describing: ``scrypt$n$r$p$salt$key`` (base64).

    >>> h = hash_password("a long passphrase", salt=b"0" * 16)
    >>> h.split("$")[:4]
    ['scrypt', '16384', '8', '1']
    >>> verify_password("a long passphrase", h), verify_password("another", h)
    (True, False)
    """
    salt = os.urandom(16) if salt is None else salt
    key = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, dklen=_DKLEN, maxmem=64 * 1024 * 1024, **_SCRYPT
    )
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, encoded: str) -> bool:
    """Check ``password`` against a :func:`hash_password` string in constant time."""
    try:
        kind, n, r, p, salt, key = encoded.split("$")
        if kind != "scrypt":
            return False
        want = base64.b64decode(key)
        got = hashlib.scrypt(
            password.encode("utf-8", "surrogatepass"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(want),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


_DUMMY_HASH = hash_password(secrets.token_hex(16))


def _session_key(pw_hash: str, role: str) -> str:
    return hashlib.sha256(f"{pw_hash}|{role}".encode()).hexdigest()[:32]


def check_username(username: object) -> str:
    """The user name if acceptable (letters, digits, ``_ . @ -``; 1–64), else :class:`UserError`.

    >>> check_username("王小明")
    '王小明'
    >>> check_username("a b")
    Traceback (most recent call last):
    ...
    layers.users.UserError: username: use 1-64 letters, digits or _ . @ - (got 'a b')
    """
    if not isinstance(username, str) or not _NAME.fullmatch(username):
        shown = str(username).encode("utf-8", "backslashreplace").decode()[:70]
        raise UserError(f"username: use 1-64 letters, digits or _ . @ - (got {shown!r})")
    return username


def _check_password(password: object) -> str:
    if not isinstance(password, str):
        raise UserError("password: must be text")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"password: at most {MAX_PASSWORD_LENGTH} characters")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UserError("password: not valid Unicode text") from exc
    return password


def _check_role(role: object) -> str:
    if role not in ROLES:
        raise UserError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    return str(role)


class UserStore:
    """User accounts in an SQLite file.

    Parameters
    ----------
    path : path
        The SQLite file (created with mode 0600 on first use), usually ``<data dir>/users.sqlite``.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        with self._tx() as con:
            con.execute(
                """CREATE TABLE IF NOT EXISTS users (
                    username TEXT PRIMARY KEY NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('editor', 'viewer')),
                    pw_hash TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL)"""
            )
            con.execute(
                """CREATE TABLE IF NOT EXISTS sessions (
                    sid_hash TEXT PRIMARY KEY NOT NULL,
                    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
                    expires REAL NOT NULL)"""
            )

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None or getattr(self._local, "pid", None) != os.getpid():
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA foreign_keys = ON")
            self._local.con = con
            self._local.pid = os.getpid()
        return con

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        con = self._con()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    @staticmethod
    def _user(row: tuple[str, str, str, str]) -> User:
        return User(row[0], row[1], row[3], _session_key(row[2], row[1]))

    def add(
        self, username: str, password: str, role: str = "viewer", *, replace: bool = False
    ) -> User:
        """Create a user (or, with ``replace=True``, reset password and role).

        Raises
        ------
        UserError
            Bad name, short password, unknown role, or the user exists and ``replace`` is false.
        """
        check_username(username)
        _check_password(password)
        _check_role(role)
        pw = hash_password(password)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._tx() as con:
            exists = con.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone()
            if exists and not replace:
                raise UserError(f"username: {username!r} exists (use replace to reset it)")
            if exists:
                con.execute(
                    "UPDATE users SET pw_hash = ?, role = ?, updated_at = ? WHERE username = ?",
                    (pw, role, now, username),
                )
                con.execute("DELETE FROM sessions WHERE username = ?", (username,))
            else:
                con.execute(
                    "INSERT INTO users VALUES (?, ?, ?, ?, ?)", (username, role, pw, now, now)
                )
        user = self.get(username)
        assert user is not None
        return user

    def remove(self, username: str) -> bool:
        """Delete a user; ``False`` if there was none."""
        with self._tx() as con:
            cur = con.execute("DELETE FROM users WHERE username = ?", (username,))
            return cur.rowcount > 0

    def list(self) -> list[User]:
        """All users, by name."""
        rows = self._con().execute(
            "SELECT username, role, pw_hash, created_at FROM users ORDER BY username"
        )
        return [self._user(r) for r in rows]

    def get(self, username: str) -> User | None:
        """One user, or ``None``."""
        if not isinstance(username, str):
            return None
        row = (
            self._con()
            .execute(
                "SELECT username, role, pw_hash, created_at FROM users WHERE username = ?",
                (username,),
            )
            .fetchone()
        )
        return None if row is None else self._user(row)

    def verify(self, username: str, password: str) -> User | None:
        """The user if the password is right, else ``None`` (same cost for unknown names)."""
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
            return None
        row = None
        if isinstance(username, str) and _NAME.fullmatch(username):
            row = (
                self._con()
                .execute(
                    "SELECT username, role, pw_hash, created_at FROM users WHERE username = ?",
                    (username,),
                )
                .fetchone()
            )
        ok = verify_password(password, row[2] if row else _DUMMY_HASH)
        return self._user(row) if (row is not None and ok) else None

    # ---- server-side sessions: the cookie carries a random id; logout or a password change ends it

    def create_session(self, username: str, ttl_s: float) -> str:
        """Start a session for ``username``; returns its random id (store only in the cookie)."""
        sid = secrets.token_urlsafe(32)
        now = time.time()
        with self._tx() as con:
            con.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            con.execute(
                "INSERT INTO sessions VALUES (?, ?, ?)", (_sid_hash(sid), username, now + ttl_s)
            )
        return sid

    def session_user(self, sid: object) -> User | None:
        """The user of a live session id, or ``None`` (unknown, ended or expired)."""
        if not isinstance(sid, str) or not 20 <= len(sid) <= 100:
            return None
        row = (
            self._con()
            .execute(
                "SELECT u.username, u.role, u.pw_hash, u.created_at FROM sessions s "
                "JOIN users u ON u.username = s.username WHERE s.sid_hash = ? AND s.expires > ?",
                (_sid_hash(sid), time.time()),
            )
            .fetchone()
        )
        return None if row is None else self._user(row)

    def end_session(self, sid: object) -> None:
        """End a session (logout)."""
        if isinstance(sid, str):
            with self._tx() as con:
                con.execute("DELETE FROM sessions WHERE sid_hash = ?", (_sid_hash(sid),))


def _sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8", "replace")).hexdigest()
