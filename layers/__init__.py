"""Layers: schemas, reading/writing files, validation, provenance and the catalogue.

>>> import layers
>>> layers.read_layer("subdistricts").crs.to_epsg()
4326
"""

from layers.catalogue import catalogue
from layers.errors import LayerError, Problem
from layers.io import (
    LoadResult,
    import_layer,
    load_file,
    read_layer,
    read_table,
    replace_geometry,
    write_layer,
)
from layers.schema import GEOMETRY_QUALITIES, SCHEMAS, Column, LayerSchema
from layers.studyarea import (
    DEFAULT_AREA,
    StudyArea,
    available_areas,
    default_area,
    list_study_areas,
    load_study_area,
    resolve_area,
    user_data_dir,
)

__all__ = [
    "DEFAULT_AREA",
    "GEOMETRY_QUALITIES",
    "SCHEMAS",
    "Column",
    "LayerError",
    "LayerSchema",
    "LoadResult",
    "Problem",
    "StudyArea",
    "available_areas",
    "catalogue",
    "default_area",
    "import_layer",
    "list_study_areas",
    "load_file",
    "load_study_area",
    "read_layer",
    "read_table",
    "replace_geometry",
    "resolve_area",
    "user_data_dir",
    "write_layer",
]
