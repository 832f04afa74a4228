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

from ..errors import RecordingError, SensorKitError
from ..files import describe_failure, replacing
from ..samples import RecordingMeta
from .lock import in_progress_message, is_in_progress
from .recording import RecordingWriter, check_replaceable, remove_stale_temporaries


@contextlib.contextmanager
def writing_new_recording(
    path: str | os.PathLike[str], meta: RecordingMeta, *, overwrite: bool
) -> Iterator[RecordingWriter]:
    """Yield a writer for the new recording; it takes ``path``'s place only when the block ends well."""
    out = Path(path)
    if overwrite and out.is_file():
        check_replaceable(out)
    remove_stale_temporaries(out)  # what an import or simulation killed before left
    try:
        with replacing(out, overwrite=overwrite) as temp:
            with RecordingWriter(temp, meta, overwrite=True) as writer:
                yield writer
            if overwrite and is_in_progress(out):  # a recorder started on it meanwhile
                raise RecordingError(in_progress_message(out))
    except (OSError, sqlite3.Error) as exc:
        raise SensorKitError(describe_failure(exc, f"write the recording {out}")) from exc
