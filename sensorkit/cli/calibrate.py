"""`sensorkit calibrate RECORDING --upright START:END [--bend START:END] [--profile FILE]`.

Offline calibration of the sensor-to-body alignment from a stretch of a recording (or CSV file) where
the wearer stood still and upright for a few seconds, and optionally one slow forward bend (which
fixes the forward direction). Times are seconds from the start of the recording. With ``--profile``
the result is stored in that patient profile's ``[calibration]`` section (the file is created if
missing; its other settings are kept), and ``sensorkit analyze --profile FILE`` then uses it. Without
it the calibration is printed (``--json`` for the machine-readable form). The recording itself is
never modified.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import SettingsError
from .analyze import _load
from .import_csv import add_import_options


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="calibrate sensor-to-body alignment from an upright stand",
                       description=__doc__.splitlines()[0])
    p.add_argument("input", metavar="RECORDING|FILE.csv", help="recording or CSV/Parquet file")
    p.add_argument("--upright", required=True, metavar="START:END", help="seconds standing still and upright")
    p.add_argument("--bend", metavar="START:END", help="seconds of one slow forward bend (optional)")
    p.add_argument("--profile", metavar="FILE", help="patient profile (TOML) to store the calibration in")
    p.add_argument("--json", action="store_true", help="print the calibration as JSON")
    add_import_options(p)
    p.set_defaults(func=run)


def parse_span(text: str, what: str) -> tuple[float, float]:
    try:
        a, b = (float(x) for x in text.split(":"))
    except ValueError as exc:
        raise SettingsError(f"--{what} must be START:END in seconds, not {text!r}") from exc
    if not b > a >= 0:
        raise SettingsError(f"--{what} {text}: END must be after START and both non-negative")
    return a, b


def run(args: argparse.Namespace) -> int:
    from sensorkit.signal.alignment import Mounting, calibrate
    from sensorkit.signal.profile import Profile, load_profile, save_profile

    block, meta, _ = _load(args.input, args)
    up0, up1 = parse_span(args.upright, "upright")
    upright = block.between(up0, up1)
    if len(upright) == 0:
        raise SettingsError(f"no samples between {up0:g} and {up1:g} s")
    bend = None
    if args.bend:
        b0, b1 = parse_span(args.bend, "bend")
        bend = block.between(b0, b1)
    alignment = calibrate(upright, bend, Mounting.from_meta(meta))
    doc = alignment.to_json()
    doc["source"] = f"sensorkit calibrate {Path(args.input).name} --upright {args.upright}" + (
        f" --bend {args.bend}" if args.bend else "")
    if args.profile:
        path = Path(args.profile)
        profile = load_profile(path) if path.exists() else Profile()
        profile.calibration = doc
        save_profile(profile, path)
    if args.json:
        print(json.dumps(doc))
    else:
        for w in alignment.warnings:
            print(f"warning: {w}")
        print(f"vertical (sensor axes): {[round(float(v), 3) for v in alignment.rotation[2]]}")
        print(f"forward  (sensor axes): {[round(float(v), 3) for v in alignment.rotation[0]]}")
        if args.profile:
            print(f"stored in {args.profile}; use: sensorkit analyze RECORDING --profile {args.profile}")
    return 0
