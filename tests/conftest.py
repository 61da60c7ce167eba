"""Shared fixtures of the test suite.

``xicheng_osm``: the study area ``xicheng-osm`` built once per session with ``greenmap studyarea build`` from the
real OpenStreetMap files in ``../shared`` (BBBike shapefiles, the OSMnx drive network, the 15 街道 boundaries),
into a temporary user-data folder. Tests that read it by name set ``GREENMAP_USER_DATA`` with monkeypatch::

    def test_something(xicheng_osm, monkeypatch):
        monkeypatch.setenv("GREENMAP_USER_DATA", str(xicheng_osm.user_data))
        layers.read_layer("parks", "xicheng-osm")

It skips (with the ``needs_realdata`` reason) when ``../shared/realdata`` is not beside the clone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests._shared import SHARED, needs_realdata


@dataclass(frozen=True)
class BuiltArea:
    """A study area built for the tests: its ``name``, the ``user_data`` folder and the build ``report``."""

    name: str
    user_data: Path
    report: Any


@pytest.fixture(scope="session")
def xicheng_osm(tmp_path_factory: pytest.TempPathFactory) -> BuiltArea:
    """``xicheng-osm`` built from ../shared (:func:`layers.studyarea_build.build_from_shared`)."""
    skip, reason = needs_realdata.mark.args[0], needs_realdata.mark.kwargs["reason"]
    if skip:
        pytest.skip(reason)
    from layers.studyarea_build import build_from_shared

    user_data = tmp_path_factory.mktemp("user_data")
    return BuiltArea("xicheng-osm", user_data, build_from_shared(SHARED, user_data))
