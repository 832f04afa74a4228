"""The daily summary splits time at UTC midnight: no day holds more seconds than it covers.

A posture period, sedentary bout, slouch or walking bout over midnight used to be counted whole in
the day it started (115 % of a day seen on a recording crossing midnight).
"""

from __future__ import annotations

import dataclasses

import pytest

from sensorkit.events import Event
from sensorkit.signal.pipeline import analyze
from sensorkit.signal.summary import daily_summary
from sensorkit.simulator.simulation import simulate

EPS = 0.15  # rounding to 0.1 s of several parts


def _parts(day: dict) -> dict[str, float]:
    return {
        "posture": sum(day["posture_s"].values()),
        "walking": day.get("walking_s", 0.0),
        "sedentary": day["sedentary"]["total_s"],
        "longest_sedentary": day["sedentary"]["longest_s"],
        "slouch": day["slouch"]["total_s"],
        "flexion_bands": sum(day.get("flexion_band_s", {}).values()),
    }


def _assert_days_within_duration(summary: dict) -> None:
    for day in summary["days"]:
        for name, secs in _parts(day).items():
            assert secs <= day["duration_s"] + EPS, (day["date"], name, secs, day["duration_s"])


def test_hand_built_events_over_midnight_are_split_at_the_day_boundary():
    # starts 23:00 UTC, two hours: sitting 23:00-00:30, standing after; all long periods cross midnight
    events = [
        Event("posture", 0.0, 5400.0, {"posture": "sitting"}),
        Event("posture", 5400.0, 7200.0, {"posture": "standing"}),
        Event("sedentary_bout", 0.0, 5400.0, {}),
        Event("slouch", 3000.0, 4200.0, {}),
        Event("walking_bout", 3500.0, 3700.0, {"steps": 300}),  # not realistic while sitting; tests the clip
        Event("bend", 3590.0, 3610.0, {"severity": "high", "style": "stoop"}),
        Event("alert", 3595.0, 3595.0, {"alert": "severe_bend"}),
    ]
    s = daily_summary(events, "2025-03-03T23:00:00+00:00", 7200.0)
    first, second = s["days"]
    assert (first["date"], second["date"]) == ("2025-03-03", "2025-03-04")
    assert (first["duration_s"], second["duration_s"]) == (3600.0, 3600.0)
    assert first["posture_s"] == {"sitting": 3600.0, "standing": 0.0, "lying": 0.0}
    assert second["posture_s"] == {"sitting": 1800.0, "standing": 1800.0, "lying": 0.0}
    assert (first["sedentary"]["total_s"], second["sedentary"]["total_s"]) == (3600.0, 1800.0)
    assert (first["sedentary"]["longest_s"], second["sedentary"]["longest_s"]) == (3600.0, 1800.0)
    assert (first["slouch"]["total_s"], second["slouch"]["total_s"]) == (600.0, 600.0)
    assert (first["walking_s"], second["walking_s"]) == (100.0, 100.0)
    # counts go to the day the event starts, so the days add up to the total
    assert (first["sedentary"]["bouts"], second["sedentary"]["bouts"]) == (1, 0)
    assert (first["slouch"]["episodes"], second["slouch"]["episodes"]) == (1, 0)
    assert (first["steps"], second.get("steps")) == (300, 0)
    assert (first["bends"]["count"], second["bends"]["count"]) == (1, 0)
    assert first["alerts"] == {"severe_bend": 1} and second["alerts"] == {}
    assert s["total"]["posture_s"]["sitting"] == 5400.0
    _assert_days_within_duration(s)


def test_days_start_where_the_analysed_data_starts():
    # data from t0 = 600 s (a calibration before it is left out): the first day covers 23:50-24:00
    events = [Event("posture", 600.0, 2400.0, {"posture": "standing"})]
    s = daily_summary(events, "2025-03-03T23:40:00+00:00", 1800.0, t0=600.0)
    assert [d["duration_s"] for d in s["days"]] == [600.0, 1200.0]
    assert [d["posture_s"]["standing"] for d in s["days"]] == [600.0, 1200.0]


@pytest.fixture(scope="module")
def office_over_midnight():
    sim = simulate("office", seed=2, duration_s=5400.0)
    meta = dataclasses.replace(sim.meta, start_time="2025-03-03T23:30:00+00:00")
    return analyze(sim.block, meta)


def test_simulated_recording_over_midnight_adds_up_per_day(office_over_midnight):
    s = office_over_midnight.summary
    assert [d["date"] for d in s["days"]] == ["2025-03-03", "2025-03-04"]
    _assert_days_within_duration(s)
    # the posture periods cover the whole recording, so each day is covered once, not more
    for day in s["days"]:
        assert sum(day["posture_s"].values()) == pytest.approx(day["duration_s"], abs=1.0)
    for key in ("sitting", "standing", "lying"):
        assert sum(d["posture_s"][key] for d in s["days"]) == pytest.approx(s["total"]["posture_s"][key], abs=0.2)
    assert sum(d["sedentary"]["total_s"] for d in s["days"]) == pytest.approx(s["total"]["sedentary"]["total_s"], abs=0.2)
    assert sum(d["bends"]["count"] for d in s["days"]) == s["total"]["bends"]["count"]
