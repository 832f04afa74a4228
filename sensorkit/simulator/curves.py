"""Smooth curves with exact derivatives, so angles, angular rates and accelerations always agree.

Every trajectory in the simulator is evaluated at the sample times together with its first and
second time derivatives, computed analytically rather than by finite differences: the gyroscope
then measures exactly the rate of the orientation the accelerometer sees, at any sampling rate.

- :class:`MinJerkCurve`: piecewise minimum-jerk interpolation between knots (Flash & Hogan 1985,
  J. Neurosci. 5(7):1688-1703). A minimum-jerk move has zero velocity and acceleration at both ends
  and a bell-shaped velocity peaking at 1.875x the mean, the shape measured for voluntary point-to-
  point movements, and used here for every posture change, bend and transition.
- :func:`smooth_noise`: band-limited random wobble (postural sway, fidgeting) as a natural cubic
  spline through random knots; the spline's own derivatives are exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # SciPy is imported where it is used, so `sensorkit demo --help` does not wait for it
    from scipy.interpolate import CubicSpline


@dataclass
class Curve:
    """A sampled trajectory: value and its first and second time derivatives (units/s, units/s^2)."""

    value: np.ndarray
    d1: np.ndarray
    d2: np.ndarray

    def __add__(self, other: "Curve") -> "Curve":
        return Curve(self.value + other.value, self.d1 + other.d1, self.d2 + other.d2)

    @classmethod
    def zeros(cls, n: int) -> "Curve":
        return cls(np.zeros(n), np.zeros(n), np.zeros(n))


@dataclass
class MinJerkCurve:
    """Knots ``(time, value)``; between consecutive knots the value follows a minimum-jerk move.

    A hold is two knots with the same value. Before the first knot and after the last the value is
    held. Knots must be added in non-decreasing time; a knot at the time of the previous one
    replaces its value (an instantaneous change is never produced).
    """

    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def add(self, time: float, value: float) -> None:
        if self.times and time < self.times[-1] - 1e-9:
            raise ValueError(f"knot at {time} s is before the previous one at {self.times[-1]} s")
        if self.times and time <= self.times[-1] + 1e-9:
            self.values[-1] = float(value)
            return
        self.times.append(float(time))
        self.values.append(float(value))

    @property
    def last(self) -> float:
        return self.values[-1] if self.values else 0.0

    def evaluate(self, t: np.ndarray) -> Curve:
        kt = np.asarray(self.times, dtype=np.float64)
        kv = np.asarray(self.values, dtype=np.float64)
        n = len(t)
        if len(kt) == 0:
            return Curve.zeros(n)
        if len(kt) == 1:
            return Curve(np.full(n, kv[0]), np.zeros(n), np.zeros(n))
        i = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, len(kt) - 2)
        span = kt[i + 1] - kt[i]
        tau = np.clip((t - kt[i]) / span, 0.0, 1.0)
        step = kv[i + 1] - kv[i]
        tau2 = tau * tau
        s = tau2 * tau * (10.0 - 15.0 * tau + 6.0 * tau2)
        ds = 30.0 * tau2 * (1.0 - 2.0 * tau + tau2)
        dds = 60.0 * tau * (1.0 - 3.0 * tau + 2.0 * tau2)
        inside = (t >= kt[0]) & (t <= kt[-1])
        return Curve(
            kv[i] + step * s,
            np.where(inside, step * ds / span, 0.0),
            np.where(inside, step * dds / span**2, 0.0),
        )


def smooth_noise(rng: np.random.Generator, duration: float, knot_s: float, sd: float) -> CubicSpline:
    """A random smooth curve over ``[0, duration]`` with knots every ``knot_s`` seconds, value SD ``sd``.

    Its spectrum is flat up to about ``1 / (2 * knot_s)`` Hz and falls off above, the band of
    postural sway and fidgeting (sway at the lower back lies mostly below 1 Hz).
    """
    from scipy.interpolate import CubicSpline

    count = int(np.ceil(duration / knot_s)) + 2
    knots = np.arange(count) * knot_s
    return CubicSpline(knots, rng.normal(0.0, sd, count), bc_type="natural", extrapolate=True)


def evaluate_spline(spline: CubicSpline, t: np.ndarray) -> Curve:
    return Curve(spline(t), spline(t, 1), spline(t, 2))
