"""Tolerant, honest import: repair what can be repaired, say what was changed, drop only what is absurd.

Used by ``greenmap studyarea build`` (:mod:`layers.studyarea_build`) and by ``greenmap import`` /
:func:`layers.import_layer` (``tolerant=True``). Every step counts what it did in a :class:`Tally`, one row of
the build report:

* a feature without a name gets a stable label (``未命名公园 unnamed park · osm:way/123``);
* invalid geometry is repaired with ``make_valid`` (polygon layers keep the polygonal part) and counted;
* unclosed rings (GeoJSON that GDAL refuses) are closed by :func:`read_json_lenient` and reported;
* features crossing the study extent are clipped to it (parks: the district plus a stated margin) and counted;
* a feature absurd for its layer (wider than ``max_extent_m``) is dropped with its id and the reason;
* duplicate ids get a suffix (``#2``) and are reported.

Geometry work here takes and returns arrays; metric measures are made in the caller's metric CRS.

The family: :mod:`layers.repair_report` (:class:`Tally`), :mod:`layers.repair_geometry` (make valid, clip,
absurd sizes; :func:`tolerate_geometry`), :mod:`layers.repair_attributes` (labels, unique ids;
:func:`tolerate_attributes`) and :mod:`layers.repair_json` (:func:`read_json_lenient`). Import from here.
"""

from __future__ import annotations

from layers.repair_attributes import dedupe_ids, label_unnamed, tolerate_attributes
from layers.repair_geometry import (
    clip_to,
    drop_absurd,
    polygonal,
    repair_invalid,
    tolerate_geometry,
)
from layers.repair_json import read_json_lenient
from layers.repair_report import Tally

__all__ = [
    "Tally",
    "clip_to",
    "dedupe_ids",
    "drop_absurd",
    "label_unnamed",
    "polygonal",
    "read_json_lenient",
    "repair_invalid",
    "tolerate_attributes",
    "tolerate_geometry",
]
