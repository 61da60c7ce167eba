"""Login, logout, sessions, CSRF tokens and login rate limiting for the planners' editing service.

Register with :func:`init_auth` (the blueprint goes to ``/auth``)::

    from webmap.auth import init_auth
    init_auth(app)  # users in <DATA_DIR>/users.sqlite, or init_auth(app, users=UserStore(...))

Routes (JSON unless stated):

* ``GET /auth/session`` — ``{"user": {"username", "role"} | null, "csrf_token"}``; starts a session
  and gives its CSRF token (the page reads it before any POST).
* ``POST /auth/login`` — JSON ``{"username", "password"}`` or a form; the CSRF token in the
  ``X-CSRF-Token`` header or the ``csrf_token`` form field. 200 with the user and a fresh CSRF
  token (the session is renewed), 401 wrong name or password, 429 too many failed attempts
  (per client address and per user name; ``Retry-After`` says when to retry). A form post is
  redirected (303) to ``next`` (a local path) on success.
* ``POST /auth/logout`` — ends the session (CSRF token required).

Reading needs no login. Write routes use :func:`editor_required`: 401 without a login, 403 with
a wrong or missing CSRF token or for a logged-in ``viewer``.

Cookies: ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when ``AUTH_COOKIE_SECURE`` is true (set it
behind HTTPS). Sessions last ``AUTH_SESSION_HOURS`` (default 8) and end when the user is removed
or their password or role changes. Rate-limit counters are per process (fine for waitress'
threads; behind a proxy ``request.remote_addr`` is the proxy unless the app uses ``ProxyFix``).
"""

from __future__ import annotations

import functools
import hmac
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    request,
    session,
)

from layers.users import MAX_PASSWORD_LENGTH, User, UserStore

__all__ = [
    "CSRF_HEADER",
    "RateLimiter",
    "auth",
    "check_csrf",
    "csrf_token",
    "current_user",
    "editor_required",
    "init_auth",
    "login_required",
]

auth = Blueprint("auth", __name__)

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_EXT_USERS = "greenmap_users"
_EXT_LIMITER = "greenmap_login_limiter"

F = TypeVar("F", bound=Callable[..., Any])


class RateLimiter:
    """Failed attempts per key within a sliding window.

    Parameters
    ----------
    limit : int
        Failed attempts allowed per key in ``window_s``; the next one is refused.
    window_s : float
        Window length, seconds.

    Examples
    --------
    >>> rl = RateLimiter(2, 60)
    >>> rl.retry_after("ip:1", now=0.0) is None
    True
    >>> rl.fail("ip:1", now=0.0); rl.fail("ip:1", now=1.0)
    >>> rl.retry_after("ip:1", now=2.0)
    58
    >>> rl.retry_after("ip:1", now=61.0) is None
    True
    """

    def __init__(self, limit: int = 5, window_s: float = 60.0, max_keys: int = 100_000) -> None:
        self.limit = int(limit)
        self.window_s = float(window_s)
        self.max_keys = int(max_keys)
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        q = self._hits.get(key)
        if q is None:
            return deque()
        while q and q[0] <= now - self.window_s:
            q.popleft()
        if not q:
            del self._hits[key]
        return q

    def retry_after(self, key: str, now: float | None = None) -> int | None:
        """Seconds until ``key`` may try again, or ``None`` if it may now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._prune(key, now)
            if len(q) < self.limit:
                return None
            return max(1, int(q[0] + self.window_s - now + 0.999))

    def fail(self, key: str, now: float | None = None) -> None:
        """Record one failed attempt."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._hits) >= self.max_keys:
                for k in list(self._hits)[: self.max_keys // 10]:
                    del self._hits[k]
            self._hits.setdefault(key, deque()).append(now)

    def reset(self, key: str) -> None:
        """Forget ``key``'s failures."""
        with self._lock:
            self._hits.pop(key, None)


def _secret_key(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


def init_auth(
    app: Flask,
    users: UserStore | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    url_prefix: str = "/auth",
) -> None:
    """Set up sessions, cookies, the login rate limiter and register the ``auth`` blueprint.

    Parameters
    ----------
    app : Flask
    users : UserStore, optional
        Default: ``<data_dir>/users.sqlite``.
    data_dir : path, optional
        Default: ``app.config["DATA_DIR"]``, else :func:`layers.store.default_data_dir`. Holds the
        generated ``secret_key`` when the app has no ``SECRET_KEY``.
    url_prefix : str

    Configuration read: ``SECRET_KEY``, ``AUTH_COOKIE_SECURE`` (default False),
    ``AUTH_SAMESITE`` (``Lax``), ``AUTH_SESSION_HOURS`` (8), ``AUTH_RATE_LIMIT`` (5 failed
    attempts), ``AUTH_RATE_WINDOW`` (60 s), ``MAX_CONTENT_LENGTH`` (default 1 MiB).
    """
    from layers.store import default_data_dir

    ddir = Path(data_dir or app.config.get("DATA_DIR") or default_data_dir())
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(ddir)
    app.config["SESSION_COOKIE_NAME"] = app.config.get("AUTH_COOKIE_NAME", "greenmap_session")
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("AUTH_SAMESITE", "Lax")
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config.get("AUTH_COOKIE_SECURE", False))
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        hours=float(app.config.get("AUTH_SESSION_HOURS", 8))
    )
    if not app.config.get("MAX_CONTENT_LENGTH"):
        app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.extensions[_EXT_USERS] = users or UserStore(ddir / "users.sqlite")
    app.extensions[_EXT_LIMITER] = RateLimiter(
        int(app.config.get("AUTH_RATE_LIMIT", 5)), float(app.config.get("AUTH_RATE_WINDOW", 60))
    )
    app.register_blueprint(auth, url_prefix=url_prefix)


@auth.after_request
def _headers(resp: Response) -> Response:
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp


def _users() -> UserStore:
    return cast(UserStore, current_app.extensions[_EXT_USERS])


def _error(status: int, code: str, message: str, **extra: Any) -> Response:
    resp = make_response(jsonify({"error": code, "message": message, **extra}), status)
    resp.headers["Cache-Control"] = "no-store"
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Session realm="greenmap", login="/auth/login"'
    return resp


def current_user() -> User | None:
    """The logged-in user of this request, or ``None`` (also when the account changed since login)."""
    if "user" in g:
        return cast(User | None, g.user)
    user = None
    sid = session.get("sid")
    if isinstance(sid, str) and _EXT_USERS in current_app.extensions:
        found = _users().session_user(sid)
        key = session.get("k")
        if (
            found is not None
            and isinstance(key, str)
            and hmac.compare_digest(key, found.session_key)
        ):
            user = found
    g.user = user
    return user


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    tok = session.get("csrf")
    if not isinstance(tok, str) or len(tok) < 32:
        tok = secrets.token_urlsafe(32)
        session["csrf"] = tok
    return tok


def check_csrf() -> bool:
    """True if the request carries this session's CSRF token (header or form field)."""
    want = session.get("csrf")
    if not isinstance(want, str) or not want:
        return False
    got = request.headers.get(CSRF_HEADER)
    if not got and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        got = request.form.get(CSRF_FIELD)
    if not isinstance(got, str) or not got:
        return False
    return hmac.compare_digest(got.encode("utf-8", "replace"), want.encode("utf-8"))


def _guard(role: str | None) -> Callable[[F], F]:
    def deco(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return _error(401, "unauthorized", "请先登录 login required")
            if request.method not in ("GET", "HEAD", "OPTIONS") and not check_csrf():
                return _error(
                    403,
                    "csrf",
                    f"CSRF token missing or wrong (send it in the {CSRF_HEADER} header)",
                )
            if role is not None and user.role != role:
                return _error(403, "forbidden", f"需要编辑权限 the {role} role is required")
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return deco


#: View decorator: logged-in user, with the CSRF token on writes (401 / 403).
login_required = _guard(None)
#: View decorator: logged-in ``editor``, with the CSRF token on writes (401 / 403).
editor_required = _guard("editor")


def _session_body(user: User | None) -> dict[str, Any]:
    return {
        "user": None if user is None else {"username": user.username, "role": user.role},
        "csrf_token": csrf_token(),
    }


def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    return resp


@auth.get("/session")
def session_info() -> Response:
    """Who is logged in, and the CSRF token for the next POST."""
    return _no_store(jsonify(_session_body(current_user())))


_LOGIN_FORM = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>登录 Log in · GreenMap Xicheng</title></head>
<body><form method="post" action="">
<label>用户名 User name <input name="username" autocomplete="username" required></label>
<label>密码 Password <input name="password" type="password" autocomplete="current-password" required>
</label><input type="hidden" name="csrf_token" value="{token}">
<button type="submit">登录 Log in</button></form></body></html>
"""


@auth.get("/login")
def login_form() -> Response:
    """A minimal login form (the map page has its own)."""
    resp = make_response(_LOGIN_FORM.format(token=csrf_token()))
    resp.headers["Content-Type"] = "text/html; charset=utf-8"
    resp.headers["X-Frame-Options"] = "DENY"
    return _no_store(resp)


def _safe_next(value: object) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        return "/"
    if not value.startswith(("//", "/\\")) and all(32 <= ord(c) < 127 for c in value):
        return value
    return "/"


@auth.post("/login")
def login() -> Response:
    """Check the credentials; renew the session on success."""
    is_form = request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
    data: Any = request.form if is_form else request.get_json(silent=True)
    if not check_csrf():
        return _error(
            403, "csrf", f"CSRF token missing or wrong: GET /auth/session first ({CSRF_HEADER})"
        )
    if not hasattr(data, "get"):
        return _error(400, "bad_request", "send JSON {username, password} or a form")
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not username or not isinstance(password, str):
        return _error(
            400, "bad_request", "username and password are required", parameter="username"
        )
    if len(username) > 200 or len(password) > MAX_PASSWORD_LENGTH:
        return _error(400, "bad_request", "username or password too long", parameter="username")
    limiter = cast(RateLimiter, current_app.extensions[_EXT_LIMITER])
    keys = (f"ip:{request.remote_addr}", f"user:{username.casefold()}")
    waits = [w for w in (limiter.retry_after(k) for k in keys) if w is not None]
    if waits:
        resp = _error(429, "too_many_attempts", "登录尝试过多 too many failed logins; try later")
        resp.headers["Retry-After"] = str(max(waits))
        return resp
    user = _users().verify(username, password)
    if user is None:
        for k in keys:
            limiter.fail(k)
        return _error(401, "invalid_login", "用户名或密码错误 wrong user name or password")
    session.clear()
    session.permanent = True
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    session["sid"] = _users().create_session(user.username, lifetime)
    session["k"] = user.session_key
    g.user = user
    body = _session_body(user)
    if is_form:
        return cast(Response, redirect(_safe_next(request.args.get("next")), code=303))
    return _no_store(jsonify(body))


@auth.post("/logout")
@login_required
def logout() -> Response:
    """End the session (server side too: the old cookie no longer works)."""
    _users().end_session(session.get("sid"))
    session.clear()
    g.user = None
    return _no_store(jsonify(_session_body(None)))
