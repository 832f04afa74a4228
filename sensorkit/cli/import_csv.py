"""`sensorkit import FILE.csv -o RECORDING`: bring samples from other tools into a recording."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import SensorKitError
from ..formats import FORMATS, TIME_UNITS
from ..importer import ACC_UNITS, GYRO_UNITS, ImportOptions, ImportReport, check_rate, open_samples
from ..mounting import add_mounting_options, with_mounting
from .saved import print_saved_analysis
from ..store import writing_new_recording


def add_unit_options(p: argparse.ArgumentParser, reading: bool = False) -> None:
    """The unit flags shared by import, export and analyze (reading: the file's header may say)."""
    default = "the format's; g for sensorkit CSV" if reading else "g"
    p.add_argument("--acc-unit", choices=list(ACC_UNITS), default=None if reading else "g",
                   help=f"unit of acceleration in the file (default: {default})")
    default = "the format's; deg/s for sensorkit CSV" if reading else "deg/s"
    p.add_argument("--gyro-unit", choices=list(GYRO_UNITS), default=None if reading else "deg/s",
                   help=f"unit of angular rate in the file (default: {default})")


def rate_option(text: str) -> float:
    try:
        return check_rate(float(text))
    except (ValueError, SensorKitError) as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a sampling rate in Hz (0.5-2000)") from exc


def column_map(text: str) -> dict[str, str]:
    """``--columns time=Zeit,acc_x=ax,...``: the file's column for each of ours."""
    pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
    if not pairs or any(len(pair) != 2 or not pair[0].strip() or not pair[1].strip() for pair in pairs):
        raise argparse.ArgumentTypeError(f"{text!r} is not a column map like time=Zeit,acc_x=ax,acc_y=ay,acc_z=az")
    return {ours.strip(): theirs.strip() for ours, theirs in pairs}


def add_import_options(p: argparse.ArgumentParser) -> None:
    """Flags for reading a file, shared with `analyze` which imports on the fly."""
    add_unit_options(p, reading=True)
    p.add_argument("--format", choices=FORMATS, help="the app that wrote the file (default: from its header)")
    p.add_argument("--columns", type=column_map, metavar="MAP",
                   help="any other table: time=COL,acc_x=COL,acc_y=COL,acc_z=COL[,gyr_x=COL,gyr_y=COL,gyr_z=COL]")
    p.add_argument("--sep", help="column separator (default: ,), e.g. ';' for European spreadsheets")
    p.add_argument("--decimal", choices=[".", ","], help="decimal mark of the numbers (default: .)")
    p.add_argument("--time-unit", choices=[*TIME_UNITS, "iso"],
                   help="unit of the time column (default: s; iso for date-time text)")
    p.add_argument("--epoch", choices=["unix", "relative"],
                   help="times count from 1970-01-01 UTC, or from the recording's start (default: from the values)")
    p.add_argument("--rate", type=rate_option, help="nominal sampling rate in Hz (default: from the times)")
    p.add_argument("--start", help="ISO 8601 start time when times are relative (default: the file's, "
                   "else its modification time, with a warning)")


def import_options(args: argparse.Namespace) -> ImportOptions:
    """The import flags as the importer takes them."""
    sep = {"\\t": "\t", "tab": "\t"}.get(args.sep, args.sep) if args.sep else None
    return ImportOptions(acc_unit=args.acc_unit, gyro_unit=args.gyro_unit, rate_hz=args.rate, start=args.start,
                         format=args.format, columns=args.columns, sep=sep, decimal=args.decimal,
                         time_unit=args.time_unit, epoch=args.epoch)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        description="The app or device that wrote FILE is recognised from its header (or --format); sensorkit's own "
        "CSV has columns time (s) or timestamp (ISO 8601), acc_x, acc_y, acc_z, optional gyr_x, gyr_y, gyr_z; "
        "--columns/--sep/--decimal/--time-unit describe any other table. Bad rows are skipped and listed "
        "by line number. A file with no times at all (some WitMotion logs) needs --rate and --start.",
    )
    p.add_argument("file", help="file to import (a Sensor Logger folder or .zip too)")
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
    for note in report.notes:
        print(f"sensorkit: note: {path}: {note}", file=sys.stderr)
    if report.start_from == "mtime":
        print(f"sensorkit: warning: {path} has relative times and no --start; its start was guessed "
              f"from the file's modification time, {report.start} (pass --start to set it)", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    progress = ProgressLine(Path(args.file).name) if sys.stderr.isatty() else None
    imported = open_samples(args.file, import_options(args), progress)
    meta = with_mounting(imported.meta, args).with_changes(patient_id=args.patient)
    try:
        with writing_new_recording(out, meta, overwrite=args.force) as writer:
            for block in imported.blocks:
                writer.append_block(block)
            writer.set_extra("import_report", imported.report.to_json())
    finally:
        if progress is not None:
            progress.done()
    report_problems(args.file, imported.report)
    print(f"imported {imported.report.rows} samples at {meta.rate_hz:.4g} Hz into {out}")
    print_saved_analysis(out, args)
    return 0


class ProgressLine:
    """``importing FILE: 42%`` on a terminal's stderr, rewritten in place at most once a percent."""

    def __init__(self, name: str):
        self.name = name
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        percent = int(100 * done / total) if total else 100
        if percent != self.shown:
            self.shown = percent
            print(f"\rimporting {self.name}: {percent}%", end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.shown >= 0:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
