"""`sensorkit redecode REC [--export-vectors DIR]`: decode a raw capture again and compare with the stored samples.

REC must have been recorded with ``sensorkit record --raw``. The capture's notifications are decoded
by this version's device profile and put back together exactly as the collector did (same arrival
times, same reassembly, same store codec), then compared sample by sample with what the recording
holds: ``identical`` (exit 0) or where they first differ (exit 1), e.g. after a decoder fix.
``--export-vectors DIR`` also writes DIR/<kind>.json in the format of ``tests/vectors`` (the first
packets, the settings, and what this decoder makes of them), for a bug report or the test suite.
"""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("redecode", description=__doc__.splitlines()[0])
    p.add_argument("recording", metavar="REC", help="a recording made with record --raw")
    p.add_argument("--export-vectors", metavar="DIR", help="write DIR/<kind>.json, a device test vector")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..ble.redecode import export_vectors, redecode
    from ..files import require_regular_file

    require_regular_file(args.recording)
    result = redecode(args.recording)
    tape = result.tape
    print(f"{args.recording}: raw capture of {result.kind} {tape.header.get('name') or ''}: {tape.notifications} "
          f"notifications, {len(tape.gatt)} GATT steps" + (", truncated at its size bound" if tape.truncated else "")
          + ("" if tape.complete else ", cut where the recorder stopped without finishing (compared up to its "
             "last stored sample)"))
    print(f"  redecoded {len(result.redecoded)} samples ({len(result.gaps)} gaps, {result.corrupt} packets that "
          f"do not decode); stored {len(result.stored)} samples ({len(result.stored_gaps)} gaps)")
    if args.export_vectors:
        print(f"  vectors written to {export_vectors(result, args.export_vectors, args.recording)}")
    if result.identical:
        print("  identical: every stored sample, time and gap is what today's profiles make of the bytes")
        return 0
    for line in result.differences:
        print(f"  differs: {line}")
    return 1
