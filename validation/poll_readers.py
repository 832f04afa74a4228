"""A reader that keeps opening recordings while they are written: the other process of the reader trials.

    python validation/poll_readers.py FOLDER PATTERN STOPFILE poll|hold

Opens every file of FOLDER matching PATTERN (a glob) and counts its samples, over and over, until
STOPFILE exists; ``hold`` keeps every reader open (a viewer left running), ``poll`` closes each at once.
A recording's end must be clean either way (validation/store_faults.py, tests/test_store_reliability.py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sensorkit.errors import SensorKitError
from sensorkit.store import RecordingReader


def main(folder: Path, pattern: str, stop: Path, hold: bool) -> None:
    held = []
    while not stop.exists():
        for path in sorted(folder.glob(pattern)):
            try:
                reader = RecordingReader(path)
                reader.sample_count()
                held.append(reader) if hold else reader.close()
            except SensorKitError:
                pass
        time.sleep(0.002)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4] == "hold")
