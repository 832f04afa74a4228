"""The recordings in a folder (the days screen, trends): one entry per file, readable or not.

A therapist's folder typically holds one sub-folder per patient, so files directly in the folder and
one level below are listed. Only the header and metadata of each file are read (no samples), so a
folder of many day-long recordings lists in well under a second. A file that is not a readable
SensorKit recording is still listed, with the store's one-sentence reason, so nothing silently
disappears from a patient's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

from ..errors import RecordingError, SensorKitError
from ..samples import start_datetime
from .recording import RecordingReader

# SQLite's side files of a recording being written (or left by a crash): part of the recording beside them.
SIDE_FILE_SUFFIXES = ("-wal", "-shm", "-journal")
# What `sensorkit report` (and the `r` key) writes beside the recordings: documents, never a recording, so
# they are not listed as "not a readable recording".
REPORT_SUFFIXES = (".html", ".pdf")


@dataclass
class Entry:
    """One file: its metadata when readable, else ``error`` (a sentence saying why not)."""

    path: Path
    name: str  # relative to the listed folder
    patient: str = ""
    start: datetime | None = None
    duration_s: float | None = None
    device: str = ""
    link: str = ""  # the collector's account (gaps, reconnects) for a Bluetooth recording, else ""
    error: str | None = None
    first_s: float = 0.0  # the first sample's time after ``start``: the data span from start + first_s
    timezone: str = ""  # the zone stored with the recording ("" when none was)

    @property
    def readable(self) -> bool:
        return self.error is None


def candidate_files(folder: Path) -> list[Path]:
    """Files in ``folder`` and its sub-folders (one level), without hidden files and SQLite side files.

    A sub-folder that cannot be listed is returned itself, so it shows up with the reason; so is a
    symbolic link that leads out of ``folder``, which is never followed (a link to /etc would
    otherwise have every file there opened as a would-be recording).
    """
    root = _real(folder)
    found: list[Path] = []
    for child in _listing(folder):
        if child.name.startswith("."):
            continue
        if _leaves(child, root):
            found.append(child)
        elif child.is_dir():
            try:
                found += [f for f in _listing(child) if _wanted(f) and (_leaves(f, root) or f.is_file())]
            except RecordingError:
                found.append(child)
        elif child.is_file() and _wanted(child):
            found.append(child)
    return found


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop
        return path.absolute()


def _leaves(path: Path, root: Path) -> bool:
    """True for a symbolic link whose target is outside ``root`` (or cannot be resolved)."""
    if not path.is_symlink():
        return False
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # dangling or a loop: nothing to follow
        return True
    return not target.is_relative_to(root)


def _listing(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError as exc:
        raise RecordingError(f"cannot list {folder} ({exc.strerror or exc})") from exc


def _wanted(path: Path) -> bool:
    name = path.name
    return not name.startswith(".") and not name.endswith(SIDE_FILE_SUFFIXES) and \
        not name.lower().endswith(REPORT_SUFFIXES)


def describe(path: Path, folder: Path) -> Entry:
    """The entry for one file; never raises for a bad file."""
    name = str(path.relative_to(folder))
    if _leaves(path, _real(folder)):
        return Entry(path, name, error=f"{name} is a link to outside {folder} (or to nothing); not followed")
    if path.is_dir():  # a sub-folder that could not be listed: say why
        try:
            _listing(path)
        except RecordingError as exc:
            return Entry(path, name, error=_relative(str(exc), path, name))
        return Entry(path, name, error=f"{name} could not be listed")
    try:
        with RecordingReader(path) as reader:
            meta = reader.meta
            span = reader.time_span()
    except SensorKitError as exc:
        return Entry(path, name, error=_relative(str(exc), path, name))
    except (OSError, ValueError, TypeError, KeyError) as exc:  # unreadable file or malformed metadata
        return Entry(path, name, error=f"cannot be read ({type(exc).__name__}: {exc})")
    # the patient: as stored, else the sub-folder the file sits in (one folder per patient)
    patient = meta.patient_id or (path.parent.name if path.parent != folder else "")
    device = " ".join(part for part in (meta.device_kind, meta.device_name) if part)
    duration = None if span is None else span[1] - span[0] + 1.0 / meta.rate_hz
    return Entry(path, name, patient, start_datetime(meta.start_time), duration, device, _link(meta.extra.get("collector")),
                 first_s=0.0 if span is None else span[0], timezone=meta.timezone)


def _link(stats: object) -> str:
    """``3 gaps, 1 reconnect`` from the collector statistics stored at the end of a recording session."""
    if not isinstance(stats, dict) or "gaps" not in stats:
        return ""
    gaps, reconnects = int(stats.get("gaps", 0)), int(stats.get("reconnects", 0))
    return f"{gaps} gap{'' if gaps == 1 else 's'}, {reconnects} reconnect{'' if reconnects == 1 else 's'}"


def _relative(message: str, path: Path, name: str) -> str:
    """The store's sentence names the full path; the list already shows the file, so shorten it."""
    return message.replace(str(path), name)


def scan(folder: str | Path) -> list[Entry]:
    """Every candidate file in ``folder``: readable recordings by patient and start, then the others."""
    folder = Path(folder)
    return in_listing_order(describe(f, folder) for f in candidate_files(folder))


def in_listing_order(entries: Iterable[Entry]) -> list[Entry]:
    """Readable recordings by patient and start, then the others."""
    return sorted(entries, key=lambda e: (not e.readable, e.patient, e.start.isoformat() if e.start else "", e.name))
