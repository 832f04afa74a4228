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
differenced with the stride that compresses it best and split into byte planes, then everything is
compressed with LZMA. At most :data:`LIMIT_BYTES` of payload are kept
(about 14 h of a SensorKit board at 100 Hz with gyroscope); after that the tape stops and says so.
"""

from __future__ import annotations

import json
import lzma
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..devices.base import DecodedSamples
from ..errors import RecordingError
from ..samples import SampleBlock

ATTACHMENT = "raw_capture"
LIMIT_BYTES = 64 * 1024 * 1024  # payload bytes kept in memory before the tape stops
_MAGIC = b"SKRAW3\n"  # 3: samples cut out against the stored ones (2 and 1 were on main for hours at most)
_OLDER = (b"SKRAW1\n", b"SKRAW2\n")
NOTIFY, LINK_LOST, RELEASE, ORIGIN, END, SETTINGS = range(6)
_STRIDES = (0, 2, 6, 12, 18, 20, 24)  # tried for each characteristic's payload stream (0: no differencing)
_TRIAL_BYTES = 64 * 1024
MAX_CLASSES = 8  # packet classes (length, first byte) per characteristic compressed apart
TOKEN = 6  # bytes of a sample's triple as sensors send it: three little-endian int16
_SCAN = 1 << 20  # stream positions looked up at a time (bounds the scan's memory)


TICK_S = 1e-4
_TICKS_PER_S = 10_000


def to_tick(seconds: float) -> float:
    """Host time rounded to a tick, as the collector uses it (exactly what ``ticks / 10000`` gives back)."""
    return round(seconds * _TICKS_PER_S) / _TICKS_PER_S


@dataclass
class RawTape:
    """The collector's inputs in order, and the GATT conversation; :meth:`pack` makes the attachment."""

    header: dict[str, Any] = field(default_factory=dict)  # kind, rate, speed, duration, profile settings
    ops: list[int] = field(default_factory=list)
    host_ticks: list[int] = field(default_factory=list)
    chars: list[int] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)  # one per op (b"" unless NOTIFY)
    extras: list[Any] = field(default_factory=list)  # positions and settings, in op order
    characteristics: list[str] = field(default_factory=list)
    gatt: list[list[Any]] = field(default_factory=list)  # [host tick, what, uuid, hex, ...]
    services: list[dict[str, Any]] = field(default_factory=list)
    kept_bytes: int = 0
    truncated: bool = False
    stored: list[tuple[np.ndarray, np.ndarray | None]] = field(default_factory=list, repr=False)  # 12 bytes a sample

    # -- recording ------------------------------------------------------------------------------

    def _room(self, n: int) -> bool:
        if self.truncated or self.kept_bytes + n > LIMIT_BYTES:
            self.truncated = True
            return False
        self.kept_bytes += n
        return True

    def _op(self, op: int, host: float = 0.0, char: int = 0, payload: bytes = b"") -> None:
        self.ops.append(op)
        self.host_ticks.append(round(host * _TICKS_PER_S))
        self.chars.append(char)
        self.payloads.append(payload)

    def notification(self, host: float, char_uuid: str, payload: bytes) -> None:
        if not self._room(len(payload)):
            return
        if char_uuid not in self.characteristics:
            self.characteristics.append(char_uuid)
        self._op(NOTIFY, host, self.characteristics.index(char_uuid), payload)

    def link_lost(self, host: float) -> None:
        if not self.truncated:
            self._op(LINK_LOST, host)

    def release(self, host: float) -> None:
        if not self.truncated:
            self._op(RELEASE, host)

    def position(self, op: int, samples: DecodedSamples) -> None:
        if not self.truncated:
            self._op(op)
            self.extras.append(_position_to_json(samples))

    def settings(self, values: dict[str, Any]) -> None:
        if not self.truncated:
            self._op(SETTINGS)
            self.extras.append(values)

    def samples_stored(self, block: SampleBlock, acc_lsb: float, gyr_lsb: float) -> None:
        """Samples as the store keeps them (what the capture's payloads are cut against)."""
        if not self.truncated:
            self.stored.append(SampleTokens.triples(block, acc_lsb, gyr_lsb))

    def conversation(self, host: float, what: str, uuid: str, data: bytes = b"", *more: Any) -> None:
        """One GATT step: a write, a read, or a notification the profile consumed (a reply)."""
        if self._room(len(data)):
            self.gatt.append([round(host * _TICKS_PER_S), what, uuid, data.hex(), *more])

    # -- the attachment -------------------------------------------------------------------------

    def pack(self) -> bytes:
        """The attachment; samples found in the payloads that :meth:`samples_stored` was given are cut out
        and referenced, and the attachment is read back with the recording's stored samples."""
        tokens = SampleTokens.joined(self.stored)
        ops = np.asarray(self.ops, np.uint8)
        hosts = np.asarray(self.host_ticks, np.int64)
        chars = np.asarray(self.chars, np.uint8)
        lengths = np.asarray([len(p) for p in self.payloads], np.uint16)
        group_of = _packet_groups(self.ops, self.chars, self.payloads)
        groups, strides, cuts = [], [], []
        for g in range(max(group_of, default=-1) + 1):
            stream = b"".join(p for p, k in zip(self.payloads, group_of) if k == g)
            rest, cut = tokens.cut(stream)
            stride = _best_stride(rest)
            strides.append(stride)
            groups.append(_forward(rest, stride))
            cuts.append(cut)
        header = {
            **self.header, "characteristics": self.characteristics, "strides": strides,
            "group_sizes": [len(g) for g in groups], "cuts": [len(c) // 10 for c in cuts], "n": len(ops),
            "payload_crc": _payload_crc(self.ops, self.payloads), "extras": self.extras, "gatt": self.gatt,
            "services": self.services, "truncated": self.truncated,
        }
        head = json.dumps(header, separators=(",", ":")).encode()
        body = b"".join([
            struct.pack("<I", len(head)), head, ops.tobytes(), _planes(np.diff(hosts, prepend=0), 8),
            chars.tobytes(), _planes(lengths.astype(np.int64), 2), np.asarray(group_of, np.uint8).tobytes(), *cuts, *groups,
        ])
        return _MAGIC + lzma.compress(body, preset=9 | lzma.PRESET_EXTREME)

    @classmethod
    def unpack(cls, data: bytes, tokens: "SampleTokens | None" = None) -> "RawTape":
        """The tape back; ``tokens`` are the recording's stored samples the capture was packed against."""
        if data.startswith(_OLDER):
            raise RecordingError("the raw capture is in an older format (from a development version of "
                                 "SensorKit) that this version does not read; record it again with --raw")
        if not data.startswith(_MAGIC):
            raise RecordingError("the raw capture is not one this version of SensorKit can read")
        try:
            body = memoryview(lzma.decompress(data[len(_MAGIC):]))
            (size,) = struct.unpack_from("<I", body)
            header = json.loads(bytes(body[4 : 4 + size]))
            tape = cls._from_columns(header, body, 4 + size, tokens or SampleTokens.empty())
        except (lzma.LZMAError, struct.error, ValueError, KeyError, IndexError, TypeError) as exc:
            raise RecordingError(f"the raw capture is damaged ({exc})") from None
        if _payload_crc(tape.ops, tape.payloads) != header["payload_crc"]:
            raise RecordingError("the raw capture does not match the recording's stored samples it refers to "
                                 "(the recording is damaged)")
        return tape

    @classmethod
    def _from_columns(cls, header: dict[str, Any], body: memoryview, at: int, tokens: "SampleTokens") -> "RawTape":
        n = header["n"]
        ops = np.frombuffer(body, np.uint8, n, at)
        at += n
        hosts = np.cumsum(_unplanes(body[at : at + 8 * n], n, 8))
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
        for g, (size_g, stride, cut) in enumerate(zip(header["group_sizes"], header["strides"], cuts)):
            total = int(lengths[(group_of == g) & (ops == NOTIFY)].sum())  # less a differenced stream's padding
            streams.append(tokens.paste(_inverse(bytes(body[at : at + size_g]), stride), cut, total))
            at += size_g
        offsets = [0] * len(streams)
        payloads = []
        for op, g, length in zip(ops, group_of, lengths):
            if op == NOTIFY:
                payloads.append(streams[g][offsets[g] : offsets[g] + int(length)])
                offsets[g] += int(length)
            else:
                payloads.append(b"")
        return cls(header={k: v for k, v in header.items() if k not in _PACKED_KEYS},
                   ops=ops.tolist(), host_ticks=hosts.tolist(), chars=chars.tolist(), payloads=payloads,
                   extras=header["extras"], characteristics=header["characteristics"], gatt=header["gatt"],
                   services=header["services"], truncated=header["truncated"])

    @property
    def notifications(self) -> int:
        return sum(op == NOTIFY for op in self.ops)


_PACKED_KEYS = {"characteristics", "strides", "group_sizes", "cuts", "n", "payload_crc", "extras", "gatt", "services",
               "truncated"}


def _payload_crc(ops: list[int], payloads: list[bytes]) -> int:
    crc = 0
    for op, payload in zip(ops, payloads):
        if op == NOTIFY:
            crc = zlib.crc32(payload, crc)
    return crc


class SampleTokens:
    """The stored samples as a sensor most likely sent them: each sample's accelerometer and gyroscope
    triple as three little-endian int16 of the store's counts (``rint(value / lsb)``, wrapped to 16 bits:
    only exact byte matches are ever used, so a wrap costs a match, never a byte).

    :meth:`cut` removes every 6-byte run of a stream that is some sample's triple and lists the cuts;
    :meth:`paste` puts them back. A cut names its sample relative to the one after the previous cut's
    in the same table (acc or gyr), so a regular stream's references are all zero."""

    def __init__(self, acc: np.ndarray, gyr: np.ndarray | None):
        self.tables = [acc] if gyr is None else [acc, gyr]  # (n, TOKEN) uint8 each
        keys = [_keys(t) for t in self.tables]
        self._keys = np.concatenate(keys)
        self._table = np.concatenate([np.full(len(k), i, np.uint8) for i, k in enumerate(keys)])
        self._row = np.concatenate([np.arange(len(k)) for k in keys])
        order = np.lexsort((self._row, self._table, self._keys))
        self._keys, self._table, self._row = self._keys[order], self._table[order], self._row[order]

    @classmethod
    def empty(cls) -> "SampleTokens":
        return cls(np.empty((0, TOKEN), np.uint8), None)

    @staticmethod
    def triples(block: SampleBlock, acc_lsb: float, gyr_lsb: float) -> tuple[np.ndarray, np.ndarray | None]:
        """A block's samples as triples (the store's counts are ``rint(value / lsb)``, as its codec makes them)."""
        return _triples(np.rint(block.acc / acc_lsb)), None if block.gyr is None else _triples(np.rint(block.gyr / gyr_lsb))

    @classmethod
    def of(cls, block: SampleBlock, acc_lsb: float, gyr_lsb: float) -> "SampleTokens":
        return cls(*cls.triples(block, acc_lsb, gyr_lsb))

    @classmethod
    def joined(cls, parts: list[tuple[np.ndarray, np.ndarray | None]]) -> "SampleTokens":
        if not parts:
            return cls.empty()
        gyr = None if parts[0][1] is None else np.concatenate([g for _, g in parts])
        return cls(np.concatenate([a for a, _ in parts]), gyr)

    def cut(self, stream: bytes) -> tuple[bytes, bytes]:
        """(the stream without the samples found in it, the cuts: gap u32, table u8, offset i40 each)."""
        b = np.frombuffer(stream, np.uint8)
        hits = self._hits(b)
        keep = np.ones(len(b), bool)
        gaps, tables, offsets = [], [], []
        expected = [0] * len(self.tables)
        end = 0
        for pos, key in hits:
            if pos < end:
                continue
            lo, hi = np.searchsorted(self._keys, [key, key + np.uint64(1)])
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

    def paste(self, rest: bytes, cut: bytes, total: int) -> bytes:
        """Inverse of :meth:`cut`, for a stream of ``total`` bytes."""
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
        for table in range(len(self.tables)):
            mine = tables == table
            rows[mine] = np.cumsum(offsets[mine] + 1) - 1
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
        if len(b) < TOKEN or not len(self._keys):
            return []
        out = []
        for start in range(0, len(b) - TOKEN + 1, _SCAN):
            window = b[start : start + _SCAN + TOKEN - 1]
            keys = _keys(np.lib.stride_tricks.sliding_window_view(window, TOKEN))
            at = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
            for i in np.flatnonzero(self._keys[at] == keys):
                out.append((start + int(i), keys[i]))
        return out

    def _nearest(self, lo: int, hi: int, expected: list[int]) -> tuple[int, int]:
        """Among the samples with this triple (sorted by table, row), the one nearest its table's next."""
        best = None
        for table in range(len(self.tables)):
            a, b = lo + np.searchsorted(self._table[lo:hi], [table, table + 1])
            if a == b:
                continue
            rows = self._row[a:b]
            i = int(np.searchsorted(rows, expected[table]))
            for row in rows[max(i - 1, 0) : i + 1]:
                cost = abs(int(row) - expected[table])
                if best is None or cost < best[0]:
                    best = (cost, table, int(row))
        assert best is not None
        return best[1], best[2]


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
    sizes = {s: len(lzma.compress(_forward(trial, s), preset=6)) for s in _STRIDES if s < len(stream)}
    return min(sizes, key=lambda s: (sizes[s], s))
