"""An imported residential layer fitted to the study area's 街道 (units) before it is stored.

Residential land from elsewhere (Baidu compounds, OSM, a survey) has no ``subdistrict_code`` and
does not follow the 街道 boundaries; coverage is summed per 街道, and a parcel outside every 街道
stops the computation. :func:`fit_to_units` fills the code of every parcel that lacks one:

* tolerant import (the CLI's default): parcels crossing a 街道 boundary are cut into one piece per
  街道 (ids ``<id>@<code>``, population shared by area), parcels outside every 街道 are dropped,
  and every change is reported with the parcels named;
* strict import (``--strict``, the Python default): nothing is changed; parcels outside every 街道
  are rejected with their row and id (the codes of the others are filled when coverage runs).

Parcels that already carry a code are kept as they are.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.residential_units import split_by_units
from layers.errors import LayerError, Problem
from layers.studyarea import StudyArea

__all__ = ["fit_to_units"]


def _shown(ids: list[str], n: int = 8) -> str:
    return ", ".join(ids[:n]) + (f" … (+{len(ids) - n})" if len(ids) > n else "")


def fit_to_units(
    gdf: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    study: StudyArea,
    *,
    tolerant: bool,
    label: str,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """``gdf`` (a residential layer, EPSG:4326) with the 街道 code of every parcel, and the changes.

    Parameters
    ----------
    gdf : GeoDataFrame
        The validated residential layer (EPSG:4326), ``subdistrict_code`` possibly missing.
    units : GeoDataFrame
        The study area's ``subdistricts`` layer (EPSG:4326, ``code``).
    study : StudyArea
        For its metric CRS (the cut is done in metres).
    tolerant : bool
        Cut and drop (and report) instead of rejecting.
    label : str
        The file, for messages.

    Raises
    ------
    LayerError
        Strict: parcels outside every 街道 (row and ``parcel_id`` named).
    """
    code = gdf["subdistrict_code"] if "subdistrict_code" in gdf.columns else None
    todo = (
        np.ones(len(gdf), bool)
        if code is None
        else (code.isna() | (code.astype(str).str.strip() == "")).to_numpy()
    )
    if not todo.any() or not len(units):
        return gdf, []
    crs = study.metric_crs
    part = gdf[todo & gdf.geometry.notna().to_numpy()]
    rows = np.flatnonzero(todo & gdf.geometry.notna().to_numpy())
    cut = split_by_units(part.to_crs(crs), units[["code", "geometry"]].to_crs(crs))
    outside_ids = part["parcel_id"].astype(str).to_numpy()[cut.outside].tolist()
    if not tolerant:
        if len(cut.outside):
            raise LayerError(
                [
                    Problem(
                        label, int(rows[i]) + 1, "subdistrict_code", f"parcel {pid} lies in no 街道"
                    )
                    for i, pid in zip(cut.outside, outside_ids, strict=True)
                ]
            )
        return gdf, []
    changes: list[str] = []
    pieces = cut.pieces.to_crs("EPSG:4326")
    kept = gdf[~todo | gdf.geometry.isna().to_numpy()]
    out = gpd.GeoDataFrame(
        pd.concat([pd.DataFrame(kept), pd.DataFrame(pieces)], ignore_index=True)[gdf.columns],
        geometry=gdf.geometry.name,
        crs=gdf.crs,
    )
    out["subdistrict_code"] = out["subdistrict_code"].astype(object)
    changes.append(
        f"subdistrict_code filled for {len(rows) - len(cut.outside)} parcels by the 街道 they lie in"
    )
    if len(cut.split):
        split_ids = part["parcel_id"].astype(str).to_numpy()[cut.split].tolist()
        pop = ""
        if "population" in gdf.columns and part["population"].iloc[cut.split].notna().any():
            pop = "; population shared among the pieces by area"
        changes.append(
            f"{len(cut.split)} parcels crossing a 街道 boundary cut into one piece per 街道 "
            f"(ids <id>@<code>{pop}): {_shown(split_ids)}"
        )
    if len(cut.outside):
        changes.append(
            f"dropped {len(cut.outside)} parcels outside every 街道 of the study area: "
            f"{_shown(outside_ids)}"
        )
    return out, changes
