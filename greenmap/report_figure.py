"""What every report figure shares: fonts, the figure lock, raster output and map furniture.

Figures are drawn on their own Agg canvas (pyplot's backend is left alone). Map furniture works in
the axes' data units, which for the report map are metres of the study area's projected CRS
(EPSG:4548 for Xicheng), so the scale bar is exact.

>>> nice_length(5000)
1000.0
"""

from __future__ import annotations

import io
import math
import threading
from typing import Any

import numpy as np
from matplotlib.patches import Rectangle

__all__ = [
    "FIGURE_LOCK",
    "FONTS",
    "figure_legend",
    "nice_length",
    "north_arrow",
    "raster",
    "scale_bar",
]

#: Fonts of the figures: Noto Sans CJK (Debian ``fonts-noto-cjk``) first, DejaVu for symbols.
FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"]
#: matplotlib's rc parameters are process-global: one figure at a time (the web map is threaded).
FIGURE_LOCK = threading.Lock()


def nice_length(span_m: float) -> float:
    """A round scale-bar length (m) of about a fifth of ``span_m``.

    >>> nice_length(5000), nice_length(12000), nice_length(600)
    (1000.0, 2500.0, 100.0)
    """
    target = max(span_m / 5.0, 1.0)
    base = 10 ** math.floor(math.log10(target))
    best = base
    for m in (1, 2, 2.5, 5, 10):
        if m * base <= target * 1.25:
            best = m * base
    return float(best)


def figure_legend(fig: Any, handles: list[Any]) -> None:
    leg = fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.62, 0.99),
        frameon=False,
        fontsize=6.5,
        title="图例 Legend",
        title_fontsize=7.5,
        alignment="left",
    )
    leg._legend_box.align = "left"


def raster(fig: Any, fmt: str = "png") -> bytes:
    """The figure as an opaque RGB image, ``png`` or ``jpeg`` (quality 93, no chroma subsampling).

    WeasyPrint re-encodes every PNG (and splits RGBA into colour and mask) but embeds JPEG data as
    it is, so a full-page map typesets in milliseconds as JPEG instead of about a second as PNG.
    """
    from PIL import Image

    if fmt not in ("png", "jpeg"):
        raise ValueError(f"fmt: expected png or jpeg, got {fmt!r}")
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())  # type: ignore[attr-defined]
    img = Image.fromarray(np.ascontiguousarray(rgba[..., :3]))
    buf = io.BytesIO()
    if fmt == "jpeg":
        img.save(buf, format="JPEG", quality=93, subsampling=0, dpi=(fig.dpi, fig.dpi))
    else:
        img.save(buf, format="PNG", compress_level=1, dpi=(fig.dpi, fig.dpi))
    return buf.getvalue()


def scale_bar(ax: Any, x0: float, y0: float, x1: float, y1: float) -> None:
    length = nice_length(x1 - x0)
    bx, by = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    hh = 0.012 * (y1 - y0)
    half = length / 2
    ax.add_patch(
        Rectangle(
            (bx - 0.02 * (x1 - x0), by - 4.2 * hh),
            length + 0.04 * (x1 - x0),
            7.6 * hh,
            facecolor="white",
            alpha=0.8,
            edgecolor="none",
        )
    )
    ax.add_patch(Rectangle((bx, by), half, hh, facecolor="black", edgecolor="black", lw=0.6))
    ax.add_patch(Rectangle((bx + half, by), half, hh, facecolor="white", edgecolor="black", lw=0.6))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx, by + 1.6 * hh, "0", fontsize=6, ha="center")
    ax.text(bx + length, by + 1.6 * hh, label, fontsize=6, ha="center")
    ax.text(bx + length / 2, by - 1.9 * hh, "比例尺 scale", fontsize=5.5, ha="center", va="top")


def north_arrow(ax: Any) -> None:
    ax.annotate(
        "",
        xy=(0.94, 0.96),
        xytext=(0.94, 0.87),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2, "mutation_scale": 12},
    )
    ax.text(0.94, 0.845, "N 北", transform=ax.transAxes, ha="center", va="top", fontsize=7)
