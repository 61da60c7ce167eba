"""The catalogue: which layers a study area has, how many features, how good their geometry is, and where from."""

from __future__ import annotations

import pandas as pd

from layers.io import read_layer
from layers.schema import GEOMETRY_QUALITIES, SCHEMAS
from layers.studyarea import StudyArea, resolve_area


def catalogue(area: StudyArea | str | None = None) -> pd.DataFrame:
    """One row per layer and table of the study area.

    Columns: ``name``, ``title_zh``, ``title_en``, ``kind`` (layer/table), ``features``, one ``quality_<q>``
    count per geometry quality, ``sources`` (distinct sources, at most three shown) and ``file``.

    Examples
    --------
    >>> cat = catalogue()
    >>> cat.set_index("name").loc["subdistricts", ["features", "quality_approximate"]].tolist()
    [15, 15]
    """
    study = resolve_area(area)
    rows = []
    for name in study.layers:
        schema = SCHEMAS[name]
        df = read_layer(name, study)
        row: dict[str, object] = {
            "name": name,
            "title_zh": schema.title_zh,
            "title_en": schema.title_en,
            "kind": "table" if schema.is_table else "layer",
            "features": len(df),
        }
        for q in GEOMETRY_QUALITIES:
            row[f"quality_{q}"] = (
                int((df["geometry_quality"] == q).sum()) if "geometry_quality" in df else 0
            )
        sources = sorted({s for s in df["source"].dropna()}) if "source" in df else []
        row["sources"] = "; ".join(sources[:3]) + (
            f" (+{len(sources) - 3} more)" if len(sources) > 3 else ""
        )
        row["file"] = study.layers[name]
        rows.append(row)
    return pd.DataFrame(rows)
