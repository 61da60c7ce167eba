"""The vocabularies of a park service-radius rule set: the values its fields may take.

Shared by the rule parser (:mod:`geo.rules_model`) and by ``layers.schema``, which validates the
parks layer against :data:`PARK_KINDS`. Import these names from :mod:`geo.rules`.
"""

from __future__ import annotations

__all__ = [
    "CITATION_STATUSES",
    "DEMAND_BASES",
    "EXCLUSIONS",
    "FEE_POLICIES",
    "KNOWN_PARK_KINDS",
    "PARK_KINDS",
    "VARIANTS",
    "ZONES",
]

#: Park kinds of the parks layer: the CJJ/T 85-2017 categories as used in ``facts/parks.csv``, plus
#: ``square`` (广场用地) for rules that count squares and ``other`` (e.g. an OSM park of unknown
#: category). ``layers.schema`` validates the parks layer against this tuple.
PARK_KINDS: tuple[str, ...] = (
    "comprehensive_park",
    "community_park",
    "special_park",
    "garden",
    "pocket_park",
    "urban_forest",
    "greenway",
    "wetland_park",
    "scenic_area",
    "square",
    "other",
)

#: Kinds a rule may name: the park kinds plus the green project categories ``park`` and
#: ``garden_block`` (projects added by :func:`geo.scenarios.parks_as_of` keep their category as
#: kind).
KNOWN_PARK_KINDS: frozenset[str] = frozenset(PARK_KINDS) | {"park", "garden_block"}
#: How a rule set's source has been checked.
CITATION_STATUSES: tuple[str, ...] = (
    "primary",
    "secondary",
    "commonly cited; no primary source checked",
)
FEE_POLICIES: tuple[str, ...] = ("any", "free_only")
ZONES: tuple[str, ...] = ("any", "inside_exclusion", "outside_exclusion")
EXCLUSIONS: tuple[str, ...] = ("none", "historic_blocks")
DEMAND_BASES: tuple[str, ...] = ("residential_area", "population")
VARIANTS: tuple[str, ...] = ("all_land", "non_historic")
