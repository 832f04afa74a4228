"""`sensorkit demo [-o RECORDING]`: simulate the 10-minute demo scenario and show what it holds.

Needs no hardware. The recording goes to the user's data folder (``$XDG_DATA_HOME/sensorkit`` or
``~/.local/share/sensorkit``) unless ``-o`` says otherwise; each run replaces the previous demo.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..errors import RecordingError
from ..simulator import load_ground_truth, save_simulation, simulate
from ..store import RecordingReader
from .info import describe
from .simulate import truth_summary

DEMO_SEED = 1


def default_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sensorkit" / "demo.skr"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="simulate a 10-minute demo recording and describe it",
                       description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", metavar="RECORDING", help=f"where to write it (default {default_path()})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = Path(args.output) if args.output else default_path()
    if not args.output:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RecordingError(f"cannot create {path.parent} ({exc.strerror})") from exc
    save_simulation(simulate("demo", DEMO_SEED), path, overwrite=True)
    with RecordingReader(path) as reader:
        doc = describe(reader)
        truth = load_ground_truth(reader)
    print(f"demo recording {doc['path']}")
    print(f"  {doc['duration_s']:.0f} s, {doc['samples']} samples at {doc['rate_hz']:g} Hz from a "
          f"{doc['device']['kind']} ({'accelerometer + gyroscope' if doc['has_gyro'] else 'accelerometer only'}), "
          f"{len(doc['gaps'])} gaps")
    if truth is not None:
        print(f"  ground truth: {truth_summary(truth)}")
    print(f"next: sensorkit info {path}")
    return 0
