"""`sensorkit calibrate`: the sensor-to-body calibration, live with the wearer or from a recording.

    sensorkit calibrate --device NAME|ADDRESS [--profile FILE] [--no-bend] [-o RECORDING]
    sensorkit calibrate --emulate KIND [--scenario NAME] [--speed X] [--profile FILE] [--no-bend]
    sensorkit calibrate RECORDING --upright START:END [--bend START:END] [--profile FILE]

Live (``--device``, or ``--emulate`` for an emulated sensor streaming a scenario that begins with
the routine, such as ``demo``), as a patient does after pairing: the command connects, prompts
"Stand upright and still...", finds the still stand in the stream, prompts "Now bend forward slowly
and come back up", finds the bend, and stores the result in the profile (see
:mod:`sensorkit.signal.calibration`). If the wearer moved during the stand, or no bend came within
30 s, it says so and writes nothing (exit 1). Without ``--profile`` the result goes to the default
profile (:func:`sensorkit.places.default_profile`), which every command then reads when no
``--profile`` is given. The stream goes to a temporary recording unless ``-o`` keeps it (with the
calibration in its metadata).

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
import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from ..errors import SettingsError
from ..samples import SampleBlock
from .analyze import _opened
from .import_csv import add_import_options
from .record import add_session_arguments, check_session_arguments, run_session


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", description=__doc__.splitlines()[0])
    p.add_argument("input", nargs="?", metavar="RECORDING|FILE.csv", help="recording or CSV/Parquet file (offline)")
    p.add_argument("--upright", metavar="START:END", help="offline: seconds standing still and upright")
    p.add_argument("--bend", metavar="START:END", help="offline: seconds of one slow forward bend (optional)")
    p.add_argument("--no-bend", action="store_true", help="live: the stand only (forward then comes from the "
                   "device's declared mounting, or is unknown)")
    add_session_arguments(p, output_required=False, device_required=False, profile=False, rate=False)
    p.add_argument("--profile", metavar="FILE", help="patient profile (TOML) to store the calibration in (live "
                   "default: the default profile, see `sensorkit profile show`)")
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
    live = args.device is not None or args.emulate is not None
    if live and args.profile is None:  # the wearer's own calibration: into the profile read by default
        from ..files import make_private_dir
        from ..places import default_profile

        args.profile = str(make_private_dir(default_profile().parent) / default_profile().name)
    if args.profile:
        _existing_profile(Path(args.profile))  # refuse a bad profile before the wearer does the routine
    if live and (args.input or args.upright or args.bend):
        raise SettingsError("give either a RECORDING with --upright (offline) or --device/--emulate (live), not both")
    if live:
        return run_live(args)
    if not args.input or not args.upright:
        raise SettingsError("give a RECORDING and --upright START:END, or calibrate live with --device NAME")
    return run_offline(args)


def run_live(args: argparse.Namespace) -> int:
    """The guided routine on a streaming sensor; the profile is written only if it succeeded."""
    from sensorkit.signal.calibration import GuidedCalibration

    faults = check_session_arguments(args)
    args.rate = args.rate or 100.0  # --rate (shared with the CSV options) is the sensor's rate here
    guide = GuidedCalibration(with_bend=not args.no_bend)
    keep = args.output is not None
    source = f"sensorkit calibrate --{'device' if args.device else 'emulate'} {args.device or args.emulate} (live, guided)"
    with tempfile.TemporaryDirectory(prefix="sensorkit-calibrate-") as tmp:
        if not keep:
            args.output, args.force = str(Path(tmp) / "calibration.skr"), True
        # calibration=None: --profile here is where the result goes, not a calibration to record with
        asyncio.run(run_session(args, faults, calibration=None,
                                on_collector=lambda c: _guide(c, guide, source if keep else None)))
    if not guide.finished:
        guide.fail("calibration failed: the sensor stopped streaming before the routine was complete")
    if guide.phase == "failed":
        raise SettingsError(guide.error or "calibration failed")
    _store(args, guide.alignment, guide.document(source))
    return 0


def _guide(collector: Any, guide: Any, record_as: str | None) -> None:
    """Feed the collector's samples to the routine, print its prompts, stop when it is over."""
    from sensorkit.signal.alignment import Mounting

    def feed(block: Any) -> None:
        if guide.finished:
            return
        if not guide.started:
            guide.mounting = Mounting.from_meta(collector.writer.meta)
            print(guide.first_prompt(), flush=True)
        for text in guide.update(block):
            print(text, flush=True)
        if guide.phase == "done" and record_as:
            collector.writer.set_calibration(guide.document(record_as, in_recording=True))
        if guide.finished:
            collector.stop()

    collector.consumers.append(feed)


def run_offline(args: argparse.Namespace) -> int:
    from sensorkit.signal.alignment import Mounting, calibrate

    up0, up1 = parse_span(args.upright, "upright")
    with _opened(args.input, args) as (data, meta, _):  # a recording: only the two spans are read
        between = data.between if isinstance(data, SampleBlock) else data.samples
        upright = between(up0, up1)
        bend = between(*parse_span(args.bend, "bend")) if args.bend else None
    if len(upright) == 0:
        raise SettingsError(f"no samples between {up0:g} and {up1:g} s")
    alignment = calibrate(upright, bend, Mounting.from_meta(meta))
    doc = alignment.to_json()
    doc["source"] = f"sensorkit calibrate {Path(args.input).name} --upright {args.upright}" + (
        f" --bend {args.bend}" if args.bend else "")
    _store(args, alignment, doc)
    return 0


def _existing_profile(path: Path) -> Any:
    """The profile to add the calibration to: the file's (checked whole), or a new one in an existing folder."""
    from sensorkit.signal.profile import Profile, load_profile

    if path.exists() or path.is_symlink():
        return load_profile(path)
    if not path.parent.is_dir():
        raise SettingsError(f"folder {path.parent} does not exist (create it first or choose another --profile)")
    return Profile()


def _store(args: argparse.Namespace, alignment: Any, doc: dict[str, Any]) -> None:
    """Into the profile (created if missing, its other settings kept) and/or printed."""
    from sensorkit.signal.profile import save_profile

    if args.profile:
        profile = _existing_profile(Path(args.profile))
        profile.calibration = doc
        save_profile(profile, args.profile)
    if args.json:
        print(json.dumps(doc))
    else:
        from .monitor import plain_warning

        for w in alignment.warnings:
            print(f"warning: {plain_warning(w)}")
        print("calibrated: the sensor now knows how you stand upright"
              + (" and which way you bend forward" if alignment.forward_known else ""))
        if getattr(args, "verbose", 0):  # the engineer's view: where upright and forward point on the sensor
            print(f"vertical (sensor axes): {[round(float(v), 3) for v in alignment.rotation[2]]}")
            print(f"forward  (sensor axes): {[round(float(v), 3) for v in alignment.rotation[0]]}")
        if args.profile:
            print(f"stored in {args.profile}; use: sensorkit monitor ... --profile {args.profile}, "
                  f"or sensorkit analyze RECORDING --profile {args.profile}")
