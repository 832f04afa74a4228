"""Files read whole: research accelerometers' own (Axivity ``.cwa``, ActiGraph ``.gt3x``, GENEActiv
``.bin``) and Movesense's JSON logs.

Read through actfast (the optional ``formats`` extra: ``pip install 'sensorkit[formats]'``), chosen
over the alternatives because it is one small MIT-licensed wheel (Rust, NumPy its only dependency)
that reads all three formats, checks the Axivity block checksums and recovers what it can of a
damaged file: actipy needs a Java runtime, scikit-digital-health brings a large stack of its own,
and pygt3x reads only ``.gt3x`` (and is GPL). actfast returns whole arrays, so these files are read
whole (then checked and stored in blocks like every other import); their times are the device's
local clock with no zone.

Not read: ActiGraph's old NEO ``.gt3x`` layout (``activity.bin``, before 2014), which actfast does
not support; ActiLife's CSV export of such a file imports instead.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .errors import ImportFormatError
from .table_reader import Chunk

SUFFIXES = {".cwa": "axivity", ".gt3x": "actigraph", ".bin": "geneactiv", ".json": "movesense"}
CHUNK_SAMPLES = 100_000
INSTALL = "pip install 'sensorkit[formats]'"


@lru_cache(maxsize=1)
def read_device_file(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[str, ...]]:
    """Times (UNIX seconds of the device's clock; Movesense: its uptime), acceleration (g; Movesense:
    m/s^2), angular rate (deg/s) or None, warnings."""
    if path.suffix.lower() == ".json":
        return _movesense_log(path)
    try:
        import actfast
    except ImportError as exc:
        raise ImportFormatError(f"reading {path.suffix} files needs the formats extra: {INSTALL}") from exc
    try:
        data: dict[str, Any] = actfast.read(str(path), lenient=True)
    except (ValueError, OSError) as exc:
        if "log.bin" in str(exc):
            raise ImportFormatError(
                f"{path} is an ActiGraph .gt3x of the old NEO layout (before 2014), which sensorkit cannot read: "
                "export it from ActiLife as CSV and import that") from exc
        raise ImportFormatError(f"{path} is not a readable {SUFFIXES[path.suffix.lower()]} file ({exc})") from exc
    series = next((s for s in data["timeseries"].values() if "acceleration" in s), None)
    if series is None or len(series["datetime"]) == 0:
        raise ImportFormatError(f"{path} holds no acceleration samples")
    t = series["datetime"].astype(np.float64) / 1e9
    acc = np.asarray(series["acceleration"], dtype=np.float64)
    gyr = np.asarray(series["gyroscope"], dtype=np.float64) if "gyroscope" in series else None
    return t, acc, gyr, tuple(data.get("warnings", []))


def _movesense_log(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[str, ...]]:
    """A Movesense logbook entry as JSON (``{"Meas": {"IMU9": [packet, ...]}}``): each packet holds a few
    samples and the sensor's uptime (ms) of its first one, so the samples between are spaced by the
    median packet step over the samples per packet."""
    try:
        packets = next(v for k, v in json.loads(path.read_bytes())["Meas"].items() if k.startswith(("IMU", "Acc")))
        timestamps = np.array([p["Timestamp"] for p in packets], dtype=np.float64) / 1000.0
        acc = [np.array([[s["x"], s["y"], s["z"]] for s in p["ArrayAcc"]], dtype=np.float64) for p in packets]
        gyr = ([np.array([[s["x"], s["y"], s["z"]] for s in p["ArrayGyro"]], dtype=np.float64) for p in packets]
               if "ArrayGyro" in packets[0] else None)
    except (ValueError, KeyError, TypeError, StopIteration, IndexError, UnicodeDecodeError) as exc:
        raise ImportFormatError(f"{path} is not a Movesense JSON log (a 'Meas' tree of IMU or Acc packets; "
                                f"{type(exc).__name__}: {exc})") from exc
    per_packet = np.array([a.shape[0] for a in acc])
    period = float(np.median(np.diff(timestamps) / per_packet[:-1])) if len(packets) > 1 else 0.01
    t = np.concatenate([ts + np.arange(n) * period for ts, n in zip(timestamps, per_packet)])
    return t, np.concatenate(acc), None if gyr is None else np.concatenate(gyr), ()


def device_chunks(path: Path) -> Iterator[Chunk]:
    """The samples as table chunks (columns time, ax..az, gx..gz); a sample's 'line' is its number."""
    t, acc, gyr, _ = read_device_file(path)
    for first in range(0, t.size, CHUNK_SAMPLES):
        part = slice(first, first + CHUNK_SAMPLES)
        n = t[part].size
        numbers = {"time": t[part], **{name: acc[part, i] for i, name in enumerate(("ax", "ay", "az"))}}
        if gyr is not None:
            numbers.update({name: gyr[part, i] for i, name in enumerate(("gx", "gy", "gz"))})
        yield Chunk(np.arange(first + 1, first + n + 1), numbers, {}, np.zeros(n, bool), np.zeros(n, bool))
