"""Hip height over a vertical movement: zero velocity where a bend is held still (posture.hip_height_change).

Synthetic 25 Hz feature frames with a known hip path, so each case has one right answer.
"""

from __future__ import annotations

import numpy as np

from sensorkit.samples import STANDARD_GRAVITY
from sensorkit.signal.features import Frame, height_change
from sensorkit.signal.posture import held_bends, hip_height_change

RATE = 25.0
BEND_START = 15.0


def frame(t: np.ndarray, flexion: np.ndarray, vertical_acc: np.ndarray) -> Frame:
    n = len(t)
    zeros = np.zeros(n)
    rate = np.gradient(flexion, t)
    return Frame(t, flexion, zeros, np.abs(flexion), np.tile([0.0, 0.0, 1.0], (n, 1)), zeros, rate,
                 vertical_acc, zeros, zeros, np.tile([0.0, 0.0, STANDARD_GRAVITY], (n, 1)))


def smooth_step(t: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """0 before t0, 1 after t1, minimum-jerk in between."""
    s = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
    return s**3 * (10 - 15 * s + 6 * s**2)


def test_held_stoop_with_orientation_dependent_offset_is_no_hip_drop():
    # The vertical movement of a stoop held at 25 deg, as the posture tracker sees it: its window
    # starts during the hold and ends 1 s after the return to upright. The accelerometer's vertical
    # offset is 0.2 m/s^2 lower while bent (as measured on SisFall D16, subject SA15); the hips stay put.
    rng = np.random.default_rng(1)
    t = np.arange(0.0, 4.4, 1 / RATE)
    bent = 1.0 - smooth_step(t, 2.9, 3.4)
    flexion = 25.0 * bent
    vacc = 0.4 - 0.2 * bent + rng.normal(0.0, 0.03, len(t))
    fr = frame(t, flexion, vacc)
    assert height_change(t, vacc)[0] < -0.2  # integrated whole, it reads as sitting down
    assert len(held_bends(fr, BEND_START)) == 1
    assert abs(hip_height_change(fr, BEND_START)) < 0.08


def test_sit_down_keeps_its_drop():
    # Hips 0.45 m down in 1.5 s with the forward lean of sitting down (never held still).
    t = np.arange(0.0, 6.0, 1 / RATE)
    h = -0.45 * smooth_step(t, 2.0, 3.5)
    vacc = np.gradient(np.gradient(h, t), t)
    flexion = 35.0 * np.sin(np.pi * np.clip((t - 1.8) / 1.9, 0.0, 1.0))
    fr = frame(t, flexion, vacc)
    assert held_bends(fr, BEND_START) == []
    assert abs(hip_height_change(fr, BEND_START) + 0.45) < 0.03


def test_squat_rising_at_a_constant_trunk_angle_is_not_cut():
    # Trunk held at 30 deg while the hips rise 0.4 m: still trunk, moving hips. The acceleration is
    # not steady, so no zero-velocity cut is made and the rise is kept.
    t = np.arange(0.0, 7.0, 1 / RATE)
    flexion = 30.0 * (smooth_step(t, 1.0, 1.8) - smooth_step(t, 5.0, 5.8))
    h = 0.4 * smooth_step(t, 2.5, 4.0)
    vacc = np.gradient(np.gradient(h, t), t)
    fr = frame(t, flexion, vacc)
    assert held_bends(fr, BEND_START) == []
    assert abs(hip_height_change(fr, BEND_START) - 0.4) < 0.03
