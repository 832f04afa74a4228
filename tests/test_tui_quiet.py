"""Snooze and pause on the live screen (s, p): the alert policy holds alerts, the recording keeps the requests."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from sensorkit.cli.record import check_session_arguments, run_session
from sensorkit.store import RecordingReader
from sensorkit.tui.app import SensorKitApp
from sensorkit.tui.screens.live import LiveScreen


async def _snooze_and_pause(out: Path) -> dict:
    args = argparse.Namespace(device=None, emulate="sensorkit", scenario="demo", from_recording=None, seed=0,
                              duration=60.0, fault=None, speed=10.0, rate=100.0, force=False, output=str(out))
    screen = LiveScreen(lambda attach: run_session(args, check_session_arguments(args), on_collector=attach), "quiet")
    app = SensorKitApp(lambda: screen)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(400):  # until the session is connected and streaming
            await pilot.pause(0.05)
            if screen._live is not None and screen._live._last_t is not None:
                break
        await pilot.press("s")
        await pilot.pause(0.3)
        await pilot.press("p")
        await pilot.pause(0.3)
        shown = list(screen.alerts)
        await app.workers.wait_for_complete()
        await pilot.pause()
        return {"shown": shown, "ended": screen.ended}


def test_s_snoozes_and_p_pauses_alerts_live_and_both_are_recorded(tmp_path):
    out = tmp_path / "quiet.skr"
    seen = asyncio.run(_snooze_and_pause(out))
    assert seen["ended"] is not None and seen["ended"].error is None
    assert any("alerts snoozed for 30 min" in line for line in seen["shown"])
    assert any("alerts paused (p to resume)" in line for line in seen["shown"])
    with RecordingReader(out) as reader:
        types = [e.type for e in reader.events()]
        held = [e for e in reader.events("alert_held")]
    assert types.count("alerts_snoozed") == 1 and types.count("alerts_paused") == 1
    assert "alert" not in types and held  # the demo's deep bend at ~15 s is held back, not lost


async def _vibrating(out: Path) -> dict:
    args = argparse.Namespace(device=None, emulate="sensorkit", scenario="demo", from_recording=None, seed=0,
                              duration=60.0, fault=None, speed=20.0, rate=100.0, force=False, output=str(out))
    screen = LiveScreen(lambda attach: run_session(args, check_session_arguments(args), on_collector=attach),
                        "vibrate", vibrate=True)
    app = SensorKitApp(lambda: screen)
    async with app.run_test(size=(100, 30)):
        await app.workers.wait_for_complete()
        return {"ended": screen.ended}


def test_the_live_screen_buzzes_the_sensor_per_alert_when_asked(tmp_path):
    out = tmp_path / "vibrate.skr"
    ended = asyncio.run(_vibrating(out))["ended"]
    assert ended is not None and ended.error is None
    with RecordingReader(out) as reader:
        alerts = [e for e in reader.events("alert") if e.start < 58]
    assert alerts and len(ended.result.emulator.feedback) == len(alerts)
