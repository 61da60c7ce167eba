"""Mapbox Vector Tiles from a layer: per-zoom simplification in Web Mercator, STRtree clipping, encoding.

A :class:`LayerTiles` is built once per layer and data version from a GeoDataFrame (EPSG:4326). It
projects the geometry to Web Mercator (EPSG:3857, metres) once; for each zoom it keeps a simplified
copy (Douglas–Peucker, tolerance :func:`tolerance_m` = half a screen pixel at that zoom, topology
preserved) and drops polygons and lines smaller than a pixel, with an ``STRtree`` over it. A tile is
the features whose envelope meets the tile's bounds plus a buffer, clipped to that rectangle
(``shapely.clip_by_rect``) and encoded with ``mapbox_vector_tile.encode`` (extent 4096, one MVT layer
named after the map layer). Each feature carries an integer ``id`` (its row in the layer) and a few
styling attributes; the full attributes are fetched by key from the API on click.

No Flask here: :mod:`webmap.tiles_api` routes and caches.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pandas as pd
import shapely

#: Half the width of the Web Mercator square (metres).
HALF_WORLD = 20037508.342789244
#: Tile coordinate extent of every MVT layer.
EXTENT = 4096
#: Buffer around a tile (in tile units of :data:`EXTENT`), so strokes are not cut at tile edges.
BUFFER = 64
#: Zooms served; beyond :data:`DETAIL_ZOOM` the geometry is not simplified any more.
MAX_ZOOM = 22
DETAIL_ZOOM = 18
#: Simplification tolerance in screen pixels (256-pixel tiles).
TOLERANCE_PX = 0.5
#: Polygons/lines whose envelope is smaller than this many pixels on both axes are left out.
MIN_SIZE_PX = 2.0


def pixel_m(z: int) -> float:
    """Web Mercator metres per pixel of a 256-pixel tile at zoom ``z`` (at the equator).

    >>> round(pixel_m(0), 1), round(pixel_m(13), 2)
    (156543.0, 19.11)
    """
    return 2 * HALF_WORLD / (256 * 2**z)


def tolerance_m(z: int) -> float:
    """Simplification tolerance (EPSG:3857 metres) at zoom ``z``: :data:`TOLERANCE_PX` pixels.

    >>> round(tolerance_m(13), 2)
    9.55
    """
    return pixel_m(z) * TOLERANCE_PX


def check_tile(z: int, x: int, y: int) -> None:
    """Raise ``ValueError`` naming the parameter when ``z/x/y`` is not a tile of the XYZ scheme.

    >>> check_tile(3, 7, 0)
    >>> check_tile(3, 8, 0)
    Traceback (most recent call last):
    ...
    ValueError: x: must be 0..7 at zoom 3, got 8
    """
    if not 0 <= z <= MAX_ZOOM:
        raise ValueError(f"z: must be 0..{MAX_ZOOM}, got {z}")
    n = 2**z
    if not 0 <= x < n:
        raise ValueError(f"x: must be 0..{n - 1} at zoom {z}, got {x}")
    if not 0 <= y < n:
        raise ValueError(f"y: must be 0..{n - 1} at zoom {z}, got {y}")


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of tile ``z/x/y`` in EPSG:3857 metres (XYZ scheme, y down from north).

    >>> [round(v) for v in tile_bounds(1, 0, 0)]
    [-20037508, 0, 0, 20037508]
    """
    size = 2 * HALF_WORLD / 2**z
    minx = -HALF_WORLD + x * size
    maxy = HALF_WORLD - y * size
    return (minx, maxy - size, minx + size, maxy)


def tile_for(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The (x, y) of the zoom-``z`` tile containing WGS-84 ``lon``, ``lat`` (degrees).

    >>> tile_for(116.37, 39.91, 13)
    (6744, 3103)
    """
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def _plain(v: Any) -> Any:
    """An MVT-encodable value (str, int, float, bool) or ``None`` to leave the property out."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return float(v)
    return str(v)


def fingerprint(gdf: gpd.GeoDataFrame) -> str:
    """A short hash of a layer's attributes and geometry (same data, same fingerprint).

    >>> a = gpd.GeoDataFrame({"k": ["a"]}, geometry=[shapely.Point(1, 2)], crs=4326)
    >>> fingerprint(a) == fingerprint(a.copy()), fingerprint(a) == fingerprint(a.assign(k="b"))
    (True, False)
    """
    h = hashlib.sha1()
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(str)
    h.update(",".join(map(str, attrs.columns)).encode())
    h.update(pd.util.hash_pandas_object(attrs, index=False).to_numpy().tobytes())
    wkb = shapely.to_wkb(np.asarray(gdf.geometry.values), hex=False)
    h.update(b"".join(b if b is not None else b"-" for b in wkb))
    return h.hexdigest()[:16]


class LayerTiles:
    """Vector tiles of one layer (one data version).

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer in EPSG:4326 (rows without geometry are left out of the tiles).
    name : str
        MVT layer name (the map layer key).
    key : str
        Key column; every feature gets property ``_key`` (its key as text) and the integer ``id`` of
        its row among the rows with geometry.
    properties : sequence of str
        Columns copied into the tiles (styling, tooltips); missing columns are skipped.
    version : str, optional
        Data version (default: :func:`fingerprint` of ``gdf``); tile ETags derive from it.
    cache_size : int
        Encoded tiles kept (least recently used dropped).

    Examples
    --------
    >>> gdf = gpd.GeoDataFrame({"k": ["a"], "kind": ["x"]},
    ...     geometry=[shapely.box(116.36, 39.90, 116.38, 39.92)], crs=4326)
    >>> t = LayerTiles(gdf, "demo", "k", ["kind"])
    >>> x, y = tile_for(116.37, 39.91, 13)
    >>> layer = mapbox_vector_tile.decode(t.tile(13, x, y))["demo"]
    >>> layer["extent"], [(f["id"], f["properties"]) for f in layer["features"]]
    (4096, [(0, {'_key': 'a', 'kind': 'x'})])
    >>> t.tile(13, 0, 0)
    b''
    """

    def __init__(
        self,
        gdf: gpd.GeoDataFrame,
        name: str,
        key: str,
        properties: Sequence[str] = (),
        *,
        version: str | None = None,
        cache_size: int = 4096,
    ) -> None:
        g = np.asarray(gdf.geometry.values)
        keep = ~(shapely.is_missing(g) | shapely.is_empty(g))
        frame = gdf[keep]
        self.name = name
        self.version = version or fingerprint(gdf)
        self.n = len(frame)
        merc = frame.geometry.to_crs(3857) if len(frame) else frame.geometry
        self._geom = np.asarray(merc.values)
        self._bounds = shapely.bounds(self._geom) if self.n else np.zeros((0, 4))
        self._areal = ~np.isin(shapely.get_type_id(self._geom), (0, 4))  # not (Multi)Point
        cols = [c for c in properties if c in frame.columns and c != key]
        keys = frame[key].astype(str).tolist() if key in frame.columns else [""] * self.n
        self.keys = keys
        self._index = {k: i for i, k in enumerate(keys)}
        values = {c: frame[c].tolist() for c in cols}
        self._props: list[dict[str, Any]] = []
        for i in range(self.n):
            p: dict[str, Any] = {"_key": keys[i]}
            for c in cols:
                v = _plain(values[c][i])
                if v is not None:
                    p[c] = v
            self._props.append(p)
        self._levels: dict[int, tuple[np.ndarray, np.ndarray, shapely.STRtree]] = {}
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()
        self.cache_size = cache_size

    def position(self, key: str) -> int | None:
        """Row (MVT feature id) of the feature with key ``key``, or ``None``."""
        return self._index.get(str(key))

    def etag(self, z: int, x: int, y: int) -> str:
        """ETag of a tile: layer name, data version and tile address."""
        raw = f"{self.name}|{self.version}|{z}/{x}/{y}"
        return hashlib.sha1(raw.encode()).hexdigest()[:20]

    def _level(self, z: int) -> tuple[np.ndarray, np.ndarray, shapely.STRtree]:
        z = min(z, DETAIL_ZOOM)
        with self._lock:
            hit = self._levels.get(z)
        if hit is not None:
            return hit
        px = pixel_m(z)
        size = np.maximum(
            self._bounds[:, 2] - self._bounds[:, 0], self._bounds[:, 3] - self._bounds[:, 1]
        )
        rows = np.flatnonzero(~self._areal | (size >= MIN_SIZE_PX * px))
        geoms = shapely.simplify(self._geom[rows], tolerance_m(z), preserve_topology=True)
        level = (rows, geoms, shapely.STRtree(geoms))
        with self._lock:
            self._levels[z] = level
        return level

    def tile(self, z: int, x: int, y: int) -> bytes:
        """The encoded tile ``z/x/y`` (``b""`` when no feature meets it).

        Raises
        ------
        ValueError
            ``z/x/y`` is not a tile (see :func:`check_tile`).
        """
        check_tile(z, x, y)
        addr = (z, x, y)
        with self._lock:
            hit = self._cache.get(addr)
            if hit is not None:
                self._cache.move_to_end(addr)
                return hit
        data = self._encode(z, x, y)
        with self._lock:
            self._cache[addr] = data
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return data

    def _encode(self, z: int, x: int, y: int) -> bytes:
        if not self.n:
            return b""
        minx, miny, maxx, maxy = tile_bounds(z, x, y)
        pad = (maxx - minx) * BUFFER / EXTENT
        box = (minx - pad, miny - pad, maxx + pad, maxy + pad)
        rows, geoms, tree = self._level(z)
        hits = np.sort(tree.query(shapely.box(*box)))
        if not len(hits):
            return b""
        part = geoms[hits]
        areal = self._areal[rows[hits]]
        clipped = np.where(areal, shapely.clip_by_rect(part, *box), part)
        # to tile units (0..EXTENT, y down), vectorised; the encoder then only rounds
        sx, sy = EXTENT / (maxx - minx), EXTENT / (maxy - miny)
        clipped = shapely.transform(
            clipped, lambda c: np.column_stack(((c[:, 0] - minx) * sx, (maxy - c[:, 1]) * sy))
        )
        feats = []
        for j, geom in zip(rows[hits].tolist(), clipped.tolist(), strict=True):
            if geom is None or geom.is_empty:
                continue
            if geom.geom_type == "GeometryCollection":
                keep = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
                if not keep:
                    continue
                geom = shapely.union_all(keep)
            feats.append({"geometry": geom, "properties": self._props[j], "id": j})
        if not feats:
            return b""
        return bytes(
            mapbox_vector_tile.encode(
                [{"name": self.name, "features": feats}],
                default_options={"y_coord_down": True, "extents": EXTENT},
            )
        )
