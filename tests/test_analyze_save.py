"""`sensorkit analyze` leaves recordings alone unless told to --save, and then stores what it printed."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from sensorkit.cli.main import main
from sensorkit.store import RecordingReader

DEMO = Path(__file__).resolve().parents[1] / "sample-data" / "demo.skr"


def test_analyze_without_save_changes_nothing_and_with_save_stores_the_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "day.skr"
    shutil.copy(DEMO, rec)
    before = hashlib.sha256(rec.read_bytes()).hexdigest()
    assert main(["analyze", str(rec), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert hashlib.sha256(rec.read_bytes()).hexdigest() == before

    assert main(["analyze", str(rec), "--json", "--save"]) == 0
    with RecordingReader(rec) as reader:
        stored = [e.to_json() for e in reader.events()]
        summaries = reader.summaries()
    assert len(stored) == len(printed["events"]) > 0
    assert {e["type"] for e in stored} == {e["type"] for e in printed["events"]}
    assert summaries["analysis"] == printed["summary"]

    assert main(["analyze", str(rec), "--save"]) == 0  # a second save replaces, never duplicates
    with RecordingReader(rec) as reader:
        assert reader.event_count() == len(stored)


def test_save_refuses_csv_inputs(tmp_path: Path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text("time,acc_x,acc_y,acc_z\n" + "".join(f"{i / 50},0,0,1\n" for i in range(200)))
    assert main(["analyze", str(csv), "--save"]) == 1
