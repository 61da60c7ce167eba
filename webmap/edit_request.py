"""Request parsing and validation of the write API (:mod:`webmap.edit_api`).

Each check names the offending field in a :class:`layers.errors.Problem` so the client gets a
400 listing every problem at once; the expected version for optimistic concurrency comes from
``If-Match`` and/or the body (:func:`expected_version`), and its absence is a 428
(:class:`VersionRequiredError`). The response side lives in :mod:`webmap.edit_responses`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from layers.errors import LayerError, Problem
from layers.schema import PROJECT_CATEGORIES, PROJECT_STATUSES
from layers.store import EDITABLE_FIELDS
from webmap.auth import current_user

__all__ = [
    "BODY_KEYS",
    "VersionRequiredError",
    "changed_fields",
    "edit_fields",
    "editor_name",
    "expected_version",
    "list_filter",
    "read_body",
    "restore_target",
]

#: Keys an edit body may have (a GeoJSON Feature plus ``version`` and ``repair``).
BODY_KEYS = {"type", "id", "properties", "geometry", "version", "repair"}
# one version as an entity tag: 3, "3" or W/"3" (weak tags are accepted: versions are exact)
_TAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


class VersionRequiredError(Exception):
    """No version given for a write; answered with 428 naming the body field ``name``."""

    def __init__(self, name: str) -> None:
        self.name = name


def read_body() -> dict[str, Any]:
    """The request's JSON object.

    Raises
    ------
    RequestEntityTooLarge
        The declared length is over ``MAX_CONTENT_LENGTH`` (bytes).
    LayerError
        The body is not a JSON object (including nesting too deep to parse).
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length and request.content_length > limit:
        raise RequestEntityTooLarge()
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict):
        raise LayerError([Problem("request", None, "body", "send a JSON object")])
    return data


def expected_version(body_value: Any, name: str) -> int:
    """The expected version from ``If-Match`` and/or the body; 428 when neither is given.

    Parameters
    ----------
    body_value : Any
        The body field's value (``None`` when absent).
    name : str
        The body field's name, used in error messages.

    Returns
    -------
    int
        The version (≥ 1) the write is based on.

    Raises
    ------
    LayerError
        Malformed ``If-Match``, a body value that is not a positive whole number, or the two
        disagree.
    VersionRequiredError
        Neither is given.
    """
    header = request.headers.get("If-Match")
    from_header = None
    if header is not None:
        m = _TAG.match(header)
        if not m:
            raise LayerError(
                [Problem("request", None, "If-Match", 'expected one version, e.g. If-Match: "3"')]
            )
        from_header = int(m.group(1))
    from_body = None
    if body_value is not None:
        if isinstance(body_value, bool) or not isinstance(body_value, int) or body_value < 1:
            raise LayerError([Problem("request", None, name, "must be a positive whole number")])
        from_body = int(body_value)
    if from_header is not None and from_body is not None and from_header != from_body:
        raise LayerError([Problem("request", None, name, f"differs from If-Match ({from_header})")])
    v = from_header if from_header is not None else from_body
    if v is None:
        raise VersionRequiredError(name)
    if v < 1:
        raise LayerError([Problem("request", None, name, "must be a positive whole number")])
    return v


def editor_name() -> str:
    """The logged-in user's name (routes using it are guarded by ``editor_required``)."""
    user = current_user()
    assert user is not None  # guarded by editor_required
    return user.username


def list_filter(args: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """The store filter from the list route's query (``status``, ``category``, ``subdistrict``,
    ``has_geometry``).

    Returns
    -------
    tuple of (dict, list of Problem)
        The filter for ``ProjectStore.list`` and, when a parameter is bad, one problem naming
        the first bad one (the filter is then incomplete).
    """
    flt: dict[str, Any] = {}
    if "status" in args:
        if args["status"] not in PROJECT_STATUSES:
            return flt, [
                Problem("request", None, "status", f"one of {', '.join(PROJECT_STATUSES)}")
            ]
        flt["latest_status"] = args["status"]
    if "category" in args:
        if args["category"] not in PROJECT_CATEGORIES:
            return flt, [Problem("request", None, "category", "unknown category")]
        flt["category"] = args["category"]
    if "subdistrict" in args:
        if not re.fullmatch(r"[0-9]{9}", args["subdistrict"]):
            return flt, [Problem("request", None, "subdistrict", "a 9-digit 街道 code")]
        flt["subdistrict_code"] = args["subdistrict"]
    if "has_geometry" in args:
        val = args["has_geometry"].lower()
        if val not in ("true", "false"):
            return flt, [Problem("request", None, "has_geometry", "true or false")]
        flt["has_geometry"] = val == "true"
    return flt, []


def edit_fields(body: Mapping[str, Any]) -> tuple[dict[str, Any], bool, list[Problem]]:
    """Check an edit body's shape: known keys, ``type``, ``properties`` and ``repair``.

    The values themselves are checked by ``ProjectStore.validate``; ``version`` by
    :func:`expected_version` and ``geometry`` by the route.

    Returns
    -------
    tuple of (dict, bool, list of Problem)
        The submitted properties (``{}`` when absent, null or not an object), ``repair``
        (default True) and every problem found, in the order unknown keys, ``type``,
        ``properties``, ``repair``.
    """
    unknown = sorted(str(k) for k in body if k not in BODY_KEYS)
    problems = [Problem("request", None, k[:80], "unknown key") for k in unknown]
    if body.get("type", "Feature") != "Feature":
        problems.append(Problem("request", None, "type", 'must be "Feature" when given'))
    props = body.get("properties", {})
    if props is None:
        props = {}
    if not isinstance(props, dict):
        problems.append(Problem("request", None, "properties", "must be an object"))
        props = {}
    repair = body.get("repair", True)
    if not isinstance(repair, bool):
        problems.append(Problem("request", None, "repair", "true or false"))
        repair = True
    return props, repair, problems


def changed_fields(props: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted properties minus read-only ones echoed back unchanged from a GET.

    Read-only properties with a different value are kept, so the store rejects them by name.

    Examples
    --------
    >>> changed_fields({"project_id": "a", "note": "x"}, {"project_id": "a", "note": None})
    {'note': 'x'}
    """
    changes = {}
    for k, v in props.items():
        if k not in EDITABLE_FIELDS and k in current and current[k] == v:
            continue
        changes[k] = v
    return changes


def restore_target(body: Mapping[str, Any]) -> tuple[int, list[Problem]]:
    """The version to restore from a restore body (keys ``version``, ``expected_version``).

    Returns
    -------
    tuple of (int, list of Problem)
        The version and no problems; or 0 and the unknown keys, else the bad ``version``.
    """
    unknown = sorted(str(k)[:80] for k in body if k not in ("version", "expected_version"))
    if unknown:
        return 0, [Problem("request", None, k, "unknown key") for k in unknown]
    target = body.get("version")
    if isinstance(target, bool) or not isinstance(target, int) or target < 1:
        return 0, [Problem("request", None, "version", "the version to restore (a number ≥ 1)")]
    return target, []
