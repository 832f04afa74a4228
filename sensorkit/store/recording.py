"""The recording store: one recording (one sensor session) is one SQLite file.

Why SQLite: it is in the standard library, a single file a patient can copy, transactional (a
``kill -9`` of the writer leaves the last committed state, never a torn file), and in WAL mode a reader
(the terminal app, an analysis) can read while the recorder appends. Samples go in compressed blocks
(:mod:`sensorkit.store.codec`), events and summaries as JSON rows beside them.

The crash promise (README, "Reliability"), and the policy that keeps it:

- *A crash loses at most the last second.* The writer commits once one second of samples is waiting,
  or once the oldest waiting sample or event has waited one second, whichever comes first.
- *The file alone is the recording.* Right after a commit the writer copies its write-ahead log into
  the main file (a passive checkpoint; at most every ``CHECKPOINT_MIN_INTERVAL_S`` of wall time, which a
  real-time recorder never outpaces), so the file copied without its ``-wal`` side file misses at most
  that last second. At the end the file is left in rollback-journal mode with no side files; if a
  reader has it open at that moment it stays in WAL mode, fully checkpointed: nothing is lost either way.
- *One writer at a time.* The writer holds :class:`~.lock.RecordingLock` for its whole life, so
  ``record --force``, ``import --force`` or ``analyze --save`` on a recording in progress is refused.
- *Few bytes written.* The recorder used to commit each notification batch (about ten commits a
  second, each several 4 KiB pages): 50 KB written per second of data for a file that grows 0.6 KB/s.
  Now one commit a second touches about three 512-byte pages (the header page, the row's leaf and its
  overflow page; there is no time index to update: blocks are stored in time order), written once to
  the log and once by the checkpoint: 4.8 KB per second (benchmarks/store_benchmark.py --amplification).
  The checkpoint is flushed to disk (``synchronous=NORMAL``), so a power cut loses about a second at
  most and never corrupts the file; that flush is most of what the disk is still charged.

Gaps are stored as they are written (table ``gaps``, in the transaction of the samples after them),
so `sensorkit info` describes a week without decoding it; a recording made before has no such table
and its gaps are found from its sample times (:meth:`RecordingReader.gaps`).

Load speed: every 60 s the writer merges its one-second blocks into one larger block in a single
transaction, so a 24 h day is ~1,440 rows to decode rather than 86,400.

Reading never writes: readers open the file with SQLite's read-only mode, so a file a user only asked
to inspect is left byte-for-byte as it was. A damaged file is salvaged: every intact block is read,
the damaged ones are skipped (their samples become a gap) and :attr:`RecordingReader.damage` says what
was lost, also logged as one warning naming the file and what to do.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from ..errors import RecordingError, SensorKitError
from ..events import Event
from ..files import SQLITE_SIDE_FILES, describe_failure, describe_os_error, replacing, require_regular_file
from ..samples import Gap, RecordingMeta, SampleBlock, find_gaps
from .codec import Scratch, block_size, check_block, decode_block, decode_into, encode_block
from .lock import RecordingLock, in_progress_message, is_abandoned, is_in_progress

log = logging.getLogger(__name__)

APPLICATION_ID = 0x534B5231  # "SKR1": marks the SQLite file as a SensorKit recording
SCHEMA_VERSION = 1
COMMIT_SECONDS = 1.0  # crash loses at most this much
MERGE_SECONDS = 60.0  # one-second blocks are merged into blocks this long
CHECKPOINT_MIN_INTERVAL_S = 0.5  # wall time between two copies of the log into the main file
PAGE_SIZE = 512  # SQLite's smallest page: a one-second commit rewrites the fewest bytes
READ_MMAP_BYTES = 1 << 30  # readers map up to this much of a file (SQLite caps it at its own maximum)
LEAVE_WAL_TIMEOUT_MS = 1000  # how long close() waits for readers before leaving the file in WAL mode
# Events the recorder stores (facts about the recording, not analysis results): analyze --save keeps them.
RECORDED_EVENT_TYPES = frozenset({"data_gap", "battery_low", "alerts_snoozed", "alerts_paused", "alerts_resumed"})
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PROBE_PAST_END = 100_000  # ids probed past the last readable block of a damaged table (a day has ~90,000)
_REMEDY = "restore it from a backup, or export what is readable (sensorkit export) and import that"

# No index on blocks: rows are inserted in time order (times must increase), and a day is ~1,500 rows,
# so a time window is a quick scan; an index would add a page write to every one-second commit.
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE blocks (
    id INTEGER PRIMARY KEY,
    t_start REAL NOT NULL,
    t_end REAL NOT NULL,
    n INTEGER NOT NULL,
    merged INTEGER NOT NULL DEFAULT 0,
    payload BLOB NOT NULL
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    start REAL NOT NULL,
    "end" REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX events_t ON events (start);
CREATE TABLE summaries (name TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE attachments (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE gaps (start REAL NOT NULL, "end" REAL NOT NULL, samples INTEGER NOT NULL);
CREATE TABLE attachment_chunks (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB NOT NULL);
"""


def _check_header(path: Path) -> None:
    """Refuse what is not a SensorKit recording before SQLite touches it (a FIFO would hang it)."""
    _require_regular(path)
    try:
        with path.open("rb") as f:
            head = f.read(100)
    except OSError as exc:
        raise RecordingError(describe_os_error(exc, f"read {path}")) from exc
    if len(head) < 100 or not head.startswith(_SQLITE_MAGIC):
        raise RecordingError(f"{path} is not a SensorKit recording (unknown file format)")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    wal = path.with_name(path.name + "-wal")
    wal_pending = wal.exists() and wal.stat().st_size > 0
    if pages and path.stat().st_size < pages * page_size and not wal_pending:
        raise RecordingError(f"{path} is truncated (shorter than its own header says); {_REMEDY}")


def _write_problem(path: Path, exc: sqlite3.Error) -> str:
    """One sentence for a failed write: what failed and what to do (one table of remedies, store and commands)."""
    return describe_failure(exc, f"write {path}")


def _connect_for_writing(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # takes effect only on a new, empty file
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA wal_autocheckpoint=0")  # the writer checkpoints itself, after its commits
    except sqlite3.Error as exc:
        raise RecordingError(_write_problem(path, exc)) from exc
    return db


def _create_recording(path: Path, meta: RecordingMeta, overwrite: bool) -> RecordingLock:
    """Make the new, empty recording under a temporary name, then move it to ``path``, locked.

    So ``path`` never holds a half-made file: a crash while creating leaves nothing (or, with
    ``overwrite``, the old recording) plus a hidden ``.NAME.*.part`` file, which the next writer of
    ``path`` removes (:func:`remove_stale_temporaries`). An existing file is replaced only when
    :func:`check_replaceable` allows it.
    """
    old = claim_existing(path, overwrite)
    lock = RecordingLock(-1, path)
    try:
        remove_stale_temporaries(path)
        with replacing(path, overwrite=overwrite, opened=lock.hold) as temp:
            _write_empty_recording(temp, meta, path)
    except BaseException as exc:
        lock.release()
        if isinstance(exc, OSError):
            raise RecordingError(describe_os_error(exc, f"create {path}")) from exc
        if isinstance(exc, SensorKitError) and not isinstance(exc, RecordingError):
            raise RecordingError(str(exc)) from None
        raise
    finally:
        if old is not None:
            old.release()
    return lock


def _fill_held_file(path: Path, meta: RecordingMeta) -> RecordingLock:
    """The schema written in place into an empty file whose lock the caller holds; the writer's own lock is
    an unheld one (its release does nothing), so the file is never unlocked when the writer closes."""
    _write_empty_recording(path, meta, path)
    return RecordingLock(-1, path)


def claim_existing(path: Path, overwrite: bool) -> RecordingLock | None:
    """The lock of the file already at ``path`` when it may be replaced; None when there is none."""
    if not (path.exists() or path.is_symlink()):
        return None
    if not overwrite:
        raise RecordingError(f"{path} already exists (choose another name or pass --force)")
    check_replaceable(path)
    return RecordingLock.claim(path, _open_for_writing(path))


def _write_empty_recording(temp: Path, meta: RecordingMeta, path: Path) -> None:
    """Schema and metadata in one transaction, in rollback-journal mode (no side files).

    Errors name ``path``, the recording being made, rather than its temporary name."""
    try:
        db = sqlite3.connect(temp, isolation_level=None)
        try:
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")
            db.execute("BEGIN IMMEDIATE")
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            db.execute("INSERT INTO meta (key, value) VALUES ('recording', ?)", (json.dumps(meta.to_json()),))
            db.execute("COMMIT")
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise RecordingError(_write_problem(path, exc)) from exc


def check_replaceable(path: Path) -> None:
    """The one rule for what a new recording may replace: an empty regular file (the temporary file of
    a write-then-rename) or a SensorKit recording that no writer holds. A recording in progress, a
    pipe, a foreign or a damaged file is refused untouched (a typo in ``-o`` must not destroy a file)."""
    if is_in_progress(path):
        raise RecordingError(in_progress_message(path))
    if path.stat().st_size == 0:
        _require_regular(path)
        return
    try:
        RecordingReader(path).close()
    except RecordingError as exc:
        raise RecordingError(f"{exc}; it will not be replaced (move it away or choose another name)") from exc


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the hidden temporary files of ``path`` that a killed write left (``.NAME.*.part``, a nested
    ``..NAME.*.part.*.part`` and their SQLite side files); returns them. One a live process holds (its
    writer's lock) is kept, and so is every one where the lock cannot tell (:func:`~.lock.is_abandoned`)."""
    folder = path.parent if str(path.parent) else Path(".")
    pattern = re.compile(r"\.+" + re.escape(path.name) + r"\..+\.part")
    removed: list[Path] = []
    for temp in sorted(p for p in folder.glob(".*.part") if pattern.fullmatch(p.name)):
        if not is_abandoned(temp):
            continue
        for name in (str(temp),) + tuple(str(temp) + suffix for suffix in SQLITE_SIDE_FILES):
            with contextlib.suppress(OSError):  # gone already, or not ours to remove: the write goes on
                os.unlink(name)
                removed.append(Path(name))
    if removed:
        log.info("removed %d temporary files a killed write left beside %s", len(removed), path)
    return removed


def _require_regular(path: Path) -> None:
    try:
        require_regular_file(path, "recording")
    except SensorKitError as exc:
        raise RecordingError(str(exc)) from None


def _open_for_writing(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR)
    except OSError as exc:
        raise RecordingError(describe_os_error(exc, f"write {path}")) from exc


class RecordingWriter:
    """Appends samples, events and summaries to a recording, committing every second.

    ``clock`` (seconds, monotonic) times the one-second rules; a benchmark replaying data faster than
    real time passes a clock that follows the data.
    """

    def __init__(self, path: str | os.PathLike[str], meta: RecordingMeta, *, overwrite: bool = False,
                 clock: Callable[[], float] = time.monotonic, held: bool = False):
        """Create a new recording at ``path`` (an existing one is replaced only with ``overwrite``).

        ``held``: ``path`` is an empty file whose lock the caller holds and keeps past this writer's close
        (:func:`~.replacement.writing_new_recording`'s temporary file, locked until its rename)."""
        self.path = Path(path)
        self.meta = meta
        self._clock = clock
        self._lock = _fill_held_file(self.path, meta) if held else _create_recording(self.path, meta, overwrite)
        self._start_buffers(last_t=-np.inf)
        self._stores_gaps = True
        try:
            self._db = _connect_for_writing(self.path)
        except BaseException:
            self._abandon()
            raise

    @classmethod
    def reopen(cls, path: str | os.PathLike[str], *,
               clock: Callable[[], float] = time.monotonic) -> "RecordingWriter":
        """Open an existing recording to add to it (saved analyses, a resumed session).

        A recording still being written is refused (its writer holds the lock); a foreign or damaged
        file is refused untouched; one left in WAL mode by a crashed recorder is recovered by SQLite.
        """
        path = Path(path)
        _check_header(path)
        writer = cls.__new__(cls)
        writer.path, writer._clock = path, clock
        writer._lock = RecordingLock.claim(path, _open_for_writing(path))
        try:
            remove_stale_temporaries(path)
            with RecordingReader(path) as reader:
                writer.meta, span = reader.meta, reader.time_span()
            writer._start_buffers(last_t=span[1] if span else -np.inf)
            writer._db = _connect_for_writing(path)
            writer._find_unmerged()
            writer._stores_gaps = writer._has_gaps_table()
        except BaseException:
            writer._abandon()
            raise
        return writer

    def _has_gaps_table(self) -> bool:
        """Only a recording that stored its gaps from its start goes on storing them: a partial list
        would pass for a complete one."""
        try:
            return bool(self._db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='gaps'").fetchone())
        except sqlite3.DatabaseError as exc:
            raise RecordingError(_write_problem(self.path, exc)) from exc

    def _start_buffers(self, last_t: float) -> None:
        self._pending: list[SampleBlock] = []
        self._pending_gaps: list[Gap] = []
        self._pending_n = 0
        self._pending_events: list[Event] = []
        self._pending_since: float | None = None  # clock() when the oldest waiting item arrived
        self._last_t = last_t
        self._last_checkpoint = -np.inf
        self._unmerged: list[int] = []  # ids of the one-second blocks not merged yet
        self._unmerged_t0 = np.inf
        self._unmerged_t1 = -np.inf
        self._closed = False
        self._chunk_sources: list[tuple[str, Callable[[], tuple[bytes, bool] | None]]] = []
        self._chunk_base: dict[str, int] = {}  # per chunked attachment, the id of its last summing-up chunk

    def _find_unmerged(self) -> None:
        try:
            rows = self._db.execute("SELECT id, t_start, t_end FROM blocks WHERE merged = 0 ORDER BY id").fetchall()
        except sqlite3.DatabaseError as exc:
            raise RecordingError(_write_problem(self.path, exc)) from exc
        for block_id, t_start, t_end in rows:
            self._note_unmerged(block_id, t_start, t_end)

    def _note_unmerged(self, block_id: int, t_start: float, t_end: float) -> None:
        self._unmerged.append(block_id)
        self._unmerged_t0 = min(self._unmerged_t0, t_start)
        self._unmerged_t1 = max(self._unmerged_t1, t_end)

    # -- samples ---------------------------------------------------------------------------

    def append(self, block: SampleBlock) -> None:
        """Queue samples; they are committed within a second (of data or of waiting). Times must increase."""
        gaps = self._accept(block)
        if gaps is None:
            return
        self._pending.append(block)
        self._pending_gaps += gaps
        self._pending_n += len(block)
        self._commit_when_due()

    def append_block(self, block: SampleBlock) -> None:
        """Store ``block`` as one finished block now, in its own transaction: for an importer that
        already holds a whole block (MERGE_SECONDS) of samples, which the one-second commits and the
        merge would only copy twice."""
        gaps = self._accept(block)
        if gaps is None:
            return
        self.flush()
        with self._transaction():
            self._insert_block(block, merged=True)
            self._insert_gaps(gaps)

    def _accept(self, block: SampleBlock) -> list[Gap] | None:
        """Check a block's shape and times against the recording: the gaps before and inside it,
        None for an empty block."""
        if len(block) == 0:
            return None
        if block.has_gyro != self.meta.has_gyro:
            raise RecordingError("block and recording disagree on having a gyroscope")
        if block.t[0] <= self._last_t or np.any(np.diff(block.t) <= 0):
            raise RecordingError("sample times must strictly increase")
        # the gaps of the times as stored (whole nanoseconds), so they equal those found by decoding
        t = np.rint(block.t * 1e9) * 1e-9
        before = np.rint(self._last_t * 1e9) * 1e-9 if np.isfinite(self._last_t) else None
        self._last_t = float(block.t[-1])
        return find_gaps(t if before is None else np.concatenate([[before], t]), self.meta.rate_hz)

    def add_events(self, events: Iterable[Event]) -> None:
        """Queue events; they are committed with the samples around them (same one-second rule)."""
        self._pending_events += list(events)
        self._commit_when_due()

    def _commit_when_due(self) -> None:
        if not self._pending and not self._pending_events:
            return
        now = self._clock()
        if self._pending_since is None:
            self._pending_since = now
        if self._pending_n >= COMMIT_SECONDS * self.meta.rate_hz or now - self._pending_since >= COMMIT_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Commit what is queued now, samples, events and attachment chunks in one transaction."""
        chunks = [(name, *chunk) for name, source in self._chunk_sources if (chunk := source()) is not None]
        if not self._pending and not self._pending_events and not chunks:
            return
        block = SampleBlock.concat(self._pending) if self._pending else None
        events, self._pending_events = self._pending_events, []
        gaps, self._pending_gaps = self._pending_gaps, []
        self._pending, self._pending_n, self._pending_since = [], 0, None
        with self._transaction():
            if block is not None:
                block_id = self._insert_block(block, merged=False)
            self._insert_gaps(gaps)
            self._insert_events(events)
            self._insert_chunks(chunks)
        if block is not None:
            self._note_unmerged(block_id, float(block.t[0]), float(block.t[-1]))
            self._merge_if_due()

    def _insert_block(self, block: SampleBlock, merged: bool) -> int:
        blob = encode_block(block, self.meta.acc_lsb, self.meta.gyr_lsb)
        cursor = self._db.execute(
            "INSERT INTO blocks (t_start, t_end, n, merged, payload) VALUES (?, ?, ?, ?, ?)",
            (float(block.t[0]), float(block.t[-1]), len(block), int(merged), blob),
        )
        return int(cursor.lastrowid)

    def _insert_gaps(self, gaps: list[Gap]) -> None:
        if gaps and self._stores_gaps:
            self._db.executemany('INSERT INTO gaps (start, "end", samples) VALUES (?, ?, ?)',
                                 [(g.start, g.end, g.samples) for g in gaps])

    def _merge_if_due(self) -> None:
        if len(self._unmerged) >= 2 and self._unmerged_t1 - self._unmerged_t0 >= MERGE_SECONDS:
            self._merge_small_blocks()

    def _merge_small_blocks(self) -> None:
        """Replace the one-second blocks by one block, reading and deleting them in one transaction."""
        if len(self._unmerged) < 2:
            return
        with self._transaction():
            rows = self._db.execute(
                "SELECT id, payload FROM blocks WHERE id >= ? AND merged = 0 ORDER BY id", (self._unmerged[0],)
            ).fetchall()
            if len(rows) >= 2:
                parts = [SampleBlock(*decode_block(blob, self.meta.acc_lsb, self.meta.gyr_lsb)) for _, blob in rows]
                self._db.execute("DELETE FROM blocks WHERE id >= ? AND id <= ? AND merged = 0",
                                 (rows[0][0], rows[-1][0]))
                self._insert_block(SampleBlock.concat(parts), merged=True)
        self._unmerged, self._unmerged_t0, self._unmerged_t1 = [], np.inf, -np.inf

    # -- events, summaries, metadata -----------------------------------------------------------

    def replace_analysis(self, events: Iterable[Event], summaries: dict[str, Any]) -> None:
        """Swap the stored analysis (its events and named summaries) for a new one, in one transaction.

        A crash leaves the old analysis or the new one whole, never a mix (a mix once made `trends`
        reuse a summary made with another profile). The recorder's own events (gaps, low battery:
        ``RECORDED_EVENT_TYPES``) are facts about the recording, not results, so they are kept.
        """
        self.flush()
        kept = sorted(RECORDED_EVENT_TYPES)
        with self._transaction():
            self._db.execute(f"DELETE FROM events WHERE type NOT IN ({', '.join('?' * len(kept))})", kept)
            self._insert_events(e for e in events if e.type not in RECORDED_EVENT_TYPES)
            for name, data in summaries.items():
                self._put_summary(name, data)

    def _insert_events(self, events: Iterable[Event]) -> None:
        rows = [(e.type, e.start, e.end, json.dumps(e.fields)) for e in events]
        self._db.executemany('INSERT INTO events (type, start, "end", data) VALUES (?, ?, ?, ?)', rows)

    def set_summary(self, name: str, data: dict[str, Any]) -> None:
        with self._transaction():
            self._put_summary(name, data)

    def _put_summary(self, name: str, data: dict[str, Any]) -> None:
        self._db.execute("INSERT OR REPLACE INTO summaries (name, data) VALUES (?, ?)", (name, json.dumps(data)))

    def put_attachment(self, name: str, data: bytes) -> None:
        """A named binary sidecar kept inside the recording (e.g. a simulator's ground truth as .npz)."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO attachments (name, data) VALUES (?, ?)", (name, bytes(data))
            )

    def add_chunk_source(self, name: str, next_chunk: Callable[[], tuple[bytes, bool] | None]) -> None:
        """Write the attachment ``name`` as it grows, a chunk at each commit: ``next_chunk()`` gives what
        it gained since the last one and whether that chunk sums up (replaces) the chunks written since
        the last one that did, as merged blocks replace one-second ones (None: nothing new). Why with the
        commit: the chunk is stored in the same transaction as the samples it describes, so a crash keeps
        both exactly as far (a recorder's raw capture). Read back with
        :meth:`RecordingReader.attachment_chunks`; only a recording made by this writer has their table."""
        self._chunk_sources.append((name, next_chunk))

    def _insert_chunks(self, chunks: list[tuple[str, bytes, bool]]) -> None:
        for name, data, sums_up in chunks:
            if sums_up:
                self._db.execute("DELETE FROM attachment_chunks WHERE name = ? AND id > ?",
                                 (name, self._chunk_base.get(name, 0)))
            cursor = self._db.execute("INSERT INTO attachment_chunks (name, data) VALUES (?, ?)", (name, data))
            if sums_up:
                self._chunk_base[name] = int(cursor.lastrowid)

    def set_calibration(self, calibration: dict[str, Any]) -> None:
        self.meta = self.meta.with_changes(calibration=calibration)
        with self._transaction():
            self._put_meta("recording", self.meta.to_json())

    def set_extra(self, key: str, value: Any) -> None:
        """Free-form metadata (ground truth location, collector statistics, ...)."""
        self.meta.extra[key] = value
        with self._transaction():
            self._put_meta("recording", self.meta.to_json())

    def _put_meta(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value))
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Commit everything, merge, and leave one self-contained file; then let other writers in."""
        if self._closed:
            return
        self._closed = True
        try:
            self.flush()
            self._merge_small_blocks()
            self._leave_wal()
        finally:
            self._abandon()

    def _leave_wal(self) -> None:
        """Copy the log into the file and go back to rollback-journal mode, so no side files remain.

        Both need the readers to pause; a reader that keeps the file open (the terminal app, a
        polling script) is waited for briefly, then the file simply stays in WAL mode: it is complete
        either way, and that is no reason to fail a recording.
        """
        try:
            self._db.execute(f"PRAGMA busy_timeout={LEAVE_WAL_TIMEOUT_MS}")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise RecordingError(_write_problem(self.path, exc)) from exc
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            log.info("%s stays in WAL mode: a reader had it open when the recording ended", self.path)

    def _abandon(self) -> None:
        """Close the connection (if any), then drop the lock (never the other way round)."""
        self._closed = True
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
        self._lock.release()

    def __enter__(self) -> "RecordingWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction; a failure rolls it back whole and is reported as one sentence."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._checkpoint_when_due()
        except sqlite3.Error as exc:
            raise RecordingError(_write_problem(self.path, exc)) from exc

    def _checkpoint_when_due(self) -> None:
        """Copy the log into the main file, so the file alone holds what was just committed."""
        now = self._clock()
        if now - self._last_checkpoint >= CHECKPOINT_MIN_INTERVAL_S:
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # a reader in the way: done at the next commit
            self._last_checkpoint = now


@dataclass(frozen=True)
class LostBlock:
    """Samples a damaged recording could not give back: a stretch of time, and how many if known."""

    start: float  # seconds since the recording's start
    end: float
    samples: int | None  # None when not even the time range is known (damage up to the end of the file)
    reason: str

    def to_json(self) -> dict[str, Any]:
        end = round(self.end, 3) if np.isfinite(self.end) else None  # None: up to the end of the file
        return {"start": round(self.start, 3), "end": end, "samples": self.samples, "reason": self.reason}


def _needs_a_writer(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_READONLY_RECOVERY / _ROLLBACK: a crashed writer's log must be applied before reading."""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_READONLY


class RecordingReader:
    """Reads a recording without changing it, also while a writer is still appending.

    A damaged recording is salvaged: every intact block is read, damaged blocks are skipped (a gap,
    never invented data), listed in :attr:`damage` and reported once per read as a logged warning.
    """

    def __init__(self, path: str | os.PathLike[str], *, map_file: bool = False):
        """Open ``path`` for reading; ``map_file`` reads it through a memory map: 3x faster over the
        blobs' 512-byte page chains (a week's 280 MB of blobs: `sensorkit info`'s checksum pass), but
        the pages read then count as the process's memory, so analysis, which reads each block once
        and moves on, does without."""
        self.path = Path(path)
        self.damage: list[LostBlock] = []
        self._index: tuple[int | None, list[tuple[int, float, float, int]], np.ndarray, np.ndarray] | None = None
        self._kept: tuple[int | None, tuple[int, float, float, int], SampleBlock] | None = None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        _check_header(self.path)
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            try:
                self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
                app_id = self._db.execute("PRAGMA application_id").fetchone()[0]
            except sqlite3.OperationalError as exc:
                if not _needs_a_writer(exc):
                    raise
                self.close()
                self._db = self._open_recovered_copy()
                app_id = self._db.execute("PRAGMA application_id").fetchone()[0]
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if map_file:
                self._db.execute(f"PRAGMA mmap_size={READ_MMAP_BYTES}")
        except sqlite3.DatabaseError as exc:
            self.close()
            raise RecordingError(f"{self.path} is corrupted or truncated ({exc}); {_REMEDY}") from exc
        if app_id != APPLICATION_ID:
            self._db.close()
            raise RecordingError(f"{self.path} is an SQLite file but not a SensorKit recording")
        if version > SCHEMA_VERSION:
            self._db.close()
            raise RecordingError(
                f"{self.path} was written by a newer SensorKit (format {version}); please upgrade"
            )
        try:
            self.meta = self.refresh_meta()
        except BaseException:
            self._db.close()
            raise

    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        """All rows of a query, fetched inside the guard: damage shows while fetching, not before."""
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise RecordingError(f"{self.path} is corrupted or truncated ({exc}); {_REMEDY}") from exc

    def refresh_meta(self) -> RecordingMeta:
        """Re-read metadata (calibration may change while a writer is running)."""
        rows = self._rows("SELECT value FROM meta WHERE key='recording'")
        if not rows:
            raise RecordingError(f"{self.path} is incomplete (it has no metadata); {_REMEDY}")
        try:
            self.meta = RecordingMeta.from_json(json.loads(rows[0][0]))
        except (ValueError, TypeError, AttributeError) as exc:  # JSON or fields damaged by hand or by a tool
            raise RecordingError(f"{self.path} has damaged metadata ({exc}); it cannot be read") from exc
        return self.meta

    def reopened(self) -> "RecordingReader":
        """The same recording through a connection of its own: what a forked process reads with (an
        SQLite connection must not be used on both sides of a fork)."""
        return RecordingReader(self.path)

    # -- samples -------------------------------------------------------------------------------

    def iter_blocks(self, t0: float = -np.inf, t1: float = np.inf) -> Iterator[SampleBlock]:
        """Stored blocks overlapping [t0, t1), in time order, each trimmed to the window."""
        index = self._block_index(t0, t1)
        scratch = Scratch()
        for row, blob in zip(index, self._payloads(index)):
            block = self._decoded(row, blob, scratch)
            if block is None:
                continue
            if t0 > -np.inf or t1 < np.inf:
                block = block.between(t0, t1)
            yield block
        self._report()

    def samples(self, t0: float = -np.inf, t1: float = np.inf) -> SampleBlock:
        """All samples in [t0, t1) as one block (damaged blocks skipped): the whole recording decoded
        into one set of arrays, a window copied out of its blocks (:meth:`_window`)."""
        if t0 > -np.inf or t1 < np.inf:
            return self._window(t0, t1)
        index = self._block_index(t0, t1)
        blobs = self._payloads(index)
        sizes = [row[3] for row in index]
        total = sum(sizes)
        t, acc = np.empty(total), np.empty((total, 3))
        gyr = np.empty((total, 3)) if self.meta.has_gyro else None
        keep = np.ones(total, bool)
        at = 0
        scratch = Scratch()
        for row, blob, size in zip(index, blobs, sizes):
            part = slice(at, at + size)
            try:
                decode_into(
                    self._intact(row, blob), self.meta.acc_lsb, self.meta.gyr_lsb,
                    t[part], acc[part], None if gyr is None else gyr[part], scratch,
                )
            except RecordingError as exc:
                self._lost(row, str(exc))
                keep[part] = False
            at += size
        block = SampleBlock(t, acc, gyr)
        if not keep.all():
            block = SampleBlock(t[keep], acc[keep], None if gyr is None else gyr[keep])
        self._report()
        return block

    def _window(self, t0: float, t1: float) -> SampleBlock:
        """The samples in [t0, t1), copied out of the blocks they are in. The last block decoded is kept
        (while the recording does not change): the alignment reads walking back a minute at a time, and
        a third of those minutes start in the block the minute before ended in."""
        index = self._block_index(t0, t1)
        version = self._index[0] if self._index is not None else None  # what the block list was read at
        kept = self._kept if self._kept is not None and version is not None and self._kept[0] == version else None
        blobs = self._payloads([row for row in index if kept is None or row != kept[1]])
        scratch = Scratch()
        pieces = []
        for row in index:
            if kept is not None and row == kept[1]:
                block = kept[2]
            else:
                block = self._decoded(row, next(blobs), scratch)
                if block is None:
                    continue
                self._kept = (version, row, block)
            pieces.append(block.between(t0, t1))
        self._report()
        return SampleBlock.concat(pieces) if pieces else SampleBlock.empty(self.meta.has_gyro)  # copies

    def _decoded(self, row: tuple[int, float, float, int], blob: bytes | None, scratch: Scratch) -> SampleBlock | None:
        """The samples of one stored block; None, and the block listed as lost, if it is damaged."""
        try:
            return SampleBlock(*decode_block(self._intact(row, blob), self.meta.acc_lsb, self.meta.gyr_lsb, scratch))
        except RecordingError as exc:
            self._lost(row, str(exc))
            return None

    def _version(self) -> int | None:
        """SQLite's count of the commits of other connections (``PRAGMA data_version``): what the kept
        block list and decoded block are good for. None, and nothing kept, if the file cannot say."""
        try:
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.DatabaseError:
            return None

    def _block_index(self, t0: float, t1: float) -> list[tuple[int, float, float, int]]:
        """(id, t_start, t_end, n) of the blocks overlapping [t0, t1), in time order."""
        rows, starts, ends = self._all_blocks()
        chosen = np.flatnonzero((ends >= t0) & (starts < t1))
        return self._without_overlaps([rows[i] for i in chosen])

    def _all_blocks(self) -> tuple[list[tuple[int, float, float, int]], np.ndarray, np.ndarray]:
        """Every block's row in time order, with their start and end times as arrays: read once while
        the recording does not change (a read of a window then picks its rows without a scan of the
        table, which took a quarter of a minute's read back)."""
        version = self._version()
        if self._index is None or version is None or self._index[0] != version:
            try:
                rows = self._db.execute("SELECT id, t_start, t_end, n FROM blocks ORDER BY id").fetchall()
            except sqlite3.DatabaseError:
                rows = self._probe_block_index()
            rows.sort(key=lambda row: row[1])  # writers append in time order
            times = np.array([row[1:3] for row in rows], dtype=np.float64).reshape(-1, 2)
            self._index = (version, rows, times[:, 0], times[:, 1])
        return self._index[1:]

    def _without_overlaps(self, index: list[tuple[int, float, float, int]]) -> list[tuple[int, float, float, int]]:
        """Drop a block that starts before the one ahead of it ends: samples are never stored twice.

        Only a damaged file has such blocks (e.g. a copy taken while a merge was being written, where a
        stale page still lists one-second blocks the merge replaced); the repeat is skipped and listed.
        """
        kept: list[tuple[int, float, float, int]] = []
        for row in index:
            if kept and row[1] <= kept[-1][2]:
                self._lost(row, "it repeats the time of the block before it")
            else:
                kept.append(row)
        return kept

    def _probe_block_index(self) -> list[tuple[int, float, float, int]]:
        """The block list of a file whose table pages are damaged: every row that can be read, by id.

        Ids are probed upwards until ``_PROBE_PAST_END`` in a row give nothing (the highest id itself
        may sit on a damaged page). A run of unreadable ids is recorded as lost between the intact
        blocks around it.
        """
        index: list[tuple[int, float, float, int]] = []
        unreadable_after: float | None = None
        previous_end, block_id, last_found = 0.0, 0, 0
        while block_id - last_found < _PROBE_PAST_END:
            block_id += 1
            try:
                row = self._db.execute("SELECT id, t_start, t_end, n FROM blocks WHERE id = ?", (block_id,)).fetchone()
            except sqlite3.DatabaseError:
                unreadable_after = previous_end if unreadable_after is None else unreadable_after
                continue
            if row is None:
                continue
            last_found = block_id
            if unreadable_after is not None:
                self._lost_between(unreadable_after, float(row[1]))
                unreadable_after = None
            previous_end = float(row[2])
            index.append(row)
        if unreadable_after is not None:
            self._lost_between(unreadable_after, np.inf)
        return index

    def _payloads(self, index: list[tuple[int, float, float, int]]) -> Iterator[bytes | None]:
        """The blobs of ``index``, in its order, from one query read as it goes (a week of blobs is
        ~300 MB: never all held at once); a blob that query cannot give is fetched alone (None if
        it cannot be read). Fetched in id order: ordering a blob column by anything else makes
        SQLite sort the blobs; ``index`` is in id order too (writers append in time order)."""
        rows = self._payload_rows(min((row[0] for row in index), default=0), max((row[0] for row in index), default=-1))
        row = next(rows, None)
        for block_id, *_ in index:
            while row is not None and row[0] < block_id:
                row = next(rows, None)
            if row is not None and row[0] == block_id:
                yield row[1]
            else:
                yield self._payload(block_id)

    def _payload_rows(self, first: int, last: int) -> Iterator[tuple[int, bytes]]:
        """(id, payload) of the blocks with ids ``first`` to ``last`` in id order (a seek, not a scan),
        until a damaged page stops the query."""
        try:
            cursor = self._db.execute(
                "SELECT id, payload FROM blocks WHERE id >= ? AND id <= ? ORDER BY id", (first, last),
            )
            for row in cursor:
                yield row
        except sqlite3.DatabaseError:
            return

    def _payload(self, block_id: int) -> bytes | None:
        try:
            row = self._db.execute("SELECT payload FROM blocks WHERE id = ?", (block_id,)).fetchone()
        except sqlite3.DatabaseError:
            return None
        return None if row is None else row[0]

    @staticmethod
    def _intact(row: tuple[int, float, float, int], blob: bytes | None) -> bytes:
        if blob is None:
            raise RecordingError("its page cannot be read")
        if block_size(blob) != row[3]:
            raise RecordingError("a sample block disagrees with its row about its size")
        return blob

    def _lost(self, row: tuple[int, float, float, int], reason: str) -> None:
        self._note_damage(LostBlock(float(row[1]), float(row[2]), int(row[3]), reason))

    def _lost_between(self, after: float, before: float) -> None:
        """Blocks whose own row is unreadable: lost between the intact blocks around them (count estimated)."""
        estimate = max(0, round((before - after) * self.meta.rate_hz) - 1) if np.isfinite(before) else None
        self._note_damage(LostBlock(after, before, estimate, "the table page listing these samples cannot be read "
                                    "(the count is estimated from the time between the intact blocks around it)"))

    def _note_damage(self, lost: LostBlock) -> None:
        if lost not in self.damage:
            self.damage.append(lost)
            self._reported = False

    def _report(self) -> None:
        """Log the damage once: what was lost, in which file, and what to do."""
        if self.damage and not getattr(self, "_reported", False):
            log.warning("%s", self.damage_report())
            self._reported = True

    def note_damage(self, lost: Iterable[LostBlock]) -> None:
        """Damage another reader of this file found (a forked process reading the blocks for this
        one, ``signal/apart.py``): noted and reported as if this reader had read them."""
        for part in lost:
            self._note_damage(part)
        self._report()

    def damage_report(self) -> str | None:
        """One sentence naming the file, the lost time ranges and samples, and the remedy (None if intact)."""
        if not self.damage:
            return None
        known = sum(d.samples for d in self.damage if d.samples is not None)
        unknown = any(d.samples is None for d in self.damage)
        ranges = ", ".join(
            f"{d.start:.1f}-{d.end:.1f} s" if np.isfinite(d.end) else f"after {d.start:.1f} s" for d in self.damage[:5]
        ) + (", ..." if len(self.damage) > 5 else "")
        count = f"{known}{' or more' if unknown else ''} samples"
        return (f"{self.path} is damaged: {len(self.damage)} part(s) could not be read and were skipped "
                f"({count} lost, at {ranges}); every other block was read. To keep a clean copy, "
                f"{_REMEDY}")

    def intact_blocks(self) -> list[tuple[int, float, float, int]]:
        """(id, t_start, t_end, n) of every block whose checksum is right, read without decoding any:
        how much a recording holds and what of it is damaged, at a fraction of the cost of a read."""
        index = self._block_index(-np.inf, np.inf)
        intact = []
        for row, blob in zip(index, self._payloads(index)):
            try:
                check_block(self._intact(row, blob))
                intact.append(row)
            except RecordingError as exc:
                self._lost(row, str(exc))
        self._report()
        return intact

    def gaps(self) -> list[Gap]:
        """Every gap between received samples (:func:`sensorkit.samples.find_gaps`).

        Stored by the writer as it wrote them; for a recording made before they were stored, found
        from the sample times, block by block (damaged blocks, skipped, then show as gaps)."""
        if self._rows("SELECT 1 FROM sqlite_master WHERE type='table' AND name='gaps'"):
            rows = self._rows('SELECT start, "end", samples FROM gaps ORDER BY start')
            return [Gap(float(a), float(b), int(n)) for a, b, n in rows]
        gaps: list[Gap] = []
        last = None
        for block in self.iter_blocks():
            gaps += find_gaps(block.t if last is None else np.concatenate([[last], block.t]), self.meta.rate_hz)
            last = block.t[-1]
        return gaps

    # -- the rest ------------------------------------------------------------------------------

    def sample_count(self) -> int:
        return int(self._rows("SELECT COALESCE(SUM(n), 0) FROM blocks")[0][0])

    def time_span(self) -> tuple[float, float] | None:
        row = self._rows("SELECT MIN(t_start), MAX(t_end) FROM blocks")[0]
        return None if row[0] is None else (float(row[0]), float(row[1]))

    def events(self, type: str | None = None) -> list[Event]:
        sql = 'SELECT type, start, "end", data FROM events'
        args: tuple = ()
        if type is not None:
            sql, args = sql + " WHERE type = ?", (type,)
        rows = self._rows(sql + " ORDER BY start, id", args)
        return [Event(t, s, e, json.loads(d)) for t, s, e, d in rows]

    def event_count(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM events")[0][0])

    def summaries(self) -> dict[str, Any]:
        rows = self._rows("SELECT name, data FROM summaries ORDER BY name")
        return {name: json.loads(data) for name, data in rows}

    def attachment(self, name: str) -> bytes | None:
        rows = self._rows("SELECT data FROM attachments WHERE name = ?", (name,))
        return None if not rows else bytes(rows[0][0])

    def attachment_chunks(self, name: str) -> list[bytes]:
        """The chunks of an attachment written as it grew (:meth:`RecordingWriter.add_chunk_source`), in order."""
        if not self._rows("SELECT 1 FROM sqlite_master WHERE type='table' AND name='attachment_chunks'"):
            return []  # a recording made before chunked attachments
        return [bytes(data) for (data,) in self._rows("SELECT data FROM attachment_chunks WHERE name = ? ORDER BY id", (name,))]

    def _open_recovered_copy(self) -> sqlite3.Connection:
        """A writer killed mid-transaction left a log that only a writer may apply (SQLite's recovery).

        Readers never write, so the log is applied to a private copy (0700 scratch folder, removed on
        close): the reader sees exactly what SQLite will keep, the recording stays as it was until
        its next writer recovers it in place.
        """
        self._scratch = tempfile.TemporaryDirectory(prefix="sensorkit-recovered-")
        copy = Path(self._scratch.name) / self.path.name
        for suffix in ("",) + SQLITE_SIDE_FILES:
            side = Path(str(self.path) + suffix)
            if suffix != "-shm" and side.exists():  # the index is rebuilt from the log
                shutil.copyfile(side, str(copy) + suffix)
        return sqlite3.connect(copy, check_same_thread=False)

    def close(self) -> None:
        if getattr(self, "_db", None) is not None:
            self._db.close()
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def __enter__(self) -> "RecordingReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
