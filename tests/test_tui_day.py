"""The day screen shows the signal core's numbers for sample-data/demo.skr, and its keys work (headless)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pandas as pd
import pytest
from textual.widgets import DataTable

from sensorkit.cli.main import main
from sensorkit.signal.pipeline import analyze
from sensorkit.store import RecordingReader, RecordingWriter
from sensorkit.tui.format import count, duration as format_duration
from sensorkit.tui.screens.day import KEY_FIGURES
from sensorkit.tui.widgets.bars import Bars
from sensorkit.tui.widgets.hours import HourStrip
from tui_pilot import day_screen_shown

DEMO = Path(__file__).resolve().parents[1] / "sample-data" / "demo.skr"


@pytest.fixture(scope="module")
def expected():
    """The summary `sensorkit analyze` computes for the demo day, and its walking bouts."""
    with RecordingReader(DEMO) as reader:
        result = analyze(reader.samples(), reader.meta)
    bouts = [e for e in result.events if e.type == "walking_bout"]
    sitting_slouch = sum(e.end - e.start for e in result.events if e.type == "slouch" and e.fields["posture"] == "sitting")
    return result.summary["total"], bouts, len(result.events), sitting_slouch


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def _open_day(path: Path, keys: tuple[str, ...] = ()) -> dict:
    """Run the app on a day screen until the analysis is shown, press ``keys``; what the screen showed."""
    async with day_screen_shown(path) as (app, pilot):
        screen = app.screen
        seen = {
            "title": text(screen, "#day-title"),
            "span": text(screen, "#day-span"),
            "posture": screen.query_one("#posture", Bars).bars,
            "posture_text": text(screen, "#posture"),
            "bands": screen.query_one("#bands", Bars).bars,
            "severity": text(screen, "#severity"),
            "bends": text(screen, "#bend-facts"),
            "walking": text(screen, "#walking"),
            "sitting": text(screen, "#sitting"),
            "hours": screen.query_one("#hours", HourStrip).hours,
            "hours_text": text(screen, "#hours"),
            "figures": {key: text(screen, f"#figure-{key}") for key in KEY_FIGURES},
        }
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        seen["screen_after_keys"] = type(app.screen).__name__
    return seen


def test_day_screen_shows_the_signal_summary(expected, tmp_path):
    total, bouts, n_events, sitting_slouch = expected
    copy = tmp_path / "demo.skr"
    shutil.copy(DEMO, copy)
    seen = asyncio.run(_open_day(copy, keys=("escape", "right", "e")))

    assert "10 min 00 s" in seen["title"] and "no gaps" in seen["title"]
    assert seen["span"] == ""  # one day: no day stepping
    assert "2025-03-03 08:00 UTC" in seen["title"]
    # time per state: the summary's seconds as shares of the 600 s day; standing excludes walking
    duration = 600.0
    share = {bar.label: bar.share for bar in seen["posture"]}
    posture = total["posture_s"]
    # sitting split: slouched is the slouch episodes while sitting, upright the rest of the sitting time
    assert sitting_slouch > 0
    assert share["sitting slouched"] == pytest.approx(sitting_slouch / duration, abs=1e-3)
    assert share["sitting upright"] + share["sitting slouched"] == pytest.approx(posture["sitting"] / duration)
    assert share["walking"] == pytest.approx(total["walking_s"] / duration)
    assert share["standing"] == pytest.approx((posture["standing"] - total["walking_s"]) / duration)
    assert share["lying"] == pytest.approx(posture["lying"] / duration)
    assert f"{100 * (posture['sitting'] - sitting_slouch) / duration:.0f} %" in seen["posture_text"]
    bands = total["flexion_band_s"]
    assert seen["bands"][0].share == pytest.approx(bands["0_20"] / sum(bands.values()))
    # bends by severity, per hour, styles
    sev = total["bends"]["by_severity"]
    for name in ("high", "moderate", "low"):
        assert f"{name:<18}" in seen["severity"]
        assert f"{sev[name]}  ({sev[name] * 6:.1f} per hour)" in seen["severity"]
    assert seen["bends"].startswith(f"{count(total['bends']['count'], 'bend')}, {total['bends']['per_hour_worn']:.1f} per hour")
    # walking, slouching, sedentary
    assert f"{count(len(bouts), 'bout')}, {count(total['steps'], 'step')} in" in seen["walking"]
    assert f"slouching {count(total['slouch']['episodes'], 'episode')}" in seen["sitting"]
    assert f"sedentary {count(total['sedentary']['bouts'], 'bout')}" in seen["sitting"]
    # the four key figures: time slouched, high-risk bends, walking, alerts
    figures = seen["figures"]
    assert figures["slouched"].splitlines()[:2] == ["Time slouched", format_duration(total["slouch"]["total_s"])]
    assert f"{round(100 * sitting_slouch / posture['sitting'])} % of sitting" in figures["slouched"]
    sev = total["bends"]["by_severity"]
    assert figures["high-bends"].splitlines()[1] == f"{sev['high']} of {total['bends']['count']}"
    assert figures["walking"].splitlines()[1:] == [format_duration(total["walking_s"]), f"{total['steps']} steps"]
    assert figures["alerts"].splitlines()[1] == str(sum(total["alerts"].values())) == "1"
    # the hour strip: one clock hour holding every bend of the day
    assert len(seen["hours"]) == 1 and seen["hours"][0].bends == total["bends"]["count"] > 0
    assert seen["hours_text"].startswith("08:00")
    # Escape on the first screen stays, right (next day) does nothing; e exports the analysed events
    assert seen["screen_after_keys"] == "DayScreen"
    exported = pd.read_csv(tmp_path / "demo-events.csv")
    assert len(exported) == n_events
    assert (exported["type"] == "bend").sum() == total["bends"]["count"]


async def _step_days(path: Path) -> list[dict]:
    """Open ``path``, then press right three times; the span line, bends and hours after each press."""
    seen = []
    async with day_screen_shown(path) as (app, pilot):
        for press in (None, "right", "right", "right", "left"):
            if press:
                await pilot.press(press)
                await pilot.pause()
            screen = app.screen
            seen.append({"span": text(screen, "#day-span"), "bends": text(screen, "#bend-facts"),
                         "walking": text(screen, "#walking"),
                         "posture": {b.label: b.share for b in screen.query_one("#posture", Bars).bars},
                         "hours": [h.start.strftime("%d %H") for h in screen.query_one("#hours", HourStrip).hours]})
    return seen


def test_a_recording_over_midnight_steps_through_its_days(tmp_path):
    with RecordingReader(DEMO) as reader:
        block, meta = reader.samples(), reader.meta
    meta = meta.with_changes(start_time="2025-03-03T23:55:00+00:00")  # the 10 min demo, over midnight
    night = tmp_path / "night.skr"
    with RecordingWriter(night, meta) as writer:
        writer.append(block)
    days = analyze(block, meta).summary["days"]
    assert [d["date"] for d in days] == ["2025-03-03", "2025-03-04"]

    seen = asyncio.run(_step_days(night))
    whole, first, second, back_to_whole, back = seen
    assert whole["span"].startswith("showing whole recording") and whole["hours"] == ["03 23", "04 00"]
    assert first["span"].startswith("showing 2025-03-03, day 1 of 2") and first["hours"] == ["03 23"]
    assert second["span"].startswith("showing 2025-03-04, day 2 of 2") and second["hours"] == ["04 00"]
    assert back_to_whole["span"] == whole["span"] and back["span"] == second["span"]
    # each day's bars add up to that day (the summary puts a posture period into the day it starts)
    for shown in (whole, first, second):
        assert sum(shown["posture"].values()) == pytest.approx(1.0, abs=0.01)
    assert first["posture"]["not classified"] < 0.01 and second["posture"]["not classified"] < 0.01
    for shown, day in ((first, days[0]), (second, days[1])):
        assert shown["bends"].startswith(f"{count(day['bends']['count'], 'bend')},")
        assert f"{count(day.get('steps', 0), 'step')} in" in shown["walking"] or "walking_s" not in day


async def _list_episodes(path: Path) -> dict:
    async with day_screen_shown(path) as (app, pilot):
        await pilot.press("l")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        seen = {"screen": type(app.screen).__name__,
                "rows": [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]}
        await pilot.press("escape")
        await pilot.pause()
        seen["after escape"] = type(app.screen).__name__
    return seen


def test_episodes_list_the_days_bends_slouches_bouts_and_alerts_in_time_order(expected, tmp_path):
    total, bouts, _, _ = expected
    shutil.copy(DEMO, tmp_path / "demo.skr")  # the first view saves its analysis into the recording
    seen = asyncio.run(_list_episodes(tmp_path / "demo.skr"))
    assert seen["screen"] == "EpisodesScreen" and seen["after escape"] == "DayScreen"
    rows = seen["rows"]
    what = [r[1] for r in rows]
    assert what.count("bend") == total["bends"]["count"]
    assert what.count("slouch") == total["slouch"]["episodes"]
    assert what.count("sedentary bout") == total["sedentary"]["bouts"]
    assert what.count("walking bout") == len(bouts)
    assert what.count("alert") == sum(total["alerts"].values())
    assert [r[0] for r in rows] == sorted(r[0] for r in rows) and rows[0][0].startswith("08:")
    walks = [r for r in rows if r[1] == "walking bout"]
    assert walks[0][3] == f"{bouts[0].fields['steps']} steps, {bouts[0].fields['cadence_spm']:.0f} steps/min"
    high = sum(r[1] == "bend" and r[3].startswith("high") for r in rows)
    assert high == total["bends"]["by_severity"]["high"]


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


async def _layout(width: int, path: Path) -> dict:
    async with day_screen_shown(path, (width, 30)) as (app, pilot):
        screen = app.screen
        time_panel, back_panel = screen.query_one("#day-time").region, screen.query_one("#day-back").region
        posture = screen.query_one("#posture", Bars)
        return {"narrow": screen.has_class("-narrow"), "stacked": back_panel.y > time_panel.y,
                "rows": len(posture.bars), "height": posture.region.height,
                "widest": max(len(line) for line in text(screen, "#posture").splitlines())}


def test_narrow_terminals_stack_the_panels_and_bars_never_wrap(tmp_path):
    shutil.copy(DEMO, tmp_path / "demo.skr")
    narrow, wide = asyncio.run(_layout(80, tmp_path / "demo.skr")), asyncio.run(_layout(120, tmp_path / "demo.skr"))
    assert narrow["narrow"] and narrow["stacked"] and not wide["narrow"] and not wide["stacked"]
    for seen, width in ((narrow, 80), (wide, 120)):
        assert seen["height"] == seen["rows"] == 6  # one line per bar
        assert seen["widest"] <= width
