"""GENEActiv ``.bin``, read a page at a time.

The layout is Activinsights' ("Decoding .bin files" in the GENEActiv instructions): text lines
(CRLF or LF), a header of ``Key:Value`` lines holding the calibration (``x gain``, ``x offset``, ...),
then pages of ``Recorded Data``: ``Page Time:YYYY-MM-DD hh:mm:ss:mmm`` (the device's local clock),
``Measurement Frequency`` and a line of 300 samples, each 12 hexadecimal digits: x, y, z as 12-bit
two's complement, then light, button and a reserved bit. Acceleration in g is
(value * 100 - offset) / gain per axis. A page cut short (a truncated file) keeps its whole samples.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Iterator

import numpy as np

from .device_files import DeviceFile, Part
from .errors import ImportFormatError

PART_PAGES = 200  # 60,000 samples
HEX = set(b"0123456789ABCDEFabcdef")


def _calibration(f: IO[bytes], path: Path) -> tuple[np.ndarray, np.ndarray, float | None]:
    """(gains, offsets, the header's Measurement Frequency) of the lines before the first page."""
    values: dict[str, str] = {}
    for raw in f:
        line = raw.strip().decode("latin-1")
        if line == "Recorded Data":
            break
        if ":" in line:
            key, value = line.split(":", 1)
            values[key.strip().lower()] = value.strip()
    try:
        gains = np.array([float(values[f"{a} gain"]) for a in "xyz"])
        offsets = np.array([float(values[f"{a} offset"]) for a in "xyz"])
    except (KeyError, ValueError) as exc:
        raise ImportFormatError(f"{path} is not a GENEActiv .bin file (no calibration {exc} in its header)") from exc
    if np.any(gains == 0):
        raise ImportFormatError(f"{path}: its calibration has a gain of 0")
    frequency = values.get("measurement frequency", "").split(" ")[0]
    try:
        return gains, offsets, float(frequency)
    except ValueError:
        return gains, offsets, None


def open_file(path: Path) -> DeviceFile:
    with path.open("rb") as f:
        head = f.read(16)
        if not head.startswith(b"Device Identity"):
            raise ImportFormatError(f"{path} is not a GENEActiv .bin file (it does not start with 'Device Identity')")
        f.seek(0)
        gains, offsets, frequency = _calibration(f, path)
    device = DeviceFile("geneactiv", False, lambda: _parts(path, device, gains, offsets), rate_hz=frequency)
    return device  # noqa: RET504 - the reader fills the device's warnings


def _pages(f: IO[bytes], device: DeviceFile) -> Iterator[tuple[float, float, bytes]]:
    """(UNIX seconds of the first sample as if UTC, frequency, hexadecimal samples) of each page."""
    stamp = frequency = None
    number = 0
    for raw in f:
        line = raw.strip()
        if line == b"Recorded Data":
            stamp = frequency = None
            number += 1
        elif line.startswith(b"Page Time:"):
            try:
                moment = datetime.strptime(line[10:].decode("ascii"), "%Y-%m-%d %H:%M:%S:%f")
                stamp = moment.replace(tzinfo=timezone.utc).timestamp()
            except (ValueError, UnicodeDecodeError):
                stamp = None
        elif line.startswith(b"Measurement Frequency:"):
            try:
                frequency = float(line.split(b":", 1)[1].split()[0])
            except (ValueError, IndexError):
                frequency = None
        elif line and set(line) <= HEX and len(line) >= 12:
            if stamp is None or not frequency:
                device.warnings.append(f"page {number} has no readable Page Time or Measurement Frequency")
            else:
                yield stamp, frequency, line[:len(line) // 12 * 12]
            stamp = None


def _decode(hexadecimal: bytes) -> np.ndarray:
    """(n, 3) 12-bit x, y, z values of 12-digit samples."""
    raw = np.frombuffer(bytes.fromhex(hexadecimal.decode("ascii")), np.uint8).reshape(-1, 6).astype(np.int16)
    values = np.column_stack([(raw[:, 0] << 4) | (raw[:, 1] >> 4), ((raw[:, 1] & 0x0F) << 8) | raw[:, 2],
                              (raw[:, 3] << 4) | (raw[:, 4] >> 4)])
    return np.where(values > 2047, values - 4096, values)


def _parts(path: Path, device: DeviceFile, gains: np.ndarray, offsets: np.ndarray) -> Iterator[Part]:
    device.warnings.clear()
    times: list[np.ndarray] = []
    samples: list[np.ndarray] = []
    with path.open("rb") as f:
        _calibration(f, path)
        for stamp, frequency, hexadecimal in _pages(f, device):
            values = _decode(hexadecimal)
            times.append(stamp + np.arange(values.shape[0]) / frequency)
            samples.append((values * 100.0 - offsets) / gains)
            if len(samples) >= PART_PAGES:
                yield np.concatenate(times), np.concatenate(samples), None
                times, samples = [], []
    if samples:
        yield np.concatenate(times), np.concatenate(samples), None
