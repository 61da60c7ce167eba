"""The tidy coverage table: group sums of pieces into district, 街道 and historic-block rows.

Each row sums the pieces of :class:`geo.indicator_pieces._Pieces` for one unit and variant
(``all_land`` / ``non_historic``) and turns the sums into rates (%), certified arc-error bounds
(percentage points) and explanatory notes. Areas in m² of the input's metric CRS.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.indicator_pieces import _block_ids, _Pieces
from geo.rules import RuleSet

#: Columns of :func:`geo.indicator.coverage_table`, in order.
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
    """Table rows (dicts, without the rule columns) for ``codes`` of one scope and variant."""
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
    """The full :func:`geo.indicator.coverage_table` frame from the pieces ``pc``."""
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
