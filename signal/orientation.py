"""Trunk angles from a lower-back IMU: a complementary filter per angle, vectorised, state carried.

Why this shape: a full 3-D attitude filter (Madgwick, Mahony) is a per-sample recursion that pure
NumPy cannot vectorise, and 24 h at 100 Hz (8.6 million samples) must run in well under a second. For a
trunk sensor the angles that matter are each about one body axis, so each is fused on its own:

    angle = LowPass_tau( angle_from_accelerometer + tau * angular_rate )

which is exactly the first-order complementary filter (low-pass on the accelerometer angle, high-pass
on the integrated gyroscope, crossover time constant ``tau``), written as one linear filter so
``scipy.signal.lfilter`` runs it with its state in ``zi``, like any SciPy filter fed in chunks. The
accelerometer wins on the slow average (no drift), the gyroscope on fast changes (walking impacts and
quick bends do not corrupt the angle). A gyroscope bias ``b`` shifts the angle by ``tau * b``
(0.3 deg for a typical 0.3 deg/s bias at tau = 1 s). Without a gyroscope the same filter runs with
the rate term removed and a shorter ``tau`` (accelerometer only; noisier during walking).

Body frame (right-handed): x forward, y left, z up, from :mod:`sensorkit.signal.alignment`.
Angles, in degrees:

- ``flexion``: sagittal, positive bending forward, ``atan2(-a_x, a_z)`` (full range, so bends past
  horizontal are measured), fused with the rate about the left axis.
- ``lateral``: positive bending to the right, the elevation of the left axis ``atan2(a_y, hypot(a_x, a_z))``
  (defined in any posture, +-90 deg), fused with its rate.
- ``inclination``: absolute angle of the trunk from vertical, from the low-passed gravity direction.
- ``twist_rate``: axial rate about the trunk's long axis (deg/s; zero without a gyroscope).

The sagittal angle is unwrapped before filtering (turn count carried in the state), so lying on the
side, where it is undefined and jumps, does not ring the filter. The gyroscope rates are projected
onto each angle's own rate at the current posture (see :func:`_angle_rates`), so twisting while bent
forward does not leak into the lateral angle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import lfilter

from sensorkit.samples import STANDARD_GRAVITY, SampleBlock

from .episodes import steps

TAU_FUSED_S = 1.0  # crossover with a gyroscope: slower than a bend, faster than gyro drift matters
TAU_ACC_ONLY_S = 0.5  # low-pass alone: smooths walking impacts, still follows a bend
TAU_GRAVITY_S = 1.0  # posture direction: settles within a couple of seconds
RESTART_GAP_S = 2.0  # after a gap this long the filters restart from the accelerometer
TWO_PI = 2.0 * np.pi


@dataclass
class TrunkAngles:
    """Per-sample trunk angles and movement measures in the body frame; see the module docstring."""

    t: np.ndarray
    flexion_deg: np.ndarray
    lateral_deg: np.ndarray
    inclination_deg: np.ndarray
    flexion_rate_dps: np.ndarray
    twist_rate_dps: np.ndarray
    gravity: np.ndarray  # (n, 3) low-passed unit "up" direction in the body frame
    movement: np.ndarray  # m/s^2, RMS of |acc| - g over about a second: how much the trunk is moving
    fused: bool  # True when the gyroscope was used
    acc_norm: np.ndarray  # m/s^2, |acc| of each sample (the features use it too)

    def __len__(self) -> int:
        return len(self.t)


def _alpha(rate_hz: float, tau_s: float) -> float:
    dt = 1.0 / rate_hz
    return tau_s / (tau_s + dt)


@dataclass
class _LowPass:
    """First-order low-pass over several columns with its ``zi`` state (None until the first sample)."""

    alpha: float
    zi: np.ndarray | None = None

    def run(self, x: np.ndarray, restart: bool) -> np.ndarray:
        b, a = [1.0 - self.alpha], [1.0, -self.alpha]
        if self.zi is None or restart:
            self.zi = self.alpha * x[:1].copy()  # steady state at the first input: no start-up ramp
        y, zf = lfilter(b, a, x, axis=0, zi=self.zi)
        self.zi = zf
        return y


@dataclass
class _Unwrap:
    """Unwraps an angle stream across chunks with an integer turn count, so chunking is bit-exact."""

    last: float | None = None
    turns: int = 0

    def run(self, angle: np.ndarray) -> np.ndarray:
        prev = angle[0] if self.last is None else self.last
        d = steps(angle, prev)
        if d.max() / TWO_PI <= 0.5 and d.min() / TWO_PI >= -0.5:  # no step rounds to a turn: the usual chunk
            self.last = float(angle[-1])
            return angle + TWO_PI * self.turns
        step = -np.round(d / TWO_PI).astype(np.int64)
        k = self.turns + np.cumsum(step)
        self.last, self.turns = float(angle[-1]), int(k[-1])
        return angle + TWO_PI * k


def _wrap_deg(rad: np.ndarray) -> np.ndarray:
    shifted = rad + np.pi
    if not (shifted.min() >= 0.0 and shifted.max() < TWO_PI):  # else the remainder is the value itself
        shifted %= TWO_PI
    shifted -= np.pi
    return np.degrees(shifted, out=shifted)


@dataclass
class OrientationFilter:
    """Streaming trunk-angle estimator: ``update(block)`` as often as data arrives, same result as once.

    ``rotation`` maps sensor to body frame (rows: forward, left, up in sensor coordinates), from
    :func:`sensorkit.signal.alignment.calibrate` or :func:`~sensorkit.signal.alignment.auto_align`.
    ``use_gyro=False`` forces the accelerometer-only path even when a gyroscope is present;
    ``signed=False`` reports flexion as the unsigned tilt from vertical (forward direction unknown).
    """

    rotation: np.ndarray
    rate_hz: float
    use_gyro: bool = True
    tau_s: float | None = None
    signed: bool = True  # False when the forward direction is unknown: flexion = tilt from vertical
    _state: dict = field(default_factory=dict, init=False, repr=False)
    _last_t: float | None = field(default=None, init=False, repr=False)
    _last_flexion: float | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.rotation = np.asarray(self.rotation, dtype=np.float64).reshape(3, 3)

    def _filters(self, fused: bool) -> dict:
        if not self._state:
            tau = self.tau_s or (TAU_FUSED_S if fused else TAU_ACC_ONLY_S)
            self._state = {
                "angles": _LowPass(_alpha(self.rate_hz, tau)),  # sagittal and lateral, 2 columns
                "grav": _LowPass(_alpha(self.rate_hz, TAU_GRAVITY_S)),
                "move": _LowPass(_alpha(self.rate_hz, TAU_GRAVITY_S)),
                "unwrap_sag": _Unwrap(),
                "tau": tau,
            }
        return self._state

    def update(self, block: SampleBlock) -> TrunkAngles:
        """Angles for the next sensor-frame samples."""
        gyr = None if block.gyr is None else block.gyr @ self.rotation.T
        return self.update_body(block.t, block.acc @ self.rotation.T, gyr)

    def update_body(self, t: np.ndarray, acc: np.ndarray, gyr: np.ndarray | None) -> TrunkAngles:
        """Angles for the next samples already rotated into the body frame (saves a rotation)."""
        fused = bool(self.use_gyro and gyr is not None)
        if len(t) == 0:
            return _empty_angles(fused)
        st = self._filters(fused)
        # Filters restart after gaps longer than RESTART_GAP_S, also when the gap falls between chunks.
        gap_before_chunk = self._last_t is not None and t[0] - self._last_t > RESTART_GAP_S
        cuts = np.flatnonzero(np.diff(t) > RESTART_GAP_S) + 1
        bounds = np.concatenate([[0], cuts, [len(t)]])
        parts = [
            self._run(t[s:e], acc[s:e], None if gyr is None else gyr[s:e], st, fused,
                      restart=(s > 0 or gap_before_chunk))
            for s, e in zip(bounds[:-1], bounds[1:])
        ]
        return parts[0] if len(parts) == 1 else _concat(parts, fused)

    def _run(self, t: np.ndarray, acc: np.ndarray, gyr: np.ndarray | None, st: dict, fused: bool,
             restart: bool) -> TrunkAngles:
        ax, ay, az = acc[:, 0], acc[:, 1], acc[:, 2]
        sag_acc = st["unwrap_sag"].run(np.arctan2(-ax, az))
        lat_acc = np.arctan2(ay, np.hypot(ax, az))
        grav = st["grav"].run(acc, restart)
        gnorm = np.sqrt(np.einsum("ij,ij->i", grav, grav))
        gnorm[gnorm == 0] = 1.0
        grav /= gnorm[:, None]
        tau = st["tau"]
        both_in = np.empty((len(t), 2))  # sagittal and lateral inputs, filtered together
        if fused:
            sag_rate, lat_rate = _angle_rates(gyr, grav)
            np.add(sag_acc, tau * sag_rate, out=both_in[:, 0])
            np.add(lat_acc, tau * lat_rate, out=both_in[:, 1])
            flex_rate, twist_rate = np.degrees(sag_rate), np.degrees(np.einsum("ij,ij->i", gyr, grav))
        else:
            both_in[:, 0], both_in[:, 1] = sag_acc, lat_acc
            flex_rate, twist_rate = None, np.zeros(len(t))
        both = st["angles"].run(both_in, restart)
        norm = np.sqrt(np.einsum("ij,ij->i", acc, acc))
        move = np.sqrt(st["move"].run(((norm - STANDARD_GRAVITY) ** 2)[:, None], restart)[:, 0])
        flexion = _wrap_deg(both[:, 0])
        if not self.signed:  # tilt of the trunk from vertical: cos(tilt) = cos(flexion) cos(lateral)
            flexion = np.degrees(np.arccos(np.clip(np.cos(both[:, 0]) * np.cos(both[:, 1]), -1.0, 1.0)))
            flex_rate = None
        if flex_rate is None:  # backward difference of the filtered angle, previous sample carried
            prev_f = flexion[0] if self._last_flexion is None or restart else self._last_flexion
            prev_t = t[0] - 1.0 / self.rate_hz if self._last_t is None or restart else self._last_t
            flex_rate = steps(flexion, prev_f) / np.maximum(steps(t, prev_t), 1e-6)
        self._last_flexion, self._last_t = float(flexion[-1]), float(t[-1])
        return TrunkAngles(
            t=t,
            flexion_deg=flexion,
            lateral_deg=np.degrees(both[:, 1]),
            inclination_deg=np.degrees(np.arccos(np.clip(grav[:, 2], -1.0, 1.0))),
            flexion_rate_dps=flex_rate,
            twist_rate_dps=twist_rate,
            gravity=grav,
            movement=move,
            fused=fused,
            acc_norm=norm,
        )


def _angle_rates(gyr: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rates of the sagittal and lateral angles (rad/s) from body rates, at the current posture.

    With the up direction in the body frame ``a = (-sin f cos l, sin l, cos f cos l)`` (``f`` flexion,
    ``l`` lateral) and ``da/dt = a x w``: ``df/dt = w_y - tan l (cos f w_z - sin f w_x)`` and
    ``dl/dt = cos f w_x + sin f w_z``. Upright these are just ``w_y`` and ``w_x``; bent forward, a
    twist about the trunk's own axis no longer leaks into the lateral angle.
    """
    gx, gy, gz = up[:, 0], up[:, 1], up[:, 2]
    h = np.maximum(np.hypot(gx, gz), 1e-3)
    cf, sf = gz / h, -gx / h
    tan_l = np.clip(gy / h, -3.0, 3.0)  # bounded near side lying, where the sagittal angle is undefined
    wx, wy, wz = gyr[:, 0], gyr[:, 1], gyr[:, 2]
    return wy - tan_l * (cf * wz - sf * wx), cf * wx + sf * wz


def _empty_angles(fused: bool) -> TrunkAngles:
    e = np.empty(0)
    return TrunkAngles(e, e, e, e, e, e, np.empty((0, 3)), e, fused, e)


def _concat(parts: list[TrunkAngles], fused: bool) -> TrunkAngles:
    cat = lambda name: np.concatenate([getattr(p, name) for p in parts])  # noqa: E731
    return TrunkAngles(
        cat("t"), cat("flexion_deg"), cat("lateral_deg"), cat("inclination_deg"),
        cat("flexion_rate_dps"), cat("twist_rate_dps"), cat("gravity"), cat("movement"), fused, cat("acc_norm"),
    )


def trunk_angles(block: SampleBlock, rotation: np.ndarray, rate_hz: float, use_gyro: bool = True) -> TrunkAngles:
    """Batch convenience: the angles of a whole block (same code as streaming)."""
    return OrientationFilter(rotation, rate_hz, use_gyro).update(block)
