"""Errors raised for bad layer input: one error, naming the file, row and field at fault."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Attributes
    ----------
    file : str
        The file (or layer name) the problem is in.
    row : int | None
        1-based feature/row number (``None`` when the problem is about the whole file).
    field : str | None
        The column at fault (``"geometry"`` for geometry problems).
    message : str
        What is wrong, in plain words.
    """

    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}"


@dataclass
class LayerError(ValueError):
    """Raised when a layer file cannot be loaded as its schema demands.

    Nothing is half-loaded: the loader collects every problem first and raises one error listing them.

    Examples
    --------
    >>> err = LayerError([Problem("parks.geojson", 3, "area_m2", "not a number: 'abc'")])
    >>> print(err)
    parks.geojson, row 3, field 'area_m2': not a number: 'abc'
    """

    problems: list[Problem] = field(default_factory=list)
    max_shown: int = 20

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems[: self.max_shown]]
        if len(self.problems) > self.max_shown:
            lines.append(f"... and {len(self.problems) - self.max_shown} more problems")
        return "\n".join(lines) if lines else "invalid layer"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for the web API."""
        return {
            "error": "invalid layer",
            "problems": [
                {"file": p.file, "row": p.row, "field": p.field, "message": p.message}
                for p in self.problems
            ],
        }
