"""Geometry helpers of the coverage indicator: keep the polygonal part, test for real geometry.

Overlays (intersection / difference of parcels with block faces or service areas) can return
lines, points or mixed collections; the indicator only measures areas, so these helpers reduce
every result to its polygonal part. Also used by :mod:`geo.gaps`, :mod:`geo.scenarios` and
:mod:`geo.netgains` (through :mod:`geo.indicator`). CRS-agnostic: they neither read nor change
coordinates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

_POLY_IDS = (3, 6)


def _polygonal(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
    """Polygonal part of each geometry (lines/points from overlays dropped; may be empty)."""
    g = np.asarray(geoms, dtype=object)
    out = g.copy()
    tid = shapely.get_type_id(g)
    bad = ~np.isin(tid, _POLY_IDS)
    if bad.any():
        parts, idx = shapely.get_parts(g[bad], return_index=True)
        keep = np.isin(shapely.get_type_id(parts), _POLY_IDS)
        fixed = np.array([shapely.Polygon()] * int(bad.sum()), dtype=object)
        if keep.any():
            s = pd.Series(parts[keep]).groupby(idx[keep]).agg(lambda x: shapely.union_all(x.values))
            fixed[s.index.to_numpy()] = s.to_numpy()
        out[bad] = fixed
    return out


def _present(g: NDArray[np.object_]) -> NDArray[np.bool_]:
    """True where a geometry is neither missing (None) nor empty."""
    return ~(shapely.is_missing(g) | shapely.is_empty(g))
