"""The trends screen: one patient's weeks, for the therapist's "is it getting better?".

Opened from the days screen (``t``) for the highlighted recording's patient. The figures are
:func:`sensorkit.trends.folder_trends`' (what ``sensorkit trends`` prints), one row per metric: a
sparkline of its daily values over the weeks (one character a day), its least-squares slope per week,
then each week's mean per recorded day, newest first, so the columns that a narrow terminal cuts
are the oldest (the hint under the table says so). Reading the folder can mean analysing recordings
that have no saved analysis, so it runs in a worker thread. Escape goes back to the days.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from sensorkit.errors import SensorKitError
from sensorkit.trends import DaysTask, FolderTrends, PatientTrends, entries_trends, folder_entries, not_measured

from ..format import error_text, short_duration
from ..report_key import WritesReport, free_name
from ..widgets.phrases import Phrases
from ..widgets.scroll_hint import ScrollHint
from ..widgets.sparklines import daily, sparkline

# one row per metric (label, metric), in the order a therapist reads them
ROWS = (
    ("worn", "worn_s"), ("sitting", "sitting_s"), ("slouching", "slouch_s"), ("standing", "standing_s"),
    ("walking", "walking_s"), ("steps", "steps"), ("lying", "lying_s"),
    ("upright 20-60 deg", "upright_20_60_s"), ("upright > 60 deg", "upright_over_60_s"),
    ("bends", "bends"), ("high-risk bends", "bends_high"), ("longest sitting", "longest_sedentary_s"),
    ("alerts", "alerts"),
)


class TrendsScreen(WritesReport, Screen):
    """Per-week rows and a sparkline per main metric for one patient of a folder."""

    CSS_PATH = "trends.tcss"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("r", "report", "Report"),
                Binding("q", "app.quit", "Quit")]

    def __init__(self, folder: str | Path, patient: str, profile: Any = None, tz: str | None = None,
                 profile_path: str | None = None) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.patient = patient
        self.profile = profile
        self.profile_path = profile_path  # the file ``profile`` came from, for the report
        self.tz = tz
        self.result: PatientTrends | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Phrases(id="trends-title")
        with VerticalScroll(id="trends-body"):
            yield Static("Each local day (blank: no recording); trend: slope per week; weeks: mean per "
                         "recorded day, newest first", id="trends-weeks")
            yield DataTable(id="trends-table", cursor_type="row", zebra_stripes=True)
            yield Static("Recordings", classes="section")
            yield Static(id="trends-files")
        yield ScrollHint("#trends-body, #trends-table", id="trends-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "SensorKit: trends"
        self.sub_title = str(self.folder)
        self.query_one("#trends-body").loading = True
        self.query_one("#trends-title", Phrases).lines = ((f"patient {self.patient or '(not set)'}", "reading the recordings..."),)
        self.gather()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def gather(self) -> FolderTrends:
        return entries_trends(self.folder, folder_entries(self.folder, self.patient), self.profile, tz=self.tz,
                              mapper=saving_first)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if self.report_done(event.worker):
            return
        if event.state == WorkerState.SUCCESS:
            self.show(event.worker.result)
        elif event.state == WorkerState.ERROR:
            reason = error_text(event.worker.error)
            self.query_one("#trends-body").loading = False
            self.query_one("#trends-title", Phrases).lines = ((f"trends cannot be shown: {reason}",),)
            self.query_one("#trends-title").add_class("error")

    def report_request(self) -> tuple[Path, Path, str | None] | None:
        if self.result is None:
            self.notify("no weeks to report on yet", severity="warning")
            return None
        name = f"{self.patient or 'patient'}-report.html"
        return self.folder, free_name(self.folder / name), self.patient or None

    def show(self, found: FolderTrends) -> None:
        self.query_one("#trends-body").loading = False
        self.query_one("#trends-files", Static).update(files_text(found))
        self.result = found.patients[0] if found.patients else None
        title = self.query_one("#trends-title", Phrases)
        if self.result is None:
            title.lines = ((f"patient {self.patient or '(not set)'}", "no usable recording"),)
            title.add_class("error")
            return
        title.lines = (title_phrases(self.result),)
        table = self.query_one(DataTable)
        p = self.result
        table.add_columns("metric", f"each day {p.days[0].date:%d %b} - {p.days[-1].date:%d %b}", "trend",
                          *(f"{w.week[5:]} ({w.days} d)" for w in reversed(p.weeks)))
        for label, key in ROWS:
            table.add_row(*metric_cells(p, label, key), key=key)


def saving_first(days_of: Callable[[DaysTask], Any], tasks: Sequence[DaysTask]) -> Iterator[Any]:
    """Each recording's days, after saving its analysis when it has none that fits (as its first view
    would), so that the next ``t`` reads every recording's saved summary instead of analysing it again.
    A recording counted only from where another ends is analysed from there, as trends does."""
    from sensorkit.signal.saved_analysis import save_unless_saved

    for task in tasks:
        made_now = False
        if task.from_s is None:
            try:
                made_now = save_unless_saved(task.path, task.profile, task.tz)
            except SensorKitError:  # days_of names the problem in the recording's row
                pass
        source, *rest = days_of(task)
        yield ("analysed" if made_now and source == "stored" else source), *rest


def title_phrases(p: PatientTrends) -> tuple[str, ...]:
    first, last = p.days[0].date, p.days[-1].date
    days, weeks = len(p.days), len(p.weeks)
    return (f"patient {p.patient}:", f"{days} day{'' if days == 1 else 's'} with recordings in "
            f"{weeks} week{'' if weeks == 1 else 's'},", f"{first} to {last}", f"({', '.join(p.timezones) or 'UTC'} days)")


def metric_cells(p: PatientTrends, label: str, key: str) -> list[str]:
    """One metric's row: its label, a sparkline of the days, the trend, each week's daily mean (newest first)."""
    values = {d.date: d.metrics[key] for d in p.days}
    number = short_duration if key.endswith("_s") else (lambda n: f"{n:.1f}")
    slope = p.trends[key].slope_per_week
    if slope is None:
        trend = "-"
    else:
        shown = number(slope)
        trend = ("0" if shown.lstrip("-").startswith(("0 ", "0.0")) or shown in ("0", "-0") else
                 ("+" if slope > 0 else "") + shown) + "/wk"
    return [label, sparkline(daily(values, p.days[0].date, p.days[-1].date)), trend,
            *("n/a" if w.per_day[key] is None else number(w.per_day[key]) for w in reversed(p.weeks))]


def files_text(found: FolderTrends) -> str:
    used = [f for f in found.files if f.source not in ("skipped", "duplicate")]
    skipped = [f for f in found.files if f.source == "skipped"]
    stored = sum(f.source == "stored" for f in used)
    lines = [f"{len(used)} recording{'' if len(used) == 1 else 's'} ({stored} from a saved analysis, "
             f"{len(used) - stored} analysed now)"]
    lines += [f"skipped {f.name}: {f.reason}" for f in skipped]
    lines += [f"counted once: {f.name} {f.reason}" for f in found.files if f.overlap is not None]
    lines += [f"walking {not_measured(f.gait)}: {f.name} (n/a, left out of the means)"
              for f in used if f.gait and f.gait != "on"]
    return "\n".join(lines)
