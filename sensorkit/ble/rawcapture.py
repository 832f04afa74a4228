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

Size: data payloads are grouped per characteristic, each group differenced with the stride that
compresses it best (a sample's size, typically: consecutive samples differ little) and split into byte
planes, then everything is compressed with LZMA. At most :data:`LIMIT_BYTES` of payload are kept
(about 14 h of a SensorKit board at 100 Hz with gyroscope); after that the tape stops and says so.
"""

from __future__ import annotations

import json
import lzma
import struct
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..devices.base import DecodedSamples
from ..errors import RecordingError

ATTACHMENT = "raw_capture"
LIMIT_BYTES = 64 * 1024 * 1024  # payload bytes kept in memory before the tape stops
_MAGIC = b"SKRAW2\n"  # 1: before packet classes (main for minutes only; refused, not misread)
NOTIFY, LINK_LOST, RELEASE, ORIGIN, END, SETTINGS = range(6)
_STRIDES = (0, 2, 6, 12, 18, 20, 24)  # tried for each characteristic's payload stream (0: no differencing)
_TRIAL_BYTES = 64 * 1024
MAX_CLASSES = 8  # packet classes (length, first byte) per characteristic compressed apart


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

    def conversation(self, host: float, what: str, uuid: str, data: bytes = b"", *more: Any) -> None:
        """One GATT step: a write, a read, or a notification the profile consumed (a reply)."""
        if self._room(len(data)):
            self.gatt.append([round(host * _TICKS_PER_S), what, uuid, data.hex(), *more])

    # -- the attachment -------------------------------------------------------------------------

    def pack(self) -> bytes:
        ops = np.asarray(self.ops, np.uint8)
        hosts = np.asarray(self.host_ticks, np.int64)
        chars = np.asarray(self.chars, np.uint8)
        lengths = np.asarray([len(p) for p in self.payloads], np.uint16)
        group_of = _packet_groups(self.ops, self.chars, self.payloads)
        groups, strides = [], []
        for g in range(max(group_of, default=-1) + 1):
            stream = b"".join(p for p, k in zip(self.payloads, group_of) if k == g)
            stride = _best_stride(stream)
            strides.append(stride)
            groups.append(_forward(stream, stride))
        header = {
            **self.header, "characteristics": self.characteristics, "strides": strides,
            "group_sizes": [len(g) for g in groups], "n": len(ops), "extras": self.extras, "gatt": self.gatt,
            "services": self.services, "truncated": self.truncated,
        }
        head = json.dumps(header, separators=(",", ":")).encode()
        body = b"".join([
            struct.pack("<I", len(head)), head, ops.tobytes(), _planes(np.diff(hosts, prepend=0), 8),
            chars.tobytes(), _planes(lengths.astype(np.int64), 2), np.asarray(group_of, np.uint8).tobytes(), *groups,
        ])
        return _MAGIC + lzma.compress(body, preset=9 | lzma.PRESET_EXTREME)

    @classmethod
    def unpack(cls, data: bytes) -> "RawTape":
        if not data.startswith(_MAGIC):
            raise RecordingError("the raw capture is not one this version of SensorKit can read")
        try:
            body = memoryview(lzma.decompress(data[len(_MAGIC):]))
            (size,) = struct.unpack_from("<I", body)
            header = json.loads(bytes(body[4 : 4 + size]))
            return cls._from_columns(header, body, 4 + size)
        except (lzma.LZMAError, struct.error, ValueError, KeyError, IndexError, TypeError) as exc:
            raise RecordingError(f"the raw capture is damaged ({exc})") from None

    @classmethod
    def _from_columns(cls, header: dict[str, Any], body: memoryview, at: int) -> "RawTape":
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
        streams = []
        for size_g, stride in zip(header["group_sizes"], header["strides"]):
            streams.append(_inverse(bytes(body[at : at + size_g]), stride))
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


_PACKED_KEYS = {"characteristics", "strides", "group_sizes", "n", "extras", "gatt", "services", "truncated"}


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
    dtype = {2: "<u2", 8: "<i8"}[width]
    return np.ascontiguousarray(values.astype(dtype)).view(np.uint8).reshape(-1, width).T.tobytes()


def _unplanes(buf: memoryview, n: int, width: int) -> np.ndarray:
    dtype = {2: "<u2", 8: "<i8"}[width]
    planes = np.frombuffer(buf, np.uint8, n * width).reshape(width, n)
    return np.ascontiguousarray(planes.T).view(dtype).reshape(n).astype(np.int64)


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
    trial = stream[:_TRIAL_BYTES]
    sizes = {s: len(lzma.compress(_forward(trial, s), preset=6)) for s in _STRIDES if s < len(stream)}
    return min(sizes, key=lambda s: (sizes[s], s))
