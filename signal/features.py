"""Per-sample features the classifiers share, and a short history of them for looking back.

From the trunk angles and the body-frame samples this computes, vectorised:

- ``vertical_acc``: acceleration along the world vertical without gravity (m/s^2). Sitting down or
  standing up moves the hips by about 0.45 m; integrating this tells a stand-to-sit from a squat
  and a squat from a stoop. The vertical comes from the fused angles, so an angle error ``d`` leaks
  gravity only as ``g (1 - cos d)`` (second order: 0.006 m/s^2 at 2 deg).
- ``vertical_speed``: a leaky integral of it (time constant VERTICAL_TAU_S; m/s) after removing its
  slow offset (accelerometer bias), high in any movement that raises or lowers the hips.
- ``heading_rate``: rotation rate about the world vertical (deg/s): turning, or twisting while bent.

:class:`History` keeps the last few tens of seconds of every feature so an episode can be measured
once it ends (its peak, its height change) whatever chunks it arrived in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
from scipy.signal import lfilter

from sensorkit.samples import STANDARD_GRAVITY, SampleBlock

from .orientation import TrunkAngles

VERTICAL_TAU_S = 1.5
BIAS_TAU_S = 10.0
FUSED_VERTICAL_MAX_DEG = 50.0
WALKING_MOVEMENT = 1.0  # m/s^2 RMS of |acc| - g, sustained: walking, where the trunk's direction is steady
SUSTAINED_TAU_S = 4.0


@dataclass
class Frame:
    """Features of consecutive samples; all arrays share the first dimension."""

    t: np.ndarray
    flexion: np.ndarray  # deg, + forward, relative to the aligned (standing) neutral
    lateral: np.ndarray  # deg, + right
    inclination: np.ndarray  # deg from vertical
    gravity: np.ndarray  # (n, 3) unit up direction in the body frame (low-passed)
    movement: np.ndarray  # m/s^2 RMS of |acc| - g
    flexion_rate: np.ndarray  # deg/s
    vertical_acc: np.ndarray  # m/s^2
    vertical_speed: np.ndarray  # m/s, leaky
    heading_rate: np.ndarray  # deg/s
    acc: np.ndarray  # (n, 3) m/s^2, body frame, gravity included (the samples as the posture work sees them)

    def __len__(self) -> int:
        return len(self.t)

    def slice(self, i0: int, i1: int) -> "Frame":
        # written out: the posture tracker slices a frame at every decision (thousands a day)
        return Frame(self.t[i0:i1], self.flexion[i0:i1], self.lateral[i0:i1], self.inclination[i0:i1],
                     self.gravity[i0:i1], self.movement[i0:i1], self.flexion_rate[i0:i1], self.vertical_acc[i0:i1],
                     self.vertical_speed[i0:i1], self.heading_rate[i0:i1], self.acc[i0:i1])

    def between(self, t0: float, t1: float) -> "Frame":
        """Samples with ``t0 <= t <= t1``."""
        return self.slice(int(self.t.searchsorted(t0, side="left")), int(self.t.searchsorted(t1, side="right")))

    @staticmethod
    def concat(frames: list["Frame"]) -> "Frame":
        return Frame(*(np.concatenate([getattr(fr, name) for fr in frames]) for name in _FRAME_FIELDS))


_FRAME_FIELDS = tuple(f.name for f in fields(Frame))  # looked up once: frames are joined at every window asked for


@dataclass
class FeatureExtractor:
    """Turns body-frame samples and trunk angles into a :class:`Frame`; carries the integrator state."""

    rate_hz: float
    _zi: tuple[np.ndarray, np.ndarray] | None = None
    _zi_move: np.ndarray | None = None

    def _sustained_movement(self, movement: np.ndarray) -> np.ndarray:
        """Movement averaged over SUSTAINED_TAU_S: high for walking, low for a few seconds of bending."""
        k = float(np.exp(-1.0 / (self.rate_hz * SUSTAINED_TAU_S)))
        if self._zi_move is None:
            self._zi_move = np.array([k * movement[0]])
        out, self._zi_move = lfilter([1.0 - k], [1.0, -k], movement, zi=self._zi_move)
        return out

    def run(self, block: SampleBlock, acc_body: np.ndarray, gyr_body: np.ndarray | None, ang: TrunkAngles) -> Frame:
        th, ph = np.radians(ang.flexion_deg), np.radians(ang.lateral_deg)
        cph = np.cos(ph)
        up = np.empty((len(th), 3))  # the trunk's up direction, written in place
        np.multiply(np.negative(np.sin(th)), cph, out=up[:, 0])
        np.sin(ph, out=up[:, 1])
        np.multiply(np.cos(th), cph, out=up[:, 2])
        along_up = np.einsum("ij,ij->i", acc_body, up)
        # Near horizontal (lying, rolling, getting up from a bed) the sagittal angle is undefined and
        # the fused vertical unreliable; there the magnitude |acc| - g, equal to first order, is used
        # (|acc| of the same samples, from the orientation filter).
        magnitude = ang.acc_norm
        # Without a gyroscope the angles lag behind fast moves; the magnitude does not, but while
        # walking it picks up |a_horizontal|^2 / 2g, so there the low-passed vertical is used.
        use_fused = (ang.inclination_deg < FUSED_VERTICAL_MAX_DEG) & ang.fused
        sustained = self._sustained_movement(ang.movement)
        if ang.fused:  # the low-passed vertical is not used
            vacc = np.where(use_fused, along_up, magnitude)
        else:
            along_lp = np.einsum("ij,ij->i", acc_body, ang.gravity)
            vacc = np.where(use_fused, along_up, np.where(sustained > WALKING_MOVEMENT, along_lp, magnitude))
        vacc -= STANDARD_GRAVITY
        dt = 1.0 / self.rate_hz
        if self._zi is None:  # start from the first value as the bias estimate, speed zero
            k = float(np.exp(-dt / BIAS_TAU_S))
            self._zi = np.array([k * vacc[0]]), np.zeros(1)
        # remove the slowly varying offset (accelerometer bias: 0.1-0.2 m/s^2), then leaky-integrate
        k = float(np.exp(-dt / BIAS_TAU_S))
        bias, zi_bias = lfilter([1.0 - k], [1.0, -k], vacc, zi=self._zi[0])
        a = float(np.exp(-dt / VERTICAL_TAU_S))
        vspeed, zi_speed = lfilter([dt], [1.0, -a], vacc - bias, zi=self._zi[1])
        self._zi = (zi_bias, zi_speed)
        if gyr_body is not None:
            heading = np.degrees(np.einsum("ij,ij->i", gyr_body, up))
        else:
            heading = np.zeros(len(block))
        return Frame(block.t, ang.flexion_deg, ang.lateral_deg, ang.inclination_deg, ang.gravity,
                     ang.movement, ang.flexion_rate_dps, vacc, vspeed, heading, acc_body)


@dataclass
class History:
    """The most recent ``keep_s`` seconds of features, kept as the chunks that arrived.

    Chunks are joined only when a window is asked for (at decisions, a few per minute), so feeding
    one-second chunks live costs nothing per chunk. Whole chunks older than ``keep_s`` are dropped,
    so a window that starts within ``keep_s`` of the newest sample before the last chunk is always complete.
    """

    keep_s: float
    frames: list[Frame] = field(default_factory=list)

    def extend(self, new: Frame) -> None:
        if len(new) == 0:
            return
        # Decisions still to come are all later than the newest sample before ``new``: keep ``keep_s``
        # before that one (pruning from ``new``'s last sample lost what decisions early in it look at).
        newest = float(self.frames[-1].t[-1]) if self.frames else float(new.t[0])
        self.frames.append(new)
        while len(self.frames) > 1 and float(self.frames[0].t[-1]) < newest - self.keep_s:
            self.frames.pop(0)

    def between(self, t0: float, t1: float) -> Frame:
        """Samples with ``t0 <= t <= t1``."""
        parts = [f.between(t0, t1) for f in self.frames if f.t[-1] >= t0 and f.t[0] <= t1]
        if not parts:
            return self.frames[0].slice(0, 0)
        return parts[0] if len(parts) == 1 else Frame.concat(parts)  # only what is asked for is copied


def middle(x: np.ndarray) -> float:
    """The median of ``x`` (as np.median) without its generic machinery, for arrays without NaN (sample
    steps): it runs several times per bend and per vertical movement."""
    n = len(x)
    part = np.partition(x, [(n - 1) // 2, n // 2])
    return float((part[(n - 1) // 2] + part[n // 2]) / 2)


def height_change(t: np.ndarray, vertical_acc: np.ndarray) -> tuple[float, float, float]:
    """Net, lowest and highest height (m) relative to the start, assuming still at both ends.

    Velocity is the integral of the vertical acceleration, corrected by a straight line so it is
    zero at both ends (the person is still before and after: a zero-velocity update); height is the
    integral of that. Sensor bias and small gravity leaks become a straight-line velocity error and
    are removed with it.
    """
    if len(t) < 3:
        return 0.0, 0.0, 0.0
    dt = np.diff(t, prepend=t[0])
    # Samples lost in a gap cannot be integrated; bridging the gap with the last acceleration would
    # invent velocity, so a gap contributes one typical step only (the hip movement it hid is lost).
    dt = np.minimum(dt, 2.0 * middle(dt))
    v = np.cumsum(vertical_acc * dt)
    v -= v[0] + (v[-1] - v[0]) * (t - t[0]) / max(t[-1] - t[0], 1e-9)
    h = np.cumsum(v * dt)
    return float(h[-1]), float(h.min()), float(h.max())
