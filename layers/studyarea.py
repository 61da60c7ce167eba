"""Study areas are configuration: a TOML file names the data files, extent and metric CRS.

Shipped areas live in ``data/studyareas/<name>.toml``; areas a user builds (``greenmap studyarea build``)
live in the user-data folder (``$GREENMAP_USER_DATA``, default ``instance/data`` in the working directory) as
``<user_data>/studyareas/<name>.toml`` with their layers in ``<user_data>/<name>/``. A name is looked up among
the shipped areas first, then the user's. The default area is ``$GREENMAP_AREA``, else ``xicheng``
(:func:`default_area`).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from layers.errors import LayerError, Problem

#: The project's ``data/`` folder (override with the ``GREENMAP_DATA`` environment variable).
DATA_ROOT = Path(os.environ.get("GREENMAP_DATA", Path(__file__).resolve().parent.parent / "data"))
#: The shipped default study area (``$GREENMAP_AREA`` overrides it at run time: :func:`default_area`).
DEFAULT_AREA = "xicheng"
#: Attribution line every OpenStreetMap-derived area carries.
ODBL_ATTRIBUTION = "© OpenStreetMap contributors, Open Database License (ODbL) 1.0"
NETWORK_FORMATS = ("graphml", "pbf", "shp")
NETWORK_MODES = ("drive", "walk")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def default_area() -> str:
    """The study area used when none is named: ``$GREENMAP_AREA``, else ``"xicheng"``.

    >>> import os
    >>> default_area() == (os.environ.get("GREENMAP_AREA", "").strip() or "xicheng")
    True
    """
    return os.environ.get("GREENMAP_AREA", "").strip() or DEFAULT_AREA


def user_data_dir(user_data: str | os.PathLike[str] | None = None) -> Path:
    """The user-data folder: ``user_data``, else ``$GREENMAP_USER_DATA``, else ``instance/data``.

    >>> user_data_dir("/srv/gm").as_posix()
    '/srv/gm'
    """
    if user_data:
        return Path(user_data).expanduser()
    value = os.environ.get("GREENMAP_USER_DATA")
    return Path(value).expanduser() if value else Path("instance") / "data"


def check_area_name(name: str) -> str:
    """``name`` if it can name a study area (lower-case letters, digits, ``.``, ``_``, ``-``).

    >>> check_area_name("xicheng-osm")
    'xicheng-osm'
    >>> check_area_name("../etc")
    Traceback (most recent call last):
    ...
    ValueError: study area name '../etc': use lower-case letters, digits, '.', '_' or '-'
    """
    if not _NAME_RE.match(name):
        raise ValueError(
            f"study area name {name!r}: use lower-case letters, digits, '.', '_' or '-'"
        )
    return name


def user_area_paths(
    name: str, user_data: str | os.PathLike[str] | None = None
) -> tuple[Path, Path]:
    """Where a user-built area lives: (``<user_data>/studyareas/<name>.toml``, ``<user_data>/<name>/``)."""
    base = user_data_dir(user_data)
    check_area_name(name)
    return base / "studyareas" / f"{name}.toml", base / name


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
    network : dict
        The street network from the TOML ``[network]`` table: ``path`` (relative to ``data_dir`` or
        absolute), ``format`` (``graphml``, ``pbf`` or ``shp``), ``mode`` (``drive`` or ``walk``) and
        ``note`` (its limits); empty when the area has none. :meth:`network_path` resolves the path.
    attribution : str
        Attribution every map and export of this area must carry (the ODbL line for OSM areas); may be
        empty.
    origin : {"shipped", "user", "file"}
        Where the configuration came from: ``data/studyareas``, the user-data folder, or a path given.
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
    network: dict[str, str] = field(default_factory=dict)
    attribution: str = ""
    origin: Literal["shipped", "user", "file"] = "shipped"

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

    def network_path(self) -> Path | None:
        """The street network file (``[network] path``), or ``None`` when the area has none."""
        value = self.network.get("path")
        if not value:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.data_dir / path


@dataclass(frozen=True)
class AreaEntry:
    """One configured study area: its name, where it comes from and its TOML file."""

    name: str
    origin: Literal["shipped", "user"]
    config_file: Path


def list_study_areas(
    root: Path | None = None, user_data: str | os.PathLike[str] | None = None
) -> list[AreaEntry]:
    """Shipped areas (``data/studyareas``) and user-built ones (``<user_data>/studyareas``).

    A user area with the name of a shipped one is not listed (the shipped one wins on lookup).

    >>> [(e.name, e.origin) for e in list_study_areas(user_data="/nonexistent")]
    [('xicheng', 'shipped')]
    """
    root = root or DATA_ROOT
    shipped = sorted((root / "studyareas").glob("*.toml"))
    out = [AreaEntry(p.stem, "shipped", p) for p in shipped]
    seen = {e.name for e in out}
    user = user_data_dir(user_data) / "studyareas"
    if user.is_dir() and user.resolve() != (root / "studyareas").resolve():
        out += [
            AreaEntry(p.stem, "user", p) for p in sorted(user.glob("*.toml")) if p.stem not in seen
        ]
    return out


def available_areas(
    root: Path | None = None, user_data: str | os.PathLike[str] | None = None
) -> list[str]:
    """Names of the configured study areas: shipped ones, then the user's (see :func:`list_study_areas`)."""
    return [e.name for e in list_study_areas(root, user_data)]


def _find(
    name: str, root: Path, user_data: str | os.PathLike[str] | None
) -> tuple[Path, Literal["shipped", "user", "file"]]:
    path = Path(name)
    if path.suffix == ".toml":
        return path, "file"
    shipped = root / "studyareas" / f"{name}.toml"
    if shipped.exists() or not _NAME_RE.match(str(name)):
        return shipped, "shipped"
    user = user_data_dir(user_data) / "studyareas" / f"{name}.toml"
    return (user, "user") if user.exists() else (shipped, "shipped")


def load_study_area(
    name: str | os.PathLike[str] | None = None,
    root: Path | None = None,
    *,
    user_data: str | os.PathLike[str] | None = None,
) -> StudyArea:
    """Read a study area's configuration.

    Parameters
    ----------
    name : str or path, optional
        A configured name (``"xicheng"``, or a user-built ``"xicheng-osm"``) or the path of a TOML file;
        default :func:`default_area`. Shipped areas are looked up first, then the user's.
    root : Path, optional
        The data folder (default :data:`DATA_ROOT`).
    user_data : path, optional
        The user-data folder (default :func:`user_data_dir`).

    Examples
    --------
    >>> area = load_study_area("xicheng")
    >>> area.metric_crs, area.code, area.origin, area.network
    ('EPSG:4548', '110102', 'shipped', {})
    """
    root = root or DATA_ROOT
    if name is None:
        name = default_area()
    path, origin = _find(str(name), root, user_data)
    if not path.exists():
        raise LayerError(
            [
                Problem(
                    str(path),
                    None,
                    "study_area",
                    f"unknown study area '{name}'; configured: "
                    f"{', '.join(available_areas(root, user_data))} "
                    f"(user areas are looked up in {user_data_dir(user_data)}/studyareas)",
                )
            ]
        )
    if origin == "file":
        parent = path.resolve().parent
        origin = "shipped" if parent == (root / "studyareas").resolve() else "file"
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
    network = cfg.get("network", {})
    if not isinstance(network, dict):
        problems.append(Problem(str(path), None, "network", "must be a table"))
        network = {}
    if network.get("format") and network["format"] not in NETWORK_FORMATS:
        problems.append(
            Problem(
                str(path), None, "network.format", f"must be one of {', '.join(NETWORK_FORMATS)}"
            )
        )
    if network.get("mode") and network["mode"] not in NETWORK_MODES:
        problems.append(
            Problem(str(path), None, "network.mode", f"must be one of {', '.join(NETWORK_MODES)}")
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
        network={str(k): str(v) for k, v in network.items()},
        attribution=str(cfg.get("attribution", "")),
        origin=origin,
    )


def resolve_area(
    area: StudyArea | str | os.PathLike[str] | None = None,
    *,
    user_data: str | os.PathLike[str] | None = None,
) -> StudyArea:
    """``area`` as a :class:`StudyArea`: loaded when a name or path, :func:`default_area` when ``None``.

    >>> resolve_area().name == default_area()
    True
    """
    if isinstance(area, StudyArea):
        return area
    return load_study_area(area, user_data=user_data)
