"""Movesense logs: the sensor's own ``.sbem`` DataLogger file and the two JSON layouts of one.

A Movesense sensor logs packets of a few samples (4 or 8) with the sensor's uptime in ms of the
first; the samples between are spaced by the median packet step over the samples per packet
(estimated on the first :data:`RATE_PACKETS` packets, so the file is read once, a part at a time).
Acceleration is in m/s^2, angular rate in deg/s (the Movesense API's units). A ``TimeDetailed``
record (UTC microseconds and the uptime it was taken at) puts the uptime on the UTC clock.

``.sbem`` is Suunto's chunk container (documented by Movesense's sbem-tools; the reading here
follows the description in movesense-commander's docs/sbem-format.md): an 8-byte ``SBEM....``
header, then chunks of ``id, length, payload`` (one byte each, or 0xFF then uint16 / uint32).
Chunk id 0 describes the other ids: a ``<PTH>`` path and ``<FRM>`` little-endian type, or a
``<GRP>`` list of ids whose payloads follow each other (``[``/``]`` markers carry no bytes).
A data chunk whose size does not match its description is skipped and counted, as Movesense's
own tool does.

The JSON layouts: a logbook entry (``{"Meas": {"IMU9": [{"Timestamp", "ArrayAcc": [{x, y, z}..]}]}}``)
and sbem2json's output (``{"Samples": [{"MeasIMU9": {"MeasIMU9": {"Timestamp"}, "ArrayAcc":
[{"x": [..], "y": [..], "z": [..]}]}}]}``); both are read whole, as JSON has to be.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator

import numpy as np

from .device_files import DeviceFile, Part, load_json
from .errors import ImportFormatError

RATE_PACKETS = 1000  # packets that fix the sample spacing
PART_PACKETS = 5000
PRESCAN_CHUNKS = 2000  # chunks read when a file is opened, to learn what it holds
ESCAPE = 0xFF
TYPES = {"int8": "b", "uint8": "B", "int16": "h", "uint16": "H", "int32": "i", "uint32": "I", "int64": "q",
         "uint64": "Q", "float32": "f", "float64": "d", "bool": "?"}


@dataclass
class Packet:
    """Samples sent together: the uptime (ms) of the first, acceleration (m/s^2), angular rate (deg/s)."""

    timestamp: float
    acc: np.ndarray
    gyr: np.ndarray | None


@dataclass
class Anchor:
    """A TimeDetailed record: UTC (s) at an uptime (ms)."""

    utc_s: float
    uptime_ms: float


def open_file(path: Path) -> DeviceFile:
    if path.suffix.lower() == ".json":
        packets, anchor = _json_packets(path)
        return _device(packets[:1], anchor, lambda: iter(packets), path)
    packets, anchor = [], None
    for item in _sbem_items(path, limit=PRESCAN_CHUNKS):
        if isinstance(item, Anchor):
            anchor = anchor or item
        elif not packets:
            packets.append(item)
    return _device(packets, anchor, lambda: (i for i in _sbem_items(path) if isinstance(i, Packet)), path)


def _device(first: list[Packet], anchor: Anchor | None, packets: Any, path: Path) -> DeviceFile:
    if not first:
        raise ImportFormatError(f"{path} holds no Movesense accelerometer (Meas/Acc or Meas/IMU) packets")
    return DeviceFile("movesense", first[0].gyr is not None, lambda: _parts(packets(), anchor),
                      acc_unit="m/s2", clock="utc" if anchor else "uptime")


def _parts(packets: Iterator[Packet], anchor: Anchor | None) -> Iterator[Part]:
    """Samples a few thousand packets at a time, each spaced by one period from its packet's first."""
    waiting: list[Packet] = []
    period: float | None = None
    for packet in packets:
        waiting.append(packet)
        if period is None and len(waiting) < RATE_PACKETS or period is not None and len(waiting) < PART_PACKETS:
            continue
        period = period or _period(waiting)
        yield _samples(waiting, period, anchor)
        waiting = []
    if waiting:
        yield _samples(waiting, period or _period(waiting), anchor)


def _period(packets: list[Packet]) -> float:
    """Seconds between samples: the median step between packets over the samples in a packet."""
    if len(packets) < 2:
        return 0.01
    steps = np.diff([p.timestamp for p in packets]) / 1000.0
    return float(np.median(steps / np.array([p.acc.shape[0] for p in packets[:-1]])))


def _samples(packets: list[Packet], period: float, anchor: Anchor | None) -> Part:
    offset = 0.0 if anchor is None else anchor.utc_s - anchor.uptime_ms / 1000.0
    t = np.concatenate([p.timestamp / 1000.0 + offset + np.arange(p.acc.shape[0]) * period for p in packets])
    acc = np.concatenate([p.acc for p in packets])
    gyr = None if packets[0].gyr is None else np.concatenate([p.gyr for p in packets])
    return t, acc, gyr


# -- JSON ---------------------------------------------------------------------------------------------

def _json_packets(path: Path) -> tuple[list[Packet], Anchor | None]:
    doc = load_json(path, "a Movesense JSON log")
    try:
        if isinstance(doc, dict) and "Meas" in doc:
            return _logbook_packets(doc["Meas"]), None
        if isinstance(doc, dict) and "Samples" in doc:
            return _sbem2json_packets(doc["Samples"])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ImportFormatError(f"{path} is not a Movesense JSON log ({type(exc).__name__}: {exc})") from exc
    raise ImportFormatError(f"{path} is not a Movesense JSON log (no 'Meas' tree of a logbook entry "
                            "and no 'Samples' list of sbem2json)")


def _xyz_rows(samples: list[dict[str, Any]]) -> np.ndarray:
    """[{x, y, z}, ...] (one sample each) or [{x: [..], y: [..], z: [..]}] (sbem2json's columns)."""
    rows = [np.column_stack([np.atleast_1d(s[a]) for a in "xyz"]) for s in samples]
    return np.concatenate(rows).astype(np.float64)


def _logbook_packets(meas: dict[str, Any]) -> list[Packet]:
    name = next((k for k in meas if k.startswith(("IMU", "Acc"))), None)
    if name is None:
        raise KeyError("no IMU or Acc measurement")
    return [Packet(float(p["Timestamp"]), _xyz_rows(p["ArrayAcc"]),
                   _xyz_rows(p["ArrayGyro"]) if "ArrayGyro" in p else None) for p in meas[name]]


def _sbem2json_packets(samples: list[dict[str, Any]]) -> tuple[list[Packet], Anchor | None]:
    packets, anchor = [], None
    for record in samples:
        for name, body in record.items():
            if name == "TimeDetailed" and anchor is None:
                anchor = Anchor(float(body["utcTime"]) / 1e6, float(body["relativeTime"]))
            elif name.startswith(("MeasIMU", "MeasAcc")) and "ArrayAcc" in body:
                stamp = body.get(name, body)["Timestamp"]
                packets.append(Packet(float(stamp), _xyz_rows(body["ArrayAcc"]),
                                      _xyz_rows(body["ArrayGyro"]) if "ArrayGyro" in body else None))
    return packets, anchor


# -- SBEM ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Leaf:
    """One described value: its path (without the Samples/Array wrapping), struct code and scale."""

    path: tuple[str, ...]
    code: str
    scale: float


class Descriptors:
    """The id -> layout table that descriptor chunks build as the file is read."""

    def __init__(self) -> None:
        self.leaves: dict[int, Leaf | None] = {}  # None: a marker or dummy, no bytes
        self.groups: dict[int, list[int]] = {}
        self._layouts: dict[int, tuple[struct.Struct, list[Leaf]] | None] = {}

    def add(self, payload: bytes) -> None:
        if len(payload) < 2:
            return
        data_id = int.from_bytes(payload[:2], "little")
        tags = {}
        for line in payload[2:].decode("utf-8", errors="replace").rstrip("\0").splitlines():
            if line.startswith("<") and ">" in line:
                tags[line[1:line.index(">")]] = line[line.index(">") + 1:].strip()
        self._layouts.clear()
        if "GRP" in tags:
            self.groups[data_id] = [int(v) for v in tags["GRP"].split(",") if v.strip()]
            return
        path = tags.get("PTH", "")
        code = TYPES.get(tags.get("FRM", "").split(",")[0])
        if not path or path in ("[", "]") or path.startswith("+") or code is None:
            self.leaves[data_id] = None
            return
        self.leaves[data_id] = Leaf(_plain_path(path), code, _scale(tags.get("MOD", "")))

    def layout(self, data_id: int) -> tuple[struct.Struct, list[Leaf]] | None:
        """The struct of a data chunk of ``data_id`` and the leaf of each value (None: not described)."""
        if data_id not in self._layouts:
            leaves = self._expand(data_id, depth=0)
            self._layouts[data_id] = None if leaves is None else (
                struct.Struct("<" + "".join(leaf.code for leaf in leaves)), leaves)
        return self._layouts[data_id]

    def _expand(self, data_id: int, depth: int) -> list[Leaf] | None:
        if depth > 8:
            return None
        if data_id in self.groups:
            out: list[Leaf] = []
            for child in self.groups[data_id]:
                part = self._expand(child, depth + 1)
                if part is None:
                    return None
                out.extend(part)
            return out
        if data_id in self.leaves:
            leaf = self.leaves[data_id]
            return [] if leaf is None else [leaf]
        return None


def _plain_path(path: str) -> tuple[str, ...]:
    """``Samples.Array.MeasIMU9.ArrayAcc+x`` -> (MeasIMU9, ArrayAcc, x): array marks do not matter here."""
    return tuple(p for p in path.replace("+", ".").split(".") if p and p not in ("Samples", "Array"))


def _scale(mod: str) -> float:
    """The factor of a ``<MOD>x*0.001,...`` decode expression (1 where there is none)."""
    first = mod.split(",")[0].replace(" ", "")
    try:
        return float(first[2:]) if first.startswith("x*") else 1.0
    except ValueError:
        return 1.0


def _chunks(f: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    def number(width: int) -> int | None:
        first = f.read(1)
        if not first:
            return None
        if first[0] != ESCAPE:
            return first[0]
        more = f.read(width)
        return int.from_bytes(more, "little") if len(more) == width else None

    while True:
        chunk_id = number(2)
        length = None if chunk_id is None else number(4)
        if length is None:
            return
        payload = f.read(length)
        if len(payload) < length:
            return  # cut short: the last chunk is incomplete
        yield chunk_id, payload


def _sbem_items(path: Path, limit: int | None = None) -> Iterator[Packet | Anchor]:
    """The accelerometer packets and clock anchors of a ``.sbem`` file, in file order."""
    descriptors = Descriptors()
    with path.open("rb") as f:
        if not f.read(8).startswith(b"SBEM"):
            raise ImportFormatError(f"{path} is not a Movesense .sbem file (it does not start with SBEM)")
        for n, (chunk_id, payload) in enumerate(_chunks(f)):
            if limit is not None and n >= limit:
                return
            if chunk_id == 0:
                descriptors.add(payload)
                continue
            layout = descriptors.layout(chunk_id)
            if layout is None or layout[0].size != len(payload):
                continue  # undescribed or variable-size data: skipped, as sbem2json does
            item = _item(layout[1], layout[0].unpack(payload))
            if item is not None:
                yield item


def _item(leaves: list[Leaf], values: tuple[Any, ...]) -> Packet | Anchor | None:
    fields: dict[tuple[str, ...], list[float]] = {}
    for leaf, value in zip(leaves, values):
        fields.setdefault(leaf.path, []).append(float(value) * leaf.scale)
    meas = next((p[0] for p in fields if p[0].startswith(("MeasIMU", "MeasAcc"))), None)
    if meas is not None and (meas, "ArrayAcc", "x") in fields:
        acc = np.column_stack([fields[(meas, "ArrayAcc", a)] for a in "xyz"])
        gyr = (np.column_stack([fields[(meas, "ArrayGyro", a)] for a in "xyz"])
               if (meas, "ArrayGyro", "x") in fields else None)
        return Packet(fields[(meas, "Timestamp")][0], acc, gyr)
    utc = next((v for p, v in fields.items() if p[-1] == "utcTime"), None)
    uptime = next((v for p, v in fields.items() if p[-1] == "relativeTime"), None)
    if utc and uptime:
        return Anchor(utc[0] / 1e6, uptime[0])
    return None
