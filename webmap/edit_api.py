"""The write API of the projects layer: edit fields and geometry, history, restore.

Register with :func:`init_edit_api` (after :func:`webmap.auth.init_auth`); routes under
``/api/edit`` (the prefix is a parameter):

* ``GET /api/edit/projects`` — FeatureCollection with versions (filters ``status``,
  ``subdistrict``, ``category``, ``has_geometry``). Public.
* ``GET /api/edit/projects/{project_id}`` — one Feature; ``ETag`` is its version. Public.
* ``PATCH`` (or ``PUT``, same meaning) ``/api/edit/projects/{project_id}`` — body
  ``{"properties": {...}, "geometry": GeoJSON | null, "version": n}`` (a GeoJSON Feature is
  accepted too); the version the edit is based on in ``If-Match: "n"`` or ``version``. A
  ``"geometry": null`` removes the geometry; leaving ``geometry`` out keeps it. Editors only,
  with the CSRF token.
* ``GET /api/edit/projects/{project_id}/history`` — every version (logged-in users).
* ``POST /api/edit/projects/{project_id}/restore`` — body ``{"version": n}`` plus ``If-Match``
  (or ``expected_version``): the old version comes back as a new version. Editors only.

Answers: 200 ``{"project_id", "version", "feature", "messages", "coverage_gain"}`` with the new
``ETag``; 400 bad input naming each field (``problems``); 401 not logged in; 403 CSRF or role;
404 unknown project; 409 stale version (``current_version`` and the current ``feature``); 413
payload over ``MAX_CONTENT_LENGTH``; 428 no version given; 503 store busy. :data:`EDIT_OPENAPI`
describes these routes for ``/api/openapi.json``.

This module is the Flask adapter: the blueprint, its routes and error handlers. The work is
done by one module per concern, whose public names are importable from here too:

- :mod:`webmap.edit_routes` — the view functions;
- :mod:`webmap.edit_request` — request parsing and validation, the expected version;
- :mod:`webmap.edit_responses` — JSON answers, error answers and the error handlers;
- :mod:`webmap.edit_store` — :func:`get_store`, the app's projects store;
- :mod:`webmap.edit_gain` — :func:`coverage_gain` reported with a saved edit;
- :mod:`webmap.edit_openapi` — :data:`EDIT_OPENAPI`.
"""

from __future__ import annotations

import sqlite3

from flask import Blueprint, Flask
from werkzeug.exceptions import RequestEntityTooLarge

from layers.errors import LayerError
from layers.store import ProjectStore, UnknownProject
from webmap.edit_gain import coverage_gain as coverage_gain
from webmap.edit_openapi import EDIT_OPENAPI
from webmap.edit_request import VersionRequiredError
from webmap.edit_responses import (
    PG_OPERATIONAL_ERROR,
    add_headers,
    on_layer_error,
    on_pg_busy,
    on_precondition,
    on_sqlite_busy,
    on_too_large,
    on_unknown_project,
)
from webmap.edit_routes import (
    edit_project,
    get_project,
    list_projects,
    project_history,
    restore_project,
)
from webmap.edit_store import get_store, set_store

__all__ = ["EDIT_OPENAPI", "edit_api", "get_store", "init_edit_api"]

edit_api = Blueprint("edit_api", __name__)

edit_api.add_url_rule("/projects", view_func=list_projects, methods=["GET"])
edit_api.add_url_rule("/projects/<project_id>", view_func=get_project, methods=["GET"])
edit_api.add_url_rule("/projects/<project_id>", view_func=edit_project, methods=["PATCH", "PUT"])
edit_api.add_url_rule("/projects/<project_id>/history", view_func=project_history, methods=["GET"])
edit_api.add_url_rule("/projects/<project_id>/restore", view_func=restore_project, methods=["POST"])

edit_api.after_request(add_headers)
edit_api.register_error_handler(LayerError, on_layer_error)
edit_api.register_error_handler(UnknownProject, on_unknown_project)
edit_api.register_error_handler(RequestEntityTooLarge, on_too_large)
edit_api.register_error_handler(sqlite3.OperationalError, on_sqlite_busy)
if PG_OPERATIONAL_ERROR is not None:  # PostgreSQL back end: connection lost or lock timeout
    edit_api.register_error_handler(PG_OPERATIONAL_ERROR, on_pg_busy)
edit_api.register_error_handler(VersionRequiredError, on_precondition)


def init_edit_api(
    app: Flask, store: ProjectStore | None = None, *, url_prefix: str = "/api/edit"
) -> None:
    """Register the write API.

    Parameters
    ----------
    app : Flask
        With :func:`webmap.auth.init_auth` applied.
    store : ProjectStore, optional
        Default: opened on first use from ``app.config["PROJECT_STORE"]`` (a ``.gpkg`` path or a
        ``postgresql://`` URL; default ``<DATA_DIR>/<area>/projects.gpkg``).
    url_prefix : str

    Configuration read: ``PROJECT_STORE``, ``DATA_DIR``, ``STUDY_AREA``, ``EDIT_COVERAGE_GAIN``
    (default True: the response carries the project's recomputed coverage gain).
    """
    if store is not None:
        set_store(app, store)
    app.register_blueprint(edit_api, url_prefix=url_prefix)
