"""The simulator's physics: gravity, gyro/orientation consistency, mount, gait, bends, slouches."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from sensorkit.samples import STANDARD_GRAVITY
from sensorkit.simulator import simulate

# (vertical, forward, right) -> the model's body axes (forward, left, up)
TO_MODEL = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])


@pytest.fixture(scope="module")
def bends():
    return simulate("bends", 3)


@pytest.fixture(scope="module")
def static():
    return simulate("static", 4)


def unbiased(sim, name):
    return getattr(sim.block, name) - np.array(sim.truth.info[f"{name}_bias"])


def gravity_direction(truth, i):
    """Unit 'up' in the model's body frame (forward, left, up) from the truth angles at sample i."""
    pitch = np.deg2rad(truth.flexion_deg[i] + truth.neutral["standing_pitch_deg"])
    roll = np.deg2rad(truth.lateral_bend_deg[i] + truth.neutral["standing_roll_deg"])
    return Rotation.from_euler("ZYX", [0.0, pitch, roll]).inv().apply([0.0, 0.0, 1.0])


def body_acc(sim):
    return unbiased(sim, "acc") @ sim.truth.sensor_to_body.T @ TO_MODEL.T


def test_acc_magnitude_is_gravity_at_rest(static):
    acc = unbiased(static, "acc")
    for e in static.truth.of_type("posture"):
        i0, i1 = np.searchsorted(static.block.t, [e.start + 1.0, e.end - 1.0])
        norm = np.linalg.norm(acc[i0:i1], axis=1)
        assert abs(norm.mean() - STANDARD_GRAVITY) < 0.05, e
        assert norm.std() < 0.15


def test_postures_have_the_documented_angles(static):
    truth = static.truth
    expect = {"supine": (-90, 0), "prone": (90, 0), "left": (10, -90), "right": (10, 90)}
    for e in truth.of_type("posture"):
        i0, i1 = np.searchsorted(static.block.t, [e.start + 1.0, e.end - 1.0])
        flex, lat = truth.flexion_deg[i0:i1].mean(), truth.lateral_bend_deg[i0:i1].mean()
        if e.fields["posture"] == "lying":
            want = expect[e.fields["lying_side"]]
            assert abs(flex - want[0]) < 12 and abs(lat - want[1]) < 3, e
        elif e.fields["posture"] == "standing":
            assert abs(flex) < 3 and abs(lat) < 3
        else:
            assert abs(flex) < 16


def test_gyro_integrates_to_the_truth_orientation_change(bends, static):
    for sim, kinds in ((bends, "bend"), (static, "transition")):
        omega = unbiased(sim, "gyr") @ sim.truth.sensor_to_body.T @ TO_MODEL.T
        dt = 1.0 / sim.meta.rate_hz
        for e in sim.truth.of_type(kinds):
            i0, i1 = np.searchsorted(sim.block.t, [e.start - 0.5, e.end + 0.5])
            steps = Rotation.from_rotvec(0.5 * (omega[i0:i1] + omega[i0 + 1:i1 + 1]) * dt)
            turned = Rotation.identity()
            for r in steps:
                turned = turned * r
            predicted = turned.inv().apply(gravity_direction(sim.truth, i0))
            err = np.degrees(np.arccos(np.clip(predicted @ gravity_direction(sim.truth, i1), -1, 1)))
            moved = np.degrees(np.arccos(np.clip(
                gravity_direction(sim.truth, i0) @ gravity_direction(sim.truth, i1), -1, 1)))
            assert err < 0.3, (e, err, moved)


def test_rotating_back_with_the_truth_mount_recovers_body_gravity(static):
    acc = body_acc(static)
    assert np.degrees(np.arccos((np.trace(static.truth.misalignment) - 1) / 2)) <= 20.0 + 1e-9
    for e in static.truth.of_type("posture"):
        i0, i1 = np.searchsorted(static.block.t, [e.start + 1.0, e.end - 1.0])
        mid = (i0 + i1) // 2
        measured = acc[mid - 20:mid + 20].mean(axis=0) / STANDARD_GRAVITY
        angle = np.degrees(np.arccos(np.clip(measured @ gravity_direction(static.truth, mid)
                                             / np.linalg.norm(measured), -1, 1)))
        assert angle < 2.0, (e, angle)


def test_misalignment_is_random_and_bounded():
    angles = []
    for seed in range(6):
        m = simulate("static", seed, duration_s=20.0, misalignment_deg=15.0).truth.misalignment
        angles.append(np.degrees(np.arccos(np.clip((np.trace(m) - 1) / 2, -1, 1))))
    assert max(angles) <= 15.0 + 1e-9 and len(set(np.round(angles, 3))) == 6
    nominal = simulate("static", 0, duration_s=20.0, misalignment_deg=0.0).truth.sensor_to_body
    assert np.allclose(nominal, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])


@pytest.mark.parametrize("rate", [20.0, 100.0, 200.0])
def test_walking_step_frequency_in_range_and_matches_truth(rate):
    sim = simulate("walk", 5, rate_hz=rate)
    truth = sim.truth
    intervals = np.diff(truth.step_times)
    bouts = truth.of_type("walking_bout")
    assert len(bouts) == 2 and sum(e.fields["steps"] for e in bouts) == len(truth.step_times)
    vertical = body_acc(sim)[:, 2]
    for e in bouts:
        inside = (truth.step_times >= e.start) & (truth.step_times <= e.end)
        assert inside.sum() == e.fields["steps"]
        sides = truth.step_sides[inside]
        assert np.all(sides[1:] != sides[:-1])
        step_dt = np.diff(truth.step_times[inside])
        assert np.all((step_dt >= 1 / 2.2 - 1e-9) & (step_dt <= 1 / 1.4 + 1e-9))
        assert 0.01 < step_dt.std() / step_dt.mean() < 0.04  # step-to-step variability
        i0, i1 = np.searchsorted(sim.block.t, [e.start + 2.0, e.end - 1.0])
        v = vertical[i0:i1] - vertical[i0:i1].mean()
        freqs = np.fft.rfftfreq(len(v), 1.0 / rate)
        power = np.abs(np.fft.rfft(v * np.hanning(len(v)))) ** 2
        band = (freqs > 1.2) & (freqs < 2.6)
        peak = freqs[band][np.argmax(power[band])]
        assert abs(peak - e.fields["cadence_spm"] / 60.0) < 0.03
        # lower-trunk accelerations of the size reported for walking (m/s^2 RMS)
        rms = body_acc(sim)[i0:i1].std(axis=0)
        assert 0.8 < rms[2] < 4.0 and 0.5 < rms[0] < 2.0 and 0.3 < rms[1] < 2.0
    assert np.all((intervals[intervals < 1.0] >= 1 / 2.2 - 1e-9))


def test_bend_peaks_match_the_simulated_orientation(bends):
    truth, t = bends.truth, bends.block.t
    acc = body_acc(bends)
    events = truth.of_type("bend")
    assert {e.fields["style"] for e in events} == {"stoop", "squat"}
    for e in events:
        i0, i1 = np.searchsorted(t, [e.start, e.end])
        peak = e.fields["peak_flexion_deg"]
        assert abs(truth.flexion_deg[i0:i1].max() - peak) < 0.2
        lo, hi = (45, 110) if e.fields["style"] == "stoop" else (20, 60)
        assert lo - 3 <= peak <= hi + 3
        # tilt seen by the accelerometer at the bottom of the bend (slow there: gravity dominates)
        k = i0 + int(np.argmax(truth.flexion_deg[i0:i1]))
        g = acc[k - 5:k + 5].mean(axis=0)
        pitch = np.degrees(np.arctan2(-g[0], g[2]))  # roll is small in a bend; pitch may pass 90
        assert abs(pitch - truth.neutral["standing_pitch_deg"] - peak) < 5.0, e


def test_slouches_are_10_to_25_degrees_of_flexion():
    sim = simulate("slouch", 6)
    truth, t = sim.truth, sim.block.t
    slouches = truth.of_type("slouch")
    assert len(slouches) == 5
    neutral = truth.neutral["sitting_flexion_deg"]
    for e in slouches:
        assert 10 <= e.fields["flexion_deg"] <= 25
        i0, i1 = np.searchsorted(t, [e.start + 4.0, e.end - 2.0])
        held = truth.flexion_deg[i0:i1].mean() - neutral
        assert abs(held - e.fields["flexion_deg"]) < 3.0
