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

import itertools
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

import numpy as np

from .device_files import DeviceFile, device_chunks
from .errors import ImportFormatError, SensorKitError, SettingsError
from .events import Event
from .files import describe_os_error, replacing, require_regular_file
from .fixed_csv import format_rows
from .formats import EPOCHS, FORMATS, TIME_UNITS, Source, TableFormat, TimeColumn, sniff, unpack_zip
from .samples import STANDARD_GRAVITY, RecordingMeta, SampleBlock, parse_utc, start_datetime
from .store.recording import MERGE_SECONDS
from .table_reader import Chunk, Progress, TextLayout, parquet_chunks, parquet_header, read_header, text_chunks

if TYPE_CHECKING:  # pandas is imported where it is used: it costs a third of a second at start-up
    import pandas as pd

ACC_UNITS = {"g": STANDARD_GRAVITY, "mg": STANDARD_GRAVITY / 1000.0, "m/s2": 1.0}
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
INCOMPLETE_LINE = "incomplete last line"
OUT_OF_ORDER = "time not after the previous row"
FAULTS = (  # what is wrong with a row, in the order checked: a row is reported with the first that applies
    INCOMPLETE_LINE, "wrong number of fields", "impossible time", "unreadable or missing values",
    f"acceleration beyond {MAX_ACC_G:g} g", f"angular rate beyond {MAX_GYR_DEG_S:g} deg/s",
    "time more than a month from the rest of the file",
)
MAX_STORED_LINES = 10_000  # skipped line numbers kept in the report (all are counted)
WINDOW_ROWS = 10_000  # rows left undecided between chunks: the window that judges time order
RATE_ROWS = 1_000  # the nominal rate is estimated from the first rows kept
BLOCK_SECONDS = MERGE_SECONDS  # imported samples are stored in blocks as long as a recorder's
PAIR_TOLERANCE_S = 0.1  # farthest gyroscope sample (of a separate file) an accelerometer row is paired with
NO_GYRO = "no gyroscope sample within 0.1 s"
EXPORT_BATCH_ROWS = 60_000  # samples formatted to CSV at a time
SLOW_RATE_HZ = 10.0  # the gait detector's least rate (signal/gait/detector.py): the import says what a slower file loses


@dataclass
class ImportReport:
    """What happened to each line of the input, for the user to see."""

    rows: int = 0
    bad_lines: list[int] = field(default_factory=list)  # the first MAX_STORED_LINES, in order once finished
    reasons: dict[str, int] = field(default_factory=dict)
    start_from: str = "file"  # where the start came from: "file" (UNIX time, timestamps), "--start", "mtime"
    skipped: int = 0
    start: str = ""  # the recording's start, ISO 8601 UTC
    notes: list[str] = field(default_factory=list)  # what the user should know about the times or units
    cut_short_pending: bool = False  # the file's last line has no line end: its last row will be skipped

    def skip(self, line: int, reason: str) -> None:
        self.skipped += 1
        if len(self.bad_lines) < MAX_STORED_LINES:
            self.bad_lines.append(line)
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def finish(self) -> None:
        """Rows are judged a window at a time, so lines are reported out of order until the end."""
        self.bad_lines.sort()

    @property
    def cut_short(self) -> bool:
        return INCOMPLETE_LINE in self.reasons

    def describe(self) -> str:
        if not self.skipped:
            return f"{self.rows} rows read, none skipped"
        listed = ", ".join(map(str, self.bad_lines[:MAX_LISTED_LINES]))
        more = " ..." if len(self.bad_lines) > MAX_LISTED_LINES else ""
        why = "; ".join(f"{n} {reason}" for reason, n in sorted(self.reasons.items()))
        return (
            f"{self.rows} rows read, {self.skipped} skipped ({why}); "
            f"skipped lines: {listed}{more}"
        )

    def to_json(self) -> dict[str, object]:
        return {"rows": self.rows, "skipped": self.skipped, "skipped_lines": self.bad_lines, "reasons": self.reasons,
                "cut_short": self.cut_short, "start_from": self.start_from, "notes": self.notes}


def unit_scale(table: dict[str, float], unit: str, what: str) -> float:
    if unit not in table:
        raise SettingsError(f"unknown {what} unit {unit!r}; choose one of {', '.join(table)}")
    return table[unit]


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


@dataclass
class Rows:
    """Candidate rows in the project's units (m/s^2, rad/s), times in seconds from the clock's anchor.

    ``acc`` is None in a gyroscope file read apart (until it is paired with the accelerometer's rows).
    """

    lines: np.ndarray
    t: np.ndarray
    acc: np.ndarray | None
    gyr: np.ndarray | None

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def take(self, index: np.ndarray | slice) -> "Rows":
        return Rows(self.lines[index], self.t[index], None if self.acc is None else self.acc[index],
                    None if self.gyr is None else self.gyr[index])

    @staticmethod
    def concat(parts: list["Rows"]) -> "Rows":
        acc = None if parts[0].acc is None else np.concatenate([p.acc for p in parts])
        gyr = None if parts[0].gyr is None else np.concatenate([p.gyr for p in parts])
        return Rows(np.concatenate([p.lines for p in parts]), np.concatenate([p.t for p in parts]), acc, gyr)


class Clock:
    """How a file's times become seconds, decided from the first rows with a readable time.

    A number column with epoch "auto" whose first readable rows have a median after 1973 is UNIX
    time; otherwise it is relative to an unknown start. Date-time text is counted in seconds from
    the median of the first ones (integer nanoseconds until then: float64 cannot hold epoch ns).
    """

    def __init__(self, time: TimeColumn):
        self.time = time
        self.anchor: datetime | None = None  # wall time of t = 0; None while relative or undecided
        self.anchor_ns: int | None = None
        self.reference: float | None = None  # median time of the first rows: the month rule's centre

    def seconds(self, chunk: Chunk) -> tuple[np.ndarray, np.ndarray]:
        """Times in seconds (NaN where unreadable or impossible) and the impossible rows."""
        if self.time.rate_hz:
            secs = (chunk.lines - self.time.first_line) / self.time.rate_hz
            self.reference = 0.0
            return secs, np.zeros(len(chunk), dtype=bool)
        if self.time.text:
            return self._from_stamps(chunk.texts[self.time.name])
        secs = chunk.numbers[self.time.name] * self.time.unit_s + (EPOCHS[self.time.epoch] or 0.0)
        impossible = np.isfinite(secs) & (np.abs(secs) > LATEST_TIME_S)
        secs[impossible] = np.nan
        if self.reference is None and np.isfinite(secs).any():
            self.reference = float(np.nanmedian(secs))
            absolute = self.time.epoch == "auto" and self.reference > UNIX_TIME_AFTER
            if absolute or EPOCHS[self.time.epoch] is not None:
                self.anchor = datetime.fromtimestamp(0, timezone.utc)
        if self.anchor is not None:
            negative = np.isfinite(secs) & (secs < 0)
            impossible |= negative
            secs[negative] = np.nan
        return secs, impossible

    def _from_stamps(self, texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import pandas as pd

        series = pd.Series(texts, dtype=object)
        if self.time.whole_ms:
            series = series.str.replace(r"\.(\d{1,2})$", lambda m: "." + m.group(1).zfill(3), regex=True)
        stamps = pd.to_datetime(series, errors="coerce", utc=True, format="ISO8601")
        missing = stamps.isna().to_numpy()
        ns = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        impossible = ~missing & ((ns < 0) | (ns > int(LATEST_TIME_S * 1e9)))
        good = ~missing & ~impossible
        if self.anchor_ns is None and good.any():
            self.anchor_ns = int(np.median(ns[good]))
            self.anchor = datetime.fromtimestamp(self.anchor_ns / 1e9, timezone.utc)
            self.reference = 0.0
        secs = (ns - (self.anchor_ns or 0)) / 1e9
        secs[~good] = np.nan
        return secs, impossible


class RowChooser:
    """The rows to keep, decided a chunk at a time with the checks of the module docstring.

    Rows out of time order are judged within a window: the longest increasing run is taken over the
    rows still undecided plus the new chunk, and the last :data:`WINDOW_ROWS` stay undecided until
    the next chunk, so one wild time costs one row without the whole file in memory.
    """

    def __init__(self, report: ImportReport):
        self.report = report
        self.last_t = -np.inf
        self.undecided: Rows | None = None

    def feed(self, rows: Rows, chunk: Chunk, impossible_t: np.ndarray, reference: float | None,
             last: bool) -> Rows:
        """The newly decided rows to keep, in time order; faulty rows go to the report."""
        fault = np.zeros(len(rows), dtype=np.uint8)  # 0: fine, else 1 + index in FAULTS, the first found
        for code, bad in enumerate(self._faults(rows, chunk, impossible_t, reference, last), start=1):
            fault[bad & (fault == 0)] = code
        fault[chunk.blank] = 0
        faulty = np.flatnonzero(fault)
        for line, code in zip(rows.lines[faulty].tolist(), fault[faulty].tolist()):
            self.report.skip(line, FAULTS[code - 1])
        good = (fault == 0) & ~chunk.blank
        return self._in_order(rows if good.all() else rows.take(np.flatnonzero(good)), last)

    def _faults(self, rows: Rows, chunk: Chunk, impossible_t: np.ndarray, reference: float | None,
                last: bool) -> Iterator[np.ndarray]:
        """One mask per entry of :data:`FAULTS`, in its order."""
        final = np.zeros(len(rows), dtype=bool)
        if last and self.report.cut_short_pending:
            final[np.flatnonzero(~chunk.blank)[-1:]] = True
        yield final
        yield chunk.extra
        yield impossible_t
        nowhere = np.zeros(len(rows), dtype=bool)
        unreadable = ~np.isfinite(rows.t)
        for values in (rows.acc, rows.gyr):
            if values is not None:
                unreadable |= ~np.isfinite(values).all(axis=1)
        yield unreadable
        with np.errstate(invalid="ignore"):
            yield nowhere if rows.acc is None else (np.abs(rows.acc) > MAX_ACC_G * STANDARD_GRAVITY).any(axis=1)
            yield nowhere if rows.gyr is None else (np.abs(rows.gyr) > np.deg2rad(MAX_GYR_DEG_S)).any(axis=1)
            yield nowhere if reference is None else np.abs(rows.t - reference) > MAX_SPAN_S

    def _in_order(self, candidates: Rows, last: bool) -> Rows:
        window = candidates if self.undecided is None else Rows.concat([self.undecided, candidates])
        if len(window) and window.t[0] > self.last_t and bool(np.all(np.diff(window.t) > 0)):
            return self._commit(window, np.arange(len(window)), last)  # the usual case: all in order
        late = window.t <= self.last_t
        for line in window.lines[late].tolist():
            self.report.skip(line, OUT_OF_ORDER)
        window = window.take(np.flatnonzero(~late))
        return self._commit(window, increasing_rows(window.t), last)

    def _commit(self, window: Rows, keep: np.ndarray, last: bool) -> Rows:
        """Keep the decided part of ``keep``; the last WINDOW_ROWS rows wait for the next chunk."""
        decided = len(window) if last else max(0, len(window) - WINDOW_ROWS)
        keep = keep[keep < decided]
        dropped = np.ones(decided, dtype=bool)
        dropped[keep] = False
        for line in window.lines[:decided][dropped].tolist():
            self.report.skip(line, OUT_OF_ORDER)
        self.undecided = window.take(slice(decided, None))
        kept = window.take(slice(0, decided)) if keep.size == decided else window.take(keep)
        if len(kept):
            self.last_t = float(kept.t[-1])
        return kept


@dataclass
class ImportedSamples:
    """An import under way: the recording's metadata, known after the first rows, and its samples.

    ``blocks`` yields the samples in :data:`BLOCK_SECONDS` blocks in the project's units; ``report``
    is complete once ``blocks`` is exhausted.
    """

    meta: RecordingMeta
    report: ImportReport
    blocks: Iterator[SampleBlock]


@dataclass(frozen=True)
class ImportOptions:
    """What the user said about the file (None: from the file, or the interchange format's default)."""

    acc_unit: str | None = None
    gyro_unit: str | None = None
    rate_hz: float | None = None
    start: str | None = None
    format: str | None = None
    columns: dict[str, str] | None = None  # time, acc_x.. gyr_z -> the file's column names
    sep: str | None = None
    decimal: str | None = None
    time_unit: str | None = None  # s, ms, us, ns, or iso (date-time text)
    epoch: str | None = None  # unix or relative (default: decided from the values)


def _last_flagged(chunks: Iterator[Chunk]) -> Iterator[tuple[Chunk, bool]]:
    previous = next(chunks, None)
    for chunk in chunks:
        yield previous, False
        previous = chunk
    if previous is not None:
        yield previous, True


def _layout(options: ImportOptions) -> TextLayout:
    if options.sep is not None and len(options.sep) != 1:
        raise SettingsError(f"--sep {options.sep!r}: give one character, such as ';' or '\\t' for a tab")
    return TextLayout(sep=options.sep or ",", decimal=options.decimal or ".")


def _time_column(name: str, options: ImportOptions, text: bool) -> TimeColumn:
    unit = options.time_unit
    if unit is not None and unit != "iso" and unit not in TIME_UNITS:
        raise SettingsError(f"--time-unit {unit!r}: choose one of {', '.join(TIME_UNITS)}, iso")
    if options.epoch is not None and options.epoch not in ("unix", "relative"):
        raise SettingsError(f"--epoch {options.epoch!r}: choose unix or relative")
    return TimeColumn(name, text=unit == "iso" or (unit is None and text),
                      unit_s=TIME_UNITS.get(unit or "s", 1.0), epoch=options.epoch or "auto")


def _columns_hint(path: Path, header: list[str], missing: list[str]) -> str:
    shown = ", ".join(repr(h) for h in header[:20]) + (" ..." if len(header) > 20 else "")
    one_column = len(header) == 1 and any(sep in header[0] for sep in ";\t")
    if one_column:
        sep = ";" if ";" in header[0] else "\\t"
        return (f"{path}: the header is one column ({header[0][:80]!r}): pass --sep '{sep}' "
                "(and --decimal , if numbers have decimal commas)")
    return (f"{path} lacks the column(s) {', '.join(missing)}; its columns are {shown}. Name yours with "
            "--columns time=COL,acc_x=COL,acc_y=COL,acc_z=COL[,gyr_x=COL,...] (and --acc-unit, --time-unit), "
            f"or pass --format, one of {', '.join(FORMATS)}")


def _table_format(path: Path, header: list[str], options: ImportOptions) -> TableFormat:
    """The interchange format, or the user's column map over any table."""
    columns = options.columns or {}
    unknown = set(columns) - {"time", "timestamp", *ACC_COLUMNS, *GYR_COLUMNS}
    if unknown:
        raise SettingsError(f"--columns: unknown name(s) {', '.join(sorted(unknown))}; use time, acc_x, acc_y, "
                            "acc_z, gyr_x, gyr_y, gyr_z")
    lowered = {name.lower(): name for name in header}
    absent = [f"{key}={col}" for key, col in columns.items() if col not in header]
    if absent:
        shown = ", ".join(repr(h) for h in header[:20])
        raise SettingsError(f"--columns {', '.join(absent)}: not in {path.name}, whose columns are {shown}")

    def find(key: str) -> str | None:
        return columns.get(key) or lowered.get(key)

    missing = [c for c in ACC_COLUMNS if find(c) is None]
    if missing:
        raise ImportFormatError(_columns_hint(path, header, missing))
    time_name = columns.get("time") or columns.get("timestamp") or lowered.get("time")
    text = time_name is None or "timestamp" in columns
    time_name = time_name or lowered.get("timestamp")
    if time_name is None:
        raise ImportFormatError(f"{path} has no 'time' or 'timestamp' column; name its time column with "
                                "--columns time=COL (and --time-unit)")
    gyr = tuple(find(c) for c in GYR_COLUMNS)
    return TableFormat(
        "columns" if columns else "sensorkit", _time_column(time_name, options, text),
        tuple(find(c) for c in ACC_COLUMNS),  # type: ignore[arg-type]
        gyr if all(gyr) else None,  # type: ignore[arg-type]
        acc_unit=options.acc_unit or "g", gyro_unit=options.gyro_unit or "deg/s", layout=_layout(options))


def _source(path: Path, options: ImportOptions) -> Source:
    """Which app wrote ``path`` (by name or by its header), and where its samples are."""
    custom = options.columns or options.sep or options.decimal or options.time_unit or options.epoch
    if options.format not in (None, *FORMATS):
        raise SettingsError(f"--format {options.format!r}: choose one of {', '.join(FORMATS)}")
    if not custom:
        source = sniff(path, options.format)
        if source is not None:
            return _with_units(source, options)
    parquet = path.suffix.lower() == ".parquet"
    header = parquet_header(path) if parquet else read_header(path, _layout(options))
    fmt = _table_format(path, header, options)
    return Source(fmt.name, path, fmt)


def _timed(source: Source, options: ImportOptions) -> Source:
    """A file with no times at all is read at ``--rate``; without it, the error says what to pass."""
    time = source.acc.time
    if time.name or time.rate_hz:
        return source
    if options.rate_hz is None:
        raise ImportFormatError(f"{source.acc_path} has no sample times ({source.untimed}): pass --rate HZ (the rate "
                                "it was set to record at) and --start (when it started, ISO 8601)")
    return replace(source, acc=replace(source.acc, time=replace(time, rate_hz=options.rate_hz)))


def _with_units(source: Source, options: ImportOptions) -> Source:
    """The unit flags, where given, override what a format's header says."""
    acc = replace(source.acc, acc_unit=options.acc_unit or source.acc.acc_unit,
                  gyro_unit=options.gyro_unit or source.acc.gyro_unit)
    gyr = source.gyr and replace(source.gyr, gyro_unit=options.gyro_unit or source.gyr.gyro_unit)
    return replace(source, acc=acc, gyr=gyr)


def _file_rows(path: Path, fmt: TableFormat, report: ImportReport, progress: Progress | None,
               ) -> tuple[Clock, Iterator[Rows]]:
    """The clock and the rows passing every check (in the project's units) of one table."""
    unit_scale(ACC_UNITS, fmt.acc_unit, "acceleration")
    unit_scale(GYRO_UNITS, fmt.gyro_unit, "angular rate")
    value_columns = [*(fmt.acc or ()), *(fmt.gyr or ())]
    numbers = value_columns + ([] if fmt.time.text or not fmt.time.name else [fmt.time.name])
    texts = [fmt.time.name] if fmt.time.text else []
    if path.suffix.lower() == ".parquet":
        chunks = parquet_chunks(path, numbers, texts, progress)
    elif fmt.device is not None:
        chunks = _noting_warnings(device_chunks(fmt.device), fmt.device, report)
    else:
        report.cut_short_pending = fmt.last_line_end and _ends_mid_line(path)
        header = list(fmt.names) if fmt.names else read_header(path, fmt.layout)
        chunks = text_chunks(path, header, numbers, texts, fmt.layout, progress)
    clock = Clock(fmt.time)
    chooser = RowChooser(report)
    acc_scale = ACC_UNITS[fmt.acc_unit] * fmt.acc_sign
    gyr_scale = GYRO_UNITS[fmt.gyro_unit]

    def rows() -> Iterator[Rows]:
        for chunk, last in _last_flagged(chunks):
            t, impossible = clock.seconds(chunk)
            acc = np.column_stack([chunk.numbers[c] for c in fmt.acc]) * acc_scale if fmt.acc else None
            gyr = np.column_stack([chunk.numbers[c] for c in fmt.gyr]) * gyr_scale if fmt.gyr else None
            kept = chooser.feed(Rows(chunk.lines, t, acc, gyr), chunk, impossible, clock.reference, last)
            if len(kept):
                yield kept

    return clock, rows()


def _noting_warnings(chunks: Iterator[Chunk], device: DeviceFile, report: ImportReport) -> Iterator[Chunk]:
    """A device file's chunks; what its reader skipped is noted once they are read."""
    yield from chunks
    if device.warnings:
        report.notes.append(f"{len(device.warnings)} damaged part(s) of the file were skipped ({device.warnings[0]})")


def _paired(acc_rows: Iterator[Rows], gyr_rows: Iterator[Rows], report: ImportReport) -> Iterator[Rows]:
    """The accelerometer's rows with the angular rate of a separate gyroscope file, interpolated to
    the accelerometer's times (the two sensors of one device sample at slightly different moments).
    The two files of every supported app count time from the same epoch, so their times compare as they are.

    A row with no gyroscope sample within :data:`PAIR_TOLERANCE_S` (before the gyroscope starts,
    after it stops, in a gap) is skipped. Both files are read a chunk at a time, side by side.
    """
    t_g = np.empty(0)
    g = np.empty((0, 3))
    more = True
    for part in acc_rows:
        while more and (t_g.size == 0 or t_g[-1] < part.t[-1] + PAIR_TOLERANCE_S):
            extra = next(gyr_rows, None)
            if extra is None:
                more = False
            else:
                t_g = np.concatenate([t_g, extra.t])
                g = np.concatenate([g, extra.gyr])
        if t_g.size == 0:
            near = np.zeros(len(part), dtype=bool)
        else:
            after = np.clip(np.searchsorted(t_g, part.t), 1, max(1, t_g.size - 1))
            before = after - 1
            gap = np.minimum(np.abs(part.t - t_g[before]), np.abs(t_g[np.minimum(after, t_g.size - 1)] - part.t))
            near = gap <= PAIR_TOLERANCE_S
        for line in part.lines[~near].tolist():
            report.skip(line, NO_GYRO)
        part = part.take(np.flatnonzero(near))
        if len(part):
            rate = np.column_stack([np.interp(part.t, t_g, g[:, i]) for i in range(3)])
            yield Rows(part.lines, part.t, part.acc, rate)
        keep_from = max(0, int(np.searchsorted(t_g, part.t[-1] - PAIR_TOLERANCE_S)) - 1) if len(part) else 0
        t_g, g = t_g[keep_from:], g[keep_from:]


def _gyro_notes(gyro_report: ImportReport, report: ImportReport) -> None:
    for reason, count in gyro_report.reasons.items():
        report.reasons[f"{reason} (gyroscope file; not listed)"] = count


def open_samples(path: str | Path, options: ImportOptions = ImportOptions(),
                 progress: Progress | None = None) -> ImportedSamples:
    """Start reading a file a chunk at a time: any supported export (sniffed from the header or
    named), the interchange CSV/Parquet, or a table described by the options."""
    path = Path(path)
    if options.rate_hz is not None:
        check_rate(options.rate_hz)
    origin = parse_start(options.start) if options.start is not None else None
    if not path.is_dir():
        require_regular_file(path, "CSV or Parquet file")
    report = ImportReport()
    gyro_report = ImportReport()
    unpacked = Path(tempfile.mkdtemp(prefix="sensorkit-import-")) if path.suffix.lower() == ".zip" else None
    try:
        source = _timed(_source(unpack_zip(path, unpacked) if unpacked else path, options), options)
        clock, rows = _file_rows(source.acc_path, source.acc, report, progress)
        if source.gyr is not None and source.gyr_path is not None:
            _, gyro_rows = _file_rows(source.gyr_path, source.gyr, gyro_report, None)
            rows = _paired(rows, gyro_rows, report)
        first = _first_rows(rows)
    except OSError as exc:
        _remove(unpacked)
        raise ImportFormatError(describe_os_error(exc, f"read {path}")) from exc
    except BaseException:
        _remove(unpacked)
        raise
    _gyro_notes(gyro_report, report)
    if first is None:
        _remove(unpacked)
        report.finish()
        raise ImportFormatError(f"{path} has no usable rows ({report.describe()}){_unit_hint(report)}")
    t0 = float(first.t[0])
    if origin is not None:
        report.start_from = "--start"
    elif clock.anchor is not None:
        origin = clock.anchor + timedelta(seconds=t0)
    elif source.start_unix is not None:
        origin = datetime.fromtimestamp(source.start_unix + t0, timezone.utc)
    else:
        origin = datetime.fromtimestamp(source.acc_path.stat().st_mtime, timezone.utc)
        report.start_from = "mtime"
    if source.acc.local_clock and report.start_from != "--start":
        report.notes.append(f"times in this {source.format_name} file are a local clock with no zone; they were "
                            "read as UTC (pass --start with the true start and its offset, e.g. 2022-04-25T11:39:36+02:00)")
    rate = options.rate_hz or (source.acc.device and source.acc.device.rate_hz) or estimate_rate(first.t)
    guessed_time_unit = source.format_name in ("sensorkit", "columns")  # an app's export says its unit
    if not 10.0 <= rate <= 400.0 and options.rate_hz is None and len(first) > 1 and guessed_time_unit:
        _remove(unpacked)
        raise ImportFormatError(
            f"{path}: estimated sampling rate {rate:.3g} Hz is outside 10-400 Hz; pass --rate if it is right"
        )
    if rate < SLOW_RATE_HZ:
        report.notes.append(_slow_rate_note(rate, source, options))
    acc_unit = source.acc.acc_unit
    gyro_unit = (source.gyr or source.acc).gyro_unit
    report.start = origin.isoformat().replace("+00:00", "Z")
    files = source.acc_path.name + (f" and {source.gyr_path.name}" if source.gyr_path else "")
    meta = RecordingMeta(
        rate_hz=float(rate),
        start_time=report.start,
        device_kind="import",
        device_name=source.acc_path.name,
        has_gyro=source.has_gyro,
        acc_lsb=RESOLUTION * ACC_UNITS["g" if acc_unit == "mg" else acc_unit],
        gyr_lsb=RESOLUTION * GYRO_UNITS[gyro_unit],
        source=f"imported from {files} ({source.format_name}; acc in {acc_unit}, gyro in {gyro_unit})",
    )

    def blocks() -> Iterator[SampleBlock]:
        try:
            for part in _in_blocks(itertools.chain([first], rows), t0):
                report.rows += len(part)
                yield SampleBlock(part.t, part.acc, part.gyr)
        except OSError as exc:
            raise ImportFormatError(describe_os_error(exc, f"read {path}")) from exc
        finally:
            _remove(unpacked)
        _gyro_notes(gyro_report, report)
        report.finish()

    return ImportedSamples(meta, report, blocks())



def _slow_rate_note(rate: float, source: Source, options: ImportOptions) -> str:
    """Why a known format's slow rate is kept (its times are its own clock's, not a guessed unit's), and
    what it costs: no walking bouts below the gait detector's rate, no analysis at all below posture's."""
    from .signal.pipeline import MIN_ANALYSIS_RATE_HZ  # the signal core: only for slow files

    by = "--rate" if options.rate_hz else f"the {source.format_name} file's own clock"
    if rate < MIN_ANALYSIS_RATE_HZ:
        return (f"its samples are {rate:.3g} Hz apart by {by}; sensorkit analyze needs at least "
                f"{MIN_ANALYSIS_RATE_HZ:g} Hz, so this recording can be viewed and exported but not analyzed")
    return (f"its samples are {rate:.3g} Hz apart by {by}; sensorkit analyze gives posture, bending and alerts "
            f"from it, but no walking bouts (step detection needs {SLOW_RATE_HZ:g} Hz)")


def _remove(folder: Path | None) -> None:
    """The folder a zip was unpacked into, once its files are read."""
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _first_rows(rows: Iterator[Rows]) -> Rows | None:
    """Enough kept rows to estimate the rate (all of them in a short file)."""
    parts: list[Rows] = []
    while sum(map(len, parts)) < RATE_ROWS:
        part = next(rows, None)
        if part is None:
            break
        parts.append(part)
    return Rows.concat(parts) if parts else None


def _in_blocks(rows: Iterable[Rows], t0: float) -> Iterator[Rows]:
    """Kept rows regrouped into blocks of :data:`BLOCK_SECONDS` (times from the first row), as the
    recorder stores them, so a window of an imported day loads as fast as one of a recorded day."""
    waiting: list[Rows] = []
    for part in rows:
        part = Rows(part.lines, part.t - t0, part.acc, part.gyr)
        waiting.append(part)
        if part.t[-1] - waiting[0].t[0] < BLOCK_SECONDS:
            continue
        joined = Rows.concat(waiting)
        cuts = np.arange(joined.t[0] + BLOCK_SECONDS, joined.t[-1], BLOCK_SECONDS)
        edges = [0, *np.searchsorted(joined.t, cuts).tolist()]
        for a, b in zip(edges[:-1], edges[1:]):
            if b > a:
                yield joined.take(slice(a, b))
        waiting = [joined.take(slice(edges[-1], None))]
    if waiting:
        joined = Rows.concat(waiting)
        if len(joined):
            yield joined


def read_csv(
    path: str | Path,
    acc_unit: str | None = None,
    gyro_unit: str | None = None,
    rate_hz: float | None = None,
    start: str | None = None,
    **options: object,
) -> tuple[SampleBlock, RecordingMeta, ImportReport]:
    """Read a whole file (any format :func:`open_samples` reads) into memory: samples, metadata, report."""
    settings = ImportOptions(acc_unit=acc_unit, gyro_unit=gyro_unit, rate_hz=rate_hz, start=start, **options)
    return read_all(path, settings)


def read_all(path: str | Path, options: ImportOptions) -> tuple[SampleBlock, RecordingMeta, ImportReport]:
    """A whole file in memory (``analyze`` on a file): samples, metadata, report."""
    imported = open_samples(path, options)
    block = SampleBlock.concat(list(imported.blocks))
    return block, imported.meta, imported.report


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


def _export_columns(block: SampleBlock, start: float, acc_scale: float, gyr_scale: float) -> dict[str, np.ndarray]:
    columns = {"time": block.t + start}
    for i, name in enumerate(ACC_COLUMNS):
        columns[name] = block.acc[:, i] / acc_scale
    if block.gyr is not None:
        for i, name in enumerate(GYR_COLUMNS):
            columns[name] = block.gyr[:, i] / gyr_scale
    return columns


def _batches(blocks: Iterable[SampleBlock], rows: int = EXPORT_BATCH_ROWS) -> Iterator[SampleBlock]:
    """Blocks joined into batches of at least ``rows`` samples: fewer, larger NumPy steps."""
    waiting: list[SampleBlock] = []
    size = 0
    for block in blocks:
        waiting.append(block)
        size += len(block)
        if size >= rows:
            yield SampleBlock.concat(waiting)
            waiting, size = [], 0
    if waiting:
        yield SampleBlock.concat(waiting)


def samples_frame(
    block: SampleBlock, meta: RecordingMeta, acc_unit: str = "g", gyro_unit: str = "deg/s"
) -> pd.DataFrame:
    """Samples in the interchange format: UNIX-time seconds and values in the chosen units."""
    import pandas as pd

    acc_scale = unit_scale(ACC_UNITS, acc_unit, "acceleration")
    gyr_scale = unit_scale(GYRO_UNITS, gyro_unit, "angular rate")
    return pd.DataFrame(_export_columns(block, start_datetime(meta.start_time).timestamp(), acc_scale, gyr_scale))


def write_samples(
    blocks: Iterable[SampleBlock], meta: RecordingMeta, path: str | Path, *,
    acc_unit: str = "g", gyro_unit: str = "deg/s", overwrite: bool = False,
) -> int:
    """Samples in the interchange format, block by block (memory bounded by one block), to CSV
    (six decimals, so imported values come back exact) or Parquet; the number of samples written.

    Written under a temporary name and renamed (:func:`sensorkit.files.replacing`), so an
    interrupted export never leaves a half file that imports as if it were whole.
    """
    suffix = check_output_table(path, overwrite=overwrite)
    acc_scale = unit_scale(ACC_UNITS, acc_unit, "acceleration")
    gyr_scale = unit_scale(GYRO_UNITS, gyro_unit, "angular rate")
    start = start_datetime(meta.start_time).timestamp()
    names = ["time", *ACC_COLUMNS, *(GYR_COLUMNS if meta.has_gyro else [])]
    count = 0
    try:
        with replacing(path, overwrite=overwrite) as temp:
            if suffix == ".parquet":
                import pyarrow as pa
                import pyarrow.parquet as pq

                schema = pa.schema([(name, pa.float64()) for name in names])
                with pq.ParquetWriter(temp, schema) as writer:
                    for block in blocks:
                        writer.write_table(pa.table(_export_columns(block, start, acc_scale, gyr_scale), schema=schema))
                        count += len(block)
            else:
                with open(temp, "wb") as out:
                    out.write((",".join(names) + "\n").encode())
                    for batch in _batches(blocks):
                        out.write(format_rows(list(_export_columns(batch, start, acc_scale, gyr_scale).values())))
                        count += len(batch)
    except ImportError as exc:
        raise SettingsError("writing Parquet needs pyarrow: pip install pyarrow") from exc
    except OSError as exc:
        raise SensorKitError(describe_os_error(exc, f"write {path}")) from exc
    return count


def events_frame(events: Iterable[Event], meta: RecordingMeta | None = None, zone: tzinfo | None = None) -> pd.DataFrame:
    """One row per event; type-specific fields become columns (empty where they do not apply).

    With the recording's ``meta``, each row also names the patient and carries ``start_local`` and
    ``end_local``: the local clock times in ``zone`` (ISO 8601 with the offset), beside ``start`` and
    ``end`` in seconds from the recording's start."""
    import pandas as pd

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
