"""Where the tests find ``../shared`` (the real data no one here made; never committed to the repository).

CI clones the repository with ``shared/`` beside it; set ``GREENMAP_SHARED`` to point elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("GREENMAP_SHARED", ROOT.parent / "shared"))
FACTS = SHARED / "facts"
SEEDS = SHARED / "seeds"
REALDATA = SHARED / "realdata" / "xicheng"
BBBIKE = REALDATA / "bbbike-shp"
GRAPHML = REALDATA / "osmnx-drive" / "xicheng_drive.graphml"
BAIDU = REALDATA / "baidu-compounds" / "residential_compounds_bd09.geojson"
STREETS_OSM = SHARED / "xicheng_15_streets_osm.geojson"

needs_realdata = pytest.mark.skipif(
    not (BBBIKE.is_dir() and GRAPHML.is_file() and STREETS_OSM.is_file()),
    reason="../shared/realdata is not beside the clone (real OSM/Baidu files are never committed)",
)
needs_facts = pytest.mark.skipif(
    not FACTS.is_dir(), reason="../shared/facts is not beside the clone"
)
