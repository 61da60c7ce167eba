"""The analyst's Python API: a study area's layers in its metric CRS, and coverage in one call.

>>> from greenmap import analysis
>>> study = analysis.load("xicheng")
>>> study.metric_crs
'EPSG:4548'
>>> table = analysis.coverage_table("xicheng-2016", study=study)
>>> sorted(table["scope"].unique())
['district', 'historic_block', 'subdistrict']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

import layers
from geo.coverage import normalise_demand
from geo.residential import assign_subdistrict
from geo.rules import RuleSet
from geo.scenarios import marginal_gains as _marginal_gains
from geo.scenarios import scenario_coverage
from layers import rules as lrules

#: Indicator ids whose officially reported values sit beside the computed coverage.
REPORTED_COVERAGE = ("park_500m_coverage", "park_500m_coverage_non_historic")


@dataclass
class Study:
    """A study area's layers, projected to its metric CRS (metres).

    Attributes
    ----------
    area : layers.StudyArea
        The configuration.
    layers : dict of str to GeoDataFrame
        ``district``, ``subdistricts``, ``parks``, ``historic_blocks``, ``projects``, ``residential`` (those
        the study area has), in ``metric_crs``.
    """

    area: layers.StudyArea
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    residential_disjoint: bool = False
    #: Where the projects came from: ``"layer"`` (shipped or imported file) or the editing store's
    #: description (``"editing store <path> (revision N)"``).
    projects_source: str = "layer"

    @property
    def metric_crs(self) -> str:
        return self.area.metric_crs

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        if name not in self.layers:
            raise KeyError(f"study area '{self.area.name}' has no layer '{name}'")
        return self.layers[name]

    def get(self, name: str) -> gpd.GeoDataFrame | None:
        return self.layers.get(name)

    def optional(self, name: str) -> gpd.GeoDataFrame | None:
        """A layer not loaded up front (``barriers``, ``water``): read on first use in ``metric_crs`` and
        kept; ``None`` when the study area has no such layer."""
        if name not in self.layers:
            if name not in self.area.layers:
                return None
            self.layers[name] = layers.read_layer(name, self.area).to_crs(self.metric_crs)
        return self.layers[name]


def editing_store(area: str | None = None, data_dir: str | Path | None = None) -> Path | None:
    """The planners' projects store of a study area, if one exists (never created here).

    Parameters
    ----------
    area : str
        Study area name.
    data_dir : path, optional
        The web map's data directory (default :func:`layers.store.default_data_dir`:
        ``$GREENMAP_DATA_DIR``, else ``instance/``).

    Returns
    -------
    Path or None
        ``<data_dir>/<area>/projects.gpkg`` when that file exists.

    >>> editing_store("xicheng", "/nonexistent") is None
    True
    """
    from layers.store import default_data_dir

    base = Path(data_dir).expanduser() if data_dir else default_data_dir()
    path = base / (area or layers.default_area()) / "projects.gpkg"
    return path if path.is_file() else None


def read_store_projects(path: str | Path, area: str | None = None) -> tuple[gpd.GeoDataFrame, str]:
    """The projects layer as the editing store holds it now (EPSG:4326) and a description of it."""
    from layers.store import open_store

    store = open_store(path, area or layers.default_area())
    return store.to_geodataframe(), f"editing store {path} (revision {store.revision()})"


def load(
    area: str | None = None, *, user_data: Path | None = None, data_dir: str | Path | None = None
) -> Study:
    """Read every layer of a study area (imported layers first) and project it to the metric CRS.

    The projects come from the planners' editing store when one exists in the data directory
    (:func:`editing_store`; ``data_dir`` default ``$GREENMAP_DATA_DIR``, else ``instance/``), so an
    edit counts at once; ``Study.projects_source`` says which was used.
    """
    study = layers.load_study_area(area)
    out = Study(study)
    store = editing_store(study.name, data_dir) if "projects" in study.layers else None
    for name in ("district", "subdistricts", "parks", "historic_blocks", "projects", "residential"):
        if name in study.layers:
            if name == "projects" and store is not None:
                gdf, out.projects_source = read_store_projects(store, study.name)
            else:
                gdf = layers.read_layer(name, study, user_data=user_data)
            out.layers[name] = gdf.to_crs(study.metric_crs)
    if "residential" in out.layers:
        # Made disjoint once here, so that every recompute skips the overlap check.
        res = out.layers["residential"]
        if "subdistricts" in out.layers and res["subdistrict_code"].isna().any():
            res = assign_subdistrict(res, out.layers["subdistricts"])
        out.layers["residential"] = normalise_demand(res, by="subdistrict_code")
        out.residential_disjoint = True
    return out


def _rule(rule: str | RuleSet | None, study: Study) -> RuleSet:
    if isinstance(rule, RuleSet):
        return rule
    return lrules.load_rule(rule or study.area.default_rule)


def coverage_table(
    rule: str | RuleSet | None = None,
    *,
    year: int | None = None,
    include_planned: bool = False,
    area: str | None = None,
    study: Study | None = None,
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Park service-radius coverage by district, 街道 and historic block, both official variants.

    Parameters
    ----------
    rule : str or RuleSet, optional
        Rule set id (``data/rules/<id>.toml``) or object; default: the study area's.
    year : int, optional
        As-of year: existing parks plus green projects done by then (with geometry).
    include_planned : bool
        Also count planned green projects due by ``year``.
    area : str
        Study area (ignored when ``study`` is given).
    study : Study, optional
        Layers already loaded with :func:`load`.
    data_dir : path, optional
        Data directory whose editing store supplies the projects (see :func:`load`).

    Returns
    -------
    DataFrame
        One row per unit and variant (``all_land``, ``non_historic``): residential_m2, covered_m2, rate_pct,
        arc_error_bound_pp, rule_id, quad_segs, year, …
    """
    study = study or load(area, data_dir=data_dir)
    ruleset = _rule(rule, study)
    if ruleset.network is not None or ruleset.barriers:
        # walking-network rules (issue 12): network rate with the Euclidean rate beside
        from greenmap import netanalysis

        return netanalysis.coverage_table(
            study, ruleset, year=year, include_planned=include_planned
        )
    return scenario_coverage(
        study["residential"],
        study["parks"],
        ruleset,
        projects=study.get("projects"),
        year=year,
        include_planned=include_planned,
        subdistricts=study.get("subdistricts"),
        historic_blocks=study.get("historic_blocks"),
        disjoint=study.residential_disjoint,
    )


def marginal_gains(
    rule: str | RuleSet | None = None,
    *,
    year: int = 2025,
    include_planned: bool = True,
    area: str | None = None,
    study: Study | None = None,
) -> pd.DataFrame:
    """Each green project's own gain in covered residential land (m², percentage points), ranked.

    Projects without geometry are listed with the reason, never dropped silently.
    """
    study = study or load(area)
    ruleset = _rule(rule, study)
    if ruleset.network is not None:
        # walking-network rules (issue 12): network gains, the Euclidean gains beside
        from greenmap import netanalysis

        return netanalysis.marginal_gains(
            study, ruleset, year=year, include_planned=include_planned
        )
    return _marginal_gains(
        study["residential"],
        study["parks"],
        study["projects"],
        ruleset,
        year,
        historic_blocks=study.get("historic_blocks"),
        include_planned=include_planned,
    )


def reported_series(area: str | None = None) -> pd.DataFrame:
    """The officially reported coverage figures with their citations, as published (never recomputed).

    >>> s = reported_series()
    >>> s.loc[(s["year"] == 2021) & (s["kind"] == "actual"), "value"].item()
    98.05
    """
    ind = layers.read_table("indicators", area)
    cols = [
        "indicator_id",
        "name_zh",
        "year",
        "value",
        "unit",
        "kind",
        "binding",
        "scope",
        "source",
    ]
    cols += ["source_file", "source_lines", "note"]
    out = ind[ind["indicator_id"].isin(REPORTED_COVERAGE)][cols]
    return out.sort_values(["year", "indicator_id", "kind"], kind="stable").reset_index(drop=True)


def locate(text: str, area: str | None = None, **kwargs: object) -> gpd.GeoDataFrame:
    """Resolve a plan's location text into approximate geometry: see :func:`greenmap.locate_cmd.locate`."""
    from greenmap.locate_cmd import locate as _locate

    return _locate(text, area, **kwargs)  # type: ignore[arg-type]
