"""The trends screen: `t` on the days screen shows the highlighted patient's weeks; Escape comes back."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from textual.widgets import DataTable

from sensorkit.trends import folder_trends
from sensorkit.tui.app import SensorKitApp
from sensorkit.tui.screens.days import DaysScreen
from sensorkit.tui.screens.trends import TrendsScreen
from sensorkit.tui.widgets.sparklines import daily, sparkline

from test_trends_folder import build_folder

STARTS = {
    "P1": ["2026-11-02T09:00:00Z", "2026-11-10T09:00:00Z", "2026-11-18T09:00:00Z"],
    "P2": ["2026-11-03T08:00:00Z"],
}


async def _walk(folder: Path) -> dict[str, object]:
    app = SensorKitApp(lambda: DaysScreen(folder))
    seen: dict[str, object] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        seen["last row"] = str(table.get_row_at(table.row_count - 1)[0])
        await pilot.press(*["down"] * (table.row_count - 1), "t")  # the foreign file: only its reason
        await pilot.pause()
        seen["after t on foreign"] = type(app.screen).__name__
        await pilot.press(*["up"] * (table.row_count - 1), "t")
        await pilot.pause()
        screen = app.screen
        seen["screen"] = type(screen).__name__
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = screen.query_one("#trends-table", DataTable)
        seen["columns"] = [str(c.label) for c in table.columns.values()]
        seen["rows"] = {str(table.get_row_at(i)[0]): [str(c) for c in table.get_row_at(i)] for i in range(table.row_count)}
        seen["title"] = str(screen.query_one("#trends-title").render())
        seen["files"] = str(screen.query_one("#trends-files").render())
        await pilot.press("escape")
        await pilot.pause()
        seen["after escape"] = type(app.screen).__name__
    return seen


def test_trends_screen_shows_the_patients_weeks_and_comes_back(tmp_path):
    build_folder(tmp_path, STARTS)
    (tmp_path / "zz-notes.txt").write_text("not a recording\n")
    seen = asyncio.run(_walk(tmp_path))
    expected = folder_trends(tmp_path, patient="P1").patients[0]

    assert seen["last row"] == "zz-notes.txt" and seen["after t on foreign"] == DaysScreen.__name__
    assert seen["screen"] == TrendsScreen.__name__
    # metrics as rows: a daily sparkline from 2 to 18 Nov (blanks where no recording), the trend, weeks newest first
    assert seen["columns"] == ["metric", "each day 02 Nov - 18 Nov", "trend", "W47 (1 d)", "W46 (1 d)", "W45 (1 d)"]
    assert seen["rows"]["worn"] == ["worn", "█       █       █", "0/wk", "2 min", "2 min", "2 min"]
    bends = seen["rows"]["bends"]
    daily = [d.metrics["bends"] for d in expected.days]
    assert bends[1] == sparkline([daily[0], *[None] * 7, daily[1], *[None] * 7, daily[2]])
    assert bends[3:] == [f"{w.per_day['bends']:.1f}" for w in reversed(expected.weeks)]
    slope = expected.trends["bends"].slope_per_week
    assert bends[2] == (f"{slope:+.1f}/wk" if round(slope, 1) else "0/wk")
    assert seen["title"].startswith("patient P1: 3 days with recordings in 3 weeks, 2026-11-02 to 2026-11-18")
    assert "3 recordings (0 from a saved analysis, 3 analysed now)" in seen["files"]  # P2 is not read
    assert seen["after escape"] == DaysScreen.__name__


def test_sparkline_scales_from_zero_to_the_largest_value_so_a_flat_series_looks_flat():
    assert sparkline([0.0, 5.0, 10.0]) == "▁▅█"
    assert sparkline([0.0, 0.0]) == "▁▁"
    assert sparkline([]) == ""
    assert sparkline([100.0, 101.0, 99.0, None, 100.0]) == "███ █"  # steady: flat; a day without data: blank
    assert daily({date(2026, 11, 2): 1.0, date(2026, 11, 4): 3.0}, date(2026, 11, 2), date(2026, 11, 4)) == [1.0, None, 3.0]


def test_the_trends_screen_saves_what_it_analysed_so_the_next_t_reads_saved_summaries(tmp_path, monkeypatch):
    import sensorkit.signal.pipeline as pipeline

    build_folder(tmp_path, {"P1": STARTS["P1"]})
    first = asyncio.run(_walk(tmp_path))
    assert "3 recordings (0 from a saved analysis, 3 analysed now)" in first["files"]
    monkeypatch.setattr(pipeline, "analyze", lambda *a, **k: (_ for _ in ()).throw(AssertionError("analysed again")))
    again = asyncio.run(_walk(tmp_path))
    assert "3 recordings (3 from a saved analysis, 0 analysed now)" in again["files"]
    assert again["rows"] == first["rows"]
