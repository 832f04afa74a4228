"""The days screen: every recording in a folder (and one level of sub-folders, e.g. one per patient).

Enter opens the highlighted recording's day screen, ``t`` the weekly trends of its patient; Escape
there comes back here. A file that is not a readable recording stays in the list with the reason,
and Enter (or ``t``) on it only repeats the reason. A recording that overlaps another of the same
patient (a copy, a re-import) says so under the table, as trends counts it: once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from sensorkit.errors import SensorKitError
from sensorkit.localtime import UTC, zone_for
from sensorkit.store.catalog import Entry, scan
from sensorkit.trends import Overlap, count_once

from ..format import duration
from ..widgets.scroll_hint import ScrollHint
from .day import DayScreen
from .trends import TrendsScreen

# the file first: a narrow terminal cuts the last columns (the hint under the table says so), never the name
COLUMNS = ("file", "patient", "start (local)", "duration", "device", "link")


class DaysScreen(Screen):
    """A table of the folder's recordings, by patient and start time."""

    CSS_PATH = "days.tcss"
    BINDINGS = [
        Binding("enter", "open", "Open day", priority=True),
        Binding("t", "trends", "Trends over weeks"),
        Binding("r", "rescan", "Rescan"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, folder: str | Path, profile: Any = None, tz: str | None = None,
                 profile_path: str | None = None) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.profile = profile
        self.profile_path = profile_path  # the file ``profile`` came from, for the report
        self.tz = tz  # None: each recording in its own zone (see sensorkit.localtime)
        self.entries: list[Entry] = []
        self.overlaps: dict[Path, Overlap] = {}  # recordings trends counts once (sensorkit.trends.count_once)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="days-title")
        yield DataTable(id="days-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="days-reason")
        yield ScrollHint("#days-table", id="days-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "SensorKit: days"
        self.sub_title = str(self.folder)
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        self.action_rescan()

    def action_rescan(self) -> None:
        try:
            self.entries = scan(self.folder)
        except SensorKitError as exc:  # the folder itself cannot be listed
            self.entries = []
            self.query_one(DataTable).clear()
            self.query_one("#days-title", Static).update(str(exc))
            self.query_one("#days-title").add_class("error")
            return
        self.overlaps = count_once(self.entries)
        table = self.query_one(DataTable)
        table.clear()
        for i, e in enumerate(self.entries):
            if e.readable:
                row = (e.name, e.patient or "-", self.local_start(e),
                       duration(e.duration_s), e.device or "-", e.link or "-")
            else:
                row = (e.name, "-", "-", "-", "not a readable recording", "-")
            table.add_row(*row, key=str(i))
        readable = sum(e.readable for e in self.entries)
        others = len(self.entries) - readable
        self.query_one("#days-title", Static).update(
            f"{readable} recording{'s' if readable != 1 else ''} in {self.folder}"
            + (f", {others} other file{'s' if others != 1 else ''}" if others else "")
            + (f", {len(self.overlaps)} overlapping another (counted once in trends)" if self.overlaps else "")
            + ("" if self.entries else " (no files here or one folder below)")
        )
        self.show_reason()

    def local_start(self, e: Entry) -> str:
        """``2025-03-03 09:00 AEDT``: the start in the zone its days are read in."""
        if e.start is None:
            return "-"
        try:
            zone = zone_for(self.tz, e.timezone, self.profile)
        except SensorKitError:  # a recording stored with a zone this computer does not know
            zone = UTC
        return f"{e.start.astimezone(zone):%Y-%m-%d %H:%M %Z}"

    @property
    def highlighted(self) -> Entry | None:
        table = self.query_one(DataTable)
        if not self.entries or table.cursor_row is None or not 0 <= table.cursor_row < len(self.entries):
            return None
        return self.entries[table.cursor_row]

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_reason()

    def show_reason(self) -> None:
        entry = self.highlighted
        reason = self.query_one("#days-reason", Static)
        if entry is None:
            reason.update("")
        elif not entry.readable:
            reason.update(entry.error or "")
        else:
            overlap = self.overlaps.get(entry.path)
            reason.update(f"{entry.name} {overlap.text}" if overlap else "")

    def readable_highlighted(self) -> Entry | None:
        """The highlighted recording, or None (with the reason shown) when there is none to open."""
        entry = self.highlighted
        if entry is not None and not entry.readable:
            self.notify(entry.error or "not a readable recording", severity="warning")
            return None
        return entry

    def action_open(self) -> None:
        entry = self.readable_highlighted()
        if entry is not None:
            self.app.push_screen(DayScreen(entry.path, self.profile, self.tz, self.profile_path))

    def action_trends(self) -> None:
        entry = self.readable_highlighted()
        if entry is not None:
            self.app.push_screen(TrendsScreen(self.folder, entry.patient, self.profile, self.tz, self.profile_path))
