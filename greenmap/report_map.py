"""The coverage map of the planning-meeting report, drawn offline.

Drawn with matplotlib/GeoPandas on its own Agg canvas (pyplot's backend is left alone; no network) and
returned as PNG bytes at print resolution (300 dpi by default). Map inputs are GeoDataFrames in the study area's projected metric CRS
(metres; EPSG:4548 for Xicheng), so the scale bar is exact in map units; the north arrow points to grid
north (in Xicheng the grid convergence of EPSG:4548 is about 0.4°).

>>> from shapely.geometry import box
>>> sub = gpd.GeoDataFrame({"code": ["1"], "name_zh": ["甲街道"], "geometry_quality": ["approximate"]},
...     geometry=[box(0, 0, 2000, 1500)], crs="EPSG:4548")
>>> png = draw_map(MapLayers(district=sub, subdistricts=sub), dpi=30)
>>> png[:4] == b"\\x89PNG"
True
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

# the chart and the furniture live in their own modules; imported here by their old names
from greenmap.report_chart import draw_series_chart
from greenmap.report_figure import (
    FIGURE_LOCK,
    FONTS,
    figure_legend,
    nice_length,
    north_arrow,
    raster,
    scale_bar,
)

__all__ = ["STATUS_STYLE", "MapLayers", "draw_map", "draw_series_chart", "nice_length"]

#: Colour and bilingual label of each project status.
STATUS_STYLE: dict[str, tuple[str, str]] = {
    "planned": ("#3b6fb6", "计划 planned"),
    "under_way": ("#e08a00", "实施中 under way"),
    "done": ("#2e8b3a", "已完成 done"),
    "unknown": ("#888888", "未知 unknown"),
}
_APPROX = "approximate"


@dataclass
class MapLayers:
    """What the map shows; every layer optional except the district, all in one metric CRS.

    Attributes
    ----------
    district : GeoDataFrame
        District outline.
    subdistricts : GeoDataFrame, optional
        街道 (``code``, ``name_zh``, ``geometry_quality``).
    residential : GeoDataFrame, optional
        Residential land (drawn light; the covered part is where it lies under a service area).
    uncovered : GeoDataFrame, optional
        Residential land outside every service area (:func:`geo.gaps.uncovered`).
    service : GeoDataFrame, optional
        Service areas (:func:`geo.indicator.service_radius_layer`).
    parks, historic_blocks, projects, candidates : GeoDataFrame, optional
        Parks, historic blocks, projects (``status``), candidate sites (``rank``).
    focus : str, optional
        Code of the 街道 to zoom to and highlight; ``None`` shows the whole district.
    attribution : str
        Source and licence line printed under the map.
    legend : bool
        Draw the legend (the district report draws it once, on its first map).
    """

    district: gpd.GeoDataFrame
    subdistricts: gpd.GeoDataFrame | None = None
    residential: gpd.GeoDataFrame | None = None
    uncovered: gpd.GeoDataFrame | None = None
    service: gpd.GeoDataFrame | None = None
    parks: gpd.GeoDataFrame | None = None
    historic_blocks: gpd.GeoDataFrame | None = None
    projects: gpd.GeoDataFrame | None = None
    candidates: gpd.GeoDataFrame | None = None
    focus: str | None = None
    attribution: str = ""
    legend: bool = True


def _present(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if gdf is None or len(gdf) == 0:
        return None
    g = np.asarray(gdf.geometry.values)
    keep = ~(shapely.is_missing(g) | shapely.is_empty(g))
    return gdf[keep] if keep.any() else None


def _in_view(gdf: gpd.GeoDataFrame | None, view: shapely.Geometry) -> gpd.GeoDataFrame | None:
    gdf = _present(gdf)
    if gdf is None:
        return None
    hit = shapely.intersects(np.asarray(gdf.geometry.values), view)
    return gdf[hit] if hit.any() else None


def _approx_mask(gdf: gpd.GeoDataFrame) -> np.ndarray:
    if "geometry_quality" not in gdf.columns:
        return np.zeros(len(gdf), bool)
    return (gdf["geometry_quality"].astype(str) == _APPROX).to_numpy()


def _edges(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The outlines of polygons, keeping ``geometry_quality``."""
    q = gdf["geometry_quality"].to_numpy() if "geometry_quality" in gdf.columns else None
    return gpd.GeoDataFrame(
        {"geometry_quality": q if q is not None else [""] * len(gdf)},
        geometry=shapely.boundary(np.asarray(gdf.geometry.values)),
        crs=gdf.crs,
    )


def _draw(ax: Any, gdf: gpd.GeoDataFrame, **kw: Any) -> None:
    """Draw ``gdf``: approximate features with a dashed edge (and hatched when filled)."""
    approx = _approx_mask(gdf)
    polys = shapely.get_type_id(np.asarray(gdf.geometry.values)) >= 3
    hatch = kw.pop("approx_hatch", None)
    for sel, dashed in ((~approx, False), (approx, True)):
        part = gdf[sel]
        if not len(part):
            continue
        style = dict(kw)
        if dashed:
            style["linestyle"] = (0, (3, 2))
            if hatch and polys[sel].all():
                style["hatch"] = hatch
        part.plot(ax=ax, **style)


def draw_map(
    layers: MapLayers,
    *,
    width_in: float = 7.0,
    height_in: float = 6.2,
    dpi: int = 300,
    fmt: str = "png",
) -> bytes:
    """The report map as PNG (or JPEG) bytes.

    Parameters
    ----------
    layers : MapLayers
        Layers in one projected metric CRS (metres).
    width_in, height_in : float
        Figure size in inches (7 × 6.2 in fits an A4 page with 15 mm margins).
    dpi : int
        Print resolution (300 for paper).
    fmt : {"png", "jpeg"}
        Image format (see :func:`greenmap.report_figure.raster`).

    Returns
    -------
    bytes
        The image.
    """
    with (
        FIGURE_LOCK,
        matplotlib.rc_context({"font.family": FONTS, "font.size": 7, "hatch.linewidth": 0.5}),
    ):
        return _draw_map(layers, width_in, height_in, dpi, fmt)


def _draw_map(layers: MapLayers, width_in: float, height_in: float, dpi: int, fmt: str) -> bytes:
    subs = _present(layers.subdistricts)
    focus = None
    if layers.focus is not None and subs is not None:
        sel = subs[subs["code"].astype(str) == str(layers.focus)]
        focus = sel if len(sel) else None
    frame = focus if focus is not None else layers.district
    x0, y0, x1, y1 = frame.total_bounds
    pad = 0.08 * max(x1 - x0, y1 - y0, 100.0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    # keep the axes' aspect: widen the view to the map panel's shape
    frac = 0.60 if layers.legend else 0.98  # the legend takes the right 40 %
    panel_w, panel_h = width_in * frac, height_in * 0.91
    want = panel_w / panel_h
    w, h = x1 - x0, y1 - y0
    if w / h < want:
        d = (h * want - w) / 2
        x0, x1 = x0 - d, x1 + d
    else:
        d = (w / want - h) / 2
        y0, y1 = y0 - d, y1 + d
    view = shapely.box(x0, y0, x1, y1)

    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    # GeoPandas asks for a redraw after every layer; with Agg that renders the whole figure each time
    fig.canvas.draw_idle = lambda *a, **k: None  # type: ignore[method-assign]
    ax = fig.add_axes((0.01, 0.07, frac, 0.91))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.add_patch(Rectangle((0, 0), 1, 1, transform=ax.transAxes, fill=False, lw=0.8, zorder=5))
    handles: list[Any] = []

    res = _in_view(layers.residential, view)
    if res is not None:
        _draw(ax, res, color="#f3e7b3", edgecolor="none", linewidth=0)
        handles.append(Patch(facecolor="#f3e7b3", label="居住用地 residential land"))
    svc = _in_view(layers.service, view)
    if svc is not None:
        svc.plot(ax=ax, color="#4caf50", alpha=0.22, edgecolor="#2e7d32", linewidth=0.6)
        handles.append(
            Patch(
                facecolor="#4caf5038",
                edgecolor="#2e7d32",
                label="服务半径（已覆盖）\nservice area (covered)",
            )
        )
    unc = _in_view(layers.uncovered, view)
    if unc is not None:
        unc.plot(ax=ax, color="#d84a3a", alpha=0.55, edgecolor="none", linewidth=0)
        handles.append(
            Patch(facecolor="#d84a3a8c", label="未覆盖居住用地\nuncovered residential land")
        )
    hb = _in_view(layers.historic_blocks, view)
    if hb is not None:
        _draw(ax, hb, facecolor="none", edgecolor="#7a4b1e", linewidth=0.9, approx_hatch="..")
        handles.append(
            Patch(facecolor="none", edgecolor="#7a4b1e", label="历史文化街区 historic block")
        )
    parks = _in_view(layers.parks, view)
    if parks is not None:
        _draw(ax, parks, color="#1b5e20", edgecolor="#0b3d0f", linewidth=0.5, approx_hatch="////")
        handles.append(Patch(facecolor="#1b5e20", label="公园 park"))
    proj = _in_view(layers.projects, view)
    if proj is not None:
        status = proj["status"].astype(str) if "status" in proj.columns else None
        for key, (colour, label) in STATUS_STYLE.items():
            part = proj[(status == key).to_numpy()] if status is not None else proj.iloc[:0]
            if key == "unknown" and status is not None:
                part = proj[(~status.isin(list(STATUS_STYLE)[:3]) | (status == key)).to_numpy()]
            if not len(part):
                continue
            _draw(
                ax,
                part,
                facecolor=colour + "88",
                edgecolor=colour,
                linewidth=0.9,
                markersize=14,
                approx_hatch="xxx",
            )
            handles.append(
                Patch(facecolor=colour + "88", edgecolor=colour, label=f"项目 project: {label}")
            )
    cand = _in_view(layers.candidates, view)
    if cand is not None:
        cand.plot(ax=ax, facecolor="none", edgecolor="#7b1fa2", linewidth=1.0, hatch="\\\\\\")
        pts = shapely.point_on_surface(np.asarray(cand.geometry.values))
        for r, p in zip(cand["rank"], pts, strict=True):
            ax.annotate(
                str(int(r)),
                (shapely.get_x(p), shapely.get_y(p)),
                fontsize=7,
                color="#4a0072",
                weight="bold",
                ha="center",
                va="center",
            )
        handles.append(
            Patch(
                facecolor="none",
                edgecolor="#7b1fa2",
                hatch="\\\\\\",
                label="候选地块 candidate site",
            )
        )
    # boundaries on top: district, 街道 (approximate ones dashed), the focus 街道 bold
    _draw(ax, _edges(layers.district), color="#222222", linewidth=1.2)
    handles.append(Line2D([], [], color="#222222", linewidth=1.2, label="区界 district boundary"))
    if subs is not None:
        vis = _in_view(subs, view)
        if vis is not None:
            _draw(ax, _edges(vis), color="#555555", linewidth=0.6)
            labels = shapely.point_on_surface(np.asarray(vis.geometry.values))
            for code, name, p in zip(vis["code"], vis["name_zh"], labels, strict=True):
                if not view.contains(p):
                    continue
                big = focus is not None and str(code) == str(layers.focus)
                ax.annotate(
                    str(name),
                    (shapely.get_x(p), shapely.get_y(p)),
                    fontsize=9 if big else 6,
                    color="#111111" if big else "#444444",
                    weight="bold" if big else "normal",
                    ha="center",
                    va="center",
                    alpha=0.9,
                )
        handles.append(Line2D([], [], color="#555555", linewidth=0.6, label="街道界 subdistrict"))
        if focus is not None:
            _draw(ax, _edges(focus), color="#000000", linewidth=2.0)
            handles.append(Line2D([], [], color="#000000", linewidth=2.0, label="本街道 this 街道"))
    handles.append(
        Patch(
            facecolor="white",
            edgecolor="#333333",
            hatch="////",
            linestyle=(0, (3, 2)),
            label="近似 approximate geometry\n（虚线/斜线 dashed / hatched）",
        )
    )
    scale_bar(ax, x0, y0, x1, y1)
    north_arrow(ax)
    if layers.legend:
        figure_legend(fig, handles)
    if layers.attribution:
        text = "\n".join(textwrap.wrap(layers.attribution, 150)[:3])
        fig.text(0.01, 0.005, text, fontsize=5.5, color="#333333", va="bottom")
    return raster(fig, fmt)
