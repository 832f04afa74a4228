"""The live screen: what the sensor says right now, today's running counts, and the last alerts.

The recording session (real or emulated sensor -> collector -> store -> live analysis) runs in a
worker thread with its own event loop, so the screen never slows the collector and the collector
never freezes the screen; :class:`~sensorkit.tui.live_feed.LiveFeed` posts snapshots and alerts
back as Textual messages. ``q`` stops the recording cleanly (the store is closed as after Ctrl-C in
`sensorkit monitor`) and leaves; once the session has ended, ``d`` opens the recording's day screen.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from sensorkit.ble.haptics import Haptics
from sensorkit.events import Event
from sensorkit.localtime import time_of_day

from ..format import clock, count, duration, error_text, percent
from ..live_feed import LiveFeed, LiveSnapshot
from ..widgets.bars import Bar, Bars
from ..widgets.scroll_hint import ScrollHint
from .day import DayScreen

# A session: given the hook that attaches to the collector, records until done; returns a SessionResult.
Session = Callable[[Callable[[Any], None]], Awaitable[Any]]
ACTIVITY_WORDS = {
    "calibrating": "calibrating: follow the guide",
    "aligning": "getting to know the sensor...",
    "upright_sitting": "sitting upright",
    "slouched_sitting": "sitting, slouched",
    "unknown": "not sure yet",
    "not_worn": "not worn: sensor off the body",
}
ALERTS_SHOWN = 4
SNAPSHOT_INTERVAL_S = 0.1  # host seconds between live redraws (a change of state is drawn at once)
GAUGE_DEG = 90.0  # the flexion gauge's full length
GUIDE_KEEP_S = 10.0  # recording seconds the calibration's last words stay up once monitoring runs


@dataclass
class Ended:
    """How the session ended: its result (a SessionResult), or the error that ended it."""

    result: Any = None
    error: Exception | None = None

    @property
    def reason(self) -> str:
        """The error as one sentence for the screen (a bug is named as one)."""
        return error_text(self.error)


class LiveScreen(Screen):
    """State, flexion gauge, walking flag, running counts, last alerts; fed by :class:`LiveFeed`."""

    CSS_PATH = "live.tcss"
    BINDINGS = [
        Binding("q", "stop", "Stop, quit"),  # short: the footer fits 80 columns
        Binding("d", "day", "Day (when done)"),
        Binding("s", "snooze", "Snooze"),
        Binding("p", "pause", "Pause alerts"),
    ]

    class Update(Message):
        def __init__(self, snapshot: LiveSnapshot) -> None:
            super().__init__()
            self.snapshot = snapshot

    class Notice(Message):
        def __init__(self, event: Event) -> None:
            super().__init__()
            self.event = event

    class Said(Message):
        """A guided-calibration prompt (``guide``) or an alignment ``warning`` for the wearer."""

        def __init__(self, t: float, kind: str, text: str) -> None:
            super().__init__()
            self.t, self.kind, self.text = t, kind, text

    class Finished(Message):
        def __init__(self, ended: Ended) -> None:
            super().__init__()
            self.ended = ended

    def __init__(self, session: Session | None, what: str = "", *, profile: Any = None, calibration: Any = None,
                 vibrate: bool = False) -> None:
        """``profile`` (thresholds, calibration, height) and ``calibration`` (a GuidedCalibration to run
        first) go to the live analysis; see :class:`~sensorkit.tui.live_feed.LiveFeed`."""
        super().__init__()
        self.session = session
        self.what = what
        self.profile = profile
        self.calibration = calibration
        self.vibrate = vibrate  # buzz the sensor for each alert, as monitor --vibrate does
        self.ended: Ended | None = None
        self.stopping = False
        self.alerts: deque[str] = deque(maxlen=ALERTS_SHOWN)
        self._guide_t: float | None = None
        self._collector: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._live: Any = None  # the session's LiveAnalysis, once connected (snooze and pause go to it)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.what or "live", id="live-status")
        yield Static(id="live-guide")
        with Horizontal(id="live-panels"):
            with Vertical(id="live-now"):
                yield Static("Now", classes="section")
                yield Static("waiting for the sensor...", id="live-activity")
                yield Bars(id="live-flexion")
                yield Static("", id="live-walking")
            with Vertical(id="live-today"):
                yield Static("So far", classes="section")
                yield Static(counts_text({}), id="live-counts")
        with VerticalScroll(id="live-lower"):  # at 80x24 the time so far can fall below the fold: the hint says so
            yield Static("Last alerts", classes="section")
            yield Static("none yet", id="live-alerts")
            yield Static("Time so far", classes="section")
            yield Bars(id="live-time")
        yield ScrollHint("#live-lower", id="live-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "SensorKit: live"
        if self.session is not None:
            self.record()

    # -- the session, in its own thread ------------------------------------------------------------

    @work(thread=True, exclusive=True)
    def record(self) -> None:
        feed = LiveFeed(
            lambda s: self.post_message(self.Update(s)),
            lambda e: self.post_message(self.Notice(e)),
            lambda t, kind, text: self.post_message(self.Said(t, kind, text)),
            profile=self.profile, calibration=self.calibration, min_interval_s=SNAPSHOT_INTERVAL_S,
        )

        def attach(collector: Any) -> None:
            self._collector, self._loop = collector, asyncio.get_running_loop()
            self._live = feed.attach(collector)
            if self.vibrate:
                haptics = Haptics(collector, lambda text: self.post_message(self.Said(0.0, "warning", text)))
                shown = self._live.on_event

                def on_event(event: Event) -> None:
                    shown(event)
                    haptics.alert(event)

                self._live.on_event = on_event

        try:
            ended = Ended(result=asyncio.run(self.session(attach)))
        except Exception as exc:  # shown on screen, raised again by the command once the screen is closed
            ended = Ended(error=exc)
        self.post_message(self.Finished(ended))

    # -- messages ----------------------------------------------------------------------------------

    def on_live_screen_update(self, message: Update) -> None:
        self.show(message.snapshot)

    def on_live_screen_notice(self, message: Notice) -> None:
        self.notice(message.event)

    def on_live_screen_said(self, message: Said) -> None:
        if message.kind == "guide":  # the routine's current instruction stays in view until the next one
            guide = self.query_one("#live-guide", Static)
            guide.update(f"{self.at(message.t)}  {message.text}")
            guide.display, self._guide_t = True, message.t
        else:
            self.add_line(message.t, f"note: {message.text}")

    def on_live_screen_finished(self, message: Finished) -> None:
        self.ended = message.ended
        status = self.query_one("#live-status", Static)
        if message.ended.error is not None:
            status.update(f"stopped: {message.ended.reason}   (q to quit)")
            status.add_class("error")
        else:
            status.update(f"{self.what}: done. {ended_text(message.ended.result)}   d day view, q quit")
        if self.stopping:
            self.app.exit()

    def show(self, s: LiveSnapshot) -> None:
        """Draw one snapshot."""
        activity = self.query_one("#live-activity", Static)
        activity.update(ACTIVITY_WORDS.get(s.activity, s.activity.replace("_", " ")).upper())
        activity.set_classes(f"activity-{s.activity}")
        flexion = self.query_one("#live-flexion", Bars)
        if s.flexion_deg is None or s.activity in ("lying", "not_worn"):  # no posture advice there
            flexion.bars = (Bar("trunk flexion", 0.0, "-", "unknown"),)
        else:
            low, high = s.band_limits
            kind = "band-low" if s.flexion_deg < low else "band-mid" if s.flexion_deg <= high else "band-high"
            flexion.bars = (Bar("trunk flexion", abs(s.flexion_deg) / GAUGE_DEG, f"{round(s.flexion_deg):d} deg", kind),)
        self.query_one("#live-walking", Static).update(
            f"walking: {'yes' if s.walking else 'no'}   at {self.at(s.t)}"
            + ("" if self.at(s.t) == clock(s.t) else f" (recording {clock(s.t)})"))
        self.query_one("#live-counts", Static).update(counts_text(s.counts))
        self.query_one("#live-time", Bars).bars = time_bars(s.seconds)
        if self._guide_t is not None and s.activity != "calibrating" and s.t - self._guide_t > GUIDE_KEEP_S:
            self.query_one("#live-guide").display, self._guide_t = False, None

    def notice(self, event: Event) -> None:
        """Put an alert, a data gap or a low battery on top of the alert list."""
        if event.type == "alert":
            text = str(event.fields.get("message") or event.fields.get("alert", "alert"))
        elif event.type == "alerts_snoozed":
            text = f"alerts snoozed for {event.duration / 60:g} min"
        elif event.type in ("alerts_paused", "alerts_resumed"):
            text = "alerts paused (p to resume)" if event.type == "alerts_paused" else "alerts resumed"
        elif event.type == "data_gap":
            text = f"connection lost and back: {event.fields.get('samples', '?')} samples missing"
        else:
            text = "the sensor's battery is low"
        self.add_line(event.start, text)
        if event.type == "alert":
            self.app.bell()

    def add_line(self, t: float, text: str) -> None:
        self.alerts.appendleft(f"{self.at(t)}  {text}")
        self.query_one("#live-alerts", Static).update("\n".join(self.alerts))

    def at(self, t: float) -> str:
        """The local clock time of recording time ``t`` once the recording exists (its start and zone),
        else the time since the start."""
        writer = getattr(self._collector, "writer", None)
        return clock(t) if writer is None else time_of_day(writer.meta, t)

    # -- keys ----------------------------------------------------------------------------------------

    def action_stop(self) -> None:
        if not self.stop_before_quit():
            self.app.exit()

    def stop_before_quit(self) -> bool:
        """Ask a running recording to stop (the app quits once it is saved); False when nothing runs."""
        if self.ended is not None or self._collector is None or self._loop is None:
            return False  # done, or not connected yet (nothing to save)
        if not self.stopping:
            self.stopping = True
            self.query_one("#live-status", Static).update(f"{self.what}: stopping, saving the recording...")
            try:
                self._loop.call_soon_threadsafe(self._collector.stop)
            except RuntimeError:  # the session's loop has just closed: it ended, its Finished message is on the way
                pass
        return True

    def action_snooze(self) -> None:
        self._quiet("snooze")

    def action_pause(self) -> None:
        self._quiet("pause")

    def _quiet(self, what: str) -> None:
        """Snooze or pause the session's alerts, in the session's own loop (it runs in another thread)."""
        if self.ended is not None or self._live is None or self._loop is None:
            self.notify("alerts can be snoozed once the sensor is connected", severity="warning")
            return
        try:
            self._loop.call_soon_threadsafe(getattr(self._live, what))
        except RuntimeError:  # the session's loop has just closed
            pass

    def action_day(self) -> None:
        result = self.ended.result if self.ended else None
        if result is None:
            self.notify("the day view opens when the recording has ended", severity="warning")
            return
        self.app.push_screen(DayScreen(result.output))


# activity -> (label, bar colour) for the time-so-far bars, in the order shown
TIME_ROWS = {
    "upright_sitting": ("sitting upright", "sitting"),
    "slouched_sitting": ("sitting slouched", "slouched"),
    "standing": ("standing", "standing"),
    "walking": ("walking", "walking"),
    "bending": ("bending", "bending"),
    "lying": ("lying", "lying"),
    "not_worn": ("not worn", "not_worn"),
}


def time_bars(seconds: dict[str, float]) -> tuple[Bar, ...]:
    """Recording time per live activity so far (the first seconds while aligning are left out)."""
    total = sum(seconds.get(a, 0.0) for a in TIME_ROWS) + seconds.get("unknown", 0.0)
    if total <= 0:
        return ()
    return tuple(Bar(label, seconds.get(a, 0.0) / total, f"{duration(seconds.get(a, 0.0))}  {percent(seconds.get(a, 0.0), total):>5}", kind)
                 for a, (label, kind) in TIME_ROWS.items())


def counts_text(counts: dict[str, int]) -> str:
    c = {k: counts.get(k, 0) for k in ("bends", "high_bends", "slouches", "alerts", "walking_bouts", "steps",
                                       "sedentary_bouts", "gaps", "samples_lost")}
    return "\n".join([
        f"bends      {c['bends']} ({c['high_bends']} high)",
        f"slouches   {c['slouches']}",
        f"walking    {count(c['walking_bouts'], 'bout')}, {count(c['steps'], 'step')}",
        f"sedentary  {count(c['sedentary_bouts'], 'bout')}",
        f"alerts     {c['alerts']}",
        f"data gaps  {c['gaps']} ({c['samples_lost']} samples lost)",
    ])


def ended_text(result: Any) -> str:
    """One line from a SessionResult: what was stored and how the link behaved."""
    s = result.stats
    return (f"{s.samples_stored} samples in {result.output.name}, {s.gaps} gaps ({s.samples_lost} samples lost), "
            f"{s.reconnects} reconnects")
