"""Server-rendered SVG charts: geometry computed here, drawn by the template.

The SVG holds only the bars and axis lines and stretches to its box; the axis labels are HTML text next to it
(sized in CSS px), so they stay readable on a phone instead of shrinking with the drawing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its day, value and rectangle."""

    day: date
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class BarChart:
    """A daily bar chart: bars, the top of the scale and the overall size."""

    bars: list[Bar]
    maximum: int
    total: int
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    left: int
    ticks: list[date]


def day_ticks(days: list[date], count: int = 3) -> list[date]:
    """Return up to ``count`` evenly spread days (first and last included) to label the x axis."""
    if len(days) <= count:
        return list(days)
    step = (len(days) - 1) / (count - 1)
    return [days[round(i * step)] for i in range(count)]


def nice_max(value: int) -> int:
    """Return a round scale maximum at or above ``value`` (1, 2, 5, 10, 20, 50, ...)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def bar_chart(series: list[tuple[date, int]], width: int = 720, height: int = 200) -> BarChart:
    """Return the geometry of a bar chart for ``(day, value)`` pairs, oldest first (labels live outside the SVG)."""
    left, right, top, bottom = 0, 0, 2, 0
    plot_w, plot_h = width - left - right, height - top - bottom
    maximum = nice_max(max((v for _, v in series), default=0))
    slot = plot_w / max(len(series), 1)
    gap = min(4.0, slot * 0.2)
    bars = []
    for i, (day, value) in enumerate(series):
        h = plot_h * value / maximum
        if value > 0:
            h = max(h, 1.5)  # a single click stays visible
        bars.append(
            Bar(
                day=day,
                value=value,
                x=round(left + i * slot + gap / 2, 2),
                y=round(top + plot_h - h, 2),
                width=round(slot - gap, 2),
                height=round(h, 2),
            )
        )
    return BarChart(
        bars=bars,
        maximum=maximum,
        total=sum(v for _, v in series),
        width=width,
        height=height,
        plot_top=top,
        plot_bottom=top + plot_h,
        left=left,
        ticks=day_ticks([day for day, _ in series]),
    )
