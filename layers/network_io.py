"""Street networks for walking-distance coverage: OSMnx GraphML, OSM PBF (pyrosm), shapefile roads.

:func:`read_network` reads a network file into edges (and nodes) in WGS-84; :func:`street_graph`
projects it to a metric CRS, applies the barrier rules (:mod:`geo.netbarriers`) and builds the
:class:`geo.netgraph.StreetGraph`, cached in memory per (file, modification time, CRS, barriers).

A study area names its network in its TOML ``[network]`` table (``path``, ``format`` =
``graphml`` | ``pbf`` | ``shp``, ``mode`` = ``drive`` | ``walk``, ``note``); see
:meth:`layers.studyarea.StudyArea.network_path`. A ``drive`` network has no footways or paths,
so walking distances on it are upper bounds (the notes say so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.netbarriers import apply_barriers
from geo.netgraph import StreetGraph, build_graph
from layers.errors import LayerError, Problem
from layers.graphml import edge_geometries, read_graphml_file

__all__ = [
    "FORMATS",
    "NetworkData",
    "read_graphml",
    "read_network",
    "read_pbf_walk",
    "read_roads",
    "street_graph",
]

FORMATS = ("graphml", "pbf", "shp")
DRIVE_NOTE = (
    "drive network (no footways, paths or hutong lanes): walking distances are upper bounds and "
    "network coverage a lower bound"
)


@dataclass
class NetworkData:
    """A street network as read from a file (EPSG:4326).

    Attributes
    ----------
    edges : GeoDataFrame
        LineStrings with ``u``, ``v`` (absent for shapefile roads), ``highway``, ``bridge``,
        ``tunnel``.
    nodes : GeoDataFrame or None
        Node points indexed by node id.
    fmt, mode : str
        File format and ``drive`` / ``walk``.
    source : str
        The file.
    notes : list of str
    """

    edges: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame | None
    fmt: str
    mode: str
    source: str
    notes: list[str] = field(default_factory=list)


def _err(path: Path | str, msg: str, fld: str | None = None) -> LayerError:
    return LayerError([Problem(str(path), None, fld, msg)])


def read_graphml(path: str | Path) -> NetworkData:
    """An OSMnx GraphML file (as ``osmnx.save_graphml`` writes it), without needing OSMnx.

    Node ``x``/``y`` (lon/lat), edge ``geometry`` (WKT; a straight line between the nodes when
    absent), ``highway``, ``bridge``, ``tunnel``, ``length``. Parsed with the standard library's
    XML parser (``networkx.read_graphml`` gives the same graph, more slowly).
    """
    p = Path(path)
    g = read_graphml_file(p)
    cols = ("u", "v", "highway", "bridge", "tunnel", "name", "osmid")
    df = pd.DataFrame({c: g.attr(c).tolist() for c in cols})
    df["length_osm"] = [float(v or "nan") for v in g.attr("length")]
    nodes = gpd.GeoDataFrame(
        index=pd.Index(g.node_id, name="osmid"), geometry=shapely.points(g.x, g.y), crs=g.crs
    )
    edges = gpd.GeoDataFrame(df, geometry=edge_geometries(g), crs=g.crs)
    return NetworkData(edges, nodes, "graphml", "drive", str(p))


def read_pbf_walk(path: str | Path, bounding_box: list[float] | None = None) -> NetworkData:
    """The walking network of an OSM PBF extract through pyrosm (``network_type="walking"``)."""
    try:
        import pyrosm
    except ImportError:
        raise _err(path, "reading PBF needs pyrosm (pip install 'greenmap-xicheng[osm]')") from None
    p = Path(path)
    if not p.is_file():
        raise _err(p, "file not found")
    osm = pyrosm.OSM(str(p), bounding_box=bounding_box)
    res = osm.get_network(network_type="walking", nodes=True)
    if res is None:
        raise _err(p, "no walking network in this extract")
    nodes, edges = res
    nodes = nodes.set_index("id")
    keep = [
        c for c in ("u", "v", "highway", "bridge", "tunnel", "name", "id", "length") if c in edges
    ]
    e = gpd.GeoDataFrame(edges[keep], geometry=edges.geometry.values, crs=edges.crs or "EPSG:4326")
    e = e.rename(columns={"length": "length_osm", "id": "osmid"})
    return NetworkData(e, nodes[["geometry"]], "pbf", "walk", str(p))


def read_roads(path: str | Path) -> NetworkData:
    """Shapefile (or any OGR vector) road lines; nodes are the segment end points."""
    p = Path(path)
    if not p.exists():
        raise _err(p, "file not found")
    try:
        gdf = gpd.read_file(p)
    except Exception as e:  # pyogrio raises DataSourceError & co.
        raise _err(p, f"cannot read: {e}") from None
    if gdf.crs is None:
        raise _err(p, "no CRS (.prj missing)")
    gdf = gdf.explode(index_parts=False).reset_index(drop=True)
    lt = gdf.geom_type.isin(["LineString"])
    if not lt.all():
        raise _err(p, f"{int((~lt).sum())} non-line feature(s)", "geometry")
    for c in ("u", "v"):
        if c in gdf.columns:
            gdf = gdf.drop(columns=c)
    if "fclass" in gdf.columns and "highway" not in gdf.columns:  # Geofabrik/BBBike shapefiles
        gdf["highway"] = gdf["fclass"]
    for c in ("bridge", "tunnel"):
        if c not in gdf.columns:
            gdf[c] = None
        else:
            gdf[c] = gdf[c].map(
                lambda x: "yes" if str(x).upper() in ("T", "Y", "YES", "1") else None
            )
    return NetworkData(gdf, None, "shp", "walk", str(p))


def read_network(path: str | Path, fmt: str | None = None, mode: str | None = None) -> NetworkData:
    """Read a street network file.

    Parameters
    ----------
    path : str or Path
    fmt : {"graphml", "pbf", "shp"}, optional
        Default from the suffix (``.graphml``, ``.pbf``, anything else: OGR vector).
    mode : {"drive", "walk"}, optional
        Overrides the format's default (GraphML: ``drive`` as OSMnx ships Xicheng; PBF: ``walk``).

    Raises
    ------
    LayerError
        Naming the file and the problem.
    """
    p = Path(path)
    f = fmt or (
        "graphml" if p.suffix == ".graphml" else "pbf" if p.name.endswith(".pbf") else "shp"
    )
    if f not in FORMATS:
        raise _err(p, f"unknown network format {f!r}; one of {', '.join(FORMATS)}", "format")
    data = {"graphml": read_graphml, "pbf": read_pbf_walk, "shp": read_roads}[f](p)
    if mode is not None:
        if mode not in ("drive", "walk"):
            raise _err(p, f"mode must be 'drive' or 'walk', got {mode!r}", "mode")
        data.mode = mode
    if data.mode == "drive":
        data.notes.append(DRIVE_NOTE)
    return data


_CACHE: dict[str, StreetGraph] = {}


def street_graph(
    data: NetworkData | str | Path,
    metric_crs: str,
    *,
    barriers: gpd.GeoDataFrame | None = None,
    use_barriers: bool = True,
    fmt: str | None = None,
    mode: str | None = None,
    water: gpd.GeoDataFrame | None = None,
) -> StreetGraph:
    """The walking graph of a network in ``metric_crs``, barrier rules applied, cached in memory.

    Parameters
    ----------
    data : NetworkData or path
    metric_crs : str
        Projected CRS (metres).
    barriers : GeoDataFrame, optional
        Barrier lines (railways, rivers, canals), any CRS; with ``use_barriers``.
    use_barriers : bool
        Apply :func:`geo.netbarriers.apply_barriers` (motorway/trunk edges and unbridged crossings
        removed).
    fmt, mode : str, optional
        As for :func:`read_network` when ``data`` is a path.
    water : GeoDataFrame, optional
        Water areas; river/canal barrier lines away from open water (culverts) are dropped.
    """
    key = None
    if not isinstance(data, NetworkData):
        p = Path(data)
        st = p.stat() if p.exists() else None
        bkey = ""
        if barriers is not None and use_barriers:
            bkey = str([len(barriers), *barriers.total_bounds.tolist()])
            if water is not None:
                bkey += str([len(water), *water.total_bounds.tolist()])
        key = (
            f"{p.resolve()}|{st.st_mtime_ns if st else 0}|{metric_crs}|{use_barriers}|{bkey}|{mode}"
        )
        if key in _CACHE:
            return _CACHE[key]
        data = read_network(p, fmt, mode)
    edges = data.edges.to_crs(metric_crs)
    nodes = data.nodes.to_crs(metric_crs) if data.nodes is not None else None
    g = build_graph(edges, nodes=nodes)
    g.notes = list(data.notes) + g.notes
    if use_barriers:
        b = barriers.to_crs(metric_crs) if barriers is not None and len(barriers) else None
        w = water.to_crs(metric_crs) if water is not None and len(water) else None
        g = apply_barriers(g, b, water=w)
    if key is not None:
        _CACHE[key] = g
    return g
