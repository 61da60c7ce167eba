"""layers.osm_polygons and layers.osm_common: the shared pipeline of the OSM polygon layers.

One made-up extract, in metres around a point of Xicheng, with one feature per thing that can go
wrong: a point in a polygon theme, a self-intersecting ring, a feature larger than ``max_extent_m``,
one outside the district, one crossing its edge, one without a name and a clockwise ring.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from layers.osm_common import OSM_SHORT, dedupe, drop_rows, source_labels, to_metric, to_wgs
from layers.osm_extract import Extract
from layers.osm_polygons import BuildContext, polygon_layer
from layers.repair import Tally

CRS = "EPSG:32650"  # UTM 50N, metres
X0, Y0 = 442_000.0, 4_418_000.0  # near 西单
DISTRICT = shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)


def _box(x: float, y: float, w: float, h: float) -> shapely.Polygon:
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def _rows() -> gpd.GeoDataFrame:
    bowtie = shapely.Polygon(
        [(X0 + 600, Y0 + 600), (X0 + 700, Y0 + 700), (X0 + 700, Y0 + 600), (X0 + 600, Y0 + 700)]
    )
    clockwise = shapely.Polygon(list(_box(100, 600, 100, 100).exterior.coords)[::-1])
    geoms = [
        _box(100, 100, 100, 100),  # 1 kept whole
        shapely.Point(X0 + 500, Y0 + 500),  # 2 not a polygon
        bowtie,  # 3 repaired
        _box(-20_000, -20_000, 40_000, 40_000),  # 4 spans 40 km: absurd
        _box(3000, 3000, 100, 100),  # 5 outside
        _box(900, 100, 200, 100),  # 6 crosses the east edge: clipped to half
        clockwise,  # 7 clockwise ring, no name
    ]
    names = ["甲园", "点", "蝴蝶", "太大", "外面", "跨界", None]
    return gpd.GeoDataFrame(
        {
            "osm_id": [str(i) for i in range(1, 8)],
            "element": "way",
            "name": names,
            "value": "park",
            "key": "",
            "theme": "landuse",
        },
        geometry=gpd.GeoSeries(geoms, crs=CRS).to_crs("EPSG:4326").values,
        crs="EPSG:4326",
    )


def _extract() -> Extract:
    return Extract(Path("/data/beijing-shp"), "bbbike")


def test_polygon_layer_counts_every_repair_drop_and_clip() -> None:
    tally = Tally("parks")
    out, keep = polygon_layer(
        _extract(), _rows(), "parks", tally, CRS, DISTRICT, {"max_extent_m": 10000}, "未命名公园"
    )
    assert list(out["osm_id"]) == ["1", "3", "6", "7"]
    assert keep.sum() == 4 and len(keep) == 6  # the point was dropped before
    assert (tally.repaired, tally.clipped, tally.dropped) == (1, 1, 3)
    text = "\n".join(tally.reasons)
    assert "not a polygon" in text
    assert "osm:way/4 spans 40.0 km" in text
    assert "outside the district" in text
    assert "2 exterior rings clockwise" in text  # no. 7 and the bow-tie (no orientation)
    assert "repaired 1 invalid geometries with make_valid" in text and "osm:way/3" in text
    crossing = out.set_index("osm_id").loc["6"]
    assert np.isclose(crossing.geometry.area, 100 * 100, rtol=1e-6)  # half of 200 × 100 inside
    assert np.isclose(crossing["full_area_m2"], 200 * 100, rtol=1e-6)  # the whole feature's area
    assert out.set_index("osm_id").loc["7", "label"].startswith("未命名公园 · osm:way/7")
    assert out.crs.equals(CRS)


def test_polygon_layer_of_nothing_is_an_empty_frame_with_the_columns() -> None:
    out, keep = polygon_layer(
        _extract(), _rows().iloc[:0], "parks", Tally("parks"), CRS, DISTRICT, {}, "x"
    )
    assert len(out) == 0 and len(keep) == 0
    assert {"ref", "label", "full_area_m2"} <= set(out.columns)


def test_context_clips_to_the_district_plus_the_rule_margin() -> None:
    units = gpd.GeoDataFrame({"code": ["a"], "name_zh": ["甲"]}, geometry=[DISTRICT], crs=CRS)
    ctx = BuildContext(_extract(), {"unnamed": {"parks": "无名"}}, CRS, DISTRICT, units)
    assert ctx.region(0) is DISTRICT
    assert ctx.label("parks", "default") == "无名" and ctx.label("water", "水") == "水"
    tally = Tally("parks")
    out, _ = ctx.polygons(_rows(), "parks", tally, {"clip_margin_m": 200}, 0, "unused")
    # 200 m of margin takes the crossing park whole; the one 2 km out stays outside
    assert np.isclose(out.set_index("osm_id").loc["6"].geometry.area, 200 * 100, rtol=1e-6)
    assert "5" not in set(out["osm_id"])
    assert "dropped 1: outside the district plus 200 m" in tally.reasons
    assert out.set_index("osm_id").loc["7", "label"].startswith("无名")


def test_common_helpers() -> None:
    rows = _rows()
    labels = source_labels(_extract(), rows, rows["osm_id"].isin(["1", "2"]).to_numpy())
    assert labels == [f"{OSM_SHORT} · bbbike extract beijing-shp: landuse type=park"] * 2
    tally = Tally("x")
    left = drop_rows(rows, np.array([True] + [False] * 6), tally, "why")
    assert len(left) == 6 and tally.dropped == 1 and tally.reasons == ["dropped 1: why"]
    assert list(dedupe(np.array(["a", "b", "a"], dtype=object), tally)) == ["a", "b", "a#2"]
    m = to_metric(rows.geometry.values[:1], CRS)
    assert np.isclose(shapely.area(m[0]), 100 * 100, rtol=1e-6)
    assert to_wgs(m, CRS).crs.equals("EPSG:4326")
