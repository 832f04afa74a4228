"""Walking: step timing and the lower-back motion of each step, after the inverted-pendulum model.

Step timing. Each bout has a cadence (steps/s, drawn in :mod:`.timeline`); step durations vary
from step to step with a coefficient of variation of 2.5 % (healthy adults walk with step-time CVs of
about 1.5-3 %, Hausdorff 2005, J. NeuroEng. Rehabil. 2:19), clipped so that every step stays within
1.4-2.2 steps/s. The first initial contact (IC) comes 0.4-0.7 s after the bout starts (gait
initiation), feet alternate, the first one is random.

Trunk translation (the sensor on the lower back moves with the body's centre of mass, to first order):

- vertical: during each step the centre of mass vaults over the stance leg like an inverted pendulum
  (Zijlstra & Hof 2003, Gait Posture 18(2):1-10): lowest around double support just after IC, highest
  at mid-stance. Peak-to-peak height change ``h = l - sqrt(l^2 - (SL / 2K)^2)`` for leg length ``l``
  and step length ``SL``, with ``K = 1.25`` the correction Zijlstra & Hof needed because the real
  pendulum is shorter than the leg; a second harmonic (8 % of the first in
  displacement, 32 % in acceleration) sharpens the peak after IC.
- forward: speed is highest when the body is lowest and lowest at mid-stance (kinetic and potential
  energy exchange); the speed swing follows from ``v * dv = r * g * h`` with a recovery ``r = 0.65``
  (Cavagna, Thys & Zamboni 1976, J. Physiol. 262:639: about 65 % recovery at normal speeds).
- lateral: the body sways toward the stance foot once per stride, 2-3.5 cm each way.
- step length from cadence: ``SL = l * (0.60 + 0.35 * (f - 1.4) / 0.8)`` (0.5 m at 1.4 steps/s to
  0.85 m at 2.2 steps/s for l = 0.9 m), i.e. walking speeds of 0.8-1.9 m/s.
- a heel-strike transient: a 20 ms "Mexican hat" pulse at every IC, 1.5-3 m/s^2 upward and 3-5 m/s^2
  backward (braking), zero mean and zero net displacement, so it adds the sharp peaks seen in lumbar
  recordings without moving the body; the forward swing also gets a second harmonic (half the first).
  These three were tuned so that the simulated RMS accelerations match real L5 recordings (see
  ``benchmarks/simulator_walking_vs_real.py``: Voisard et al. 2023 data, 140 walking stretches).

The resulting lower-back accelerations have peak amplitudes of roughly 2-5 m/s^2 vertically,
1-2 m/s^2 forward and about 1 m/s^2 sideways, the magnitudes reported for the lower trunk by
Moe-Nilssen 1998 (Clin. Biomech. 13:320) and Menz, Lord & Fitzpatrick 2003 (Gait Posture 18:35).

Trunk rotation: pelvic tilt (pitch) 1.5-2.5 deg at step frequency, obliquity (roll) 3-4 deg and axial
rotation (yaw) 4-5 deg at stride frequency (the normal pelvic ranges, e.g. Perry & Burnfield, Gait
Analysis, 2nd ed. 2010). The lower back tilts toward the stance side (the lumbar spine compensates the
pelvic drop on the swing side), so the sideways tilt of gravity adds to the sideways sway. Stride-frequency angles are zero at each IC so that a bout starts
and ends at the posture of the standing person (no jump in orientation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .curves import Curve

STEP_CV = 0.025
MIN_CADENCE, MAX_CADENCE = 1.4, 2.2
PENDULUM_K = 1.25
ENERGY_RECOVERY = 0.65
SECOND_HARMONIC = 0.08
FORWARD_SECOND_HARMONIC = 0.5
VERTICAL_PHASE = 0.1  # lowest point of the body, in fractions of a step after IC
HEEL_STRIKE_WIDTH_S = 0.02
G = 9.80665


@dataclass
class Bout:
    """One walking bout: its ICs (s), feet (+1 left, -1 right) and per-bout amplitudes (SI units, deg)."""

    ics: np.ndarray
    sides: np.ndarray
    speed: float
    vertical_pp_m: float
    speed_swing: float
    lateral_m: float
    pitch_deg: float
    roll_deg: float
    yaw_deg: float
    heel_strike: float
    braking: float

    @property
    def cadence(self) -> float:
        return float((len(self.ics) - 1) / (self.ics[-1] - self.ics[0]))


def plan_bout(rng: np.random.Generator, start: float, end: float, cadence: float,
              leg_length: float) -> Bout | None:
    """Steps of a bout in ``[start, end)``; None if fewer than three ICs fit."""
    period = 1.0 / cadence
    first = start + rng.uniform(0.4, 0.7)
    count = int((end - first) * MAX_CADENCE) + 2
    steps = period * (1.0 + STEP_CV * rng.standard_normal(count))
    steps = np.clip(steps, 1.0 / MAX_CADENCE, 1.0 / MIN_CADENCE)
    ics = first + np.concatenate([[0.0], np.cumsum(steps)])
    ics = ics[ics <= end - 0.3]
    if len(ics) < 3:
        return None
    first_side = rng.choice([-1, 1])
    sides = first_side * np.where(np.arange(len(ics)) % 2 == 0, 1, -1)
    step_length = leg_length * (0.60 + 0.35 * (cadence - 1.4) / 0.8)
    speed = step_length * cadence
    half = step_length / (2.0 * PENDULUM_K)
    height = leg_length - np.sqrt(leg_length**2 - half**2)
    return Bout(
        ics=ics, sides=sides.astype(np.int8), speed=float(speed), vertical_pp_m=float(height),
        speed_swing=float(ENERGY_RECOVERY * G * height / speed),
        lateral_m=float(rng.uniform(0.02, 0.035)), pitch_deg=float(rng.uniform(1.5, 2.5)),
        roll_deg=float(rng.uniform(3.0, 4.0)), yaw_deg=float(rng.uniform(4.0, 5.0)),
        heel_strike=float(rng.uniform(1.5, 3.0)), braking=float(rng.uniform(3.0, 5.0)),
    )


@dataclass
class GaitMotion:
    """Gait contributions at given times: heading-frame accelerations, angle offsets (deg), speed."""

    acc_forward: np.ndarray
    acc_left: np.ndarray
    acc_up: np.ndarray
    pitch: Curve
    roll: Curve
    yaw: Curve
    speed: np.ndarray


class GaitModel:
    """All bouts of a timeline, evaluated vectorised at any sample times."""

    def __init__(self, bouts: list[Bout]):
        self.bouts = bouts
        starts, durs, sides, owner = [], [], [], []
        for i, b in enumerate(bouts):
            starts.append(b.ics[:-1])
            durs.append(np.diff(b.ics))
            sides.append(b.sides[:-1])
            owner.append(np.full(len(b.ics) - 1, i))
        cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.empty(0, dt)  # noqa: E731
        self._start = cat(starts, np.float64)
        self._dur = cat(durs, np.float64)
        self._side = cat(sides, np.float64)
        self._owner = cat(owner, np.int64)
        self._ics = cat([b.ics for b in bouts], np.float64)
        self._ic_up = cat([np.full(len(b.ics), b.heel_strike) for b in bouts], np.float64)
        self._ic_back = cat([np.full(len(b.ics), b.braking) for b in bouts], np.float64)
        self._param = {
            name: np.array([getattr(b, name) for b in bouts], dtype=np.float64)
            for name in ("speed", "vertical_pp_m", "speed_swing", "lateral_m", "pitch_deg", "roll_deg", "yaw_deg")
        }

    def evaluate(self, t: np.ndarray) -> GaitMotion:
        n = len(t)
        if len(self._start) == 0:
            z = np.zeros(n)
            return GaitMotion(z, z.copy(), z.copy(), Curve.zeros(n), Curve.zeros(n), Curve.zeros(n), z.copy())
        k = np.searchsorted(self._start, t, side="right") - 1
        kk = np.clip(k, 0, len(self._start) - 1)
        on = (k >= 0) & (t < self._start[kk] + self._dur[kk])
        dur = self._dur[kk]
        u = np.where(on, (t - self._start[kk]) / dur, 0.0)
        side = self._side[kk]
        p = {name: np.where(on, v[self._owner[kk]], 0.0) for name, v in self._param.items()}
        w = 2.0 * np.pi / dur  # step angular frequency, rad/s
        ws = np.pi / dur  # stride angular frequency, rad/s
        phase = 2.0 * np.pi * (u - VERTICAL_PHASE)
        half_a = 0.5 * p["vertical_pp_m"]
        acc_up = half_a * w**2 * (np.cos(phase) + 4.0 * SECOND_HARMONIC * np.cos(2.0 * phase))
        pulse, nearest = self._heel_strikes(t)
        acc_up += self._ic_up[nearest] * pulse
        acc_forward = -0.5 * p["speed_swing"] * w * (np.sin(phase) + FORWARD_SECOND_HARMONIC * np.sin(2.0 * phase))
        acc_forward -= self._ic_back[nearest] * pulse
        s, c = np.sin(np.pi * u), np.cos(np.pi * u)
        acc_left = -side * p["lateral_m"] * ws**2 * s
        pa = p["pitch_deg"]
        pitch = Curve(pa * (np.cos(phase) - np.cos(2.0 * np.pi * VERTICAL_PHASE)),
                      -pa * w * np.sin(phase), -pa * w**2 * np.cos(phase))
        roll = Curve(-side * p["roll_deg"] * s, -side * p["roll_deg"] * ws * c, side * p["roll_deg"] * ws**2 * s)
        yaw = Curve(-side * p["yaw_deg"] * s, -side * p["yaw_deg"] * ws * c, side * p["yaw_deg"] * ws**2 * s)
        return GaitMotion(acc_forward, acc_left, acc_up, pitch, roll, yaw, p["speed"])

    def _heel_strikes(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The unit heel-strike pulse at each sample and the index of the nearest IC."""
        j = np.clip(np.searchsorted(self._ics, t), 1, max(len(self._ics) - 1, 1))
        before, after = self._ics[j - 1], self._ics[np.minimum(j, len(self._ics) - 1)]
        nearest = np.where(np.abs(t - before) <= np.abs(t - after), j - 1, np.minimum(j, len(self._ics) - 1))
        x = (t - self._ics[nearest]) / HEEL_STRIKE_WIDTH_S
        pulse = (1.0 - x**2) * np.exp(-0.5 * x**2)
        return np.where(np.abs(x) < 8.0, pulse, 0.0), nearest
