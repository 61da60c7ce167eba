"""OGC API – Features: constants, the JSON error type and query-parameter validation.

Framework-free (no Flask): every parser takes the raw query-string value (``None`` when the parameter is
absent) and raises :class:`OgcError` with HTTP status 400 and a description that starts with the parameter's
name, so a client can tell which parameter was wrong.  The Flask adapter is :mod:`webmap.ogcapi`.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable

from layers.export import COVERAGE_RESULTS

__all__ = [
    "CONFORMANCE",
    "CRS84",
    "DEFAULT_LIMIT",
    "GEOJSON",
    "HTML",
    "ITEMS_PARAMS",
    "JSON",
    "MAX_LIMIT",
    "OgcError",
    "check_items_params",
    "parse_bbox",
    "parse_format",
    "parse_int",
    "timestamp",
]

#: Conformance classes implemented.
CONFORMANCE: tuple[str, ...] = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
)
DEFAULT_LIMIT = 100
MAX_LIMIT = 10000
#: WGS-84 lon/lat axis order: the only CRS served and accepted for ``bbox``.
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
#: Query parameters ``/items`` understands; anything else is a 400 (OGC API – Features, Req. 7.6).
ITEMS_PARAMS = frozenset({"f", "bbox", "bbox-crs", "limit", "offset", "datetime"})
#: Coverage results served as collections (the attribute-only coverage table is not one).
COVERAGE_LAYERS = tuple(c for c in COVERAGE_RESULTS if c != "coverage-table")


class OgcError(Exception):
    """An error answered as JSON ``{"code", "description"}`` with an HTTP status."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description


def _invalid(description: str) -> OgcError:
    return OgcError(400, "InvalidParameterValue", description)


def parse_format(raw: str | None) -> str | None:
    """Resource format named by ``f``: ``"json"``, ``"html"``, or ``None`` when ``f`` is absent.

    Parameters
    ----------
    raw
        The ``f`` query parameter; case and surrounding blanks are ignored.

    Raises
    ------
    OgcError
        400 when ``f`` names another format.

    >>> parse_format(" GeoJSON "), parse_format("text/html"), parse_format(None)
    ('json', 'html', None)
    """
    if raw is None:
        return None
    f = raw.strip().lower()
    if f in ("json", "geojson", JSON, GEOJSON):
        return "json"
    if f in ("html", HTML):
        return "html"
    raise _invalid(f"f: unknown format {f!r}; use json or html")


def check_items_params(names: Iterable[str]) -> None:
    """Reject query parameters ``/items`` does not understand (400 naming them, sorted).

    >>> check_items_params(["limit", "f"])
    >>> check_items_params(["colour"])
    Traceback (most recent call last):
    ...
    webmap.ogc_core.OgcError: unknown query parameter(s): colour; supported: bbox, bbox-crs, ...
    """
    unknown = sorted(set(names) - ITEMS_PARAMS)
    if unknown:
        raise _invalid(
            f"unknown query parameter(s): {', '.join(unknown)}; supported: "
            + ", ".join(sorted(ITEMS_PARAMS))
        )


def parse_int(name: str, raw: str | None, default: int, minimum: int) -> int:
    """Integer query parameter ``name``; absent or empty gives ``default``.

    Raises
    ------
    OgcError
        400 when ``raw`` is not an integer or is below ``minimum``.

    >>> parse_int("limit", "25", 100, 1), parse_int("limit", "", 100, 1)
    (25, 100)
    """
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(f"{name}: expected an integer, got {raw!r}") from None
    if value < minimum:
        raise _invalid(f"{name}: must be >= {minimum}, got {value}")
    return value


def parse_bbox(raw: str | None, crs: str | None = None) -> tuple[float, float, float, float] | None:
    """The ``bbox`` parameter as ``(minLon, minLat, maxLon, maxLat)`` in CRS84 degrees, or ``None``.

    Parameters
    ----------
    raw
        ``bbox``: 4 or 6 comma-separated numbers (6 = 3-D box; the heights are dropped).
    crs
        ``bbox-crs``: absent, CRS84 or ``EPSG:4326`` (read as lon/lat, like CRS84).

    Raises
    ------
    OgcError
        400 naming ``bbox`` or ``bbox-crs`` when the box is malformed or not lon/lat.

    >>> parse_bbox("116.3, 39.9, 116.4, 40.0")
    (116.3, 39.9, 116.4, 40.0)
    >>> parse_bbox("116.3,39.9,0,116.4,40.0,50")
    (116.3, 39.9, 116.4, 40.0)
    """
    if raw is None:
        return None
    if crs is not None and crs.strip() not in (CRS84, "CRS84", "EPSG:4326"):
        raise _invalid(f"bbox-crs: only {CRS84} is supported")
    parts = [p.strip() for p in raw.split(",")]
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise _invalid(f"bbox: expected 4 or 6 comma-separated numbers, got {raw!r}") from None
    if len(nums) not in (4, 6) or not all(math.isfinite(v) for v in nums):
        raise _invalid(
            f"bbox: expected 4 or 6 finite numbers (minLon,minLat,maxLon,maxLat), got {raw!r}"
        )
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    w, s, e, n = nums
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= n <= 90 and w <= e):
        raise _invalid(
            f"bbox: not a lon/lat box with minLon<=maxLon and -90<=minLat<=maxLat<=90: {raw!r}"
        )
    return (w, s, e, n)


def timestamp() -> str:
    """Current UTC time as ISO 8601 with a ``Z`` suffix, whole seconds (``timeStamp`` of a page)."""
    return _dt.datetime.now(tz=_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
