"""Axivity ``.cwa`` (AX3, AX6), read a few thousand blocks at a time: memory bounded by the part,
not by the recording (a week at 100 Hz is 60 million samples).

The layout is Open Movement's own (openmovementproject/openmovement, Docs/ax3/cwa.h): a 1024-byte
``MD`` header, then 512-byte ``AX`` data blocks, little-endian, each checked by a 16-bit word sum
that is zero over the block (a damaged block is skipped and counted). A block holds 80 or 120
three-axis samples (16-bit, or 10-bit packed with a 2-bit exponent into 32 bits) or 40 six-axis
samples (gyroscope x, y, z then acceleration x, y, z), its rate code (3200 / 2^(15 - code) Hz), the
accelerometer's scale (1 / 2^(8 + n) g) and gyroscope's range (8000 / 2^n deg/s over 32768: the
header's sensorConfig formula, which OmGui's CSV export of the AX6 test file agrees with; cwa.h's
note on the block field says 4000 / 2^n, half of what OmGui exports), and the
device clock: a packed whole-second time, a 15-bit fraction of it, and the index of the sample that
time belongs to. A block's samples are spread evenly from its first sample's time to the next
block's (the device's own clock paces them), the last block's at its nominal rate. The clock is the
device's local time, with no zone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from .device_files import DeviceFile, Part
from .errors import ImportFormatError

HEADER = 1024
BLOCK = 512
PART_BLOCKS = 512  # 256 KB read at a time: up to 61,440 samples, about a CSV chunk's rows


def _config(path: Path) -> tuple[int, int]:
    """(numAxesBPS, rate code) of the first intact data block: every block of the file must share them."""
    with path.open("rb") as f:
        header = f.read(HEADER)
        if header[:2] != b"MD":
            raise ImportFormatError(f"{path} is not an Axivity .cwa file (it does not start with MD)")
        while True:
            data = f.read(BLOCK * 64)
            if len(data) < BLOCK:
                raise ImportFormatError(f"{path} holds no intact Axivity data blocks")
            blocks = np.frombuffer(data[:len(data) // BLOCK * BLOCK], np.uint8).reshape(-1, BLOCK)
            good = np.flatnonzero(_intact(blocks))
            if good.size:
                return int(blocks[good[0], 25]), int(blocks[good[0], 24])


def _intact(blocks: np.ndarray) -> np.ndarray:
    words = blocks.view("<u2").astype(np.uint32).sum(axis=1) & 0xFFFF
    return (blocks[:, 0] == ord("A")) & (blocks[:, 1] == ord("X")) & (words == 0)


def open_file(path: Path) -> DeviceFile:
    axes_bps, rate_code = _config(path)
    axes, packing = axes_bps >> 4, axes_bps & 0x0F
    if (axes, packing) not in ((3, 0), (3, 2), (6, 2)):
        raise ImportFormatError(f"{path}: Axivity blocks of {axes} axes in packing {packing} are not read "
                                "(AX3 and AX6 acceleration and gyroscope are)")
    device = DeviceFile("axivity", axes == 6, lambda: _parts(path, device, axes_bps, rate_code),
                        rate_hz=3200.0 / (1 << (15 - (rate_code & 0x0F))))
    return device  # noqa: RET504 - the reader fills the device's warnings


def _seconds(packed: np.ndarray) -> np.ndarray:
    """UNIX seconds (as if UTC) of packed times YYYYYYMM MMDDDDDh hhhhmmmm mmssssss (years from 2000)."""
    packed = packed.astype(np.int64)
    year, month, day = (packed >> 26) & 0x3F, (packed >> 22) & 0x0F, (packed >> 17) & 0x1F
    hour, minute, second = (packed >> 12) & 0x1F, (packed >> 6) & 0x3F, packed & 0x3F
    months = (year * 12 + np.clip(month, 1, 12) - 1 + 30 * 12).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + (np.clip(day, 1, 31) - 1).astype("timedelta64[D]")
    return (days.astype("datetime64[s]").astype(np.int64) + hour * 3600 + minute * 60 + second).astype(np.float64)


def _decode(blocks: np.ndarray, axes: int, packing: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(first sample's time, acceleration (k, n, 3) in g, angular rate (k, n, 3) in deg/s or None)."""
    rate = 3200.0 / (1 << (15 - (blocks[:, 24].astype(np.int64) & 0x0F)))
    fractional = blocks[:, 4:6].copy().view("<u2")[:, 0].astype(np.int64)
    offset = blocks[:, 26:28].copy().view("<i2")[:, 0].astype(np.float64)
    stamp = _seconds(blocks[:, 14:18].copy().view("<u4")[:, 0])
    has_fraction = (fractional & 0x8000) != 0
    fraction = np.where(has_fraction, ((fractional & 0x7FFF) << 1) / 65536.0, 0.0)
    # the device moved the whole-second time back by the samples the fraction accounts for: undo it
    offset = offset + np.where(has_fraction, np.floor(fraction * rate), 0.0)
    first = stamp + fraction - offset / rate
    payload = blocks[:, 30:510]
    light_scale = blocks[:, 18:20].copy().view("<u2")[:, 0].astype(np.int64)
    if packing == 0:
        words = payload.copy().view("<u4").astype(np.int64)
        exponent = words >> 30
        xyz = [((words >> shift) & 0x3FF) for shift in (0, 10, 20)]
        values = np.stack([np.where(v >= 512, v - 1024, v) << exponent for v in xyz], axis=-1)
        return first, values / 256.0, None
    values = payload.copy().view("<i2").reshape(blocks.shape[0], -1, axes).astype(np.float64)
    acc_scale = 1.0 / (1 << (8 + ((light_scale >> 13) & 0x07)))
    acc = values[:, :, -3:] * acc_scale[:, None, None]
    if axes == 3:
        return first, acc, None
    gyro_range = 8000.0 / (1 << ((light_scale >> 10) & 0x07))
    return first, acc, values[:, :, :3] * (gyro_range / 32768.0)[:, None, None]


def _parts(path: Path, device: DeviceFile, axes_bps: int, rate_code: int) -> Iterator[Part]:
    device.warnings.clear()
    axes, packing = axes_bps >> 4, axes_bps & 0x0F
    per_block = 480 // (4 if packing == 0 else 2 * axes)
    nominal = 3200.0 / (1 << (15 - (rate_code & 0x0F)))
    held: tuple[float, np.ndarray, np.ndarray | None] | None = None  # the last block: it waits for the next's time
    with path.open("rb") as f:
        f.seek(HEADER)
        while True:
            number = (f.tell() - HEADER) // BLOCK  # of the first block read now
            data = f.read(BLOCK * PART_BLOCKS)
            blocks = np.frombuffer(data[:len(data) // BLOCK * BLOCK], np.uint8).reshape(-1, BLOCK)
            keep = _intact(blocks) & (blocks[:, 25] == axes_bps) & ((blocks[:, 24] & 0x0F) == (rate_code & 0x0F))
            device.warnings.extend(f"data block {number + i} fails its checksum or belongs to another recording"
                                   for i in np.flatnonzero(~keep).tolist())
            blocks = blocks[keep]
            if blocks.shape[0]:
                counts = np.minimum(blocks[:, 28:30].copy().view("<u2")[:, 0], per_block).astype(np.int64)
                first, acc, gyr = _decode(blocks, axes, packing)
                pending = [(first[i], acc[i, :counts[i]], None if gyr is None else gyr[i, :counts[i]])
                           for i in range(blocks.shape[0])]
                if held is not None:
                    pending.insert(0, held)
                held = pending.pop()
                if pending:
                    yield _spread(pending, held[0], nominal)
            if not data:
                if held is not None:
                    yield _spread([held], held[0] + held[1].shape[0] / nominal, nominal)
                return


def _spread(blocks: list[tuple[float, np.ndarray, np.ndarray | None]], next_first: float, nominal: float) -> Part:
    """Each block's samples evenly from its first sample's time to the next block's; a step of more than
    twice the nominal block length (a gap in the recording) keeps the nominal rate instead."""
    starts = np.array([b[0] for b in blocks] + [next_first])
    counts = np.array([b[1].shape[0] for b in blocks])
    steps = np.diff(starts) / np.maximum(counts, 1)
    steps = np.where((steps > 0) & (steps < 2.0 / nominal), steps, 1.0 / nominal)
    t = np.concatenate([s + np.arange(n) * d for s, n, d in zip(starts[:-1], counts, steps)])
    acc = np.concatenate([b[1] for b in blocks])
    gyr = None if blocks[0][2] is None else np.concatenate([b[2] for b in blocks])
    return t, acc, gyr
