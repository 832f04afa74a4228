"""The hour-by-hour strip: one row per clock hour, a timeline of what each minute was, bends marked on it.

Each row runs from minute 0 to minute 59 of its hour, left to right, at one, two, three or five
minutes a character (the finest that fits the width). A character shows what its minutes mostly
were (a glyph and a colour per state, so it reads without colour too), and a bend of high or
moderate severity started in them replaces it with a mark. After the timeline: the hour's bends and
minutes slouched. :func:`legend` says what each glyph means. Colours come from the ``bars--*``
component classes, as in :mod:`.bars`.
"""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ..report import SEVERITY_RANK, TIMELINE_STATES, Hour
from .bars import KINDS, fit

GLYPHS = {"sitting": "█", "slouched": "▓", "standing": "▒", "walking": "░", "lying": "▁", "not_worn": "·", None: " "}
NAMES = {"sitting": "sitting", "slouched": "slouched", "standing": "standing", "walking": "walking",
         "lying": "lying", "not_worn": "not worn"}
MARKS = {"high": "▲", "moderate": "△"}  # low-severity bends are counted, not marked
MINUTES_PER_CHAR = (1, 2, 3, 5)
TAIL_WIDTH = len("  12 bends  45 min slouched")


def minutes_per_char(width: int, label_width: int) -> int:
    """The finest resolution whose row (label, timeline, tail) fits ``width``."""
    for step in MINUTES_PER_CHAR:
        if label_width + 60 // step + TAIL_WIDTH <= width:
            return step
    return MINUTES_PER_CHAR[-1]


def timeline_chars(hour: Hour, step: int) -> list[tuple[str, str | None]]:
    """(glyph, kind for its colour) per ``step`` minutes: the state most of them were, or a bend's mark."""
    out = []
    for i in range(0, 60, step):
        states = [s for s in hour.timeline[i:i + step] if s is not None]
        state = Counter(states).most_common(1)[0][0] if states else None
        severity = max(hour.bend_marks[i:i + step], key=lambda s: SEVERITY_RANK.get(s, -1), default=None)
        if severity in MARKS:
            out.append((MARKS[severity], f"sev-{severity}"))
        else:
            out.append((GLYPHS[state], state))
    return out


class HourStrip(Widget):
    """Rows ``08:00  ███▓▓▒▲░░···  3 bends  12 min slouched``; set :attr:`hours` to redraw."""

    COMPONENT_CLASSES = {f"bars--{kind}" for kind in KINDS}
    hours: reactive[tuple[Hour, ...]] = reactive((), layout=True)

    def render(self) -> Text:
        if not self.hours:
            return Text()
        multi_day = self.hours[0].start.date() != self.hours[-1].start.date()
        label = "%a %H:%M  " if multi_day else "%H:%M  "
        step = minutes_per_char(self.size.width, len(self.hours[0].start.strftime(label)))
        lines = []
        for hour in self.hours:
            text = Text(hour.start.strftime(label))
            for glyph, kind in timeline_chars(hour, step):
                style = self.get_component_rich_style(f"bars--{kind}", partial=True) if kind else "dim"
                text.append(glyph, style=style)
            slouched = round(hour.slouched_s / 60.0)
            text.append(f"  {hour.bends:2d} bend{' ' if hour.bends == 1 else 's'}"
                        + (f"  {slouched:2d} min slouched" if slouched else ""))
            lines.append(fit(text, self.size.width))
        return Text("\n").join(lines)

    def get_content_height(self, container, viewport, width: int) -> int:  # noqa: ANN001 - Textual's signature
        return max(1, len(self.hours))


class HourLegend(Widget):
    """What the strip's glyphs mean, in their colours: one line (two on a narrow terminal) above it."""

    COMPONENT_CLASSES = {f"bars--{kind}" for kind in KINDS}

    def entries(self) -> list[Text]:
        style = lambda kind: self.get_component_rich_style(f"bars--{kind}", partial=True)  # noqa: E731
        items = [Text(f"{GLYPHS[s]} {NAMES[s]}", style=style(s)) for s in TIMELINE_STATES]
        items += [Text(f"{MARKS[sev]} {sev} bend", style=style(f"sev-{sev}")) for sev in MARKS]
        return items

    def render(self) -> Text:
        lines, line = [], Text()
        for item in self.entries():
            if line.cell_len and line.cell_len + 2 + item.cell_len > self.size.width:
                lines.append(line)
                line = Text()
            line += Text("  ") + item if line.cell_len else item
        lines.append(line)
        return Text("\n").join(lines)

    def get_content_height(self, container, viewport, width: int) -> int:  # noqa: ANN001 - Textual's signature
        used, rows = 0, 1
        for item in self.entries():
            if used and used + 2 + item.cell_len > width:
                rows, used = rows + 1, 0
            used += (2 if used else 0) + item.cell_len
        return rows
