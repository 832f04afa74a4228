"""The hour-by-hour strip: one row per clock hour, its time split by state, what dominated, bends.

Each row's bar is 60 minutes long and coloured by state in order (sitting, standing, walking,
lying); the dim rest of the row is time without data (before the start, after the end, or a gap
in classification). Colours come from the ``bars--*`` component classes, as in :mod:`.bars`.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ..report import HOUR_STATES, Hour
from .bars import KINDS, fit

SLOT_S = 150.0  # one character per 2.5 minutes: 24 characters an hour


class HourStrip(Widget):
    """Rows ``08:00  ████████░░  sitting 62 %   3 bends``; set :attr:`hours` to redraw."""

    COMPONENT_CLASSES = {f"bars--{kind}" for kind in KINDS}
    hours: reactive[tuple[Hour, ...]] = reactive((), layout=True)

    def render(self) -> Text:
        if not self.hours:
            return Text()
        multi_day = self.hours[0].start.date() != self.hours[-1].start.date()
        slots = int(3600 / SLOT_S)
        lines = []
        for hour in self.hours:
            text = Text(hour.start.strftime("%a %H:%M  " if multi_day else "%H:%M  "))
            used = 0
            for state in HOUR_STATES:
                n = min(slots - used, round(hour.seconds[state] / SLOT_S))
                text.append("█" * n, style=self.get_component_rich_style(f"bars--{state}", partial=True))
                used += n
            text.append("░" * (slots - used), style="dim")
            dominant = hour.dominant
            covered = sum(hour.seconds.values())
            if dominant is None:
                text.append("  no posture data      ")
            else:
                share = 100.0 * hour.seconds[dominant] / covered
                text.append(f"  {dominant.replace('_', ' '):<9}{share:4.0f} %    ")
            text.append(f"{hour.bends:3d} bend{'' if hour.bends == 1 else 's'}")
            lines.append(fit(text, self.size.width))
        return Text("\n").join(lines)

    def get_content_height(self, container, viewport, width: int) -> int:  # noqa: ANN001 - Textual's signature
        return max(1, len(self.hours))
