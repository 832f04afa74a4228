"""Forward bends: what a therapist asks about each one, and how risky it was.

A bend is an excursion of trunk flexion beyond ``bend_start_deg`` (relative to the standing neutral)
that returns below ``bend_end_deg``, while standing. Its start is moved back to where flexion left
the neutral (below half of ``bend_end_deg``), so start and end bracket the whole movement.

Measured per bend (event fields):

- ``peak_flexion_deg`` and the time of the peak;
- ``seconds_0_20``, ``seconds_20_60``, ``seconds_over_60``: time in the ISO 11226 / EN 1005-4 trunk
  flexion bands (band limits from the profile: ``band_low_deg``, ``band_high_deg``);
- ``peak_speed_dps``: peak sagittal angular speed (deg/s);
- ``twist_deg``: rotation about the vertical while bent, at its largest (absolute, deg; from the
  gyroscope, ``null`` without one);
- ``style``: ``squat`` when the hips went down and up a squat's distance (knees bent), else ``stoop``
  (:func:`bend_style`); ``null`` when the bend is too long to judge;
- ``severity`` by these rules, first match wins: ``high`` if peak > ``band_high_deg``, or peak >
  ``band_low_deg`` with twist > ``twist_severe_deg``, or more than ``held_bend_s`` above
  ``band_low_deg``; ``moderate`` if peak > ``band_low_deg``; else ``low``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sensorkit.events import Event

from .features import Frame, height_change, middle
from .profile import Profile

SQUAT_DROP_M = 0.18  # hip drop separating a squat (0.30-0.50 m) from a stoop (0.03-0.10 m)
MAX_DROP_M = 0.7  # an integrated drop beyond this is integration error (no hip travels so far in a squat)
SQUAT_ACC_MS2 = 2.2  # swing of the vertical acceleration (0.25 s means) above this: a squat's hips moved
STOOP_ACC_MS2 = 1.2  # ... below this: they did not (a stoop); in between the integrated drop decides
ACC_SMOOTH_S = 0.25
SQUAT_MAX_DEG = 70.0  # a waist inclination beyond this is a stoop: squats keep it within 20-60 deg
SENSOR_ABOVE_HIP_M = 0.14  # lower-back sensor height above the hip joints (0.10-0.18 m in adults)
MAX_INTEGRATION_S = 30.0  # beyond this the height integral drifts too much to classify the style
SURE_S = 1e-6  # s: a running sum's rounding is under 1e-9 s; this close to held_bend_s the exact sum decides


def sample_seconds(t: np.ndarray) -> np.ndarray:
    """Seconds each sample stands for: the step to the next one, where a gap (a step over twice the
    median) counts as one median step, since nobody knows what the trunk did while samples were lost."""
    if len(t) < 2:
        return np.zeros(len(t))
    dt = np.empty(len(t))
    np.subtract(t[1:], t[:-1], out=dt[:-1])
    dt[-1] = 0.0
    step = middle(dt[:-1])
    return np.where(dt > 2.0 * step, step, dt)


def bend_start(before: Frame, crossing_t: float, profile: Profile) -> float:
    """Walk back from the threshold crossing to where flexion left the neutral zone (``before``: the
    samples of the seconds before the crossing)."""
    calm = np.flatnonzero(before.flexion < 0.5 * profile.bend_end_deg)
    return float(before.t[calm[-1]]) if len(calm) else float(before.t[0]) if len(before) else crossing_t


@dataclass
class BendSeverity:
    """Severity rules, usable on a finished bend and, element-wise on running values, live."""

    profile: Profile

    def is_high(self, peak: Any, twist: Any, above_low_s: Any) -> Any:
        """High risk: scalars or arrays of the running peak, twist (None: no gyroscope) and time above."""
        p = self.profile
        high = (peak > p.band_high_deg) | ((peak > p.band_low_deg) & (above_low_s > p.held_bend_s))
        if twist is not None:
            high = high | ((peak > p.band_low_deg) & (twist > p.twist_severe_deg))
        return high

    def classify(self, peak: float, twist: float | None, above_low_s: float) -> str:
        if self.is_high(peak, twist, above_low_s):
            return "high"
        return "moderate" if peak > self.profile.band_low_deg else "low"


def bend_style(padded: Frame, peak_deg: float) -> str:
    """``squat`` or ``stoop`` for the samples of one bend (with half a second either side).

    A squat moves the hips 0.30-0.50 m down and back up within 1-2 s each way, which takes vertical
    accelerations of 1-3 m/s^2 both ways; a stoop rotates the trunk about the hips and moves the
    sensor (0.14 m above them) a few centimetres (squatting keeps the trunk more upright and drops
    the hips: Burgess-Limerick 2003, Int. J. Ind. Ergon. 31:143). So the swing (max - min) of the
    vertical acceleration decides first: it needs no integration, and a real accelerometer's
    orientation-dependent offset (axis gains a few % apart) moves it by only 0.2-0.4 m/s^2, whereas
    integrated twice over a 6 s bend that offset makes a phantom hip drop of up to 2 m (SisFall D15
    and D16 at the waist: integrated drops of 0.4-2.5 m in half the stoops). Only in between does the
    integrated drop (minus what trunk rotation alone explains) decide, and only if it is plausible.
    A bend deeper than SQUAT_MAX_DEG at the waist is a stoop whatever the swing: a squat keeps the
    trunk far more upright, and so deep a rotation leaks gravity into the vertical acceleration
    (UMAFall bends of 100-130 deg at 20 Hz swing 3-16 m/s^2). Thresholds set on the simulator and
    the odd-numbered SisFall subjects (validation/posture.md).
    """
    if len(padded) < 3 or peak_deg > SQUAT_MAX_DEG:
        return "stoop"
    k = max(1, int(round(ACC_SMOOTH_S / max(middle(np.diff(padded.t)), 1e-3))))
    smooth = np.convolve(padded.vertical_acc, np.ones(k) / k, mode="valid")
    swing = float(np.ptp(smooth)) if len(smooth) else 0.0
    if swing >= SQUAT_ACC_MS2 or swing < STOOP_ACC_MS2:
        return "squat" if swing >= SQUAT_ACC_MS2 else "stoop"
    _, lowest, _ = height_change(padded.t, padded.vertical_acc)
    # the sensor sits above the hips, so trunk rotation alone lowers it by r (1 - cos(peak))
    hip_drop = -lowest - SENSOR_ABOVE_HIP_M * (1.0 - np.cos(np.radians(peak_deg)))
    return "squat" if SQUAT_DROP_M < hip_drop < MAX_DROP_M else "stoop"


def band_seconds_and_twist(b: Frame, profile: Profile, has_gyro: bool) -> tuple[dict[str, float], float | None]:
    """Seconds in each flexion band and the twist (None without a gyroscope) of the bend samples ``b``:
    what its severity rests on, shared by :func:`measure_bend` and :func:`bend_severity` so both agree."""
    dt = sample_seconds(b.t)
    flex = b.flexion
    low, high = profile.band_low_deg, profile.band_high_deg
    bands = {
        "seconds_0_20": float(dt[flex < low].sum()),
        "seconds_20_60": float(dt[(flex >= low) & (flex <= high)].sum()),
        "seconds_over_60": float(dt[flex > high].sum()),
    }
    twist = None
    if has_gyro:
        heading = np.cumsum(b.heading_rate * dt)
        twist = float(np.max(np.abs(heading - heading[0]))) if len(heading) else 0.0
    return bands, twist


def severity_of(peak: float, bands: dict[str, float], twist: float | None, profile: Profile) -> str:
    """A bend's severity from its peak flexion, band seconds and twist (the rules of :class:`BendSeverity`)."""
    above_low = bands["seconds_20_60"] + bands["seconds_over_60"]
    return BendSeverity(profile).classify(peak, twist, above_low)


def bend_severity(fr: Frame, start: float, end: float, profile: Profile, has_gyro: bool) -> str:
    """The severity :func:`measure_bend` gives the bend from ``start`` to ``end``, without the other
    figures (its style above all): an open bend is asked this at every step of a bisection."""
    b = fr.between(start, end)
    bands, twist = band_seconds_and_twist(b, profile, has_gyro)
    return severity_of(float(b.flexion.max()), bands, twist, profile)


def high_so_far(b: Frame, profile: Profile, has_gyro: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """For each sample ``k`` of the bend samples ``b``: whether the bend ended there (``b[:k + 1]``) is
    high as :func:`bend_severity` finds it, and whether that verdict is sure; None when running sums
    cannot tell (a step :func:`sample_seconds` would shorten, rates not finite, under 3 samples).

    One pass of cumulative sums instead of :func:`bend_severity` once per end: the peak and the twist
    come out exactly as it computes them (a running maximum; a sequential cumsum of the same
    products), but the time above ``band_low_deg`` is added in another order, so an end whose time
    there is within SURE_S of ``held_bend_s`` is not sure (and is left to :func:`bend_severity`).
    With no step over twice the smallest, no prefix has a step that its median would shorten."""
    t, flex = b.t, b.flexion
    if len(t) < 3:
        return None
    step = np.diff(t)
    if step.max() > 2.0 * step.min() or (has_gyro and not np.isfinite(b.heading_rate).all()):
        return None
    peak = np.maximum.accumulate(flex)
    # the last sample of a prefix stands for no time (sample_seconds), so prefix k sums the steps before it
    above = np.concatenate([[0.0], np.cumsum(np.where(flex[:-1] >= profile.band_low_deg, step, 0.0))])
    twist = None
    if has_gyro:
        heading = np.cumsum(b.heading_rate[:-1] * step)
        twist = np.concatenate([[0.0], np.maximum.accumulate(np.abs(heading - heading[0]))])
    rules = BendSeverity(profile)
    high = rules.is_high(peak, twist, above + SURE_S)
    sure = high == rules.is_high(peak, twist, above - SURE_S)
    sure[:2] = False
    return high, sure


def measure_bend(fr: Frame, start: float, end: float, profile: Profile, has_gyro: bool) -> Event:
    """The bend event for the samples ``fr`` between ``start`` and ``end`` (see module docstring)."""
    b = fr.between(start, end)
    bands, twist = band_seconds_and_twist(b, profile, has_gyro)
    i_peak = int(np.argmax(b.flexion))
    peak = float(b.flexion[i_peak])
    style = bend_style(fr.between(start - 0.5, end + 0.5), peak) if end - start <= MAX_INTEGRATION_S else None
    fields = {
        "peak_flexion_deg": round(peak, 1),
        "peak_time": round(float(b.t[i_peak]), 3),
        **{k: round(v, 2) for k, v in bands.items()},
        "peak_speed_dps": round(float(np.max(np.abs(b.flexion_rate))), 1),
        "twist_deg": None if twist is None else round(twist, 1),
        "style": style,
        "severity": severity_of(peak, bands, twist, profile),
    }
    return Event("bend", start, end, fields)
