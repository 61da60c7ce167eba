"""geo/netrules.py: the ``[network]`` table of a rule set, validated field by field, and the
shipped network rules."""

from __future__ import annotations

import pytest

from geo.rules import RuleSet
from tests._netfixtures import network_rule as _rule


def test_rule_validation_names_the_field() -> None:
    from geo.rules import RuleError

    with pytest.raises(RuleError, match=r"network\.entrance_spacing_m"):
        _rule(network={"entrance_spacing_m": 100})
    with pytest.raises(RuleError, match=r"tiers\[0\].minutes.*walk_speed"):
        RuleSet.from_dict(
            {
                "id": "m",
                "title_zh": "m",
                "title_en": "m",
                "citation": "c",
                "citation_status": "secondary",
                "eligibility": {"min_area_m2": 0},
                "tiers": [{"min_area_m2": 0, "minutes": 10}],
            }
        )
    r = _rule(network={"walk_speed_m_per_min": 80.0}, tiers=[{"min_area_m2": 0, "minutes": 10}])
    assert r.radii == (800.0,) and RuleSet.from_dict(r.to_dict()) == r


def test_shipped_network_rules() -> None:
    from layers.rules import load_rule

    w = load_rule("xicheng-2016-walk")
    assert w.network is not None and w.barriers and w.radii == (500.0,) and w.min_area_m2 == 5000
    p = load_rule("parkserve-10min")
    assert p.network is not None and p.radii == (pytest.approx(804.672),)
    assert "not stated" in p.network.speed_source
