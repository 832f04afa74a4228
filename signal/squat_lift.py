"""Squat lifts with an upright trunk: picking something up with the knees, found from the pelvis.

A lift done with the knees can keep the lower back within the bend start (UMAFall subject 10: at most
11-17 deg), so no bend is seen from the trunk angle; the pelvis still goes down by tens of cm and
comes back up within a few seconds. Its vertical displacement is the vertical acceleration (gravity
removed, from the fused angles) integrated twice, with the drift removed by assuming the pelvis still
and at the same height at both ends of a short window (double integration of the lower trunk's
vertical acceleration with drift removal: Zijlstra & Hof 2003, Gait Posture 18(2):1-10). Integrated
over a whole merged vertical movement, orientation-dependent accelerometer offsets make drops of a
metre that never happened (:func:`.posture.hip_height_change`); over WINDOW_S they cannot.

A vertical movement is a squat lift when the posture tracker saw standing before it and it was not
a change of posture, it lasted at most MAX_MOVEMENT_S, it was not a series of steps (fewer than
MAX_PEAKS_PER_S vertical acceleration peaks per second: walking's cadence is at least ~1.3 steps/s,
and a few steps compressed into a short walk otherwise integrate to a dip), the trunk stayed below the
lower flexion band (``band_low_deg``) throughout, and the pelvis dipped at least SQUAT_LIFT_DIP_M in
some window. It is
reported as a bend with style ``squat``: a safe lift, whose severity is ``low`` (the trunk never left
the lowest band), so it never raises an alert. Thresholds and the figures for every class of movement,
both halves of the subjects: validation/squat_lift.py.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from sensorkit.events import Event

from .bending import measure_bend
from .features import Frame
from .profile import Profile

WINDOW_S = 3.0  # a quick squat down and back; longer windows let integration drift make dips (tuning half)
STEP_S = 0.25
SQUAT_LIFT_DIP_M = 0.25  # squats lower the pelvis 0.30-0.50 m; other upright movements <= 0.19 (tuning half)
MAX_MOVEMENT_S = 10.0  # a pick-up takes a few seconds; longer vertical movements are stairs, walking
STEP_PEAK_MS2 = 1.0  # a step's vertical acceleration peak; peaks closer than STEP_GAP_S are one
STEP_GAP_S = 0.3
MAX_PEAKS_PER_S = 1.0  # squat lifts 0.25-0.8 peaks/s (UMAFall subject 10, SisFall D15); walking >= ~1.3


def detrended(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``x`` minus the straight line through its ends: zero at both."""
    return x - x[0] - (x[-1] - x[0]) * (t - t[0]) / max(float(t[-1] - t[0]), 1e-9)


def pelvis_dip(t: np.ndarray, vertical_acc: np.ndarray) -> float:
    """The deepest down-and-back (m) of the sensor within any WINDOW_S window of the samples (one
    window if they are shorter): velocity zero and height equal at both ends of each window."""
    if len(t) < 5:
        return 0.0
    cap = 2.0 * float(np.median(np.diff(t)))  # a gap adds one sample step (see features.height_change)
    dt = np.minimum(np.diff(t, prepend=t[0]), cap)
    best = 0.0
    for start in np.arange(float(t[0]), max(float(t[-1]) - WINDOW_S, float(t[0])) + 1e-9, STEP_S):
        i0, i1 = int(np.searchsorted(t, start)), int(np.searchsorted(t, start + WINDOW_S, side="right"))
        if i1 - i0 > 4:
            tt, step = t[i0:i1], dt[i0:i1].copy()
            step[0] = 0.0
            v = detrended(tt, np.cumsum(vertical_acc[i0:i1] * step))
            best = max(best, -float(detrended(tt, np.cumsum(v * step)).min()))
    return best


def peaks_per_second(t: np.ndarray, vertical_acc: np.ndarray) -> float:
    """Vertical acceleration peaks (STEP_PEAK_MS2 or more, STEP_GAP_S apart) per second: about the
    cadence while walking, a few over a whole squat."""
    gap = max(1, int(round(STEP_GAP_S / float(np.median(np.diff(t))))))
    peaks, _ = find_peaks(vertical_acc, height=STEP_PEAK_MS2, distance=gap)
    return len(peaks) / max(float(t[-1] - t[0]), 1e-9)


def is_squat_lift(seg: Frame, duration_s: float, profile: Profile) -> bool:
    """Whether the vertical movement ``seg`` (with half a second either side), ``duration_s`` long, is
    a squat lift by the rules of the module docstring (the posture conditions are the caller's)."""
    return (len(seg) > 4 and duration_s <= MAX_MOVEMENT_S and float(np.abs(seg.flexion).max()) < profile.band_low_deg
            and peaks_per_second(seg.t, seg.vertical_acc) < MAX_PEAKS_PER_S
            and pelvis_dip(seg.t, seg.vertical_acc) >= SQUAT_LIFT_DIP_M)


def squat_lift(window: Frame, start: float, end: float, profile: Profile, has_gyro: bool) -> Event:
    """The bend event of a squat lift from ``start`` to ``end`` (``window``: its samples and a second
    either side), measured as any bend, its style ``squat``."""
    bend = measure_bend(window, start, end, profile, has_gyro)
    return Event("bend", bend.start, bend.end, {**bend.fields, "style": "squat"})
