"""Vector tiles of the large map layers: ``/tiles/<layer>/<z>/<x>/<y>.mvt`` and attributes on click.

Routes
    ``GET /tiles/<layer>/<z>/<x>/<y>.mvt`` — a Mapbox Vector Tile (``application/vnd.mapbox-vector-tile``)
    of one layer; ``radii`` and ``gaps`` take ``?rule=<id>&year=<y>`` (a tile set per rule set and
    year); ``?datum=gcj02`` shifts the geometry for the AMap basemap. An empty tile (``200``, no
    body) when no feature meets the tile — cacheable like any other; ``400`` with a JSON message for a
    bad layer, ``z``, ``x``, ``y`` or parameter.
    ``GET /tiles/<layer>/search?q=<text>`` — up to 20 features whose name contains the text
    (label, key, centre, bounds), for the map's search box.
    ``GET /api/features/<layer>/<key>`` — all attributes of one feature (the popup of a tiled layer).

Caching
    One :class:`webmap.tiles.LayerTiles` per layer (and rule/year/datum) holds the simplified levels
    and the encoded tiles. When the service's data version changes (a file import, an edit in the
    projects store), the layer's frame is fingerprinted again: an unchanged layer keeps its tiles and
    ETags, a changed one is rebuilt, so its tiles get new ETags and browsers refetch them.
    ``If-None-Match`` with the current ETag gets ``304``.

Which layers are tiled
    :func:`tiled_layers`: a layer of at least ``TILE_MIN_FEATURES`` features (default 2,000) or an
    estimated GeoJSON size of ``TILE_MIN_BYTES`` (default 1 MB) is tiled; smaller ones stay GeoJSON
    in the page. The 街道, the district outline and the projects are always GeoJSON (the choropleth,
    the 街道 selection and the editor need their geometry in the browser).

``ST_AsMVT``: only the editable projects sit in PostGIS (``layers.store_postgis``), and they are
always GeoJSON; the large layers are files, so every tile is encoded here.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from flask import Blueprint, Response, current_app, jsonify, make_response, request

from webmap.service import MapService, UnavailableError, records
from webmap.tiles import LayerTiles, fingerprint
from webmap.views import cache_headers, not_modified, service

tiles = Blueprint("tiles", __name__)

MVT_TYPE = "application/vnd.mapbox-vector-tile"
#: Layers that may be tiled: key column and the attributes put into the tiles (styling, tooltips).
TILE_LAYERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "residential": ("parcel_id", ("subdistrict_code", "geometry_quality")),
    "parks": (
        "park_id",
        ("name_zh", "name_en", "kind", "fee", "opened_year", "geometry_quality"),
    ),
    "historic_blocks": ("block_id", ("name_zh", "name_en", "geometry_quality")),
    "radii": ("park_id", ("name_zh", "opened_year", "radius_m", "geometry_quality")),
    "gaps": ("gap_id", ("subdistrict_code", "uncovered_pct", "geometry_quality")),
    "streets": ("street_id", ("name_zh", "highway", "geometry_quality")),
}
#: Layers computed per rule set and year.
RULE_LAYERS = ("radii", "gaps")
#: Default size thresholds (config ``TILE_MIN_FEATURES``, ``TILE_MIN_BYTES``).
TILE_MIN_FEATURES = 2000
TILE_MIN_BYTES = 1_000_000
_INT = re.compile(r"^\d{1,7}$")


class TileError(ValueError):
    """A bad tile request; answered 400 with the parameter named."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@tiles.errorhandler(TileError)
def _tile_error(err: TileError) -> Response:
    body = {"error": "bad request", "parameter": err.parameter, "message": str(err)}
    return make_response(jsonify(body), 400)


@tiles.errorhandler(UnavailableError)
def _unavailable(err: UnavailableError) -> Response:
    return make_response(jsonify({"error": "unavailable", "message": str(err)}), 503)


def estimated_bytes(gdf: gpd.GeoDataFrame) -> int:
    """A rough GeoJSON size of a layer: ~20 bytes per coordinate plus ~200 per feature.

    >>> estimated_bytes(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)]))
    300
    """
    n = int(shapely.get_num_coordinates(np.asarray(gdf.geometry.values)).sum())
    return 20 * n + 200 * len(gdf)


def _park_frame(svc: MapService) -> gpd.GeoDataFrame:
    from webmap.render import _park_points

    return _park_points(svc.layer("parks"))


class TileService:
    """Per-layer tile sets of a :class:`~webmap.service.MapService`, rebuilt only when a layer changes."""

    def __init__(self, svc: MapService, min_features: int, min_bytes: int) -> None:
        self.svc = svc
        self.min_features = min_features
        self.min_bytes = min_bytes
        self._lock = threading.Lock()
        self._builds: dict[tuple[Any, ...], threading.Lock] = {}
        self._sets: dict[tuple[Any, ...], tuple[str, LayerTiles]] = {}

    def frame(
        self, layer: str, rule: str | None = None, year: int | None = None, datum: str = "wgs84"
    ) -> gpd.GeoDataFrame:
        """The layer as the map shows it (EPSG:4326, or GCJ-02 shifted for ``datum="gcj02"``)."""
        svc = self.svc
        if layer == "parks":
            gdf = _park_frame(svc)
        elif layer == "radii":
            gdf = svc.radii(str(rule), year)
        elif layer == "gaps":
            gdf = svc.gaps(str(rule), year)
        else:
            gdf = svc.layer(layer)
        if datum == "gcj02" and len(gdf):
            from geo.datums import convert_gdf

            g = np.asarray(gdf.geometry.values)
            gdf = convert_gdf(gdf[~(shapely.is_missing(g) | shapely.is_empty(g))], "wgs84", "gcj02")
        return gdf

    def get(
        self, layer: str, rule: str | None = None, year: int | None = None, datum: str = "wgs84"
    ) -> LayerTiles:
        """The tile set of a layer for the current data version."""
        key = (layer, rule, year, datum)
        version = self.svc.version()
        with self._lock:
            hit = self._sets.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]
            build = self._builds.setdefault(key, threading.Lock())
        with build:  # one build per layer at a time; others wait for it
            with self._lock:
                hit = self._sets.get(key)
                if hit is not None and hit[0] == version:
                    return hit[1]
            gdf = self.frame(layer, rule, year, datum)
            fp = fingerprint(gdf)
            if hit is not None and hit[1].version == fp:
                tiles_ = hit[1]  # the layer did not change: keep its tiles and ETags
            else:
                id_col, props = TILE_LAYERS[layer]
                tiles_ = LayerTiles(gdf, layer, id_col, props, version=fp)
            with self._lock:
                self._sets[key] = (version, tiles_)
            return tiles_

    def is_large(self, gdf: gpd.GeoDataFrame | None) -> bool:
        """Whether a layer is above the tiling threshold."""
        if gdf is None or not len(gdf):
            return False
        return len(gdf) >= self.min_features or estimated_bytes(gdf) >= self.min_bytes


def tile_service(app: Any = None) -> TileService:
    """The app's :class:`TileService` (created on first use from the app's config)."""
    app = app or current_app
    ts = app.extensions.get("greenmap_tiles")
    if ts is None:
        ts = TileService(
            app.extensions["greenmap"],
            int(app.config.get("TILE_MIN_FEATURES", TILE_MIN_FEATURES)),
            int(app.config.get("TILE_MIN_BYTES", TILE_MIN_BYTES)),
        )
        app.extensions["greenmap_tiles"] = ts
    return ts


def tiled_layers(ts: TileService) -> list[str]:
    """The layers of the current data that are served as tiles (the rest stay GeoJSON).

    ``radii`` are tiled with the parks, or when the radii of all rule sets together are above the size
    threshold (the page would embed one layer per rule set); ``gaps`` with the residential land.
    """
    svc = ts.svc

    def big(name: str) -> bool:
        try:
            gdf = _park_frame(svc) if name == "parks" else svc.layer(name)
        except UnavailableError:
            return False
        return ts.is_large(gdf)

    def radii_bytes() -> int:
        """Estimated GeoJSON size of the service radii of every rule set (all embedded otherwise)."""
        total = 0
        for rid in svc.rule_ids():
            try:
                total += estimated_bytes(svc.radii(rid))
            except UnavailableError:
                continue
        return total

    def make() -> list[str]:
        out = [n for n in ("residential", "parks", "historic_blocks", "streets") if big(n)]
        if "parks" in out or radii_bytes() >= ts.min_bytes:
            out.append("radii")
        if "residential" in out:
            out.append("gaps")
        return out

    return list(svc.cached(("tiled_layers", ts.min_features, ts.min_bytes), make))


def _layer_param(layer: str) -> str:
    if layer not in TILE_LAYERS:
        raise TileError("layer", f"unknown tiled layer {layer!r}; one of {', '.join(TILE_LAYERS)}")
    return layer


def _tile_int(name: str, text: str) -> int:
    if not _INT.match(text):
        raise TileError(name, f"must be a non-negative integer, got {text[:20]!r}")
    return int(text)


def _params(layer: str) -> tuple[str | None, int | None, str]:
    svc = service()
    rule: str | None = None
    year: int | None = None
    if layer in RULE_LAYERS:
        rule = request.args.get("rule") or svc.default_rule()
        if not rule or rule not in svc.rule_ids():
            raise TileError(
                "rule", f"unknown rule set {rule!r}; one of {', '.join(svc.rule_ids())}"
            )
        y = request.args.get("year")
        if y not in (None, ""):
            if not re.match(r"^\d{4}$", y):
                raise TileError("year", f"must be a year like 2020, got {y[:20]!r}")
            year = int(y)
    datum = request.args.get("datum", "wgs84")
    if datum not in ("wgs84", "gcj02"):
        raise TileError("datum", f"must be wgs84 or gcj02, got {datum[:20]!r}")
    return rule, year, datum


@tiles.get("/tiles/<layer>/<z>/<x>/<y>.mvt")
def tile(layer: str, z: str, x: str, y: str) -> Response:
    """One vector tile (see the module docstring)."""
    layer = _layer_param(layer)
    zi, xi, yi = _tile_int("z", z), _tile_int("x", x), _tile_int("y", y)
    rule, year, datum = _params(layer)
    ts = tile_service().get(layer, rule, year, datum)
    try:
        tag = ts.etag(zi, xi, yi)
        if (resp := not_modified(tag)) is not None:
            return resp
        data = ts.tile(zi, xi, yi)
    except ValueError as exc:
        name = str(exc).split(":", 1)[0]
        raise TileError(name, str(exc).split(": ", 1)[-1]) from None
    resp = make_response(data, 200)  # empty body = empty tile
    resp.headers["Content-Type"] = MVT_TYPE
    return cache_headers(resp, tag)


@tiles.get("/tiles/<layer>/search")
def search(layer: str) -> Response:
    """Features of a tiled layer whose name (zh or en) contains ``q`` (at most 20)."""
    layer = _layer_param(layer)
    q = (request.args.get("q") or "").strip().lower()
    if len(q) > 100:
        raise TileError("q", "at most 100 characters")
    rule, year, datum = _params(layer)
    ts = tile_service()
    gdf = ts.frame(layer, rule, year, datum)
    g = np.asarray(gdf.geometry.values)
    gdf = gdf[~(shapely.is_missing(g) | shapely.is_empty(g))]
    key = TILE_LAYERS[layer][0]
    names = [c for c in ("name_zh", "name_en") if c in gdf.columns]
    out: list[dict[str, Any]] = []
    if q and names:
        label = gdf[names].fillna("").astype(str).agg(" ".join, axis=1).str.strip()
        hit = gdf[label.str.lower().str.contains(q, regex=False)].head(20)
        b = shapely.bounds(np.asarray(hit.geometry.values))
        for (_i, row), bb, lab in zip(hit.iterrows(), b, label[hit.index], strict=True):
            out.append(
                {
                    "key": str(row[key]),
                    "label": lab,
                    "loc": [float((bb[1] + bb[3]) / 2), float((bb[0] + bb[2]) / 2)],
                    "bounds": [float(v) for v in bb],
                }
            )
    return make_response(jsonify({"layer": layer, "q": q, "results": out}))


@tiles.get("/api/features/<layer>/<path:key>")
def feature(layer: str, key: str) -> Response:
    """All attributes of one feature of a tiled layer, by key (``rule``/``year`` for radii and gaps)."""
    layer = _layer_param(layer)
    rule, year, datum = _params(layer)
    ts = tile_service()
    gdf = ts.frame(layer, rule, year, datum)
    col = TILE_LAYERS[layer][0]
    if col not in gdf.columns:
        return make_response(jsonify({"error": "not found", "message": f"{layer}: no key"}), 404)
    hit = gdf[gdf[col].astype(str) == key]
    if not len(hit):
        msg = f"{layer}: no feature with {col} = {key[:60]!r}"
        return make_response(jsonify({"error": "not found", "message": msg}), 404)
    props = records(hit.drop(columns=hit.geometry.name))[0]
    geom = hit.geometry.iloc[0]
    bbox = None
    if geom is not None and not geom.is_empty:
        bbox = [float(v) if math.isfinite(v) else None for v in geom.bounds]
    body = {"type": "Feature", "id": f"{layer}:{key}", "bbox": bbox, "properties": props}
    resp = make_response(jsonify(body))
    raw = f"{ts.get(layer, rule, year, datum).version}|{layer}|{key}"
    tag = hashlib.sha1(raw.encode()).hexdigest()[:20]
    return cache_headers(resp, tag)


def init_tiles(app: Any) -> None:
    """Register the tile routes on ``app``."""
    app.register_blueprint(tiles)
