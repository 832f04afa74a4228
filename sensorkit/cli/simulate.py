"""`sensorkit simulate`: write a simulated recording with its ground truth inside.

    sensorkit simulate --scenario NAME --seed N [--duration D] [--rate HZ] [--no-gyro] [--loss P]
                       [--misalignment DEG] [--start ISO] [--tz ZONE] [--patient ID] [--force] -o RECORDING

Same scenario, seed and options give the same recording. The ground truth (events, trunk flexion,
steps, mount) is stored in the recording (see ``sensorkit.simulator.load_ground_truth``). ``--start``
(local to ``--tz``, else to the computer's zone, unless it carries an offset), ``--tz`` and
``--patient`` say when and on whom, so the command line alone can build a patient's week of days.
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from .. import localtime
from ..samples import RecordingMeta, start_datetime
from ..simulator import SCENARIOS, GroundTruth, simulate_to_recording


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate", description=__doc__.splitlines()[0],
        epilog="scenarios: " + "; ".join(f"{k}: {v}" for k, v in SCENARIOS.items()),
    )
    p.add_argument("--scenario", required=True, metavar="NAME", help=f"one of {', '.join(SCENARIOS)}")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument("--duration", type=float, metavar="SECONDS",
                   help="length in seconds; scripted scenarios are compressed or stretched, days cut")
    p.add_argument("--rate", type=float, default=100.0, metavar="HZ", help="sampling rate, 10-400 Hz (default 100)")
    p.add_argument("--no-gyro", action="store_true", help="an accelerometer-only sensor")
    p.add_argument("--loss", type=float, default=0.0, metavar="P",
                   help="fraction of BLE packets lost, in bursts (0-0.5, default 0)")
    p.add_argument("--misalignment", type=float, default=20.0, metavar="DEG",
                   help="largest random mount misalignment in degrees (default 20)")
    p.add_argument("--start", metavar="ISO", help="start time, e.g. 2025-03-03T09:00 (local to --tz) "
                   "(default 2025-03-03T08:00Z)")
    p.add_argument("--tz", metavar="ZONE", help="IANA time zone the recording is made in, stored with it "
                   "(e.g. Australia/Sydney; default: none stored, the reader's zone applies)")
    p.add_argument("--patient", metavar="ID", default="", help="patient id stored in the recording")
    p.add_argument("--force", action="store_true", help="overwrite an existing recording")
    p.add_argument("-o", "--output", required=True, metavar="RECORDING", help="path of the recording to write")
    p.set_defaults(func=run)


def truth_summary(truth: GroundTruth) -> str:
    """One sentence on what the ground truth holds."""
    bends = truth.of_type("bend")
    styles = Counter(e.fields["style"] for e in bends)
    lifts = sum(bool(e.fields["lift"]) for e in bends)
    bouts = truth.of_type("walking_bout")
    steps = sum(int(e.fields["steps"]) for e in bouts)
    walked = sum(e.duration for e in bouts)
    slouches = truth.of_type("slouch")
    slouched = sum(e.duration for e in slouches)
    return (
        f"{len(bends)} bends ({styles['stoop']} stoop, {styles['squat']} squat, {lifts} lifts), "
        f"{len(bouts)} walking bouts ({steps} steps, {walked / 60:.1f} min), "
        f"{len(slouches)} slouches ({slouched / 60:.1f} min), "
        f"{len(truth.of_type('posture'))} posture periods and {len(truth.of_type('transition'))} transitions"
        + (f", off the body {len(off)} times ({sum(e.duration for e in off) / 60:.1f} min)"
           if (off := truth.of_type("not_worn")) else "")
    )


def describe_simulation(meta: RecordingMeta, truth: GroundTruth, samples: int, path: str) -> str:
    s = meta.extra["simulator"]
    angle = np.degrees(np.arccos(np.clip((np.trace(truth.misalignment) - 1) / 2, -1, 1)))
    missing = int(round(s["duration_s"] * s["rate_hz"])) - samples
    return (
        f"Wrote {s['duration_s']:g} s of the simulated '{s['scenario']}' scenario (seed {s['seed']}) to {path}"
        f"{_when_who(meta)}: "
        f"{samples} samples at {s['rate_hz']:g} Hz, accelerometer{' + gyroscope' if meta.has_gyro else ' only'}, "
        f"mount misaligned by {angle:.1f} deg, {missing} samples lost to packet loss. "
        f"Ground truth inside: {truth_summary(truth)}. "
        f"Inspect it with `sensorkit info {path}`."
    )


def _when_who(meta: RecordingMeta) -> str:
    """`` from 2025-03-03T09:00:00+11:00, patient P010`` (local to the stored zone, else the computer's)."""
    zone = localtime.zone_for(None, meta.timezone)
    who = f", patient {meta.patient_id}" if meta.patient_id else ""
    return f" from {localtime.clock(start_datetime(meta.start_time), zone)}{who}"


def run(args: argparse.Namespace) -> int:
    zone = localtime.zone_for(args.tz)
    start = localtime.parse_local(args.start, zone) if args.start else None
    meta, truth, samples = simulate_to_recording(
        args.output, args.scenario, args.seed, args.duration, args.rate, not args.no_gyro, args.loss,
        args.misalignment, start, args.patient, localtime.zone_name(zone) if args.tz else "", overwrite=args.force)
    print(describe_simulation(meta, truth, samples, args.output))
    return 0
