"""A large synthetic study area for the web-map benchmark and browser tests (issue 13).

Everything is made up by :func:`geo.synthetic.synthetic_city` (seeded): parcels, parks, historic
blocks, 街道 (codes ``99…``, ``source = "synthetic"``) and street segments along the grid's
streets. Park kinds are mapped to the schema's kinds and given a made-up ``opened_year`` (so the
year filter has something to filter); names say "合成 synthetic". The layers are written as a
user-built study area: ``<folder>/studyareas/<name>.toml`` + ``<folder>/<name>/*.geojson``, which the
web map loads with ``STUDY_AREA=<folder>/studyareas/<name>.toml``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.synthetic import synthetic_city
from layers.io import write_layer

KINDS = {
    "pocket": "pocket_park",
    "community": "community_park",
    "comprehensive": "comprehensive_park",
}


def _streets(parcels: gpd.GeoDataFrame, n: int, seed: int) -> gpd.GeoDataFrame:
    """``n`` street segments: edges of parcel envelopes (metric CRS), a made-up street network."""
    rng = np.random.default_rng(seed)
    b = shapely.bounds(np.asarray(parcels.geometry.values))
    pick = rng.choice(len(b), size=min(n, len(b)), replace=False)
    side = rng.integers(0, 2, size=len(pick))
    x0, y0, x1, y1 = (b[pick, i] for i in range(4))
    off = 5.0  # metres outside the parcel, in the street
    south = np.stack([np.column_stack([x0, y0 - off]), np.column_stack([x1, y0 - off])], axis=1)
    west = np.stack([np.column_stack([x0 - off, y0]), np.column_stack([x0 - off, y1])], axis=1)
    lines = shapely.linestrings(np.where((side == 0)[:, None, None], south, west))
    ids = [f"SYN-S{i}" for i in range(len(pick))]
    return gpd.GeoDataFrame(
        {
            "street_id": ids,
            "name_zh": [f"合成街巷{i}" for i in range(len(pick))],
            "highway": "residential",
            "length_m": shapely.length(lines),
            "source": "synthetic",
            "geometry_quality": "approximate",
        },
        geometry=lines,
        crs=parcels.crs,
    )


def write_synthetic_area(
    folder: Path,
    name: str = "synthetic-large",
    n_parcels: int = 50_000,
    n_parks: int = 2_000,
    n_streets: int = 30_000,
    seed: int = 13,
) -> Path:
    """Write the synthetic study area; returns the path of its TOML (``STUDY_AREA`` for the app)."""
    city = synthetic_city(n_parcels, n_parks, seed=seed)
    rng = np.random.default_rng(seed)
    data = folder / name
    data.mkdir(parents=True, exist_ok=True)
    parks = city.parks.copy()
    parks["kind"] = parks["kind"].map(KINDS).fillna("other")
    parks["name_zh"] = [f"合成公园{i}" for i in range(len(parks))]
    parks["opened_year"] = rng.integers(1990, 2025, size=len(parks))
    parks = parks.drop(columns=["radius_m"])
    hist = city.historic_blocks.copy()
    hist["name_zh"] = [f"合成历史街区{i}" for i in range(len(hist))]
    sd = city.subdistricts
    district = gpd.GeoDataFrame(
        {
            "code": ["990000000"],
            "name_zh": ["合成区"],
            "name_en": ["Synthetic district"],
            "area_km2_official": [None],
            "source": ["synthetic"],
            "geometry_quality": ["approximate"],
        },
        geometry=[shapely.union_all(np.asarray(sd.geometry.values))],
        crs=sd.crs,
    )
    cats = ["pocket_park", "garden_block", "old_housing", "greenway"]
    pts = sd.geometry.representative_point()
    projects = gpd.GeoDataFrame(
        {
            "project_id": [f"SYN-J{i}" for i in range(len(sd))],
            "name_zh": [f"合成项目{i}" for i in range(len(sd))],
            "category": [cats[i % len(cats)] for i in range(len(sd))],
            "subdistrict_codes": sd["code"].astype(str).to_numpy(),
            "start_year": [2016 + i % 8 for i in range(len(sd))],
            "latest_status": ["done" if i % 2 else "under_way" for i in range(len(sd))],
            "latest_status_year": [2020 + i % 5 for i in range(len(sd))],
            "source": "synthetic",
            "geometry_quality": "approximate",
        },
        geometry=np.asarray(pts.values),
        crs=sd.crs,
    )
    layers = {
        "projects": projects,
        "district": district,
        "subdistricts": sd,
        "parks": parks,
        "historic_blocks": hist,
        "residential": city.residential,
        "streets": _streets(city.residential, n_streets, seed),
    }
    for lname, gdf in layers.items():
        write_layer(gdf.to_crs(4326), data / f"{lname}.geojson")
    w, s, e, n = district.to_crs(4326).total_bounds
    toml = folder / "studyareas" / f"{name}.toml"
    toml.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Synthetic study area (geo.synthetic): nothing here describes a real place.",
        f'name = "{name}"',
        'title_zh = "合成研究区"',
        'title_en = "Synthetic study area"',
        'code = ""',
        'metric_crs = "EPSG:4548"',
        f"extent = [{w - 0.05:.4f}, {s - 0.05:.4f}, {e + 0.05:.4f}, {n + 0.05:.4f}]",
        f'data_dir = "{data}"',
        'default_rule = "xicheng-2016"',
        "",
        "[layers]",
        *(f'{k} = "{k}.geojson"' for k in layers),
    ]
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return toml
