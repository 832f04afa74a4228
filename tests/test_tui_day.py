"""The day screen shows the signal core's numbers for sample-data/demo.skr, and its keys work (headless)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sensorkit.cli.main import main
from sensorkit.signal.pipeline import analyze
from sensorkit.store import RecordingReader
from sensorkit.tui.app import SensorKitApp
from sensorkit.tui.screens.day import DayScreen
from sensorkit.tui.widgets.bars import Bars
from sensorkit.tui.widgets.hours import HourStrip

DEMO = Path(__file__).resolve().parents[1] / "sample-data" / "demo.skr"


@pytest.fixture(scope="module")
def expected():
    """The summary `sensorkit analyze` computes for the demo day, and its walking bouts."""
    with RecordingReader(DEMO) as reader:
        result = analyze(reader.samples(), reader.meta)
    bouts = [e for e in result.events if e.type == "walking_bout"]
    return result.summary["total"], bouts, len(result.events)


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def _open_day(path: Path, keys: tuple[str, ...] = ()) -> dict:
    """Run the app on a day screen until the analysis is shown, press ``keys``; what the screen showed."""
    app = SensorKitApp(lambda: DayScreen(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        seen = {
            "title": text(screen, "#day-title"),
            "posture": screen.query_one("#posture", Bars).bars,
            "posture_text": text(screen, "#posture"),
            "bands": screen.query_one("#bands", Bars).bars,
            "severity": text(screen, "#severity"),
            "bends": text(screen, "#bend-facts"),
            "walking": text(screen, "#walking"),
            "sitting": text(screen, "#sitting"),
            "hours": screen.query_one("#hours", HourStrip).hours,
            "hours_text": text(screen, "#hours"),
        }
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        seen["screen_after_keys"] = type(app.screen).__name__
    return seen


def test_day_screen_shows_the_signal_summary(expected, tmp_path):
    total, bouts, n_events = expected
    copy = tmp_path / "demo.skr"
    shutil.copy(DEMO, copy)
    seen = asyncio.run(_open_day(copy, keys=("escape", "e")))

    assert "10 min 00 s" in seen["title"] and "no gaps" in seen["title"]
    assert "2025-03-03 08:00 UTC" in seen["title"]
    # time per state: the summary's seconds as shares of the 600 s day; standing excludes walking
    duration = 600.0
    share = {bar.label: bar.share for bar in seen["posture"]}
    posture = total["posture_s"]
    assert share["sitting"] == pytest.approx(posture["sitting"] / duration)
    assert share["walking"] == pytest.approx(total["walking_s"] / duration)
    assert share["standing"] == pytest.approx((posture["standing"] - total["walking_s"]) / duration)
    assert share["lying"] == pytest.approx(posture["lying"] / duration)
    assert f"{100 * posture['sitting'] / duration:.0f} %" in seen["posture_text"]
    bands = total["flexion_band_s"]
    assert seen["bands"][0].share == pytest.approx(bands["0_20"] / sum(bands.values()))
    # bends by severity, per hour, styles
    sev = total["bends"]["by_severity"]
    for name in ("high", "moderate", "low"):
        assert f"{name:<18}" in seen["severity"]
        assert f"{sev[name]}  ({sev[name] * 6:.1f} per hour)" in seen["severity"]
    assert seen["bends"].startswith(f"{total['bends']['count']} bends, {total['bends']['per_hour_of_recording']:.1f} per hour")
    # walking, slouching, sedentary
    assert f"{len(bouts)} bouts, {total['steps']} steps" in seen["walking"]
    assert f"slouching {total['slouch']['episodes']} episodes" in seen["sitting"]
    assert f"sedentary {total['sedentary']['bouts']} bouts" in seen["sitting"]
    # the hour strip: one clock hour holding every bend of the day
    assert len(seen["hours"]) == 1 and seen["hours"][0].bends == total["bends"]["count"] > 0
    assert seen["hours_text"].startswith("08:00")
    # Escape on the first screen stays; e exports the analysed events beside the recording
    assert seen["screen_after_keys"] == "DayScreen"
    exported = pd.read_csv(tmp_path / "demo-events.csv")
    assert len(exported) == n_events
    assert (exported["type"] == "bend").sum() == total["bends"]["count"]


def test_day_screen_names_a_file_it_cannot_show(tmp_path):
    foreign = tmp_path / "notes.skr"
    foreign.write_text("not a recording\n" * 20)
    seen = asyncio.run(_open_day(foreign))
    assert "notes.skr cannot be shown" in seen["title"] and "not a SensorKit recording" in seen["title"]


def test_view_refuses_bad_paths_in_one_sentence(tmp_path, capsys):
    assert main(["view", str(tmp_path / "missing.skr")]) == 1
    foreign = tmp_path / "x.skr"
    foreign.write_bytes(b"\0" * 200)
    assert main(["view", str(foreign)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("sensorkit: error: no recording or folder at")
    assert "is not a SensorKit recording" in err[1]
