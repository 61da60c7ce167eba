"""Replacing a layer's geometry by key while keeping its published attributes (``geometry_only`` imports)."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd

from layers.io_problems import file_error
from layers.schema import LayerSchema


def replace_geometry(
    base: gpd.GeoDataFrame, new: gpd.GeoDataFrame, key: str, *, label: str = "imported"
) -> gpd.GeoDataFrame:
    """Keep ``base``'s attributes but take geometry, quality and a source note from ``new`` by key.

    Used when a real boundary layer (official or OSM) replaces approximate geometry: published attributes
    (areas, populations, names) stay, the geometry and its provenance change. Keys of ``new`` unknown to
    ``base`` raise :class:`LayerError`; base rows without a match keep their geometry.

    Examples
    --------
    >>> import shapely
    >>> base = gpd.GeoDataFrame({"code": ["a", "b"], "pop": [1, 2], "source": ["x", "y"],
    ...     "geometry_quality": ["approximate"] * 2}, geometry=[shapely.box(0, 0, 1, 1)] * 2)
    >>> new = gpd.GeoDataFrame({"code": ["a"], "source": ["OSM"], "geometry_quality": ["osm"]},
    ...     geometry=[shapely.box(0, 0, 2, 2)])
    >>> out = replace_geometry(base, new, "code", label="OSM")
    >>> out.geometry_quality.tolist(), out.area.tolist(), out["pop"].tolist()
    (['osm', 'approximate'], [4.0, 1.0], [1, 2])
    """
    extra = sorted(set(new[key]) - set(base[key]))
    if extra:
        raise file_error(
            label, key, f"keys not in the existing layer: {', '.join(map(str, extra))}"
        )
    out = base.copy()
    idx = pd.Index(out[key])
    pos = idx.get_indexer(new[key])
    geom = out.geometry.array.copy()
    geom[pos] = new.geometry.array
    out = out.set_geometry(gpd.GeoSeries(geom, index=out.index, crs=base.crs))
    quality = out["geometry_quality"].to_numpy(dtype=object, copy=True)
    quality[pos] = new["geometry_quality"].to_numpy(dtype=object)
    out["geometry_quality"] = quality
    sources = out["source"].to_numpy(dtype=object, copy=True)
    sources[pos] = [f"{s}; geometry: {n}" for s, n in zip(sources[pos], new["source"], strict=True)]
    out["source"] = sources
    return out


def _geometry_only_schema(sch: LayerSchema) -> LayerSchema:
    """``sch`` with only the key, ``source`` and ``geometry_quality`` still required.

    A geometry-only import file need not carry the attributes :func:`replace_geometry` keeps.
    """
    return LayerSchema(
        sch.name,
        sch.title_zh,
        sch.title_en,
        sch.key,
        tuple(
            c
            if c.name in (sch.key, "source", "geometry_quality")
            else dataclasses.replace(c, required=False)
            for c in sch.columns
        ),
        sch.geometry_types,
        sch.geometry_required,
    )
