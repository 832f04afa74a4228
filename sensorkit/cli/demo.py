"""`sensorkit demo [-o RECORDING] [--speed X] [--quiet]`: the whole product on an emulated sensor.

Needs no hardware. An emulated SensorKit sensor streams the 10-minute demo scenario over a virtual
Bluetooth radio; the same collector that reads a real sensor records it through bleak into the store.
As a patient does after pairing, the session starts with the guided calibration (the simulated
wearer stands still, then bends forward slowly once; the live analysis prompts for both, finds them
in the stream and stores the result in the recording), then the live analysis prints state changes;
each alert the alert policy lets through buzzes the emulated sensor (the summary counts the vibration
commands it received); at the end comes the day's summary, beside the simulation's ground truth. ``--speed`` (default 40)
runs faster than real time, so the default demo ends by itself in well under a minute. The
recording goes to the user's data folder (:func:`sensorkit.places.data_dir`: ``~/.local/share/sensorkit``
on Linux, ``~/Library/Application Support/sensorkit`` on macOS) unless ``-o`` says otherwise; each run
replaces the previous demo.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from pathlib import Path

from ..ble.live import LiveAnalysis
from ..ble.sessions import SessionResult, record_emulated
from ..emulator.faults import Faults
from ..emulator.registry import emulator_class
from ..emulator.sources import Source, simulated
from ..errors import SettingsError
from ..events import Event
from ..files import make_private_dir
from ..places import data_dir
from ..signal.calibration import GuidedCalibration
from ..simulator.truth import ATTACHMENT
from .monitor import Printer, attach_live, clock
from .record import summary_lines
from .simulate import truth_summary

DEMO_SEED = 1
DEFAULT_SPEED = 40.0


def default_path() -> Path:
    return data_dir() / "demo.skr"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", metavar="RECORDING", help=f"where to write it (default {default_path()})")
    p.add_argument("--speed", type=float, default=DEFAULT_SPEED, metavar="X",
                   help=f"times faster than real time (default {DEFAULT_SPEED:g})")
    p.add_argument("--fault", metavar="SPEC", help="faults to inject, e.g. loss=0.01,drop_every=120")
    p.add_argument("--tui", action="store_true", help="show the terminal app's live screen while it streams")
    p.set_defaults(func=run)


def day_summary(live: LiveAnalysis, result: SessionResult) -> list[str]:
    """The end-of-day lines: time per activity, episodes, alerts, data quality."""
    events = live.events
    count = Counter(e.type for e in events)
    total = sum(live.activity_s.values()) or 1.0
    shares = ", ".join(
        f"{name.replace('_', ' ')} {clock(s)} ({100 * s / total:.0f} %)" for name, s in live.activity_s.most_common()
    )
    bouts = _of(events, "walking_bout")
    sedentary = sum(e.duration for e in _of(events, "sedentary_bout"))
    stats = result.stats
    return [
        "day summary",
        f"  time      {shares or 'no data'}",
        f"  walking   {len(bouts)} bouts, {sum(int(e.fields.get('steps', 0)) for e in bouts)} steps",
        f"  back      {count['bend']} bends, {count['slouch']} slouches, {count['alert']} alerts{_held(events)}",
        f"  sedentary {count['sedentary_bout']} bouts, {clock(sedentary)} in total",
        f"  data      {stats.samples_stored} samples, {stats.gaps} gaps ({stats.samples_lost} samples lost), "
        f"{stats.reconnects} reconnects",
        f"  aligned   {_alignment_line(live)}",
    ]


def _held(events: list[Event]) -> str:
    """The alerts the alert policy held back, and why (nothing when none was)."""
    reasons = Counter(str(e.fields.get("reason")) for e in _of(events, "alert_held"))
    if not reasons:
        return ""
    return f" ({sum(reasons.values())} held back: {', '.join(f'{r} {n}' for r, n in reasons.most_common())})"


def _alignment_line(live: LiveAnalysis) -> str:
    guide = live.calibration
    if guide is not None and guide.phase == "done":
        return f"by the guided calibration ({guide.span[1] - guide.span[0]:.0f} s, not counted in the day)"
    if guide is not None and guide.error:
        return f"automatically ({guide.error})"
    return "automatically"


def _of(events: list[Event], kind: str) -> list[Event]:
    return [e for e in events if e.type == kind]


def run(args: argparse.Namespace) -> int:
    if not 0.1 <= args.speed <= 100:
        raise SettingsError(f"--speed {args.speed:g} must be between 0.1 and 100")
    faults = Faults.parse(args.fault)
    emulator_class("sensorkit")  # the emulation extra missing: say so before anything is simulated
    path = Path(args.output) if args.output else default_path()
    if not args.output:
        make_private_dir(path.parent)  # the data folder: 0700, health data is its owner's alone
    source = simulated("demo", DEMO_SEED)
    if args.tui:
        return _run_tui(args, source, path, faults)
    printer = None if args.quiet else Printer()
    lives: list[LiveAnalysis] = []
    print(f"demo: an emulated sensor streams {source.description} at {args.speed:g}x over a virtual radio")
    result = asyncio.run(record_emulated(
        "sensorkit", source, path, faults=faults, speed=args.speed, seed=DEMO_SEED, overwrite=True,
        attachments={ATTACHMENT: source.simulation.truth.to_npz(source.rate_hz)},
        on_collector=lambda c: lives.append(attach_live(c, printer, calibration=GuidedCalibration(), vibrate=True)),
    ))
    print("\n".join(summary_lines(result)))
    print("\n".join(day_summary(lives[0], result)))
    print(f"  truth     {truth_summary(source.simulation.truth)}")
    print(f"next: sensorkit info {path}")
    return 0


def _run_tui(args: argparse.Namespace, source: Source, path: Path, faults: Faults) -> int:
    """The same session (guided calibration first) on the terminal app's live screen; the summary after."""
    from sensorkit.tui.app import run_live

    result = run_live(lambda attach: record_emulated(
        "sensorkit", source, path, faults=faults, speed=args.speed, seed=DEMO_SEED, overwrite=True,
        attachments={ATTACHMENT: source.simulation.truth.to_npz(source.rate_hz)}, on_collector=attach,
    ), f"demo {args.speed:g}x -> {path.name}", calibration=GuidedCalibration())
    if result is None:
        print("demo: stopped before the emulated sensor was connected")
        return 0
    print("\n".join(summary_lines(result)))
    print(f"next: sensorkit view {path}")
    return 0
