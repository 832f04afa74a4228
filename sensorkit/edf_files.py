"""EDF and BDF files (EDF+/BDF+ continuous) with accelerometer channels, read a part at a time.

Read through pyedflib (``pip install 'sensorkit[formats]'``): the EDFlib C library behind a NumPy
API, BSD-licensed, wheels for every platform, reading EDF, EDF+, BDF and BDF+ and any range of
samples of a channel (``readSignal(channel, start, n)``), so a long file is never held whole.
The channels are found by label (``Accel X``, ``ACC_Y``, ``accelerometer z``, ``X`` with an
acceleration unit; gyroscope the same with ``gyro``/``angular``), their unit by the physical
dimension (``g``, ``mg``, ``m/s^2``; ``deg/s``, ``dps``, ``rad/s``). Times are the header's start
(the recorder's local clock, no zone) plus each sample's number over the channel's rate.
EDF+D (discontinuous) files are refused: their records are not evenly spaced.
"""

from __future__ import annotations

import re
from datetime import timezone
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .device_files import INSTALL, DeviceFile, Part
from .errors import ImportFormatError

PART_SAMPLES = 60_000  # about a CSV chunk's rows
ACC_UNITS = {"g": "g", "mg": "mg", "m/s^2": "m/s2", "m/s2": "m/s2", "m/s²": "m/s2", "m/s/s": "m/s2"}
GYRO_UNITS = {"deg/s": "deg/s", "dps": "deg/s", "°/s": "deg/s", "degree/s": "deg/s", "rad/s": "rad/s"}
ACC_LABEL = re.compile(r"(acc|accel|accelerometer|acceleration)[\s_.\-]*([xyz])\b|\b([xyz])[\s_.\-]*(acc|accel)",
                       re.IGNORECASE)
GYRO_LABEL = re.compile(r"(gyr|gyro|gyroscope|angular[\s_.\-]*rate|ang[\s_.\-]*vel)[\s_.\-]*([xyz])\b", re.IGNORECASE)
AXIS_ONLY = re.compile(r"^\s*([xyz])\s*$", re.IGNORECASE)


def _reader(path: Path) -> Any:
    try:
        import pyedflib
    except ImportError as exc:
        raise ImportFormatError(f"reading EDF/BDF files needs the formats extra: {INSTALL}") from exc
    with path.open("rb") as f:
        header = f.read(256)
    if header[192:197] in (b"EDF+D", b"BDF+D"):
        raise ImportFormatError(f"{path} is a discontinuous EDF+D/BDF+D file, which sensorkit does not read; "
                                "export it as continuous EDF (EDF+C)")
    try:
        return pyedflib.EdfReader(str(path))
    except OSError as exc:
        raise ImportFormatError(f"{path} is not a readable EDF/BDF file ({exc})") from exc


def _channels(reader: Any, pattern: re.Pattern[str], units: dict[str, str]) -> tuple[list[int], str] | None:
    """The x, y, z channel numbers matching ``pattern`` (or labelled X/Y/Z with a unit of ``units``)."""
    found: dict[str, int] = {}
    unit = None
    for i, label in enumerate(reader.getSignalLabels()):
        dimension = reader.getPhysicalDimension(i).strip()
        match = pattern.search(label)
        axis = next((g for g in match.groups() if g and g.lower() in "xyz" and len(g) == 1), None) if match else None
        if axis is None and dimension.lower() in units and AXIS_ONLY.match(label):
            axis = AXIS_ONLY.match(label).group(1)
        if axis is not None and axis.lower() not in found:
            found[axis.lower()] = i
            unit = unit or units.get(dimension.lower()) or units.get(dimension)
    if set(found) != {"x", "y", "z"}:
        return None
    return [found[a] for a in "xyz"], unit or ""


def open_file(path: Path) -> DeviceFile:
    reader = _reader(path)
    try:
        acc = _channels(reader, ACC_LABEL, ACC_UNITS)
        if acc is None:
            listed = ", ".join(f"{label!r} ({reader.getPhysicalDimension(i).strip() or 'no unit'})"
                               for i, label in enumerate(reader.getSignalLabels()))
            raise ImportFormatError(f"{path} has no x, y, z accelerometer channels; its channels are {listed}")
        if not acc[1]:
            raise ImportFormatError(f"{path}: the unit of its accelerometer channels is "
                                    f"{reader.getPhysicalDimension(acc[0][0])!r}; pass --acc-unit")
        rates = {reader.getSampleFrequency(i) for i in acc[0]}
        if len(rates) != 1:
            raise ImportFormatError(f"{path}: its accelerometer channels have different rates ({sorted(rates)} Hz)")
        rate = rates.pop()
        gyr = _channels(reader, GYRO_LABEL, GYRO_UNITS)
        if gyr is not None and ({reader.getSampleFrequency(i) for i in gyr[0]} != {rate} or not gyr[1]):
            gyr = None
        start = reader.getStartdatetime().replace(tzinfo=timezone.utc).timestamp()
    finally:
        reader.close()
    return DeviceFile("edf", gyr is not None, lambda: _parts(path, acc[0], gyr[0] if gyr else None, rate, start),
                      acc_unit=acc[1], gyro_unit=gyr[1] if gyr else "deg/s", rate_hz=rate)


def _parts(path: Path, acc: list[int], gyr: list[int] | None, rate: float, start: float) -> Iterator[Part]:
    reader = _reader(path)
    try:
        total = min(reader.getNSamples()[i] for i in acc + (gyr or []))
        for first in range(0, total, PART_SAMPLES):
            n = min(PART_SAMPLES, total - first)
            a = np.column_stack([reader.readSignal(i, first, n) for i in acc])
            g = None if gyr is None else np.column_stack([reader.readSignal(i, first, n) for i in gyr])
            yield start + (first + np.arange(n)) / rate, a, g
    finally:
        reader.close()
