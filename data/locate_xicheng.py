"""Place the demo layers' location texts (issue 11) for ``build_xicheng.py``: projects, historic blocks, parks.

The gazetteer is built from ../shared/realdata/xicheng (OSMnx drive graph, BBBike extract); only geometry that
:mod:`geo.locate` computes is kept, credited to OpenStreetMap. Distances in the metric CRS given by the caller.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
OSM_CREDIT = "© OpenStreetMap contributors (ODbL 1.0)"

GRAPHML = "osmnx-drive/xicheng_drive.graphml"
LOCATE_CREDIT = (
    "approximate geometry computed by geo.locate from the plan's location text against named streets and "
    f"features {OSM_CREDIT} (OSMnx drive graph, BBBike extract); only computed points, lines and polygons"
)
LOCATE_COLUMNS = [
    "geometry_method",
    "geometry_confidence",
    "location_span",
    "location_matches",
    "area_ratio",
    "location_reason",
]


def load_gazetteer(realdata: Path | None, metric: str):  # type: ignore[no-untyped-def]
    """The gazetteer of named streets (OSMnx GraphML) and features (BBBike), or None when absent."""
    if (
        realdata is None
        or not (realdata / GRAPHML).is_file()
        or not (realdata / "bbbike-shp").is_dir()
    ):
        return None
    from layers.gazetteer_io import gazetteer_from_files

    return gazetteer_from_files(realdata / GRAPHML, realdata / "bbbike-shp", crs=metric)


def _apply(
    gdf: gpd.GeoDataFrame, rows: np.ndarray, results: list, keep: np.ndarray, metric: str
) -> None:
    """Write located geometry and explanation columns into ``gdf`` (in place) for ``rows``."""
    from geo.locate import results_frame

    frame = results_frame(results, metric).to_crs("EPSG:4326")
    for col in LOCATE_COLUMNS:
        if col not in gdf.columns:
            gdf[col] = np.nan if col in ("geometry_confidence", "area_ratio") else None
    idx = gdf.index[rows]
    for col in LOCATE_COLUMNS:
        gdf.loc[idx, col] = frame[col].to_numpy()
    geoms = frame.geometry.to_numpy().copy()
    geoms[~keep] = None
    placed = np.array([g is not None for g in geoms])
    gdf.loc[idx, "geometry"] = gpd.GeoSeries(geoms, index=idx, crs="EPSG:4326")
    gdf.loc[idx[placed], "geometry_quality"] = "approximate"
    gdf.loc[idx[placed], "source"] = gdf.loc[idx[placed], "source"] + "; " + LOCATE_CREDIT


def locate_all(
    gz,  # type: ignore[no-untyped-def]
    projects: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    outline_wgs: shapely.Geometry,
    metric: str,
) -> dict[str, object]:
    """Resolve location texts (in place): projects (四至 else location), historic blocks with a 四至 (polygons
    only), parks without a usable point (the named park's representative point, or a disc of its area)."""
    from geo.locate import locate_text
    from layers.gazetteer_io import read_rules

    rules = read_rules(ROOT / "data" / "gazetteer" / "rules.toml")
    outline_m = gpd.GeoSeries([outline_wgs], crs="EPSG:4326").to_crs(metric).iloc[0]
    stats: dict[str, object] = {}

    texts = projects["sizhi_zh"].fillna(projects["location_zh"])
    rows = np.flatnonzero(texts.notna().to_numpy())
    res = [
        locate_text(
            texts.iat[i],
            gz,
            rules,
            published_area_m2=projects["area_m2"].iat[i],
            hint=projects["name_zh"].iat[i],
        )
        for i in rows
    ]
    for r in res:
        if r.placed and not r.geometry.within(outline_m):
            # streets and rivers run on beyond the district: keep the part inside it
            r.geometry = shapely.intersection(r.geometry, outline_m)
            note = (
                "clipped to the district outline 裁至西城区界"
                if r.placed
                else "outside the district 不在西城区内"
            )
            r.reason = "; ".join(filter(None, [r.reason, note]))
            if r.placed and r.geometry.geom_type == "GeometryCollection":
                top = max(shapely.get_dimensions(g) for g in shapely.get_parts(r.geometry))
                parts = [
                    g for g in shapely.get_parts(r.geometry) if shapely.get_dimensions(g) == top
                ]
                r.geometry = shapely.union_all(parts)
    keep = np.array([r.placed for r in res])
    _apply(projects, rows, res, keep, metric)
    methods: dict[str, int] = {}
    for r, k in zip(res, keep, strict=True):
        m = r.method if k else "none"
        methods[m] = methods.get(m, 0) + 1
    stats["projects_with_text"] = len(rows)
    stats["projects_placed"] = int(keep.sum())
    stats["projects_by_method"] = dict(sorted(methods.items()))

    rows = np.flatnonzero(blocks["sizhi_zh"].notna().to_numpy())
    res = [
        locate_text(
            blocks["sizhi_zh"].iat[i], gz, rules, published_area_m2=blocks["area_m2"].iat[i]
        )
        for i in rows
    ]
    keep = np.array([r.placed and shapely.get_dimensions(r.geometry) == 2 for r in res])
    for r, k in zip(res, keep, strict=True):
        if r.placed and not k:
            r.reason = "; ".join(
                filter(None, [r.reason, "only a point or line derived: a block needs an area"])
            )
    _apply(blocks, rows, res, keep, metric)
    stats["blocks_with_sizhi"] = len(rows)
    stats["blocks_placed"] = int(keep.sum())
    stats["area_check"] = [
        {"id": blocks["block_id"].iat[i], "method": r.method, "area_ratio": r.area_ratio}
        for i, r in zip(rows, res, strict=True)
        if np.isfinite(blocks["area_m2"].iat[i])
    ] + [
        {"id": projects["project_id"].iat[i], "method": r.method, "area_ratio": r.area_ratio}
        for i, r in zip(
            np.flatnonzero(projects["sizhi_zh"].notna().to_numpy()),
            [
                locate_text(
                    projects["sizhi_zh"].iat[i],
                    gz,
                    rules,
                    published_area_m2=projects["area_m2"].iat[i],
                )
                for i in np.flatnonzero(projects["sizhi_zh"].notna().to_numpy())
            ],
            strict=True,
        )
        if np.isfinite(projects["area_m2"].iat[i])
    ]

    rows = np.flatnonzero(parks.geometry.isna().to_numpy())
    kinds = ["natural", "landuse"]
    res = []
    for i in rows:
        m = gz.lookup(parks["name_zh"].iat[i], kinds=kinds)
        text = parks["name_zh"].iat[i]
        if not m.found:
            r = locate_text(None, gz)
            r.text, r.span = text, text
            r.reason = "park not found in the gazetteer 未找到" + (
                f" (ambiguous: {' / '.join(m.ambiguous)})" if m.ambiguous else ""
            )
        else:
            r = locate_text(m.name, gz, rules, published_area_m2=parks["area_m2"].iat[i])
            r.text, r.span = text, text
            r.matches = [(text, m.name, m.score)]
        res.append(r)
    keep = np.array([r.placed and r.geometry.within(outline_m) for r in res])
    for r, k in zip(res, keep, strict=True):
        if r.placed and not k:
            r.reason = "; ".join(
                filter(None, [r.reason, "derived point outside the district 不在西城区内"])
            )
    _apply(parks, rows, res, keep, metric)
    pts = gpd.GeoSeries(
        [r.geometry if k else None for r, k in zip(res, keep, strict=True)], crs=metric
    )
    anchor = gpd.GeoSeries([g.centroid if g is not None else None for g in pts], crs=metric).to_crs(
        "EPSG:4326"
    )
    idx = parks.index[rows]
    parks.loc[idx[keep], "lon"] = anchor.x.to_numpy()[keep]
    parks.loc[idx[keep], "lat"] = anchor.y.to_numpy()[keep]
    parks.loc[idx[keep], "coord_datum_source"] = "computed (WGS-84, OSM)"
    stats["parks_without_point"] = len(rows)
    stats["parks_placed_from_gazetteer"] = int(keep.sum())
    return stats
