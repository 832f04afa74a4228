"""The on-disk recording store (SQLite + compressed sample blocks); see :mod:`.recording`."""

from .lock import is_in_progress
from .recording import RECORDED_EVENT_TYPES, LostBlock, RecordingReader, RecordingWriter
from .replacement import writing_new_recording

__all__ = ["RECORDED_EVENT_TYPES", "LostBlock", "RecordingReader", "RecordingWriter", "is_in_progress",
           "writing_new_recording"]
