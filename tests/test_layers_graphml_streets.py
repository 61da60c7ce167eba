"""layers.graphml_streets: an OSMnx GraphML network as the study-area build's street table."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from layers.errors import LayerError
from layers.graphml_streets import read_street_edges


def _graphml(path: Path) -> Path:
    g = nx.MultiDiGraph(crs="epsg:4326")
    for n, (x, y) in {1: (116.36, 39.91), 2: (116.37, 39.91), 3: (116.37, 39.92)}.items():
        g.add_node(n, x=x, y=y)
    # a two-way street: both directions, the same line reversed
    g.add_edge(
        1, 2, osmid="10", name="['西单北大街', '西单南大街']", highway="primary", length=855.2
    )
    g.add_edge(
        2, 1, osmid="10", name="['西单北大街', '西单南大街']", highway="primary", length=855.2
    )
    g.add_edge(
        2, 3, osmid="11", highway="['tertiary', 'residential']", tunnel="yes", bridge="viaduct",
        geometry="LINESTRING (116.37 39.91, 116.371 39.915, 116.37 39.92)",
    )  # fmt: skip
    nx.write_graphml(g, path)
    return path


def test_one_row_per_street_with_names_class_and_flags(tmp_path: Path) -> None:
    edges = read_street_edges(_graphml(tmp_path / "g.graphml"))
    assert len(edges) == 2  # the two directions of street 10 are one row
    first, second = edges.iloc[0], edges.iloc[1]
    assert first["name"] == "西单北大街" and first["names"] == "西单北大街;西单南大街"
    assert first["highway"] == "primary" and first["length"] == pytest.approx(855.2)
    assert not first["tunnel"] and not first["bridge"]
    assert pd.isna(second["name"]) and second["highway"] == "tertiary"
    assert second["tunnel"] and second["bridge"]  # bridge=viaduct is a bridge
    assert len(second.geometry.coords) == 3  # the WKT geometry, not the straight line
    assert edges.crs.equals("EPSG:4326")


def test_not_graphml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "streets.graphml"
    bad.write_text("<html>not a graph</html>", encoding="utf-8")
    with pytest.raises(LayerError, match=r"streets\.graphml"):
        read_street_edges(bad)
