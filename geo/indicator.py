"""The 500 m park service-radius indicator, broken down by 街道 and historic block, with map layers.

Xicheng's binding indicator is 非历史文化街区地区公园绿地500米服务半径覆盖率: the share of residential
land (居住用地) within the service radius of an eligible park, with the historic blocks (历史文化街区)
taken out of numerator *and* denominator. :func:`coverage_table` reports, for a rule set
(:class:`geo.rules.RuleSet`), the district, every 街道 and every historic block, each for two
variants:

``all_land``
    all residential land of the unit;
``non_historic``
    the residential land of the unit outside every historic block (not reported for the
    historic-block rows, where it is empty by definition).

Method: residential parcels are made disjoint (:func:`geo.coverage.normalise_demand`), cut once
along the historic-block outlines into pieces, and :func:`geo.coverage.covered_area_bracket` is
called once for all pieces (the covered area with its certified arc error brackets);
every row is then a group sum of pieces. A piece inside several overlapping blocks (a block inside
another, such as 烟袋斜街 in 什刹海) counts for each of them.

All geometry in one projected metric CRS (metres, m²).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.coverage import (
    DEFAULT_QUAD_SEGS,
    covered_area_bracket,
    normalise_demand,
    service_areas,
)
from geo.residential import assign_subdistrict
from geo.rules import RuleSet, _num

__all__ = [
    "TABLE_COLUMNS",
    "CoverageLayers",
    "coverage_layers",
    "coverage_table",
    "service_radius_layer",
]

#: Columns of :func:`coverage_table`, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "scope",
    "unit_code",
    "unit_name_zh",
    "unit_name_en",
    "variant",
    "residential_m2",
    "covered_m2",
    "rate_pct",
    "arc_error_bound_pp",
    "population",
    "population_covered",
    "pop_rate_pct",
    "pop_arc_error_bound_pp",
    "headline",
    "headline_rate_pct",
    "rule_id",
    "demand_base",
    "quad_segs",
    "note",
)

_POLY_IDS = (3, 6)


def _polygonal(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
    """Polygonal part of each geometry (lines/points from overlays dropped; may be empty)."""
    g = np.asarray(geoms, dtype=object)
    out = g.copy()
    tid = shapely.get_type_id(g)
    bad = ~np.isin(tid, _POLY_IDS)
    if bad.any():
        parts, idx = shapely.get_parts(g[bad], return_index=True)
        keep = np.isin(shapely.get_type_id(parts), _POLY_IDS)
        fixed = np.array([shapely.Polygon()] * int(bad.sum()), dtype=object)
        if keep.any():
            s = pd.Series(parts[keep]).groupby(idx[keep]).agg(lambda x: shapely.union_all(x.values))
            fixed[s.index.to_numpy()] = s.to_numpy()
        out[bad] = fixed
    return out


def _present(g: NDArray[np.object_]) -> NDArray[np.bool_]:
    return ~(shapely.is_missing(g) | shapely.is_empty(g))


def _check_parks(parks: gpd.GeoDataFrame) -> None:
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


def _aggregate(df: pd.DataFrame, key: str | None) -> pd.DataFrame:
    """Sum piece columns by ``key`` (whole frame when None); population NaN if any piece unknown.

    Sums skip NaN (as pandas does); ``pop_unknown`` counts the pieces with unknown population.
    Done with numpy (``bincount``): the frame is small but this runs on every recompute.
    """
    cols = ["area", "cov", "cov_out", "cov_in", "pop", "pop_cov", "pop_cov_out", "pop_cov_in"]
    if key is None:
        labels = np.asarray(["__all__"], dtype=object)
        inv = np.zeros(len(df), dtype=np.intp)
    else:
        labels, inv = np.unique(df[key].to_numpy(dtype=object), return_inverse=True)
        inv = inv.reshape(-1)
    n = len(labels)
    data: dict[str, Any] = {
        c: np.bincount(inv, weights=np.nan_to_num(df[c].to_numpy(dtype=np.float64)), minlength=n)
        for c in cols
    }
    data["pop_unknown"] = np.bincount(
        inv, weights=np.isnan(df["pop"].to_numpy(dtype=np.float64)), minlength=n
    ).astype(np.int64)
    data["n_pieces"] = np.bincount(inv, minlength=n).astype(np.int64)
    return pd.DataFrame(data, index=pd.Index(labels, dtype=object))


def _rows(
    agg: pd.DataFrame,
    scope: str,
    variant: str,
    names: dict[str, tuple[str, str]],
    codes: list[str],
) -> list[dict[str, Any]]:
    out = []
    for code in codes:
        if code in agg.index:
            a = agg.loc[code].to_dict()
            area, cov = float(a["area"]), float(a["cov"])
            # largest deviation either way (the exact-distance area lies in [cov_in, cov_out])
            dev = max(float(a["cov_out"]) - cov, cov - float(a["cov_in"]), 0.0)
            pop_unknown = int(a["pop_unknown"])
            pop_none = pop_unknown == int(a["n_pieces"])
            pop, pop_cov = float(a["pop"]), float(a["pop_cov"])
            pop_dev = max(float(a["pop_cov_out"]) - pop_cov, pop_cov - float(a["pop_cov_in"]), 0.0)
        else:
            area = cov = dev = pop = pop_cov = pop_dev = 0.0
            pop_unknown = 0
            pop_none = False
        notes = []
        if area > 0:
            rate = 100.0 * cov / area
            bound = 100.0 * dev / area
        else:
            rate = bound = np.nan
            notes.append("no residential land in this unit: rate undefined")
        if pop_unknown or area == 0:
            pop = pop_cov = pop_rate = pop_bound = np.nan
            if pop_none:
                notes.append("no population data: population rate not given")
            elif pop_unknown:
                notes.append("population unknown for part of this unit: population rate not given")
        elif pop > 0:
            pop_rate = 100.0 * pop_cov / pop
            pop_bound = 100.0 * pop_dev / pop
        else:
            pop_rate = pop_bound = np.nan
            notes.append("population is 0: population rate undefined")
        zh, en = names.get(code, ("", ""))
        out.append(
            {
                "scope": scope,
                "unit_code": code,
                "unit_name_zh": zh,
                "unit_name_en": en,
                "variant": variant,
                "residential_m2": area,
                "covered_m2": cov,
                "rate_pct": rate,
                "arc_error_bound_pp": bound,
                "population": pop,
                "population_covered": pop_cov,
                "pop_rate_pct": pop_rate,
                "pop_arc_error_bound_pp": pop_bound,
                "note": "; ".join(notes),
            }
        )
    return out


def _table(
    pc: _Pieces,
    subdistricts: gpd.GeoDataFrame | None,
    rule: RuleSet | None,
    district_code: str,
    district_name_zh: str,
    district_name_en: str,
) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "sub": pc.sub,
            "outside": pc.face < 0,
            "face": pc.face,
            "area": pc.area,
            "cov": pc.cov,
            "cov_out": pc.cov_out,
            "cov_in": pc.cov_in,
            "pop": pc.pop,
            "pop_cov": pc.pop_cov,
            "pop_cov_out": pc.pop_cov_out,
            "pop_cov_in": pc.pop_cov_in,
        }
    )
    variants = ["all_land"]
    if pc.blocks is not None:
        variants.append("non_historic")
    rows: list[dict[str, Any]] = []
    dnames = {"__all__": (district_name_zh, district_name_en)}
    for v in variants:
        part = df if v == "all_land" else df[df["outside"]]
        r = _rows(_aggregate(part, None), "district", v, dnames, ["__all__"])
        r[0]["unit_code"] = district_code
        rows += r
    # subdistricts
    names: dict[str, tuple[str, str]] = {}
    if subdistricts is not None:
        codes = subdistricts["code"].astype(str).tolist()
        for c, zh, en in zip(
            codes,
            subdistricts.get("name_zh", pd.Series([""] * len(codes))).fillna("").tolist(),
            subdistricts.get("name_en", pd.Series([""] * len(codes))).fillna("").tolist(),
            strict=True,
        ):
            names[c] = (str(zh), str(en))
    sub_known = df["sub"].notna()
    if sub_known.any() or subdistricts is not None:
        df_s = df[sub_known].assign(sub=lambda x: x["sub"].astype(str))
        codes = list(names) if names else sorted(df_s["sub"].unique())
        extra = sorted(set(df_s["sub"]) - set(codes))
        for v in variants:
            part = df_s if v == "all_land" else df_s[df_s["outside"]]
            rows += _rows(_aggregate(part, "sub"), "subdistrict", v, names, codes + extra)
    # historic blocks (all_land only: their non-historic land is empty by definition)
    if pc.blocks is not None:
        ids = _block_ids(pc.blocks)
        bn = {
            str(i): (
                str(pc.blocks["name_zh"].iloc[k]) if "name_zh" in pc.blocks.columns else "",
                str(pc.blocks["name_en"].iloc[k]) if "name_en" in pc.blocks.columns else "",
            )
            for k, i in enumerate(ids)
        }
        inside = df[~df["outside"]].reset_index(drop=True)
        m = inside.merge(pc.face_block, on="face")
        m["block_id"] = ids[m["block"].to_numpy()]
        with_geom = [i for i in ids if i not in set(pc.blocks_no_geom)]
        rows += _rows(_aggregate(m, "block_id"), "historic_block", "all_land", bn, with_geom)
    out = pd.DataFrame(rows)
    if pc.blocks_no_geom:
        msg = (
            f"{len(pc.blocks_no_geom)} historic block(s) without geometry could not be removed: "
            + ", ".join(pc.blocks_no_geom)
        )
        sel = out["variant"] == "non_historic"
        out.loc[sel, "note"] = out.loc[sel, "note"].map(lambda s: f"{s}; {msg}" if s else msg)
    headline_variant = rule.headline_variant if rule is not None else "all_land"
    demand_base = rule.demand_base if rule is not None else "residential_area"
    out["headline"] = out["variant"] == headline_variant
    out["headline_rate_pct"] = out["pop_rate_pct" if demand_base == "population" else "rate_pct"]
    out["rule_id"] = rule.id if rule is not None else ""
    out["demand_base"] = demand_base
    out["quad_segs"] = pc.quad_segs
    out.attrs = {"historic_blocks_without_geometry": list(pc.blocks_no_geom)}
    return out[list(TABLE_COLUMNS)]


def _quad_segs(quad_segs: int | None, rule: RuleSet | None) -> int:
    if quad_segs is not None:
        return int(quad_segs)
    if rule is not None and rule.quad_segs is not None:
        return rule.quad_segs
    return DEFAULT_QUAD_SEGS


def coverage_table(
    residential: gpd.GeoDataFrame,
    parks_with_radius: gpd.GeoDataFrame,
    *,
    subdistricts: gpd.GeoDataFrame | None = None,
    historic_blocks: gpd.GeoDataFrame | None = None,
    rule: RuleSet | None = None,
    quad_segs: int | None = None,
    population_col: str | None = None,
    district_code: str = "district",
    district_name_zh: str = "全区",
    district_name_en: str = "Whole district",
    disjoint: bool = False,
) -> pd.DataFrame:
    """Coverage by district, 街道 and historic block, for the all-land and non-historic variants.

    Parameters
    ----------
    residential : GeoDataFrame
        Residential parcels (metric CRS). Optional ``subdistrict_code`` (filled by spatial join
        when ``subdistricts`` is given) and ``population`` (people per parcel; NaN = unknown).
    parks_with_radius : GeoDataFrame
        Eligible parks with ``radius_m`` (m), as returned by :func:`geo.rules.assign_radii`.
    subdistricts : GeoDataFrame, optional
        街道 polygons with ``code``, ``name_zh``, ``name_en``; every 街道 gets rows (also one without
        residential land, with an explanatory ``note``).
    historic_blocks : GeoDataFrame, optional
        Historic-block polygons with ``block_id``, ``name_zh``, ``name_en``. Without them only the
        ``all_land`` variant is reported. Blocks without geometry cannot be removed; they are named
        in the ``note`` of every ``non_historic`` row and in ``attrs``.
    rule : RuleSet, optional
        Gives ``rule_id``, the headline variant, the demand base and (if set) ``quad_segs``.
    quad_segs : int, optional
        Buffer segments per quarter circle; default the rule's, else
        :data:`geo.coverage.DEFAULT_QUAD_SEGS`.
    population_col : str, optional
        A population column of ``subdistricts`` to spread over each 街道's residential land by
        area (instead of the parcels' ``population``).
    district_code, district_name_zh, district_name_en : str
        Labels of the district row.
    disjoint : bool
        The parcels are already disjoint (e.g. made so once with
        :func:`geo.coverage.normalise_demand` when the layer was loaded): skip the overlap check.
        Overlapping parcels passed with ``disjoint=True`` are double counted.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TABLE_COLUMNS`: ``scope`` (district / subdistrict / historic_block),
        ``unit_code``, names, ``variant`` (all_land / non_historic), ``residential_m2``,
        ``covered_m2`` (m²), ``rate_pct``, ``arc_error_bound_pp`` (bound on the difference
        between ``rate_pct`` and the rate with exact Euclidean distances: the certified
        inner/outer brackets of :func:`geo.coverage.covered_area_bracket` summed over the unit;
        for the district this equals :func:`geo.coverage.coverage`'s bound), ``population``,
        ``population_covered``,
        ``pop_rate_pct``, ``pop_arc_error_bound_pp`` (NaN when population is unknown for any
        part of the unit, explained in ``note``), ``headline`` (row is the rule's headline
        variant), ``headline_rate_pct`` (``rate_pct`` or ``pop_rate_pct`` by the rule's demand
        base), ``rule_id``, ``demand_base``, ``quad_segs``, ``note``.

    Examples
    --------
    >>> from shapely.geometry import box, Point
    >>> res = gpd.GeoDataFrame({"parcel_id": ["a", "b"], "subdistrict_code": ["s1", "s2"],
    ...     "population": [100.0, 300.0]},
    ...     geometry=[box(0, 0, 100, 100), box(1000, 0, 1100, 100)], crs="EPSG:4548")
    >>> parks = gpd.GeoDataFrame({"radius_m": [200.0]}, geometry=[Point(0, 0)], crs="EPSG:4548")
    >>> blocks = gpd.GeoDataFrame({"block_id": ["h"]}, geometry=[box(0, 0, 50, 100)],
    ...     crs="EPSG:4548")
    >>> t = coverage_table(res, parks, historic_blocks=blocks)
    >>> cols = ["scope", "unit_code", "variant", "residential_m2", "rate_pct", "pop_rate_pct"]
    >>> print(t[cols].round(2).to_string(index=False))
             scope unit_code      variant  residential_m2  rate_pct  pop_rate_pct
          district  district     all_land         20000.0     50.00         25.00
          district  district non_historic         15000.0     33.33         14.29
       subdistrict        s1     all_land         10000.0    100.00        100.00
       subdistrict        s2     all_land         10000.0      0.00          0.00
       subdistrict        s1 non_historic          5000.0    100.00        100.00
       subdistrict        s2 non_historic         10000.0      0.00          0.00
    historic_block         h     all_land          5000.0    100.00        100.00
    """
    qs = _quad_segs(quad_segs, rule)
    pc = _prepare(
        residential, parks_with_radius, subdistricts, historic_blocks, qs, population_col, disjoint
    )
    return _table(pc, subdistricts, rule, district_code, district_name_zh, district_name_en)


def service_radius_layer(
    parks_with_radius: gpd.GeoDataFrame, quad_segs: int = DEFAULT_QUAD_SEGS
) -> gpd.GeoDataFrame:
    """Dissolved service areas, one row per radius tier, for the map.

    Parameters
    ----------
    parks_with_radius : GeoDataFrame
        Parks with ``radius_m`` (and optionally ``tier``) in a metric CRS.
    quad_segs : int
        Buffer segments per quarter circle.

    Returns
    -------
    GeoDataFrame
        ``radius_m``, ``tier`` (the rule's tier label(s), or ``"<r> m"``), ``label_zh``
        (``"500米服务半径"``), ``label_en`` (``"500 m service radius"``), ``n_parks``, ``area_m2``
        and the dissolved (Multi)Polygon; ascending radius. Same CRS as the parks.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> p = gpd.GeoDataFrame({"radius_m": [300.0, 500.0, 500.0]},
    ...     geometry=[Point(0, 0), Point(0, 0), Point(5000, 0)], crs="EPSG:4548")
    >>> service_radius_layer(p, quad_segs=8)[["radius_m", "label_zh", "n_parks"]]
       radius_m      label_zh  n_parks
    0     300.0  300米服务半径        1
    1     500.0  500米服务半径        2
    """
    _check_parks(parks_with_radius)
    sa = service_areas(
        parks_with_radius.geometry, parks_with_radius["radius_m"], quad_segs=quad_segs
    )
    r = _num(parks_with_radius["radius_m"])
    tiers = (
        parks_with_radius["tier"].astype(str).to_numpy()
        if "tier" in parks_with_radius.columns
        else np.array([f"{x:g} m" for x in r], dtype=object)
    )
    rows = []
    geoms = []
    for radius in np.unique(r):
        m = r == radius
        g = shapely.union_all(np.asarray(sa.values)[m])
        rows.append(
            {
                "radius_m": float(radius),
                "tier": "; ".join(sorted(set(tiers[m]))),
                "label_zh": f"{radius:g}米服务半径",
                "label_en": f"{radius:g} m service radius",
                "n_parks": int(m.sum()),
                "area_m2": float(shapely.area(g)),
            }
        )
        geoms.append(g)
    cols = ["radius_m", "tier", "label_zh", "label_en", "n_parks", "area_m2"]
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=cols), geometry=geoms, crs=parks_with_radius.crs
    )


@dataclass
class CoverageLayers:
    """Map-ready layers of one coverage computation (all in the metric CRS of the input).

    Attributes
    ----------
    table : pandas.DataFrame
        :func:`coverage_table`.
    subdistricts : GeoDataFrame or None
        街道 polygons with ``residential_m2``, ``covered_m2``, ``rate_pct`` (all-land),
        ``rate_pct_non_historic``, ``pop_rate_pct``, ``headline_rate_pct``, ``note``.
    residential : GeoDataFrame
        Residential land dissolved by ``subdistrict_code``, ``in_historic_block`` and ``covered``
        (bool), with ``area_m2``.
    service_areas : GeoDataFrame
        :func:`service_radius_layer`.
    """

    table: pd.DataFrame
    subdistricts: gpd.GeoDataFrame | None
    residential: gpd.GeoDataFrame
    service_areas: gpd.GeoDataFrame


def coverage_layers(
    residential: gpd.GeoDataFrame,
    parks_with_radius: gpd.GeoDataFrame,
    *,
    subdistricts: gpd.GeoDataFrame | None = None,
    historic_blocks: gpd.GeoDataFrame | None = None,
    rule: RuleSet | None = None,
    quad_segs: int | None = None,
    population_col: str | None = None,
    district_code: str = "district",
    district_name_zh: str = "全区",
    district_name_en: str = "Whole district",
    disjoint: bool = False,
) -> CoverageLayers:
    """The coverage table plus map layers: 街道 rates, covered/uncovered land, service areas.

    Parameters
    ----------
    residential, parks_with_radius, subdistricts, historic_blocks, rule, quad_segs,
    population_col, district_code, district_name_zh, district_name_en
        As for :func:`coverage_table`.

    Returns
    -------
    CoverageLayers

    Examples
    --------
    >>> from shapely.geometry import box, Point
    >>> res = gpd.GeoDataFrame({"subdistrict_code": ["s1"]}, geometry=[box(0, 0, 100, 100)],
    ...     crs="EPSG:4548")
    >>> parks = gpd.GeoDataFrame({"radius_m": [50.0]}, geometry=[box(-10, 0, 0, 100)],
    ...     crs="EPSG:4548")
    >>> lay = coverage_layers(res, parks, quad_segs=8)
    >>> lay.residential[["covered", "area_m2"]].values.tolist()
    [[False, 5000.0], [True, 5000.0]]
    """
    qs = _quad_segs(quad_segs, rule)
    pc = _prepare(
        residential, parks_with_radius, subdistricts, historic_blocks, qs, population_col, disjoint
    )
    table = _table(pc, subdistricts, rule, district_code, district_name_zh, district_name_en)
    sal = service_radius_layer(parks_with_radius, qs)
    served = shapely.union_all(np.asarray(sal.geometry.values)) if len(sal) else shapely.Polygon()
    shapely.prepare(served)
    cov_g = _polygonal(shapely.intersection(pc.geom, served))
    unc_g = _polygonal(shapely.difference(pc.geom, served))
    n = len(pc.geom)
    parts = gpd.GeoDataFrame(
        {
            "subdistrict_code": np.concatenate([pc.sub, pc.sub]).astype(object),
            "in_historic_block": np.concatenate([pc.face >= 0, pc.face >= 0]),
            "covered": np.concatenate([np.ones(n, bool), np.zeros(n, bool)]),
        },
        geometry=np.concatenate([cov_g, unc_g]),
        crs=pc.parcels.crs,
    )
    parts = parts[~shapely.is_empty(np.asarray(parts.geometry.values))]
    parts["subdistrict_code"] = parts["subdistrict_code"].fillna("")
    res_layer = parts.dissolve(
        by=["subdistrict_code", "in_historic_block", "covered"], as_index=False
    )
    res_layer["area_m2"] = res_layer.geometry.area
    sub_layer = None
    if subdistricts is not None:
        t = table[table["scope"] == "subdistrict"]
        a = t[t["variant"] == "all_land"].set_index("unit_code")
        nh = t[t["variant"] == "non_historic"].set_index("unit_code")
        sub_layer = subdistricts[
            [c for c in ("code", "name_zh", "name_en") if c in subdistricts.columns]
            + [subdistricts.geometry.name]
        ].copy()
        code = sub_layer["code"].astype(str)
        for col in ("residential_m2", "covered_m2", "rate_pct", "pop_rate_pct", "note"):
            sub_layer[col] = code.map(a[col]).to_numpy()
        sub_layer["rate_pct_non_historic"] = (
            code.map(nh["rate_pct"]).to_numpy() if len(nh) else np.nan
        )
        hv = rule.headline_variant if rule is not None else "all_land"
        src = a if hv == "all_land" or not len(nh) else nh
        sub_layer["headline_rate_pct"] = code.map(src["headline_rate_pct"]).to_numpy()
    return CoverageLayers(
        table=table, subdistricts=sub_layer, residential=res_layer, service_areas=sal
    )
