"""OS and SQLite failures as one sentence a person can act on (a full disk is not a bug to report)."""

from __future__ import annotations

import sqlite3

from ..files import describe_os_error

# SQLite reports the OS's trouble in its own words; these are the ones a user can do something about.
_SQLITE_REMEDIES = (
    ("disk is full", "the disk is full (or the file-size limit, ulimit -f, was reached); free some space and try again"),
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
