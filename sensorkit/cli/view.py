"""`sensorkit view RECORDING|FOLDER [--profile FILE]`: the terminal app on a day or a folder of days.

A recording opens the day screen: time per state, flexion bands, bends by severity, walking, slouching
and sitting, hour by hour, from the same analysis as `sensorkit analyze`. A folder opens the days
screen: its recordings (and those one sub-folder down, e.g. one folder per patient) with patient,
start, duration and device; Enter opens one, Escape comes back, q quits.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import RecordingError
from ..localtime import zone


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("view", description=__doc__.splitlines()[0])
    p.add_argument("path", metavar="RECORDING|FOLDER", help="a recording, or a folder of recordings")
    p.add_argument("--profile", metavar="FILE", help="patient profile (TOML): thresholds and calibration")
    p.add_argument("--tz", metavar="ZONE", help="show days and clock times in this IANA zone (default: each "
                   "recording's own zone, else the profile's, else the computer's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sensorkit.signal.profile import load_profile
    from sensorkit.tui.app import SensorKitApp
    from sensorkit.tui.report import saved_day
    from sensorkit.tui.screens.day import DayScreen

    path = Path(args.path)
    profile = load_profile(args.profile)  # a bad profile stops here, in one sentence, before the screen opens
    if args.tz:
        zone(args.tz)  # as does a bad zone
    if path.is_dir():
        from sensorkit.tui.screens.days import DaysScreen  # a recording's day screen starts without it

        SensorKitApp(lambda: DaysScreen(path, profile, args.tz, args.profile)).run()
    elif path.exists():
        # a foreign or broken file stops here too; a saved analysis is read now, for the first frame
        report = saved_day(path, profile, args.tz)
        SensorKitApp(lambda: DayScreen(path, profile, args.tz, args.profile, report)).run()
    else:
        raise RecordingError(f"no recording or folder at {path}")
    return 0
