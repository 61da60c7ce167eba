"""OSM polygons → repaired, clipped, labelled features in the metric CRS; what every builder needs.

:class:`BuildContext` carries the extract, the mapping of ``data/osm/mapping.toml``, the metric CRS, the
district and its units; :func:`polygon_layer` is the shared pipeline of the polygon layers (drop
non-polygons, repair invalid rings, drop empty and absurdly large features, clip to the district plus a
margin, label unnamed features), each step counted on the layer's :class:`~layers.repair.Tally`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from layers.osm_common import drop_rows, to_metric
from layers.osm_extract import Extract, osm_ref
from layers.repair import Tally, clip_to, drop_absurd, label_unnamed, repair_invalid

__all__ = ["BuildContext", "polygon_layer"]


@dataclass
class BuildContext:
    """What every layer builder needs.

    Attributes
    ----------
    extract : Extract
        The OSM extract read by :func:`layers.osm_extract.read_extract`.
    mapping : mapping
        ``data/osm/mapping.toml`` as loaded by :func:`layers.osm_extract.load_mapping`.
    metric_crs : str
        Projected CRS (metres) of the study area.
    district_m : shapely geometry
        The district in ``metric_crs``.
    units_m : GeoDataFrame
        The units (街道; ``code``, ``name_zh``) in ``metric_crs``.
    quality : str
        ``geometry_quality`` of every feature built.
    """

    extract: Extract
    mapping: Mapping[str, Any]
    metric_crs: str
    district_m: shapely.Geometry
    units_m: gpd.GeoDataFrame
    quality: str = "osm"

    def region(self, margin: float) -> shapely.Geometry:
        """The district, or the district grown by ``margin`` metres."""
        if margin <= 0:
            return self.district_m
        return shapely.buffer(self.district_m, margin, quad_segs=16)

    def label(self, layer: str, default: str) -> str:
        return str(self.mapping.get("unnamed", {}).get(layer, default))

    def polygons(
        self,
        rows: gpd.GeoDataFrame,
        layer: str,
        tally: Tally,
        rule: Mapping[str, Any],
        margin: float,
        unnamed: str,
    ) -> tuple[gpd.GeoDataFrame, np.ndarray]:
        """:func:`polygon_layer` of ``rows`` clipped to the district plus the rule's
        ``clip_margin_m`` (default ``margin``), unnamed features labelled ``unnamed``."""
        region = self.region(float(rule.get("clip_margin_m", margin)))
        return polygon_layer(
            self.extract,
            rows,
            layer,
            tally,
            self.metric_crs,
            region,
            rule,
            self.label(layer, unnamed),
        )


def polygon_layer(
    extract: Extract,
    rows: gpd.GeoDataFrame,
    layer: str,
    tally: Tally,
    metric_crs: str,
    region: shapely.Geometry,
    rule: Mapping[str, Any],
    unnamed_label: str,
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Repaired, absurd-free, clipped polygons in the metric CRS, with ``ref``, ``label``, ``full_area_m2``.

    ``tally.read`` is the caller's to set (it may have dropped features before).
    """
    if not len(rows):
        return rows.assign(ref=[], label=[], full_area_m2=[]).set_crs(
            metric_crs, allow_override=True
        ), np.array([])
    tid = shapely.get_type_id(rows.geometry.values)
    non_poly = ~np.isin(tid, (3, 6))
    rows = drop_rows(rows, non_poly, tally, "not a polygon (points/lines of a polygon layer)")
    ccw = shapely.is_ccw(shapely.get_exterior_ring(shapely.get_geometry(rows.geometry.values, 0)))
    if (~ccw).any():
        tally.note(
            f"{int((~ccw).sum())} exterior rings clockwise (shapefile order): written counter-clockwise "
            "(RFC 7946)"
        )
    geoms, repaired, reasons = repair_invalid(rows.geometry.values, "polygon")
    refs = np.array(
        [osm_ref(i, e) for i, e in zip(rows["osm_id"], rows["element"], strict=True)], dtype=object
    )
    if repaired.any():
        tally.repaired += int(repaired.sum())
        kinds = sorted({r.split("[")[0].strip() for r in reasons})
        ids = ", ".join(refs[repaired][:8])
        tally.note(
            f"repaired {int(repaired.sum())} invalid geometries with make_valid ({'; '.join(kinds)}: {ids})"
        )
    metric = to_metric(geoms, metric_crs)
    empty = shapely.is_empty(metric) | (shapely.area(metric) <= 0)
    tally.drop(int(empty.sum()), "empty after repair", refs[empty])
    max_extent = float(rule.get("max_extent_m", 10000))
    absurd, ext = drop_absurd(metric, max_extent)
    absurd &= ~empty
    for i in np.flatnonzero(absurd):
        tally.drop(
            1,
            f"{refs[i]} spans {ext[i] / 1000:.1f} km, more than max_extent_m = {max_extent:g} m for "
            f"layer {layer}: a broken geometry",
        )
    keep = ~(empty | absurd)
    full_area = shapely.area(metric)
    clipped_geoms, cut, outside = clip_to(metric, region, "polygon")
    outside &= keep
    margin = float(rule.get("clip_margin_m", 0))
    where = "the district" + (f" plus {margin:g} m" if margin else "")
    tally.drop(int(outside.sum()), f"outside {where}")
    keep &= ~outside
    tally.clipped += int((cut & keep).sum())
    if (cut & keep).any():
        tally.note(f"clipped {int((cut & keep).sum())} features crossing {where}")
    out = gpd.GeoDataFrame(
        rows.drop(columns="geometry")
        .assign(ref=refs, full_area_m2=full_area)[keep]
        .reset_index(drop=True),
        geometry=gpd.GeoSeries(clipped_geoms[keep], crs=metric_crs).values,
        crs=metric_crs,
    )
    labels, n_unnamed = label_unnamed(out["name"].to_numpy(), out["ref"].to_numpy(), unnamed_label)
    out["label"] = labels
    if n_unnamed:
        tally.note(f"{n_unnamed} without a name labelled '{unnamed_label} · osm:…'")
    return out, keep
