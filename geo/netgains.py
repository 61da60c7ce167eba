"""Marginal gain per green project on the walking network, all projects at once (issue 12).

The gain of a project outside the baseline is its network service area over the residential land
the baseline's network service leaves unserved; for a project in the baseline, the land only it
serves (the service of all *other* baseline parks removed). :func:`network_marginal_gains`
computes every project's gain without a Python loop over projects, parks or nodes:

1. access points of the baseline parks and the counted projects, one pass
   (:func:`geo.netaccess.access_points`; tagged entrances by park row,
   :func:`geo.netentrances.entrance_owners`); :func:`geo.netengine.network_reach` of all of them
   gives the split graph (every access point a node; its own search is held to the access
   offsets, a few tens of metres);
2. *labels*: ``0`` = the baseline; ``1 … P`` = each counted project alone; then one label per
   in-baseline project for "the baseline without it". Each label gets a virtual super-source with
   one-way edges to the access nodes of its parks (weight: the access offset plus
   ``R_max - R_park``, as in :func:`geo.netengine.network_reach`), and **one**
   :func:`scipy.sparse.csgraph.dijkstra` call from all super-sources (``indices``, ``limit =
   R_max``) gives the remaining distance of every label at every node: an ``L × n`` matrix
   (:func:`geo.netlabels.labelled_reach`);
3. :func:`geo.netcoverage.service_sources` with that matrix gives the labelled street portions
   and node disks (node disks only at the original nodes and the label's own access nodes, so
   each label's sources are those its own run would give);
4. the uncovered land ``parcel − ⋃ buffers`` of the baseline (and, for in-baseline projects, of
   "the baseline without it" on the parcels the project reaches) comes from
   :func:`geo.netoverlay.parcel_unions`, and the gains from one labelled
   :func:`geo.netoverlay.network_covered_area` per kind of project (outside / inside the
   baseline), per (project, parcel) pair, summed per 街道.

Memory: the distance matrix is dense, ``L × n`` float64 with ``L = 1 + P + P_in`` labels and
``n`` the nodes of the split graph (street nodes plus access nodes): 300 labels on 50,000 nodes
is 120 MB (the boolean reached masks over the ``L × pieces`` pairs add an eighth of that per
array). Time: each label's Dijkstra explores only its own ``R_max`` neighbourhood; the baseline
labels explore the reach of all parks.

All in the study area's metric CRS (metres, m²).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from geo.coverage import DEFAULT_QUAD_SEGS, normalise_demand
from geo.indicator import _polygonal
from geo.netaccess import access_points
from geo.netcoverage import service_sources
from geo.netentrances import entrance_owners
from geo.netgraph import StreetGraph
from geo.netlabels import labelled_reach
from geo.netoverlay import network_covered_area, parcel_unions
from geo.nettable import euclidean_rule
from geo.rules import RuleSet
from geo.scenarios import rank_gains

__all__ = ["labelled_reach", "network_marginal_gains"]

#: Gains per 街道 below this (m², one square millimetre) are overlay rounding, not land: dropped.
NOISE_M2 = 1e-6


def _uncovered(
    darr: NDArray[np.object_], sources: gpd.GeoDataFrame, qs: int, pairs: ArrayLike | None = None
) -> tuple[NDArray[np.int64], NDArray[np.object_]]:
    """``parcel − ⋃ buffers`` per (label, parcel) pair met by the sources: keys and land."""
    pu = parcel_unions(darr, sources, quad_segs=qs, label="label", pairs=pairs)
    land = np.full(len(pu.parcel), shapely.Polygon(), dtype=object)
    part = ~pu.full
    if part.any():
        land[part] = _polygonal(shapely.difference(darr[pu.parcel[part]], pu.union[part]))
    return pu.label.astype(np.int64) * len(darr) + pu.parcel, land


def _gain_land(
    residential: gpd.GeoDataFrame,
    historic_blocks: gpd.GeoDataFrame | None,
    variant: str,
    by: str,
) -> tuple[NDArray[np.object_], NDArray[np.object_], pd.Series, float]:
    """The land the gains are measured on: parcels (historic blocks cut out for the
    ``non_historic`` variant), their unit keys, the land per unit and in all (m²)."""
    from geo.indicator import _present

    res = normalise_demand(residential, by=by)
    rg = np.asarray(res.geometry.values, dtype=object)
    keys = res[by].astype(str).to_numpy()
    if variant == "non_historic" and historic_blocks is not None:
        bg = np.asarray(historic_blocks.geometry.values, dtype=object)
        bg = bg[_present(bg)]
        if len(bg):
            rg = _polygonal(shapely.difference(rg, shapely.union_all(bg)))
    res_area = pd.Series(shapely.area(rg)).groupby(keys).sum()
    total = float(res_area.sum())
    return rg, keys, res_area, total


def _in_baseline_cover(
    rg: NDArray[np.object_],
    src: gpd.GeoDataFrame,
    in_lab: NDArray[np.intp],
    oth_lab: NDArray[np.intp],
    n_lab: int,
    qs: int,
) -> pd.DataFrame:
    """Covered m² per (label, parcel) of the in-baseline projects ``in_lab``: their service over
    the land "the baseline without it" (label ``oth_lab``) leaves unserved, on the parcels the
    project reaches."""
    n = len(rg)
    slab = src["label"].to_numpy()
    own_src = src[np.isin(slab, in_lab)]
    buf = shapely.buffer(
        np.asarray(own_src.geometry.values, dtype=object),
        own_src["radius_m"].to_numpy(float),
        quad_segs=qs,
    )
    si, kk = shapely.STRtree(rg).query(buf, predicate="intersects")
    tkey = np.unique(own_src["label"].to_numpy(np.int64)[si] * n + kk)
    t_lab, t_k = tkey // n, tkey % n  # (project label, parcel) pairs, one land item each
    o_of = np.empty(n_lab, np.int64)
    o_of[in_lab] = oth_lab
    okey, oland = _uncovered(rg, src[np.isin(slab, oth_lab)], qs, pairs=o_of[t_lab] * n + t_k)
    items = rg[t_k].copy()
    hit = pd.Index(o_of[t_lab] * n + t_k).get_indexer(okey)
    items[hit] = oland
    c = network_covered_area(
        items,
        own_src,
        quad_segs=qs,
        label="label",
        pairs=t_lab * len(items) + np.arange(len(items)),
    )
    c["parcel"] = t_k[c["parcel"].to_numpy()]
    return c


def _per_unit(
    pc: pd.DataFrame, pid: NDArray[np.object_], keys: NDArray[np.object_]
) -> pd.DataFrame:
    """Gain m² per (project, 街道) from covered m² per (label, parcel); rounding noise dropped."""
    per = (
        pd.DataFrame(
            {
                "project_id": pid[pc["label"].to_numpy() - 1],
                "unit_code": keys[pc["parcel"].to_numpy()],
                "gain_m2": pc["covered_m2"].to_numpy(),
            }
        )
        .groupby(["project_id", "unit_code"], sort=True)["gain_m2"]
        .sum()
        .reset_index()
    )
    return per[per["gain_m2"] > NOISE_M2]


def network_marginal_gains(
    residential: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame,
    rule: RuleSet,
    year: int,
    graph: StreetGraph,
    *,
    historic_blocks: gpd.GeoDataFrame | None = None,
    include_planned: bool = False,
    by: str = "subdistrict_code",
    entrances: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> pd.DataFrame:
    """Each green project's own gain under a network rule, with the Euclidean gain beside.

    The projects, their standing under the rule, the baseline of ``year`` and the variant are those
    of :func:`geo.scenarios.marginal_gains` (called with the same rule measured in a straight
    line, whose gains become ``euclidean_gain_m2`` / ``euclidean_gain_pp``). The network gain of a
    project outside the baseline is its network service area over the residential land the
    baseline's network service leaves unserved; for a project in the baseline, the land only it
    serves. All projects in one Dijkstra call and a few vectorised overlays (see the module
    docstring; no loop over projects). Gains per 街道 of at most :data:`NOISE_M2` are overlay
    rounding and give no row. Metric CRS; m² and percentage points.

    ``entrances`` (tagged entrance points, used as the rule's ``network.tagged_entrances`` says)
    are given to the parks of each label as in the run of "the baseline plus that project"
    (:func:`geo.netentrances.entrance_owners`): a baseline park keeps its entrances in every label,
    an in-baseline project's entrances leave with it (they are not lent to a neighbour), and an
    entrance within reach of a baseline park and a project goes to the nearer of the two in the
    project's label while the baseline park keeps it in the others.

    Returns
    -------
    DataFrame
        :data:`geo.scenarios.GAIN_COLUMNS` (gains on the network, ranks re-computed) plus
        ``euclidean_gain_m2``, ``euclidean_gain_pp`` and ``method`` = ``"network"``.
    """
    from geo.rules import assign_radii
    from geo.scenarios import GAIN_COLUMNS, green_projects, marginal_gains, parks_as_of

    if rule.network is None:
        raise ValueError(f"rule {rule.id!r} is not a network rule")
    net_p = rule.network
    qs = rule.quad_segs or DEFAULT_QUAD_SEGS
    euc = marginal_gains(
        residential,
        parks,
        projects,
        euclidean_rule(rule),
        year,
        historic_blocks=historic_blocks,
        include_planned=include_planned,
        by=by,
    )
    variant = str(euc["variant"].iloc[0]) if len(euc) else "all_land"
    rg, keys, res_area, total = _gain_land(residential, historic_blocks, variant, by)
    n = len(rg)

    zones = historic_blocks if any(t.zone != "any" for t in rule.tiers) else None
    base = assign_radii(parks_as_of(parks, projects, year, include_planned), rule, zones)
    d_rows = euc[euc["scope"] == "district"].reset_index(drop=True)
    counted = d_rows["eligible"].to_numpy(dtype=bool) & np.isfinite(
        d_rows["gain_m2"].to_numpy(dtype=float)
    )
    cp = d_rows[counted].reset_index(drop=True)
    pid = cp["project_id"].astype(str).to_numpy()
    in_base = cp["in_baseline"].astype(bool).to_numpy()
    gp = green_projects(projects)
    gp_geom = pd.Series(gp.geometry.values, index=gp["project_id"].astype(str).to_numpy())
    gp_geom = gp_geom[~gp_geom.index.duplicated()]

    # members: the baseline parks (rows 0 … B−1), then the counted projects (B … B+P−1)
    nb, npj = len(base), len(cp)
    base_id = base["park_id"].astype(str).to_numpy()
    members = gpd.GeoDataFrame(
        {
            "park_id": np.concatenate([base_id, pid]),
            "radius_m": np.concatenate(
                [base["radius_m"].to_numpy(float), cp["radius_m"].to_numpy(float)]
            ),
        },
        geometry=np.concatenate(
            [
                np.asarray(base.geometry.values, dtype=object),
                gp_geom.reindex(pid).to_numpy(dtype=object),
            ]
        ),
        crs=projects.crs,
    )
    # labels: 0 the baseline, 1 + j project j alone, 1 + P + q the baseline without the q-th
    # in-baseline project
    q_of = np.flatnonzero(in_base)
    oth_lab = 1 + npj + np.arange(len(q_of))
    o_rows, o_parks = np.nonzero(base_id[None, :] != pid[q_of][:, None])
    m_label = np.concatenate([np.zeros(nb, np.intp), 1 + np.arange(npj), oth_lab[o_rows]])
    m_park = np.concatenate([np.arange(nb), nb + np.arange(npj), o_parks])
    # tagged entrances by park row: the in-baseline projects' rows repeat baseline parks, whose
    # entrances the nearest-park rule of access_points would give to one copy only
    b_of = pd.Series(np.arange(nb), index=base_id)
    b_of = b_of[~b_of.index.duplicated()]
    same_as = np.concatenate(
        [np.full(nb, -1), np.where(in_base, b_of.reindex(pid).fillna(-1).to_numpy(), -1)]
    ).astype(np.intp)
    e_pos, e_row = entrance_owners(
        entrances,
        members,
        np.arange(nb + npj) < nb,
        same_as,
        max_distance_m=net_p.access_max_distance_m,
    )
    ap = access_points(
        graph,
        members,
        max_distance_m=net_p.access_max_distance_m,
        spacing_m=net_p.entrance_spacing_m,
        entrances=entrances.iloc[e_pos] if entrances is not None and len(e_pos) else None,
        entrance_park=e_row if len(e_pos) else None,
        tagged=net_p.tagged_entrances,
    )
    n_lab = 1 + npj + len(q_of)
    reach, rem, own = labelled_reach(graph, ap, members["radius_m"], m_label, m_park, n_lab)
    src = service_sources(reach, net_p.catchment_m, rem=rem, node_mask=own)
    slab = src["label"].to_numpy()

    # land the baseline leaves unserved; gains of the projects outside it
    land0 = rg.copy()
    k0, l0 = _uncovered(rg, src[slab == 0], qs)
    land0[k0 % n] = l0
    out_lab = 1 + np.flatnonzero(~in_base)
    cov = [network_covered_area(land0, src[np.isin(slab, out_lab)], quad_segs=qs, label="label")]
    # projects in the baseline: the land "the baseline without it" leaves unserved, on the
    # parcels the project reaches
    in_lab = 1 + q_of
    if len(in_lab):
        cov.append(_in_baseline_cover(rg, src, in_lab, oth_lab, n_lab, qs))
    pc = pd.concat(cov, ignore_index=True)
    pc = pc[pc["covered_m2"] > 0]
    per = _per_unit(pc, pid, keys)
    return _gain_frame(d_rows, counted, per, res_area, total, euc, GAIN_COLUMNS)


def _gain_frame(
    d_rows: pd.DataFrame,
    counted: NDArray[np.bool_],
    per: pd.DataFrame,
    res_area: pd.Series,
    total: float,
    euc: pd.DataFrame,
    gain_columns: tuple[str, ...],
) -> pd.DataFrame:
    """The output rows: one district row per project, one per 街道 with a positive gain."""
    cols = [*gain_columns, "euclidean_gain_m2", "euclidean_gain_pp"]
    if len(d_rows) == 0:
        out = pd.DataFrame(columns=cols)
        out["method"] = "network"
        return out[[*cols, "method"]]
    common = [c for c in gain_columns if c not in ("scope", "unit_code", "gain_m2")]
    dist_gain = per.groupby("project_id")["gain_m2"].sum()
    g = d_rows["gain_m2"].to_numpy(float)
    pid = d_rows["project_id"].astype(str)
    dg = np.where(
        counted, pid.map(dist_gain).fillna(0.0).to_numpy(float), np.where(np.isfinite(g), 0.0, g)
    )
    dist = d_rows[common].assign(scope="district", unit_code="district", gain_m2=dg)
    info = d_rows[common].assign(project_id=pid.to_numpy())
    sub = per.merge(info, on="project_id", how="left").assign(scope="subdistrict")
    sub["residential_m2"] = sub["unit_code"].map(res_area).fillna(0.0).to_numpy(float)
    out = pd.concat([dist, sub[dist.columns]], ignore_index=True)
    out["residential_m2"] = np.where(
        out["scope"] == "district", total, out["residential_m2"].astype(float)
    )
    out["gain_pp"] = 100.0 * out["gain_m2"] / out["residential_m2"].where(out["residential_m2"] > 0)
    e = euc[["project_id", "scope", "unit_code", "gain_m2", "gain_pp"]].rename(
        columns={"gain_m2": "euclidean_gain_m2", "gain_pp": "euclidean_gain_pp"}
    )
    out = out.merge(e, on=["project_id", "scope", "unit_code"], how="left")
    out["method"] = "network"
    return rank_gains(out)[[*cols, "method"]]
