"""`sensorkit monitor`: record a sensor and run the live analysis, printing state changes and alerts.

    sensorkit monitor --device NAME|ADDRESS -o RECORDING [--duration S] [--profile FILE]
    sensorkit monitor --emulate KIND [--scenario NAME | --from RECORDING] [--fault SPEC] [--speed X] -o RECORDING

Same device options as `sensorkit record`. One line per change: ``time  kind  text``, where time is
the local clock time (hh:mm:ss, in ``--tz``, else the profile's ``[patient] timezone``, else the
computer's zone; stored in the recording with the patient id), kind is ``state`` (sitting upright, slouched, standing, walking,
bending, lying), ``ALERT``, ``gap`` (lost samples, with the cause), ``battery``, ``sensor`` (connected, with the
battery and the file it records to, at once; reconnected), ``guide`` (the
prompts of a guided calibration, see ``sensorkit demo``) or ``warning`` (what the alignment could not
know, e.g. which way is forward without a calibration, in plain words; ``-v`` adds the technical
ones). Lines come in time order. ``--profile`` gives the patient's
thresholds, height and calibration (stored in the recording as well). The events go into
the recording as well, beside the samples. Stops at ``--duration``, at the end of an emulated
source, or on Ctrl-C.

Alerts follow the profile's policy (delay, cool-down per kind, hourly budget, quiet hours; see
``sensorkit.signal.alerts``); ``--set KEY=VALUE`` changes a threshold for this session. Quiet on demand:
``s`` + Enter (or ``kill -USR1 PID``) snoozes alerts for ``snooze_s``, ``p`` + Enter (``kill -USR2 PID``)
pauses or resumes them; each is a ``quiet`` line and an event of the recording. ``--vibrate`` (or the
profile's ``vibrate = 1``) buzzes the sensor for each alert let through: short for a slouch, double for
a risky bend, long for long sitting or a slouch that keeps coming back (line mode); ``--bell`` rings the
terminal's bell with each alert, ``--notify`` shows it as a desktop notification (optional extra).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from datetime import datetime
from typing import Callable, TextIO

from ..ble.collector import Collector
from ..ble.live import LiveAnalysis
from ..errors import SettingsError
from ..events import Event
from ..localtime import time_of_day
from ..ble.haptics import Haptics
from .announce import announce
from .saved import print_saved_analysis
from .notify import DesktopNotices
from ..samples import RecordingMeta
from ..signal.alignment import FORWARD_UNKNOWN
from ..signal.calibration import GuidedCalibration
from ..signal.profile import Profile, load_profile
from .record import add_session_arguments, check_session_arguments, run_session, summary_lines


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("monitor", description=__doc__.splitlines()[0])
    add_session_arguments(p)
    p.add_argument("--tui", action="store_true", help="show the terminal app's live screen instead of lines")
    p.add_argument("--vibrate", action="store_true", help="buzz the sensor for each alert (sensors with a "
                   "vibration motor: SensorKit, MetaMotion; also the profile's vibrate = 1)")
    p.add_argument("--notify", action="store_true", help="also show each alert as a desktop notification "
                   "(needs pip install 'sensorkit[notify]')")
    p.add_argument("--bell", action="store_true", help="ring the terminal's bell with each alert (line mode)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="settings",
                   help="override a profile threshold for this session, e.g. --set slouch_alert_cooldown_s=900 "
                        "(repeatable; the keys of the profile's [thresholds])")
    p.set_defaults(func=run)


def clock(t: float) -> str:
    t = max(0.0, t)
    return f"{int(t // 3600)}:{int(t % 3600 // 60):02d}:{t % 60:04.1f}"


def plain_warning(text: str) -> str:
    """What an alignment warning means for the wearer, without axes or "unsigned tilt" (``-v`` shows the
    engineer's wording as well)."""
    if text.startswith(FORWARD_UNKNOWN):
        return ("I cannot tell yet which way you face, so bending forward and leaning back look alike: "
                "calibrate once (sensorkit calibrate) for bend and slouch alerts you can trust")
    if text.startswith("the sensor's forward seems turned"):
        return ("the sensor seems to sit turned from how it was calibrated: check that it lies flat and "
                "straight on your back, or calibrate again")
    if text.startswith("no walking and no still period"):
        return "still learning how you stand: stand still or walk for a moment"
    return text


class Printer:
    """Turns live callbacks into lines; the TUI replaces this with a screen.

    ``verbose``: warnings also in the engineer's words (axes, unsigned tilt), after the plain ones."""

    def __init__(self, out: TextIO | None = None, verbose: bool = False, bell: bool = False):
        self.out = out if out is not None else sys.stdout  # looked up now, not at import (tests swap stdout)
        self.verbose = verbose
        self.bell = bell  # ring the terminal's bell with each alert (a terminal behind other windows)
        # the recording's metadata once it exists (its start and zone make the clock time)
        self.meta: Callable[[], RecordingMeta | None] = lambda: None

    def state(self, t: float, activity: str) -> None:
        self.line(t, "state", activity.replace("_", " "))

    def event(self, event: Event) -> None:
        if event.type == "alert":  # fields: alert (kind), message (for the patient), details
            self.line(event.start, "ALERT", str(event.fields.get("message") or event.fields.get("alert")))
            if self.bell:
                print("\a", end="", file=self.out, flush=True)
        elif event.type == "data_gap":
            self.line(event.start, "gap", f"{event.fields['samples']} samples lost ({event.fields['cause']})")
        elif event.type == "alerts_snoozed":
            self.line(event.start, "quiet", f"alerts snoozed for {event.duration / 60:g} min")
        elif event.type in ("alerts_paused", "alerts_resumed"):
            self.line(event.start, "quiet", "alerts paused (again to resume)" if event.type == "alerts_paused"
                      else "alerts resumed")
        elif event.type == "battery_low":
            self.line(event.start, "battery", "the sensor's battery is low: charge it soon, it may stop within the hour")

    def sensor(self, text: str) -> None:
        """A line about the sensor itself (no vibration motor, a buzz that failed), at the clock time now."""
        print(f"{datetime.now().strftime('%H:%M:%S')}  {'sensor':<7}  {text}", file=self.out, flush=True)

    def guide(self, t: float, text: str) -> None:
        self.line(t, "guide", text)

    def warning(self, t: float, text: str) -> None:
        plain = plain_warning(text)
        self.line(t, "warning", plain if plain == text or not self.verbose else f"{plain} [{text}]")

    def line(self, t: float, kind: str, text: str) -> None:
        meta = self.meta()
        at = clock(t) if meta is None else time_of_day(meta, t)
        print(f"{at}  {kind:<7}  {text}", file=self.out, flush=True)


def _both(first: Callable[[Event], None], then: Callable[[Event], None]) -> Callable[[Event], None]:
    def call(event: Event) -> None:
        first(event)
        then(event)

    return call


def attach_live(collector: Collector, printer: Printer | None, profile: Profile | None = None,
                calibration: GuidedCalibration | None = None, vibrate: bool = False,
                notices: DesktopNotices | None = None) -> LiveAnalysis:
    """Feed the collector's committed samples to a live analysis (printing through ``printer``).

    ``calibration``: run this guided calibration first; its result goes into the recording.
    ``vibrate``: buzz the sensor for each alert let through (:mod:`sensorkit.ble.haptics`)."""
    if printer:
        announce(collector, printer.out)
    on_event = printer.event if printer else None
    if vibrate:
        haptics = Haptics(collector, printer.sensor if printer else lambda _text: None)
        on_event = haptics.alert if on_event is None else _both(on_event, haptics.alert)
    if notices is not None:
        on_event = notices.alert if on_event is None else _both(on_event, notices.alert)
    live = LiveAnalysis(
        lambda: collector.writer.meta,  # type: ignore[union-attr]
        profile=profile,
        calibration=calibration,
        on_prompt=printer.guide if printer else None,
        on_calibrated=lambda doc: collector.writer.set_calibration(doc),  # type: ignore[union-attr]
        on_warning=printer.warning if printer else None,
        on_state=printer.state if printer else None,
        on_event=on_event,
    )
    collector.consumers.append(live.feed)
    collector.finishers.append(live.finish)
    if printer:
        printer.meta = lambda: collector.writer.meta if collector.writer is not None else None
        collector.event_consumers.append(printer.event)
    return live


def with_settings(profile: Profile, settings: list[str]) -> Profile:
    """``profile`` with the ``--set KEY=VALUE`` overrides (checked like the profile's own keys)."""
    changes: dict[str, float] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        try:
            changes[key.strip()] = float(value)
        except ValueError:
            raise SettingsError(f"--set {item}: expected KEY=NUMBER, e.g. slouch_alert_cooldown_s=900") from None
        if not sep:
            raise SettingsError(f"--set {item}: expected KEY=NUMBER, e.g. slouch_alert_cooldown_s=900")
    return profile.with_values(**changes) if changes else profile


def quiet_controls(live: LiveAnalysis) -> None:
    """Snooze and pause in line mode: ``kill -USR1 PID`` snoozes, ``kill -USR2 PID`` pauses or resumes;
    at a terminal, typing ``s`` or ``p`` and Enter does the same. Signal handlers of the event loop run
    in the loop, not inside a signal frame, so they may touch the analysis."""
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):  # Windows: no SIGUSR1
        loop.add_signal_handler(signal.SIGUSR1, live.snooze)
        loop.add_signal_handler(signal.SIGUSR2, live.pause)
    if sys.stdin is not None and sys.stdin.isatty():
        def key() -> None:
            typed = sys.stdin.readline().strip().lower()
            if typed == "s":
                live.snooze()
            elif typed == "p":
                live.pause()

        with contextlib.suppress(NotImplementedError, OSError, ValueError):
            loop.add_reader(sys.stdin.fileno(), key)


def run(args: argparse.Namespace) -> int:
    faults = check_session_arguments(args)
    profile = with_settings(load_profile(args.profile), args.settings)
    if args.tui:  # the live screen attaches its own live analysis (sensorkit.tui.live_feed)
        from sensorkit.tui.app import run_live

        result = run_live(lambda attach: run_session(args, faults, on_collector=attach), f"monitor {args.output}",
                          profile=profile, vibrate=args.vibrate or bool(profile.vibrate))
        if result is None:
            print("stopped before the sensor was connected; nothing was recorded")
            return 0
    else:
        printer = Printer(verbose=bool(getattr(args, "verbose", 0)), bell=args.bell)
        notices = DesktopNotices() if args.notify else None  # a missing extra is refused before connecting
        result = asyncio.run(run_session(args, faults, on_collector=lambda c: quiet_controls(
            attach_live(c, printer, profile, vibrate=args.vibrate or bool(profile.vibrate), notices=notices))))
    print("\n".join(summary_lines(result)))
    print_saved_analysis(result.output, args, profile)
    return 0
