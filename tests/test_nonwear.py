"""Wear time: a sensor resting off the body is found, is no posture, no sedentary bout and no alert,
and the same answers come whatever the chunking.

Synthetic signals pin the detector's physics (a desk at the noise floor of a consumer part is still; a
back that breathes by a tenth of a degree is not); simulated days with ``off`` activities (the sensor
on a desk, :mod:`sensorkit.simulator.desk`) pin what the pipeline makes of it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensorkit.samples import STANDARD_GRAVITY, SampleBlock
from sensorkit.signal.alignment import alignment_for
from sensorkit.signal.nonwear import WearDetector, WearParams, worn_samples
from sensorkit.signal.pipeline import Pipeline, analyze, iter_slices
from sensorkit.signal.profile import Profile
from sensorkit.simulator import Activity as A
from sensorkit.simulator import simulate_activities

RATE = 100.0


def desk_then_breathing(breath_deg: float, seconds: float = 1500.0, seed: int = 0) -> SampleBlock:
    """Breathing on the back (``breath_deg`` tilt amplitude, 15 breaths/min) for the first and last
    300 s, a desk in between; white noise of a BMI160 (180 ug/sqrt(Hz), 0.007 deg/s/sqrt(Hz))."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    worn = (t < 300.0) | (t >= seconds - 300.0)
    tilt = np.radians(breath_deg) * np.sin(2 * np.pi * 0.25 * t) * worn
    acc = np.column_stack([STANDARD_GRAVITY * np.sin(tilt), np.zeros_like(t), STANDARD_GRAVITY * np.cos(tilt)])
    gyr = np.column_stack([np.zeros_like(t), np.gradient(tilt, 1 / RATE), np.zeros_like(t)])
    acc += rng.normal(0.0, 180e-6 * STANDARD_GRAVITY * np.sqrt(RATE / 2), acc.shape)
    gyr += rng.normal(0.0, np.radians(0.007) * np.sqrt(RATE / 2), gyr.shape)
    return SampleBlock(t, acc, gyr)


def run_detector(block: SampleBlock, cuts: list[int] = (), **kw) -> tuple[list, list]:
    det = WearDetector(**kw)
    bounds = [0, *sorted(set(cuts)), len(block)]
    changes = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        changes += det.update(block.slice(a, b))
    changes += det.finish()
    return changes, det.periods()


@pytest.mark.parametrize("use_gyro", [True, False])
def test_a_desk_is_found_to_the_second_and_breathing_is_worn(use_gyro):
    changes, periods = run_detector(desk_then_breathing(0.1), use_gyro=use_gyro)
    (start, end), = periods
    assert abs(start - 300.0) <= 2.0 and abs(end - 1200.0) <= 2.0  # to a bin or two
    assert [c.kind for c in changes] == ["still", "not_worn", "worn"]
    still, confirmed, worn = changes
    assert still.time == start + WearParams().window_s  # one window after the stillness began
    assert confirmed.time == start + WearParams().min_not_worn_s
    assert worn.time == end + WearParams().bin_s  # the first bin that moved, once complete


def test_the_shallowest_breathing_is_never_still():
    """0.05 deg of tilt (an eighth of a typical breath at the lower back) still keeps the sensor worn."""
    block = desk_then_breathing(0.05, seconds=600.0)
    block = block.slice(0, int(300 * RATE))  # worn only
    changes, periods = run_detector(block)
    assert periods == [] and changes == []


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=149_999), max_size=60))
def test_detector_chunking_changes_nothing(cuts):
    block = BLOCK_WITH_GAP
    assert run_detector(block, cuts) == WHOLE


def _with_gap() -> SampleBlock:
    b = desk_then_breathing(0.2)
    keep = (b.t < 700.0) | (b.t >= 712.3)  # a 12-s gap inside the desk period breaks it in two
    return SampleBlock(b.t[keep], b.acc[keep], b.gyr[keep])


BLOCK_WITH_GAP = _with_gap()
WHOLE = run_detector(BLOCK_WITH_GAP)


def test_a_gap_breaks_the_stillness():
    assert WHOLE[1] == [(300.0, 700.0), (712.0, 1200.0)]  # both ends of the gap, to the bin


# -- the pipeline on simulated days with the sensor on a desk ----------------------------------------

PROFILE = Profile().with_values(sedentary_alert_s=120.0)


@pytest.fixture(scope="module")
def desk_day():
    """Sitting (a long-sitting alert due 2 min in, while the sensor is already on the desk), the sensor
    off for 10 min, then worn standing and walking."""
    acts = [A("stand", 20), A("walk", 20), A("stand", 5), A("sit", 100), A("off", 600), A("stand", 10),
            A("walk", 30), A("stand", 10)]
    sim = simulate_activities(acts, seed=2)
    return sim, analyze(sim.block, sim.meta, PROFILE, gait=False)


def test_the_desk_period_is_not_worn_and_nothing_else(desk_day):
    sim, result = desk_day
    truth = sim.truth.of_type("not_worn")[0]
    found = [e for e in result.events if e.type == "not_worn"]
    assert len(found) == 1
    assert abs(found[0].start - truth.start) <= 1.5 and abs(found[0].end - truth.end) <= 1.5
    inside = [e for e in result.events if e.type != "not_worn"
              and e.start < found[0].end - 1e-6 and e.end > found[0].start + 1e-6]
    assert inside == []  # no posture, sedentary bout, slouch, bend or alert during non-wear
    assert not [e for e in result.events if e.type == "alert" and e.fields["alert"] == "long_sedentary"]


def test_summary_reports_wear_time(desk_day):
    sim, result = desk_day
    total = result.summary["total"]
    found = next(e for e in result.events if e.type == "not_worn")
    assert total["not_worn_s"] == pytest.approx(found.duration, abs=0.1)
    assert total["worn_s"] + total["not_worn_s"] == pytest.approx(total["duration_s"], abs=0.2)
    assert sum(total["posture_s"].values()) == pytest.approx(total["worn_s"], abs=1.0)
    # the desk period is not upright time in any flexion band
    assert sum(total["flexion_band_s"].values()) <= total["posture_s"]["standing"] + total["posture_s"]["sitting"] + 1.0
    day = result.summary["days"][0]
    assert day["worn_s"] == total["worn_s"] and day["not_worn_s"] == total["not_worn_s"]


def test_a_short_stillness_holds_alerts_and_then_lets_them_out():
    """The sensor still for 3 min (too short for non-wear): the long-sitting alert that fell due in it
    comes out when the stillness ends, not before, and nothing is called non-wear."""
    acts = [A("stand", 20), A("walk", 20), A("stand", 5), A("sit", 100), A("off", 180), A("sit", 60)]
    sim = simulate_activities(acts, seed=2)
    pipe = Pipeline(RATE, alignment_for(worn_samples(sim.block), sim.meta), PROFILE, gait=False)
    out = []
    for part in iter_slices(sim.block, 0.5):
        out += [(float(part.t[-1]), e) for e in pipe.update(part)]
    assert not [e for _, e in out if e.type == "not_worn"]
    alerts = [(when, e) for when, e in out if e.type == "alert" and e.fields["alert"] == "long_sedentary"]
    rest = sim.truth.of_type("not_worn")[0]
    assert len(alerts) == 1
    when, alert = alerts[0]
    assert rest.start < alert.start < rest.end  # due while the sensor lay still...
    assert rest.end <= when <= rest.end + 2.0  # ... and out once it moved again


def test_auto_alignment_ignores_the_desk(desk_day):
    sim, _ = desk_day
    worn = worn_samples(sim.block)
    assert len(worn) < len(sim.block) - 590 * RATE


@pytest.fixture(scope="module")
def desk_recording():
    acts = [A("stand", 10), A("walk", 15), A("sit", 60), A("off", 330), A("stand", 5), A("walk", 15),
            A("stand", 5)]
    sim = simulate_activities(acts, seed=4)
    return sim.block, alignment_for(worn_samples(sim.block), sim.meta), sim.truth.of_type("not_worn")[0]


def run_pipeline(block, alignment, cuts):
    pipe = Pipeline(RATE, alignment, PROFILE, gait=False)
    bounds = [0, *sorted(set(cuts)), len(block)]
    events = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        events += pipe.update(block.slice(a, b))
    events += pipe.finish()
    return sorted((e.to_json() for e in events), key=lambda d: (d["start"], d["type"], d["end"])), pipe.band_summary()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=44_000), max_size=80))
def test_pipeline_chunking_with_non_wear_changes_nothing(desk_recording, cuts):
    block, alignment, _ = desk_recording
    whole = run_pipeline(block, alignment, [])
    assert any(e["type"] == "not_worn" for e in whole[0])
    got = run_pipeline(block, alignment, [c for c in cuts if c < len(block)])
    assert got[0] == whole[0]
    assert got[1][0] == pytest.approx(whole[1][0], abs=1e-6)


def test_live_state_says_not_worn(desk_recording):
    block, alignment, rest = desk_recording
    pipe = Pipeline(RATE, alignment, PROFILE, gait=False)
    seen = []
    for part in iter_slices(block, 1.0):
        pipe.update(part)
        seen.append((float(part.t[-1]), pipe.state.activity))
    states = {a for t, a in seen}
    assert "not_worn" in states
    first = next(t for t, a in seen if a == "not_worn")
    # confirmed min_not_worn_s after the sensor was put down, and worn again once it is picked up
    assert rest.start + WearParams().min_not_worn_s <= first <= rest.start + WearParams().min_not_worn_s + 2.0
    assert seen[-1][1] != "not_worn"


def test_trends_count_wear_time_not_recording_time(desk_day):
    from sensorkit.trends import METRIC_KEYS, day_metrics

    _, result = desk_day
    (day,) = result.summary["days"]
    metrics = day_metrics(day)
    assert "worn_s" in METRIC_KEYS
    assert metrics["worn_s"] == day["worn_s"] < metrics["recording_s"] - 590.0


def test_day_screen_shows_the_time_not_worn(tmp_path):
    from sensorkit.simulator import save_simulation
    from sensorkit.tui.report import load_day
    from sensorkit.tui.screens.day import posture_bars

    acts = [A("stand", 10), A("walk", 15), A("sit", 60), A("off", 400), A("stand", 10), A("walk", 20)]
    path = tmp_path / "desk.skr"
    save_simulation(simulate_activities(acts, seed=1), path)
    report = load_day(path, tz="UTC")
    (whole,) = report.spans()
    bars = {b.label: b for b in posture_bars(whole)}
    assert bars["not worn"].share == pytest.approx(report.total["not_worn_s"] / report.duration_s)
    assert 380.0 < report.total["not_worn_s"] < 400.0
    assert sum(h.seconds["not_worn"] for h in report.hours) == pytest.approx(report.total["not_worn_s"], abs=0.5)


@pytest.mark.parametrize("has_gyro", [True, False])
def test_lying_held_still_breathes_and_is_worn(has_gyro):
    """The simulator's held-still lying (breathing 0.05-0.3 deg, a tenth of the sway) is the hard case:
    still not non-wear, and the trunk truth moves by about a breath, far less than free lying."""
    from sensorkit.signal.evaluate_wear import wear_of

    acts = [A("stand", 10), A("lie", 900, {"still": True, "side": "supine"}), A("lie", 120, {"side": "supine"})]
    sim = simulate_activities(acts, seed=3, has_gyro=has_gyro)
    not_worn_s, longest_still_s = wear_of(sim.block)
    assert not_worn_s == 0.0 and longest_still_s < 60.0
    t, flex = sim.truth.t, sim.truth.flexion_deg
    held = flex[(t > 100) & (t < 800)]
    free = flex[(t > 930) & (t < 1020)]
    assert 0.02 < held.std() < 0.3 < free.std()


def test_handling_the_sensor_raises_nothing_it_can_avoid():
    """Simulated office day (seed 3) where, before PUT_ON_S and LIE_ALERT_WAIT_S, putting the sensor
    down flat raised a long-sitting alert (the bout was past 30 min, the desk read as lying down) and
    picking it up read as a 75-deg stoop with a severe-bend alert."""
    from sensorkit.simulator import simulate

    sim = simulate("office_desk", seed=3, duration_s=7200.0)
    result = analyze(sim.block, sim.meta)
    rests = sim.truth.of_type("not_worn")
    assert len(rests) == 2
    marks = [e for e in result.events if e.type in ("bend", "alert")]
    assert not [e for e in marks if any(r.end <= e.start <= r.end + 15.0 for r in rests)]
    assert not [e for e in marks if e.type == "alert" and e.fields["alert"] == "long_sedentary"
                and any(r.start - 15.0 <= e.start <= r.end for r in rests)]
