"""Input checks and the piece decomposition behind the coverage indicator.

:func:`_prepare` validates the inputs, makes residential parcels disjoint, spreads population
over them, cuts them once along the historic-block outlines into pieces and computes each
piece's covered area with certified arc-error brackets (:func:`geo.coverage.covered_area_bracket`).
Every table row (:mod:`geo.indicator_table`) and map layer is then built from these pieces.

All geometry in one projected metric CRS (metres, m²).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.coverage import covered_area_bracket, normalise_demand
from geo.indicator_geom import _polygonal, _present
from geo.residential import assign_subdistrict
from geo.rules import _num


def _check_parks(parks: gpd.GeoDataFrame) -> None:
    """Reject parks without a ``radius_m`` column, or rows without a radius or geometry."""
    if "radius_m" not in parks.columns:
        raise ValueError(
            "parks_with_radius: no 'radius_m' column; run geo.rules.assign_radii(parks, rule) first"
        )
    r = _num(parks["radius_m"])
    g = np.asarray(parks.geometry.values)
    bad = np.isnan(r) | ~_present(g)
    if bad.any():
        ids = (
            parks["park_id"].astype(str).to_numpy()[bad]
            if "park_id" in parks.columns
            else parks.index.to_numpy()[bad]
        )
        raise ValueError(
            "parks_with_radius: rows without a radius_m or without geometry (drop them, e.g. with "
            f"assign_radii): {', '.join(map(str, ids[:10]))}"
        )


@dataclass
class _Pieces:
    """Residential land cut along historic-block outlines, with coverage per piece."""

    geom: NDArray[np.object_]
    parcel: NDArray[np.intp]
    sub: NDArray[np.object_]  # subdistrict code per piece (None when unknown)
    face: NDArray[np.intp]  # -1 outside every block
    face_block: pd.DataFrame  # columns face, block (row position in blocks)
    area: NDArray[np.float64]
    cov: NDArray[np.float64]
    cov_out: NDArray[np.float64]
    cov_in: NDArray[np.float64]
    pop: NDArray[np.float64]  # NaN = unknown
    pop_cov: NDArray[np.float64]
    pop_cov_out: NDArray[np.float64]
    pop_cov_in: NDArray[np.float64]
    parks: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    blocks: gpd.GeoDataFrame | None
    blocks_no_geom: list[str]
    quad_segs: int


def _block_ids(blocks: gpd.GeoDataFrame) -> NDArray[np.object_]:
    """Block identifiers as strings: ``block_id`` when present, else the index labels."""
    if "block_id" in blocks.columns:
        return blocks["block_id"].astype(str).to_numpy()
    return np.asarray([str(i) for i in blocks.index], dtype=object)


def _prepare(
    residential: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    subdistricts: gpd.GeoDataFrame | None,
    historic_blocks: gpd.GeoDataFrame | None,
    quad_segs: int,
    population_col: str | None,
    disjoint: bool = False,
) -> _Pieces:
    """Validate the inputs and cut residential land into pieces with coverage per piece.

    See :func:`geo.indicator.coverage_table` for the parameters; ``quad_segs`` is already
    resolved. Metric CRS (m, m²) throughout; raises ``ValueError`` on unusable inputs.
    """
    _check_parks(parks)
    for name, x in (("residential", residential), ("parks_with_radius", parks)):
        if x.crs is None or not x.crs.is_projected:
            raise ValueError(
                f"{name}: CRS {x.crs.to_string() if x.crs else None} is not a projected metric "
                "CRS; reproject to the study area's metric CRS (Xicheng: EPSG:4548) first"
            )
    if len(residential) == 0:
        raise ValueError("residential: empty; the coverage rate is undefined")
    rg = np.asarray(residential.geometry.values)
    if not _present(rg).all():
        bad = ~_present(rg)
        ids = (
            residential["parcel_id"].astype(str).to_numpy()[bad]
            if "parcel_id" in residential.columns
            else np.flatnonzero(bad) + 1
        )
        raise ValueError(
            f"residential: {int(bad.sum())} parcel(s) without geometry: "
            f"{', '.join(map(str, ids[:10]))}"
        )
    if subdistricts is not None and "code" not in subdistricts.columns:
        raise ValueError("subdistricts: no 'code' column (the 街道 code)")
    res = residential
    if subdistricts is not None and (
        "subdistrict_code" not in res.columns or res["subdistrict_code"].isna().any()
    ):
        res = assign_subdistrict(res, subdistricts)
    has_sub = "subdistrict_code" in res.columns
    res = res.reset_index(drop=True)
    if not disjoint:
        res = normalise_demand(res, by="subdistrict_code" if has_sub else None)
    rg = np.asarray(res.geometry.values)
    parcel_area = shapely.area(rg)

    # parcel population
    if population_col is not None:
        if subdistricts is None or population_col not in subdistricts.columns:
            raise ValueError(
                f"population_col={population_col!r}: not a column of subdistricts"
                + (" (subdistricts not given)" if subdistricts is None else "")
            )
        if not has_sub:
            raise ValueError("population_col: residential has no subdistrict_code")
        sp = pd.to_numeric(subdistricts[population_col], errors="coerce")
        sp.index = subdistricts["code"].astype(str).to_numpy()
        codes = res["subdistrict_code"].astype(str)
        tot = pd.Series(parcel_area).groupby(codes.to_numpy()).transform("sum").to_numpy()
        unit_pop = _num(codes.map(sp))
        parcel_pop = np.where(tot > 0, unit_pop * parcel_area / np.where(tot > 0, tot, 1), 0.0)
    elif "population" in res.columns:
        parcel_pop = _num(res["population"])
    else:
        parcel_pop = np.full(len(res), np.nan)
    density = np.divide(
        parcel_pop, parcel_area, out=np.zeros_like(parcel_area), where=parcel_area > 0
    )
    density[np.isnan(parcel_pop)] = np.nan

    # cut along historic blocks
    blocks_no_geom: list[str] = []
    face_block = pd.DataFrame({"face": np.empty(0, int), "block": np.empty(0, int)})
    blocks = None
    if historic_blocks is not None and len(historic_blocks):
        if historic_blocks.crs is not None and not historic_blocks.crs.is_projected:
            raise ValueError("historic_blocks: CRS is not projected; use the metric CRS")
        blocks = historic_blocks.reset_index(drop=True)
        bg = np.asarray(blocks.geometry.values)
        ok = _present(bg)
        blocks_no_geom = list(_block_ids(blocks)[~ok])
        bg_ok = bg[ok]
        bidx = np.flatnonzero(ok)
    else:
        bg_ok = np.empty(0, dtype=object)
        bidx = np.empty(0, dtype=int)
    if len(bg_ok):
        lines = shapely.get_parts(shapely.union_all(shapely.boundary(bg_ok)))
        faces = shapely.get_parts(shapely.polygonize(lines))
        fi, bj = shapely.STRtree(bg_ok).query(shapely.point_on_surface(faces), predicate="within")
        keep_faces = np.unique(fi)
        remap = np.full(len(faces), -1)
        remap[keep_faces] = np.arange(len(keep_faces))
        faces = faces[keep_faces]
        face_block = pd.DataFrame({"face": remap[fi], "block": bidx[bj]})
        inside_all = shapely.union_all(faces)
        ri, fj = shapely.STRtree(faces).query(rg, predicate="intersects")
        in_geom = _polygonal(shapely.intersection(rg[ri], faces[fj]))
        out_geom = _polygonal(shapely.difference(rg, inside_all))
        geom = np.concatenate([out_geom, in_geom])
        parcel = np.concatenate([np.arange(len(rg)), ri])
        face = np.concatenate([np.full(len(rg), -1), fj])
    else:
        geom, parcel, face = rg, np.arange(len(rg)), np.full(len(rg), -1)
    area = shapely.area(geom)
    keep = area > 0
    geom, parcel, face, area = geom[keep], parcel[keep], face[keep], area[keep]

    gs = gpd.GeoSeries(geom, crs=res.crs)
    radii = _num(parks["radius_m"])
    if len(parks):
        # one pass with certified brackets; every row (district included) sums these, so the
        # district bound equals geo.coverage.coverage's on the same pieces
        cov, cov_in, cov_out = covered_area_bracket(gs, parks.geometry, radii, quad_segs=quad_segs)
    else:
        cov = cov_out = cov_in = np.zeros(len(geom))
    dens = density[parcel]
    sub = (
        res["subdistrict_code"].astype(object).to_numpy()[parcel]
        if has_sub
        else np.full(len(geom), None, dtype=object)
    )
    return _Pieces(
        geom=geom,
        parcel=parcel,
        sub=sub,
        face=face,
        face_block=face_block,
        area=area,
        cov=cov,
        cov_out=cov_out,
        cov_in=cov_in,
        pop=dens * area,
        pop_cov=dens * cov,
        pop_cov_out=dens * cov_out,
        pop_cov_in=dens * cov_in,
        parks=parks,
        parcels=res,
        blocks=blocks,
        blocks_no_geom=blocks_no_geom,
        quad_segs=quad_segs,
    )
