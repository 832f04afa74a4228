"""Raw capture (``record --raw``): what the sensor sent, byte for byte, kept in the recording.

Why: nothing in SensorKit has met a real sensor yet. When a decoder is wrong about a real device, the
stored samples are wrong and the bytes that would show it are gone. A raw capture keeps, beside the
samples, every data notification's bytes with its characteristic and arrival time, every other input
of the collector's reassembly in order (link losses, the releases of held packets, an emulated
stream's known start and end), the profile's decode settings learnt from the sensor (a MetaWear's
chip, a Polar's conversion factor), and the GATT conversation around them: the service table, the
configuration writes and reads, and the replies the profile consumed. Replaying the tape through
today's profile and reassembly (:func:`replay`) gives today's samples for what the device really sent;
`sensorkit redecode` compares them with the stored ones and exports test vectors.

Arrival times are kept as integer ticks of :data:`TICK_S` (0.1 ms): the collector rounds its host times
to that (OS stacks deliver notifications in connection events 7.5 ms or more apart, so finer digits are
noise, and they would cost a byte a notification), so the replay sees exactly the floats the live run saw.

Size: the notification bytes carry the same sensor noise as the stored samples, so a capture packed on
its own costs about as much again as the samples (SKRAW2: +63..+130 % on a recording). Most sensors send
each sample as three little-endian 16-bit integers in the same counts the store keeps (the store's
``rint(value / lsb)``), so every 6-byte run of a payload stream that equals a stored sample's
accelerometer or gyroscope triple is cut out and replaced by a reference to that sample (:class:`SampleTokens`:
the next one, nearly always, so the references compress to almost nothing). Only exact matches are
cut, so the capture stays byte-exact whatever the device sent (a corrupt, duplicate or lost packet, a
quirk); a sample sent otherwise (a Movesense's floats, a Polar's delta frames) simply stays in the
capture. The capture therefore needs the recording's stored samples to be read; a CRC of the payloads
tells a damaged recording from a good one. What remains is grouped per characteristic, each group
differenced with the stride that compresses it best and split into byte planes.

Written as it arrives (SKRAW4, :class:`TapeRecorder`): at each of the store's one-second commits the
ops since the last one become one record, cut against the stored samples and committed in the same
transaction as them (zstd, one stream per minute); every minute those one-second chunks are replaced by
one merged record of the minute (LZMA), as the store merges its sample blocks.
A capture written whole at the recording's end (SKRAW3) is still read (:meth:`RawTape.unpack`).
At most :data:`LIMIT_BYTES` of payload are kept (about 14 h of a SensorKit board at 100 Hz with
gyroscope); after that the tape stops and says so.
"""

from __future__ import annotations

import contextlib
import json
import lzma
import struct
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
import zstandard

from ..devices.base import DecodedSamples
from ..errors import RecordingError
from ..samples import SampleBlock

ATTACHMENT = "raw_capture"
LIMIT_BYTES = 64 * 1024 * 1024  # payload bytes kept before the tape stops (the capture's size bound)
_MERGED, _SMALL = b"\x04M", b"\x04S"  # SKRAW4 chunks: written as it arrives, cut against windows of stored samples
_SKRAW3 = b"SKRAW3\n"  # written whole at the recording's end, cut against all its stored samples; still read
_OLDER = (b"SKRAW1\n", b"SKRAW2\n")  # were on main for hours at most
NOTIFY, LINK_LOST, RELEASE, ORIGIN, END, SETTINGS = range(6)
_STRIDES = (0, 2, 6, 12, 18, 20, 24)  # tried for each characteristic's payload stream (0: no differencing)
_TRIAL_BYTES = 64 * 1024
MAX_CLASSES = 8  # packet classes (length, first byte) per characteristic compressed apart
TOKEN = 6  # bytes of a sample's triple as sensors send it: three little-endian int16
_SCAN = 1 << 20  # stream positions looked up at a time (bounds the scan's memory)
WINDOW_S = 10.0  # seconds of stored samples before the last merge that payloads are still cut against
MERGE_S = 60.0  # seconds of ops in one merged chunk (the store merges its one-second blocks as often)
# zstd's strongest search with a 1 MiB window (one-second chunks): ~10 MB, whatever the recording's length
_ZSTD = zstandard.ZstdCompressionParameters.from_level(19, window_log=20, chain_log=20, hash_log=20)
_LZMA = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME, "dict_size": 1 << 20}]  # merged chunks
_TRIAL = zstandard.ZstdCompressor(level=9)


TICK_S = 1e-4
_TICKS_PER_S = 10_000


def to_tick(seconds: float) -> float:
    """Host time rounded to a tick, as the collector uses it (exactly what ``ticks / 10000`` gives back)."""
    return round(seconds * _TICKS_PER_S) / _TICKS_PER_S


@dataclass
class RawTape:
    """The collector's inputs in order and the GATT conversation, as read back from a recording
    (:func:`read_capture`); :func:`replay` feeds it to a decoder."""

    header: dict[str, Any] = field(default_factory=dict)  # kind, rate, speed, duration, profile settings
    ops: list[int] = field(default_factory=list)
    host_ticks: list[int] = field(default_factory=list)
    chars: list[int] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)  # one per op (b"" unless NOTIFY)
    extras: list[Any] = field(default_factory=list)  # positions and settings, in op order
    characteristics: list[str] = field(default_factory=list)
    gatt: list[list[Any]] = field(default_factory=list)  # [host tick, what, uuid, hex, ...]
    services: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False
    complete: bool = True  # False: the recorder stopped before the capture's end (a crash, kill -9)

    @property
    def notifications(self) -> int:
        return sum(op == NOTIFY for op in self.ops)

    def _op(self, op: int, host: float = 0.0, char: int = 0, payload: bytes = b"") -> None:
        self.ops.append(op)
        self.host_ticks.append(round(host * _TICKS_PER_S))
        self.chars.append(char)
        self.payloads.append(payload)

    def since(self, mark: tuple[int, int, int]) -> "RawTape":
        """The ops, extras and GATT steps after ``mark`` (their counts then)."""
        ops, extras, gatt = mark
        return RawTape(ops=self.ops[ops:], host_ticks=self.host_ticks[ops:], chars=self.chars[ops:],
                       payloads=self.payloads[ops:], extras=self.extras[extras:], gatt=self.gatt[gatt:],
                       characteristics=self.characteristics, truncated=self.truncated)

    def extend(self, part: "RawTape") -> None:
        """Add a later stretch of the same tape (the next chunk of a capture)."""
        for name in ("ops", "host_ticks", "chars", "payloads", "extras", "gatt"):
            getattr(self, name).extend(getattr(part, name))
        self.characteristics = part.characteristics  # a chunk lists every characteristic seen so far
        self.truncated = part.truncated

    # -- packing ---------------------------------------------------------------------------------

    def columns(self, tokens: "SampleTokens", carry: "Carry | None" = None) -> tuple[dict[str, Any], bytes]:
        """The tape as a header and column bytes; payload bytes that are a sample in ``tokens`` are cut
        out and referenced, so the columns are read back with the same samples. With a ``carry`` the
        columns continue the previous record's (SKRAW4), and the carry moves on to their end."""
        ops = np.asarray(self.ops, np.uint8)
        hosts = np.asarray(self.host_ticks, np.int64)
        lengths = np.asarray([len(p) for p in self.payloads], np.uint16)
        group_of = _packet_groups(self.ops, self.chars, self.payloads)
        groups, strides, cuts = [], [], []
        expected = carry.start(tokens) if carry else None
        floats = carry.floats(tokens) if carry else None
        if floats:
            floats.learn(b"".join(self.payloads))
        for g in range(max(group_of, default=-1) + 1):
            stream, float_cut = b"".join(p for p, k in zip(self.payloads, group_of) if k == g), b""
            if floats:
                stream, float_cut = floats.cut(stream, expected)
            rest, cut = tokens.cut(stream, expected)
            strides.append(_best_stride(rest))
            groups.append(float_cut + _forward(rest, strides[-1]))
            cuts.append(cut)
        header = {"characteristics": self.characteristics, "strides": strides, "group_sizes": [len(g) for g in groups],
                  "cuts": [len(c) // 10 for c in cuts], "n": len(ops), "payload_crc": _payload_crc(self.ops, self.payloads),
                  "extras": self.extras, "gatt": self.gatt, "truncated": self.truncated}
        ticks = np.diff(hosts, prepend=carry.tick if carry else 0)
        body = b"".join([ops.tobytes(), _planes(ticks, 8), np.asarray(self.chars, np.uint8).tobytes(),
                         _planes(lengths.astype(np.int64), 2), np.asarray(group_of, np.uint8).tobytes(), *cuts, *groups])
        if carry:
            carry.end(tokens, expected, self.host_ticks)
        return header, body

    @classmethod
    def from_columns(cls, header: dict[str, Any], body: memoryview, at: int, tokens: "SampleTokens",
                     carry: "Carry | None" = None) -> "RawTape":
        """Inverse of :meth:`columns` (the column bytes start at ``body[at]``); checks the payloads' CRC."""
        n = header["n"]
        ops = np.frombuffer(body, np.uint8, n, at)
        at += n
        hosts = np.cumsum(_unplanes(body[at : at + 8 * n], n, 8)) + (carry.tick if carry else 0)
        at += 8 * n
        chars = np.frombuffer(body, np.uint8, n, at)
        at += n
        lengths = _unplanes(body[at : at + 2 * n], n, 2)
        at += 2 * n
        group_of = np.frombuffer(body, np.uint8, n, at)
        at += n
        cuts = []
        for count in header["cuts"]:
            cuts.append(bytes(body[at : at + 10 * count]))
            at += 10 * count
        streams = []
        expected = carry.start(tokens) if carry else None
        floats = carry.floats(tokens) if carry else None
        for g, (size_g, stride, cut) in enumerate(zip(header["group_sizes"], header["strides"], cuts)):
            total = int(lengths[(group_of == g) & (ops == NOTIFY)].sum())  # less a differenced stream's padding
            data = body[at : at + size_g]
            if floats:  # the float cut comes first, then what the int16 cut left
                float_cut, data = bytes(data[: FloatTokens.cut_size(data)]), data[FloatTokens.cut_size(data) :]
                inner = tokens.paste(_inverse(bytes(data), stride), cut, total - _FLOAT_TOKEN * _count(float_cut), expected)
                streams.append(floats.paste(inner, float_cut, total, expected))
            else:
                streams.append(tokens.paste(_inverse(bytes(data), stride), cut, total, expected))
            at += size_g
        if carry:
            carry.end(tokens, expected, hosts)
        tape = cls(ops=ops.tolist(), host_ticks=hosts.tolist(), chars=chars.tolist(),
                   payloads=_split_payloads(ops, group_of, lengths, streams), extras=header["extras"],
                   characteristics=header["characteristics"], gatt=header["gatt"], truncated=header["truncated"])
        if _payload_crc(tape.ops, tape.payloads) != header["payload_crc"]:
            raise RecordingError("the raw capture does not match the recording's stored samples it refers to "
                                 "(the recording is damaged)")
        return tape

    @classmethod
    def unpack(cls, data: bytes, tokens: "SampleTokens | None" = None) -> "RawTape":
        """A capture written whole at the recording's end (SKRAW3, before 2026-12-05's chunks), read with the
        recording's stored samples (``tokens``) it was packed against."""
        if data.startswith(_OLDER):
            raise RecordingError("the raw capture is in an older format (from a development version of "
                                 "SensorKit) that this version does not read; record it again with --raw")
        if not data.startswith(_SKRAW3):
            raise RecordingError("the raw capture is not one this version of SensorKit can read")
        with _damage_as_error():
            body = memoryview(lzma.decompress(data[len(_SKRAW3):]))
            (size,) = struct.unpack_from("<I", body)
            header = json.loads(bytes(body[4 : 4 + size]))
            tape = cls.from_columns(header, body, 4 + size, tokens or SampleTokens.empty())
            tape.header = {k: v for k, v in header.items() if k not in _SKRAW3_KEYS}
            tape.services = header["services"]
        return tape

    @classmethod
    def from_chunks(cls, chunks: list[bytes], tokens: "SampleTokens") -> "RawTape":
        """A capture written as it arrived (SKRAW4): merged chunks (LZMA), then the one-second chunks since
        the last merge (one zstd stream); each holds records cut against a window of the stored samples
        (``tokens`` holds them all)."""
        tape, carry, small = cls(complete=False), Carry(), None
        with _damage_as_error():
            pending = b""
            for chunk in chunks:
                if chunk.startswith(_MERGED):
                    pending += lzma.decompress(chunk[len(_MERGED):], format=lzma.FORMAT_RAW, filters=_LZMA)
                    small = None
                elif chunk.startswith(_SMALL):
                    if small is None:  # the first one-second chunk after a merged one starts a stream
                        small = zstandard.ZstdDecompressor().decompressobj()
                    pending += small.decompress(chunk[len(_SMALL):])
                else:
                    raise RecordingError("the raw capture is not one this version of SensorKit can read")
                pending = tape._read_records(pending, tokens, carry)
            if pending:
                raise ValueError("its last record is cut short")
        return tape

    def _read_records(self, stream: bytes, tokens: "SampleTokens", carry: "Carry") -> bytes:
        """Add the whole records at the start of ``stream`` to the tape; returns what follows them."""
        used = 0
        for header, body, at, used in _records(stream, self.characteristics):
            if "tape" in header:
                self.header, self.services = header["tape"], header["services"]
                carry.units = self.header.get("floats")
            carry.steps = header.get("steps", carry.steps)
            carry.stored += header["advance"]
            part = RawTape.from_columns(header, body, at, tokens.window(carry.stored - header["window"], carry.stored), carry)
            self.extend(part)
            self.complete = header["end"]
        return stream[used:]


@dataclass
class Carry:
    """What a SKRAW4 record continues from the one before: the last arrival tick, and per sample table
    the recording's index of the sample after the last one referred to. Why: a record's first tick and
    first reference then cost what the others do (about nothing), not a full number each second."""

    tick: int = 0
    rows: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # acc, gyr as int16; acc, gyr as floats
    stored: int = 0  # stored samples when the record was made (the next record's window ends ``advance`` on)
    units: dict[str, str] | None = None  # how the sensor sends floats (the tape's header says), if it does
    steps: list[float | None] = field(default_factory=lambda: [None, None])  # learnt by FloatTokens

    def copy(self) -> "Carry":
        return Carry(self.tick, list(self.rows), self.stored, self.units, list(self.steps))

    def floats(self, tokens: "SampleTokens") -> "FloatTokens | None":
        """The float matcher for a record, when the sensor sends floats (it learns into ``steps``)."""
        return FloatTokens(tokens, self.units, self.steps) if self.units else None

    def start(self, tokens: "SampleTokens") -> list[int]:
        """The rows to count references from, in ``tokens``' own numbering."""
        return [row - tokens.first for row in self.rows]

    def end(self, tokens: "SampleTokens", expected: list[int], ticks: Any) -> None:
        self.rows = [row + tokens.first for row in expected]
        if len(ticks):
            self.tick = int(ticks[-1])


class TapeRecorder:
    """``record --raw``: the tape, written into the recording as it arrives.

    Why in chunks: a capture packed at the recording's end was lost with a ``kill -9``, and held every
    stored sample in memory until then. The recorder's writer asks for a chunk at each of its commits
    (:meth:`next_chunk`) and stores it in the same transaction as the samples it refers to, so a crash
    keeps the capture as far as it keeps the samples. As the store merges its one-second blocks, every
    :data:`MERGE_S` the ops of the one-second chunks are packed again as one merged chunk that replaces
    them (LZMA over a minute compresses a sensor's noise far better than a second at a time); the
    one-second chunks between two merges are one zstd stream, flushed at each. Memory stays bounded:
    the ops since the last merge and the stored samples since shortly before it (:data:`WINDOW_S`:
    what payloads are cut against; a packet's samples are stored within a second of its arrival).
    """

    def __init__(self, header: dict[str, Any]):
        self.header = header  # kind, profile settings, rates: what a replay needs besides the tape
        self.services: list[dict[str, Any]] = []
        self.part = RawTape()  # the ops since the last merged chunk
        self.kept_bytes = 0
        self.written_bytes = 0
        self.finished = False
        self._window: deque[tuple[np.ndarray, np.ndarray | None]] = deque()
        self._window_start = 0  # index among the stored samples of the window's first
        self._stored = 0
        self._mark = (0, 0, 0)  # ops, extras and GATT steps of ``part`` already in one-second chunks
        self._merged = Carry(units=header.get("floats"))  # where the last merged chunk ended
        self._latest = self._merged.copy()  # where the last chunk ended
        self._small: Any = None  # the zstd stream of the one-second chunks since the last merge
        self._sizes: list[int] = []  # bytes of those chunks
        self._announced = 0  # characteristics listed in the chunks so far
        self._lsb = (1.0, 1.0)  # the store's resolution, once samples are stored
        self._merges = 0
        self._done = False

    @property
    def truncated(self) -> bool:
        return self.part.truncated

    @property
    def window_rows(self) -> int:
        """Stored samples held to cut payloads against (bounded by :data:`WINDOW_S`)."""
        return sum(len(acc) for acc, _ in self._window)

    # -- what the collector saw ------------------------------------------------------------------

    def _room(self, n: int) -> bool:
        if self.part.truncated or self.kept_bytes + n > LIMIT_BYTES:
            self.part.truncated = True
            return False
        self.kept_bytes += n
        return True

    def notification(self, host: float, char_uuid: str, payload: bytes) -> None:
        if not self._room(len(payload)):
            return
        chars = self.part.characteristics
        if char_uuid not in chars:
            chars.append(char_uuid)
        self.part._op(NOTIFY, host, chars.index(char_uuid), payload)

    def link_lost(self, host: float) -> None:
        if not self.truncated:
            self.part._op(LINK_LOST, host)

    def release(self, host: float) -> None:
        if not self.truncated:
            self.part._op(RELEASE, host)

    def position(self, op: int, samples: DecodedSamples) -> None:
        if not self.truncated:
            self.part._op(op)
            self.part.extras.append(_position_to_json(samples))

    def settings(self, values: dict[str, Any]) -> None:
        if not self.truncated:
            self.part._op(SETTINGS)
            self.part.extras.append(values)

    def conversation(self, host: float, what: str, uuid: str, data: bytes = b"", *more: Any) -> None:
        """One GATT step: a write, a read, or a notification the profile consumed (a reply)."""
        if self._room(len(data)):
            self.part.gatt.append([round(host * _TICKS_PER_S), what, uuid, data.hex(), *more])

    def samples_stored(self, block: SampleBlock, acc_lsb: float, gyr_lsb: float) -> None:
        """Samples as the store keeps them, handed over before the writer may commit them: the next
        chunk's payloads are cut against them. Those from before the last merge, less a margin, are let go."""
        self._window.append(SampleTokens.counts_of(block, acc_lsb, gyr_lsb))
        self._lsb = (acc_lsb, gyr_lsb)
        self._stored += len(block)
        oldest = self._merged.stored - round(WINDOW_S * self.header["rate_hz"])
        while len(self._window) > 1 and self._window_start + len(self._window[0][0]) <= oldest:
            self._window_start += len(self._window.popleft()[0])

    def finish(self) -> None:
        """The recording ends: the next chunk is the last (a merged one), and says so."""
        self.finished = True

    # -- chunks ----------------------------------------------------------------------------------

    def next_chunk(self) -> tuple[bytes, bool] | None:
        """What the tape gained since the last chunk, for the writer to commit with its samples: (the
        chunk, whether it replaces the one-second chunks since the last merged one); None: nothing new."""
        if self._done or not (self.finished or self._tail_size()):
            return None
        merge = self.finished or self._merge_due()
        carry = (self._merged if merge else self._latest).copy()
        part = self.part if merge else self.part.since(self._mark)
        record = self._record(part, carry, first=not self._merges and (merge or not self._sizes))
        if merge:
            chunk = _MERGED + lzma.compress(record, format=lzma.FORMAT_RAW, filters=_LZMA)
            self.written_bytes += len(chunk) - sum(self._sizes)
            self._merged, self._latest, self._small, self._sizes = carry, carry.copy(), None, []
            self._merges += 1
            self.part = RawTape(characteristics=self.part.characteristics, truncated=self.part.truncated)
        else:
            chunk = _SMALL + self._small_stream(record)
            self._latest = carry
        self._mark = (len(self.part.ops), len(self.part.extras), len(self.part.gatt))
        self._done = self.finished
        return chunk, merge

    def _tail_size(self) -> int:
        """Ops and GATT steps not in any chunk yet."""
        return len(self.part.ops) - self._mark[0] + len(self.part.gatt) - self._mark[2]

    def _merge_due(self) -> bool:
        ticks = self.part.host_ticks
        return bool(ticks) and ticks[-1] - ticks[0] >= MERGE_S * _TICKS_PER_S

    def _record(self, part: RawTape, carry: "Carry", first: bool) -> bytes:
        """One record of ``part``, continuing ``carry`` (moved on to the record's end)."""
        tokens = SampleTokens.joined(list(self._window), self._lsb)
        tokens.first = self._window_start
        before, steps = carry.stored, list(carry.steps)
        header, body = part.columns(tokens, carry)
        notes = {k: v for k, v in (("extras", header["extras"]), ("gatt", header["gatt"])) if v}
        if carry.steps != steps:
            notes["steps"] = carry.steps
        if first or len(header["characteristics"]) != self._announced:
            notes["characteristics"] = header["characteristics"]
            self._announced = len(header["characteristics"])
        if first:
            notes.update(tape=self.header, services=self.services)
        carry.stored = self._stored
        return _encode_record(header, body, notes, window=self._stored - self._window_start, advance=self._stored - before,
                       end=self.finished)

    def _small_stream(self, record: bytes) -> bytes:
        if self._small is None:
            self._small = zstandard.ZstdCompressor(compression_params=_ZSTD).compressobj()
        chunk = self._small.compress(record) + self._small.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
        self._sizes.append(len(chunk) + len(_SMALL))
        self.written_bytes += self._sizes[-1]
        return chunk


def read_capture(reader: Any, stored: SampleBlock) -> RawTape | None:
    """A recording's raw capture (None without one), read with its stored samples (``stored``)."""
    tokens = SampleTokens.of(stored, reader.meta.acc_lsb, reader.meta.gyr_lsb)
    chunks = reader.attachment_chunks(ATTACHMENT)
    if chunks:
        return RawTape.from_chunks(chunks, tokens)
    data = reader.attachment(ATTACHMENT)
    return None if data is None else RawTape.unpack(data, tokens)


_SKRAW3_KEYS = {"characteristics", "strides", "group_sizes", "cuts", "n", "payload_crc", "extras", "gatt", "services",
                "truncated"}


@contextlib.contextmanager
def _damage_as_error() -> Iterator[None]:
    """A capture that cannot be parsed is one sentence, whatever part of it is damaged."""
    try:
        yield
    except (lzma.LZMAError, zstandard.ZstdError, struct.error, ValueError, KeyError, IndexError, TypeError) as exc:
        raise RecordingError(f"the raw capture is damaged ({exc})") from None


_RECORD = struct.Struct("<IBIIIIB")  # size (of the rest), flags, ops, payload CRC, window, advance, groups
_GROUP = struct.Struct("<BII")  # stride, bytes, cuts
_END, _TRUNCATED, _NOTES = 1, 2, 4  # flags


def _encode_record(header: dict[str, Any], body: bytes, notes: dict[str, Any], window: int, advance: int, end: bool) -> bytes:
    """One SKRAW4 record: a fixed binary head (what every record has), the rare notes as JSON (extras,
    GATT steps, a new characteristic, the tape's header in the first), then the columns. Why binary: a
    record a second, and JSON keys cost more than a second of a well-cut capture."""
    groups = b"".join(_GROUP.pack(*g) for g in zip(header["strides"], header["group_sizes"], header["cuts"]))
    text = json.dumps(notes, separators=(",", ":")).encode() if notes else b""
    flags = _END * end | _TRUNCATED * header["truncated"] | _NOTES * bool(notes)
    rest = groups + (struct.pack("<I", len(text)) + text if notes else b"") + body
    head = _RECORD.pack(_RECORD.size - 4 + len(rest), flags, header["n"], header["payload_crc"], window, advance,
                        len(header["strides"]))
    return head + rest


def _records(stream: bytes, characteristics: list[str]) -> Iterator[tuple[dict[str, Any], memoryview, int, int]]:
    """(header, record, where its columns start, where the next record starts) of each whole record at
    the start of a SKRAW4 stream, the header with the keys :meth:`RawTape.from_columns` reads;
    ``characteristics`` is updated as records list new ones."""
    view = memoryview(stream)
    at = 0
    while at + _RECORD.size <= len(view):
        size, flags, n, crc, window, advance, groups = _RECORD.unpack_from(view, at)
        if at + 4 + size > len(view):
            return
        record = view[at + 4 : at + 4 + size]
        pos = _RECORD.size - 4
        described = [_GROUP.unpack_from(record, pos + i * _GROUP.size) for i in range(groups)]
        strides, sizes, cuts = ([g[k] for g in described] for k in range(3))
        pos += groups * _GROUP.size
        notes: dict[str, Any] = {}
        if flags & _NOTES:
            (length,) = struct.unpack_from("<I", record, pos)
            notes = json.loads(bytes(record[pos + 4 : pos + 4 + length]))
            pos += 4 + length
        characteristics[:] = notes.get("characteristics", characteristics)
        at += 4 + size
        yield {**notes, "n": n, "payload_crc": crc, "window": window, "advance": advance, "strides": strides,
               "group_sizes": sizes, "cuts": cuts, "extras": notes.get("extras", []), "gatt": notes.get("gatt", []),
               "characteristics": list(characteristics), "truncated": bool(flags & _TRUNCATED),
               "end": bool(flags & _END)}, record, pos, at


def _payload_crc(ops: list[int], payloads: list[bytes]) -> int:
    crc = 0
    for op, payload in zip(ops, payloads):
        if op == NOTIFY:
            crc = zlib.crc32(payload, crc)
    return crc


def _split_payloads(ops: np.ndarray, group_of: np.ndarray, lengths: np.ndarray, streams: list[bytes]) -> list[bytes]:
    """Each op's payload, taken in order from its group's stream (b"" for ops without one)."""
    offsets = [0] * len(streams)
    payloads = []
    for op, g, length in zip(ops, group_of, lengths):
        if op == NOTIFY:
            payloads.append(streams[g][offsets[g] : offsets[g] + int(length)])
            offsets[g] += int(length)
        else:
            payloads.append(b"")
    return payloads


class SampleTokens:
    """The stored samples as a sensor most likely sent them: each sample's accelerometer and gyroscope
    triple as three little-endian int16 of the store's counts (``rint(value / lsb)``, wrapped to 16 bits:
    only exact byte matches are ever used, so a wrap costs a match, never a byte).

    :meth:`cut` removes every 6-byte run of a stream that is some sample's triple and lists the cuts;
    :meth:`paste` puts them back. A cut names its sample relative to the one after the previous cut's
    in the same table (acc or gyr), so a regular stream's references are all zero."""

    def __init__(self, acc: np.ndarray, gyr: np.ndarray | None, lsb: tuple[float, float] = (1.0, 1.0)):
        self.counts = [acc] if gyr is None else [acc, gyr]  # (n, 3) store counts each
        self.tables = [_triples(c) for c in self.counts]  # (n, TOKEN) uint8 each
        self.lsb = lsb  # the store's acc and gyr resolution (what a count is)
        self.first = 0  # the recording's index of the first sample here (a window's start)
        self._index: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def window(self, lo: int, hi: int) -> "SampleTokens":
        """The samples ``lo:hi`` only (what a chunk was cut against)."""
        if not 0 <= lo <= hi <= len(self.tables[0]):
            raise RecordingError("the raw capture refers to samples the recording does not hold (it is damaged)")
        acc, *gyr = self.counts
        window = SampleTokens(acc[lo:hi], gyr[0][lo:hi] if gyr else None, self.lsb)
        window.first = lo
        return window

    def _sorted(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(keys, table, row) of every triple sorted by key: built only to cut (pasting reads rows)."""
        if self._index is None:
            keys = [_keys(t) for t in self.tables]
            key = np.concatenate(keys)
            table = np.concatenate([np.full(len(k), i, np.uint8) for i, k in enumerate(keys)])
            row = np.concatenate([np.arange(len(k)) for k in keys])
            order = np.lexsort((row, table, key))
            self._index = key[order], table[order], row[order]
        return self._index

    @classmethod
    def empty(cls) -> "SampleTokens":
        return cls(np.empty((0, 3), np.int64), None)

    @staticmethod
    def counts_of(block: SampleBlock, acc_lsb: float, gyr_lsb: float) -> tuple[np.ndarray, np.ndarray | None]:
        """A block's samples as the store's counts (``rint(value / lsb)``, as its codec makes them)."""
        return np.rint(block.acc / acc_lsb).astype(np.int64), None if block.gyr is None else np.rint(block.gyr / gyr_lsb).astype(np.int64)

    @classmethod
    def of(cls, block: SampleBlock, acc_lsb: float, gyr_lsb: float) -> "SampleTokens":
        return cls(*cls.counts_of(block, acc_lsb, gyr_lsb), (acc_lsb, gyr_lsb))

    @classmethod
    def joined(cls, parts: list[tuple[np.ndarray, np.ndarray | None]], lsb: tuple[float, float]) -> "SampleTokens":
        if not parts:
            return cls.empty()
        gyr = None if parts[0][1] is None else np.concatenate([g for _, g in parts])
        return cls(np.concatenate([a for a, _ in parts]), gyr, lsb)

    def cut(self, stream: bytes, expected: list[int] | None = None) -> tuple[bytes, bytes]:
        """(the stream without the samples found in it, the cuts: gap u32, table u8, offset i40 each).

        ``expected``: per table, the row a reference is counted from (default 0), moved on in place."""
        b = np.frombuffer(stream, np.uint8)
        hits = self._hits(b)
        keep = np.ones(len(b), bool)
        gaps, tables, offsets = [], [], []
        expected = [0] * len(self.tables) if expected is None else expected
        end = 0
        for pos, key in hits:
            if pos < end:
                continue
            lo, hi = np.searchsorted(self._sorted()[0], [key, key + np.uint64(1)])
            table, row = self._nearest(lo, hi, expected)
            gaps.append(pos - end)
            tables.append(table)
            offsets.append(row - expected[table])
            expected[table] = row + 1
            end = pos + TOKEN
            keep[pos:end] = False
        cut = b"".join([_planes(np.asarray(gaps, np.int64), 4), np.asarray(tables, np.uint8).tobytes(),
                        _planes(np.asarray(offsets, np.int64), 5)])
        return b[keep].tobytes(), cut

    def paste(self, rest: bytes, cut: bytes, total: int, expected: list[int] | None = None) -> bytes:
        """Inverse of :meth:`cut`, for a stream of ``total`` bytes (``expected`` as there)."""
        m = len(cut) // 10
        gaps = _unplanes(memoryview(cut)[: 4 * m], m, 4)
        tables = np.frombuffer(cut, np.uint8, m, 4 * m)
        offsets = _unplanes(memoryview(cut)[5 * m :], m, 5)
        out = np.empty(total, np.uint8)
        starts = np.cumsum(gaps) + TOKEN * np.arange(m)
        token_bytes = (starts[:, None] + np.arange(TOKEN)).reshape(-1)
        keep = np.ones(len(out), bool)
        keep[token_bytes] = False
        out[keep] = np.frombuffer(rest, np.uint8, total - TOKEN * m)
        rows = np.empty(m, np.int64)
        expected = [0] * len(self.tables) if expected is None else expected
        for table in range(len(self.tables)):
            mine = tables == table
            rows[mine] = expected[table] + np.cumsum(offsets[mine] + 1) - 1
            expected[table] = int(rows[mine][-1]) + 1 if mine.any() else expected[table]
        if m and (np.any(tables >= len(self.tables)) or any(
                np.any((rows[tables == i] < 0) | (rows[tables == i] >= len(t))) for i, t in enumerate(self.tables))):
            raise RecordingError("the raw capture refers to samples the recording does not hold (it is damaged)")
        picked = np.empty((m, TOKEN), np.uint8)
        for table, values in enumerate(self.tables):
            mine = tables == table
            picked[mine] = values[rows[mine]]
        out[token_bytes] = picked.reshape(-1)
        return out.tobytes()

    def _hits(self, b: np.ndarray) -> list[tuple[int, np.uint64]]:
        """Positions (ascending) where a stored triple starts, with its key."""
        sorted_keys = self._sorted()[0]
        if len(b) < TOKEN or not len(sorted_keys):
            return []
        out = []
        for start in range(0, len(b) - TOKEN + 1, _SCAN):
            window = b[start : start + _SCAN + TOKEN - 1]
            keys = _keys(np.lib.stride_tricks.sliding_window_view(window, TOKEN))
            at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
            for i in np.flatnonzero(sorted_keys[at] == keys):
                out.append((start + int(i), keys[i]))
        return out

    def _nearest(self, lo: int, hi: int, expected: list[int]) -> tuple[int, int]:
        """Among the samples with this triple (sorted by table, row), the one nearest its table's next."""
        _, tables, all_rows = self._sorted()
        best = None
        for table in range(len(self.tables)):
            a, b = lo + np.searchsorted(tables[lo:hi], [table, table + 1])
            if a == b:
                continue
            rows = all_rows[a:b]
            i = int(np.searchsorted(rows, expected[table]))
            for row in rows[max(i - 1, 0) : i + 1]:
                cost = abs(int(row) - expected[table])
                if best is None or cost < best[0]:
                    best = (cost, table, int(row))
        assert best is not None
        return best[1], best[2]


class FloatTokens:
    """The stored samples as a sensor that sends float32 triples would have sent them (a Movesense: m/s²
    and °/s, :attr:`~sensorkit.devices.base.DeviceProfile.sends_floats`).

    Why: the store keeps such values rounded to its resolution, so they never match byte for byte and
    :class:`SampleTokens` cuts nothing. But a stored count says all but a float's last bits, and a
    sensor's floats are its own integer counts times a scale (its resolution, coarser than the store's):
    once that step is learnt from the data (:meth:`learn`), each float is predicted exactly from its
    stored sample. Every 12-byte run whose three floats round to a stored sample's counts is cut out;
    kept are the reference (as :class:`SampleTokens` keeps it) and, per float, the difference of its
    bits from the prediction: 0 when exact, a few units when the sensor rounds otherwise, and the
    float's own low bits without a step (floats that were never counts: nothing is lost either way)."""

    def __init__(self, tokens: SampleTokens, units: dict[str, str], steps: list[float | None]):
        self.tokens = tokens
        self.units = [_UNITS[units[name]] for name in ("acc", "gyr")[: len(tokens.counts)]]
        self.steps = steps  # per table, the sensor's step in its own units (None: not known)
        self._index = [_sorted_keys(c) for c in tokens.counts]

    def learn(self, stream: bytes) -> None:
        """Learn the step of each table that has none yet from the floats in ``stream`` that match it."""
        b = np.frombuffer(stream, np.uint8)
        for table, (pos, _) in enumerate(self._hits(b)):
            if self.steps[table] is None and len(pos):
                floats = _floats_at(b, pos).reshape(-1)
                self.steps[table] = _lattice_step(floats, self.units[table][1](self.tokens.lsb[table]))

    def cut(self, stream: bytes, expected: list[int]) -> tuple[bytes, bytes]:
        """(the stream without the float triples found in it, the cuts: a u32 count, then gap u32, table
        u8, offset i40 and three bit differences i40 each). ``expected[2 + table]`` as in SampleTokens."""
        b = np.frombuffer(stream, np.uint8)
        found = sorted((int(p), t, k) for t, (pos, keys) in enumerate(self._hits(b)) for p, k in zip(pos, keys))
        keep = np.ones(len(b), bool)
        gaps, tables, offsets, rows, at = [], [], [], [], []
        end = 0
        for pos, table, key in found:
            if pos < end:
                continue
            row = self._nearest(table, key, expected[2 + table])
            gaps.append(pos - end)
            tables.append(table)
            offsets.append(row - expected[2 + table])
            expected[2 + table] = row + 1
            rows.append(row)
            at.append(pos)
            end = pos + _FLOAT_TOKEN
            keep[pos:end] = False
        sent = _floats_at(b, np.asarray(at, np.int64)).view(np.int32).astype(np.int64)
        residues = sent - self._predicted(np.asarray(tables, np.uint8), np.asarray(rows, np.int64))
        cut = b"".join([struct.pack("<I", len(gaps)), _planes(np.asarray(gaps, np.int64), 4),
                        np.asarray(tables, np.uint8).tobytes(), _planes(np.asarray(offsets, np.int64), 5),
                        _planes(residues.reshape(-1), 5)])
        return b[keep].tobytes(), cut

    def paste(self, rest: bytes, cut: bytes, total: int, expected: list[int]) -> bytes:
        """Inverse of :meth:`cut` (``cut`` as it returned it), for a stream of ``total`` bytes."""
        m = _count(cut)
        view = memoryview(cut)[4:]
        gaps = _unplanes(view[: 4 * m], m, 4)
        tables = np.frombuffer(view, np.uint8, m, 4 * m)
        offsets = _unplanes(view[5 * m : 10 * m], m, 5)
        residues = _unplanes(view[10 * m : 25 * m], 3 * m, 5).reshape(m, 3)
        rows = np.empty(m, np.int64)
        for table in range(len(self.tokens.counts)):
            mine = tables == table
            rows[mine] = expected[2 + table] + np.cumsum(offsets[mine] + 1) - 1
            expected[2 + table] = int(rows[mine][-1]) + 1 if mine.any() else expected[2 + table]
        if m and (np.any(tables >= len(self.tokens.counts)) or any(
                np.any((rows[tables == i] < 0) | (rows[tables == i] >= len(c))) for i, c in enumerate(self.tokens.counts))):
            raise RecordingError("the raw capture refers to samples the recording does not hold (it is damaged)")
        sent = (self._predicted(tables, rows) + residues).astype("<i4").view(np.uint8).reshape(m, _FLOAT_TOKEN)
        out = np.empty(total, np.uint8)
        starts = np.cumsum(gaps) + _FLOAT_TOKEN * np.arange(m)
        token_bytes = (starts[:, None] + np.arange(_FLOAT_TOKEN)).reshape(-1)
        keep = np.ones(total, bool)
        keep[token_bytes] = False
        out[keep] = np.frombuffer(rest, np.uint8, total - _FLOAT_TOKEN * m)
        out[token_bytes] = sent.reshape(-1)
        return out.tobytes()

    @staticmethod
    def cut_size(cut: memoryview) -> int:
        """Bytes of the cut at the start of ``cut`` (its count says)."""
        return 4 + 25 * _count(cut)

    def _hits(self, b: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per table, the positions where three floats round to a stored sample's counts, and their keys."""
        out = []
        with np.errstate(invalid="ignore"):  # any 12 bytes: some are NaNs
            floats = _floats_at(b, np.arange(max(len(b) - _FLOAT_TOKEN + 1, 0))).astype(np.float64)
        finite = np.all(np.isfinite(floats), axis=1)
        for table, ((to_store, _), (keys, _)) in enumerate(zip(self.units, self._index)):
            with np.errstate(invalid="ignore", over="ignore"):
                counts = np.rint(to_store(floats) / self.tokens.lsb[table])
            valid = np.flatnonzero(finite & np.all(np.abs(counts) < _COUNT_LIMIT, axis=1))
            mine = _count_keys(counts[valid])
            at = np.minimum(np.searchsorted(keys, mine), max(len(keys) - 1, 0))
            hit = keys[at] == mine if len(keys) else np.zeros(len(mine), bool)
            out.append((valid[hit], mine[hit]))
        return out

    def _nearest(self, table: int, key: np.uint64, expected: int) -> int:
        """Of the samples with these counts, the one nearest the table's next expected row."""
        keys, order = self._index[table]
        lo, hi = np.searchsorted(keys, [key, key + np.uint64(1)])
        rows = np.sort(order[lo:hi])
        i = int(np.searchsorted(rows, expected))
        return int(min(rows[max(i - 1, 0) : i + 1], key=lambda r: abs(int(r) - expected)))

    def _predicted(self, tables: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The bits (int32, as int64) of the floats the sensor would have sent for these stored samples."""
        out = np.zeros((len(rows), 3), np.int64)
        for table, (_, to_sent) in enumerate(self.units):
            mine = tables == table
            value = to_sent(self.tokens.counts[table][rows[mine]] * self.tokens.lsb[table])
            step = self.steps[table]
            if step is None:
                sent = value.astype(np.float32)
            else:
                sent = np.rint(value / step).astype(np.float32) * np.float32(step)
            out[mine] = sent.astype("<f4").view(np.int32)
        return out


_FLOAT_TOKEN = 12  # three float32
_LEARN_FROM = 900  # floats a step is learnt from at least (3 s of a 100 Hz sensor): a guess stays for good
_COUNT_LIMIT = 1 << 20  # store counts a float may round to (21 bits each in a key)
_UNITS = {"m/s2": (lambda v: v, lambda v: v), "deg/s": (np.deg2rad, np.rad2deg)}  # to the store's units, back


def _count(float_cut: bytes | memoryview) -> int:
    """Float triples cut (the u32 a float cut starts with)."""
    return int(struct.unpack_from("<I", float_cut)[0])


def _floats_at(b: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The three little-endian float32 at each position of ``b``, (n, 3)."""
    if not len(positions):
        return np.empty((0, 3), np.float32)
    taken = b[positions[:, None] + np.arange(_FLOAT_TOKEN)]
    return np.ascontiguousarray(taken).view("<f4").reshape(-1, 3)


def _sorted_keys(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the keys of a table's count triples, sorted; the rows in that order)."""
    keys = _count_keys(counts)
    order = np.argsort(keys, kind="stable")
    return keys[order], order


def _count_keys(counts: np.ndarray) -> np.ndarray:
    """Each row of three store counts (each within ±_COUNT_LIMIT) as one sortable integer."""
    c = (np.asarray(counts, np.int64) + _COUNT_LIMIT).astype(np.uint64).reshape(-1, 3)
    return c[:, 0] | (c[:, 1] << np.uint64(21)) | (c[:, 2] << np.uint64(42))


def _lattice_step(values: np.ndarray, store_lsb: float) -> float | None:
    """The step a sensor's floats are integer multiples of (its resolution), or None when they are not
    (or it is finer than the store's, where a stored count could not tell two of them apart).

    From a small gap between distinct magnitudes (of floats a count or more from zero: the smallest carry
    no step; a tenth percentile, not the least: a stray match brings gaps of its own), refined as the
    median ratio to the nearest multiple on the small values (their multiples are certain), then on all;
    a half, third or quarter of it is taken when it predicts more floats exactly (data that came through
    a coarser stage, a simulator's 16 g counts, uses the even multiples most). Kept if it predicts most
    floats to within a few units of their last bit, as the float32 the sensor computes
    (``float32(k) * float32(step)``)."""
    v = values[np.isfinite(values) & (np.abs(values) >= store_lsb)].astype(np.float64)
    if len(v) < _LEARN_FROM:
        return None
    gaps = np.diff(np.unique(np.abs(v)))
    gaps = gaps[gaps >= 1.5 * store_lsb]  # finer gaps: floats that are no sample's (a stray match)
    if len(gaps) < 20:
        return None
    step = float(np.percentile(gaps, 10))
    for part in (v[np.abs(v) < 64 * step], v):
        k = np.rint(part / step)
        on = (np.abs(part / step - k) < 0.1) & (k != 0)
        step = float(np.median(part[on] / k[on]))  # a median: the strays off the lattice do not pull it
    fits = [_float32_step(v, step / n) for n in (1, 2, 3, 4) if step / n >= 1.5 * store_lsb]
    exact, near, best = max(fits, key=lambda fit: fit[0])
    return best if near >= 0.8 else None


def _float32_step(v: np.ndarray, step: float) -> tuple[float, float, float]:
    """(share of floats predicted exactly, share within 4 units of the last bit, the float32 step) for the
    float32 nearest ``step`` or one of its neighbours (the sensor's own may be an ulp off the fit)."""
    k = np.rint(v / step).astype(np.float32)
    sent = v.astype(np.float32).view(np.int32).astype(np.int64)
    near = (np.asarray([step], np.float32).view(np.int32) + np.arange(-4, 5, dtype=np.int32)).view(np.float32)
    fits = []
    for candidate in near:
        off = np.abs((k * candidate).view(np.int32) - sent)
        fits.append((float(np.mean(off == 0)), float(np.mean(off <= 4)), float(candidate)))
    return max(fits, key=lambda fit: fit[0])


def _triples(counts: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(counts, np.int64).astype("<i2")).view(np.uint8).reshape(-1, TOKEN)


def _keys(rows: np.ndarray) -> np.ndarray:
    """Each TOKEN-byte row as one integer (a dictionary key that NumPy can sort and search)."""
    keys = np.zeros(len(rows), np.uint64)
    for k in range(TOKEN):
        keys |= rows[:, k].astype(np.uint64) << np.uint64(8 * k)
    return keys


def replay(tape: RawTape, on_notification: Callable[[float, str, bytes], None], stream: Any,
           restore: Callable[[dict[str, Any]], None]) -> None:
    """Feed the tape, in order, to a decoder (``on_notification``) and a Reassembler (``stream``)."""
    extras = iter(tape.extras)
    for op, tick, char, payload in zip(tape.ops, tape.host_ticks, tape.chars, tape.payloads):
        host = tick / _TICKS_PER_S
        if op == NOTIFY:
            on_notification(host, tape.characteristics[char], payload)
        elif op == LINK_LOST:
            stream.link_lost(host)
        elif op == RELEASE:
            stream.release_due(host)
        elif op == ORIGIN:
            stream.expect_origin(_position_from_json(next(extras)))
        elif op == END:
            stream.expect_end(_position_from_json(next(extras)))
        elif op == SETTINGS:
            restore(next(extras))


class TapedClient:
    """A connected BleakClient that puts the profile's GATT conversation on the tape as it passes.

    Only what the profile does through it is logged: writes, reads, subscriptions, and notifications
    the profile consumed itself (replies to its requests); the ones it hands on are the tape's data."""

    def __init__(self, client: Any, tape: RawTape, now: Callable[[], float], forwarded: Callable[[], int]):
        self._client, self._tape, self._now, self._forwarded = client, tape, now, forwarded

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def write_gatt_char(self, char: Any, data: Any, response: bool | None = None) -> None:
        self._tape.conversation(self._now(), "write", _uuid(char), bytes(data), bool(response))
        await self._client.write_gatt_char(char, data, response=response)

    async def read_gatt_char(self, char: Any, **kwargs: Any) -> bytearray:
        data = await self._client.read_gatt_char(char, **kwargs)
        self._tape.conversation(self._now(), "read", _uuid(char), bytes(data))
        return data

    async def start_notify(self, char: Any, callback: Callable[[Any, bytearray], None], **kwargs: Any) -> None:
        uuid = _uuid(char)

        def logged(sender: Any, data: bytearray) -> None:
            before = self._forwarded()
            callback(sender, data)
            if self._forwarded() == before:  # consumed by the profile: a reply, not data
                self._tape.conversation(self._now(), "reply", uuid, bytes(data))

        self._tape.conversation(self._now(), "subscribe", uuid)
        await self._client.start_notify(char, logged, **kwargs)


def gatt_table(client: Any) -> list[dict[str, Any]]:
    """The connected sensor's services, characteristics (properties) and descriptors, as JSON."""
    return [{"uuid": service.uuid, "characteristics": [
        {"uuid": c.uuid, "handle": c.handle, "properties": list(c.properties),
         "descriptors": [d.uuid for d in c.descriptors]} for c in service.characteristics]}
        for service in client.services]


def _uuid(char: Any) -> str:
    return str(getattr(char, "uuid", char)).lower()


def _position_to_json(s: DecodedSamples) -> dict[str, Any]:
    return {"counter": s.counter, "modulus": s.counter_modulus, "step": s.counter_step,
            "device_time_s": None if s.device_time_s is None else [float(v) for v in s.device_time_s],
            "flags": sorted(s.flags)}


def _position_from_json(d: dict[str, Any]) -> DecodedSamples:
    times = d["device_time_s"]
    n = 1 if times is None else len(times)
    return DecodedSamples(acc=np.zeros((n, 3)), counter=d["counter"], counter_modulus=d["modulus"],
                          counter_step=d["step"], device_time_s=None if times is None else np.asarray(times),
                          flags=frozenset(d["flags"]))


def _packet_groups(ops: list[int], chars: list[int], payloads: list[bytes]) -> list[int]:
    """The compression group of each op's payload (0 for ops without one): per characteristic, or per
    characteristic, length and first byte where that makes a few classes (a MetaWear notifies its
    accelerometer and gyroscope halves alternately on one characteristic: apart, each differences well)."""
    classes: dict[int, set] = {}
    for op, c, p in zip(ops, chars, payloads):
        if op == NOTIFY:
            classes.setdefault(c, set()).add((len(p), p[:1]))
    fine = {c for c, kinds in classes.items() if len(kinds) <= MAX_CLASSES}
    keys: dict[tuple, int] = {}
    out = []
    for op, c, p in zip(ops, chars, payloads):
        key = ((c, len(p), p[:1]) if c in fine else (c,)) if op == NOTIFY else None
        out.append(0 if key is None else keys.setdefault(key, len(keys)))
    if len(keys) > 255:  # more classes than a byte can name: one group per characteristic
        return [c if op == NOTIFY else 0 for op, c in zip(ops, chars)]
    return out


def _planes(values: np.ndarray, width: int) -> bytes:
    """Byte planes of little-endian integers (all lowest bytes first): small numbers compress to little."""
    planes = np.ascontiguousarray(values.astype("<i8")).view(np.uint8).reshape(-1, 8)[:, :width]
    return np.ascontiguousarray(planes.T).tobytes()


def _unplanes(buf: memoryview, n: int, width: int) -> np.ndarray:
    """Inverse of :func:`_planes`; widths under 8 bytes are sign-extended from the top kept byte, except
    2 (lengths, unsigned)."""
    planes = np.frombuffer(buf, np.uint8, n * width).reshape(width, n)
    full = np.zeros((n, 8), np.uint8)
    full[:, :width] = planes.T
    if width in (4, 5):
        full[:, width:] = np.where(planes[-1] >= 128, 255, 0)[:, None] if n else 0
    return full.view("<i8").reshape(n)


def _forward(stream: bytes, stride: int) -> bytes:
    """Each byte minus the byte ``stride`` before it (mod 256), then split into ``stride`` planes."""
    b = np.frombuffer(stream, np.uint8)
    if stride == 0:
        return stream
    d = b.copy()
    d[stride:] = b[stride:] - b[:-stride]
    pad = (-len(d)) % stride
    return np.concatenate([d, np.zeros(pad, np.uint8)]).reshape(-1, stride).T.tobytes()


def _inverse(data: bytes, stride: int) -> bytes:
    if stride == 0:
        return data
    d = np.frombuffer(data, np.uint8)
    rows = d.reshape(stride, -1).T
    restored = np.cumsum(rows, axis=0, dtype=np.uint8).reshape(-1)
    return restored.tobytes()


def _best_stride(stream: bytes) -> int:
    if not stream:
        return 0
    trial = stream[:_TRIAL_BYTES]
    sizes = {s: len(_TRIAL.compress(_forward(trial, s))) for s in _STRIDES if s < len(stream)}
    return min(sizes, key=lambda s: (sizes[s], s))
