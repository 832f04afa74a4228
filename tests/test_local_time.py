"""Local days: a patient's days start at local midnight, daylight-saving days are 23 h and 25 h and still
add up, `simulate --start --tz --patient` builds a patient's folder, and overlapping recordings count once."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from sensorkit.cli.main import main
from sensorkit.errors import SettingsError
from sensorkit.events import Event
from sensorkit.localtime import zone, zone_for
from sensorkit.signal.profile import load_profile
from sensorkit.signal.summary import daily_summary

RATE = "20"  # short, slow simulations keep these tests fast


def simulate(out: Path, start: str, duration: float = 1200, *extra: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    assert main(["simulate", "--scenario", "office", "--duration", str(duration), "--rate", RATE,
                 "--start", start, *extra, "-o", str(out)]) == 0


def trends(folder: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    capsys.readouterr()
    assert main(["trends", str(folder), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def days_of(doc: dict, patient: str) -> dict[str, dict]:
    (p,) = [p for p in doc["patients"] if p["patient"] == patient]
    return {d["date"]: d for d in p["days"]}


def test_a_bad_zone_is_one_sentence(tmp_path, capsys):
    with pytest.raises(SettingsError, match="unknown time zone 'Mars/Olympus'"):
        zone("Mars/Olympus")
    profile = tmp_path / "p.toml"
    profile.write_text('[patient]\nid = "P1"\ntimezone = "Europe/Londres"\n')
    with pytest.raises(SettingsError, match="Europe/Londres"):
        load_profile(profile)
    assert main(["trends", str(tmp_path), "--tz", "Nowhere/Town"]) == 1
    assert "unknown time zone 'Nowhere/Town'" in capsys.readouterr().err


def test_the_zone_comes_from_tz_then_recording_then_profile_then_computer(tmp_path, monkeypatch):
    profile = tmp_path / "p.toml"
    profile.write_text('[patient]\nid = "P1"\ntimezone = "Europe/Berlin"\n')
    p = load_profile(profile)
    assert p.timezone == "Europe/Berlin" and p.patient_id == "P1"
    assert zone_for("UTC", "Australia/Sydney", p).key == "UTC"
    assert zone_for(None, "Australia/Sydney", p).key == "Australia/Sydney"
    assert zone_for(None, "", p).key == "Europe/Berlin"
    with pytest.raises(SettingsError, match="the recording's time zone 'Atlantis/Capital' is unknown .* --tz"):
        zone_for(None, "Atlantis/Capital", p)
    assert zone_for("UTC", "Atlantis/Capital", p).key == "UTC"
    monkeypatch.setenv("TZ", "America/New_York")
    assert zone_for(None, "", None).key == "America/New_York"


@pytest.mark.parametrize("name, start, long_day, hours", [
    ("Australia/Sydney", "2025-04-01T13:00:00Z", "2025-04-06", 25),  # autumn: clocks back on Sunday 6 April
    ("Europe/London", "2025-03-27T00:00:00Z", "2025-03-30", 23),  # spring: clocks forward on Sunday 30 March
])
def test_a_week_over_a_daylight_saving_change_sums_to_the_recording(name, start, long_day, hours):
    week = 7 * 86400.0
    events = [Event("posture", 0.0, 100000.0, {"posture": "sitting"}),
              Event("posture", 100000.0, week, {"posture": "standing"})]
    s = daily_summary(events, start, week, zone=zone(name))
    assert s["timezone"] == name
    days = {d["date"]: d for d in s["days"]}
    assert days[long_day]["duration_s"] == hours * 3600.0
    assert sum(d["duration_s"] for d in s["days"]) == pytest.approx(week, abs=1e-6)
    for state in ("sitting", "standing"):
        assert sum(d["posture_s"][state] for d in s["days"]) == pytest.approx(s["total"]["posture_s"][state], abs=0.5)
    first = s["days"][0]
    assert first["start"].endswith(("+11:00", "+00:00"))  # the local midnight, with its offset


def test_three_sydney_mornings_are_three_days_and_utc_shows_four(tmp_path, capsys):
    folder = tmp_path / "patients"
    for day in ("03", "04", "05"):  # 10:50 in Sydney is 23:50 UTC the day before: each crosses UTC midnight
        simulate(folder / "P010" / f"2025-03-{day}.skr", f"2025-03-{day}T10:50", 1200,
                 "--tz", "Australia/Sydney", "--patient", "P010")
    local = trends(folder, capsys)
    days = days_of(local, "P010")
    assert list(days) == ["2025-03-03", "2025-03-04", "2025-03-05"]
    assert all(d["recording_s"] == pytest.approx(1200.0, abs=0.1) and d["recordings"] == 1 for d in days.values())
    assert local["patients"][0]["timezones"] == ["Australia/Sydney"]
    assert local["timezone"] is None

    utc = trends(folder, capsys, "--tz", "UTC")
    days = days_of(utc, "P010")
    assert list(days) == ["2025-03-02", "2025-03-03", "2025-03-04", "2025-03-05"]
    assert [round(d["recording_s"]) for d in days.values()] == [600, 1200, 1200, 600]
    assert utc["timezone"] == "UTC"


def test_simulate_stores_the_start_zone_and_patient(tmp_path, capsys):
    out = tmp_path / "day.skr"
    simulate(out, "2025-03-03T09:00", 60, "--tz", "Australia/Sydney", "--patient", "P010")
    assert "from 2025-03-03T09:00:00+11:00, patient P010" in capsys.readouterr().out
    assert main(["analyze", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["recording"]["start_time"].startswith("2025-03-02T22:00:00")  # stored in UTC
    assert doc["recording"]["start_local"] == "2025-03-03T09:00:00+11:00"
    assert doc["recording"]["patient_id"] == "P010"
    assert doc["summary"]["timezone"] == "Australia/Sydney"
    assert [d["date"] for d in doc["summary"]["days"]] == ["2025-03-03"]
    assert main(["analyze", str(out), "--json", "--tz", "UTC"]) == 0
    assert [d["date"] for d in json.loads(capsys.readouterr().out)["summary"]["days"]] == ["2025-03-02"]


def test_a_copied_recording_changes_no_figure_and_is_named(tmp_path, capsys):
    folder = tmp_path / "patients"
    simulate(folder / "P3" / "monday.skr", "2025-03-03T09:00Z", 600, "--patient", "P3")
    simulate(folder / "P3" / "tuesday.skr", "2025-03-04T09:00Z", 600, "--patient", "P3")
    before = trends(folder, capsys)
    copy = folder / "P3" / "a-copy.skr"  # a newer file, first by name
    shutil.copy(folder / "P3" / "monday.skr", copy)
    later = (folder / "P3" / "monday.skr").stat().st_mtime + 60
    os.utime(copy, (later, later))
    after = trends(folder, capsys)
    assert after["patients"][0]["days"] == before["patients"][0]["days"]
    assert after["patients"][0]["weeks"] == before["patients"][0]["weeks"]
    assert after["patients"][0]["trends"] == before["patients"][0]["trends"]
    (dup,) = after["patients"][0]["overlaps"]
    assert dup["file"] == "P3/a-copy.skr" and dup["with"] == "P3/monday.skr"  # the older file is kept
    assert dup["duplicate"] is True and dup["overlap_s"] == pytest.approx(600.0, abs=0.1)
    files = {f["file"]: f for f in after["files"]}
    assert files["P3/a-copy.skr"]["source"] == "duplicate"
    capsys.readouterr()
    assert main(["trends", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "2 recordings used" in out
    assert "1 overlapping recording, counted once:\n  P3/a-copy.skr: overlaps P3/monday.skr by 10.0 min" in out


def test_overlapping_recordings_count_the_overlap_once(tmp_path, capsys):
    folder = tmp_path / "patients"
    simulate(folder / "P4" / "a.skr", "2025-03-03T09:00Z", 1200, "--patient", "P4")
    simulate(folder / "P4" / "b.skr", "2025-03-03T09:15Z", 1200, "--patient", "P4", "--seed", "1")
    doc = trends(folder, capsys)
    (day,) = doc["patients"][0]["days"]
    assert day["recording_s"] == pytest.approx(35 * 60.0, abs=0.2)  # 09:00-09:35, not 40 min
    assert day["recordings"] == 2
    (overlap,) = doc["patients"][0]["overlaps"]
    assert overlap == {"file": "P4/b.skr", "with": "P4/a.skr", "overlap_s": pytest.approx(300.0, abs=0.1),
                       "duplicate": False}


def test_a_saved_analysis_is_reused_only_in_its_own_zone(tmp_path, capsys):
    folder = tmp_path / "patients"
    out = folder / "P5" / "day.skr"
    simulate(out, "2025-03-03T09:00", 600, "--tz", "Australia/Sydney", "--patient", "P5")
    assert main(["analyze", str(out), "--save"]) == 0
    assert trends(folder, capsys)["files"][0]["source"] == "stored"
    utc = trends(folder, capsys, "--tz", "UTC")
    assert utc["files"][0]["source"] == "analysed"
    assert list(days_of(utc, "P5")) == ["2025-03-02"]
