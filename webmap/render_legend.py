"""The map legend: bilingual HTML built (and escaped) in Python, shown as a Leaflet control."""

from __future__ import annotations

from collections.abc import Iterable

from branca.element import MacroElement
from jinja2 import Template
from markupsafe import escape

from webmap.render_styles import PARK_KINDS, PROJECT_CATEGORIES, STATUSES

#: Fixed rows of the "Other" section: (colour, zh, en, extra CSS of the swatch).
_OTHER_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("#fdae6b", "历史文化街区", "historic block", "border:1px solid #8c2d04"),
    ("#99d8c9", "公园服务半径", "park service radius", "border:1px solid #2ca25f"),
    ("#fb6a4a", "未覆盖居住用地", "uncovered residential land", ""),
    ("#bcbddc", "居住用地", "residential land", "border:1px solid #6a51a3"),
    ("transparent", "虚线 = 近似几何", "dashed = approximate geometry", "border:2px dashed #333"),
)


class Legend(MacroElement):
    """A categorical legend as a Leaflet control (HTML escaped in Python)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function() {
                var div = L.DomUtil.create("div", "gm-legend leaflet-bar");
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html


def _swatch(colour: str, label_zh: str, label_en: str, extra: str = "") -> str:
    """One legend row: a colour swatch (CSS colour, extra CSS) and its escaped zh/en labels."""
    return (
        f'<div class="gm-legend-row"><span class="gm-swatch" style="background:{colour};{extra}">'
        f"</span>{escape(label_zh)} <span class='en'>{escape(label_en)}</span></div>"
    )


def _palette_rows(
    palette: dict[str, tuple[str, str, str]], keys: Iterable[str], fallback: str
) -> list[str]:
    """Rows for ``keys`` of a ``key -> (zh, en, colour)`` palette; unknown keys show as themselves."""
    rows = []
    for k in keys:
        zh, en, colour = palette.get(k, (k, k, fallback))
        rows.append(_swatch(colour, zh, en))
    return rows


def legend_html(park_kinds: list[str], categories: list[str]) -> str:
    """Legend HTML for the kinds/categories present (text escaped)."""
    parts = ['<details open><summary>图例 Legend</summary><div class="gm-legend-body">']
    parts.append("<b>公园 Parks</b>")
    parts += _palette_rows(PARK_KINDS, park_kinds, "#878787")
    parts.append(
        _swatch(
            "#ffffff",
            "收费公园（金色边框）",
            "fee charged (gold outline)",
            "border:3px solid #b8860b",
        )
    )
    parts.append("<b>项目 Projects</b>")
    parts += _palette_rows(PROJECT_CATEGORIES, categories, "#999999")
    for _key, (zh, en, op) in STATUSES.items():
        parts.append(_swatch(f"rgba(60,60,60,{op})", f"状态：{zh}", f"status: {en}"))
    parts.append("<b>其他 Other</b>")
    parts += [_swatch(*row) for row in _OTHER_ROWS]
    parts.append("</div></details>")
    return "".join(parts)
