"""`simulate --force` replaces a recording only once the new one is whole (issue 15: never destroy)."""

from __future__ import annotations

import errno

import pytest

from sensorkit.cli.main import main
from sensorkit.errors import SensorKitError
from sensorkit.simulator import save_simulation, simulate
from sensorkit.store import RecordingReader, RecordingWriter


def _samples(path) -> int:
    with RecordingReader(path) as reader:
        return reader.sample_count()


def test_a_failing_forced_simulation_keeps_the_old_recording(tmp_path, monkeypatch):
    out = tmp_path / "day.skr"
    assert main(["simulate", "--scenario", "static", "--duration", "20", "-o", str(out)]) == 0
    before = _samples(out)

    def disk_full(self, name, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(RecordingWriter, "put_attachment", disk_full)
    with pytest.raises(SensorKitError, match="disk is full"):
        save_simulation(simulate("static", 2, 40.0), out, overwrite=True)
    assert _samples(out) == before  # the old recording, whole
    assert [p.name for p in tmp_path.iterdir()] == ["day.skr"]  # no temporary file left behind


def test_simulate_force_refuses_to_replace_a_file_that_is_not_a_recording(tmp_path, capsys):
    out = tmp_path / "notes.txt"
    out.write_text("my notes")
    assert main(["simulate", "--scenario", "static", "--duration", "20", "--force", "-o", str(out)]) == 1
    assert "will not be replaced" in capsys.readouterr().err
    assert out.read_text() == "my notes"
