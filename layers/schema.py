"""Declared schemas of the project's layers: columns, dtypes, geometry types, CRS and key.

Every layer carries two provenance columns: ``source`` (a citation) and ``geometry_quality`` (one of
:data:`GEOMETRY_QUALITIES`). A feature without geometry has quality ``none``, and a feature with quality ``none``
has no geometry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from geo.rules import PARK_KINDS

DType = Literal["str", "int", "float", "bool"]

#: How good a feature's geometry is, best first.
GEOMETRY_QUALITIES: tuple[str, ...] = ("official", "osm", "user", "approximate", "none")

PROJECT_STATUSES = ("planned", "under_way", "done", "unknown")
PROJECT_CATEGORIES = (
    "park",
    "pocket_park",
    "greenway",
    "urban_forest",
    "garden_block",
    "vertical_greening",
    "green_other",
    "shantytown",
    "environment_upgrade",
    "lease_surrender",
    "old_housing",
    "heritage_vacate",
    "renewal_plot",
    "infrastructure",
    "parking",
    "other",
)

#: Kinds of the ``barriers`` layer (things a walker crosses only at bridges, tunnels or crossings).
BARRIER_KINDS = ("rail", "river", "canal", "motorway", "trunk", "water")


@dataclass(frozen=True)
class Column:
    """One attribute column of a layer.

    Parameters
    ----------
    name : str
        Column name.
    dtype : {"str", "int", "float", "bool"}
        Value type; ``int`` is stored as pandas' nullable ``Int64``.
    required : bool
        The column must be present in the input file.
    nullable : bool
        Values may be empty (empty means "not published / not known", never zero).
    choices : tuple of str, optional
        Allowed values.
    ref : str, optional
        ``"subdistricts.code"``: every value (``;``-separated for lists) must be a known 街道 code.
    minimum : float, optional
        Smallest allowed value for numbers.
    """

    name: str
    dtype: DType = "str"
    required: bool = True
    nullable: bool = True
    choices: tuple[str, ...] | None = None
    ref: str | None = None
    minimum: float | None = None


@dataclass(frozen=True)
class LayerSchema:
    """Schema of one layer or table.

    Examples
    --------
    >>> s = SCHEMAS["parks"]
    >>> s.key, s.geometry_types
    ('park_id', ('Polygon', 'MultiPolygon', 'Point'))
    >>> "geometry_quality" in s.column_names
    True
    """

    name: str
    title_zh: str
    title_en: str
    key: str
    columns: tuple[Column, ...]
    geometry_types: tuple[str, ...] = ()
    geometry_required: bool = False
    crs: str = "EPSG:4326"

    @property
    def is_table(self) -> bool:
        """True for attribute-only tables (no geometry column)."""
        return not self.geometry_types

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_names(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"layer '{self.name}' has no column '{name}'")


def _provenance() -> tuple[Column, ...]:
    return (
        Column("source", "str", nullable=False),
        Column("geometry_quality", "str", nullable=False, choices=GEOMETRY_QUALITIES),
    )


def _located() -> tuple[Column, ...]:
    """How approximate geometry was derived from a location text (geo.locate); optional."""
    return (
        Column("geometry_method", required=False),
        Column("geometry_confidence", "float", required=False, minimum=0),
        Column("location_span", required=False),
        Column("location_matches", required=False),
        Column("area_ratio", "float", required=False, minimum=0),
        Column("location_reason", required=False),
    )


_POLY = ("Polygon", "MultiPolygon")

SCHEMAS: dict[str, LayerSchema] = {
    s.name: s
    for s in (
        LayerSchema(
            "district",
            "区界",
            "District outline",
            "code",
            (
                Column("code", nullable=False),
                Column("name_zh", nullable=False),
                Column("name_en"),
                Column("area_km2_official", "float", minimum=0),
                *_provenance(),
            ),
            _POLY,
            geometry_required=True,
        ),
        LayerSchema(
            "subdistricts",
            "街道",
            "Subdistricts (street offices)",
            "code",
            (
                Column("code", nullable=False),
                Column("name_zh", nullable=False),
                Column("name_en"),
                Column("area_km2_published", "float", required=False, minimum=0),
                Column("communities_2023", "int", required=False, minimum=0),
                Column("pop_2020_census", "int", required=False, minimum=0),
                Column("pop_other", "int", required=False, minimum=0),
                Column("pop_other_year", "int", required=False),
                Column("osm_relation_id", "int", required=False),
                Column("interior_lon", "float", required=False),
                Column("interior_lat", "float", required=False),
                *_provenance(),
            ),
            _POLY,
            geometry_required=False,
        ),
        LayerSchema(
            "parks",
            "公园绿地",
            "Parks and green spaces",
            "park_id",
            (
                Column("park_id", nullable=False),
                Column("name_zh", nullable=False),
                Column("name_en", required=False),
                Column("kind", nullable=False, choices=PARK_KINDS),
                Column("subdistrict_code", required=False, ref="subdistricts.code"),
                Column("subdistrict_zh", required=False),
                Column("area_m2", "float", required=False, minimum=0),
                Column("water_m2", "float", required=False, minimum=0),
                Column("fee", required=False, choices=("yes", "no", "unknown")),
                Column("opened_year", "int", required=False),
                Column("status", required=False, choices=("existing", "planned", "closed")),
                Column("lon", "float", required=False),
                Column("lat", "float", required=False),
                Column("coord_datum_source", required=False),
                Column("note", required=False),
                *_located(),
                *_provenance(),
            ),
            ("Polygon", "MultiPolygon", "Point"),
        ),
        LayerSchema(
            "historic_blocks",
            "历史文化街区",
            "Historic cultural blocks",
            "block_id",
            (
                Column("block_id", nullable=False),
                Column("name_zh", nullable=False),
                Column("name_en", required=False),
                Column("area_m2", "float", required=False, minimum=0),
                Column("in_xicheng", required=False, choices=("yes", "partly", "unverified")),
                Column("batch", required=False),
                Column("sizhi_zh", required=False),
                Column("note", required=False),
                *_located(),
                *_provenance(),
            ),
            _POLY,
        ),
        LayerSchema(
            "projects",
            "更新与绿化项目",
            "Renewal and greening projects",
            "project_id",
            (
                Column("project_id", nullable=False),
                Column("name_zh", nullable=False),
                Column("category", nullable=False, choices=PROJECT_CATEGORIES),
                Column("subdistrict_codes", required=False, ref="subdistricts.code"),
                Column("subdistricts_zh", required=False),
                Column("location_zh", required=False),
                Column("sizhi_zh", required=False),
                Column("area_m2", "float", required=False, minimum=0),
                Column("households", "int", required=False, minimum=0),
                Column("investment_wan_cny", "float", required=False, minimum=0),
                Column("start_year", "int", required=False),
                Column("planned_end_year", "int", required=False),
                Column("latest_status", required=False, choices=PROJECT_STATUSES),
                Column("latest_status_year", "int", required=False),
                Column("status_history", required=False),
                Column("adds_green_space", "bool", required=False),
                Column("source_file", required=False),
                Column("source_lines", required=False),
                Column("note", required=False),
                *_located(),
                *_provenance(),
            ),
            ("Polygon", "MultiPolygon", "Point", "MultiPoint", "LineString", "MultiLineString"),
        ),
        LayerSchema(
            "residential",
            "居住用地",
            "Residential land",
            "parcel_id",
            (
                Column("parcel_id", nullable=False),
                Column("subdistrict_code", required=False, ref="subdistricts.code"),
                Column("population", "float", required=False, minimum=0),
                *_provenance(),
            ),
            _POLY,
            geometry_required=True,
        ),
        # Context layers of areas built from OpenStreetMap (``greenmap studyarea build``): each feature
        # keeps its OSM id (``osm:way/123``) as key.
        LayerSchema(
            "water",
            "水体",
            "Water bodies",
            "water_id",
            (
                Column("water_id", nullable=False),
                Column("name_zh", required=False),
                Column("kind", required=False),
                *_provenance(),
            ),
            _POLY,
            geometry_required=True,
        ),
        LayerSchema(
            "barriers",
            "阻隔",
            "Barriers to walking (rail, rivers and canals, motorways)",
            "barrier_id",
            (
                Column("barrier_id", nullable=False),
                Column("name_zh", required=False),
                Column("kind", nullable=False, choices=BARRIER_KINDS),
                Column("osm_type", required=False),
                *_provenance(),
            ),
            ("LineString", "MultiLineString", "Polygon", "MultiPolygon"),
            geometry_required=True,
        ),
        LayerSchema(
            "streets",
            "街巷",
            "Named streets (centrelines)",
            "street_id",
            (
                Column("street_id", nullable=False),
                Column("name_zh", nullable=False),
                Column("highway", required=False),
                Column("length_m", "float", required=False, minimum=0),
                *_provenance(),
            ),
            ("LineString", "MultiLineString"),
            geometry_required=True,
        ),
        LayerSchema(
            "places",
            "地名",
            "Named places (points)",
            "place_id",
            (
                Column("place_id", nullable=False),
                Column("name_zh", nullable=False),
                Column("kind", required=False),
                Column("population", "float", required=False, minimum=0),
                *_provenance(),
            ),
            ("Point",),
            geometry_required=True,
        ),
        LayerSchema(
            "entrances",
            "公园出入口",
            "Park entrances (tagged points)",
            "entrance_id",
            (
                Column("entrance_id", nullable=False),
                Column("name_zh", required=False),
                Column("kind", required=False),
                Column("osm_tags", required=False),
                Column("access", required=False),
                Column("park_id", required=False),
                *_provenance(),
            ),
            ("Point",),
            geometry_required=True,
        ),
        LayerSchema(
            "indicators",
            "指标",
            "Reported indicator values",
            "row_id",
            (
                Column("row_id", nullable=False),
                Column("indicator_id", nullable=False),
                Column("name_zh", nullable=False),
                Column("year", "int", nullable=False),
                Column("value", "float", nullable=False),
                Column("unit", nullable=False),
                Column("kind", nullable=False),
                Column("binding", required=False),
                Column("scope", required=False),
                Column("source", nullable=False),
                Column("source_file", required=False),
                Column("source_lines", required=False),
                Column("note", required=False),
            ),
        ),
        LayerSchema(
            "indicator_definitions",
            "指标定义",
            "Indicator definitions",
            "indicator_id",
            (
                Column("indicator_id", nullable=False),
                Column("definition_zh", nullable=False),
                Column("definition_en", required=False),
                Column("source", nullable=False),
                Column("source_file", required=False),
                Column("source_lines", required=False),
            ),
        ),
    )
}
