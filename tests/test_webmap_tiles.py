"""Vector tiles (webmap/tiles.py, webmap/tiles_api.py): encoding, extent, simplification, ETag/304, invalidation."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pytest
import shapely

from webmap.tiles import EXTENT, LayerTiles, check_tile, tile_bounds, tile_for

LON, LAT = 116.37, 39.91


def _ring(n: int) -> shapely.Polygon:
    """A 600 m-ish circle of ``n`` vertices around (LON, LAT), in degrees."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return shapely.Polygon(np.column_stack([LON + 0.007 * np.cos(t), LAT + 0.005 * np.sin(t)]))


def _layer(**kw: Any) -> LayerTiles:
    gdf = gpd.GeoDataFrame(
        {"k": ["a", "b", "c"], "kind": ["x", None, "z"], "n": [1, 2, 3]},
        geometry=[_ring(400), shapely.Point(LON + 0.001, LAT), None],
        crs=4326,
    )
    return LayerTiles(gdf, "demo", "k", ["kind", "n", "missing"], **kw)


def _decode(data: bytes) -> dict[str, Any]:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def _coords(geom: dict[str, Any]) -> np.ndarray:
    c = geom["coordinates"]
    while isinstance(c[0][0], list):
        c = c[0]
    return np.asarray(c, dtype=float)


def test_tile_has_features_ids_properties_and_extent() -> None:
    t = _layer()
    x, y = tile_for(LON, LAT, 14)
    layer = _decode(t.tile(14, x, y))["demo"]
    assert layer["extent"] == EXTENT
    feats = {f["id"]: f for f in layer["features"]}
    assert set(feats) == {0, 1}  # the row without geometry is left out
    assert feats[0]["properties"] == {"_key": "a", "kind": "x", "n": 1}
    assert feats[1]["properties"] == {"_key": "b", "n": 2}  # None is not encoded
    assert feats[0]["geometry"]["type"] == "Polygon"
    assert feats[1]["geometry"]["type"] == "Point"
    assert t.position("b") == 1 and t.position("zz") is None


def test_polygon_is_clipped_to_tile_plus_buffer() -> None:
    t = _layer()
    x, y = tile_for(LON, LAT, 17)  # the ring is far larger than a z17 tile
    xy = _coords(_decode(t.tile(17, x, y))["demo"]["features"][0]["geometry"])
    assert xy.min() >= -64 - 1 and xy.max() <= EXTENT + 64 + 1


def test_point_lands_where_it_should_in_tile_units() -> None:
    t = _layer()
    z = 15
    x, y = tile_for(LON + 0.001, LAT, z)
    feat = next(f for f in _decode(t.tile(z, x, y))["demo"]["features"] if f["id"] == 1)
    px, py = feat["geometry"]["coordinates"]
    merc = gpd.GeoSeries([shapely.Point(LON + 0.001, LAT)], crs=4326).to_crs(3857).iloc[0]
    minx, miny, maxx, maxy = tile_bounds(z, x, y)
    assert px == pytest.approx((merc.x - minx) / (maxx - minx) * EXTENT, abs=1)
    assert py == pytest.approx((maxy - merc.y) / (maxy - miny) * EXTENT, abs=1)


def test_low_zoom_is_simplified() -> None:
    t = _layer()
    counts = {}
    for z in (9, 13):
        x, y = tile_for(LON, LAT, z)
        feat = next(f for f in _decode(t.tile(z, x, y))["demo"]["features"] if f["id"] == 0)
        counts[z] = len(_coords(feat["geometry"]))
    assert counts[9] < counts[13] < 400


def test_empty_outside_and_bad_addresses() -> None:
    t = _layer()
    assert t.tile(14, 0, 0) == b""
    with pytest.raises(ValueError, match=r"y: must be 0\.\.15"):
        t.tile(4, 0, 16)
    with pytest.raises(ValueError, match="z: must be"):
        check_tile(40, 0, 0)


def test_etag_follows_data_version() -> None:
    a, b = _layer(), _layer()
    assert a.version == b.version and a.etag(1, 0, 0) == b.etag(1, 0, 0)
    c = _layer(version="other")
    assert c.etag(1, 0, 0) != a.etag(1, 0, 0)


# ----------------------------------------------------------------------------- the Flask routes


@pytest.fixture(scope="module")
def client() -> Any:
    try:
        import layers

        layers.read_layer("subdistricts")
    except Exception as exc:  # data not built
        pytest.skip(f"layers not readable: {exc}")
    from webmap import create_app

    app = create_app(
        {"TESTING": True, "LOG_LEVEL": "WARNING", "TILE_MIN_FEATURES": 0, "VERSION_TTL": 0}
    )
    return app.test_client()


def _park_tile(client: Any) -> tuple[str, Any]:
    x, y = tile_for(116.383, 39.924, 14)  # Beihai Park
    url = f"/tiles/parks/14/{x}/{y}.mvt"
    return url, client.get(url)


def test_route_serves_mvt_with_etag_and_304(client: Any) -> None:
    url, r = _park_tile(client)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    layer = _decode(r.data)["parks"]
    assert any(f["properties"].get("_key") == "beihai_park" for f in layer["features"])
    tag = r.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/tiles/nope/1/0/0.mvt", "layer"),
        ("/tiles/parks/x/0/0.mvt", "z"),
        ("/tiles/parks/2/9/0.mvt", "x"),
        ("/tiles/parks/30/0/0.mvt", "z"),
        ("/tiles/gaps/1/0/0.mvt?rule=nope", "rule"),
        ("/tiles/gaps/1/0/0.mvt?year=20x0", "year"),
    ],
)
def test_route_rejects_bad_requests_with_json(client: Any, url: str, param: str) -> None:
    r = client.get(url)
    assert r.status_code == 400
    assert r.json["parameter"] == param and param in r.json["message"]


def test_outside_is_empty_and_feature_attributes_by_key(client: Any) -> None:
    empty = client.get("/tiles/parks/14/0/0.mvt")
    assert empty.status_code == 200 and empty.data == b""
    assert empty.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    r = client.get("/api/features/parks/beihai_park")
    assert r.status_code == 200
    assert r.json["properties"]["name_zh"] == "北海公园"
    assert r.json["properties"]["source"]  # full attributes, not only the tile's
    assert client.get("/api/features/parks/no-such-park").status_code == 404


def test_coverage_layers_are_tiled_per_rule_and_year(client: Any) -> None:
    x, y = tile_for(116.37, 39.91, 11)  # all of Xicheng
    a = client.get(f"/tiles/radii/11/{x}/{y}.mvt?rule=xicheng-2016&year=2024")
    b = client.get(f"/tiles/radii/11/{x}/{y}.mvt?rule=gbt51346-2019&year=2024")
    g = client.get(f"/tiles/gaps/11/{x}/{y}.mvt?rule=xicheng-2016&year=2024")
    assert a.status_code == b.status_code == g.status_code == 200
    assert a.headers["ETag"] != b.headers["ETag"]  # another rule set, another tile set
    gaps = _decode(g.data)["gaps"]["features"]
    assert gaps and all(f["properties"]["_key"].startswith("xicheng-2016:") for f in gaps)


def test_edit_of_a_layer_invalidates_its_tiles(monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed layer (new data version) gets new tiles and ETags; an unchanged one keeps its ETags."""
    from webmap.service import MapService
    from webmap.tiles_api import TileService

    class Loader:
        def __init__(self) -> None:
            self.v = 1
            self.parks = gpd.GeoDataFrame(
                {
                    "park_id": ["p1"],
                    "name_zh": ["甲"],
                    "kind": ["garden"],
                    "source": ["t"],
                    "geometry_quality": ["user"],
                },
                geometry=[_ring(20)],
                crs=4326,
            )
            self.blocks = gpd.GeoDataFrame(
                {
                    "block_id": ["h1"],
                    "name_zh": ["乙"],
                    "source": ["t"],
                    "geometry_quality": ["user"],
                },
                geometry=[_ring(30)],
                crs=4326,
            )

        def read_layer(self, name: str) -> gpd.GeoDataFrame:
            return {"parks": self.parks, "historic_blocks": self.blocks}[name].copy()

        def version(self) -> str:
            return str(self.v)

    loader = Loader()
    svc = MapService(loader, version_ttl=0)  # type: ignore[arg-type]
    ts = TileService(svc, 0, 0)
    x, y = tile_for(LON, LAT, 14)
    p0, h0 = ts.get("parks"), ts.get("historic_blocks")
    tag_p, tag_h = p0.etag(14, x, y), h0.etag(14, x, y)
    assert _decode(p0.tile(14, x, y))["parks"]["features"][0]["properties"]["name_zh"] == "甲"
    loader.parks = loader.parks.assign(name_zh="丙")  # an edit to the parks only
    loader.v = 2
    p1, h1 = ts.get("parks"), ts.get("historic_blocks")
    assert p1 is not p0 and p1.etag(14, x, y) != tag_p
    assert _decode(p1.tile(14, x, y))["parks"]["features"][0]["properties"]["name_zh"] == "丙"
    assert h1 is h0 and h1.etag(14, x, y) == tag_h  # unchanged layer keeps its tiles


def test_import_into_user_data_invalidates_tiles(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An imported layer (GREENMAP_USER_DATA) changes the data version, the tiles and their ETags."""
    import layers
    from layers.io import write_layer

    try:
        parks = layers.read_layer("parks")
    except Exception as exc:  # data not built
        pytest.skip(f"layers not readable: {exc}")
    from webmap import create_app

    monkeypatch.setenv("GREENMAP_USER_DATA", str(tmp_path))
    app = create_app(
        {"TESTING": True, "LOG_LEVEL": "WARNING", "TILE_MIN_FEATURES": 0, "VERSION_TTL": 0}
    )
    c = app.test_client()
    x, y = tile_for(116.383, 39.924, 14)
    url = f"/tiles/parks/14/{x}/{y}.mvt"
    before = c.get(url)
    hist = c.get(f"/tiles/historic_blocks/14/{x}/{y}.mvt")
    renamed = parks.assign(
        name_zh=parks["name_zh"].where(parks["park_id"] != "beihai_park", "北海")
    )
    write_layer(renamed, tmp_path / "xicheng" / "parks.geojson")
    after = c.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    names = {
        f["properties"]["_key"]: f["properties"].get("name_zh")
        for f in _decode(after.data)["parks"]["features"]
    }
    assert names["beihai_park"] == "北海"
    # the historic blocks did not change: same ETag, 304
    again = c.get(
        f"/tiles/historic_blocks/14/{x}/{y}.mvt", headers={"If-None-Match": hist.headers["ETag"]}
    )
    assert again.status_code == 304


def test_threshold_decides_which_layers_are_tiled(client: Any) -> None:
    """Above the thresholds a layer is tiled and not embedded; radii count all rule sets together."""
    from webmap.tiles_api import TileService, tiled_layers

    app = client.application
    svc = app.extensions["greenmap"]
    assert set(tiled_layers(TileService(svc, 0, 0))) >= {"parks", "radii", "residential", "gaps"}
    # the demo's parks are few and small, but all rule sets' radii together pass 100 kB
    only_radii = tiled_layers(TileService(svc, 10**9, 100_000))
    assert "radii" in only_radii and "parks" not in only_radii
    assert tiled_layers(TileService(svc, 10**9, 10**9)) == []
    page = client.get("/").data.decode()
    assert "/tiles/parks/{z}/{x}/{y}.mvt" in page  # the client app tiles everything (threshold 0)
    assert "Leaflet.VectorGrid.bundled.min.js" in page
