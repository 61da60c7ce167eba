"""Residential land: an explicit, labelled proxy for the demo, and the 街道 assignment for real layers.

The embedded Xicheng data holds no residential land-use polygons. The indicator is a share of
*residential land* (居住用地), so the demo needs a stand-in. :func:`residential_proxy` builds one
and labels it as such (``source = "proxy: ..."``, ``geometry_quality = "approximate"``):

    each 街道's land (clipped to the district) minus the known park polygons, minus any other
    polygons given in ``exclude`` (water, for instance), cut into square cells of ``cell_size_m``.

The proxy over-counts demand: roads, offices, schools, shops and unmapped green space all count as
"residential". Rates computed on it are illustrative, not the official indicator. A real layer
(official land use, or OpenStreetMap ``landuse=residential``) is a drop-in replacement when it has
the same columns (``parcel_id``, ``subdistrict_code``, ``population``, ``source``,
``geometry_quality``); :func:`assign_subdistrict` fills ``subdistrict_code`` by spatial join.

All inputs in one projected metric CRS (metres).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["RESIDENTIAL_COLUMNS", "assign_subdistrict", "residential_proxy", "square_cells"]

#: Columns of the residential layer besides geometry.
RESIDENTIAL_COLUMNS: tuple[str, ...] = (
    "parcel_id",
    "subdistrict_code",
    "population",
    "source",
    "geometry_quality",
)


def _geoms(x: gpd.GeoDataFrame | gpd.GeoSeries | None) -> np.ndarray:
    """Non-missing, non-empty geometries of a frame/series as an array."""
    if x is None:
        return np.empty(0, dtype=object)
    g = np.asarray(x.geometry.values if isinstance(x, gpd.GeoDataFrame) else x.values)
    return g[~(shapely.is_missing(g) | shapely.is_empty(g))]


def _check_metric(x: gpd.GeoDataFrame | gpd.GeoSeries | None, name: str) -> None:
    if x is not None and x.crs is not None and not x.crs.is_projected:
        raise ValueError(f"{name}: CRS {x.crs.to_string()} is not projected; use the metric CRS")


def square_cells(bounds: tuple[float, float, float, float], cell_size_m: float) -> np.ndarray:
    """Square cells covering ``bounds``, aligned to multiples of ``cell_size_m``.

    Parameters
    ----------
    bounds : (minx, miny, maxx, maxy)
        In metres.
    cell_size_m : float
        Cell side (m), > 0.

    Returns
    -------
    numpy.ndarray of shapely Polygons, row-major from the south-west.

    Examples
    --------
    >>> c = square_cells((0, 0, 250, 100), 100)
    >>> len(c), float(shapely.area(c).sum())
    (3, 30000.0)
    """
    if not cell_size_m > 0:
        raise ValueError(f"cell_size_m: must be > 0, got {cell_size_m!r}")
    minx, miny, maxx, maxy = bounds
    x0 = np.floor(minx / cell_size_m) * cell_size_m
    y0 = np.floor(miny / cell_size_m) * cell_size_m
    nx = max(int(np.ceil((maxx - x0) / cell_size_m)), 1)
    ny = max(int(np.ceil((maxy - y0) / cell_size_m)), 1)
    xs = x0 + np.arange(nx) * cell_size_m
    ys = y0 + np.arange(ny) * cell_size_m
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    return shapely.box(gx, gy, gx + cell_size_m, gy + cell_size_m)


def residential_proxy(
    district: gpd.GeoDataFrame | gpd.GeoSeries,
    subdistricts: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame | gpd.GeoSeries | None,
    *,
    exclude: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    cell_size_m: float = 250.0,
    code_col: str = "code",
    population_col: str | None = None,
    min_piece_m2: float = 1.0,
) -> gpd.GeoDataFrame:
    """A labelled stand-in for residential land: 街道 land minus parks (and ``exclude``), in cells.

    Parameters
    ----------
    district : GeoDataFrame or GeoSeries
        District outline; the 街道 polygons are clipped to it.
    subdistricts : GeoDataFrame
        街道 polygons with a code column ``code_col``.
    parks : GeoDataFrame or GeoSeries or None
        Park polygons to remove (rows without geometry are ignored).
    exclude : GeoDataFrame or GeoSeries, optional
        Other land that is not residential (water, ...), removed as well.
    cell_size_m : float, default 250
        Side of the square cells the land is cut into (m).
    code_col : str, default "code"
        Code column of ``subdistricts``.
    population_col : str, optional
        Column of ``subdistricts`` with a population; spread over each 街道's cells by area. When
        omitted, or NaN for a 街道, ``population`` is NaN (unknown, not zero).
    min_piece_m2 : float, default 1
        Slivers smaller than this (m²) are dropped.

    Returns
    -------
    GeoDataFrame
        ``parcel_id`` (``proxy-<code>-<n>``), ``subdistrict_code``, ``population``, ``source``
        (``"proxy: ..."``), ``geometry_quality`` (``"approximate"``), Polygon/MultiPolygon geometry,
        same CRS as ``subdistricts``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> subs = gpd.GeoDataFrame({"code": ["a", "b"], "pop": [100.0, None]},
    ...     geometry=[box(0, 0, 200, 200), box(200, 0, 400, 200)], crs="EPSG:4548")
    >>> parks = gpd.GeoSeries([box(0, 0, 100, 100)], crs="EPSG:4548")
    >>> r = residential_proxy(subs.dissolve(), subs, parks, cell_size_m=100, population_col="pop")
    >>> r.groupby("subdistrict_code").geometry.apply(lambda g: g.area.sum()).tolist()
    [30000.0, 40000.0]
    >>> float(r.loc[r.subdistrict_code == "a", "population"].sum()), int(r.population.isna().sum())
    (100.0, 4)
    >>> r.source.iloc[0]
    'proxy: 街道 land clipped to the district, minus park polygons, in 100 m cells'
    """
    for name, x in (("district", district), ("subdistricts", subdistricts), ("parks", parks)):
        _check_metric(x, name)
    _check_metric(exclude, "exclude")
    if code_col not in subdistricts.columns:
        raise ValueError(f"subdistricts: no column {code_col!r} (code_col)")
    if population_col is not None and population_col not in subdistricts.columns:
        raise ValueError(f"subdistricts: no column {population_col!r} (population_col)")

    outline = shapely.union_all(_geoms(district))
    holes = np.concatenate([_geoms(parks), _geoms(exclude)])
    removed = shapely.union_all(holes) if len(holes) else None

    sg = np.asarray(subdistricts.geometry.values)
    ok = ~(shapely.is_missing(sg) | shapely.is_empty(sg))
    codes = subdistricts[code_col].astype(str).to_numpy()[ok]
    land = shapely.intersection(sg[ok], outline)
    if removed is not None:
        land = shapely.difference(land, removed)

    cells = square_cells(tuple(shapely.total_bounds(land)), cell_size_m)  # type: ignore[arg-type]
    tree = shapely.STRtree(cells)
    li, ci = tree.query(land, predicate="intersects")
    pieces = shapely.intersection(land[li], cells[ci])
    # keep polygonal parts only (intersections may yield lines on cell edges)
    pieces = shapely.get_parts(pieces, return_index=True)
    parts, part_idx = pieces
    poly = np.isin(shapely.get_type_id(parts), [3, 6])
    parts, part_idx = parts[poly], part_idx[poly]
    # regroup parts per (land, cell) pair
    if len(parts):
        grouped = gpd.GeoSeries(parts).groupby(part_idx).agg(lambda s: shapely.union_all(s.values))
        geom = np.asarray(grouped.values)
        pair = grouped.index.to_numpy()
    else:
        geom = np.empty(0, dtype=object)
        pair = np.empty(0, dtype=int)
    area = shapely.area(geom)
    keep = area >= min_piece_m2
    geom, pair, area = geom[keep], pair[keep], area[keep]
    code = codes[li[pair]]

    pop = np.full(len(geom), np.nan)
    if population_col is not None:
        sub_pop = pd.to_numeric(subdistricts[population_col], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )[ok]
        tot = pd.Series(area).groupby(code).transform("sum").to_numpy()
        pop = sub_pop[li[pair]] * area / tot

    order = np.lexsort((pair, code))
    geom, code, pop = geom[order], code[order], pop[order]
    n_in_code = pd.Series(code).groupby(code).cumcount().to_numpy() + 1
    what = "街道 land clipped to the district, minus park polygons"
    if exclude is not None:
        what += " and excluded land"
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"proxy-{c}-{n:04d}" for c, n in zip(code, n_in_code, strict=True)],
            "subdistrict_code": code,
            "population": pop,
            "source": f"proxy: {what}, in {cell_size_m:g} m cells",
            "geometry_quality": "approximate",
        },
        geometry=geom,
        crs=subdistricts.crs,
    )


def assign_subdistrict(
    residential: gpd.GeoDataFrame,
    subdistricts: gpd.GeoDataFrame,
    *,
    code_col: str = "code",
    overwrite: bool = False,
) -> gpd.GeoDataFrame:
    """Fill ``subdistrict_code`` of residential parcels by spatial join (largest overlap wins).

    Parameters
    ----------
    residential : GeoDataFrame
        Parcels in the metric CRS; ``subdistrict_code`` may be absent or partly missing.
    subdistricts : GeoDataFrame
        街道 polygons with ``code_col``.
    code_col : str, default "code"
    overwrite : bool, default False
        Recompute codes that are already present.

    Returns
    -------
    GeoDataFrame
        A copy with ``subdistrict_code`` filled (str) and, when absent, ``population`` (NaN),
        ``source`` (``"user"``) and ``geometry_quality`` (``"user"``) added.

    Raises
    ------
    ValueError
        When parcels overlap no 街道 (their ``parcel_id`` or row numbers are listed).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> subs = gpd.GeoDataFrame({"code": ["a", "b"]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs="EPSG:4548")
    >>> res = gpd.GeoDataFrame({"parcel_id": ["p1", "p2"]},
    ...     geometry=[box(10, 10, 20, 20), box(90, 0, 180, 10)], crs="EPSG:4548")
    >>> assign_subdistrict(res, subs).subdistrict_code.tolist()
    ['a', 'b']
    """
    _check_metric(residential, "residential")
    _check_metric(subdistricts, "subdistricts")
    if code_col not in subdistricts.columns:
        raise ValueError(f"subdistricts: no column {code_col!r} (code_col)")
    out = residential.copy()
    if "subdistrict_code" not in out.columns:
        out["subdistrict_code"] = None
    cur = out["subdistrict_code"]
    todo = np.ones(len(out), bool) if overwrite else cur.isna().to_numpy()
    if todo.any():
        rg = np.asarray(out.geometry.values)[todo]
        sg = np.asarray(subdistricts.geometry.values)
        sc = subdistricts[code_col].astype(str).to_numpy()
        ri, si = shapely.STRtree(sg).query(rg, predicate="intersects")
        ov = shapely.area(shapely.intersection(rg[ri], sg[si]))
        best = pd.DataFrame({"r": ri, "s": si, "a": ov}).sort_values("a").groupby("r").last()
        best = best[best["a"] > 0]
        codes = np.full(len(rg), None, dtype=object)
        codes[best.index.to_numpy()] = sc[best["s"].to_numpy()]
        missing = np.flatnonzero(pd.isna(codes))
        if len(missing):
            rows = np.flatnonzero(todo)[missing]
            ids = (
                out["parcel_id"].iloc[rows].astype(str).tolist()
                if "parcel_id" in out.columns
                else [f"row {i + 1}" for i in rows]
            )
            raise ValueError(
                f"residential: {len(ids)} parcel(s) overlap no subdistrict: {', '.join(ids[:10])}"
                + (" ..." if len(ids) > 10 else "")
            )
        vals = cur.astype(object).to_numpy().copy()
        vals[todo] = codes
        out["subdistrict_code"] = vals
    out["subdistrict_code"] = out["subdistrict_code"].astype(str)
    if "population" not in out.columns:
        out["population"] = np.nan
    if "source" not in out.columns:
        out["source"] = "user"
    if "geometry_quality" not in out.columns:
        out["geometry_quality"] = "user"
    return out
