"""Devices' own files: which reader a file needs, and its samples a part at a time.

A device file is recognised from its first bytes where the format has a signature (Movesense
``SBEM``, EDF/BDF, WitMotion's SD-card packets, Axivity ``MD``), else from its suffix. Each reader
yields parts of (times, acceleration, angular rate) so the importer stores them in blocks as they
come; the readers written here (Axivity ``.cwa``, WitMotion SD, ActiGraph NEO, Movesense SBEM, EDF
through pyedflib) hold one part at a time. ActiGraph ``.gt3x`` (log.bin) and GENEActiv ``.bin`` are
read through actfast (the optional ``formats`` extra: ``pip install 'sensorkit[formats]'``), chosen
because it is one small MIT-licensed wheel (Rust, NumPy its only dependency) that reads them and
recovers what it can of a damaged file: actipy needs a Java runtime, scikit-digital-health brings a
large stack of its own, and pygt3x reads only ``.gt3x`` (and is GPL). actfast has no partial read
(``actfast.read(path)`` returns whole arrays), so those files are held whole while they are imported
(README, "Import and export format", gives the memory per hour of data).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from .errors import ImportFormatError
from .table_reader import Chunk

SUFFIXES = {".cwa": "axivity", ".gt3x": "actigraph", ".bin": "geneactiv", ".json": "movesense",
            ".sbem": "movesense", ".edf": "edf", ".bdf": "edf"}
KINDS = ("axivity", "actigraph", "geneactiv", "movesense", "witmotion", "edf")
PART_SAMPLES = 100_000
INSTALL = "pip install 'sensorkit[formats]'"

Part = tuple["np.ndarray | None", np.ndarray, "np.ndarray | None"]  # times (s) or None, acc (n, 3), gyr (n, 3)


@dataclass
class DeviceFile:
    """One device file, opened: what it holds and how its clock counts.

    ``clock`` is "local" (the device's wall clock with no zone, in UNIX seconds as if UTC), "utc",
    "uptime" (seconds from an unknown start) or "none" (no times at all: ``untimed`` says why, and
    the samples are placed at ``--rate`` from ``--start``). ``warnings`` fill while the parts are read.
    ``rate_hz`` is the recording's nominal rate: a device's clock may pace it a little off (an AX3
    set to 100 Hz logs 98.9 Hz by its own clock), and the times keep what the clock said.
    """

    kind: str
    has_gyro: bool
    parts: Callable[[], Iterator[Part]]
    acc_unit: str = "g"
    gyro_unit: str = "deg/s"
    clock: str = "local"
    untimed: str = ""
    rate_hz: float | None = None  # the rate the device was set to, where the file says it (else estimated)
    warnings: list[str] = field(default_factory=list)


def _head(path: Path, size: int = 64) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(size)
    except OSError:
        return b""


def device_kind(path: Path) -> str | None:
    """The device format of ``path`` by its signature, else by its suffix (None: not a device file)."""
    from . import witmotion_sd

    head = _head(path)
    if head.startswith(b"SBEM"):
        return "movesense"
    if head.startswith(b"\xffBIOSEMI") or head[:8] == b"0       ":
        return "edf"
    if witmotion_sd.recognises(head):
        return "witmotion"
    if head.startswith(b"MD"):
        return "axivity"
    return SUFFIXES.get(path.suffix.lower())


def open_device_file(path: Path, kind: str) -> DeviceFile:
    """The reader for ``kind`` on ``path``; a file that is not what it claims is an ImportFormatError."""
    from . import actigraph_neo, axivity_cwa, edf_files, movesense_files, witmotion_sd

    if kind == "axivity":
        return axivity_cwa.open_file(path)
    if kind == "witmotion":
        return witmotion_sd.open_file(path)
    if kind == "movesense":
        return movesense_files.open_file(path)
    if kind == "edf":
        return edf_files.open_file(path)
    if kind == "actigraph" and actigraph_neo.is_neo(path):
        return actigraph_neo.open_file(path)
    return _actfast_file(path, kind)


def _actfast_file(path: Path, kind: str) -> DeviceFile:
    t, acc, gyr, warnings = _actfast_read(path, kind)

    def parts() -> Iterator[Part]:
        for first in range(0, t.size, PART_SAMPLES):
            part = slice(first, first + PART_SAMPLES)
            yield t[part], acc[part], None if gyr is None else gyr[part]

    return DeviceFile(kind, gyr is not None, parts, warnings=list(warnings))


@lru_cache(maxsize=1)
def _actfast_read(path: Path, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[str, ...]]:
    """Times (UNIX seconds of the device's clock), acceleration (g), angular rate (deg/s) or None, warnings."""
    try:
        import actfast
    except ImportError as exc:
        raise ImportFormatError(f"reading {path.suffix} files needs the formats extra: {INSTALL}") from exc
    try:
        data: dict[str, Any] = actfast.read(str(path), lenient=True)
    except (ValueError, OSError) as exc:
        raise ImportFormatError(f"{path} is not a readable {kind} file ({exc})") from exc
    series = next((s for s in data["timeseries"].values() if "acceleration" in s), None)
    if series is None or len(series["datetime"]) == 0:
        raise ImportFormatError(f"{path} holds no acceleration samples")
    t = series["datetime"].astype(np.float64) / 1e9
    acc = np.asarray(series["acceleration"], dtype=np.float64)
    gyr = np.asarray(series["gyroscope"], dtype=np.float64) if "gyroscope" in series else None
    return t, acc, gyr, tuple(data.get("warnings", []))


def device_chunks(device: DeviceFile) -> Iterator[Chunk]:
    """The samples as table chunks (columns time, ax..az, gx..gz); a sample's 'line' is its number."""
    first = 1
    for t, acc, gyr in device.parts():
        n = acc.shape[0]
        if n == 0:
            continue
        numbers = {name: acc[:, i] for i, name in enumerate(("ax", "ay", "az"))}
        if t is not None:
            numbers["time"] = t
        if gyr is not None:
            numbers.update({name: gyr[:, i] for i, name in enumerate(("gx", "gy", "gz"))})
        yield Chunk(np.arange(first, first + n), numbers, {}, np.zeros(n, bool), np.zeros(n, bool))
        first += n


def load_json(path: Path, what: str) -> Any:
    """A JSON file, or an ImportFormatError saying it is not ``what``."""
    try:
        return json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportFormatError(f"{path} is not {what} ({exc})") from exc
