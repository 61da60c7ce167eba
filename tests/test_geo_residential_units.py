"""geo.residential_units: residential land cut at the 街道 boundaries."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import box

from geo.residential_units import split_by_units

CRS = "EPSG:32650"


def _units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["a", "b", "c"]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(0, 100, 200, 200)],
        crs=CRS,
    )


def test_a_parcel_on_three_units_becomes_three_pieces_and_keeps_its_people() -> None:
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["p"], "population": [300.0], "note": ["x"]},
        geometry=[box(50, 50, 150, 150)],  # a quarter in a, a quarter in b, half in c
        crs=CRS,
    )
    out = split_by_units(parcels, _units())
    pieces = out.pieces.set_index("subdistrict_code")
    assert sorted(pieces.index) == ["a", "b", "c"]
    assert pieces.loc["c", "parcel_id"] == "p@c"
    assert pieces["population"].to_dict() == pytest.approx({"a": 75.0, "b": 75.0, "c": 150.0})
    assert pieces.geometry.area.sum() == pytest.approx(100 * 100)
    assert (pieces["note"] == "x").all()  # other columns travel with the pieces
    assert out.split.tolist() == [0] and out.outside.tolist() == [] and out.row.tolist() == [0] * 3


def test_touching_is_not_overlapping_and_slivers_are_not_pieces() -> None:
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["edge", "sliver"]},
        geometry=[box(100, 10, 150, 20), box(99.9999, 30, 150, 30.001)],
        crs=CRS,
    )
    out = split_by_units(parcels, _units())
    # 'edge' touches a along x = 100 but lies in b; 'sliver' has 1e-7 m² in a, below 0.01 m²
    assert out.pieces["parcel_id"].tolist() == ["edge", "sliver"]
    assert out.pieces["subdistrict_code"].tolist() == ["b", "b"]
    assert "population" not in out.pieces.columns


def test_parcels_outside_every_unit_are_named_by_row() -> None:
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [1, 2]}, geometry=[box(500, 500, 510, 510), box(10, 10, 20, 20)], crs=CRS
    )
    out = split_by_units(parcels, _units())
    assert out.outside.tolist() == [0]
    assert out.pieces["parcel_id"].tolist() == ["2"]  # ids as text


def test_bad_input_names_the_parameter() -> None:
    parcels = gpd.GeoDataFrame({"parcel_id": ["p"]}, geometry=[box(0, 0, 1, 1)], crs=CRS)
    with pytest.raises(ValueError, match="code_col"):
        split_by_units(parcels, _units(), code_col="adcode")
    with pytest.raises(ValueError, match="id_col"):
        split_by_units(parcels, _units(), id_col="pid")
    with pytest.raises(ValueError, match="different CRSs"):
        split_by_units(parcels.to_crs("EPSG:4326"), _units())
