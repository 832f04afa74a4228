"""The episodes screen: when each bend, slouch, sedentary bout, walking bout and alert of a day happened.

Opened from the day screen (``l``) for the therapist's "when", after the day screen's "how much".
The rows are the analysis's own events; Escape goes back to the day.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from sensorkit.events import Event

from ..format import duration
from ..widgets.scroll_hint import ScrollHint

SHOWN = {"bend": "bend", "slouch": "slouch", "sedentary_bout": "sedentary bout",
         "walking_bout": "walking bout", "alert": "alert"}


def details(e: Event) -> str:
    """The few fields that matter for each kind of episode, in words."""
    f = e.fields
    if e.type == "bend":
        style = f" {f['style']}" if f.get("style") else ""
        return f"{f.get('severity', '?')}{style}, peak {f.get('peak_flexion_deg', 0):.0f} deg"
    if e.type == "slouch":
        return f"{f.get('posture', '')}, {f.get('mean_flexion_deg', 0):.0f} deg beyond neutral on average"
    if e.type == "sedentary_bout":
        return f"{f.get('interruptions', 0)} short interruptions"
    if e.type == "walking_bout":
        return f"{f.get('steps', 0)} steps, {f.get('cadence_spm', 0):.0f} steps/min"
    return str(f.get("message") or f.get("alert", ""))


class EpisodesScreen(Screen):
    """A table of the day's episodes in time order."""

    CSS_PATH = "episodes.tcss"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("q", "app.quit", "Quit")]

    def __init__(self, events: list[Event], origin: datetime, what: str) -> None:
        super().__init__()
        self.rows = [e for e in events if e.type in SHOWN]
        self.origin = origin  # the recording's start, aware: clock times are shown in its zone
        self.what = what

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{len(self.rows)} episodes: {self.what}", id="episodes-title")
        yield DataTable(id="episodes-table", cursor_type="row", zebra_stripes=True)
        yield ScrollHint("#episodes-table", id="episodes-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "SensorKit: episodes"
        table = self.query_one(DataTable)
        table.add_columns(f"time ({self.origin.tzname()})", "what", "lasted", "details")
        zone, start = self.origin.tzinfo, self.origin.astimezone(timezone.utc)  # add in UTC: DST-safe
        for e in self.rows:
            at = (start + timedelta(seconds=e.start)).astimezone(zone)
            lasted = "-" if e.type == "alert" else duration(e.end - e.start)
            table.add_row(f"{at:%H:%M:%S}", SHOWN[e.type], lasted, details(e))
