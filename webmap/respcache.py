"""A WSGI response cache in front of Flask for the map page and the JSON API.

A ``GET`` answered ``200`` with an ``ETag`` by a view that opted in (it calls :func:`mark_cacheable`, i.e. its
body depends only on the data version and the URL) is kept, keyed by path and query string, and served again
without entering Flask until the data version changes. ``If-None-Match`` with the current tag gets ``304``.
Error responses, and responses of views that did not opt in (e.g. the editing API), are never cached.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("webmap")

StartResponse = Callable[..., Any]
#: WSGI environ key a view sets to let its response be cached.
CACHEABLE = "greenmap.cacheable"
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def mark_cacheable() -> None:
    """Let :class:`ResponseCache` keep the current request's response (call inside a view)."""
    from flask import request

    request.environ[CACHEABLE] = True


class ResponseCache:
    """WSGI middleware caching ETag-carrying ``GET`` responses of selected paths.

    Parameters
    ----------
    app : WSGI application
        The Flask ``wsgi_app``.
    version : callable
        Returns the current data version; a new version empties the cache.
    prefixes : tuple of str
        Paths cached: exact ``"/"`` or anything starting with another prefix.
    max_entries : int
        Least recently used entries beyond this are dropped.
    """

    def __init__(
        self,
        app: WSGIApp,
        version: Callable[[], str],
        prefixes: tuple[str, ...] = ("/", "/api/"),
        max_entries: int = 2048,
    ) -> None:
        self.app = app
        self.version = version
        self.prefixes = prefixes
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[str, list[tuple[str, str]], bytes]] = OrderedDict()
        self._version: str | None = None

    def _cacheable(self, path: str) -> bool:
        return any(path == p if p == "/" else path.startswith(p) for p in self.prefixes)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "GET" or not self._cacheable(path):
            return self.app(environ, start_response)
        key = path + "?" + environ.get("QUERY_STRING", "")
        version = self.version()
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
        if hit is None:
            return self._fill(environ, start_response, key, version)
        t0 = time.perf_counter()
        etag, headers, body = hit
        inm = environ.get("HTTP_IF_NONE_MATCH", "")
        if inm and (inm.strip() == "*" or etag in inm):
            keep = [(k, v) for k, v in headers if k.lower() in ("etag", "cache-control")]
            start_response("304 NOT MODIFIED", keep)
            body = b""
        else:
            start_response("200 OK", headers)
        if log.isEnabledFor(logging.INFO):
            ms = (time.perf_counter() - t0) * 1000
            log.info("GET %s %s %.1fms (cached)", key.rstrip("?"), 304 if not body else 200, ms)
        return [body]

    def _fill(
        self, environ: dict[str, Any], start_response: StartResponse, key: str, version: str
    ) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = status
            captured["headers"] = headers
            return (
                start_response(status, headers, exc_info)
                if exc_info
                else start_response(status, headers)
            )

        it = self.app(environ, capture)
        try:
            chunks = list(it)
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()
        status = str(captured.get("status", ""))
        headers = list(captured.get("headers", []))
        etag = next((v for k, v in headers if k.lower() == "etag"), None)
        if status.startswith("200") and etag and environ.get(CACHEABLE):
            body = b"".join(chunks)
            with self._lock:
                if self._version == version:
                    self._entries[key] = (etag, headers, body)
                    while len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
            return [body]
        return chunks
