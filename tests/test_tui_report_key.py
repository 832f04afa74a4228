"""`r` on the day and trends screens writes the therapist's report (sensorkit report's HTML) beside what it shows."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from sensorkit.tui.app import SensorKitApp
from sensorkit.tui.screens.day import DayScreen
from sensorkit.tui.screens.days import DaysScreen

from test_trends_folder import build_folder

pytest.importorskip("matplotlib", reason="the report extra (matplotlib) draws the charts")

DEMO = Path(__file__).resolve().parents[1] / "sample-data" / "demo.skr"


async def press_r(make, keys: tuple[str, ...] = ()) -> list[str]:
    """Open a screen, press ``keys`` then ``r``, wait for every worker; the notices shown."""
    app = SensorKitApp(make)
    async with app.run_test(size=(100, 30)) as pilot:
        for key in (*keys, "r", "r"):  # twice: the second report takes the next free name
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press(key)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        return [n.message for n in app._notifications]


def test_r_on_the_day_screen_writes_the_days_report(tmp_path):
    rec = tmp_path / "demo.skr"
    shutil.copy(DEMO, rec)
    notices = asyncio.run(press_r(lambda: DayScreen(rec)))
    assert f"wrote the report to {tmp_path / 'demo-report-2.html'}" in notices  # the first notice may have timed out
    assert (tmp_path / "demo-report.html").stat().st_size > 10_000
    html = (tmp_path / "demo-report.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and "2025-03-03" in html


def test_r_on_the_trends_screen_writes_the_patients_report(tmp_path):
    build_folder(tmp_path, {"P1": ["2026-11-02T09:00:00Z", "2026-11-10T09:00:00Z"]})
    notices = asyncio.run(press_r(lambda: DaysScreen(tmp_path), keys=("t",)))
    assert f"wrote the report to {tmp_path / 'P1-report-2.html'}" in notices
    html = (tmp_path / "P1-report.html").read_text()
    assert "P1" in html and "2026-11-02" in html and "2026-11-10" in html
