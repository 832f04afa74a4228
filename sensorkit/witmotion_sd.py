"""WitMotion SD-card logs: binary despite their ``.TXT`` name, read a part at a time.

Two layouts, both little-endian, acceleration int16 / 32768 * 16 g and angular rate
int16 / 32768 * 2000 deg/s (WitMotion's protocol documents):

* the serial protocol of the WT901SD and its kin: 11-byte packets ``0x55 TYPE`` + four int16 +
  a checksum (the low byte of the sum of the first 10 bytes). ``0x51`` is acceleration, ``0x52``
  angular rate, ``0x50`` the chip time (YY MM DD hh mm ss, ms as uint16). A sample is a ``0x51``
  packet, with the ``0x52`` packet that follows it before the next ``0x51``, at the last chip time
  logged. A log with no ``0x50`` packets has no times at all (the device was not set to log them):
  it needs ``--rate`` and ``--start``.
* the WT901SDCL-BT50: 28-byte records ``0x55 0x61`` + nine int16 (acceleration, angular rate,
  angles) + the chip time (YY MM DD hh mm ss, ms as uint16), with no checksum: a record whose time
  is no date is skipped and counted.

The chip time is the device's wall clock, with no zone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from .device_files import DeviceFile, Part
from .errors import ImportFormatError

ACC_G = 16.0 / 32768
GYR_DEG_S = 2000.0 / 32768
PACKET = 11
RECORD = 28
PART_BYTES = 1 << 20
TIME, ACC, GYRO = 0x50, 0x51, 0x52
NO_TIMES = "it is a WitMotion SD-card log without time packets (0x50): the device was not set to log its clock"


def recognises(head: bytes) -> bool:
    """True for the first bytes of either SD-card layout."""
    if head[:2] == b"\x55\x61":
        return len(head) < RECORD + 2 or head[RECORD:RECORD + 2] == b"\x55\x61"
    return (len(head) >= PACKET and head[0] == 0x55 and 0x50 <= head[1] <= 0x5F
            and sum(head[:PACKET - 1]) & 0xFF == head[PACKET - 1])


def open_file(path: Path) -> DeviceFile:
    with path.open("rb") as f:
        head = f.read(PART_BYTES)
    if head[:2] == b"\x55\x61":
        return DeviceFile("witmotion", True, lambda: _record_parts(path))
    packets = _packets(np.frombuffer(head, np.uint8))[0]
    kinds = set(packets[1].tolist())
    if ACC not in kinds:
        raise ImportFormatError(f"{path} is a WitMotion SD-card log without acceleration packets (0x51)")
    timed = TIME in kinds
    return DeviceFile("witmotion", GYRO in kinds, lambda: _packet_parts(path, timed, GYRO in kinds),
                      clock="local" if timed else "none", untimed="" if timed else NO_TIMES)


# -- the 11-byte serial protocol ----------------------------------------------------------------------

def _packets(data: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], int]:
    """(start offsets, types, four int16 values each) of the valid packets in ``data``, and the offset
    where an incomplete packet may begin (the bytes left for the next part)."""
    n = data.size
    if n < PACKET:
        return (np.empty(0, np.int64), np.empty(0, np.uint8), np.empty((0, 4), np.int16)), 0
    sums = np.concatenate([[0], np.cumsum(data, dtype=np.int64)])
    starts = np.arange(n - PACKET + 1)
    valid = ((data[starts] == 0x55) & (data[starts + 1] >= 0x50) & (data[starts + 1] <= 0x5F)
             & (((sums[starts + PACKET - 1] - sums[starts]) & 0xFF) == data[starts + PACKET - 1]))
    found = np.flatnonzero(valid)
    if found.size and np.any(np.diff(found) < PACKET):  # a 0x55 inside a packet also summed right: keep the first
        keep, last = [], -PACKET
        for start in found.tolist():
            if start >= last + PACKET:
                keep.append(start)
                last = start
        found = np.array(keep, dtype=np.int64)
    values = data[found[:, None] + np.arange(2, 10)].reshape(-1, 8).copy().view("<i2").reshape(-1, 4)
    rest = int(found[-1]) + PACKET if found.size else max(0, n - PACKET + 1)
    return (found, data[found + 1], values), rest


def _chip_seconds(values: np.ndarray) -> np.ndarray:
    """UNIX seconds (as if UTC) of chip times: bytes YY MM DD hh mm ss, then ms as uint16."""
    raw = values.copy().view(np.uint8).reshape(-1, 8).astype(np.int64)
    year, month, day, hour, minute, second = (raw[:, i] for i in range(6))
    ms = raw[:, 6] | (raw[:, 7] << 8)
    good = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (hour < 24) & (minute < 60) & (second < 61) \
        & (ms < 1000)
    months = (year * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]") + np.timedelta64(30 * 12, "M")
    days = months.astype("datetime64[D]") + (np.clip(day, 1, 31) - 1).astype("timedelta64[D]")
    seconds = days.astype("datetime64[s]").astype(np.int64) + hour * 3600 + minute * 60 + second + ms / 1000.0
    return np.where(good, seconds, np.nan)


def _packet_parts(path: Path, timed: bool, gyro: bool) -> Iterator[Part]:
    """Each acceleration packet with its cycle's angular rate and the last chip time before it."""
    carry = np.empty(0, np.uint8)
    last_time = np.nan
    with path.open("rb") as f:
        while True:
            block = f.read(PART_BYTES)
            data = np.concatenate([carry, np.frombuffer(block, np.uint8)])
            (starts, kinds, values), rest = _packets(data)
            acc_at = np.flatnonzero(kinds == ACC)
            if block and acc_at.size:  # the last cycle may go on in the next part
                cut = int(acc_at[-1])
                rest = int(starts[cut])
                starts, kinds, values = starts[:cut], kinds[:cut], values[:cut]
                acc_at = acc_at[:-1]
            carry = data[rest:] if block else np.empty(0, np.uint8)
            if acc_at.size:
                yield _cycles(kinds, values, acc_at, last_time if timed else None, gyro)
            if timed and np.any(kinds == TIME):
                last_time = float(_chip_seconds(values[kinds == TIME])[-1])
            if not block:
                return


def _cycles(kinds: np.ndarray, values: np.ndarray, acc_at: np.ndarray, last_time: float | None,
            gyro: bool) -> Part:
    acc = values[acc_at, :3] * ACC_G
    gyr = None
    if gyro:
        gyr_at = np.flatnonzero(kinds == GYRO)
        nxt = np.searchsorted(gyr_at, acc_at)  # the first gyro packet after each acceleration packet
        ends = np.append(acc_at[1:], kinds.size)
        found = np.minimum(nxt, max(gyr_at.size - 1, 0))
        ok = (nxt < gyr_at.size) & (gyr_at[found] < ends) if gyr_at.size else np.zeros(acc_at.size, bool)
        gyr = np.full((acc_at.size, 3), np.nan)
        if gyr_at.size:
            gyr[ok] = values[gyr_at[found[ok]], :3] * GYR_DEG_S
    if last_time is None:
        return None, acc, gyr
    time_at = np.flatnonzero(kinds == TIME)
    stamps = np.concatenate([[last_time], _chip_seconds(values[time_at])]) if time_at.size else np.array([last_time])
    which = np.searchsorted(time_at, acc_at)  # 0: before this part's first time packet
    return stamps[which], acc, gyr


# -- the 28-byte records of the WT901SDCL-BT50 --------------------------------------------------------

def _record_parts(path: Path) -> Iterator[Part]:
    carry = b""
    with path.open("rb") as f:
        while True:
            block = f.read(PART_BYTES)
            data = np.frombuffer(carry + block, np.uint8)
            starts = _record_starts(data)
            complete = starts[starts + RECORD <= data.size]
            if complete.size:
                rows = data[complete[:, None] + np.arange(RECORD)]
                numbers = rows[:, 2:20].copy().view("<i2").reshape(-1, 9)
                t = _chip_seconds(rows[:, 20:28].copy().view("<i2").reshape(-1, 4))
                yield t, numbers[:, 0:3] * ACC_G, numbers[:, 3:6] * GYR_DEG_S
            end = int(complete[-1]) + RECORD if complete.size else 0
            carry = bytes(data[end:]) if block else b""
            if not block:
                return


def _record_starts(data: np.ndarray) -> np.ndarray:
    """Offsets of the records: 0x55 0x61 every 28 bytes, found again after a damaged stretch."""
    marks = np.flatnonzero((data[:-1] == 0x55) & (data[1:] == 0x61))
    if marks.size == 0 or not np.any(np.diff(marks) < RECORD):
        return marks
    keep, last = [], -RECORD
    for start in marks.tolist():
        if start >= last + RECORD:
            keep.append(start)
            last = start
    return np.array(keep, dtype=np.int64)
