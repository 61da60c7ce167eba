"""The planning-meeting report's output: the jinja2 template filled (:func:`render_html`), typeset
with WeasyPrint (:func:`html_to_pdf`) and written through a temporary file (:func:`write_atomic`)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render_html(ctx: dict[str, Any]) -> str:
    """The report as one self-contained, print-friendly HTML page (figures inlined, CSS inlined).

    Every value is escaped: a project named ``<b>x</b>`` prints as that text.
    """
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    return str(_env().get_template("report.html.j2").render(css=css, **ctx))


def html_to_pdf(html: str) -> bytes:
    """Typeset report HTML with WeasyPrint (A4, page numbers; fonts subset and embedded)."""
    import weasyprint

    return bytes(weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf())


def write_atomic(path: str | os.PathLike[str], make: Callable[[], bytes] | bytes) -> Path:
    """Write ``make()`` (or bytes) to ``path`` through a temporary file in the same folder.

    Nothing is left behind when ``make`` raises: the temporary file is removed and ``path`` is not
    touched.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> def boom() -> bytes: raise ValueError("no")
    >>> try:
    ...     write_atomic(d / "r.pdf", boom)
    ... except ValueError:
    ...     pass
    >>> list(d.iterdir())
    []
    >>> write_atomic(d / "r.pdf", b"%PDF").read_bytes()
    b'%PDF'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        payload = make() if callable(make) else make
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
