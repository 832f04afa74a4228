"""One line that says when a scrollable part of the screen holds more than it shows, and what.

A terminal of 80x24 cannot show a day at once; what is below the fold must say so (a thin scroll
bar is easy to miss). The hint watches one scrollable widget (a VerticalScroll, a DataTable) and
names the sections still below (the ``.section`` titles inside it) or the columns to the right.
"""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Static


def hidden_below(target: Widget) -> list[str]:
    """The titles of the sections inside ``target`` that start below what it shows (up to a parenthesis)."""
    bottom = target.scrollable_content_region.bottom
    return [str(s.render()).split(" (")[0] for s in target.query(".section") if s.display and s.region.y >= bottom]


def hint_text(target: Widget, width: int = 80) -> str:
    """``↓ more below (PgDn): Walking, Hour by hour``, ``→ more columns (scroll right)``, or '';
    the section names that do not fit ``width`` are counted, not named."""
    parts = []
    if target.scroll_y < target.max_scroll_y - 0.5:
        text, below = "↓ more below (PgDn)", hidden_below(target)
        for i, name in enumerate(below):
            rest = len(below) - i - 1
            if len(text) + len(name) + 2 + (len(f" and {rest} more") if rest else 0) > width:
                text += f" and {len(below) - i} more"
                break
            text += (": " if i == 0 else ", ") + name
        parts.append(text)
    if target.scroll_x < target.max_scroll_x - 0.5:
        parts.append("→ more columns (scroll right)")
    return "   ".join(parts)


class ScrollHint(Static):
    """Shows :func:`hint_text` for the widgets ``target`` selects on the screen, or nothing."""

    def __init__(self, target: str, **kwargs) -> None:  # noqa: ANN003 - Static's keyword arguments
        super().__init__("", **kwargs)
        self.target = target

    def on_mount(self) -> None:
        for target in self.screen.query(self.target):
            for attribute in ("scroll_y", "scroll_x", "virtual_size"):  # a scroll, new content, new rows
                self.watch(target, attribute, lambda _value: self.call_after_refresh(self.refresh_hint), init=False)
        self.set_interval(0.5, self.refresh_hint)  # and a resized terminal, which no attribute above tells
        self.call_after_refresh(self.refresh_hint)

    def refresh_hint(self) -> None:
        targets = list(self.screen.query(self.target))
        width = max(20, self.content_region.width // len(targets)) if targets else 0
        text = "   ".join(filter(None, (hint_text(target, width) for target in targets)))
        if text != str(self.render()):
            self.update(text)
