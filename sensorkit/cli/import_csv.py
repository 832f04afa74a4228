"""`sensorkit import FILE.csv -o RECORDING`: bring samples from other tools into a recording."""

from __future__ import annotations

import argparse
import sys

from ..importer import ACC_UNITS, GYRO_UNITS, read_csv
from ..mounting import add_mounting_options, with_mounting
from ..store import RecordingWriter


def add_unit_options(p: argparse.ArgumentParser) -> None:
    """The unit flags shared by import, export and analyze."""
    p.add_argument("--acc-unit", choices=list(ACC_UNITS), default="g",
                   help="unit of acc_x/y/z in the file (default: g)")
    p.add_argument("--gyro-unit", choices=list(GYRO_UNITS), default="deg/s",
                   help="unit of gyr_x/y/z in the file (default: deg/s)")


def add_import_options(p: argparse.ArgumentParser) -> None:
    """Flags for reading a CSV, shared with `analyze` which imports on the fly."""
    add_unit_options(p)
    p.add_argument("--rate", type=float, help="nominal sampling rate in Hz (default: from the times)")
    p.add_argument("--start", help="ISO 8601 start time when 'time' is relative (default: file time)")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import a CSV or Parquet file into a recording",
        description="Columns: time (s) or timestamp (ISO 8601), acc_x, acc_y, acc_z, "
        "optional gyr_x, gyr_y, gyr_z. Bad rows are skipped and listed by line number.",
    )
    p.add_argument("file", help="CSV (or .parquet) file to import")
    p.add_argument("-o", "--output", required=True, metavar="RECORDING", help="recording to create")
    p.add_argument("--force", action="store_true", help="replace RECORDING if it exists")
    add_import_options(p)
    add_mounting_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    block, meta, report = read_csv(args.file, args.acc_unit, args.gyro_unit, args.rate, args.start)
    meta = with_mounting(meta, args)
    with RecordingWriter(args.output, meta, overwrite=args.force) as writer:
        writer.set_extra("import_report", {"rows": report.rows, "skipped_lines": report.bad_lines})
        writer.append(block)
    if report.bad_lines:
        print(f"sensorkit: warning: {report.describe()}", file=sys.stderr)
    print(f"imported {report.rows} samples at {meta.rate_hz:.4g} Hz into {args.output}")
    return 0
