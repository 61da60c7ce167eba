"""layers/network_io.py: GraphML (OSMnx layout), shapefile roads, errors naming the file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import pytest
from shapely import LineString

from layers.errors import LayerError
from layers.network_io import read_network, street_graph


def _graphml(path: Path) -> Path:
    g = nx.MultiDiGraph(crs="epsg:4326")
    g.add_node(1, x="116.38", y="39.90")
    g.add_node(2, x="116.381", y="39.90")
    g.add_node(3, x="116.381", y="39.901")
    # a two-way street with a curved geometry (both directions), a one-way straight one without
    wkt = "LINESTRING (116.38 39.9, 116.3805 39.9001, 116.381 39.9)"
    g.add_edge(1, 2, highway="residential", geometry=wkt, length="86.0")
    back = "LINESTRING (116.381 39.9, 116.3805 39.9001, 116.38 39.9)"
    g.add_edge(2, 1, highway="residential", geometry=back, length="86.0")
    g.add_edge(2, 3, highway="trunk", bridge="yes")
    nx.write_graphml(g, path)
    return path


def test_graphml_in_the_osmnx_layout(tmp_path: Path) -> None:
    p = _graphml(tmp_path / "g.graphml")
    data = read_network(p)
    assert data.fmt == "graphml" and data.mode == "drive" and "upper bounds" in data.notes[0]
    assert data.nodes is not None and len(data.edges) == 3 and len(data.nodes) == 3
    assert data.edges["geometry"].iloc[2].equals(LineString([(116.381, 39.90), (116.381, 39.901)]))
    g = street_graph(p, "EPSG:4548", use_barriers=False)
    assert g.n_edges == 2  # the two directions of the two-way street merged
    assert bool(g.edges["bridge"].iloc[1]) and g.edges["highway"].iloc[1] == "trunk"
    gb = street_graph(p, "EPSG:4548")  # trunk roads are not walkable
    assert gb.n_edges == 1


def test_shapefile_roads_are_noded_at_their_ends(tmp_path: Path) -> None:
    roads = gpd.GeoDataFrame(
        {"fclass": ["residential", "footway"], "bridge": ["F", "T"]},
        geometry=[LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 50)])],
        crs="EPSG:4548",
    )
    p = tmp_path / "roads.shp"
    roads.to_file(p)
    data = read_network(p)
    assert data.fmt == "shp" and data.mode == "walk"
    g = street_graph(data, "EPSG:4548", use_barriers=False)
    assert g.n_nodes == 3 and g.n_edges == 2 and g.edges["bridge"].tolist() == [False, True]


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(LayerError, match=r"nope\.graphml.*file not found"):
        read_network(tmp_path / "nope.graphml")
    bad = tmp_path / "bad.graphml"
    bad.write_text("<graphml><graph>", encoding="utf-8")
    with pytest.raises(LayerError, match=r"bad\.graphml.*not valid GraphML"):
        read_network(bad)
    with pytest.raises(LayerError, match="unknown network format"):
        read_network(bad, fmt="osm")
