"""The days screen lists a folder (one sub-folder deep), names foreign files, opens a day and comes back."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import numpy as np
from textual.widgets import DataTable

from sensorkit.samples import RecordingMeta, SampleBlock
from sensorkit.store import RecordingWriter
from sensorkit.tui.app import SensorKitApp
from sensorkit.store.catalog import scan
from sensorkit.tui.screens.day import DayScreen
from sensorkit.tui.screens.days import DaysScreen

DEMO = Path(__file__).resolve().parents[1] / "sample-data" / "demo.skr"


def _folder(tmp_path: Path) -> Path:
    """A therapist's folder: one patient sub-folder with a recording, a foreign file, WAL side files, reports."""
    (tmp_path / "P007").mkdir()
    shutil.copy(DEMO, tmp_path / "P007" / "monday.skr")
    (tmp_path / "P007" / "monday.skr-wal").write_bytes(b"")  # side file: part of the recording, not listed
    (tmp_path / "notes.txt").write_text("bring the sensor on Monday\n")
    (tmp_path / "P007" / "monday-report.html").write_text("<html></html>")  # what `r` writes: not listed
    (tmp_path / "P007-report.PDF").write_bytes(b"%PDF-1.4\n")
    (tmp_path / "P007" / "deep").mkdir()
    shutil.copy(DEMO, tmp_path / "P007" / "deep" / "too-deep.skr")  # two levels down: not listed
    return tmp_path


def _bluetooth_recording(path: Path) -> None:
    """A short recording as the collector leaves it: patient set, collector statistics in the metadata."""
    meta = RecordingMeta(rate_hz=50.0, start_time="2025-03-04T07:30:00Z", device_kind="polar",
                         device_name="Polar H10 1234", patient_id="P009", has_gyro=False)
    t = np.arange(500) / 50.0
    with RecordingWriter(path, meta) as writer:
        writer.append(SampleBlock(t, np.tile([0.0, 0.0, 9.81], (500, 1))))
        writer.set_extra("collector", {"gaps": 3, "samples_lost": 40, "reconnects": 1})


def test_catalog_lists_recordings_and_foreign_files(tmp_path):
    entries = scan(_folder(tmp_path))
    assert [e.name for e in entries] == ["P007/monday.skr", "notes.txt"]
    good, foreign = entries
    assert good.readable and good.patient == "P007" and good.duration_s == 600.0
    assert good.start is not None and good.start.isoformat() == "2025-03-03T08:00:00+00:00"
    assert good.device == "simulator simulated demo"
    assert not foreign.readable and foreign.error == "notes.txt is not a SensorKit recording (unknown file format)"
    assert good.link == ""  # simulated: no collector account

    _bluetooth_recording(tmp_path / "P007" / "tuesday.skr")  # its stored patient id wins over the folder's name
    entries = scan(tmp_path)
    assert [(e.name, e.patient) for e in entries[:2]] == [("P007/monday.skr", "P007"), ("P007/tuesday.skr", "P009")]
    assert entries[1].link == "3 gaps, 1 reconnect" and entries[1].duration_s == 10.0
    assert entries[1].device == "polar Polar H10 1234"


async def _walk(folder: Path) -> list[tuple[str, object]]:
    app = SensorKitApp(lambda: DaysScreen(folder))
    seen: list[tuple[str, object]] = []
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        seen.append(("rows", [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]))
        await pilot.press("down")  # the foreign file: its reason shows under the table
        seen.append(("reason", str(app.screen.query_one("#days-reason").render())))
        await pilot.press("enter")  # does not open anything
        await pilot.pause()
        seen.append(("after enter on foreign", type(app.screen).__name__))
        await pilot.press("up", "enter")
        await pilot.pause()
        seen.append(("after enter", type(app.screen).__name__))
        await app.workers.wait_for_complete()
        await pilot.pause()
        seen.append(("day title", str(app.screen.query_one("#day-title").render())))
        await pilot.press("escape")
        await pilot.pause()
        seen.append(("after escape", type(app.screen).__name__))
    return seen


def test_days_screen_opens_a_day_and_comes_back(tmp_path):
    seen = dict(asyncio.run(_walk(_folder(tmp_path))))
    assert seen["rows"] == [
        ["P007/monday.skr", "P007", "2025-03-03 08:00 UTC", "10 min 00 s", "simulator simulated demo", "-"],
        ["notes.txt", "-", "-", "-", "not a readable recording", "-"],
    ]
    assert seen["reason"] == "notes.txt is not a SensorKit recording (unknown file format)"
    assert seen["after enter on foreign"] == DaysScreen.__name__
    assert seen["after enter"] == DayScreen.__name__
    assert "10 min 00 s" in seen["day title"]
    assert seen["after escape"] == DaysScreen.__name__


def test_the_days_screen_names_a_copied_recording(tmp_path):
    folder = _folder(tmp_path)
    copy = folder / "P007" / "monday-again.skr"
    shutil.copy(DEMO, copy)
    later = (folder / "P007" / "monday.skr").stat().st_mtime + 60
    os.utime(copy, (later, later))  # the newer of two identical files is the copy

    async def walk() -> tuple[str, list[str]]:
        app = SensorKitApp(lambda: DaysScreen(folder))
        async with app.run_test(size=(140, 30)) as pilot:
            await pilot.pause()
            reasons = []
            for _ in range(2):
                reasons.append(str(app.screen.query_one("#days-reason").render()))
                await pilot.press("down")
            return str(app.screen.query_one("#days-title").render()), reasons

    title, reasons = asyncio.run(walk())
    assert "1 overlapping another (counted once in trends)" in title
    assert reasons == ["P007/monday-again.skr overlaps P007/monday.skr by 10.0 min: a duplicate, not counted", ""]
