"""ActiGraph ``.gt3x``, both layouts, read a part at a time.

Both are documented by ActiGraph. A ``.gt3x`` is a zip holding ``info.txt`` (``Sample Rate`` in Hz,
``Start Date`` in .NET ticks of the local clock the device was set up with, ``Acceleration Scale``
in counts per g where given) and the samples:

* ``log.bin`` (github.com/actigraph/GT3X-File-Format; wGT3X-BT, GT9X, GT3X+ from firmware 3.0):
  records of ``0x1E``, type, UNIX seconds (the local clock), payload size, payload, and a checksum
  (the one's complement of the XOR of header and payload; a record failing it is skipped and
  counted). ``ACTIVITY`` (0x00) holds one second of samples as 12-bit values (below), ``ACTIVITY2``
  (0x1A) as int16 x, y, z; a 1-byte payload marks a USB connection, not samples. The ``PARAMETERS``
  record's ``ACCEL_SCALE`` (SSP float) gives counts per g where info.txt does not. Seconds without a
  record (idle sleep mode) stay gaps; the samples of a record are 1 / rate apart from its second.
* ``activity.bin`` (github.com/actigraph/NHANES-GT3X-File-Format; GT3X+ "NEO" and ActiSleep+ "MRA"
  serials up to firmware 2.5.0): every sample continuous from the start at the sample rate.

12-bit samples are three two's-complement values in the order y, x, z, most significant bit first
(two samples in 9 bytes); NEO/CLE serials count 341 per g, MOS 256. Values are rounded to three
decimals as ActiGraph's own decoding does (the NEO file then equals ActiLife's CSV export).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import IO, Iterator

import numpy as np

from .device_files import DeviceFile, Part
from .errors import ImportFormatError

TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000  # .NET ticks (100 ns since 0001-01-01) of 1970-01-01
NEO_PART_BYTES = 9 * 30_000  # 60,000 samples, about a CSV chunk's rows
LOG_PART_RECORDS = 1000  # seconds of samples per part
LOG_READ_BYTES = 1 << 18
ACTIVITY, ACTIVITY2, PARAMETERS = 0x00, 0x1A, 0x15
ACCEL_SCALE_KEY = (0, 55)  # address space, identifier of ACCEL_SCALE in a PARAMETERS record


def _info(archive: zipfile.ZipFile, path: Path) -> tuple[float, float, float | None]:
    """(sample rate in Hz, UNIX seconds of the start as if the local clock were UTC, counts per g or
    None) from info.txt."""
    try:
        text = archive.read("info.txt").decode("utf-8", errors="replace")
        info = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in text.splitlines() if ":" in line)}
        rate = float(info["Sample Rate"].replace(",", "."))
        start = (int(info["Start Date"]) - TICKS_AT_UNIX_EPOCH) / 1e7
        scale = float(info["Acceleration Scale"].replace(",", ".")) if "Acceleration Scale" in info else None
    except (KeyError, ValueError) as exc:
        raise ImportFormatError(f"{path}: its info.txt lacks a readable Sample Rate or Start Date ({exc})") from exc
    if not 0 < rate <= 1000:
        raise ImportFormatError(f"{path}: its info.txt gives an impossible Sample Rate ({rate:g})")
    serial = info.get("Serial Number", "")
    if scale is None and serial.startswith(("NEO", "CLE", "MRA")):
        scale = 341.0
    elif scale is None and serial.startswith("MOS"):
        scale = 256.0
    return rate, start, scale


def open_file(path: Path) -> DeviceFile:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            rate, start, scale = _info(archive, path)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ImportFormatError(f"{path} is not an ActiGraph .gt3x (a zip with info.txt): {exc}") from exc
    if "log.bin" in names:
        device = DeviceFile("actigraph", False, lambda: _log_parts(path, device, rate, scale), rate_hz=rate)
        return device  # noqa: RET504 - the reader fills the device's warnings
    if "activity.bin" in names:
        return DeviceFile("actigraph", False, lambda: _neo_parts(path, rate, start, scale or 341.0), rate_hz=rate)
    raise ImportFormatError(f"{path} holds neither log.bin nor activity.bin")


def unpack(data: bytes, counts_per_g: float = 341.0) -> np.ndarray:
    """Samples (n, 3) in g, x y z, of 12-bit packed bytes; a last half-byte is padding."""
    n = len(data) * 8 // 36
    raw = np.frombuffer(data + b"\0" * (-len(data) % 3), np.uint8).astype(np.int16).reshape(-1, 3)
    twelve = np.empty((raw.shape[0], 2), np.int16)
    twelve[:, 0] = (raw[:, 0] << 4) | (raw[:, 1] >> 4)
    twelve[:, 1] = ((raw[:, 1] & 0x0F) << 8) | raw[:, 2]
    values = twelve.reshape(-1)[:3 * n].reshape(n, 3)
    values = np.where(values > 2047, values - 4096, values)
    return np.round(values[:, [1, 0, 2]] / counts_per_g, 3)


def _neo_parts(path: Path, rate: float, start: float, scale: float) -> Iterator[Part]:
    first = 0
    with zipfile.ZipFile(path) as archive, archive.open("activity.bin") as f:
        while True:
            data = f.read(NEO_PART_BYTES)
            if not data:
                return
            acc = unpack(data, scale)
            yield start + (first + np.arange(acc.shape[0])) / rate, acc, None
            first += acc.shape[0]


def _records(f: IO[bytes], device: DeviceFile) -> Iterator[tuple[int, int, bytes]]:
    """(type, UNIX seconds, payload) of each record whose checksum holds. After a damaged record the
    reading picks up at the next 0x1E that starts a record with a good checksum, so one bad byte
    costs the records it touches, not the rest of the file."""
    buffer = b""
    at = 0
    lost = False  # reading past damage, looking for the next good record
    while True:
        if len(buffer) - at < LOG_READ_BYTES // 2:
            more = f.read(LOG_READ_BYTES)
            buffer, at = buffer[at:] + more, 0
            if not more and at >= len(buffer):
                return
        if len(buffer) - at < 9:
            if buffer[at:]:
                device.warnings.append("log.bin ends in the middle of a record")
            return
        size = int.from_bytes(buffer[at + 6:at + 8], "little")
        record = buffer[at:at + 9 + size]
        good = (buffer[at] == 0x1E and len(record) == 9 + size
                and (~int(np.bitwise_xor.reduce(np.frombuffer(record[:-1], np.uint8)))) & 0xFF == record[-1])
        if good:
            yield record[1], int.from_bytes(record[2:6], "little"), record[8:-1]
            at += 9 + size
            lost = False
            continue
        if buffer[at] == 0x1E and len(record) < 9 + size and len(buffer) - at < LOG_READ_BYTES // 2:
            device.warnings.append("log.bin ends in the middle of a record")  # the last read was short: the end
            return
        if not lost:
            device.warnings.append(f"a damaged record at byte {f.tell() - len(buffer) + at} of log.bin was skipped")
            lost = True
        following = buffer.find(b"\x1e", at + 1)
        at = following if following >= 0 else len(buffer)


def _ssp_float(value: int) -> float:
    """ActiGraph's parameter floats: a 24-bit two's-complement fraction of 2^23 and an 8-bit exponent."""
    exponent = (value >> 24) - 256 if value >> 31 else value >> 24
    fraction = value & 0xFFFFFF
    fraction = fraction - (1 << 24) if fraction & 0x800000 else fraction
    return fraction / 8388608.0 * 2.0 ** exponent


def _log_parts(path: Path, device: DeviceFile, rate: float, scale: float | None) -> Iterator[Part]:
    device.warnings.clear()
    times: list[np.ndarray] = []
    samples: list[np.ndarray] = []
    with zipfile.ZipFile(path) as archive, archive.open("log.bin") as f:
        for kind, second, payload in _records(f, device):
            if kind == PARAMETERS and scale is None:
                pairs = np.frombuffer(payload[:len(payload) // 8 * 8], "<u2").reshape(-1, 4)
                for address, identifier, low, high in pairs.tolist():
                    if (address, identifier) == ACCEL_SCALE_KEY:
                        scale = _ssp_float(low | high << 16)
            elif kind in (ACTIVITY, ACTIVITY2) and len(payload) > 1:
                counts = scale or 256.0
                if kind == ACTIVITY:
                    acc = unpack(payload, counts)
                else:
                    acc = np.round(np.frombuffer(payload[:len(payload) // 6 * 6], "<i2").reshape(-1, 3) / counts, 3)
                times.append(second + np.arange(acc.shape[0]) / rate)
                samples.append(acc)
                if len(samples) >= LOG_PART_RECORDS:
                    yield np.concatenate(times), np.concatenate(samples), None
                    times, samples = [], []
    if samples:
        yield np.concatenate(times), np.concatenate(samples), None
