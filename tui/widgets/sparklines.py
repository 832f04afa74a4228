"""Rows of small inline charts: one metric per row, one character per week, with its trend in words.

The trends screen shows how the main metrics moved over the weeks; a row of eight block heights
reads at a glance where a table of numbers does not. Each series is scaled from zero to its own
largest value, so rows compare shapes, not sizes; the numbers are beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from .bars import fit

BLOCKS = "▁▂▃▄▅▆▇█"
LABEL_WIDTH = 20


def sparkline(values: list[float]) -> str:
    """One block per value, from the lowest block (zero) to the highest (the largest value)."""
    top = max(values, default=0.0)
    if top <= 0:
        return BLOCKS[0] * len(values)
    return "".join(BLOCKS[min(len(BLOCKS) - 1, int(round(max(0.0, v) / top * (len(BLOCKS) - 1))))] for v in values)


@dataclass(frozen=True)
class Spark:
    """One row: the label, the weekly values (oldest first), and the text after the chart."""

    label: str
    values: tuple[float, ...]
    value: str


class Sparklines(Widget):
    """A block of labelled sparklines; set :attr:`rows` to redraw."""

    COMPONENT_CLASSES = {"sparklines--chart"}
    rows: reactive[tuple[Spark, ...]] = reactive((), layout=True)

    def render(self) -> Text:
        chart_width = max((len(r.values) for r in self.rows), default=0)
        lines = []
        for row in self.rows:
            line = Text(f"{row.label:<{LABEL_WIDTH}.{LABEL_WIDTH}}")
            line.append(f"{sparkline(list(row.values)):<{chart_width}}",
                        style=self.get_component_rich_style("sparklines--chart", partial=True))
            line.append(f"  {row.value}")
            lines.append(fit(line, self.size.width))
        return Text("\n").join(lines)

    def get_content_height(self, container, viewport, width: int) -> int:  # noqa: ANN001 - Textual's signature
        return max(1, len(self.rows))
