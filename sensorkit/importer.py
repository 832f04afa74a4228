"""CSV (and Parquet) files in and out of the project's sample type.

The interchange format, for pandas users and other tools:

    time, acc_x, acc_y, acc_z[, gyr_x, gyr_y, gyr_z]        time in seconds
    timestamp, acc_x, ...                                   timestamp in ISO 8601 (naive = UTC)

Units are not in the file; they are chosen by flags: acceleration ``g`` (default) or ``m/s2``, angular
rate ``deg/s`` (default) or ``rad/s``. A ``time`` that looks like UNIX time (after 1973) fixes the
recording's start; otherwise the start is ``--start`` or, failing that, the file's modification time.
Exports write UNIX-time seconds, so export -> import keeps the start.

Resolution: imported values are kept as integer counts of 1e-6 of the file's unit (1 micro-g,
1 micro-deg/s...), so any value written with up to six decimals round-trips exactly.

Bad rows (unparseable numbers, missing fields, times that go backwards or repeat) are skipped and
reported with their line numbers; irregular timing is kept as it is and gaps stay gaps.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from .errors import ImportFormatError, SettingsError
from .events import Event
from .samples import STANDARD_GRAVITY, RecordingMeta, SampleBlock, parse_utc, start_datetime

ACC_UNITS = {"g": STANDARD_GRAVITY, "m/s2": 1.0}
GYRO_UNITS = {"deg/s": math.pi / 180.0, "rad/s": 1.0}
ACC_COLUMNS = ["acc_x", "acc_y", "acc_z"]
GYR_COLUMNS = ["gyr_x", "gyr_y", "gyr_z"]
RESOLUTION = 1e-6  # of the file's unit
UNIX_TIME_AFTER = 1e8  # seconds; smaller "time" values are relative to an unknown start
MAX_LISTED_LINES = 20


@dataclass
class ImportReport:
    """What happened to each line of the input, for the user to see."""

    rows: int = 0
    bad_lines: list[int] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, line: int, reason: str) -> None:
        self.bad_lines.append(line)
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def describe(self) -> str:
        if not self.bad_lines:
            return f"{self.rows} rows read, none skipped"
        listed = ", ".join(map(str, self.bad_lines[:MAX_LISTED_LINES]))
        more = " ..." if len(self.bad_lines) > MAX_LISTED_LINES else ""
        why = "; ".join(f"{n} {reason}" for reason, n in sorted(self.reasons.items()))
        return (
            f"{self.rows} rows read, {len(self.bad_lines)} skipped ({why}); "
            f"skipped lines: {listed}{more}"
        )


def unit_scale(table: dict[str, float], unit: str, what: str) -> float:
    if unit not in table:
        raise SettingsError(f"unknown {what} unit {unit!r}; choose one of {', '.join(table)}")
    return table[unit]


def _read_table(path: Path) -> pd.DataFrame:
    """All cells as strings, one row per line after the header (blank lines kept for numbering)."""
    if path.suffix.lower() == ".parquet":
        try:
            return pd.read_parquet(path)
        except ImportError as exc:
            raise ImportFormatError("reading Parquet needs pyarrow: pip install pyarrow") from exc
        except Exception as exc:
            raise ImportFormatError(f"{path} is not a readable Parquet file ({exc})") from exc
    try:
        try:
            return pd.read_csv(path, dtype=str, skip_blank_lines=False, skipinitialspace=True)
        except pd.errors.ParserError:
            return _read_ragged_csv(path)
    except pd.errors.EmptyDataError as exc:
        raise ImportFormatError(f"{path} is empty") from exc
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path} is not a text CSV file") from exc


def _read_ragged_csv(path: Path) -> pd.DataFrame:
    """Slow path for files with rows of the wrong width: keep good rows, blank out ragged ones."""
    with path.open(newline="") as f:
        rows = list(csv.reader(f, skipinitialspace=True))
    header, body = rows[0], rows[1:]
    width = len(header)
    blank, ragged = [None] * width, [""] * width  # blank lines are ignored, ragged ones reported
    fixed = [row if len(row) == width else (blank if not row else ragged) for row in body]
    return pd.DataFrame(fixed, columns=header, dtype=object)


def _numeric(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return frame[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)


def _times(frame: pd.DataFrame, path: Path, start: str | None) -> tuple[np.ndarray, datetime]:
    """Seconds since the first valid row, and the wall time of that row."""
    if "time" in frame.columns:
        secs = pd.to_numeric(frame["time"], errors="coerce").to_numpy(dtype=np.float64)
        valid = secs[np.isfinite(secs)]
        first = float(valid[0]) if valid.size else 0.0
        if start is not None:
            origin = parse_start(start)
        elif first > UNIX_TIME_AFTER:
            origin = datetime.fromtimestamp(first, timezone.utc)
        else:
            origin = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        return secs - first, origin
    if "timestamp" in frame.columns:
        stamps = pd.to_datetime(frame["timestamp"], errors="coerce", utc=True, format="ISO8601")
        missing = stamps.isna().to_numpy()
        if missing.all():
            raise ImportFormatError(f"{path}: no row has a readable ISO 8601 timestamp")
        ns = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        first = int(ns[~missing][0])
        secs = (ns - first) / 1e9  # relative in integers first: float64 cannot hold epoch nanoseconds
        secs[missing] = np.nan
        return secs, datetime.fromtimestamp(first / 1e9, timezone.utc)
    raise ImportFormatError(f"{path} has no 'time' or 'timestamp' column")


def parse_start(text: str) -> datetime:
    """The ``--start`` option: an ISO 8601 date and time (naive = UTC)."""
    try:
        return parse_utc(text)
    except ValueError as exc:
        raise SettingsError(f"--start {text!r} is not an ISO 8601 date and time") from exc


def read_csv(
    path: str | Path,
    acc_unit: str = "g",
    gyro_unit: str = "deg/s",
    rate_hz: float | None = None,
    start: str | None = None,
) -> tuple[SampleBlock, RecordingMeta, ImportReport]:
    """Read a CSV file (or Parquet, by suffix) in the interchange format: samples, metadata, report."""
    path = Path(path)
    acc_scale = unit_scale(ACC_UNITS, acc_unit, "acceleration")
    gyr_scale = unit_scale(GYRO_UNITS, gyro_unit, "angular rate")
    if not path.is_file():
        raise ImportFormatError(f"no file at {path}")
    frame = _read_table(path)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ACC_COLUMNS if c not in frame.columns]
    if missing:
        raise ImportFormatError(f"{path} lacks the column(s) {', '.join(missing)}")
    has_gyro = all(c in frame.columns for c in GYR_COLUMNS)
    t, origin = _times(frame, path, start)
    acc = _numeric(frame, ACC_COLUMNS)
    gyr = _numeric(frame, GYR_COLUMNS) if has_gyro else None

    report = ImportReport()
    lines = np.arange(len(frame)) + 2  # header is line 1
    raw_blank = frame.isna().all(axis=1).to_numpy()
    ok = np.isfinite(t) & np.isfinite(acc).all(axis=1)
    if gyr is not None:
        ok &= np.isfinite(gyr).all(axis=1)
    for line in lines[~ok & ~raw_blank]:
        report.skip(int(line), "unreadable or missing values")
    keep = np.flatnonzero(ok)
    # Times must increase: drop repeats and rows that go back in time, keeping the first seen.
    order_ok = t[keep] > np.maximum.accumulate(np.concatenate([[-np.inf], t[keep][:-1]]))
    for line in lines[keep[~order_ok]]:
        report.skip(int(line), "time not after the previous row")
    keep = keep[order_ok]
    if keep.size == 0:
        raise ImportFormatError(f"{path} has no usable rows ({report.describe()})")
    report.rows = int(keep.size)
    report.bad_lines.sort()

    t = t[keep] - t[keep[0]]
    rate = rate_hz or estimate_rate(t)
    if not 10.0 <= rate <= 400.0 and rate_hz is None and keep.size > 1:
        raise ImportFormatError(
            f"{path}: estimated sampling rate {rate:.3g} Hz is outside 10-400 Hz; pass --rate if it is right"
        )
    block = SampleBlock(t, acc[keep] * acc_scale, None if gyr is None else gyr[keep] * gyr_scale)
    meta = RecordingMeta(
        rate_hz=float(rate),
        start_time=origin.isoformat().replace("+00:00", "Z"),
        device_kind="import",
        device_name=path.name,
        has_gyro=has_gyro,
        acc_lsb=RESOLUTION * acc_scale,
        gyr_lsb=RESOLUTION * gyr_scale,
        source=f"imported from {path.name} (acc in {acc_unit}, gyro in {gyro_unit})",
    )
    return block, meta, report


def estimate_rate(t: np.ndarray) -> float:
    """The nominal rate: the median spacing ignores gaps and jitter."""
    if t.size < 2:
        return 100.0
    spacing = float(np.median(np.diff(t)))
    return 1.0 / spacing


def samples_frame(
    block: SampleBlock, meta: RecordingMeta, acc_unit: str = "g", gyro_unit: str = "deg/s"
) -> pd.DataFrame:
    """Samples in the interchange format: UNIX-time seconds and values in the chosen units."""
    acc_scale = unit_scale(ACC_UNITS, acc_unit, "acceleration")
    gyr_scale = unit_scale(GYRO_UNITS, gyro_unit, "angular rate")
    start = start_datetime(meta.start_time).timestamp()
    columns = {"time": block.t + start}
    for i, name in enumerate(ACC_COLUMNS):
        columns[name] = block.acc[:, i] / acc_scale
    if block.gyr is not None:
        for i, name in enumerate(GYR_COLUMNS):
            columns[name] = block.gyr[:, i] / gyr_scale
    return pd.DataFrame(columns)


def events_frame(events: Iterable[Event]) -> pd.DataFrame:
    """One row per event; type-specific fields become columns (empty where they do not apply)."""
    rows = [event.to_json() for event in events]
    return pd.DataFrame(rows, columns=None if rows else ["type", "start", "end"])


def write_frame(frame: pd.DataFrame, path: str | Path) -> None:
    """CSV or Parquet by the file's suffix; six decimals in CSV keep imported values exact."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            frame.to_parquet(path, index=False)
        except ImportError as exc:
            raise SettingsError("writing Parquet needs pyarrow: pip install pyarrow") from exc
    elif suffix == ".csv":
        frame.to_csv(path, index=False, float_format="%.6f")
    else:
        raise SettingsError(f"cannot tell the format of {path.name}: use a .csv or .parquet name")
