"""A writer killed mid-transaction leaves a log that only a writer may apply; readers still read.

Found by tests/test_store_faults.py: `analyze --save` killed while its transaction had spilled pages
into the file left a hot rollback journal, and every read-only reader (info, view, analyze) refused
the recording ("attempt to write a readonly database") until some writer opened it.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from sensorkit.simulator import save_simulation, simulate
from sensorkit.store import RecordingReader

KILLED_MID_TRANSACTION = """
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=DELETE"); db.execute("PRAGMA cache_size=5")  # spill pages into the file
db.execute("BEGIN IMMEDIATE")
for _ in range(3000):
    db.execute("INSERT INTO events (type, start, \\"end\\", data) VALUES ('bend', 0, 0, ?)", ("{}" * 50,))
os._exit(0)  # as kill -9: no rollback, no unlock
"""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_hot_journal_is_applied_to_a_private_copy_and_the_recording_is_left_as_it_was(tmp_path):
    path = tmp_path / "day.skr"
    save_simulation(simulate("static", 1, 10.0), path)
    subprocess.run([sys.executable, "-c", KILLED_MID_TRANSACTION, str(path)], check=True)
    journal = Path(str(path) + "-journal")
    assert journal.exists()
    before = (_digest(path), _digest(journal))

    with RecordingReader(path) as reader:
        assert reader.sample_count() == 1000
        assert reader.events() == []  # the killed transaction's rows are rolled back, as SQLite will

    assert (_digest(path), _digest(journal)) == before  # readers never write
