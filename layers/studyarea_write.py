"""Writing a built study area (:func:`write_area`): its TOML and layer files, validated, then moved in.

Everything is written into a temporary folder in the user-data folder, read back through the strict
loader ``read_layer`` uses, then renamed into place (the data folder first, the TOML last, so the area
becomes visible only when complete); a failure leaves nothing half-written. Part of
:func:`layers.studyarea_build.build_study_area`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from layers.osm_extract import OSM_LAYERS
from layers.schema import SCHEMAS
from layers.studyarea import ODBL_ATTRIBUTION, load_study_area

if TYPE_CHECKING:
    from layers.studyarea_build import BuildReport

__all__ = ["write_area"]


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    text = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _toml(
    meta: Mapping[str, Any],
    layer_files: Mapping[str, str],
    network: Mapping[str, str],
    notes: list[str],
) -> str:
    lines = [
        "# Built by `greenmap studyarea build` from OpenStreetMap data (see the build report); not shipped.",
        f"# Data: {ODBL_ATTRIBUTION}.",
    ]
    lines += [f"# {n}" for n in notes]
    for k, v in meta.items():
        if v is not None:
            lines.append(f"{k} = {_toml_value(v)}")
    lines.append(f"attribution = {_toml_value(ODBL_ATTRIBUTION)}")
    lines.append(f"data_dir = {_toml_value(meta['name'])}")
    lines.append('subdistrict_layer = "subdistricts"')
    lines.append("")
    lines.append("[layers]")
    lines += [f"{k} = {_toml_value(v)}" for k, v in layer_files.items()]
    if network:
        lines += ["", "[network]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in network.items()]
    return "\n".join(lines) + "\n"


def write_area(
    name: str,
    ud: Path,
    toml_path: Path,
    data_dir: Path,
    meta: Mapping[str, Any],
    layers_out: Mapping[str, gpd.GeoDataFrame],
    inherited: Mapping[str, pd.DataFrame],
    network: Mapping[str, str],
    streets: str | os.PathLike[str] | None,
    report: BuildReport,
) -> None:
    """Write everything into a temporary folder, validate it strictly, then rename it into place."""
    from layers.io import load_file, write_layer

    ud.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".build-{name}-", dir=ud))
    try:
        tmp_data = tmp / name
        tmp_data.mkdir()
        files: dict[str, str] = {}
        for lname in ("district", "subdistricts", *OSM_LAYERS):
            if lname in layers_out and not len(layers_out[lname]):
                report.notes.append(f"layer {lname}: no features kept, not written")
            elif lname in layers_out:
                files[lname] = f"{lname}.geojson"
                write_layer(layers_out[lname], tmp_data / files[lname], precision=15)
        for lname, frame in inherited.items():
            suffix = ".csv" if SCHEMAS[lname].is_table else ".geojson"
            files[lname] = f"{lname}{suffix}"
            write_layer(frame, tmp_data / files[lname])
        if network and streets is not None:
            shutil.copyfile(streets, tmp_data / network["path"])
            report.notes.append(
                f"street network copied as {data_dir / network['path']} ({network['mode']})"
            )
        (tmp / "studyareas").mkdir()
        tmp_toml = tmp / "studyareas" / f"{name}.toml"
        sources = [f"{k}: {v}" for k, v in report.sources.items()]
        sources += [
            f"{r.layer}: read {r.read}, kept {r.kept}, dropped {r.dropped}" for r in report.rows
        ]
        tmp_toml.write_text(_toml(meta, files, network, sources), encoding="utf-8")
        study = load_study_area(tmp_toml)
        codes = set(layers_out["subdistricts"]["code"])
        for lname, fname in files.items():
            # The strict path read_layer uses: what is stored is what the area serves.
            load_file(
                tmp_data / fname, lname, area=study, repair=False, extra="error", known_codes=codes
            )
        # Into place: the folder first (the TOML makes the area visible), the old build kept until then.
        toml_path.parent.mkdir(parents=True, exist_ok=True)
        old = None
        if data_dir.exists():
            old = tmp / "previous"
            os.replace(data_dir, old)
        try:
            os.replace(tmp_data, data_dir)
        except OSError:
            if old is not None:
                os.replace(old, data_dir)
            raise
        os.replace(tmp_toml, toml_path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
