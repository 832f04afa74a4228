"""`sensorkit export RECORDING -o OUT.csv|OUT.parquet [--events]`: samples or events for pandas users.

Samples are written in the import format (UNIX-time seconds, g and deg/s by default), so an export
imports back to the same values.
"""

from __future__ import annotations

import argparse

from ..importer import events_frame, samples_frame, write_frame
from ..store import RecordingReader
from .import_csv import add_unit_options


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export samples or events to CSV or Parquet",
                       description=__doc__.splitlines()[0])
    p.add_argument("recording", help="recording to read (never modified)")
    p.add_argument("-o", "--output", required=True, help="OUT.csv or OUT.parquet")
    p.add_argument("--events", action="store_true", help="write the events instead of samples")
    add_unit_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with RecordingReader(args.recording) as reader:
        if args.events:
            frame = events_frame(reader.events())
        else:
            frame = samples_frame(reader.samples(), reader.meta, args.acc_unit, args.gyro_unit)
    write_frame(frame, args.output)
    print(f"wrote {len(frame)} {'events' if args.events else 'samples'} to {args.output}")
    return 0
