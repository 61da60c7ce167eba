"""What a planner's edit may contain: editable fields, their types and ranges, and geometry checks.

Used by :meth:`layers.store.ProjectStore.validate` before anything is written: only the
:data:`EDITABLE_FIELDS`, typed per the projects schema; geometry non-empty, valid (repaired with
``make_valid`` and a message, or rejected), inside the study area's extent and near the district
outline (a geometry far outside is most likely in the wrong CRS).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer

from layers.errors import LayerError, Problem
from layers.schema import SCHEMAS, Column


def _printable(text: object, limit: int = 80) -> str:
    """``text`` safe to echo in a message: no lone surrogates, bounded length."""
    s = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    return s if len(s) <= limit else s[:limit] + "…"


SCHEMA = SCHEMAS["projects"]
_COL: dict[str, Column] = {c.name: c for c in SCHEMA.columns}

#: Fields planners may change through the store (everything else is provenance or derived).
EDITABLE_FIELDS: tuple[str, ...] = (
    "name_zh",
    "category",
    "location_zh",
    "sizhi_zh",
    "area_m2",
    "households",
    "investment_wan_cny",
    "start_year",
    "planned_end_year",
    "latest_status",
    "latest_status_year",
    "adds_green_space",
    "note",
    "geometry_method",  # issue 11: how a geometry confirmed by a planner was proposed (sizhi, …)
)
_YEAR_FIELDS = {"start_year", "planned_end_year", "latest_status_year"}
YEAR_RANGE = (1949, 2100)
#: Largest accepted text value (characters) and numbers.
MAX_TEXT = 4000
MAX_NUMBER = 1e13
#: Largest accepted number of vertices of an edited geometry.
MAX_VERTICES = 20_000
#: How far (metres) an edited geometry may reach outside the (approximate) district outline.
DISTRICT_TOLERANCE_M = 1000.0
#: Geometry types a project may have.
GEOMETRY_TYPES = SCHEMA.geometry_types


def _coerce(name: str, value: Any, problems: list[Problem], where: str) -> Any:
    col = _COL[name]

    def bad(msg: str) -> None:
        problems.append(Problem(where, None, name, msg))

    if isinstance(value, str) and col.dtype != "str" and value.strip() == "":
        value = None
    if value is None:
        if not col.nullable:
            bad("may not be empty")
        return None
    if col.dtype == "str":
        if not isinstance(value, str):
            bad(f"expected text, got {type(value).__name__}")
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            bad("not valid Unicode text (lone surrogate)")
            return None
        if "\x00" in value:
            bad("contains a NUL character")
            return None
        if len(value) > MAX_TEXT:
            bad(f"longer than {MAX_TEXT} characters ({len(value)})")
            return None
        if not col.nullable and not value.strip():
            bad("may not be empty")
            return None
        if col.choices is not None and value not in col.choices:
            bad(f"{_printable(value)!r} is not one of {', '.join(col.choices)}")
            return None
        return value
    if col.dtype == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        bad(f"expected true or false, got {_printable(value)!r}")
        return None
    # numbers
    num: float | int
    if isinstance(value, bool):
        bad(f"expected a number, got {value!r}")
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            num = (
                int(text)
                if col.dtype == "int" and re.fullmatch(r"[+-]?\d{1,18}", text)
                else float(text)
            )
        except ValueError:
            bad(f"not a number: {_printable(value)!r}")
            return None
    elif isinstance(value, int | float):
        num = value
    else:
        bad(f"expected a number, got {type(value).__name__}")
        return None
    if isinstance(num, float) and not math.isfinite(num):
        bad(f"not a finite number: {num!r}")
        return None
    if abs(num) > MAX_NUMBER:
        bad(f"{num!r} is too large")
        return None
    if col.dtype == "int":
        if isinstance(num, float):
            if not num.is_integer():
                bad(f"expected a whole number, got {num!r}")
                return None
            num = int(num)
        if name in _YEAR_FIELDS and not YEAR_RANGE[0] <= num <= YEAR_RANGE[1]:
            bad(f"year {num} outside {YEAR_RANGE[0]}–{YEAR_RANGE[1]}")
            return None
    else:
        num = float(num)
    if col.minimum is not None and num < col.minimum:
        bad(f"{num!r} is below the minimum {col.minimum:g}")
        return None
    return num


def validate_changes(changes: Mapping[str, Any], where: str = "edit") -> dict[str, Any]:
    """Check and type an edit's field values; raise one :class:`LayerError` naming every bad field.

    Parameters
    ----------
    changes : mapping
        Field -> new value. Only :data:`EDITABLE_FIELDS`; numbers may be given as JSON numbers or
        numeric text, an empty string clears a nullable number.
    where : str
        Label for the error messages (e.g. ``"project xc2016-1"``).

    Examples
    --------
    >>> validate_changes({"latest_status": "done", "latest_status_year": "2024"})
    {'latest_status': 'done', 'latest_status_year': 2024}
    >>> validate_changes({"area_m2": "abc", "source": "x", "colour": 1})
    Traceback (most recent call last):
    ...
    layers.errors.LayerError: edit, field 'area_m2': not a number: 'abc'
    edit, field 'source': not editable (editable: name_zh, ...)
    edit, field 'colour': unknown field
    """
    if not isinstance(changes, Mapping):
        raise LayerError([Problem(where, None, "properties", "expected an object of fields")])
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if not isinstance(name, str):
            problems.append(Problem(where, None, _printable(name), "field names must be text"))
            continue
        if name not in _COL:
            problems.append(Problem(where, None, _printable(name), "unknown field"))
            continue
        if name not in EDITABLE_FIELDS:
            problems.append(
                Problem(where, None, name, f"not editable (editable: {', '.join(EDITABLE_FIELDS)})")
            )
            continue
        n = len(problems)
        v = _coerce(name, value, problems, where)
        if len(problems) == n:
            out[name] = v
    if problems:
        raise LayerError(problems)
    return out


def _polygonal_or_linear(g: shapely.Geometry, dim: int) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(g) if shapely.get_dimensions(p) == dim]
    parts = [q for p in parts for q in shapely.get_parts(p)]
    if not parts:
        return shapely.GeometryCollection()
    return shapely.union_all(parts) if dim == 2 else shapely.line_merge(shapely.union_all(parts))


class GeometryChecker:
    """Checks an edited geometry against the study area extent and the district outline.

    Parameters
    ----------
    extent : (west, south, east, north)
        Study area extent, degrees (EPSG:4326).
    district : shapely geometry or None
        District outline, EPSG:4326 (``None``: only the extent is checked).
    metric_crs : str
        Projected CRS for distances (metres).
    tolerance_m : float
        How far outside the district outline a geometry may reach, metres.
    """

    def __init__(
        self,
        extent: tuple[float, float, float, float],
        district: shapely.Geometry | None,
        metric_crs: str,
        tolerance_m: float = DISTRICT_TOLERANCE_M,
    ) -> None:
        self.extent = tuple(float(v) for v in extent)
        self.tolerance_m = float(tolerance_m)
        self._to_metric = Transformer.from_crs(CRS("EPSG:4326"), CRS(metric_crs), always_xy=True)
        self._zone = None
        if district is not None:
            self._zone = shapely.buffer(self._metric(district), self.tolerance_m)
            shapely.prepare(self._zone)

    def _metric(self, g: shapely.Geometry) -> shapely.Geometry:
        return shapely.transform(g, lambda xy: np.column_stack(self._to_metric.transform(*xy.T)))

    def check(
        self, geom: Any, where: str = "edit", *, repair: bool = True
    ) -> tuple[shapely.Geometry, list[str]]:
        """Validate (and repair) one geometry; return it with messages, or raise :class:`LayerError`.

        Parameters
        ----------
        geom : shapely geometry or GeoJSON mapping
            Lon/lat, EPSG:4326.
        where : str
            Label for messages.
        repair : bool
            Repair invalid polygons with ``make_valid`` (else reject them).
        """

        def fail(msg: str) -> LayerError:
            return LayerError([Problem(where, None, "geometry", msg)])

        if isinstance(geom, Mapping):
            geom = geometry_from_geojson(geom, where)
        if not isinstance(geom, shapely.Geometry):
            raise fail(f"expected a geometry, got {type(geom).__name__}")
        messages: list[str] = []
        if shapely.is_empty(geom):
            raise fail("empty geometry")
        if geom.geom_type not in GEOMETRY_TYPES:
            raise fail(f"{geom.geom_type} not allowed (expected {', '.join(GEOMETRY_TYPES)})")
        if shapely.get_num_coordinates(geom) > MAX_VERTICES:
            raise fail(f"more than {MAX_VERTICES} vertices ({shapely.get_num_coordinates(geom)})")
        if shapely.has_z(geom):
            geom = shapely.force_2d(geom)
            messages.append("geometry: Z values dropped")
        coords = shapely.get_coordinates(geom)
        if not np.isfinite(coords).all():
            raise fail("coordinates must be finite numbers")
        w, s, e, n = self.extent
        x0, y0, x1, y1 = shapely.bounds(geom)
        if x0 < w or y0 < s or x1 > e or y1 > n:
            raise fail(
                f"outside the study area extent {self.extent} (bounds {x0:.5f}, {y0:.5f}, "
                f"{x1:.5f}, {y1:.5f}): send WGS-84 lon/lat (EPSG:4326) — wrong CRS, swapped "
                "lon/lat, or a GCJ-02/BD-09 offset?"
            )
        if not shapely.is_valid(geom):
            why = shapely.is_valid_reason(geom)
            if not repair:
                raise fail(f"invalid geometry: {why}")
            dim = int(shapely.get_dimensions(geom))
            fixed = _polygonal_or_linear(shapely.make_valid(geom), dim)
            if shapely.is_empty(fixed) or not shapely.is_valid(fixed):
                raise fail(f"invalid geometry that cannot be repaired: {why}")
            if fixed.geom_type not in GEOMETRY_TYPES:
                raise fail(f"invalid geometry: {why}")
            geom = fixed
            messages.append(f"geometry: repaired invalid geometry ({why}) with make_valid")
        if self._zone is not None:
            gm = self._metric(geom)
            if not shapely.covers(self._zone, gm):
                far = float(shapely.distance(self._zone, gm))
                detail = (
                    f"{far:.0f} m beyond that zone"
                    if far > 0
                    else "part of it reaches beyond that zone"
                )
                raise fail(
                    f"outside the district (more than {self.tolerance_m:g} m beyond its outline; "
                    f"{detail}): wrong CRS or a misplaced drawing?"
                )
        return geom, messages


def geometry_from_geojson(obj: Any, where: str = "edit") -> shapely.Geometry:
    """A GeoJSON geometry object (or Feature) as a shapely geometry; :class:`LayerError` if malformed.

    >>> geometry_from_geojson({"type": "Point", "coordinates": [116.37, 39.91]}).wkt
    'POINT (116.37 39.91)'
    """

    def fail(msg: str) -> LayerError:
        return LayerError([Problem(where, None, "geometry", msg)])

    if not isinstance(obj, Mapping):
        raise fail("expected a GeoJSON geometry object")
    if obj.get("type") == "Feature":
        obj = obj.get("geometry")
        if not isinstance(obj, Mapping):
            raise fail("Feature without a geometry object")
    gtype = obj.get("type")
    if gtype not in GEOMETRY_TYPES:
        raise fail(
            f"GeoJSON type {_printable(gtype)!r} not allowed (expected {', '.join(GEOMETRY_TYPES)})"
        )
    if "coordinates" not in obj:
        raise fail("GeoJSON geometry without 'coordinates'")
    try:
        text = json.dumps({"type": gtype, "coordinates": obj["coordinates"]}, allow_nan=False)
        g = shapely.from_geojson(text)
    except (ValueError, TypeError, RecursionError, shapely.errors.GEOSException) as exc:
        raise fail(f"malformed GeoJSON {gtype}: {_printable(exc, 200)}") from exc
    if g is None:
        raise fail("malformed GeoJSON geometry")
    return g
