"""Sensor-to-body alignment: which way is up and which way is forward for the person wearing it.

A belt sensor is never worn exactly as the device's drawing shows: it sits tilted on the sacrum,
yawed on the belt, sometimes upside down. Every angle downstream is only as good as this rotation.
Three ways to get it, best first:

1. :func:`calibrate`: a few seconds standing upright (gravity gives the vertical and defines zero
   flexion), optionally one slow forward bend (the direction gravity moves in the sensor during the
   bend gives the sagittal plane, so flexion and lateral bend do not mix).
2. :func:`auto_align`: no calibration. Vertical from walking (people walk upright; the mean of the
   acceleration over a few steps is gravity) or, failing that, from the first still posture held
   for a few seconds in all. Forward:
   with a nominal :class:`Mounting` (device profile, dataset loader, ``--mounting``), its forward,
   refined by the plane the trunk tilts in; without one, from the movements themselves (walking's
   gait phase, bends, lying: :mod:`.forward`), trusted only when those cues agree.
3. The nominal :class:`Mounting` alone (the device profile's drawing), when there is nothing better.

The result also says what it could not know: :attr:`Alignment.warnings` names a sensor that appears
upside down or rotated against its nominal mounting, or a forward direction that is unknown. In that
last case (``forward_known`` False) flexion is reported as the trunk's tilt from vertical, without a
sign: bends and slouches are still found, a backward recline cannot be told from a forward lean.

Body frame: x forward, y left, z up (right-handed). ``rotation`` rows are those three axes written in
sensor coordinates, so ``acc_body = acc_sensor @ rotation.T``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from sensorkit.errors import SettingsError
from sensorkit.mounting import device_mounting
from sensorkit.samples import STANDARD_GRAVITY, RecordingMeta, SampleBlock

from .forward import Forward, bend_cue, combine, lying_cue, sitting_cue, walking_cue, walking_seconds
from .window_stats import HALF_S as STILL_WINDOW_S
from .window_stats import WindowStats, still_windows, window_stats

SampleRange = Callable[[float, float], SampleBlock]  # samples with t0 <= t < t1, e.g. SampleBlock.between

STILL_STD = 0.35  # m/s^2: std of |acc| over one second below this counts as still
WALK_STD = (0.8, 6.0)  # m/s^2: std of |acc| over one second typical of walking at the lower back
WALK_STEADY_DEG = 8.0  # change of mean direction between walking seconds stays below this
MIN_WALK_WINDOWS = 3  # seconds of walking-like movement needed to trust the walking vertical
TILT_BAND_DEG = (12.0, 75.0)  # tilts that reveal the sagittal plane (bends, sitting back), not lying
MIN_TILT_WINDOWS = 2
STILL_NEAR_NOMINAL_DEG = 30.0  # still seconds this close to the nominal vertical count as standing
MAX_REFINE_DEG = 45.0  # tilt-plane forward may correct the nominal forward by at most this much
MIN_CALIBRATION_BEND_DEG = 15.0
RECALIBRATE_DEG = 25.0  # walking vertical this far from a calibration's: worn differently (walking leans < 10)
FORWARD_UNKNOWN = "forward direction unknown: flexion is the trunk's tilt from vertical, unsigned"
MAX_BIAS = 2.0  # m/s^2 (0.2 g): beyond any working accelerometer's zero-g offset
BIAS_PRIOR_SD = 0.2  # m/s^2: typical MEMS zero-g offset (20 mg), the prior of the bias fit
MIN_BIAS_SPREAD_DEG = 15.0  # still orientations must span this much for a bias fit
NEAR_WALK_S = 5  # still seconds this close to walking are taken as standing
STANDING_CONE_DEG = 8.0  # ... if within this angle of the walking vertical
QUIET_S = 3  # still seconds alike that make a posture the vertical may come from (no walking)
QUIET_DEG = 10.0  # ... "alike": directions within this of each other
QUIET_CANDIDATES = 600  # still seconds tried as the first of such a posture
SUPPORT_SLICE = 20_000  # still seconds compared with the candidates at a time (bounded memory)
READ_S = 60.0  # walking seconds in the same minute of the recording are read back together



@dataclass(frozen=True)
class Mounting:
    """Nominal sensor axes when worn as the device intends: the sensor axes pointing up and forward."""

    up: tuple[float, float, float]
    forward: tuple[float, float, float]

    @classmethod
    def from_meta(cls, meta: RecordingMeta | None) -> "Mounting | None":
        """The mounting a device profile or dataset loader put in ``meta.extra["mounting"]``, if any."""
        if meta is None:
            return None
        # recordings of a device kind with a fixed mounting (the simulator) need not carry it
        m = (meta.extra or {}).get("mounting") or device_mounting(meta.device_kind)
        if not m:
            return None
        return cls(tuple(map(float, m["up"])), tuple(map(float, m["forward"])))


@dataclass
class Alignment:
    """Sensor-to-body rotation, accelerometer bias, how they were obtained, and what to warn about.

    ``acc_bias`` (sensor frame, m/s^2) is subtracted from every sample before anything else: a
    typical 20 mg offset is harmless for angles but, projected on a vertical that turns during a
    bend, it integrates to tens of centimetres of fake hip movement (see :func:`estimate_acc_bias`).
    """

    rotation: np.ndarray
    source: str  # "calibration", "auto", "mounting" or "identity"
    warnings: list[str] = field(default_factory=list)
    acc_bias: np.ndarray = field(default_factory=lambda: np.zeros(3))
    forward_known: bool = True  # False: forward was guessed; flexion is then reported unsigned
    forward_from: str = ""  # what showed forward: cues and their weights, "nominal mounting", "bend"

    def to_json(self) -> dict[str, Any]:
        """The alignment as stored and reported, every float in full: whoever analyses with the stored
        one (a recording's guided calibration read back offline, a re-run with an analysis's alignment)
        must get the angles of the analysis that used it. Rounded, a flexion within 1e-4 deg of a band
        edge fell on the other side (soak: warehouse, loss + no gyroscope, seed 2, a severe-bend alert
        one sample late)."""
        return {
            "rotation": np.asarray(self.rotation, dtype=np.float64).tolist(),
            "acc_bias": np.asarray(self.acc_bias, dtype=np.float64).tolist(),
            "forward_known": self.forward_known,
            "forward_from": self.forward_from,
            "source": self.source,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Alignment":
        try:
            rot = np.asarray(data["rotation"], dtype=np.float64).reshape(3, 3)
        except (KeyError, ValueError, TypeError) as exc:
            raise SettingsError(f"calibration has no valid 3x3 rotation: {exc}") from exc
        if not np.allclose(rot @ rot.T, np.eye(3), atol=1e-3) or np.linalg.det(rot) < 0:
            raise SettingsError("calibration rotation is not a proper rotation matrix")
        try:
            bias = np.asarray(data.get("acc_bias", [0.0, 0.0, 0.0]), dtype=np.float64).reshape(3)
        except (ValueError, TypeError) as exc:
            raise SettingsError(f"calibration acc_bias is not three numbers: {exc}") from exc
        if np.any(np.abs(bias) > MAX_BIAS):
            raise SettingsError(f"calibration acc_bias {bias.tolist()} is beyond {MAX_BIAS} m/s^2")
        return cls(rot, str(data.get("source", "calibration")), list(data.get("warnings", [])), bias,
                   bool(data.get("forward_known", True)), str(data.get("forward_from", "")))

    @property
    def up(self) -> np.ndarray:
        return self.rotation[2]


def rotation_from(up: np.ndarray, forward_hint: np.ndarray) -> np.ndarray:
    """Body axes (rows forward, left, up) from an up vector and any vector not parallel to it."""
    z = np.asarray(up, dtype=np.float64)
    z = z / np.linalg.norm(z)
    f = np.asarray(forward_hint, dtype=np.float64)
    x = f - (f @ z) * z
    if np.linalg.norm(x) < 1e-6:
        raise SettingsError("forward direction is parallel to vertical; cannot build a body frame")
    x /= np.linalg.norm(x)
    return np.vstack([x, np.cross(z, x), z])


def _unit_rows(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n == 0, 1.0, n)


def _least_vertical_axis(up: np.ndarray) -> np.ndarray:
    axis = np.zeros(3)
    axis[int(np.argmin(np.abs(up)))] = 1.0
    return axis


def calibrate(upright: SampleBlock, bend: SampleBlock | None = None, mounting: Mounting | None = None) -> Alignment:
    """Alignment from a still upright stand and, optionally, one slow forward bend.

    The stand defines vertical and zero flexion; the bend defines forward. Without a bend, forward
    comes from the nominal mounting, or is a guess (and says so).
    """
    if len(upright) < 5:
        raise SettingsError("the upright period holds too few samples to calibrate")
    norms = np.linalg.norm(upright.acc, axis=1)
    if np.std(norms) > 1.0 or abs(np.mean(norms) - STANDARD_GRAVITY) > 2.0:
        raise SettingsError("the sensor was not still during the upright period; stand still and repeat")
    up = _unit_rows(upright.acc.mean(axis=0))
    warnings: list[str] = []
    if bend is not None and len(bend):
        dirs = _unit_rows(bend.acc)
        tilt = np.degrees(np.arccos(np.clip(dirs @ up, -1, 1)))
        if tilt.max() < MIN_CALIBRATION_BEND_DEG:
            raise SettingsError(
                f"the bend reached only {tilt.max():.0f} deg; bend forward at least "
                f"{MIN_CALIBRATION_BEND_DEG:.0f} deg to calibrate the forward direction"
            )
        deep = dirs[tilt >= 0.7 * tilt.max()].mean(axis=0)
        forward = -(deep - (deep @ up) * up)  # leaning forward moves gravity towards the back
    elif mounting is not None:
        forward = np.asarray(mounting.forward, dtype=np.float64)
    else:
        forward = _least_vertical_axis(up)
        warnings.append(FORWARD_UNKNOWN + " (no bend in the calibration, no nominal mounting)")
    warnings += _mounting_warnings(up, forward, mounting)
    known = bend is not None or mounting is not None
    said = "calibration bend" if bend is not None else "nominal mounting" if mounting is not None else ""
    return Alignment(rotation_from(up, forward), "calibration", warnings, forward_known=known, forward_from=said)


def _walking_windows(means: np.ndarray, stds: np.ndarray) -> np.ndarray:
    """One-second windows inside sustained walking (at least MIN_WALK_WINDOWS in a row)."""
    dirs = _unit_rows(means)
    turn = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", dirs[1:], dirs[:-1]), -1, 1)))
    steady = np.concatenate([[False], turn < WALK_STEADY_DEG]) & np.concatenate([turn < WALK_STEADY_DEG, [False]])
    # walking keeps the trunk's direction steady from one second to the next; a bend does not
    walking = (stds >= WALK_STD[0]) & (stds <= WALK_STD[1]) & steady
    # keep only runs of walking-like windows, not isolated bumps
    run = np.convolve(walking.astype(int), np.ones(MIN_WALK_WINDOWS, dtype=int), mode="same")
    return walking & (run >= MIN_WALK_WINDOWS)


def _walking_up(means: np.ndarray, stds: np.ndarray) -> np.ndarray | None:
    sustained = _walking_windows(means, stds)
    if sustained.sum() < MIN_WALK_WINDOWS:
        return None
    return _unit_rows(means[sustained].mean(axis=0))


def _standing_up(means: np.ndarray, stds: np.ndarray, walking_up: np.ndarray) -> np.ndarray:
    """Refine the walking vertical with still seconds next to walking (standing before or after it).

    People lean forward a few degrees while walking; the quiet stand around a walk is the neutral.
    """
    walking = (stds >= WALK_STD[0]) & (stds <= WALK_STD[1])
    near = np.convolve(walking.astype(int), np.ones(2 * NEAR_WALK_S + 1, dtype=int), mode="same") > 0
    dirs = _unit_rows(means)
    close = np.degrees(np.arccos(np.clip(dirs @ walking_up, -1, 1))) < STANDING_CONE_DEG
    standing = near & ~walking & (stds < STILL_STD) & close
    if standing.sum() < MIN_WALK_WINDOWS:
        return walking_up
    return _unit_rows(np.median(dirs[standing], axis=0))


def _still_up(means: np.ndarray, stds: np.ndarray, mounting: "Mounting | None") -> np.ndarray | None:
    """Vertical from the first still posture the recording comes back to (recordings usually start
    with the wearer standing or sitting), skipping still seconds far from the nominal vertical when a
    mounting is known.

    The first still second alone is often the sensor being handled or put on (UCI HAPT experiment
    20: 55 deg off the standing vertical), so a still second counts only if QUIET_S still seconds of
    the recording (or as many as there are, if fewer) lie within QUIET_DEG of it: a posture held, the
    quiet stand that orientation correction takes gravity from (Tundo, Lemaire & Baddour 2013, IEEE
    MeMeA; gravity as the mean of still samples: Mizell 2003, ISWC). The earliest such second, with
    its like, gives the vertical. Only the first QUIET_CANDIDATES still seconds are tried (cost)."""
    still = np.flatnonzero(stds < STILL_STD)
    if len(still) == 0:
        return None
    dirs = _unit_rows(means[still])
    if mounting is not None:
        nominal = _unit_rows(np.asarray(mounting.up, dtype=np.float64))
        near = np.degrees(np.arccos(np.clip(dirs @ nominal, -1, 1))) < STILL_NEAR_NOMINAL_DEG
        if near.any():
            dirs, still = dirs[near], still[near]
    near = np.cos(np.radians(QUIET_DEG))
    candidates = dirs[:QUIET_CANDIDATES]
    # how many still seconds lie near each candidate, counted a slice at a time (a week lying still
    # has ~500,000 still seconds: the whole comparison would take gigabytes)
    support = sum(((candidates @ dirs[i:i + SUPPORT_SLICE].T) > near).sum(axis=1)
                  for i in range(0, len(dirs), SUPPORT_SLICE))
    first = int(np.flatnonzero(support >= min(QUIET_S, support.max()))[0])
    # the posture as held then: the still seconds in a row from it that stay alike (later sitting
    # within QUIET_DEG of a stand must not pull the standing vertical towards it)
    alike = dirs[first:] @ dirs[first] > near
    held = np.flatnonzero(~alike | (np.diff(still[first:], append=still[-1] + 2) > 1))
    return _unit_rows(np.median(dirs[first:first + int(held[0]) + 1], axis=0))


def _forward_from_tilts(means: np.ndarray, up: np.ndarray, nominal: np.ndarray) -> np.ndarray | None:
    """The nominal forward refined to the plane the trunk tilts in (bends, sitting back), if that
    plane is within MAX_REFINE_DEG of it; None when the recording holds too few tilts."""
    dirs = _unit_rows(means)
    tilt = np.degrees(np.arccos(np.clip(dirs @ up, -1, 1)))
    sel = (tilt >= TILT_BAND_DEG[0]) & (tilt <= TILT_BAND_DEG[1])
    if sel.sum() < MIN_TILT_WINDOWS:
        return None
    h = dirs[sel] - np.outer(dirs[sel] @ up, up)
    _, _, vt = np.linalg.svd(h, full_matrices=False)
    axis = vt[0] - (vt[0] @ up) * up
    axis /= np.linalg.norm(axis)
    hint = nominal - (nominal @ up) * up
    hint /= max(np.linalg.norm(hint), 1e-9)
    if abs(axis @ hint) < np.cos(np.radians(MAX_REFINE_DEG)):
        return hint  # the tilts were sideways (lying on a side): they do not show forward
    return axis if axis @ hint >= 0 else -axis


def _mounting_warnings(up: np.ndarray, forward: np.ndarray, mounting: Mounting | None) -> list[str]:
    if mounting is None:
        return []
    nominal_up = _unit_rows(np.asarray(mounting.up, dtype=np.float64))
    off = float(np.degrees(np.arccos(np.clip(up @ nominal_up, -1, 1))))
    if off > 120:
        return [f"sensor appears to be worn upside down ({off:.0f} deg from its nominal vertical); "
                "angles are corrected, but check how it is worn"]
    if off > 45:
        return [f"sensor appears rotated {off:.0f} deg from its nominal mounting; angles are corrected, "
                "but check how it is worn"]
    return []


def auto_align(block: SampleBlock, rate_hz: float, mounting: Mounting | None = None) -> Alignment:
    """Alignment from the recording itself (see the module docstring for the rules and their order)."""
    if len(block) == 0:
        raise SettingsError("cannot align an empty recording")
    return auto_align_from(window_stats(block, rate_hz), block.between, mounting)


def auto_align_from(stats: WindowStats, samples: SampleRange, mounting: Mounting | None = None) -> Alignment:
    """:func:`auto_align` from a recording's window statistics (:mod:`.window_stats`, one streaming
    pass) and ``samples``, which gives back the few minutes of walking the forward cue reads."""
    if len(stats.t) == 0:
        raise SettingsError("cannot align a recording without a whole second of samples")
    bias = fit_acc_bias(stats.still)
    means, stds = stats.mean - bias, stats.mag_sd(bias)
    warnings: list[str] = []
    up = _walking_up(means, stds)
    if up is not None:
        up = _standing_up(means, stds, up)
    else:
        up = _still_up(means, stds, mounting)
    if up is None:
        up = _unit_rows(means.mean(axis=0))
        warnings.append("no walking and no still period found; vertical is the recording's mean direction")
    found = forward_from_movements(stats, samples, bias, up, means, stds)
    if mounting is not None:
        hint = np.asarray(mounting.forward, dtype=np.float64)
        forward = _forward_from_tilts(means, up, hint)
        forward, known, cues = (hint if forward is None else forward), True, "nominal mounting"
        turned = _turned_from(found, hint, up)
        if turned is not None:  # the movements agree among themselves, not with the nominal forward
            forward, cues = found.direction, found.describe()
            warnings.append(f"the sensor's forward seems turned {turned:.0f} deg from its nominal mounting "
                            "(the wearer's walking and bends say so); angles use the movements' forward")
    else:
        forward, known, cues = found.direction, found.known, found.describe()
        if not known:
            warnings.append(f"{FORWARD_UNKNOWN} (which way the sensor faced could not be told from the "
                            f"movements: {found.reason}); say how it was worn with --mounting, or calibrate")
        if forward is None:
            forward = _least_vertical_axis(up)
    warnings = _mounting_warnings(up, forward, mounting) + warnings
    return Alignment(rotation_from(up, forward), "auto", warnings, bias, forward_known=known, forward_from=cues)


def _turned_from(found: Forward, nominal: np.ndarray, up: np.ndarray) -> float | None:
    """Degrees between a known movement forward and the nominal one, if beyond MAX_REFINE_DEG."""
    if not found.known or found.direction is None:
        return None
    h = nominal - (nominal @ up) * up
    if np.linalg.norm(h) < 1e-6:
        return None
    off = float(np.degrees(np.arccos(np.clip(found.direction @ h / np.linalg.norm(h), -1, 1))))
    return off if off > MAX_REFINE_DEG else None


def forward_from_movements(stats: WindowStats, samples: SampleRange, bias: np.ndarray, up: np.ndarray,
                           means: np.ndarray, stds: np.ndarray) -> Forward:
    """Forward from walking, bends, lying and sitting (:mod:`.forward`), given the vertical ``up``, the
    accelerometer offset ``bias`` and the windows' offset-free means and magnitude SDs."""
    dirs = _unit_rows(means)
    still = stds < STILL_STD
    walking = _walking_segments(stats, samples, bias, _walking_windows(means, stds))
    cues = [walking_cue(walking, stats.rate_hz, up), bend_cue(dirs, up),
            lying_cue(dirs, still, up), sitting_cue(dirs, still, up)]
    return combine([c for c in cues if c is not None])


def _walking_segments(stats: WindowStats, samples: SampleRange, bias: np.ndarray,
                      walking: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """For each walking second the walking cue reads: the offset-free samples of it and of the seconds
    either side (for filtering), and where the second starts among them. Read back from ``samples``,
    a minute of the recording at a time: a few minutes in all, however long the recording."""
    chosen = walking_seconds(walking, stats.rate_hz)
    last = len(stats.t) - 1
    first_t = stats.t[np.maximum(chosen - 1, 0)]
    end_t = np.nextafter(stats.t_last[np.minimum(chosen + 1, last)], np.inf)  # up to and with that sample
    groups = np.split(np.arange(len(chosen)), np.flatnonzero(np.diff(first_t // READ_S)) + 1) if len(chosen) else []
    segments: list[tuple[np.ndarray, int]] = []
    for group in groups:
        read = samples(float(first_t[group[0]]), float(end_t[group[-1]]))
        for i in group:
            part = read.between(first_t[i], end_t[i])
            segments.append((part.acc - bias, int(np.searchsorted(part.t, stats.t[chosen[i]]))))
    return segments


def estimate_acc_bias(block: SampleBlock, rate_hz: float) -> np.ndarray:
    """Accelerometer offset (sensor frame, m/s^2) from still moments in different orientations.

    At rest the measured vector is gravity plus the offset, so ``|m - b| = g`` for every still
    window mean ``m``: the classic multi-position calibration, here from whatever postures the
    recording holds (:func:`fit_acc_bias`, on the still half-seconds of :mod:`.window_stats`).
    """
    return fit_acc_bias(window_stats(block, rate_hz).still)


def still_means(mean: np.ndarray, sd: np.ndarray, gyr_mean: np.ndarray | None) -> np.ndarray:
    """The window means (k, 3) of windows that were still (per-axis SD and mean rotation rate small)."""
    return mean[still_windows(sd, gyr_mean)]


def fit_acc_bias(m: np.ndarray) -> np.ndarray:
    """Offset from still window means ``m`` (k, 3); zero unless they span MIN_BIAS_SPREAD_DEG.

    Re-linearised least squares with a zero-mean prior of BIAS_PRIOR_SD, so directions the recording
    never visits stay near zero instead of being invented. A scale error of the accelerometer shows
    up as an offset along the usual vertical, which near upright is the same correction.
    """
    if len(m) < 2:
        return np.zeros(3)
    dirs = _unit_rows(m)
    centre = _unit_rows(np.median(dirs, axis=0))
    if np.degrees(np.arccos(np.clip(dirs @ centre, -1, 1))).max() < MIN_BIAS_SPREAD_DEG:
        return np.zeros(3)  # one orientation only: the offset cannot be told from gravity
    noise = 2 * STANDARD_GRAVITY * 0.01  # residual scale of |m|^2 (1 % of g of unmodelled motion)
    weight = 1.0 / (noise * np.sqrt(len(m) / 10.0 + 1.0))  # windows are not independent
    # the least squares of [2 m w; I / sd] b = [rhs w; 0] by its normal equations: 3 x 3, so a week's
    # million still windows need no stacked copies of them (the prior keeps the system well posed)
    normal = 4.0 * weight**2 * (m.T @ m) + np.eye(3) / BIAS_PRIOR_SD**2
    squares = np.einsum("ij,ij->i", m, m) - STANDARD_GRAVITY**2
    bias = np.zeros(3)
    for _ in range(3):  # |m - b|^2 = g^2  ->  2 m.b = |m|^2 - g^2 + |b|^2, re-linearised
        bias = np.linalg.solve(normal, 2.0 * weight**2 * (m.T @ (squares + bias @ bias)))
    return bias if np.all(np.abs(bias) <= MAX_BIAS) else np.zeros(3)


@dataclass
class OnlineBias:
    """Live refinement of the accelerometer offset when no recording-wide estimate exists.

    Still half-second windows (on fixed time boundaries, so chunking does not matter) are collected
    as they arrive; at every whole ``update_s`` of data the offset is refitted from all of them and
    applies to the samples that follow. Offline analysis fits the whole recording at once instead.
    :meth:`prime` starts it from samples the pipeline does not see (the guided calibration's stand
    and bend: two orientations, enough for the components in the sagittal plane).
    """

    update_s: float = 20.0  # a new orientation (lying on a side) should count before the next sit-down
    max_windows: int = 20000
    fit_windows: int = 2000
    bias: np.ndarray = field(default_factory=lambda: np.zeros(3))
    _means: np.ndarray | None = None  # ring buffer of still window means (the newest max_windows)
    _stored: int = 0  # still windows seen so far (the ring holds the newest max_windows of them)
    _left: SampleBlock | None = None
    _next_update: float | None = None

    def apply(self, block: SampleBlock) -> SampleBlock:
        """``block`` with the offset removed; the offset may change at update boundaries inside it."""
        if len(block) == 0:
            return block
        if self._next_update is None:
            self._next_update = (np.floor(block.t[0] / self.update_s) + 1) * self.update_s
        out = []
        start = 0
        while start < len(block):
            stop = int(np.searchsorted(block.t, self._next_update, side="left"))
            part = block.slice(start, max(stop, start))
            if len(part):
                out.append(SampleBlock(part.t, part.acc - self.bias, part.gyr))
                self._collect(part)
            if stop >= len(block):
                break
            self._refit()
            self._next_update += self.update_s
            start = stop
        return out[0] if len(out) == 1 else SampleBlock.concat(out)

    def prime(self, block: SampleBlock) -> None:
        """Learn from ``block`` (samples before the first :meth:`apply`) and refit now."""
        if len(block):
            self._collect(block)
            self._refit()

    def _collect(self, block: SampleBlock) -> None:
        if self._left is not None and len(self._left):
            block = SampleBlock.concat([self._left, block])
        idx = np.floor(block.t / STILL_WINDOW_S).astype(np.int64)
        starts = np.concatenate([[0], np.flatnonzero(np.diff(idx)) + 1])
        self._left = block.slice(int(starts[-1]), len(block))
        if len(starts) < 2:
            return
        # every complete window at once (sums per window): this runs on every live block
        done, bounds = block.slice(0, int(starts[-1])), starts[:-1]
        n = np.diff(starts)[:, None].astype(np.float64)
        mean = np.add.reduceat(done.acc, bounds, axis=0) / n
        sd = np.sqrt(np.maximum(np.add.reduceat(done.acc**2, bounds, axis=0) / n - mean**2, 0.0))
        gyr = None if done.gyr is None else np.add.reduceat(done.gyr, bounds, axis=0) / n
        full = n[:, 0] >= 3
        self._store(still_means(mean[full], sd[full], None if gyr is None else gyr[full]))

    def _store(self, means: np.ndarray) -> None:
        if self._means is None:
            self._means = np.empty((self.max_windows, 3))
        for row in means[-self.max_windows:]:  # a few per block
            self._means[self._stored % self.max_windows] = row
            self._stored += 1

    def _refit(self) -> None:
        """Refit from the collected windows; past ``fit_windows`` an even subset of them, so a refit
        costs the same in the tenth hour as in the first (a day of sitting repeats one orientation)."""
        if self._stored:
            means = self._means[: min(self._stored, self.max_windows)]  # order does not matter to the fit
            if len(means) > self.fit_windows:
                means = means[np.linspace(0, len(means) - 1, self.fit_windows).astype(np.int64)]
            self.bias = fit_acc_bias(means)


def _forward_from_data(alignment: Alignment, stats: WindowStats, samples: SampleRange) -> None:
    """A stand-only calibration knows the vertical but not forward: take forward from the recording's
    movements (as :func:`auto_align` does), keeping the calibrated vertical."""
    bias = alignment.acc_bias
    found = forward_from_movements(stats, samples, bias, alignment.up, stats.mean - bias, stats.mag_sd(bias))
    if not found.known:
        return
    alignment.rotation = rotation_from(alignment.up, found.direction)
    alignment.forward_known = True
    alignment.forward_from = found.describe()
    alignment.warnings = [w for w in alignment.warnings if not w.startswith(FORWARD_UNKNOWN)]


def _worn_differently(alignment: Alignment, stats: WindowStats) -> list[str]:
    """A calibration holds only while the sensor is worn as it was then. People walk upright, so a
    walking vertical far from the calibrated one means the sensor was put on differently since."""
    walking = _walking_up(stats.mean - alignment.acc_bias, stats.mag_sd(alignment.acc_bias))
    if walking is None:
        return []
    off = float(np.degrees(np.arccos(np.clip(walking @ alignment.up, -1, 1))))
    if off <= RECALIBRATE_DEG:
        return []
    return [f"the sensor seems worn differently from its calibration (walking is {off:.0f} deg from the "
            "calibrated vertical); angles may be wrong: calibrate again (sensorkit calibrate)"]


def alignment_for(
    block: SampleBlock, meta: RecordingMeta, calibration: dict[str, Any] | None = None
) -> Alignment:
    """The best alignment available: an explicit calibration, the recording's own, else automatic."""
    if len(block) == 0 and not any(cal and "rotation" in cal for cal in (calibration, meta.calibration)):
        raise SettingsError("cannot align an empty recording")
    return alignment_from(window_stats(block, meta.rate_hz), block.between, meta, calibration)


def alignment_from(stats: WindowStats, samples: SampleRange, meta: RecordingMeta,
                   calibration: dict[str, Any] | None = None) -> Alignment:
    """:func:`alignment_for` from a recording's window statistics and ``samples`` (see
    :func:`auto_align_from`): how offline analysis aligns a recording of any length in bounded memory."""
    for cal in (calibration, meta.calibration):
        if cal and "rotation" in cal:
            found = Alignment.from_json(cal)
            if not np.any(found.acc_bias):  # a stand-only calibration cannot see the offset; the data can
                found.acc_bias = fit_acc_bias(stats.still)
            if not found.forward_known:
                _forward_from_data(found, stats, samples)
            found.warnings += _worn_differently(found, stats)
            return found
    return auto_align_from(stats, samples, Mounting.from_meta(meta))
