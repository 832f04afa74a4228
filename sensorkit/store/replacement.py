"""A recording written whole before it replaces anything (``import --force``, ``simulate --force``).

The new recording is built under a temporary name beside the old one and renamed over it only once
it is complete and on disk, so a bad input, a full disk or a kill leaves the old recording as it was,
never an empty or half-written one. Only what :func:`~.recording.check_replaceable` allows is
replaced: a typo in ``-o`` must not destroy someone's other file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Iterator

from ..errors import SensorKitError
from ..files import describe_failure, replacing
from ..samples import RecordingMeta
from .lock import RecordingLock
from .recording import RecordingWriter, check_replaceable, claim_existing, remove_stale_temporaries


@contextlib.contextmanager
def writing_new_recording(
    path: str | os.PathLike[str], meta: RecordingMeta, *, overwrite: bool
) -> Iterator[RecordingWriter]:
    """Yield a writer for the new recording; it takes ``path``'s place only when the block ends well.

    One lock is held on the temporary file from its creation until after its rename: another writer of
    ``path`` sweeps the temporary files of killed writes (:func:`~.recording.remove_stale_temporaries`),
    and takes any unlocked one for such a leftover. The old recording is locked from just before the
    rename until after it, so a recorder that started on it meanwhile is refused, never renamed over.
    """
    out = Path(path)
    if overwrite and out.is_file():
        check_replaceable(out)
    remove_stale_temporaries(out)  # what an import or simulation killed before left
    lock, old = RecordingLock(-1, out), None
    try:
        with replacing(out, overwrite=overwrite, opened=lock.hold) as temp:
            with RecordingWriter(temp, meta, held=True) as writer:
                yield writer
            old = claim_existing(out, overwrite)
    except (OSError, sqlite3.Error) as exc:
        raise SensorKitError(describe_failure(exc, f"write the recording {out}")) from exc
    finally:
        if old is not None:
            old.release()
        lock.release()
