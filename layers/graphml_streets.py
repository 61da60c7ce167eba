"""The streets of an OSMnx GraphML network as a table of lines, for the study-area build.

:func:`read_street_edges` reads the file through :mod:`layers.graphml` (no OSMnx needed) and keeps what the
build's ``streets`` layer and its checks use: names (OSMnx writes several as ``"['a', 'b']"``), the
highway class, tunnel and bridge flags, one row per street (the two directions of a two-way street once).
"""

from __future__ import annotations

import ast
import os

import geopandas as gpd
import pandas as pd
import shapely

from layers.graphml import edge_geometries, read_graphml_file

__all__ = ["read_street_edges"]


def _names(value: str | None) -> list[str]:
    """The names of an OSMnx attribute: one, or a written list of several.

    >>> _names("['西单北大街', '西单南大街']"), _names("长安街"), _names(None)
    (['西单北大街', '西单南大街'], ['长安街'], [])
    """
    if not value:
        return []
    text = value.strip()
    if text.startswith("["):
        try:
            items = ast.literal_eval(text)
            return [str(v).strip() for v in items if str(v).strip()]
        except (ValueError, SyntaxError):
            pass
    return [text]


def read_street_edges(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """The edges of an OSMnx GraphML street network as lines (EPSG:4326), one row per undirected edge.

    Columns: ``u``, ``v``, ``osmid``, ``name`` (the first name; OSMnx lists several as ``"['a', 'b']"``),
    ``names`` (all), ``highway`` (the first value), ``length`` (m, as OSMnx computed it), ``tunnel``
    (bool), ``bridge`` (bool). Edges without a ``geometry`` get the straight line between their nodes. The
    two directions of a two-way street are one row.

    Raises
    ------
    LayerError
        The file is missing or not GraphML (the message names the file and the element at fault).
    """
    g = read_graphml_file(path)
    geoms = edge_geometries(g)
    rows = g.edges.to_dict("records")
    names = [_names(r.get("name")) for r in rows]
    hw = [(_names(r.get("highway")) or [""])[0] for r in rows]
    out = gpd.GeoDataFrame(
        {
            "u": [r["u"] for r in rows],
            "v": [r["v"] for r in rows],
            "osmid": [r.get("osmid") or "" for r in rows],
            "name": [n[0] if n else None for n in names],
            "names": [";".join(n) for n in names],
            "highway": hw,
            "length": pd.to_numeric(pd.Series([r.get("length") for r in rows]), errors="coerce"),
            "tunnel": [str(r.get("tunnel") or "").lower() in ("yes", "true", "1") for r in rows],
            "bridge": [str(r.get("bridge") or "").lower() not in ("", "no", "false") for r in rows],
        },
        geometry=geoms,
        crs=g.crs,
    )
    key = shapely.to_wkb(shapely.normalize(out.geometry.values))
    return out[~pd.Series(key).duplicated().to_numpy()].reset_index(drop=True)
