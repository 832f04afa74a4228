"""`sensorkit export RECORDING -o OUT.csv|OUT.parquet [--events [--tz ZONE]] [--force]`: samples or events for pandas users.

Samples are written in the import format (UNIX-time seconds, g and deg/s by default), so an export
imports back to the same values. Events carry the patient and their local clock times
(``start_local``, ``end_local``: ISO 8601 with the offset, in ``--tz``, else the recording's zone,
else the computer's) beside ``start`` and ``end`` in seconds from the recording's start. The file is
written whole under a temporary name and then renamed, so an interrupted export leaves no half file;
an existing OUT is replaced only with ``--force``.
"""

from __future__ import annotations

import argparse

from ..importer import check_output_table, events_frame, write_frame, write_samples
from ..localtime import zone_for
from ..store import RecordingReader
from .import_csv import add_unit_options


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", description=__doc__.splitlines()[0])
    p.add_argument("recording", help="recording to read (never modified)")
    p.add_argument("-o", "--output", required=True, help="OUT.csv or OUT.parquet")
    p.add_argument("--events", action="store_true", help="write the events instead of samples")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    p.add_argument("--tz", metavar="ZONE", help="events: local clock times in this IANA zone (default: the "
                   "recording's own, else the computer's)")
    add_unit_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_output_table(args.output, overwrite=args.force)
    with RecordingReader(args.recording) as reader:
        if args.events:
            frame = events_frame(reader.events(), reader.meta, zone_for(args.tz, reader.meta.timezone))
        else:
            count = write_samples(reader.iter_blocks(), reader.meta, args.output, acc_unit=args.acc_unit,
                                  gyro_unit=args.gyro_unit, overwrite=args.force)
    if args.events:
        write_frame(frame, args.output, overwrite=args.force)
        count = len(frame)
    print(f"wrote {count} {'events' if args.events else 'samples'} to {args.output}")
    return 0
