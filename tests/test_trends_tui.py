"""The trends screen: `t` on the days screen shows the highlighted patient's weeks; Escape comes back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import DataTable

from sensorkit.trends import folder_trends
from sensorkit.tui.app import SensorKitApp
from sensorkit.tui.screens.days import DaysScreen
from sensorkit.tui.screens.trends import TrendsScreen
from sensorkit.tui.widgets.sparklines import Sparklines, sparkline

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
        seen["last row"] = str(table.get_row_at(table.row_count - 1)[-1])
        await pilot.press(*["down"] * (table.row_count - 1), "t")  # the foreign file: only its reason
        await pilot.pause()
        seen["after t on foreign"] = type(app.screen).__name__
        await pilot.press(*["up"] * (table.row_count - 1), "t")
        await pilot.pause()
        screen = app.screen
        seen["screen"] = type(screen).__name__
        await app.workers.wait_for_complete()
        await pilot.pause()
        weeks = screen.query_one("#trends-table", DataTable)
        seen["weeks"] = [[str(c) for c in weeks.get_row_at(i)][:3] for i in range(weeks.row_count)]
        seen["title"] = str(screen.query_one("#trends-title").render())
        seen["sparks"] = screen.query_one(Sparklines).rows
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
    assert seen["weeks"] == [["2026-W45", "1", "1 min 30 s"], ["2026-W46", "1", "1 min 30 s"],
                             ["2026-W47", "1", "1 min 30 s"]]
    assert seen["title"].startswith("patient P1: 3 days with recordings in 3 weeks, 2026-11-02 to 2026-11-18")
    bends = next(s for s in seen["sparks"] if s.label == "bends")
    assert bends.values == tuple(w.per_day["bends"] for w in expected.weeks)
    assert f"{expected.trends['bends'].slope_per_week:+.1f} /day per week over 3 days" in bends.value
    assert "3 recordings (0 from a saved analysis, 3 analysed now)" in seen["files"]  # P2 is not read
    assert seen["after escape"] == DaysScreen.__name__


def test_sparkline_scales_from_zero_to_the_largest_value():
    assert sparkline([0.0, 5.0, 10.0]) == "▁▅█"
    assert sparkline([0.0, 0.0]) == "▁▁"
    assert sparkline([]) == ""
