"""The view functions of the write API; :mod:`webmap.edit_api` registers them on its blueprint.

Each view parses the request (:mod:`webmap.edit_request`), calls the projects store
(:mod:`webmap.edit_store`) and answers in JSON (:mod:`webmap.edit_responses`). Errors the
store raises (unknown project, invalid values, busy) reach the blueprint's error handlers.
Geometry is GeoJSON in WGS-84 lon/lat (EPSG:4326) both ways.
"""

from __future__ import annotations

from flask import Response, request

from layers.errors import Problem
from layers.store import StaleEdit
from webmap.auth import editor_required, login_required
from webmap.edit_gain import response_gain
from webmap.edit_request import (
    changed_fields,
    edit_fields,
    editor_name,
    expected_version,
    list_filter,
    read_body,
    restore_target,
)
from webmap.edit_responses import bad_request, json_response, stale_edit_response, with_etag
from webmap.edit_store import get_store

__all__ = ["edit_project", "get_project", "list_projects", "project_history", "restore_project"]


def list_projects() -> Response:
    """All projects with their versions (filters: status, subdistrict, category, has_geometry)."""
    flt, problems = list_filter(request.args)
    if problems:
        return bad_request(problems)
    store = get_store()
    feats = store.list(flt)
    return json_response(
        {"type": "FeatureCollection", "revision": store.revision(), "features": feats}
    )


def get_project(project_id: str) -> Response:
    """One project as a GeoJSON Feature with its version (ETag)."""
    feat = get_store().get(project_id)
    return with_etag(json_response(feat), int(feat["version"]))


@editor_required
def edit_project(project_id: str) -> Response:
    """Change fields and/or geometry of one project."""
    body = read_body()
    props, repair, problems = edit_fields(body)
    # unknown project (404) wins over bad input (400)
    store = get_store()
    current = store.get(project_id)
    # properties echoed back from GET (read-only ones unchanged) are tolerated; changes are not
    changes = changed_fields(props, current["properties"])
    if problems:
        return bad_request(problems)
    expected = expected_version(body.get("version"), "version")
    has_geom = "geometry" in body
    geometry = body.get("geometry") if has_geom else None
    if has_geom and geometry is not None and not isinstance(geometry, dict):
        return bad_request(
            [Problem("request", None, "geometry", "a GeoJSON geometry object or null")]
        )
    edit = store.validate(
        project_id, changes, geometry, clear_geometry=has_geom and geometry is None, repair=repair
    )
    try:
        version = store.update(
            project_id,
            edit.changes,
            edit.geometry,
            expected,
            editor_name(),
            clear_geometry=edit.clear_geometry,
            repair=repair,
        )
    except StaleEdit as err:
        return stale_edit_response(store, project_id, err)
    feat = store.get(project_id)
    body_out = {
        "project_id": project_id,
        "version": version,
        "feature": feat,
        "messages": edit.messages,
        "coverage_gain": response_gain(store, project_id),
    }
    return with_etag(json_response(body_out), version)


@login_required
def project_history(project_id: str) -> Response:
    """Every version of one project (who, when, which fields, old and new values)."""
    entries = get_store().history(project_id)
    return json_response({"project_id": project_id, "history": [e.to_dict() for e in entries]})


@editor_required
def restore_project(project_id: str) -> Response:
    """Bring back an earlier version as a new version."""
    body = read_body()
    target, problems = restore_target(body)
    if problems:
        return bad_request(problems)
    expected = expected_version(body.get("expected_version"), "expected_version")
    store = get_store()
    try:
        version = store.restore(project_id, target, editor_name(), expected)
    except StaleEdit as err:
        return stale_edit_response(store, project_id, err)
    body_out = {
        "project_id": project_id,
        "version": version,
        "restored_from": target,
        "feature": store.get(project_id),
        "messages": [],
        "coverage_gain": response_gain(store, project_id),
    }
    return with_etag(json_response(body_out), version)
