"""Horizontal bars with a label, a value and a share: time per posture, per flexion band, bends by severity.

Colours are not set here: each bar's ``kind`` names a component class (``bars--sitting``, ...), so
the palette lives in ``app.tcss`` with the rest of the styling.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

# Every kind a bar (or a segment of the hour strip) can have; one component class each.
KINDS = (
    "sitting", "standing", "walking", "lying", "not_worn", "unknown", "slouched", "bending",
    "band-low", "band-mid", "band-high",
    "sev-low", "sev-moderate", "sev-high",
)
LABEL_WIDTH = 18


@dataclass(frozen=True)
class Bar:
    """One row: ``share`` (0-1) sets the bar's length; ``value`` is the text beside it."""

    label: str
    share: float
    value: str
    kind: str


class Bars(Widget):
    """A block of labelled horizontal bars; set :attr:`bars` to redraw."""

    COMPONENT_CLASSES = {f"bars--{kind}" for kind in KINDS}
    bars: reactive[tuple[Bar, ...]] = reactive((), layout=True)

    def render(self) -> Text:
        value_width = max((len(bar.value) for bar in self.bars), default=0)
        width = max(4, self.size.width - LABEL_WIDTH - value_width - 2)
        lines = []
        for bar in self.bars:
            filled = round(max(0.0, min(1.0, bar.share)) * width)
            line = Text(f"{bar.label:<{LABEL_WIDTH}.{LABEL_WIDTH}}")
            line.append("█" * filled, style=self.get_component_rich_style(f"bars--{bar.kind}", partial=True))
            line.append("░" * (width - filled), style="dim")
            line.append(f"  {bar.value:>{value_width}}")
            lines.append(fit(line, self.size.width))
        return Text("\n").join(lines)

    def get_content_height(self, container, viewport, width: int) -> int:  # noqa: ANN001 - Textual's signature
        return max(1, len(self.bars))


def fit(line: Text, width: int) -> Text:
    """One row, cut to the widget's width: a wrapped bar would read as two bars."""
    if width > 0 and line.cell_len > width:
        line.truncate(width, overflow="ellipsis")
    return line
