"""Study areas are configuration: ``data/studyareas/<name>.toml`` names the data files, extent and metric CRS."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from layers.errors import LayerError, Problem

#: The project's ``data/`` folder (override with the ``GREENMAP_DATA`` environment variable).
DATA_ROOT = Path(os.environ.get("GREENMAP_DATA", Path(__file__).resolve().parent.parent / "data"))
DEFAULT_AREA = "xicheng"


@dataclass(frozen=True)
class StudyArea:
    """A city or district the tool works on.

    Attributes
    ----------
    name : str
        Identifier (file stem of the TOML).
    title_zh, title_en : str
        Display names.
    code : str
        Administrative code (NBS for China), may be empty.
    metric_crs : str
        Projected CRS for distances and areas (metres).
    extent : tuple of float
        (west, south, east, north) WGS-84 degrees; features outside are rejected as likely wrong-CRS.
    data_dir : Path
        Folder holding the layer files.
    layers : dict
        Layer name -> file name (relative to ``data_dir``).
    """

    name: str
    title_zh: str
    title_en: str
    code: str
    metric_crs: str
    extent: tuple[float, float, float, float]
    data_dir: Path
    layers: dict[str, str] = field(default_factory=dict)
    official_area_km2: float | None = None
    default_rule: str = "xicheng-2016"
    config_file: Path | None = None

    def path(self, layer: str) -> Path:
        """Path of a layer's file; a clear error when the study area has no such layer."""
        if layer not in self.layers:
            raise LayerError(
                [
                    Problem(
                        str(self.config_file or self.name),
                        None,
                        "layers",
                        f"study area '{self.name}' has no layer '{layer}'; it has: "
                        + ", ".join(sorted(self.layers)),
                    )
                ]
            )
        return self.data_dir / self.layers[layer]


def available_areas(root: Path | None = None) -> list[str]:
    """Names of the study areas configured under ``data/studyareas``."""
    root = root or DATA_ROOT
    return sorted(p.stem for p in (root / "studyareas").glob("*.toml"))


def load_study_area(
    name: str | os.PathLike[str] = DEFAULT_AREA, root: Path | None = None
) -> StudyArea:
    """Read a study area's configuration.

    Parameters
    ----------
    name : str or path
        A configured name (``"xicheng"``) or the path of a TOML file.
    root : Path, optional
        The data folder (default :data:`DATA_ROOT`).

    Examples
    --------
    >>> area = load_study_area("xicheng")
    >>> area.metric_crs, area.code
    ('EPSG:4548', '110102')
    """
    root = root or DATA_ROOT
    path = Path(name)
    if path.suffix != ".toml":
        path = root / "studyareas" / f"{name}.toml"
    if not path.exists():
        raise LayerError(
            [
                Problem(
                    str(path),
                    None,
                    "study_area",
                    f"unknown study area '{name}'; configured: {', '.join(available_areas(root))}",
                )
            ]
        )
    with path.open("rb") as fh:
        try:
            cfg = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise LayerError([Problem(str(path), None, None, f"not valid TOML: {exc}")]) from exc
    problems = [
        Problem(str(path), None, key, "missing")
        for key in ("name", "title_zh", "title_en", "metric_crs", "extent", "data_dir", "layers")
        if key not in cfg
    ]
    extent = cfg.get("extent", [])
    if "extent" in cfg and (
        len(extent) != 4 or not (extent[0] < extent[2] and extent[1] < extent[3])
    ):
        problems.append(
            Problem(str(path), None, "extent", "must be [west, south, east, north] with west<east")
        )
    if problems:
        raise LayerError(problems)
    data_dir = Path(cfg["data_dir"])
    if not data_dir.is_absolute():
        data_dir = path.parent.parent / data_dir
    return StudyArea(
        name=cfg["name"],
        title_zh=cfg["title_zh"],
        title_en=cfg["title_en"],
        code=str(cfg.get("code", "")),
        metric_crs=cfg["metric_crs"],
        extent=(float(extent[0]), float(extent[1]), float(extent[2]), float(extent[3])),
        data_dir=data_dir,
        layers=dict(cfg["layers"]),
        official_area_km2=cfg.get("official_area_km2"),
        default_rule=cfg.get("default_rule", "xicheng-2016"),
        config_file=path,
    )
