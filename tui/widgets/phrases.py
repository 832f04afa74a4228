"""A block of short phrases that wraps between phrases, never inside one.

A screen's header line ("patient P01", "device Polar H10", "2025-03-03 08:00 CET (UTC+0100)") reads
wrong when a narrow terminal breaks "2025-03-03 08:00" from "CET"; here a line breaks only where one
phrase ends and the next begins (a single phrase wider than the widget is folded, as a last resort).
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

GAP = " "


def wrap_phrases(lines: tuple[tuple[str, ...], ...], width: int) -> list[str]:
    """Each line's phrases joined with :data:`GAP`, broken between phrases to fit ``width``."""
    out: list[str] = []
    for phrases in lines:
        line = ""
        for phrase in phrases:
            if line and len(line) + len(GAP) + len(phrase) > width:
                out.append(line)
                line = phrase
            else:
                line = f"{line}{GAP}{phrase}" if line else phrase
        out.append(line)
    return out


class Phrases(Widget):
    """Set :attr:`lines` (a tuple of lines, each a tuple of phrases) to redraw."""

    lines: reactive[tuple[tuple[str, ...], ...]] = reactive((), layout=True)

    def render(self) -> Text:
        return Text("\n".join(wrap_phrases(self.lines, max(1, self.size.width))))

    def get_content_height(self, container, viewport, width: int) -> int:  # noqa: ANN001 - Textual's signature
        return max(1, sum(len(Text(line).wrap(self.app.console, width)) for line in wrap_phrases(self.lines, width)))
