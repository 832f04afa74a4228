"""The recording store: one recording (one sensor session) is one SQLite file.

Why SQLite: it is in the standard library, a single file a patient can copy, transactional (a
``kill -9`` of the writer leaves the last committed state, never a torn file), and in WAL mode a reader
(the terminal app, an analysis) can read while the recorder appends. Samples go in compressed blocks
(:mod:`sensorkit.store.codec`), events and summaries as JSON rows beside them.

Crash safety: the writer commits whenever one second of samples has accumulated, so a crash loses at
most the last second. Load speed: every 60 s the writer merges its one-second blocks into one larger
block in a single transaction, so a 24 h day is ~1,440 rows to decode rather than 86,400.

Reading never writes: readers open the file with SQLite's read-only mode, so a file a user only asked
to inspect is left byte-for-byte as it was.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from ..errors import RecordingError
from ..events import Event
from ..samples import RecordingMeta, SampleBlock
from .codec import block_size, decode_block, decode_into, encode_block

APPLICATION_ID = 0x534B5231  # "SKR1": marks the SQLite file as a SensorKit recording
SCHEMA_VERSION = 1
COMMIT_SECONDS = 1.0  # crash loses at most this much
MERGE_SECONDS = 60.0  # one-second blocks are merged into blocks this long
_SQLITE_MAGIC = b"SQLite format 3\x00"

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
CREATE INDEX blocks_t ON blocks (t_start);
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
"""


def _check_header(path: Path) -> None:
    """Refuse what is not a SensorKit recording before SQLite touches it."""
    if not path.exists():
        raise RecordingError(f"no recording at {path}")
    if path.is_dir():
        raise RecordingError(f"{path} is a folder, not a recording")
    with path.open("rb") as f:
        head = f.read(100)
    if len(head) < 100 or not head.startswith(_SQLITE_MAGIC):
        raise RecordingError(f"{path} is not a SensorKit recording (unknown file format)")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    wal = path.with_name(path.name + "-wal")
    wal_pending = wal.exists() and wal.stat().st_size > 0
    if pages and path.stat().st_size < pages * page_size and not wal_pending:
        raise RecordingError(f"{path} is truncated (shorter than its own header says)")


def _connect_for_writing(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


class RecordingWriter:
    """Appends samples, events and summaries to a recording, committing every second."""

    def __init__(self, path: str | os.PathLike[str], meta: RecordingMeta, *, overwrite: bool = False):
        """Create a new recording at ``path`` (an existing one is replaced only with ``overwrite``)."""
        self.path = Path(path)
        self.meta = meta
        if self.path.exists():
            if not overwrite:
                raise RecordingError(f"{self.path} already exists (choose another name or pass --force)")
            if self.path.stat().st_size:  # an empty file (a name files.replacing reserved, 0600) is used as it is
                RecordingReader(self.path).close()  # never clobber a file that is not a recording
                for suffix in ("", "-wal", "-shm"):
                    Path(str(self.path) + suffix).unlink(missing_ok=True)
        if not self.path.parent.exists():
            raise RecordingError(f"folder {self.path.parent} does not exist")
        self._db = _connect_for_writing(self.path)
        self._db.execute(f"PRAGMA application_id={APPLICATION_ID}")
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        with self._transaction():
            for statement in filter(str.strip, _SCHEMA.split(";")):
                self._db.execute(statement)
            self._put_meta("recording", meta.to_json())
        self._start_buffers(last_t=-np.inf)

    @classmethod
    def reopen(cls, path: str | os.PathLike[str]) -> "RecordingWriter":
        """Open an existing recording to add to it (saved analyses, a resumed session).

        The file is checked like a read first, so a foreign or damaged file is refused untouched; a
        recording left in WAL mode by a crashed recorder is recovered by SQLite on this open.
        """
        with RecordingReader(path) as reader:
            meta, span = reader.meta, reader.time_span()
        writer = cls.__new__(cls)
        writer.path, writer.meta = Path(path), meta
        writer._db = _connect_for_writing(writer.path)
        writer._start_buffers(last_t=span[1] if span else -np.inf)
        return writer

    def _start_buffers(self, last_t: float) -> None:
        self._pending: list[SampleBlock] = []
        self._pending_n = 0
        self._last_t = last_t
        self._closed = False

    # -- samples ---------------------------------------------------------------------------

    def append(self, block: SampleBlock) -> None:
        """Queue samples; commits once a second's worth is waiting. Times must increase."""
        if len(block) == 0:
            return
        if block.has_gyro != self.meta.has_gyro:
            raise RecordingError("block and recording disagree on having a gyroscope")
        if block.t[0] <= self._last_t or np.any(np.diff(block.t) <= 0):
            raise RecordingError("sample times must strictly increase")
        self._last_t = float(block.t[-1])
        self._pending.append(block)
        self._pending_n += len(block)
        if self._pending_n >= COMMIT_SECONDS * self.meta.rate_hz:
            self.flush()

    def flush(self) -> None:
        """Commit what is queued now (the collector calls this before a risky moment, e.g. on disconnect)."""
        if not self._pending:
            return
        block = SampleBlock.concat(self._pending)
        self._pending, self._pending_n = [], 0
        with self._transaction():
            self._insert_block(block, merged=False)
        self._merge_if_due()

    def _insert_block(self, block: SampleBlock, merged: bool) -> None:
        blob = encode_block(block, self.meta.acc_lsb, self.meta.gyr_lsb)
        self._db.execute(
            "INSERT INTO blocks (t_start, t_end, n, merged, payload) VALUES (?, ?, ?, ?, ?)",
            (float(block.t[0]), float(block.t[-1]), len(block), int(merged), blob),
        )

    def _merge_if_due(self) -> None:
        row = self._db.execute(
            "SELECT MIN(t_start), MAX(t_end), COUNT(*) FROM blocks WHERE merged = 0"
        ).fetchone()
        if row[2] < 2 or row[1] - row[0] < MERGE_SECONDS:
            return
        self._merge_small_blocks()

    def _merge_small_blocks(self) -> None:
        rows = self._db.execute(
            "SELECT id, payload FROM blocks WHERE merged = 0 ORDER BY t_start"
        ).fetchall()
        if len(rows) < 2:
            return
        parts = [
            SampleBlock(*decode_block(blob, self.meta.acc_lsb, self.meta.gyr_lsb)) for _, blob in rows
        ]
        with self._transaction():
            self._db.execute("DELETE FROM blocks WHERE merged = 0")
            self._insert_block(SampleBlock.concat(parts), merged=True)

    # -- events, summaries, metadata -----------------------------------------------------------

    def add_events(self, events: Iterable[Event]) -> None:
        with self._transaction():
            self._insert_events(events)

    def replace_events(self, events: Iterable[Event]) -> None:
        """Swap all stored events for a fresh analysis in one transaction (a crash keeps the old ones)."""
        with self._transaction():
            self._db.execute("DELETE FROM events")
            self._insert_events(events)

    def _insert_events(self, events: Iterable[Event]) -> None:
        rows = [(e.type, e.start, e.end, json.dumps(e.fields)) for e in events]
        self._db.executemany('INSERT INTO events (type, start, "end", data) VALUES (?, ?, ?, ?)', rows)

    def set_summary(self, name: str, data: dict[str, Any]) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO summaries (name, data) VALUES (?, ?)", (name, json.dumps(data))
            )

    def put_attachment(self, name: str, data: bytes) -> None:
        """A named binary sidecar kept inside the recording (e.g. a simulator's ground truth as .npz)."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO attachments (name, data) VALUES (?, ?)", (name, bytes(data))
            )

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
        """Commit everything, merge, and leave one self-contained file (journal back to DELETE)."""
        if self._closed:
            return
        self.flush()
        self._merge_small_blocks()
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.execute("PRAGMA journal_mode=DELETE")
        self._db.close()
        self._closed = True

    def __enter__(self) -> "RecordingWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _transaction(self) -> "_Transaction":
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


class RecordingReader:
    """Reads a recording without changing it, also while a writer is still appending."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        _check_header(self.path)
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            app_id = self._db.execute("PRAGMA application_id").fetchone()[0]
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise RecordingError(f"{self.path} is corrupted or truncated ({exc})") from exc
        if app_id != APPLICATION_ID:
            self._db.close()
            raise RecordingError(f"{self.path} is an SQLite file but not a SensorKit recording")
        if version > SCHEMA_VERSION:
            self._db.close()
            raise RecordingError(
                f"{self.path} was written by a newer SensorKit (format {version}); please upgrade"
            )
        try:
            self.meta = RecordingMeta.from_json(self._json("SELECT value FROM meta WHERE key='recording'"))
        except (ValueError, TypeError, AttributeError) as exc:  # JSON or fields damaged by hand or by a tool
            self._db.close()
            raise RecordingError(f"{self.path} has damaged metadata ({exc}); it cannot be read") from exc

    def _json(self, sql: str, args: tuple = ()) -> Any:
        row = self._query(sql, args).fetchone()
        if row is None:
            raise RecordingError(f"{self.path} is incomplete (missing {sql.split()[-1]})")
        return json.loads(row[0])

    def _query(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, args)
        except sqlite3.DatabaseError as exc:
            raise RecordingError(f"{self.path} is corrupted or truncated ({exc})") from exc

    def refresh_meta(self) -> RecordingMeta:
        """Re-read metadata (calibration may change while a writer is running)."""
        try:
            self.meta = RecordingMeta.from_json(self._json("SELECT value FROM meta WHERE key='recording'"))
        except (ValueError, TypeError, AttributeError) as exc:  # JSON or fields damaged by hand or by a tool
            self._db.close()
            raise RecordingError(f"{self.path} has damaged metadata ({exc}); it cannot be read") from exc
        return self.meta

    def iter_blocks(self, t0: float = -np.inf, t1: float = np.inf) -> Iterator[SampleBlock]:
        """Stored blocks overlapping [t0, t1), in time order, each trimmed to the window."""
        rows = self._query(
            "SELECT payload FROM blocks WHERE t_end >= ? AND t_start < ? ORDER BY t_start",
            (float(t0), float(t1)),
        )
        for (blob,) in rows:
            block = SampleBlock(*decode_block(blob, self.meta.acc_lsb, self.meta.gyr_lsb))
            if t0 > -np.inf or t1 < np.inf:
                block = block.between(t0, t1)
            yield block

    def samples(self, t0: float = -np.inf, t1: float = np.inf) -> SampleBlock:
        """All samples in [t0, t1) as one block, decoded into one set of arrays."""
        blobs = [
            blob
            for (blob,) in self._query(
                "SELECT payload FROM blocks WHERE t_end >= ? AND t_start < ? ORDER BY t_start",
                (float(t0), float(t1)),
            )
        ]
        sizes = [block_size(blob) for blob in blobs]
        total = sum(sizes)
        t, acc = np.empty(total), np.empty((total, 3))
        gyr = np.empty((total, 3)) if self.meta.has_gyro else None
        at = 0
        for blob, size in zip(blobs, sizes):
            part = slice(at, at + size)
            decode_into(
                blob, self.meta.acc_lsb, self.meta.gyr_lsb,
                t[part], acc[part], None if gyr is None else gyr[part],
            )
            at += size
        block = SampleBlock(t, acc, gyr)
        return block.between(t0, t1) if (t0 > -np.inf or t1 < np.inf) else block

    def sample_count(self) -> int:
        return int(self._query("SELECT COALESCE(SUM(n), 0) FROM blocks").fetchone()[0])

    def time_span(self) -> tuple[float, float] | None:
        row = self._query("SELECT MIN(t_start), MAX(t_end) FROM blocks").fetchone()
        return None if row[0] is None else (float(row[0]), float(row[1]))

    def events(self, type: str | None = None) -> list[Event]:
        sql = 'SELECT type, start, "end", data FROM events'
        args: tuple = ()
        if type is not None:
            sql, args = sql + " WHERE type = ?", (type,)
        rows = self._query(sql + " ORDER BY start, id", args).fetchall()
        return [Event(t, s, e, json.loads(d)) for t, s, e, d in rows]

    def event_count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM events").fetchone()[0])

    def summaries(self) -> dict[str, Any]:
        rows = self._query("SELECT name, data FROM summaries ORDER BY name").fetchall()
        return {name: json.loads(data) for name, data in rows}

    def attachment(self, name: str) -> bytes | None:
        row = self._query("SELECT data FROM attachments WHERE name = ?", (name,)).fetchone()
        return None if row is None else bytes(row[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "RecordingReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
