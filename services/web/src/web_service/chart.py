"""An accessible bar chart drawn on the server as SVG (no JavaScript, no chart library).

The SVG is an image with a title and description for screen readers; every page
that shows it also shows the same figures in a table, which is what assistive
technology users are pointed to.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Series:
    """One set of bars: a name for the key and a CSS class for its colour."""

    name: str
    css_class: str
    values: list[int]


def bar_chart_svg(
    labels: list[str], series: list[Series], *, title: str, description: str, chart_id: str
) -> str:
    """Horizontal grouped bars, one group per label, drawn to a fixed width.

    Args:
        labels: The category of each group (department, week...).
        series: One or two sets of values, each as long as ``labels``.
        title: Read out as the image's name.
        description: Read out as its description; should point to the table.
        chart_id: Unique id prefix for the title and description elements.
    """
    label_width, bar_area, bar_height, gap = 260, 400, 16, 10
    group_height = bar_height * len(series) + gap
    height = max(1, len(labels)) * group_height + 10
    width = label_width + bar_area + 60
    peak = max([max(s.values, default=0) for s in series] + [1])
    parts = [
        f'<svg class="mm-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for index, label in enumerate(labels):
        top = index * group_height
        text_y = top + (bar_height * len(series)) / 2 + 5
        shown = label if len(label) <= 36 else label[:35] + "…"
        parts.append(
            f'<text x="{label_width - 8}" y="{text_y:.0f}" text-anchor="end">{escape(shown)}</text>'
        )
        for offset, one in enumerate(series):
            value = one.values[index] if index < len(one.values) else 0
            length = round(bar_area * value / peak)
            y = top + offset * bar_height
            parts.append(
                f'<rect class="{escape(one.css_class)}" x="{label_width}" y="{y}" '
                f'width="{max(length, 1)}" height="{bar_height - 2}"></rect>'
            )
            parts.append(
                f'<text x="{label_width + length + 6}" y="{y + bar_height - 4}">{value}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
