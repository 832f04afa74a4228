"""Walking that was not measured (a sensor too slow for step detection) is shown as not measured, never as
0 s / 0 steps: in trends (JSON null, Parquet null), the report's figures and the day screen."""

from __future__ import annotations

import asyncio
import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sensorkit.cli.main import main
from sensorkit.cohort import write_dataset
from sensorkit.signal.evaluate import at_rate
from sensorkit.simulator import save_simulation, simulate
from sensorkit.trends import day_metrics, folder_trends, not_measured
from sensorkit.tui.report import load_day
from sensorkit.tui.screens.day import key_figures, posture_bars, walking_text
from tui_pilot import day_screen_shown

WITMOTION_8_7_HZ = Path("formats") / "witmotion" / "python_sdk_txt" / "20220705190138.txt"
WHY_8_7 = "not measured (8.7 Hz is below the 10 Hz step detection needs)"
WHY_9 = "not measured (9 Hz is below the 10 Hz step detection needs)"


def trends_json(folder: Path, capsys: pytest.CaptureFixture[str], *tz: str) -> dict:
    capsys.readouterr()
    assert main(["trends", str(folder), "--json", *tz]) == 0
    return json.loads(capsys.readouterr().out)


def figures(html: str, day: str | None = None) -> dict[str, tuple[str, str]]:
    """``data-metric`` -> (data-value, shown text), of one day's article or of the whole page."""
    if day is not None:
        html = html[html.index(f'data-date="{day}"'):]
        html = html[:html.index("</article>")]
    return {m: (v, text) for m, v, text in re.findall(r'data-metric="([^"]+)" data-value="([^"]*)">([^<]*)<', html)}


def walk_sim(rate_hz: float, start: str, seed: int):
    sim = simulate("walk", seed=seed, duration_s=120, rate_hz=50.0, patient_id="P1", timezone="UTC",
                   start=datetime.fromisoformat(start).replace(tzinfo=timezone.utc))
    return at_rate(sim, rate_hz)


def test_a_real_witmotion_day_shows_walking_not_measured(shared_data: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    recording = tmp_path / "P1" / "witmotion.skr"
    recording.parent.mkdir()
    assert main(["import", str(shared_data / WITMOTION_8_7_HZ), "-o", str(recording)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(recording), "--json"]) == 0
    total = json.loads(capsys.readouterr().out)["summary"]["total"]

    doc = trends_json(tmp_path, capsys)
    assert [(f["source"], f["gait"]) for f in doc["files"]] == [
        ("stored", "not run: 8.7 Hz is below the 10 Hz step detection needs")]  # from the saved analysis
    (day,) = doc["patients"][0]["days"]
    assert day["walking_s"] is None and day["steps"] is None
    assert day["standing_s"] == total["posture_s"]["standing"] > 15.0  # walking not taken out of standing
    assert day["bends"] == total["bends"]["count"] == 3
    (week,) = doc["patients"][0]["weeks"]
    assert week["days"] == 1 and week["measured_days"] == {"walking_s": 0, "steps": 0}
    assert week["totals"]["walking_s"] is None and week["per_day"]["steps"] is None
    assert doc["patients"][0]["trends"]["walking_s"]["days"] == 0

    assert main(["trends", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert re.search(rf"{day['week']} +1 .* n/a .* n/a ", printed)
    assert "walking measured on 0 of 1 days\n" in printed
    assert f"  P1/witmotion.skr: {WHY_8_7}" in printed

    out = tmp_path / "report.html"
    assert main(["report", str(recording), "-o", str(out), "-q"]) == 0
    html = out.read_text()
    shown = figures(html, day["date"])
    for metric in ("walking_s", "steps", "walking_bouts"):
        assert shown[metric] == ("", WHY_8_7)
    assert shown["standing_s"][0] == repr(total["posture_s"]["standing"]) and shown["bends"][0] == "3"
    assert figures(html)["mean_walking_s"] == ("", "not measured")

    report = load_day(recording)
    assert report.gait.startswith("not run: 8.7 Hz")
    (span,) = report.spans()
    assert walking_text(span) == f"{WHY_8_7}; standing includes any walking"
    assert key_figures(span)["walking"] == "Walking\n[b]not measured[/b]\nsensor too slow"
    assert [b.value for b in posture_bars(span) if b.label == "walking"] == ["not measured"]
    assert asyncio.run(day_screen_walking(recording)) == f"{WHY_8_7}; standing includes any walking"


async def day_screen_walking(path: Path) -> str:
    async with day_screen_shown(path) as (app, pilot):
        return str(app.screen.query_one("#walking").render())


def test_a_week_with_a_slow_day_averages_walking_over_the_measured_day(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "clinic"
    (folder / "P1").mkdir(parents=True)
    save_simulation(walk_sim(50.0, "2025-03-03T09:00", 1), folder / "P1" / "monday.skr")
    save_simulation(walk_sim(9.0, "2025-03-04T09:00", 2), folder / "P1" / "tuesday.skr")

    doc = trends_json(folder, capsys, "--tz", "UTC")
    monday, tuesday = doc["patients"][0]["days"]
    assert monday["walking_s"] > 30.0 and monday["steps"] > 50  # a two-minute walk, measured
    assert tuesday["walking_s"] is None and tuesday["steps"] is None and tuesday["standing_s"] > 60.0
    (week,) = doc["patients"][0]["weeks"]
    assert week["days"] == 2 and week["measured_days"] == {"walking_s": 1, "steps": 1}
    assert week["totals"]["steps"] == monday["steps"] and week["per_day"]["walking_s"] == monday["walking_s"]
    assert week["per_day"]["bends"] == pytest.approx((monday["bends"] + tuesday["bends"]) / 2)
    assert {f["file"]: f["gait"] for f in doc["files"]} == {
        "P1/monday.skr": "on", "P1/tuesday.skr": "not run: 9 Hz is below the 10 Hz step detection needs"}

    # cohort's Parquet rows: null where not measured, steps still whole numbers, the rest equal to trends
    result = folder_trends(folder, tz="UTC")
    out = tmp_path / "days.parquet"
    write_dataset(result, out, overwrite=False)
    table = pq.read_table(out)
    assert table.column("walking_s").null_count == 1 and table.column("steps").null_count == 1
    assert str(table.schema.field("steps").type) == "int64"
    rows = sorted(table.to_pylist(), key=lambda r: r["date"])
    for row, want in zip(rows, (monday, tuesday)):
        assert {k: row[k] for k in want if k not in ("patient", "date")} == {
            k: v for k, v in want.items() if k not in ("patient", "date")}

    html_path = tmp_path / "P1.html"
    assert main(["report", str(folder), "-o", str(html_path), "-q", "--tz", "UTC"]) == 0
    html = html_path.read_text()
    mean = figures(html)["mean_walking_s"]
    assert float(mean[0]) == pytest.approx(monday["walking_s"]) and mean[1].endswith(", on 1 of 2 days")
    assert figures(html, "2025-03-04")["steps"] == ("", WHY_9)
    assert float(figures(html, "2025-03-03")["steps"][0]) == monday["steps"]


def test_walking_switched_off_is_not_walking_zero() -> None:
    day = {"duration_s": 60.0, "worn_s": 60.0, "posture_s": {"sitting": 0.0, "standing": 60.0, "lying": 0.0},
           "bends": {"count": 0, "by_severity": {"low": 0, "moderate": 0, "high": 0}},
           "sedentary": {"bouts": 0, "total_s": 0.0, "longest_s": 0.0}, "alerts": {}, "slouch": {"episodes": 0, "total_s": 0.0}}
    off = day_metrics(day, "off")
    assert off["walking_s"] is None and off["steps"] is None and off["standing_s"] == 60.0
    on = day_metrics(day)
    assert on["walking_s"] == 0.0 and on["steps"] == 0  # gait ran and found no walking: a real 0
    assert not_measured("off") == "not measured (step detection was turned off)" and not_measured("on") == ""
    assert not any(isinstance(v, float) and math.isnan(v) for v in off.values())
