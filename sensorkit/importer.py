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

One bad row must never cost the rest of the file, so every row is checked on its own against what a
real sensor can produce, and bad rows are skipped and listed with their line numbers: unreadable or
missing values, rows of the wrong width, values beyond any wearable sensor's range (:data:`MAX_ACC_G`,
:data:`MAX_GYR_DEG_S`), impossible times (before 1970 as a date, after 2100, or more than
:data:`MAX_SPAN_S` from the file's median time) and times out of order (the longest run of rows in
increasing time is kept, so one wild time skips one row, not every row after it). A CSV file whose
last line has no line end was cut short (an interrupted copy, a full disk): that line is skipped and
the report says the file is incomplete. Irregular timing is kept as it is and gaps stay gaps.
"""

from __future__ import annotations

import csv
import gzip
import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import IO, Iterable

import numpy as np
import pandas as pd

from .errors import ImportFormatError, SensorKitError, SettingsError
from .events import Event
from .files import describe_os_error, replacing, require_regular_file
from .samples import STANDARD_GRAVITY, RecordingMeta, SampleBlock, parse_utc, start_datetime

ACC_UNITS = {"g": STANDARD_GRAVITY, "m/s2": 1.0}
GYRO_UNITS = {"deg/s": math.pi / 180.0, "rad/s": 1.0}
ACC_COLUMNS = ["acc_x", "acc_y", "acc_z"]
GYR_COLUMNS = ["gyr_x", "gyr_y", "gyr_z"]
RESOLUTION = 1e-6  # of the file's unit
UNIX_TIME_AFTER = 1e8  # seconds; smaller "time" values are relative to an unknown start
MAX_LISTED_LINES = 20
# Physical limits. Every supported wearable measures at most +-16 g and +-2000 deg/s; the widest
# accelerometers sold (ADXL375, H3LIS331DL: +-200/400 g) serve crash and impact tests, and the widest
# MEMS gyroscopes reach +-4000 deg/s. A value beyond these is a corrupt cell or a wrong unit flag
# (milli-g read as g), never a movement, and one such sample wrecks an analysis (a 3000 g spike
# turns 37 s of sitting into none), so the row is skipped and counted.
MAX_ACC_G = 200.0
MAX_GYR_DEG_S = 4000.0
LATEST_TIME_S = 4102444800.0  # 2100-01-01 UTC: no later time is real, and larger ones overflow int64 ns
MAX_SPAN_S = 31 * 86400.0  # one month either side of the median time: longer than any wearable records
EXTRA_FIELDS = "\0extra"  # column marking rows with more fields than the header
INCOMPLETE_LINE = "incomplete last line"


@dataclass
class ImportReport:
    """What happened to each line of the input, for the user to see."""

    rows: int = 0
    bad_lines: list[int] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    start_from: str = "file"  # where the start came from: "file" (UNIX time, timestamps), "--start", "mtime"

    def skip(self, line: int, reason: str) -> None:
        self.bad_lines.append(line)
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    @property
    def cut_short(self) -> bool:
        return INCOMPLETE_LINE in self.reasons

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

    def to_json(self) -> dict[str, object]:
        return {"rows": self.rows, "skipped_lines": self.bad_lines, "reasons": self.reasons,
                "cut_short": self.cut_short, "start_from": self.start_from}


def unit_scale(table: dict[str, float], unit: str, what: str) -> float:
    if unit not in table:
        raise SettingsError(f"unknown {what} unit {unit!r}; choose one of {', '.join(table)}")
    return table[unit]


def _open_text(path: Path) -> IO[str]:
    """Text with a UTF-8 byte-order mark dropped (spreadsheets write one before the header)."""
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rt", newline="", encoding="utf-8-sig")
    return path.open(newline="", encoding="utf-8-sig")


def _read_table(path: Path) -> pd.DataFrame:
    """All cells as strings, one row per line after the header (blank lines kept for numbering).

    Rows with more fields than the header get a value in :data:`EXTRA_FIELDS` (pandas would
    otherwise take an extra field on the first row as an index column and shift every column).
    """
    if path.suffix.lower() == ".parquet":
        try:
            return pd.read_parquet(path)
        except ImportError as exc:
            raise ImportFormatError("reading Parquet needs pyarrow: pip install pyarrow") from exc
        except Exception as exc:
            raise ImportFormatError(f"{path} is not a readable Parquet file ({exc})") from exc
    try:
        with _open_text(path) as f:
            header = next(csv.reader(f, skipinitialspace=True), None)
        if not header:
            raise ImportFormatError(f"{path} is empty")
        try:
            return pd.read_csv(path, dtype=str, header=None, skiprows=1, names=header + [EXTRA_FIELDS],
                               skip_blank_lines=False, skipinitialspace=True, index_col=False,
                               encoding="utf-8-sig")
        except pd.errors.ParserError:
            return _read_ragged_csv(path, header)
    except pd.errors.EmptyDataError:  # a header and nothing else
        return pd.DataFrame(columns=header + [EXTRA_FIELDS], dtype=str)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ImportFormatError(f"{path} is not a text CSV file") from exc
    except (EOFError, gzip.BadGzipFile, ValueError) as exc:
        raise ImportFormatError(f"{path} is not a readable CSV file ({exc})") from exc


def _read_ragged_csv(path: Path, header: list[str]) -> pd.DataFrame:
    """Slow path for rows with two or more extra fields: keep good rows, flag ragged ones."""
    with _open_text(path) as f:
        body = list(csv.reader(f, skipinitialspace=True))[1:]
    width = len(header)
    fixed = [row[:width] + [None] * (width - len(row)) + [None if len(row) <= width else "x"] for row in body]
    return pd.DataFrame(fixed, columns=header + [EXTRA_FIELDS], dtype=object).replace("", None)


def _ends_mid_line(path: Path) -> bool:
    """True when a CSV file's last byte is not a line end: whatever wrote it stopped mid-row."""
    if path.suffix.lower() in (".parquet", ".gz"):
        return False  # Parquet has a footer and gzip a trailer: a cut file does not read at all
    with path.open("rb") as f:
        f.seek(0, 2)
        if f.tell() == 0:
            return False
        f.seek(-1, 2)
        return f.read(1) not in (b"\n", b"\r")


def _numeric(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return frame[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)


def _raw_times(frame: pd.DataFrame, path: Path) -> tuple[np.ndarray, datetime | None, np.ndarray]:
    """Seconds relative to an anchor, the anchor's wall time (None for relative times), impossible rows.

    Timestamps become integer nanoseconds before any subtraction: float64 cannot hold epoch ns.
    """
    if "time" in frame.columns:
        secs = pd.to_numeric(frame["time"], errors="coerce").to_numpy(dtype=np.float64, copy=True)
        impossible = np.isfinite(secs) & (np.abs(secs) > LATEST_TIME_S)
        secs[impossible] = np.nan
        sane = secs[np.isfinite(secs)]
        if sane.size and float(np.median(sane)) > UNIX_TIME_AFTER:
            impossible |= np.isfinite(secs) & (secs < 0)
            secs[impossible] = np.nan
            return secs, datetime.fromtimestamp(0, timezone.utc), impossible
        return secs, None, impossible
    if "timestamp" in frame.columns:
        stamps = pd.to_datetime(frame["timestamp"], errors="coerce", utc=True, format="ISO8601")
        missing = stamps.isna().to_numpy()
        if missing.all():
            raise ImportFormatError(f"{path}: no row has a readable ISO 8601 timestamp")
        ns = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        impossible = ~missing & ((ns < 0) | (ns > int(LATEST_TIME_S * 1e9)))
        anchor = int(np.median(ns[~missing & ~impossible])) if (~missing & ~impossible).any() else 0
        secs = (ns - anchor) / 1e9
        secs[missing | impossible] = np.nan
        return secs, datetime.fromtimestamp(anchor / 1e9, timezone.utc), impossible
    raise ImportFormatError(f"{path} has no 'time' or 'timestamp' column")


def increasing_rows(t: np.ndarray) -> np.ndarray:
    """Indices of the longest strictly increasing run of ``t`` (not necessarily contiguous).

    Keeping the first row seen and dropping every later row that is not after it would let one wild
    time (1e9 in a file of seconds) drop every row after it; the longest increasing subsequence
    drops only the rows that disagree with the majority. Patience sorting, with each stretch of
    rows that extends the longest run so far appended in one step, so a mostly ordered file costs
    a few NumPy operations rather than a Python step per row. Of equal times the first row is kept.
    """
    n = t.size
    if n < 2 or bool(np.all(np.diff(t) > 0)):
        return np.arange(n)
    starts = np.flatnonzero(np.diff(t) <= 0) + 1  # where each contiguous increasing stretch begins
    ends = np.append(starts, n)
    tails = np.empty(n)  # tails[k]: smallest last time of an increasing run of length k + 1
    tail_index = np.empty(n, dtype=np.int64)
    length = 0
    parent = np.full(n, -1, dtype=np.int64)
    i = 0
    while i < n:
        value = t[i]
        if length == 0 or value > tails[length - 1]:  # extends the longest run: so does its whole stretch
            j = int(ends[np.searchsorted(ends, i, side="right")])
            parent[i] = tail_index[length - 1] if length else -1
            parent[i + 1:j] = np.arange(i, j - 1)
            tails[length:length + j - i] = t[i:j]
            tail_index[length:length + j - i] = np.arange(i, j)
            length += j - i
            i = j
            continue
        k = int(np.searchsorted(tails[:length], value, side="left"))
        if tails[k] != value:  # a repeated time is skipped: the first row with it is kept
            tails[k], tail_index[k] = value, i
            parent[i] = tail_index[k - 1] if k else -1
        i += 1
    # walk the parents back stretch by stretch (a row whose parent is the row before it continues one)
    chained = parent == np.arange(n) - 1
    chained[0] = False
    stretch_starts = np.flatnonzero(~chained)
    pieces, i = [], int(tail_index[length - 1])
    while i >= 0:
        first = int(stretch_starts[np.searchsorted(stretch_starts, i, side="right") - 1])
        pieces.append(np.arange(first, i + 1))
        i = int(parent[first])
    return np.concatenate(pieces[::-1])


def parse_start(text: str) -> datetime:
    """The ``--start`` option: an ISO 8601 date and time (naive = UTC)."""
    try:
        return parse_utc(text)
    except ValueError as exc:
        raise SettingsError(f"--start {text!r} is not an ISO 8601 date and time") from exc


def _beyond_range(values: np.ndarray | None, limit: float) -> np.ndarray:
    if values is None:
        return np.zeros(0, dtype=bool)
    return (np.abs(values) > limit).any(axis=1)


def _choose_rows(
    frame: pd.DataFrame, t: np.ndarray, impossible_t: np.ndarray, acc: np.ndarray, gyr: np.ndarray | None,
    acc_scale: float, gyr_scale: float, cut_short: bool, report: ImportReport,
) -> np.ndarray:
    """Indices of the rows to keep; every other non-blank row is reported once, with its first fault."""
    lines = np.arange(len(frame)) + 2  # header is line 1
    values = frame.drop(columns=[EXTRA_FIELDS], errors="ignore")
    blank = values.isna().all(axis=1).to_numpy()
    reason = np.full(len(frame), "", dtype=object)

    def mark(rows: np.ndarray, why: str) -> None:
        reason[rows & (reason == "") & ~blank] = why

    if cut_short and len(frame):
        last = np.zeros(len(frame), dtype=bool)
        last[np.flatnonzero(~blank)[-1:]] = True
        mark(last, INCOMPLETE_LINE)
    if EXTRA_FIELDS in frame.columns:
        mark(frame[EXTRA_FIELDS].notna().to_numpy(), "wrong number of fields")
    mark(impossible_t, "impossible time")
    unreadable = ~np.isfinite(acc).all(axis=1) | ~np.isfinite(t)  # impossible times are marked already
    if gyr is not None:
        unreadable |= ~np.isfinite(gyr).all(axis=1)
    mark(unreadable, "unreadable or missing values")
    mark(_beyond_range(acc * (acc_scale / STANDARD_GRAVITY), MAX_ACC_G), f"acceleration beyond {MAX_ACC_G:g} g")
    if gyr is not None:
        mark(_beyond_range(np.rad2deg(gyr * gyr_scale), MAX_GYR_DEG_S),
             f"angular rate beyond {MAX_GYR_DEG_S:g} deg/s")
    candidates = np.flatnonzero((reason == "") & ~blank)
    if candidates.size:
        centre = float(np.median(t[candidates]))
        far = np.zeros(len(frame), dtype=bool)
        far[candidates] = np.abs(t[candidates] - centre) > MAX_SPAN_S
        mark(far, "time more than a month from the rest of the file")
        candidates = np.flatnonzero((reason == "") & ~blank)
    keep = candidates[increasing_rows(t[candidates])]
    out_of_order = np.zeros(len(frame), dtype=bool)
    out_of_order[np.setdiff1d(candidates, keep)] = True
    mark(out_of_order, "time not after the previous row")
    for line, why in zip(lines[reason != ""], reason[reason != ""]):
        report.skip(int(line), str(why))
    return keep


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
    if rate_hz is not None:
        check_rate(rate_hz)
    origin = parse_start(start) if start is not None else None
    require_regular_file(path, "CSV or Parquet file")
    try:
        frame = _read_table(path)
        cut_short = _ends_mid_line(path)
    except OSError as exc:
        raise ImportFormatError(describe_os_error(exc, f"read {path}")) from exc
    frame.columns = [c if c == EXTRA_FIELDS else str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ACC_COLUMNS if c not in frame.columns]
    if missing:
        names = [c for c in frame.columns if c != EXTRA_FIELDS]
        hint = ("; the header is one column: separate the columns with commas"
                if len(names) == 1 and any(sep in names[0] for sep in ";\t ") else "")
        raise ImportFormatError(f"{path} lacks the column(s) {', '.join(missing)}{hint}")
    has_gyro = all(c in frame.columns for c in GYR_COLUMNS)
    t, anchor, impossible_t = _raw_times(frame, path)
    acc = _numeric(frame, ACC_COLUMNS)
    gyr = _numeric(frame, GYR_COLUMNS) if has_gyro else None

    report = ImportReport()
    keep = _choose_rows(frame, t, impossible_t, acc, gyr, acc_scale, gyr_scale, cut_short, report)
    if keep.size == 0:
        raise ImportFormatError(f"{path} has no usable rows ({report.describe()}){_unit_hint(report)}")
    report.rows = int(keep.size)

    first = float(t[keep[0]])
    if origin is not None:
        report.start_from = "--start"
    elif anchor is not None:
        origin = datetime.fromtimestamp(anchor.timestamp() + first, timezone.utc)
    else:
        origin = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        report.start_from = "mtime"
    t = t[keep] - first
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


def _unit_hint(report: ImportReport) -> str:
    beyond = [why for why in report.reasons if "beyond" in why]
    return "; is the unit right (--acc-unit, --gyro-unit)?" if beyond else ""


def check_rate(rate_hz: float) -> float:
    """``--rate``: samples per second, within what a recording can hold (below 10 Hz on purpose too)."""
    if not (math.isfinite(rate_hz) and 0.5 <= rate_hz <= 2000):
        raise SettingsError(f"--rate {rate_hz:g} is impossible; give the sampling rate in Hz, 0.5-2000")
    return rate_hz


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


def events_frame(events: Iterable[Event], meta: RecordingMeta | None = None, zone: tzinfo | None = None) -> pd.DataFrame:
    """One row per event; type-specific fields become columns (empty where they do not apply).

    With the recording's ``meta``, each row also names the patient and carries ``start_local`` and
    ``end_local``: the local clock times in ``zone`` (ISO 8601 with the offset), beside ``start`` and
    ``end`` in seconds from the recording's start."""
    rows = [event.to_json() for event in events]
    frame = pd.DataFrame(rows, columns=None if rows else ["type", "start", "end"])
    if meta is None:
        return frame
    origin = start_datetime(meta.start_time)
    local = lambda t: (origin + timedelta(seconds=float(t))).astimezone(zone).isoformat(timespec="milliseconds")  # noqa: E731
    frame.insert(0, "patient", meta.patient_id)
    frame.insert(4, "start_local", [local(t) for t in frame["start"]])
    frame.insert(5, "end_local", [local(t) for t in frame["end"]])
    return frame


def check_output_table(path: str | Path, *, overwrite: bool) -> str:
    """The format of an output file from its suffix, and whether it may be written, checked before
    any slow work (reading a day, analysing weeks) rather than after it."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise SettingsError(f"cannot tell the format of {target.name}: use a .csv or .parquet name")
    if not overwrite and (target.exists() or target.is_symlink()):
        raise SettingsError(f"{target} already exists (choose another name or pass --force)")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise SettingsError(f"folder {folder} does not exist (create it first or choose another path)")
    if not os.access(folder, os.W_OK):
        raise SettingsError(f"cannot write to {folder}: it is read-only or not yours; choose a writable folder")
    return suffix


def write_frame(frame: pd.DataFrame, path: str | Path, *, overwrite: bool = False) -> None:
    """CSV or Parquet by the file's suffix; six decimals in CSV keep imported values exact.

    Written whole under a temporary name and renamed (:func:`sensorkit.files.replacing`), so an
    interrupted export never leaves a half file that imports as if it were whole, and an existing
    file is replaced only with ``overwrite``.
    """
    suffix = check_output_table(path, overwrite=overwrite)
    try:
        with replacing(path, overwrite=overwrite) as temp:
            if suffix == ".parquet":
                frame.to_parquet(temp, index=False)
            else:
                frame.to_csv(temp, index=False, float_format="%.6f")
    except ImportError as exc:
        raise SettingsError("writing Parquet needs pyarrow: pip install pyarrow") from exc
    except OSError as exc:
        raise SensorKitError(describe_os_error(exc, f"write {path}")) from exc
