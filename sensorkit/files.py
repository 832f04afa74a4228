"""Files written without destroying what was there, and kept private to their owner.

A command that replaces a file (a recording on ``--force``, a profile, an export) writes the new
content under a temporary name in the same folder, flushes it to disk and only then renames it over
the old one. A crash, a full disk or a failed import therefore leaves either the old file or the
new one, whole, never a half-written or emptied file. Everything SensorKit writes is health data,
so files are created 0600 and folders 0700. When a write fails anyway (a full disk, a read-only
folder), the OS's or SQLite's error becomes one sentence saying what to do (:func:`describe_failure`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import stat
import tempfile
from pathlib import Path
from typing import Callable, Iterator

from .errors import SensorKitError

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def make_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and missing parents) readable by its owner only; an existing folder is kept."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    except OSError as exc:
        raise SensorKitError(describe_os_error(exc, f"create the folder {folder}")) from exc
    return folder


def require_regular_file(path: str | os.PathLike[str], what: str = "file") -> Path:
    """Refuse a FIFO, socket, device or folder before anything opens it (a FIFO would hang a read)."""
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise SensorKitError(f"no {what} at {p}") from None
    except OSError as exc:
        raise SensorKitError(describe_os_error(exc, f"read {p}")) from exc
    if stat.S_ISDIR(mode):
        raise SensorKitError(f"{p} is a folder, not a {what}")
    if not stat.S_ISREG(mode):
        raise SensorKitError(f"{p} is not a regular file (a pipe or device?), so it cannot be a {what}")
    return p


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str], *, overwrite: bool,
              opened: Callable[[int, Path], None] | None = None) -> Iterator[Path]:
    """Yield a private temporary path beside ``path``; on success it is synced and renamed over ``path``.

    On any failure (an exception, including KeyboardInterrupt) the temporary file and its SQLite side
    files are removed and ``path`` is untouched. ``overwrite=False`` refuses an existing ``path``, also
    one that appears while the block runs (the rename is then a hard link, which never clobbers).
    ``path``'s SQLite side files are removed: an old database's log must not be applied to the new file. ``opened(fd, temp)``, when given, receives the temporary file's open descriptor
    before the block runs and owns it from then on (the store locks it, so the new recording is held
    by its writer from its first byte to its end and a live temporary file is told from one a killed
    process left); without it the descriptor is closed at once.
    """
    target = Path(path)
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise SensorKitError(f"{target} already exists (choose another name or pass --force)")
        if not target.is_file():
            raise SensorKitError(f"{target} exists and is not a regular file; it will not be replaced")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise SensorKitError(f"folder {folder} does not exist (create it first or choose another path)")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)  # 0600
    except OSError as exc:
        raise SensorKitError(describe_os_error(exc, f"write to {folder}")) from exc
    temp = Path(name)
    try:
        if opened is None:
            os.close(fd)  # the caller opens it by name (SQLite, pandas, ...)
        else:
            opened(fd, temp)
        yield temp
        fsync_path(temp)
        _rename(temp, target, overwrite)
        fsync_path(folder)
    except BaseException:
        for suffix in ("",) + SQLITE_SIDE_FILES:
            Path(str(temp) + suffix).unlink(missing_ok=True)
        raise


def _rename(temp: Path, target: Path, overwrite: bool) -> None:
    """``temp`` becomes ``target``; without ``overwrite`` never over a file that appeared meanwhile."""
    if overwrite:
        _remove_side_files(target)
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)  # fails if target exists, where a plain rename would clobber it
    except FileExistsError:
        raise SensorKitError(f"{target} already exists (choose another name or pass --force)") from None
    except OSError:  # no hard links on this file system (FAT): the check-then-rename of before
        if target.exists():
            raise SensorKitError(f"{target} already exists (choose another name or pass --force)") from None
        os.replace(temp, target)
    else:
        temp.unlink()
    _remove_side_files(target)  # a deleted database's leftover log, never a live one: target is new


@contextlib.contextmanager
def replacing_folder(path: str | os.PathLike[str], *, overwrite: bool) -> Iterator[Path]:
    """Yield a new private folder beside ``path``; on success its files are made private, synced, and it
    is renamed onto ``path``: the folder twin of :func:`replacing` (a cohort's Parquet dataset).

    A folder cannot be renamed over a non-empty one, so the old ``path`` (a folder or a file) is first
    moved aside into a private folder of its own, the new folder renamed in, and only then is the old
    one deleted; if the second rename fails the old one is moved back. On any failure the new folder
    is removed and ``path`` is as it was. ``overwrite=False`` refuses an existing ``path``.
    """
    target = Path(path)
    _refuse_existing(target, overwrite)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        new = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=folder))  # 0700
    except OSError as exc:
        raise SensorKitError(describe_os_error(exc, f"write to {folder}")) from exc
    try:
        yield new
        _make_private_and_sync(new)
        _refuse_existing(target, overwrite)  # one that appeared while the block ran
        _rename_folder(new, target)
        fsync_path(folder)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise


def _refuse_existing(target: Path, overwrite: bool) -> None:
    if not overwrite and (target.exists() or target.is_symlink()):
        raise SensorKitError(f"{target} already exists (choose another name or pass --force)")


def _make_private_and_sync(folder: Path) -> None:
    """Health data: every file 0600 and folder 0700, each file on disk before the rename publishes it."""
    for root, _dirs, names in os.walk(folder):
        os.chmod(root, PRIVATE_DIR_MODE)
        for name in names:
            os.chmod(Path(root) / name, PRIVATE_FILE_MODE)
            fsync_path(Path(root) / name)


def _rename_folder(new: Path, target: Path) -> None:
    """``new`` becomes ``target``; an old ``target`` is deleted only once ``new`` is in its place."""
    if not (target.exists() or target.is_symlink()):
        os.rename(new, target)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=new.parent))
    old, replaced = aside / target.name, False
    try:
        os.rename(target, old)
        try:
            os.rename(new, target)
            replaced = True
        except BaseException:
            os.rename(old, target)
            raise
    finally:
        if replaced:
            shutil.rmtree(aside, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                aside.rmdir()  # empty, unless the old one could not be moved back: then it stays there


def _remove_side_files(path: Path) -> None:
    for suffix in SQLITE_SIDE_FILES:
        Path(str(path) + suffix).unlink(missing_ok=True)


def write_bytes(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically (old content kept whole if anything fails)."""
    try:
        with replacing(path, overwrite=overwrite) as temp:
            temp.write_bytes(data)
    except OSError as exc:
        raise SensorKitError(describe_os_error(exc, f"write {path}")) from exc


def write_text(path: str | os.PathLike[str], text: str, *, overwrite: bool = True) -> None:
    write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def fsync_path(path: Path) -> None:
    """Flush a file (or a folder's entry list) to disk; folders cannot be opened on Windows."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:
        if path.is_dir():
            return
        raise
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_REMEDIES = {
    errno.ENOSPC: "the disk is full; free some space and try again",
    errno.EDQUOT: "your disk quota is used up; free some space and try again",
    errno.EFBIG: "the file would exceed this system's file-size limit (ulimit -f)",
    errno.EACCES: "permission denied; check the file's and folder's owner and permissions",
    errno.EPERM: "operation not permitted; check the file's and folder's owner and permissions",
    errno.EROFS: "the folder is on a read-only disk; choose a writable folder",
    errno.ENOENT: "it does not exist; check the path",
    errno.ENOTDIR: "a part of the path is not a folder; check the path",
    errno.EISDIR: "it is a folder; give a file name",
    errno.EIO: "the disk reported an input/output error; check the disk",
}


def describe_os_error(exc: OSError, action: str) -> str:
    """One sentence a person can act on: what failed and what to do (never a raw errno dump)."""
    remedy = _REMEDIES.get(exc.errno or 0, exc.strerror or str(exc))
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) not in action else ""
    return f"cannot {action}{where}: {remedy}"


# SQLite reports the OS's trouble in its own words; these are the ones a user can do something about.
_SQLITE_REMEDIES = (
    ("disk is full", "the disk is full (or the file-size limit, ulimit -f, was reached); "
                     "free some space and try again"),
    ("readonly", "the file or its folder is read-only; choose a writable folder"),
    ("unable to open", "the file or its folder cannot be opened; check the path and its permissions"),
    ("locked", "another program is using the recording; wait for it to finish and try again"),
    # SQLite says "disk I/O error" for a full disk and for a write past ulimit -f as well as for a failing disk
    ("disk i/o error", "the disk refused the write (full, over the file-size limit, or failing); "
                       "free some space and check the disk"),
    ("malformed", "the file is damaged"),
    ("not a database", "the file is damaged or not a SensorKit recording"),
)


def describe_failure(exc: OSError | sqlite3.Error, action: str) -> str:
    """``cannot <action>: <what to do>`` for an OSError or an SQLite error."""
    if isinstance(exc, OSError):
        return describe_os_error(exc, action)
    text = str(exc).lower()
    remedy = next((r for key, r in _SQLITE_REMEDIES if key in text), f"SQLite said {exc}")
    return f"cannot {action}: {remedy}"
