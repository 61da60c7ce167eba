"""Tolerant, honest import (layers.repair) on small synthetic files with the faults of real ones."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from greenmap.cli import main
from layers import load_file
from layers.errors import LayerError
from layers.repair import Tally, clip_to, dedupe_ids, read_json_lenient, repair_invalid

LON, LAT = 116.36, 39.91


def _ring(dx: float = 0.0, w: float = 0.002, closed: bool = True) -> list[list[float]]:
    ring = [[LON + dx, LAT], [LON + dx + w, LAT], [LON + dx + w, LAT + w], [LON + dx, LAT + w]]
    return [*ring, ring[0]] if closed else ring


def _geojson(path: Path, feats: list[tuple[dict, list]]) -> Path:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Polygon", "coordinates": rings},
            }
            for props, rings in feats
        ],
    }
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _park(i: int, name: str | None = "园") -> dict:
    return {
        "park_id": f"p{i}",
        "name_zh": name,
        "kind": "garden",
        "source": "t",
        "geometry_quality": "user",
    }


def test_unclosed_rings_closed_and_reported(tmp_path: Path) -> None:
    path = _geojson(
        tmp_path / "u.geojson", [(_park(1), [_ring(closed=False)]), (_park(2), [_ring(0.003)])]
    )
    with pytest.raises(Exception):  # noqa: B017 - GDAL itself refuses the file
        gpd.read_file(path, engine="pyogrio")
    res = load_file(path, "parks")
    assert res.gdf.geometry.is_valid.all() and len(res.gdf) == 2
    assert any("closed unclosed polygon rings of 1 features (rows 1)" in c for c in res.changes)
    gdf, notes = read_json_lenient(path)
    assert gdf.geometry.iloc[0].exterior.is_closed and len(notes) == 1


def test_degenerate_ring_removed_then_dropped_when_tolerant(tmp_path: Path) -> None:
    degenerate = [[LON, LAT], [LON + 0.001, LAT]]
    feats = [
        (_park(1) | {"geometry_quality": "user"}, [degenerate]),
        (_park(2), [_ring(0.003)]),
    ]
    path = _geojson(tmp_path / "d.geojson", feats)
    gdf, notes = read_json_lenient(path)
    assert gdf.geometry.iloc[0] is None and "degenerate" in notes[1]
    from layers.schema import SCHEMAS

    res = load_file(
        path,
        SCHEMAS["residential"],
        tolerant=True,
        column_map={"park_id": "parcel_id"},
        extra="drop",
    )
    assert list(res.gdf["parcel_id"]) == ["p2"]
    assert any("without geometry (rows 1)" in c for c in res.changes)


def test_unnamed_labelled_and_duplicates_suffixed_only_when_tolerant(tmp_path: Path) -> None:
    feats = [
        (_park(1, None), [_ring()]),
        (_park(1, "景山"), [_ring(0.003)]),
        (_park(3, " "), [_ring(0.006)]),
    ]
    path = _geojson(tmp_path / "n.geojson", feats)
    with pytest.raises(LayerError) as exc:
        load_file(path, "parks")
    assert {(p.row, p.field) for p in exc.value.problems} >= {(1, "name_zh"), (2, "park_id")}
    res = load_file(path, "parks", tolerant=True)
    assert res.gdf["park_id"].tolist() == ["p1", "p1#2", "p3"]
    assert res.gdf["name_zh"].tolist() == [
        "未命名公园绿地 unnamed parks and green spaces · p1",
        "景山",
        "未命名公园绿地 unnamed parks and green spaces · p3",
    ]
    assert any("duplicate park_id" in c for c in res.changes)
    assert any("2 features without a name" in c for c in res.changes)


def test_bowtie_repaired_and_counted() -> None:
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    out, mask, why = repair_invalid(np.array([bowtie, shapely.box(0, 0, 1, 1)], dtype=object))
    assert mask.tolist() == [True, False]
    assert out[0].is_valid and out[0].area == pytest.approx(2.0)
    assert out[0].geom_type in ("Polygon", "MultiPolygon") and "Self-intersection" in why[0]


def test_absurd_feature_dropped_crossing_feature_clipped(tmp_path: Path) -> None:
    res = gpd.GeoDataFrame(
        {"parcel_id": ["ok", "huge", "edge", "far"], "source": "t", "geometry_quality": "user"},
        geometry=[
            shapely.box(LON, LAT, LON + 0.002, LAT + 0.002),
            shapely.box(116.30, 39.85, 116.41, 39.98),  # ~ 9.4 km x 14 km: absurd for one parcel
            shapely.box(116.415, LAT, 116.43, LAT + 0.002),  # crosses the east edge of the extent
            shapely.box(116.50, LAT, 116.51, LAT + 0.002),  # wholly outside
        ],
        crs="EPSG:4326",
    )
    path = tmp_path / "r.gpkg"
    res.to_file(path, engine="pyogrio")
    with pytest.raises(LayerError, match="outside the study area"):
        load_file(path, "residential")
    out = load_file(path, "residential", tolerant=True)
    assert out.gdf["parcel_id"].tolist() == ["ok", "edge"]
    assert out.gdf.geometry.iloc[1].bounds[2] == pytest.approx(116.42)
    text = "\n".join(out.changes)
    assert "row 2 (parcel_id huge): dropped, spans" in text and "max_extent_m = 10000" in text
    assert "row 4 (parcel_id far): dropped, wholly outside" in text
    assert "clipped 1 features crossing the study extent" in text


def test_wrong_crs_still_fails_when_tolerant(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["a", "b"], "source": "t", "geometry_quality": "user"},
        geometry=[shapely.box(LAT, LON, LAT + 0.001, LON + 0.001)] * 2,  # swapped axes
        crs="EPSG:4326",
    )
    path = tmp_path / "s.geojson"
    gdf.to_file(path, engine="pyogrio")
    with pytest.raises(LayerError, match="wrong CRS"):
        load_file(path, "residential", tolerant=True)


def test_unreadable_file_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(LayerError) as exc:
        load_file(path, "parks", tolerant=True)
    assert str(path) in str(exc.value) and "cannot read file" in str(exc.value)
    bad = _geojson(
        tmp_path / "b.geojson", [(_park(1), [_ring()]), (_park(2), [[[LON, "x"], [1, 2], [3, 4]]])]
    )
    with pytest.raises(LayerError) as exc:
        load_file(bad, "parks")
    assert [p.row for p in exc.value.problems] == [2]  # the row of the bad coordinates


def test_cli_import_tolerant_by_default_strict_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _geojson(
        tmp_path / "n.geojson",
        [(_park(1, None), [_ring(closed=False)]), (_park(1), [_ring(0.003)])],
    )
    args = ["import", "parks", str(path), "--user-data", str(tmp_path / "u")]
    assert main([*args, "--strict"]) == 2
    assert "duplicate key" in capsys.readouterr().err
    assert not (tmp_path / "u" / "xicheng" / "parks.geojson").exists()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "imported 2 features" in out and "closed unclosed" in out and "unnamed" in out


def test_small_helpers() -> None:
    assert dedupe_ids(["a", "a#2", "a"])[0].tolist() == ["a", "a#2", "a#3"]
    g, cut, _out = clip_to(
        np.array([shapely.LineString([(0, 0), (20, 0)])], dtype=object),
        shapely.box(-1, -1, 10, 1),
        "line",
    )
    assert cut.tolist() == [True] and g[0].length == pytest.approx(10)
    t = Tally("parks", read=3)
    t.drop(2, "outside", ["a", "b"])
    assert t.as_row()["dropped"] == 2 and t.reasons == ["dropped 2: outside (a, b)"]
