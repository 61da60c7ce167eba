"""Approximate geometry built only from published facts, for when no real boundary is available.

Everything here is labelled ``geometry_quality = "approximate"`` by the callers. The methods are deliberately
simple and documented so that a planner can judge them, and they are replaced as soon as a real layer (official
or OpenStreetMap) is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class PartitionReport:
    """How well an approximate partition met its published areas.

    Attributes
    ----------
    areas_m2 : ndarray
        Area of each unit's polygon (m², in the metric CRS given).
    targets_m2 : ndarray
        Published areas rescaled so that they sum to the outline's area (NaN where none was published).
    max_rel_error : float
        Largest ``|area - target| / target`` over units with a target.
    iterations : int
        Weight-update iterations run.
    """

    areas_m2: NDArray[np.float64]
    targets_m2: NDArray[np.float64]
    max_rel_error: float
    iterations: int


def partition_outline(
    outline: shapely.Geometry,
    points: gpd.GeoSeries,
    extents: gpd.GeoSeries | None = None,
    target_areas_m2: ArrayLike | None = None,
    *,
    cell_size_m: float = 50.0,
    iterations: int = 200,
) -> tuple[gpd.GeoSeries, PartitionReport]:
    """Split an outline into one approximate polygon per unit from points, extents and published areas.

    Method (a capacity-constrained weighted Voronoi diagram on a grid): the outline is covered by square cells of
    ``cell_size_m``. Each cell goes to the unit minimising ``distance(cell centre, unit point) / weight``, among
    the units whose published extent (bounding box) contains the cell centre (all units when none does). The cell
    holding a unit's point always goes to that unit. Weights start at 1 and are updated multiplicatively until
    each unit's area matches its published area (rescaled to the outline's area). Each unit's polygon is the union
    of its cells, clipped to the outline, so the units tile the outline without gaps or overlaps.

    Parameters
    ----------
    outline : shapely Polygon or MultiPolygon
        The area to split, in a projected CRS (metres).
    points : GeoSeries of Point
        One interior point per unit, same CRS.
    extents : GeoSeries of Polygon, optional
        Published extent (bounding box) per unit, same CRS.
    target_areas_m2 : array-like, optional
        Published area per unit in m² (NaN where unknown).
    cell_size_m : float
        Grid cell size in metres; smaller is finer and slower.
    iterations : int
        Maximum number of weight updates.

    Returns
    -------
    GeoSeries, PartitionReport
        Polygons in the input order and CRS, and the area fit.

    Examples
    --------
    >>> square = shapely.box(0, 0, 1000, 1000)
    >>> pts = gpd.GeoSeries(shapely.points([[250, 500], [750, 500]]), crs="EPSG:4548")
    >>> parts, rep = partition_outline(square, pts, target_areas_m2=[300_000, 700_000], cell_size_m=10)
    >>> [round(a / 1e5, 1) for a in parts.area]
    [3.0, 7.0]
    >>> round(parts.union_all().area)
    1000000
    """
    if outline is None or outline.is_empty:
        raise ValueError("outline: empty geometry")
    if cell_size_m <= 0:
        raise ValueError(f"cell_size_m: must be > 0, got {cell_size_m}")
    n = len(points)
    if n == 0:
        raise ValueError("points: no units given")
    pxy = shapely.get_coordinates(points.array)
    if len(pxy) != n:
        raise ValueError("points: every unit needs exactly one non-empty point")
    targets = (
        np.full(n, np.nan) if target_areas_m2 is None else np.asarray(target_areas_m2, dtype=float)
    )
    if targets.shape != (n,):
        raise ValueError(f"target_areas_m2: expected {n} values, got {targets.shape}")

    x0, y0, x1, y1 = outline.bounds
    xs = np.arange(x0, x1, cell_size_m)
    ys = np.arange(y0, y1, cell_size_m)
    mx, my = np.meshgrid(xs, ys)
    gx, gy = mx.ravel(), my.ravel()
    boxes = shapely.box(gx, gy, gx + cell_size_m, gy + cell_size_m)
    shapely.prepare(outline)
    hit = shapely.intersects(outline, boxes)
    boxes, gx, gy = boxes[hit], gx[hit], gy[hit]
    inside = shapely.contains(outline, boxes)
    cells = boxes.copy()
    cells[~inside] = shapely.intersection(boxes[~inside], outline)
    cell_area = shapely.area(cells)
    cx, cy = gx + cell_size_m / 2, gy + cell_size_m / 2

    dist = np.hypot(cx[None, :] - pxy[:, 0:1], cy[None, :] - pxy[:, 1:2])  # (n units, m cells)
    allowed = np.ones_like(dist, dtype=bool)
    if extents is not None:
        if len(extents) != n:
            raise ValueError(f"extents: expected {n} polygons, got {len(extents)}")
        eb = shapely.bounds(extents.array)
        allowed = (
            (cx[None, :] >= eb[:, 0:1])
            & (cx[None, :] <= eb[:, 2:3])
            & (cy[None, :] >= eb[:, 1:2])
            & (cy[None, :] <= eb[:, 3:4])
        )
        allowed[:, ~allowed.any(axis=0)] = True
    # The cell holding each unit's point belongs to that unit.
    own = np.argmin(np.hypot(cx[None, :] - pxy[:, 0:1], cy[None, :] - pxy[:, 1:2]), axis=1)

    known = ~np.isnan(targets)
    total = float(cell_area.sum())
    scaled = targets.copy()
    if known.any():
        # Published areas rarely sum exactly to the outline: rescale the known ones to the outline's
        # area left over after the units without a target get an equal share.
        unknown_share = total / n * (~known).sum()
        scaled[known] = targets[known] / targets[known].sum() * (total - unknown_share)
    weights = np.ones(n)

    def assign(w: NDArray[np.float64]) -> NDArray[np.intp]:
        cost = np.where(allowed, dist / w[:, None], np.inf)
        lab = np.argmin(cost, axis=0)
        lab[own] = np.arange(n)
        return lab

    labels = assign(weights)
    best = (np.inf, labels)
    it = 0
    for it in range(1, iterations + 1):  # noqa: B007 - the count is reported
        areas = np.bincount(labels, weights=cell_area, minlength=n)
        err = np.abs(areas[known] - scaled[known]) / scaled[known] if known.any() else np.zeros(1)
        if err.max() < best[0]:
            best = (float(err.max()), labels)
        if not known.any() or err.max() < 0.005:
            break
        ratio = np.ones(n)
        ratio[known] = np.clip(scaled[known] / np.maximum(areas[known], 1.0), 0.5, 2.0)
        weights = weights * ratio**0.3
        labels = assign(weights)
    labels = best[1]
    final: NDArray[np.float64] = np.bincount(labels, weights=cell_area, minlength=n).astype(
        np.float64
    )
    order = np.argsort(labels, kind="stable")
    splits = np.cumsum(np.bincount(labels, minlength=n))[:-1]
    polys = [shapely.coverage_union_all(group) for group in np.split(cells[order], splits)]
    out = gpd.GeoSeries(polys, index=points.index, crs=points.crs)
    max_err = (
        float(np.max(np.abs(final[known] - scaled[known]) / scaled[known])) if known.any() else 0.0
    )
    return out, PartitionReport(final, scaled, max_err, it)


def circles_of_area(
    points: gpd.GeoSeries, areas_m2: ArrayLike, *, quad_segs: int = 16
) -> gpd.GeoSeries:
    """Disc of the given area around each point: a stand-in polygon where only a point and an area are published.

    Parameters
    ----------
    points : GeoSeries of Point
        Locations in a projected CRS (metres).
    areas_m2 : array-like
        Published area per point, m². NaN or non-positive gives ``None``.
    quad_segs : int
        Segments per quarter circle.

    Returns
    -------
    GeoSeries
        Polygons (or ``None``) in the same CRS and order.

    Examples
    --------
    >>> pts = gpd.GeoSeries(shapely.points([[0, 0], [0, 0]]), crs="EPSG:4548")
    >>> discs = circles_of_area(pts, [10_000, np.nan], quad_segs=64)
    >>> round(discs.iloc[0].area, -1), discs.iloc[1] is None
    (10000.0, True)
    """
    areas = np.asarray(areas_m2, dtype=float)
    if areas.shape != (len(points),):
        raise ValueError(f"areas_m2: expected {len(points)} values, got {areas.shape}")
    if points.crs is not None and points.crs.is_geographic:
        raise ValueError("points: need a projected CRS in metres, got a geographic one")
    n_vertices = 4 * quad_segs
    # Scale the radius so that the polygon, not the ideal circle, has the published area.
    poly_factor = n_vertices / 2 * np.sin(2 * np.pi / n_vertices)
    ok = np.isfinite(areas) & (areas > 0) & ~np.asarray(points.isna() | points.is_empty)
    radius = np.sqrt(np.where(ok, areas, 0) / poly_factor)
    geoms = np.full(len(points), None, dtype=object)
    geoms[ok] = shapely.buffer(points.array[ok], radius[ok], quad_segs=quad_segs)
    return gpd.GeoSeries(geoms, index=points.index, crs=points.crs)


def iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Intersection over union of two areal geometries (0 when both are empty).

    >>> iou(shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1))
    0.3333333333333333
    """
    union = shapely.union(a, b).area
    return float(shapely.intersection(a, b).area / union) if union > 0 else 0.0
