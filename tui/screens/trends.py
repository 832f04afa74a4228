"""The trends screen: one patient's weeks, for the therapist's "is it getting better?".

Opened from the days screen (``t``) for the highlighted recording's patient. The figures are
:func:`sensorkit.trends.folder_trends`' (what ``sensorkit trends`` prints): one row per ISO week with
the means per recorded day, then a sparkline per main metric over the weeks with its least-squares
slope per week, or the reason there is none. Reading the folder can mean analysing recordings that
have no saved analysis, so it runs in a worker thread. Escape goes back to the days.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from sensorkit.trends import FolderTrends, PatientTrends, Week, folder_trends

from ..format import duration, error_text
from ..widgets.sparklines import Spark, Sparklines

# the week table: heading, metric, and how a daily mean reads
COLUMNS = (
    ("worn", "worn_s", duration), ("sitting", "sitting_s", duration), ("standing", "standing_s", duration),
    ("walking", "walking_s", duration), ("lying", "lying_s", duration),
    ("0-20 deg", "upright_0_20_s", duration), ("20-60 deg", "upright_20_60_s", duration),
    ("> 60 deg", "upright_over_60_s", duration),
    ("bends", "bends", lambda n: f"{n:.1f}"), ("high", "bends_high", lambda n: f"{n:.1f}"),
    ("moderate", "bends_moderate", lambda n: f"{n:.1f}"), ("low", "bends_low", lambda n: f"{n:.1f}"),
    ("slouching", "slouch_s", duration), ("longest sitting", "longest_sedentary_s", duration),
    ("steps", "steps", lambda n: f"{n:.0f}"), ("alerts", "alerts", lambda n: f"{n:.1f}"),
)
# the sparklines: label, metric, scale and unit of the numbers beside them
SPARKS = (
    ("sitting", "sitting_s", 60.0, "min/day"), ("walking", "walking_s", 60.0, "min/day"),
    ("upright 20-60 deg", "upright_20_60_s", 60.0, "min/day"), ("upright > 60 deg", "upright_over_60_s", 60.0, "min/day"),
    ("bends", "bends", 1.0, "/day"), ("high bends", "bends_high", 1.0, "/day"),
    ("slouching", "slouch_s", 60.0, "min/day"), ("longest sitting", "longest_sedentary_s", 60.0, "min"),
    ("steps", "steps", 1.0, "/day"), ("alerts", "alerts", 1.0, "/day"),
)


class TrendsScreen(Screen):
    """Per-week rows and a sparkline per main metric for one patient of a folder."""

    CSS_PATH = "trends.tcss"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("q", "app.quit", "Quit")]

    def __init__(self, folder: str | Path, patient: str, profile: Any = None, tz: str | None = None) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.patient = patient
        self.profile = profile
        self.tz = tz
        self.result: PatientTrends | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"patient {self.patient or '(not set)'}: reading the recordings...", id="trends-title")
        with VerticalScroll(id="trends-body"):
            yield Static("Week by week (local days; means per recorded day, longest sitting the week's longest)",
                         classes="section", id="trends-weeks")
            yield DataTable(id="trends-table", cursor_type="row", zebra_stripes=True)
            yield Static("Over the weeks (least-squares slope per week over the days)", classes="section")
            yield Sparklines(id="trends-sparks")
            yield Static(id="trends-files")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "SensorKit: trends"
        self.sub_title = str(self.folder)
        self.query_one(DataTable).add_columns("week", "days", *(head for head, _, _ in COLUMNS))
        self.query_one("#trends-body").loading = True
        self.gather()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def gather(self) -> FolderTrends:
        return folder_trends(self.folder, self.profile, self.patient, tz=self.tz)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS:
            self.show(event.worker.result)
        elif event.state == WorkerState.ERROR:
            reason = error_text(event.worker.error)
            self.query_one("#trends-body").loading = False
            self.query_one("#trends-title", Static).update(f"trends cannot be shown: {reason}")
            self.query_one("#trends-title").add_class("error")

    def show(self, found: FolderTrends) -> None:
        self.query_one("#trends-body").loading = False
        self.query_one("#trends-files", Static).update(files_text(found))
        self.result = found.patients[0] if found.patients else None
        title = self.query_one("#trends-title", Static)
        if self.result is None:
            title.update(f"patient {self.patient or '(not set)'}: no usable recording")
            title.add_class("error")
            return
        title.update(title_text(self.result))
        table = self.query_one(DataTable)
        for week in self.result.weeks:
            table.add_row(*week_cells(week), key=week.week)
        self.query_one(Sparklines).rows = sparks(self.result)


def title_text(p: PatientTrends) -> str:
    first, last = p.days[0].date, p.days[-1].date
    days, weeks = len(p.days), len(p.weeks)
    return (f"patient {p.patient}: {days} day{'' if days == 1 else 's'} with recordings in "
            f"{weeks} week{'' if weeks == 1 else 's'}, {first} to {last} ({', '.join(p.timezones) or 'UTC'} days)")


def week_cells(w: Week) -> list[str]:
    mean = w.per_day
    return [w.week, str(w.days)] + [fmt(mean[key]) for _, key, fmt in COLUMNS]


def sparks(p: PatientTrends) -> tuple[Spark, ...]:
    rows = []
    for label, key, scale, unit in SPARKS:
        t = p.trends[key]
        last = p.weeks[-1].per_day[key] / scale
        text = f"last week {last:.1f} {unit}; "
        if t.slope_per_week is None:
            text += t.note
        else:
            slope = t.slope_per_week / scale
            text += f"{slope if abs(slope) >= 0.05 else 0.0:+.1f} {unit} per week over {t.days} days"
        rows.append(Spark(label, tuple(w.per_day[key] for w in p.weeks), text))
    return tuple(rows)


def files_text(found: FolderTrends) -> str:
    used = [f for f in found.files if f.source not in ("skipped", "duplicate")]
    skipped = [f for f in found.files if f.source == "skipped"]
    stored = sum(f.source == "stored" for f in used)
    lines = [f"{len(used)} recording{'' if len(used) == 1 else 's'} ({stored} from a saved analysis, "
             f"{len(used) - stored} analysed now)"]
    lines += [f"skipped {f.name}: {f.reason}" for f in skipped]
    lines += [f"counted once: {f.name} {f.reason}" for f in found.files if f.overlap is not None]
    return "\n".join(lines)
