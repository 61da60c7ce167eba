"""The one GraphML reader (:mod:`layers.graphml`): layout, geometry and the errors it names."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from layers.errors import LayerError
from layers.graphml import edge_geometries, read_graphml_file


def _write(path: Path, **graph_attrs: str) -> Path:
    g = nx.MultiDiGraph(**graph_attrs)
    g.add_node("a", x=500000.0, y=4400000.0)
    g.add_node("b", x=500100.0, y=4400000.0)
    g.add_node("c", x=500100.0, y=4400050.0)
    g.add_edge(
        "a",
        "b",
        name="甲街",
        geometry="LINESTRING (500000 4400000, 500050 4400010, 500100 4400000)",
    )
    g.add_edge("b", "c", highway="residential")  # no geometry, no name
    nx.write_graphml(g, path)
    return path


def test_reads_crs_nodes_and_edges_in_file_order(tmp_path: Path) -> None:
    d = read_graphml_file(_write(tmp_path / "g.graphml", crs="EPSG:4548"))
    assert d.crs == "EPSG:4548"
    assert d.node_id == ["a", "b", "c"]
    assert d.x.tolist() == [500000.0, 500100.0, 500100.0]
    assert d.edges[["u", "v"]].values.tolist() == [["a", "b"], ["b", "c"]]
    # absent attributes are None, not NaN or ""
    assert d.edges["name"].tolist() == ["甲街", None]
    assert d.edges["highway"].tolist() == [None, "residential"]


def test_crs_defaults_to_wgs84(tmp_path: Path) -> None:
    assert read_graphml_file(_write(tmp_path / "g.graphml")).crs == "EPSG:4326"


def test_geometry_from_wkt_else_node_to_node(tmp_path: Path) -> None:
    geoms = edge_geometries(read_graphml_file(_write(tmp_path / "g.graphml")))
    assert len(geoms[0].coords) == 3  # the WKT kept, curve and all
    assert np.allclose(np.asarray(geoms[1].coords), [[500100, 4400000], [500100, 4400050]])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<graphml><graph", "not valid GraphML/XML"),
        ('<graphml xmlns="http://graphml.graphdrawing.org/xmlns"></graphml>', "no <graph> element"),
        (
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph>'
            '<node id="n1"/></graph></graphml>',
            "node 'n1' without x/y",
        ),
        (
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
            '<key id="d0" for="node" attr.name="x"/><key id="d1" for="node" attr.name="y"/><graph>'
            '<node id="n1"><data key="d0">1</data><data key="d1">2</data></node></graph></graphml>',
            "no edges",
        ),
    ],
)
def test_errors_name_the_file_and_the_fault(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "bad.graphml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(LayerError, match=message) as err:
        read_graphml_file(p)
    assert "bad.graphml" in str(err.value)


def test_missing_file_and_unknown_node(tmp_path: Path) -> None:
    with pytest.raises(LayerError, match=r"nope\.graphml.*file not found"):
        read_graphml_file(tmp_path / "nope.graphml")
    p = tmp_path / "g.graphml"
    p.write_text(
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        '<key id="d0" for="node" attr.name="x"/><key id="d1" for="node" attr.name="y"/><graph>'
        '<node id="n1"><data key="d0">1</data><data key="d1">2</data></node>'
        '<edge source="n1" target="n9"/></graph></graphml>',
        encoding="utf-8",
    )
    with pytest.raises(LayerError, match="edge refers to unknown node 'n9'"):
        edge_geometries(read_graphml_file(p))
