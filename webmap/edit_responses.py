"""JSON answers and error answers of the write API (:mod:`webmap.edit_api`).

Every answer is ``application/json`` with ``Cache-Control: no-store``; errors have the shape
``{"error": code, "message": text, ...}`` (``parameter``, ``problems``, ``current_version``,
``feature`` where they apply). The ``on_*`` functions are the blueprint's error handlers; the
blueprint registers them in :mod:`webmap.edit_api`.
"""

from __future__ import annotations

import json
import math
import sqlite3
from typing import Any

from flask import Response, current_app
from werkzeug.exceptions import RequestEntityTooLarge

from layers.errors import LayerError, Problem
from layers.store import ProjectStore, StaleEdit, UnknownProject
from webmap.edit_request import VersionRequiredError

__all__ = [
    "PG_OPERATIONAL_ERROR",
    "add_headers",
    "bad_request",
    "clean",
    "error_response",
    "json_response",
    "on_layer_error",
    "on_pg_busy",
    "on_precondition",
    "on_sqlite_busy",
    "on_too_large",
    "on_unknown_project",
    "retry_later",
    "stale_edit_response",
    "with_etag",
]

_HTML_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})

#: ``psycopg.OperationalError`` (PostgreSQL connection lost or lock timeout), ``None`` without
#: psycopg; the blueprint answers it with 503 like a busy SQLite store.
PG_OPERATIONAL_ERROR: type[Exception] | None
try:
    import psycopg as _psycopg

    PG_OPERATIONAL_ERROR = _psycopg.OperationalError
except ImportError:  # pragma: no cover - psycopg is optional
    PG_OPERATIONAL_ERROR = None


def clean(obj: Any) -> Any:
    """JSON-ready: NaN/inf -> null, numpy scalars -> Python, tuples -> lists.

    Examples
    --------
    >>> clean({"a": (1.5, float("nan")), 2: [float("inf")]})
    {'a': [1.5, None], '2': [None]}
    """
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str | bytes):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def json_response(body: Any, status: int = 200) -> Response:
    """JSON with ``<``, ``>`` and ``&`` escaped as ``\\u003c`` etc. (same value, never HTML).

    Parameters
    ----------
    body : Any
        Passed through :func:`clean` first.
    status : int
        HTTP status.

    Returns
    -------
    Response
        ``application/json``, ``Cache-Control: no-store``.
    """
    text = json.dumps(clean(body), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    # lone surrogates (from \\ud800 escapes in a request) become JSON escapes again
    data = (text.translate(_HTML_SAFE) + "\n").encode("utf-8", "backslashreplace")
    resp = Response(data, status, mimetype="application/json")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def error_response(status: int, code: str, message: str, **extra: Any) -> Response:
    """``{"error": code, "message": message, **extra}`` with ``status``."""
    return json_response({"error": code, "message": message, **extra}, status)


def bad_request(problems: list[Problem]) -> Response:
    """400 ``invalid_edit`` naming the first bad field (``parameter``) and every problem."""
    err = LayerError(problems)
    return error_response(
        400,
        "invalid_edit",
        str(err),
        parameter=problems[0].field if problems else None,
        problems=[{"field": p.field, "message": p.message} for p in problems],
    )


def with_etag(resp: Response, version: int) -> Response:
    """Set ``ETag: "version"`` on ``resp`` and return it."""
    resp.headers["ETag"] = f'"{version}"'
    return resp


def retry_later(message: str) -> Response:
    """503 ``busy`` with ``Retry-After: 1`` (seconds)."""
    resp = error_response(503, "busy", message)
    resp.headers["Retry-After"] = "1"
    return resp


def stale_edit_response(store: ProjectStore, project_id: str, err: StaleEdit) -> Response:
    """409 ``stale_edit`` with the current version (also as ``ETag``) and the current feature."""
    current = store.get(project_id)
    resp = error_response(
        409,
        "stale_edit",
        f"已被他人修改 the project changed since you loaded it: now at version "
        f"{err.current_version}; reload and edit again",
        current_version=err.current_version,
        feature=current,
    )
    return with_etag(resp, err.current_version)


# ------------------------------------------------------------------------------------------
# blueprint hooks (registered in webmap.edit_api)


def add_headers(resp: Response) -> Response:
    """``after_request``: ``X-Content-Type-Options: nosniff`` unless already set."""
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    return resp


def on_layer_error(err: LayerError) -> Response:
    """Invalid input found by the store or the request parser -> 400."""
    return bad_request(err.problems)


def on_unknown_project(err: UnknownProject) -> Response:
    """Unknown ``project_id`` -> 404."""
    return error_response(404, "not_found", str(err), parameter="project_id")


def on_too_large(err: RequestEntityTooLarge) -> Response:
    """Body over ``MAX_CONTENT_LENGTH`` (bytes) -> 413."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return error_response(413, "too_large", f"request body larger than {limit} bytes")


def on_sqlite_busy(err: sqlite3.OperationalError) -> Response:
    """GeoPackage store locked by another writer -> 503."""
    current_app.logger.warning("store busy: %s", err)
    return retry_later("the store is busy; try again")


def on_pg_busy(err: Exception) -> Response:
    """PostgreSQL back end: connection lost or lock timeout -> 503 as well."""
    current_app.logger.warning("store unavailable: %s", err)
    return retry_later("the store is unavailable; try again")


def on_precondition(err: VersionRequiredError) -> Response:
    """No version given (neither ``If-Match`` nor the body field) -> 428."""
    return error_response(
        428,
        "version_required",
        f'send the version the edit is based on: If-Match: "n" or "{err.name}"',
        parameter=err.name,
    )
