"""Devices' own files: which reader a file needs, and its samples a part at a time.

A device file is recognised from its first bytes where the format has a signature (Movesense
``SBEM``, EDF/BDF, WitMotion's SD-card packets, Axivity ``MD``), else from its suffix. Each reader
yields parts of (times, acceleration, angular rate) of about a CSV chunk's rows, so the importer
stores them in blocks as they come and memory does not grow with the recording: Axivity ``.cwa``,
ActiGraph ``.gt3x`` (both layouts), GENEActiv ``.bin``, WitMotion SD cards and Movesense ``.sbem``
are read here from their makers' documentation, EDF/BDF through pyedflib (the optional ``formats``
extra: ``pip install 'sensorkit[formats]'``). actfast, which read .cwa, .gt3x and .bin here before,
has no partial read (``actfast.read(path)`` returns whole arrays: about 17 MB per hour of 100 Hz
data); it stays in the test extra as the reference the readers here are checked against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from .errors import ImportFormatError
from .table_reader import Chunk

SUFFIXES = {".cwa": "axivity", ".gt3x": "actigraph", ".bin": "geneactiv", ".json": "movesense",
            ".sbem": "movesense", ".edf": "edf", ".bdf": "edf"}
KINDS = ("axivity", "actigraph", "geneactiv", "movesense", "witmotion", "edf")
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
    from . import actigraph_gt3x, axivity_cwa, edf_files, geneactiv_bin, movesense_files, witmotion_sd

    if kind == "axivity":
        return axivity_cwa.open_file(path)
    if kind == "witmotion":
        return witmotion_sd.open_file(path)
    if kind == "movesense":
        return movesense_files.open_file(path)
    if kind == "edf":
        return edf_files.open_file(path)
    if kind == "actigraph":
        return actigraph_gt3x.open_file(path)
    return geneactiv_bin.open_file(path)


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
