"""The on-disk recording store (SQLite + compressed sample blocks); see :mod:`.recording`."""

from .recording import RecordingReader, RecordingWriter

__all__ = ["RecordingReader", "RecordingWriter"]
