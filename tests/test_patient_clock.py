"""Who and when: the profile's patient id goes into every recording made with it, `--patient` and `--tz`
on the recording commands, local clock times in `monitor` lines, exported events and the day screen."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from sensorkit.cli.main import main
from sensorkit.events import Event
from sensorkit.localtime import time_of_day, zone
from sensorkit.samples import parse_utc
from sensorkit.store import RecordingReader
from sensorkit.tui.report import load_day, split_hours
from sensorkit.tui.screens.day import header_lines
from tui_pilot import day_screen_shown


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "p009.toml"
    path.write_text('[patient]\nid = "P009"\ntimezone = "Australia/Sydney"\n')
    return path


def meta_of(path: Path):
    with RecordingReader(path) as reader:
        return reader.meta


def test_monitor_with_a_profile_stores_the_patient_and_prints_local_clock_times(tmp_path, profile, capsys):
    out = tmp_path / "m.skr"
    assert main(["monitor", "--emulate", "sensorkit", "--scenario", "slouch", "--duration", "30",
                 "--speed", "20", "--profile", str(profile), "-o", str(out)]) == 0
    meta = meta_of(out)
    assert (meta.patient_id, meta.timezone) == ("P009", "Australia/Sydney")
    lines = [line for line in capsys.readouterr().out.splitlines() if "  state  " in line]
    assert lines and all(re.fullmatch(r"\d\d:\d\d:\d\d", line.split()[0]) for line in lines)
    sydney = parse_utc(meta.start_time).astimezone(zone("Australia/Sydney"))
    first = sydney.replace(microsecond=0)
    stamps = [line.split()[0] for line in lines]  # all within the 30 s recording, in Sydney time
    allowed = {(first + timedelta(seconds=s)).strftime("%H:%M:%S") for s in range(32)}
    assert set(stamps) <= allowed
    head = " ".join(p for line in header_lines(load_day(out)) for p in line)  # the day screen's header
    assert head.startswith("patient P009") and f"{first:%Y-%m-%d %H:%M} Australia/Sydney" in head


def test_record_takes_patient_and_zone_and_refuses_a_contradiction(tmp_path, profile, capsys):
    out = tmp_path / "r.skr"
    assert main(["record", "--emulate", "sensorkit", "--duration", "5", "--speed", "10", "--patient", "P011",
                 "--tz", "Europe/London", "-o", str(out)]) == 0
    assert (meta_of(out).patient_id, meta_of(out).timezone) == ("P011", "Europe/London")
    assert main(["record", "--emulate", "sensorkit", "--duration", "5", "--profile", str(profile),
                 "--patient", "P001", "-o", str(tmp_path / "x.skr")]) == 1
    assert "--patient P001 contradicts the profile's [patient] id 'P009'" in capsys.readouterr().err
    assert not (tmp_path / "x.skr").exists()
    assert main(["record", "--emulate", "sensorkit", "--duration", "5", "--tz", "Mars/Base",
                 "-o", str(tmp_path / "y.skr")]) == 1
    assert "unknown time zone 'Mars/Base'" in capsys.readouterr().err


def test_import_stores_the_patient(tmp_path):
    csv = tmp_path / "s.csv"
    pd.DataFrame({"time": [i / 50 for i in range(500)], "acc_x": 1.0, "acc_y": 0.0, "acc_z": 0.0}).to_csv(csv, index=False)
    assert main(["import", str(csv), "--patient", "P012", "-o", str(tmp_path / "s.skr")]) == 0
    assert meta_of(tmp_path / "s.skr").patient_id == "P012"


def test_exported_events_carry_the_patient_and_local_clock_times(tmp_path):
    rec = tmp_path / "day.skr"
    assert main(["simulate", "--scenario", "office", "--duration", "600", "--rate", "20",
                 "--start", "2025-03-03T09:00", "--tz", "Australia/Sydney", "--patient", "P010", "-o", str(rec)]) == 0
    assert main(["analyze", str(rec), "--save"]) == 0
    out = tmp_path / "events.csv"
    assert main(["export", str(rec), "--events", "-o", str(out)]) == 0
    frame = pd.read_csv(out)
    assert list(frame.columns[:6]) == ["patient", "type", "start", "end", "start_local", "end_local"]
    assert len(frame) > 3 and set(frame["patient"]) == {"P010"}
    for _, row in frame.iterrows():
        want = pd.Timestamp("2025-03-03T09:00:00+11:00") + pd.Timedelta(seconds=row["start"])
        assert abs(pd.Timestamp(row["start_local"]) - want) < pd.Timedelta(milliseconds=1)
        assert row["start_local"].endswith("+11:00")
    assert main(["export", str(rec), "--events", "--tz", "UTC", "--force", "-o", str(out)]) == 0
    assert pd.read_csv(out)["start_local"].str.startswith("2025-03-02T22:").all()


def test_the_day_screen_shows_the_patient_and_local_hours(tmp_path):
    rec = tmp_path / "day.skr"
    assert main(["simulate", "--scenario", "office", "--duration", "4000", "--rate", "20",
                 "--start", "2025-03-03T09:40", "--tz", "Australia/Sydney", "--patient", "P010", "-o", str(rec)]) == 0
    report = load_day(rec)
    assert [h.start.isoformat() for h in report.hours] == ["2025-03-03T09:00:00+11:00", "2025-03-03T10:00:00+11:00"]
    assert sum(h.bends for h in report.hours) == report.total["bends"]["count"] > 0  # keyed alike
    utc = load_day(rec, tz="UTC")  # `view --tz UTC`
    assert [h.start.isoformat() for h in utc.hours] == ["2025-03-02T22:00:00+00:00", "2025-03-02T23:00:00+00:00"]
    assert [d["date"] for d in utc.days] == ["2025-03-02"]

    async def title() -> tuple[str, str]:
        async with day_screen_shown(rec) as (app, pilot):
            screen = app.screen
            return str(screen.query_one("#day-title").render()), str(screen.query_one("#hours").render())

    head, hours = asyncio.run(title())
    assert "patient P010" in head and "2025-03-03 09:40 Australia/Sydney (UTC+1100)" in head
    assert hours.startswith("09:00")


def test_the_hour_strip_has_25_hours_on_the_day_clocks_go_back():
    sydney = zone("Australia/Sydney")
    origin = parse_utc("2025-04-05T13:00:00Z")  # local midnight starting Sunday 6 April, the 25-hour day
    day = 25 * 3600.0
    events = [Event("posture", 0.0, day, {"posture": "sitting"})]
    hours = split_hours(events, origin, 0.0, day - 1.0, {"2025-04-06T02:00+10:00": 3}, sydney)
    labels = [h.start.strftime("%H:%M%z") for h in hours]
    assert len(hours) == 25 and labels[:4] == ["00:00+1100", "01:00+1100", "02:00+1100", "02:00+1000"]
    assert [h.bends for h in hours][2:4] == [0, 3]  # the repeated hour is told apart by its offset
    assert all(h.seconds["sitting"] == pytest.approx(3600.0) for h in hours[:-1])


def test_time_of_day_uses_the_recording_zone():
    from sensorkit.samples import RecordingMeta

    meta = RecordingMeta(rate_hz=100, start_time="2025-03-02T22:00:00Z", timezone="Australia/Sydney")
    assert time_of_day(meta, 65.0) == "09:01:05"
    assert time_of_day(meta.with_changes(timezone=""), 65.0) == "22:01:05"  # the computer (tests: UTC)
