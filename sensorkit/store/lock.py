"""The mark of a recording in progress: an exclusive ``flock`` held on the recording file by its writer.

Why a lock on the file itself rather than a lock file beside it: the operating system releases it
when the writer ends in any way (``kill -9``, a crash, a power cut), so a stale lock can never keep a
patient's recording closed, and there is no extra file to copy, forget or clean up. ``flock`` locks
are separate from the POSIX byte-range locks SQLite uses on the same file, so they do not disturb it.
A second writer (``record --force``, ``import --force``, ``analyze --save``) asks for the same lock
without waiting and is refused while the recorder holds it. Readers never take it: reading during a
recording stays possible. Where ``flock`` does not exist (Windows) the lock is a no-op.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import RecordingError

try:
    import fcntl
except ImportError:  # Windows: no flock; recordings are not protected against a second writer there
    fcntl = None  # type: ignore[assignment]


class RecordingLock:
    """An open descriptor of the recording holding the writer's exclusive lock until :meth:`release`."""

    def __init__(self, fd: int, path: Path):
        self.fd, self.path = fd, path

    @classmethod
    def claim(cls, path: Path, fd: int) -> "RecordingLock":
        """Take the lock on the open file ``fd`` (closed on refusal), or say who holds it."""
        lock = cls(-1, path)
        lock.hold(fd, path)
        return lock

    def hold(self, fd: int, file: Path) -> None:
        """Lock the open file ``fd`` and keep it (``file`` names it in the refusal; ``fd`` is closed then).
        The hook of :func:`sensorkit.files.replacing` that holds a new recording from its temporary file on.

        A file cannot be opened and locked in one step: in between, another writer may remove it (a new
        temporary file looks like a killed write's leftover until it is locked) or rename a new recording
        over it. The lock is kept only if ``file`` still names the locked file, else writing by name would
        go to an unlocked file, or into another writer's."""
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise RecordingError(in_progress_message(file)) from None
            except OSError:  # a file system without flock (some network or FUSE mounts): record unprotected
                pass
            else:
                _require_still_named(fd, file)
        self.fd = fd

    def release(self) -> None:
        """Close the descriptor (which drops the lock); call only after SQLite has closed the file."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _require_still_named(fd: int, file: Path) -> None:
    """Close ``fd`` and refuse when ``file`` no longer names it (removed or replaced since it was opened)."""
    try:
        same = os.path.samestat(os.fstat(fd), os.stat(file))
    except OSError:
        same = False
    if not same:
        os.close(fd)
        raise RecordingError(f"{file} was removed or replaced by another program while it was being "
                             "opened; try again")


def in_progress_message(path: Path) -> str:
    return (f"{path} is being recorded right now by another sensorkit command; "
            "wait until that recording ends (or stop it), or choose another name")


def is_in_progress(path: str | os.PathLike[str]) -> bool:
    """Whether a writer holds ``path`` now (e.g. before ``import --force`` renames a new file over it)."""
    return _lock_free(path) is False


def is_abandoned(path: str | os.PathLike[str]) -> bool:
    """Whether no process holds ``path``, known for sure: False where one does, and where the file
    system cannot tell (no flock: Windows, some network mounts), so a live file is never taken for dead."""
    return _lock_free(path) is True


def _lock_free(path: str | os.PathLike[str]) -> bool | None:
    """True when ``path``'s lock could be taken (it is released at once), False when a process holds it,
    None when nobody can tell (no such file, no flock here)."""
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # not lockable (a pipe on some systems, a mount without flock)
        return None
    finally:
        os.close(fd)
    return True
