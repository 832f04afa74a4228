"""ActiGraph's old NEO ``.gt3x`` (GT3X+ "NEO"/ActiSleep+ "MRA" serials, firmware 2.5.0 or older),
read a part at a time.

Documented by ActiGraph (github.com/actigraph/NHANES-GT3X-File-Format): a zip holding ``info.txt``
(``Sample Rate`` in Hz, ``Start Date`` in .NET ticks of the local clock the device was set up
with) and ``activity.bin``, every sample bit-packed as three 12-bit two's-complement values in the
order y, x, z, most significant bit first (two samples in 9 bytes), 341 counts per g, rounded to
three decimals as ActiGraph's own decoding does (so the values equal ActiLife's CSV export). The
samples are continuous from the start at the sample rate: no per-sample times are stored. actfast
reads only the newer ``log.bin`` layout, hence this reader.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Iterator

import numpy as np

from .device_files import DeviceFile, Part
from .errors import ImportFormatError

COUNTS_PER_G = 341.0
TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000  # .NET ticks (100 ns since 0001-01-01) of 1970-01-01
PART_BYTES = 9 * 30_000  # 60,000 samples, about a CSV chunk's rows


def is_neo(path: Path) -> bool:
    """True for a zip holding activity.bin and no log.bin."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return "activity.bin" in names and "log.bin" not in names


def _info(archive: zipfile.ZipFile, path: Path) -> tuple[float, float]:
    """(sample rate in Hz, UNIX seconds of the start as if the local clock were UTC) from info.txt."""
    try:
        text = archive.read("info.txt").decode("utf-8", errors="replace")
        info = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        rate = float(info["Sample Rate"].strip().replace(",", "."))
        start = (int(info["Start Date"].strip()) - TICKS_AT_UNIX_EPOCH) / 1e7
    except (KeyError, ValueError) as exc:
        raise ImportFormatError(f"{path}: its info.txt lacks a readable Sample Rate or Start Date ({exc})") from exc
    if not 0 < rate <= 1000:
        raise ImportFormatError(f"{path}: its info.txt gives an impossible Sample Rate ({rate:g})")
    return rate, start


def open_file(path: Path) -> DeviceFile:
    with zipfile.ZipFile(path) as archive:
        rate, start = _info(archive, path)
    return DeviceFile("actigraph", False, lambda: _parts(path, rate, start), rate_hz=rate)


def unpack(data: bytes) -> np.ndarray:
    """Samples (n, 3) in g, x y z, of bit-packed activity bytes; a last half-byte is padding."""
    n = len(data) * 8 // 36
    raw = np.frombuffer(data + b"\0" * (-len(data) % 3), np.uint8).astype(np.int16).reshape(-1, 3)
    twelve = np.empty((raw.shape[0], 2), np.int16)
    twelve[:, 0] = (raw[:, 0] << 4) | (raw[:, 1] >> 4)
    twelve[:, 1] = ((raw[:, 1] & 0x0F) << 8) | raw[:, 2]
    values = twelve.reshape(-1)[:3 * n].reshape(n, 3)
    values = np.where(values > 2047, values - 4096, values)
    return np.round(values[:, [1, 0, 2]] / COUNTS_PER_G, 3)


def _parts(path: Path, rate: float, start: float) -> Iterator[Part]:
    first = 0
    with zipfile.ZipFile(path) as archive, archive.open("activity.bin") as f:
        while True:
            data = f.read(PART_BYTES)
            if not data:
                return
            acc = unpack(data)
            yield start + (first + np.arange(acc.shape[0])) / rate, acc, None
            first += acc.shape[0]
