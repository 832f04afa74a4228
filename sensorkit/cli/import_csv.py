"""`sensorkit import FILE.csv -o RECORDING`: bring samples from other tools into a recording."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from ..errors import RecordingError, SensorKitError
from ..files import describe_failure, replacing
from ..importer import ACC_UNITS, GYRO_UNITS, ImportReport, check_rate, read_csv
from ..mounting import add_mounting_options, with_mounting
from ..store import RecordingReader, RecordingWriter, is_in_progress
from ..store.lock import in_progress_message


def add_unit_options(p: argparse.ArgumentParser) -> None:
    """The unit flags shared by import, export and analyze."""
    p.add_argument("--acc-unit", choices=list(ACC_UNITS), default="g",
                   help="unit of acc_x/y/z in the file (default: g)")
    p.add_argument("--gyro-unit", choices=list(GYRO_UNITS), default="deg/s",
                   help="unit of gyr_x/y/z in the file (default: deg/s)")


def rate_option(text: str) -> float:
    try:
        return check_rate(float(text))
    except (ValueError, SensorKitError) as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a sampling rate in Hz (0.5-2000)") from exc


def add_import_options(p: argparse.ArgumentParser) -> None:
    """Flags for reading a CSV, shared with `analyze` which imports on the fly."""
    add_unit_options(p)
    p.add_argument("--rate", type=rate_option, help="nominal sampling rate in Hz (default: from the times)")
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
    p.add_argument("--patient", metavar="ID", default="", help="patient id stored in the recording")
    add_import_options(p)
    add_mounting_options(p)
    p.set_defaults(func=run)


def report_problems(path: str, report: ImportReport) -> None:
    """Skipped rows and a guessed start on stderr: the import worked, but not all of it."""
    if report.bad_lines:
        print(f"sensorkit: warning: {path}: {report.describe()}", file=sys.stderr)
    if report.cut_short:
        print(f"sensorkit: warning: {path} ends in the middle of a line, so it is incomplete "
              "(an interrupted copy or export?); get the whole file if you can", file=sys.stderr)
    if report.start_from == "mtime":
        print(f"sensorkit: note: {path} has relative times; the start was taken from the file's "
              "modification time (pass --start to set it)", file=sys.stderr)


def check_replaceable(out: Path) -> None:
    """``import --force`` replaces only a recording, and never one a recorder is still writing."""
    if is_in_progress(out):
        raise RecordingError(in_progress_message(out))
    try:  # never replace a file that is not a recording (a typo in -o)
        RecordingReader(out).close()
    except RecordingError as exc:
        raise RecordingError(f"{exc}; it will not be replaced (move it away or choose another name)") from exc


def run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if args.force and out.is_file():
        check_replaceable(out)
    block, meta, report = read_csv(args.file, args.acc_unit, args.gyro_unit, args.rate, args.start)
    meta = with_mounting(meta, args).with_changes(patient_id=args.patient)
    # The old recording stays whole until the new one is complete and on disk: a bad file, a full
    # disk or a kill leaves it as it was, never an empty recording.
    try:
        with replacing(out, overwrite=args.force) as temp:
            with RecordingWriter(temp, meta, overwrite=True) as writer:
                writer.set_extra("import_report", report.to_json())
                writer.append(block)
            if args.force and is_in_progress(out):  # a recorder started on it meanwhile
                raise RecordingError(in_progress_message(out))
    except (OSError, sqlite3.Error) as exc:
        raise SensorKitError(describe_failure(exc, f"write the recording {out}")) from exc
    report_problems(args.file, report)
    print(f"imported {report.rows} samples at {meta.rate_hz:.4g} Hz into {out}")
    return 0
