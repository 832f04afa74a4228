"""`sensorkit trends`: per-day rows are analyze's own numbers, weeks add them up, slopes point the right way."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from sensorkit.cli.main import main
from sensorkit.simulator import save_simulation, simulate
from sensorkit.trends import METRIC_KEYS, folder_trends, patient_trends

# patient -> recording start times (UTC); P1 has two recordings on 2026-11-04 and days in three ISO weeks
STARTS = {
    "P1": ["2026-11-02T09:00:00Z", "2026-11-04T09:00:00Z", "2026-11-04T14:00:00Z",
           "2026-11-10T09:00:00Z", "2026-11-17T09:00:00Z"],
    "P2": ["2026-11-03T08:00:00Z", "2026-11-11T08:00:00Z"],
}


def build_folder(root: Path, starts: dict[str, list[str]] = STARTS) -> dict[Path, tuple[str, str]]:
    """One sub-folder per patient with short simulated demo recordings; returns path -> (patient, start)."""
    made = {}
    seed = 0
    for patient, times in starts.items():
        (root / patient).mkdir(parents=True)
        for start in times:
            seed += 1
            sim = simulate("demo", seed, duration_s=90, rate_hz=50)
            sim.meta = sim.meta.with_changes(start_time=start, patient_id=patient)
            path = root / patient / f"{start[:13].replace(':', '')}.skr"
            save_simulation(sim, path)
            made[path] = (patient, start)
    return made


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[Path, tuple[str, str]]]:
    root = tmp_path_factory.mktemp("patients")
    made = build_folder(root)
    (root / "P1" / "notes.txt").write_text("bring the sensor on Monday\n")
    (root / "P2" / "broken.skr").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    return root, made


def analyze_json(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    assert main(["analyze", str(path), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_day_rows_are_what_analyze_gives_summed_per_day(folder, capsys):
    root, made = folder
    expected: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for path, (patient, _) in made.items():
        for day in analyze_json(path, capsys)["summary"]["days"]:
            row = expected[(patient, day["date"])]
            row["recordings"] += 1
            row["recording_s"] += day["duration_s"]
            row["sitting_s"] += day["posture_s"]["sitting"]
            row["walking_s"] += day.get("walking_s", 0.0)
            row["steps"] += day.get("steps", 0)
            row["bends"] += day["bends"]["count"]
            row["bends_high"] += day["bends"]["by_severity"]["high"]
            row["upright_20_60_s"] += day["flexion_band_s"]["20_60"]
            row["slouch_s"] += day["slouch"]["total_s"]
            row["alerts"] += sum(day["alerts"].values())
            row["longest_sedentary_s"] = max(row["longest_sedentary_s"], day["sedentary"]["longest_s"])

    result = folder_trends(root)
    got = {(p.patient, d.date.isoformat()): d for p in result.patients for d in p.days}
    assert sorted(got) == sorted(expected)
    assert got[("P1", "2026-11-04")].recordings == 2
    assert sum(d.metrics["bends"] for d in got.values()) > 0  # the comparison is not of zeros
    for key, want in expected.items():
        day = got[key]
        assert day.recordings == want.pop("recordings")
        for metric, value in want.items():
            assert day.metrics[metric] == pytest.approx(value, abs=1e-6), (key, metric)


def test_weeks_add_up_the_days(folder):
    result = folder_trends(folder[0])
    p1 = result.patient("P1")
    assert [w.week for w in p1.weeks] == ["2026-W45", "2026-W46", "2026-W47"]
    assert [w.days for w in p1.weeks] == [2, 1, 1]
    assert p1.weeks[0].monday == date(2026, 11, 2)
    for week in p1.weeks:
        days = [d for d in p1.days if d.week == week.week]
        for metric in METRIC_KEYS:
            values = [d.metrics[metric] for d in days]
            if metric == "longest_sedentary_s":
                assert week.totals[metric] == max(values)
            else:
                assert week.totals[metric] == pytest.approx(sum(values))
                assert week.per_day[metric] == pytest.approx(sum(values) / len(days))
    bends = p1.trends["bends"]
    assert bends.days == 4 and bends.weeks == 3 and bends.slope_per_week is not None
    assert bends.week_on_week == pytest.approx(p1.weeks[2].per_day["bends"] - p1.weeks[1].per_day["bends"])
    p2 = result.patient("P2")  # two days: no slope, and the trend says why
    assert p2.trends["bends"].slope_per_week is None
    assert "too few days" in p2.trends["bends"].note and "2 days" in p2.trends["bends"].note


def test_slope_sign_on_a_constructed_trend():
    base = dict.fromkeys(METRIC_KEYS, 0)
    monday = date(2026, 10, 5)
    days = {monday + timedelta(days=7 * i): (1, {**base, "bends": 10 + 3 * i, "sitting_s": 20000.0 - 600 * i})
            for i in range(5)}
    trends = patient_trends("P9", days).trends
    assert trends["bends"].slope_per_week == pytest.approx(3.0)
    assert trends["bends"].week_on_week == pytest.approx(3.0)
    assert trends["sitting_s"].slope_per_week == pytest.approx(-600.0)
    assert trends["steps"].slope_per_week == pytest.approx(0.0)
    assert trends["bends"].days == 5 and trends["bends"].note == ""
    last_two = patient_trends("P9", days, last_weeks=2)
    assert [w.week for w in last_two.weeks] == ["2026-W44", "2026-W45"]
    assert last_two.trends["bends"].slope_per_week is None  # 2 days left: too few


def test_foreign_and_broken_files_are_listed_with_the_reason_and_skipped(folder):
    result = folder_trends(folder[0])
    skipped = {f.name: f for f in result.files if f.source == "skipped"}
    assert set(skipped) == {"P1/notes.txt", "P2/broken.skr"}
    assert skipped["P1/notes.txt"].reason == "P1/notes.txt is not a SensorKit recording (unknown file format)"
    assert skipped["P1/notes.txt"].patient == "P1" and skipped["P2/broken.skr"].reason
    assert sum(f.source == "analysed" for f in result.files) == 7


def test_saved_analysis_is_used_only_when_made_with_the_same_profile(tmp_path, capsys):
    root = tmp_path / "patients"
    made = build_folder(root, {"P3": ["2026-11-02T09:00:00Z", "2026-11-09T09:00:00Z"]})
    saved = sorted(made)[0]
    fresh = folder_trends(root)
    assert main(["analyze", str(saved), "--save"]) == 0
    capsys.readouterr()
    reused = folder_trends(root)
    assert [f.source for f in reused.files] == ["stored", "analysed"]
    assert [d.to_json() for d in reused.patients[0].days] == [d.to_json() for d in fresh.patients[0].days]

    profile = tmp_path / "strict.toml"
    profile.write_text("[thresholds]\nbend_start_deg = 25\nbend_end_deg = 20\n")
    from sensorkit.signal.profile import load_profile

    other = folder_trends(root, load_profile(profile))
    assert [f.source for f in other.files] == ["analysed", "analysed"]


def test_cli_table_json_and_per_day_file(folder, tmp_path, capsys):
    root, _ = folder
    assert main(["trends", str(root)]) == 0
    out = capsys.readouterr().out
    assert "patient P1: 4 days in 3 weeks" in out and "2026-W47" in out
    assert "too few days for a trend: 2 days in 2 weeks" in out  # P2
    assert "P1/notes.txt: P1/notes.txt is not a SensorKit recording" in out

    assert main(["trends", str(root), "--json", "--patient", "P2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == 1 and [p["patient"] for p in doc["patients"]] == ["P2"]
    assert [d["date"] for d in doc["patients"][0]["days"]] == ["2026-11-03", "2026-11-11"]
    assert set(doc["patients"][0]["trends"]) == set(METRIC_KEYS) == set(doc["metrics"])
    assert {f["file"] for f in doc["files"]} == {"P2/2026-11-03T08.skr", "P2/2026-11-11T08.skr", "P2/broken.skr"}

    out_csv = tmp_path / "days.csv"
    assert main(["trends", str(root), "--weeks", "1", "-o", str(out_csv)]) == 0
    capsys.readouterr()
    frame = pd.read_csv(out_csv)
    assert list(frame.columns[:4]) == ["patient", "date", "week", "recordings"]
    assert list(zip(frame.patient, frame.date)) == [("P1", "2026-11-17"), ("P2", "2026-11-11")]


def test_cli_exit_codes(folder, tmp_path, capsys):
    root, _ = folder
    assert main(["trends", str(tmp_path / "nowhere")]) == 1
    assert main(["trends", str(root), "--patient", "P404"]) == 1
    assert "no usable recording" in capsys.readouterr().err
    assert main(["trends", str(root), "-o", str(tmp_path / "days.xlsx")]) == 1
    with pytest.raises(SystemExit) as exc:
        main(["trends", str(root), "--weeks", "0"])
    assert exc.value.code == 2
