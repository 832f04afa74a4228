"""The day screen: one recording at a glance, for the patient at the end of the day and the therapist.

The analysis (:func:`sensorkit.tui.report.load_day`, i.e. the signal core's ``analyze``) runs in a
worker thread, so the screen draws at once and stays responsive while a long day is read; it fills
in when the worker is done, or shows the one-sentence reason a file cannot be shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from sensorkit.errors import SensorKitError

from ..format import count, duration, error_text, percent
from ..report import DayReport, Span, load_day
from ..report_key import WritesReport, free_name
from ..widgets.bars import Bar, Bars
from ..widgets.hours import HourLegend, HourStrip
from ..widgets.phrases import Phrases
from ..widgets.scroll_hint import ScrollHint

SEVERITIES = ("high", "moderate", "low")


class DayScreen(WritesReport, Screen):
    """Header, time per state, flexion bands, bends, walking, sitting, and the hour strip."""

    CSS_PATH = "day.tcss"
    BINDINGS = [  # short descriptions: the footer fits 80 columns (the span line explains n / p)
        Binding("escape", "back", "Back"),
        Binding("p", "day(-1)", "Previous day", show=False),
        Binding("n", "day(1)", "Next day", show=False),
        Binding("left", "day(-1)", show=False),
        Binding("right", "day(1)", show=False),
        Binding("l", "episodes", "Episodes"),
        Binding("e", "export", "Export CSV"),
        Binding("r", "report", "Report"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, path: str | Path, profile: Any = None, tz: str | None = None,
                 profile_path: str | None = None, report: DayReport | None = None) -> None:
        """``report``: the day already read (:func:`sensorkit.tui.report.saved_day`), shown in the first
        frame; None: analysed (or read) in a worker thread once the screen is up."""
        super().__init__()
        self.path = Path(path)
        self.profile = profile
        self.profile_path = profile_path  # the file ``profile`` came from, for the report
        self.tz = tz  # None: the recording's own zone (see sensorkit.localtime)
        self.report = report
        self.spans: list[Span] = []  # the whole recording, then each calendar day if more than one
        self.span_index = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Phrases(id="day-title")
        yield Static(id="day-span")
        with Horizontal(id="key-figures"):  # the four numbers a therapist looks for first, never scrolled away
            for key in KEY_FIGURES:
                yield Static(classes="figure", id=f"figure-{key}")
        with VerticalScroll(id="day-body"):
            with Horizontal(id="day-columns"):
                with Vertical(id="day-time"):
                    yield Static("Where the time went (share of the time worn)", classes="section")
                    yield Bars(id="posture")
                    yield Static("Trunk flexion while upright (ISO 11226 bands)", classes="section")
                    yield Bars(id="bands")
                with Vertical(id="day-back"):
                    yield Static("Bends by severity", classes="section")
                    yield Bars(id="severity")
                    yield Static(id="bend-facts")
                    yield Static("Walking", classes="section")
                    yield Static(id="walking")
                    yield Static("Slouching and sitting", classes="section")
                    yield Static(id="sitting")
            yield Static("Hour by hour", classes="section", id="hours-title")
            yield HourLegend(id="hours-legend")
            yield HourStrip(id="hours")
        yield ScrollHint("#day-body", id="day-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "SensorKit: day"
        self.sub_title = str(self.path)
        if self.report is not None:
            self.show(self.report)
            return
        self.query_one("#day-body").loading = True
        self.query_one("#day-title", Phrases).lines = ((f"{self.path.name}: analysing...",),)
        self.analyse()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def analyse(self) -> DayReport:
        return load_day(self.path, self.profile, self.tz)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if self.report_done(event.worker):
            return
        if event.state == WorkerState.SUCCESS:
            self.show(event.worker.result)
        elif event.state == WorkerState.ERROR:
            reason = error_text(event.worker.error)
            self.query_one("#day-body").loading = False
            self.query_one("#day-title", Phrases).lines = ((f"{self.path.name} cannot be shown: {reason}",),)
            self.query_one("#day-title").add_class("error")

    def show(self, report: DayReport) -> None:
        """Fill every panel from an analysed recording."""
        self.report, self.spans = report, report.spans()
        self.query_one("#day-body").loading = False
        self.query_one("#day-title", Phrases).lines = header_lines(report)
        self.query_one("#hours-title", Static).update(f"Hour by hour ({report.zone_name}): what each minute was")
        self.show_span()
        if len(self.spans) > 1:  # the day keys exist only for a recording over several days
            self.refresh_bindings()  # (the footer is drawn again: only when it changes)

    def show_span(self) -> None:
        span = self.spans[self.span_index]
        self.query_one("#day-span").display = len(self.spans) > 1
        self.query_one("#day-span", Static).update(
            "" if len(self.spans) == 1 else
            f"showing {span.label}" + (f", day {self.span_index} of {len(self.spans) - 1}" if self.span_index else "")
            + "   (n / p or right / left: the recording's days)"
        )
        for key, text in key_figures(span).items():
            self.query_one(f"#figure-{key}", Static).update(text)
        self.query_one("#posture", Bars).bars = posture_bars(span)
        self.query_one("#bands", Bars).bars = band_bars(span)
        self.query_one("#severity", Bars).bars = severity_bars(span)
        self.query_one("#bend-facts", Static).update(bend_text(span))
        self.query_one("#walking", Static).update(walking_text(span))
        self.query_one("#sitting", Static).update(sitting_text(span))
        self.query_one("#hours", HourStrip).hours = tuple(span.hours)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "day":
            return len(self.spans) > 1
        return True

    def action_day(self, step: int) -> None:
        if self.spans:
            self.span_index = (self.span_index + step) % len(self.spans)
            self.show_span()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:  # something to go back to (the first is Textual's default screen)
            self.app.pop_screen()

    def action_episodes(self) -> None:
        if self.report is None:
            self.notify("the analysis is still running", severity="warning")
            return
        from .episodes import EpisodesScreen  # imported when asked for: `sensorkit view` starts without it

        span = self.spans[self.span_index]
        what = f"{self.path.name}, {span.label}"
        self.app.push_screen(EpisodesScreen(span.events, self.report.start, what))  # start: local, aware

    def report_request(self) -> tuple[Path, Path, str | None] | None:
        if self.report is None:
            self.notify("the analysis is still running", severity="warning")
            return None
        return self.path, free_name(self.path.with_name(f"{self.path.stem}-report.html")), None

    def action_export(self) -> None:
        if self.report is None:
            self.notify("the analysis is still running", severity="warning")
            return
        from sensorkit.importer import events_frame, write_frame

        out = free_name(self.path.with_name(f"{self.path.stem}-events.csv"))  # never over an earlier export
        try:
            write_frame(events_frame(self.report.events, self.report.meta, self.report.zone), out, overwrite=False)
        except (OSError, SensorKitError) as exc:
            self.notify(f"could not write {out}: {exc}", severity="error")
            return
        self.notify(f"wrote {len(self.report.events)} events to {out}")


def header_lines(r: DayReport) -> tuple[tuple[str, ...], ...]:
    """The header's phrases (a line breaks between two phrases, never inside one; see Phrases)."""
    meta = r.meta
    device = " ".join(p for p in (meta.device_kind, meta.device_name) if p) or "unknown device"
    days = f" ({len(r.days)} days)" if len(r.days) > 1 else ""
    quality = "no gaps" if r.gaps == 0 else f"{r.gaps} gaps ({duration(r.missing_samples / meta.rate_hz)} lost)"
    link = "not via Bluetooth" if r.reconnects is None else count(r.reconnects, "reconnect")
    first = (f"patient {meta.patient_id or '(not set)'},", f"device {device},",
             f"{r.start:%Y-%m-%d %H:%M} {r.zone_name} (UTC{r.start:%z}){days},", duration(r.duration_s))
    second = (f"{quality},", f"{link},", f"{meta.rate_hz:g} Hz,", f"angles from {r.method}")
    return (first, second, *((f"warning: {w}",) for w in r.warnings))


# the key figures, left to right: what a therapist looks for first
KEY_FIGURES = ("slouched", "high-bends", "walking", "alerts")
ALERT_NAMES = {"slouch": "slouch", "severe_bend": "bend", "long_sedentary": "sitting"}
FIGURE_WIDTH = 16  # characters inside a key figure at 80 columns


def key_figures(r: Span) -> dict[str, str]:
    """Each key figure as three lines (Textual markup): what, the number, its context."""
    total = r.summary
    slouch, bends, alerts = total["slouch"], total["bends"], total["alerts"]
    high = bends["by_severity"]["high"]
    hours = worn_s(r) / 3600.0
    sitting = total["posture_s"]["sitting"]
    walking = total.get("walking_s")
    return {
        "slouched": f"Time slouched\n[b]{duration(slouch['total_s'])}[/b]\n"
                    + (f"{percent(r.slouched_sitting_s, sitting)} of sitting" if sitting else "no sitting"),
        "high-bends": f"High-risk bends\n[b]{high}[/b] of {bends['count']}\n"
                      f"{high / hours if hours else 0.0:.1f} per hour",
        "walking": "Walking\n" + ("[b]not measured[/b]\n" + ("detection off" if r.gait == "off" else "sensor too slow")
                                   if r.gait != "on" else "[b]-[/b]\nno walking found" if walking is None else
                                   f"[b]{duration(walking)}[/b]\n{count(total['steps'], 'step')}"),
        "alerts": f"Alerts\n[b]{sum(alerts.values())}[/b]\n{alert_kinds(alerts)}",
    }


def alert_kinds(alerts: dict[str, int], width: int = FIGURE_WIDTH) -> str:
    """``slouch 3, bend 1``: the most frequent kinds that fit a key figure at 80 columns, ``+N`` for the rest."""
    text, shown = "", 0
    for kind, n in sorted(alerts.items(), key=lambda kv: (-kv[1], kv[0])):
        part = f"{', ' if text else ''}{ALERT_NAMES.get(kind, kind)} {n}"
        rest = sum(alerts.values()) - shown - n
        if text and len(text) + len(part) + (len(f" +{rest}") if rest else 0) > width:
            return f"{text} +{sum(alerts.values()) - shown}"
        text, shown = text + part, shown + n
    return text or "none"


BAR_KINDS = {"sitting upright": "sitting", "sitting slouched": "slouched"}


def posture_bars(r: Span) -> tuple[Bar, ...]:
    """Time per posture (sitting split upright / slouched) as a share of the time worn; the time not worn,
    if any, as a share of the recording."""
    posture = r.summary["posture_s"]
    walking = r.summary.get("walking_s", 0.0)
    worn = worn_s(r)
    slouched = min(r.slouched_sitting_s, posture["sitting"])
    rows = [
        ("sitting upright", posture["sitting"] - slouched),
        ("sitting slouched", slouched),
        ("standing", max(0.0, posture["standing"] - walking)),
        ("walking", walking),
        ("lying", posture["lying"]),
    ]
    rows.append(("unknown", max(0.0, worn - sum(s for _, s in rows))))
    bars = [Bar("not classified" if kind == "unknown" else kind, s / worn if worn else 0.0,
                "not measured" if kind == "walking" and r.gait != "on" else f"{duration(s)}  {percent(s, worn):>5}",
                BAR_KINDS.get(kind, kind)) for kind, s in rows]
    not_worn = float(r.summary.get("not_worn_s", 0.0))
    if not_worn > 0:  # a row only for recordings with non-wear
        bars.append(Bar("not worn", not_worn / r.duration_s,
                        f"{duration(not_worn)}  {percent(not_worn, r.duration_s):>5} of all", "not_worn"))
    return tuple(bars)


def worn_s(r: Span) -> float:
    """The time the sensor was worn: the denominator of every share and rate on the screen."""
    return float(r.summary.get("worn_s", r.duration_s))


def band_bars(r: Span) -> tuple[Bar, ...]:
    bands = r.summary.get("flexion_band_s") or {}
    upright = sum(bands.values())
    names = (("0_20", "0-20 deg", "band-low"), ("20_60", "20-60 deg", "band-mid"), ("over_60", "over 60 deg", "band-high"))
    return tuple(
        Bar(label, bands.get(key, 0.0) / upright if upright else 0.0,
            f"{duration(bands.get(key, 0.0))}  {percent(bands.get(key, 0.0), upright):>5}", kind)
        for key, label, kind in names
    )


def severity_bars(r: Span) -> tuple[Bar, ...]:
    by = r.summary["bends"]["by_severity"]
    most = max(by.values(), default=0) or 1
    hours = worn_s(r) / 3600.0
    return tuple(Bar(sev, by[sev] / most, f"{by[sev]}  ({by[sev] / hours if hours else 0.0:.1f} per hour)", f"sev-{sev}")
                 for sev in SEVERITIES)


def bend_text(r: Span) -> str:
    bends = r.summary["bends"]
    styles = ", ".join(f"{n} {style}" for style, n in sorted(bends["by_style"].items()) if style != "None")
    rate = bends["per_hour_worn"]
    return f"{count(bends['count'], 'bend')}, {rate or 0:.1f} per hour" + (f"; {styles}" if styles else "")


def walking_text(r: Span) -> str:
    if r.gait != "on":  # not measured is not "no walking": a therapist must not read it as a day in a chair
        from sensorkit.trends import not_measured  # the trends' wording; the day screen opens without that module

        return not_measured(r.gait) + "; standing includes any walking"
    if "walking_s" not in r.summary:
        return "no walking found"
    cadence = r.cadence_spm
    return (f"{count(len(r.walking_bouts), 'bout')}, {count(r.summary['steps'], 'step')} in {duration(r.summary['walking_s'])}"
            + (f", {cadence:.0f} steps/min" if cadence else ""))


def sitting_text(r: Span) -> str:
    slouch, sed, alerts = r.summary["slouch"], r.summary["sedentary"], r.summary["alerts"]
    lines = [
        f"slouching {count(slouch['episodes'], 'episode')}, {duration(slouch['total_s'])}",
        f"sedentary {count(sed['bouts'], 'bout')}, {duration(sed['total_s'])} (longest {duration(sed['longest_s'])})",
        f"breaks    {sed['breaks']}",
        "alerts    " + (", ".join(f"{k.replace('_', ' ')} {n}" for k, n in sorted(alerts.items())) or "none"),
    ]
    return "\n".join(lines)
