"""Squat lifts with an upright trunk, found from the pelvis's vertical displacement (signal/squat_lift.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from sensorkit.simulator import load_ground_truth, save_simulation, simulate
from sensorkit.store.recording import RecordingReader

from sensorkit.signal.squat_lift import SQUAT_LIFT_DIP_M, pelvis_dip

RATE = 50.0
T = np.arange(0.0, 10.0, 1.0 / RATE)


def min_jerk(t0: float, duration: float, height: float) -> np.ndarray:
    s = np.clip((T - t0) / duration, 0.0, 1.0)
    return height * (10 * s**3 - 15 * s**4 + 6 * s**5)


def acceleration(height: np.ndarray, offset: float = 0.3) -> np.ndarray:
    """Vertical acceleration of a height trace, with a constant accelerometer offset (bias)."""
    return np.gradient(np.gradient(height, T), T) + offset


@pytest.mark.parametrize("each_way_s, hold_s", [(0.6, 0.0), (1.0, 0.5), (1.2, 0.0)])
def test_a_quick_squat_dips_its_depth_whatever_the_offset(each_way_s, hold_s):
    squat = min_jerk(2.0, each_way_s, -0.35) + min_jerk(2.0 + each_way_s + hold_s, each_way_s, 0.35)
    assert pelvis_dip(T, acceleration(squat)) == pytest.approx(0.35, abs=0.01)


def test_walking_bounce_and_sitting_down_stay_under_the_threshold():
    walking = 0.015 * np.sin(2 * np.pi * 2.0 * T)  # 3 cm peak to peak at 2 steps/s
    assert pelvis_dip(T, acceleration(walking, 0.0)) < 0.05
    # a brisk sit-down (0.45 m in 1.5 s) forced back to its start height: the drop's worst case
    assert pelvis_dip(T, acceleration(min_jerk(2.0, 1.5, -0.45))) < SQUAT_LIFT_DIP_M
    assert pelvis_dip(T[:3], np.zeros(3)) == 0.0


@pytest.fixture(scope="module")
def subject10(shared_data):
    from sensorkit.datasets import umafall

    return [umafall.load_trial(t) for t in umafall.list_trials(shared_data / "umafall_bending") if t.subject == 10]


def analysed(block, meta, cuts=()):
    from sensorkit.signal.alignment import alignment_for
    from sensorkit.signal.evaluate import as_imported
    from sensorkit.signal.pipeline import Pipeline

    meta = as_imported(block, meta)
    pipe = Pipeline(meta.rate_hz, alignment_for(block, meta), gait=False)
    bounds = [0, *sorted(set(cuts)), len(block)]
    events = [e for a, b in zip(bounds[:-1], bounds[1:]) for e in pipe.update(block.slice(a, b))] + pipe.finish()
    return sorted((e.to_json() for e in events), key=lambda d: (d["start"], d["type"], d["end"]))


@pytest.mark.shared_data
def test_knee_bent_lifts_with_an_upright_trunk_are_safe_squat_bends(subject10):
    """UMAFall subject 10 lifts with the knees, the trunk within 17 deg (no bend from the trunk angle):
    through the user's path every trial has a bend, the upright ones a low-severity squat, no alert."""
    assert len(subject10) == 3
    for block, meta in subject10:
        events = analysed(block, meta)
        bends = [e for e in events if e["type"] == "bend"]
        assert bends
        assert not [e for e in events if e["type"] == "alert"]
        assert not [e for e in events if e["type"] == "transition"]  # the lift is no sit-down
    shallow = [e for block, meta in subject10 for e in analysed(block, meta)
               if e["type"] == "bend" and e["peak_flexion_deg"] < 20.0]
    assert shallow and all(e["style"] == "squat" and e["severity"] == "low" for e in shallow)


@pytest.mark.shared_data
def test_squat_lifts_streamed_in_chunks_equal_batch(subject10):
    rng = np.random.default_rng(9)
    for block, meta in subject10:
        whole = analysed(block, meta)
        for _ in range(5):
            cuts = rng.integers(1, len(block), size=int(rng.integers(1, 60))).tolist()
            assert analysed(block, meta, cuts) == whole



def test_a_short_walk_is_not_a_squat_lift(tmp_path):
    """The demo compressed into 90 s at 25 Hz (seed 3) walks 14 steps in 7 s with the trunk upright:
    integrated over 3 s its vertical acceleration dipped 0.27 m, and it was reported as a squat bend
    until the detector asked for fewer acceleration peaks per second than a walking cadence."""
    path = tmp_path / "demo.skr"
    save_simulation(simulate("demo", 3, duration_s=90, rate_hz=25, patient_id="P02"), path)
    walks = [(e.start, e.end) for e in load_ground_truth(RecordingReader(path)).events if e.type == "walking_bout"]
    run = subprocess.run([sys.executable, "-m", "sensorkit", "analyze", "--json", str(path)],
                         capture_output=True, text=True, check=True)
    bends = [e for e in json.loads(run.stdout)["events"] if e["type"] == "bend"]
    assert walks and bends
    assert not [b for b in bends if any(b["start"] < end and start < b["end"] for start, end in walks)]
