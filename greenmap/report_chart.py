"""The reported-series chart of the planning-meeting report: official figures as published, with the
values this tool computed beside them as dashed lines (PNG or JPEG bytes, offline)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from greenmap.report_figure import FIGURE_LOCK, FONTS, raster

__all__ = ["draw_series_chart"]


def draw_series_chart(
    reported: pd.DataFrame,
    computed: Sequence[tuple[str, float]],
    *,
    width_in: float = 7.0,
    height_in: float = 2.6,
    dpi: int = 300,
    fmt: str = "png",
) -> bytes:
    """Chart of the officially reported series with the computed value(s) beside it (PNG bytes).

    Parameters
    ----------
    reported : DataFrame
        ``year``, ``value`` (%), ``kind`` (actual, expected, baseline, plan, target) and ``indicator_id``
        (:func:`greenmap.analysis.reported_series`); drawn as published.
    computed : sequence of (label, rate %)
        Values computed by this tool, drawn as horizontal dashed lines (they are not a year's figure).

    Examples
    --------
    >>> r = pd.DataFrame({"year": [2015, 2020], "value": [89.5, 95.0], "kind": ["baseline", "target"],
    ...                   "indicator_id": ["a", "a"]})
    >>> draw_series_chart(r, [("computed", 14.4)], dpi=30)[:4] == b"\\x89PNG"
    True
    """
    with FIGURE_LOCK, matplotlib.rc_context({"font.family": FONTS, "font.size": 7}):
        fig = Figure(figsize=(width_in, height_in), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        vals: list[float] = []
        styles = {
            "park_500m_coverage": ("#3b6fb6", "全区 all land (reported)"),
            "park_500m_coverage_non_historic": (
                "#2e8b3a",
                "非历史文化街区 non-historic (reported)",
            ),
        }
        if len(reported):
            for ind, part in reported.groupby("indicator_id", sort=True):
                colour, label = styles.get(str(ind), ("#555555", str(ind)))
                obs = part[part["kind"].isin(["actual", "expected", "baseline"])].sort_values(
                    "year"
                )
                if len(obs):
                    ax.plot(obs["year"], obs["value"], "o-", color=colour, label=label, ms=3.5)
                    vals += obs["value"].astype(float).tolist()
                tgt = part[part["kind"].isin(["target", "plan"])]
                if len(tgt):
                    ax.plot(
                        tgt["year"],
                        tgt["value"],
                        "^",
                        mfc="none",
                        color=colour,
                        ms=5,
                        label=label.replace("reported", "target/plan 目标"),
                    )
                    vals += tgt["value"].astype(float).tolist()
        colours = ["#d84a3a", "#7b1fa2", "#e08a00", "#00838f"]
        for i, (label, rate) in enumerate(computed):
            if rate is None or not math.isfinite(float(rate)):
                continue
            ax.axhline(float(rate), ls="--", lw=1.0, color=colours[i % 4], label=label)
            vals.append(float(rate))
        lo = max(0.0, min(vals, default=0.0) - 5.0)
        ax.set_ylim(lo, 101.5)
        ax.set_ylabel("覆盖率 coverage (%)")
        ax.set_xlabel("年份 year")
        ax.grid(alpha=0.3, lw=0.4)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=6, loc="lower left", ncols=2, frameon=False)
        fig.tight_layout()
        return raster(fig, fmt)
