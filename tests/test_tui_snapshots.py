"""The screens at 80x24, 100x30 and 160x45: nothing cut without a scroll hint, the key numbers first.

Day, days, trends, episodes and live screens.

Each screen is rendered headless (Textual's pilot) to text, the way a terminal of that size shows it.
The checks hold on every Textual version: no bar or strip row cut short, no header phrase broken
across lines, every scrollable part that holds more than it shows named by the hint line, and at
80x24 the day's four key figures (time slouched, high-risk bends, walking, alerts) on the first
screen. The text dumps in tests/snapshots/tui/ are the reviewed pictures: with the Textual version
they were made with, a screen must render exactly as committed (regenerate after a reviewed change with
``SENSORKIT_UPDATE_SNAPSHOTS=1 pytest tests/test_tui_snapshots.py`` and read the diff).
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
import textual
from rich.console import Console
from textual.containers import ScrollableContainer
from textual.widgets import DataTable

from sensorkit.signal.saved_analysis import analysis_for
from sensorkit.simulator import save_simulation, simulate
from sensorkit.tui.app import SensorKitApp
from sensorkit.tui.format import duration
from sensorkit.tui.screens.day import DayScreen
from sensorkit.tui.screens.days import DaysScreen
from sensorkit.tui.widgets.bars import Bars
from sensorkit.tui.widgets.hours import HourLegend, HourStrip
from sensorkit.tui.widgets.phrases import Phrases
from sensorkit.tui.widgets.scroll_hint import ScrollHint

SIZES = ((80, 24), (100, 30), (160, 45))
SNAPSHOTS = Path(__file__).parent / "snapshots" / "tui"
DEMO = Path(__file__).resolve().parents[1] / "sample-data" / "demo.skr"


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 h office day of patient P01 (Berlin time), a folder with it and a copy, four weeks of another patient."""
    root = tmp_path_factory.mktemp("snapshots")
    sim = simulate("office", 3, duration_s=7200, rate_hz=25, patient_id="P01", timezone="Europe/Berlin")
    save_simulation(sim, root / "office.skr")
    (root / "clinic" / "P01").mkdir(parents=True)
    shutil.copy(root / "office.skr", root / "clinic" / "P01" / "2025-03-03-office-morning.skr")
    (root / "clinic" / "notes.txt").write_text("not a recording\n")
    weeks = root / "weeks" / "P02"
    weeks.mkdir(parents=True)
    for i in range(20):  # 4 weeks, Monday to Friday
        day = date(2026, 11, 2) + timedelta(days=7 * (i // 5) + i % 5)
        sim = simulate("demo", i, duration_s=90, rate_hz=25, patient_id="P02")
        sim.meta = sim.meta.with_changes(start_time=f"{day}T09:00:00Z")
        save_simulation(sim, weeks / f"{day}.skr")
        analysis_for(weeks / f"{day}.skr")  # saved, as record or import leave them: every size reads the same
    return root


def screen_text(app: SensorKitApp) -> str:
    """The screen as plain text, one line per terminal row (what `export_screenshot` draws, without colour)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def problems(app: SensorKitApp) -> list[str]:
    """What is cut without a hint on the current screen."""
    screen, found = app.screen, []
    for widget in [*screen.query(Bars), *screen.query(HourStrip), *screen.query(HourLegend)]:
        if "…" in str(widget.render()):
            found.append(f"{widget.id}: a row cut short")
    for widget in screen.query(Phrases):
        lines = str(widget.render()).splitlines()
        for phrase in (p for line in widget.lines for p in line):
            if not any(phrase in line for line in lines):
                found.append(f"{widget.id}: {phrase!r} broken across lines")
    hint = " ".join(str(h.render()) for h in screen.query(ScrollHint))
    for widget in [*screen.query(ScrollableContainer), *screen.query(DataTable)]:
        if not widget.display or widget.region.height == 0:
            continue
        if widget.max_scroll_y > widget.scroll_y and "more below" not in hint:
            found.append(f"{widget.id}: more below, no hint")
        if widget.max_scroll_x > widget.scroll_x and "more columns" not in hint:
            found.append(f"{widget.id}: more to the right, no hint")
    return found


async def render(make, size: tuple[int, int], keys: tuple[str, ...] = ()) -> tuple[str, list[str]]:
    app = SensorKitApp(make)
    async with app.run_test(size=size) as pilot:
        for key in (None, *keys):
            if key:
                await pilot.press(key)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.pause(0.3)  # the hint line follows the layout
        return screen_text(app), problems(app)


def check_snapshot(name: str, text: str) -> None:
    """Equal to the committed dump made with this Textual version; rewritten when asked to."""
    path = SNAPSHOTS / f"{name}.txt"
    stamp = f"textual {textual.__version__}\n"
    if os.environ.get("SENSORKIT_UPDATE_SNAPSHOTS"):
        path.write_text(stamp + text + "\n")
    committed = path.read_text()
    if committed.startswith(stamp):
        assert committed == stamp + text + "\n", f"{path.name} changed: review, then regenerate (module docstring)"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_day_screen(place, size, monkeypatch):
    monkeypatch.chdir(place)
    text, found = asyncio.run(render(lambda: DayScreen("office.skr"), size))
    assert found == []
    check_snapshot(f"day-{size[0]}x{size[1]}", text)
    if size == (80, 24):  # the four key figures, with their numbers, on the first screen
        from sensorkit.store import RecordingReader
        from sensorkit.signal.pipeline import analyze

        with RecordingReader("office.skr") as reader:
            total = analyze(reader.samples(), reader.meta).summary["total"]
        first = text.splitlines()
        for label, number in (("Time slouched", duration(total["slouch"]["total_s"])),
                              ("High-risk bends", f"{total['bends']['by_severity']['high']} of {total['bends']['count']}"),
                              ("Walking", duration(total["walking_s"])),
                              ("Alerts", str(sum(total["alerts"].values())))):
            row = next(i for i, line in enumerate(first) if label in line)
            column = first[row].index(label)
            assert first[row + 1][column:].startswith(number), (label, number, first[row + 1])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_days_screen(place, size, monkeypatch):
    monkeypatch.chdir(place)
    text, found = asyncio.run(render(lambda: DaysScreen("clinic"), size))
    assert found == []
    assert "P01/2025-03-03-office-morning.skr" in text  # the file column is never the one cut
    check_snapshot(f"days-{size[0]}x{size[1]}", text)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_trends_screen(place, size, monkeypatch):
    monkeypatch.chdir(place)
    text, found = asyncio.run(render(lambda: DaysScreen("weeks"), size, keys=("t",)))
    assert found == []
    assert "high-risk bends" in text and "alerts" in text  # every metric row, at every size
    check_snapshot(f"trends-{size[0]}x{size[1]}", text)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_episodes_screen(place, size, monkeypatch):
    monkeypatch.chdir(place)
    text, found = asyncio.run(render(lambda: DayScreen("office.skr"), size, keys=("l",)))
    assert found == []
    assert "episodes: office.skr, whole recording" in text
    check_snapshot(f"episodes-{size[0]}x{size[1]}", text)


async def render_live(size: tuple[int, int]) -> tuple[str, list[str]]:
    """The live screen an hour into a session, after four alerts (no sensor: messages fed as LiveFeed sends them)."""
    from sensorkit.events import Event
    from sensorkit.tui.live_feed import LiveSnapshot
    from sensorkit.tui.screens.live import LiveScreen

    screen = LiveScreen(None, "monitor today.skr")
    app = SensorKitApp(lambda: screen)
    seconds = {"aligning": 20.0, "walking": 900.0, "bending": 40.0, "slouched_sitting": 600.0,
               "upright_sitting": 1500.0, "standing": 540.0}
    counts = {"bends": 12, "high_bends": 3, "slouches": 5, "alerts": 4, "walking_bouts": 4, "steps": 1280}
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for k in range(4):
            screen.post_message(LiveScreen.Notice(Event("alert", 3000.0 + 120 * k, 3000.0 + 120 * k, {
                "alert": "slouch", "message": "You have been slouching for a while: sit up, or stand and move."})))
        screen.post_message(LiveScreen.Update(LiveSnapshot(3600.0, "slouched_sitting", 14.0, False, counts, seconds)))
        await pilot.pause()
        await pilot.pause(0.3)
        return screen_text(app), problems(app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_live_screen(size):
    text, found = asyncio.run(render_live(size))
    assert found == []
    assert "SITTING, SLOUCHED" in text and "p Pause alerts" in text  # the state, and every key in the footer
    check_snapshot(f"live-{size[0]}x{size[1]}", text)
