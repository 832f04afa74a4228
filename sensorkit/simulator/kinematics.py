"""Trunk kinematics: the orientation and acceleration of the lower-back segment, from a timeline.

Frames. World: x, y horizontal, z up. Body (the lower-back segment the sensor sits on): x forward,
y left, z up when the person stands upright with a neutral spine. Orientation is
``R_world_body = Rz(yaw) @ Ry(pitch) @ Rx(roll)``: pitch positive = forward flexion, roll positive =
lateral bend to the right, yaw = heading (counter-clockwise from above).

Angles per posture, as flexion relative to the person's upright standing (the neutral; the segment's
own inclination there, ``Person.neutral_pitch_deg``, differs between people, N(0, 4) deg):

- standing 0; walking leans forward 1-4 deg (trunk lean grows with speed; chosen);
- upright sitting: ``Person.sitting_flexion_deg``, N(0, 5) deg clipped to +-10, plus N(0, 2) deg per
  sitting bout. At the lower back the posterior pelvic tilt of sitting and the loss of lumbar lordosis
  partly cancel (sitting flattens the lumbar lordosis, Lord et al. 1997, Spine 22:2571), so the sign
  of the net change varies between people;
- slouched sitting: the upright-sitting angle plus a flexion change of 10-25 deg (the issue's brief;
  see :mod:`.timeline`). ASSUMPTION: the sensor tilts forward by the lumbar flexion change, i.e. it
  sits above the pelvis (L1-L3) where lumbar flexion dominates; a sensor low on the sacrum would see
  the posterior pelvic tilt instead (MODEL.md, limits);
- lying: supine -90, prone +90 (+- 3 deg), left side roll -90, right side roll +90 with the trunk
  curled 10 +- 3 deg;
- transitions: sit-to-stand and stand-to-sit pass through a forward trunk lean of 30-50 deg at 40-45 %
  of the movement while the hip rises or sinks 0.45 m (Schenkman et al. 1990, Phys. Ther. 70:638,
  describe the flexion-momentum phase; the lean was raised from 25-40 deg so that peak angular rates
  approach UCI HAPT's, ``benchmarks/simulator_transitions_vs_real.py``); stand-to-sit turns 30-90 deg, sit-to-lie and lie-to-sit turn
  90 deg (swinging the legs onto the bed).

Every change of angle or hip height is a minimum-jerk move between knots (:mod:`.curves`); postural
sway of 0.7 deg (pitch), 0.5 deg (roll) and 1.5 deg (yaw) SD with a ~0.3 Hz band rides on top
(chosen; quiet-standing sway at the pelvis is of this order). Walking adds :mod:`.gait`.

Translation: the sensor is ``Person.sensor_above_hip_m`` (0.10-0.18 m) above the hip joints, so
sagittal rotation about the hips moves it (tangential and centripetal terms, planar approximation:
only pitch is used); hip height changes (sitting, squatting) and walking add their accelerations; a
walking turn adds the centripetal ``v * dyaw/dt``. Linear accelerations come out in the heading frame
(forward, left, up) that turns with the baseline yaw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .curves import Curve, MinJerkCurve, evaluate_spline, smooth_noise
from .gait import Bout, GaitModel, plan_bout
from .stillness import Stillness
from .timeline import Segment

SIT_HEIGHT_M = -0.45  # hip drop from standing to sitting on a chair or bed edge
SWAY_SD_DEG = {"pitch": 0.7, "roll": 0.5, "yaw": 1.5}
SWAY_KNOT_S = 1.5
TRANSITIONS = ("sit_to_stand", "stand_to_sit", "sit_to_lie", "lie_to_sit", "roll_over")


@dataclass(frozen=True)
class Person:
    """The wearer: body and habitual posture. Angles in degrees, lengths in metres."""

    neutral_pitch_deg: float
    neutral_roll_deg: float
    sitting_flexion_deg: float
    leg_length_m: float
    sensor_above_hip_m: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> "Person":
        return cls(
            neutral_pitch_deg=float(rng.normal(0.0, 4.0)),
            neutral_roll_deg=float(rng.normal(0.0, 1.5)),
            sitting_flexion_deg=float(np.clip(rng.normal(0.0, 5.0), -10.0, 10.0)),
            leg_length_m=float(rng.uniform(0.80, 1.00)),
            sensor_above_hip_m=float(rng.uniform(0.10, 0.18)),
        )


@dataclass
class Kinematics:
    """The lower-back segment at sample times ``t``.

    Angles in degrees (absolute, world frame); ``omega_body`` rad/s in the body frame (x forward,
    y left, z up); ``acc_heading`` m/s^2 of the sensor without gravity in the heading frame
    (forward, left, up); ``heading_deg`` the yaw of that frame.
    """

    t: np.ndarray
    pitch_deg: np.ndarray
    roll_deg: np.ndarray
    yaw_deg: np.ndarray
    heading_deg: np.ndarray
    omega_body: np.ndarray
    acc_heading: np.ndarray


def static_pose(seg: Segment, person: Person) -> tuple[float, float, float]:
    """(flexion deg rel. standing neutral, lateral bend deg, hip height m) held during a static segment."""
    p = seg.params
    if seg.kind in ("stand", "off"):  # the person stands while the sensor is off (see .desk)
        return 0.0, 0.0, 0.0
    if seg.kind == "walk":
        return p["lean_deg"], 0.0, 0.0
    if seg.kind == "sit":
        return person.sitting_flexion_deg + p["offset_deg"], 0.0, SIT_HEIGHT_M
    if seg.kind == "slouch":
        return person.sitting_flexion_deg + p["flexion_deg"], 0.0, SIT_HEIGHT_M
    if seg.kind == "lie":
        side, tilt = p["side"], p["tilt_deg"]
        flex, roll = {"supine": (-90.0 + tilt, 0.0), "prone": (90.0 + tilt, 0.0),
                      "left": (10.0 + tilt, -90.0), "right": (10.0 + tilt, 90.0)}[side]
        return flex, roll, SIT_HEIGHT_M
    raise ValueError(f"{seg.kind} is not a static posture")


def settle_time(prev: Segment | None, seg: Segment) -> float:
    """How long a static segment takes to reach its pose from the previous static one."""
    if prev is None or prev.kind in TRANSITIONS or prev.kind == "bend":
        return 0.0
    if seg.kind == "slouch":
        ramp = seg.params["slide_s"]
    elif prev.kind == "slouch":
        ramp = 2.0
    else:
        ramp = 1.0
    return min(ramp, 0.4 * seg.duration)


class TrunkModel:
    """Knot curves and gait bouts compiled from a timeline; :meth:`evaluate` at any sample times."""

    def __init__(self, segments: list[Segment], person: Person, rng: np.random.Generator):
        self.person = person
        self.segments = segments
        self.pitch, self.roll, self.yaw, self.height = (MinJerkCurve() for _ in range(4))
        self.bouts: list[Bout] = []
        self.bout_segments: list[Segment] = []
        yaw = float(rng.uniform(-180.0, 180.0))
        prev: Segment | None = None
        for seg in segments:
            yaw = self._add_segment(seg, prev, yaw, rng)
            prev = seg
        self.gait = GaitModel(self.bouts)
        end = segments[-1].end if segments else 0.0
        self.sway = {name: smooth_noise(rng, end + 10.0, SWAY_KNOT_S, sd) for name, sd in SWAY_SD_DEG.items()}
        self.stillness = Stillness(segments)

    # -- compiling ---------------------------------------------------------------------------

    def _pose_knots(self, time: float, flex: float, lateral: float, height: float) -> None:
        self.pitch.add(time, self.person.neutral_pitch_deg + flex)
        self.roll.add(time, self.person.neutral_roll_deg + lateral)
        self.height.add(time, height)

    def _add_segment(self, seg: Segment, prev: Segment | None, yaw: float, rng: np.random.Generator) -> float:
        """Knots for one segment; returns the heading (deg) the person faces at its end."""
        if seg.kind == "bend":
            self._add_bend(seg, yaw)
            return yaw
        if seg.kind in TRANSITIONS:
            return self._add_transition(seg, yaw, rng)
        flex, lateral, height = static_pose(seg, self.person)
        settle = settle_time(prev, seg)
        self._pose_knots(seg.start + settle, flex, lateral, height)
        self._pose_knots(seg.end, flex, lateral, height)
        if seg.kind != "walk":
            self.yaw.add(seg.start + settle, yaw)
            self.yaw.add(seg.end, yaw)
            return yaw
        return self._add_walk(seg, yaw, rng)

    def _add_walk(self, seg: Segment, yaw: float, rng: np.random.Generator) -> float:
        """Heading: a turn into the walk, then one turn of 90-180 deg per ~25 s of walking."""
        turn_in = min(1.2, 0.3 * seg.duration)
        yaw += float(rng.uniform(-180.0, 180.0))
        self.yaw.add(seg.start + turn_in, yaw)
        turns = int(seg.duration // 25.0)
        times = np.sort(rng.uniform(seg.start + 5.0, seg.end - 5.0, turns)) if turns else []
        last = seg.start + turn_in
        for tt in times:
            length = float(rng.uniform(1.5, 2.5))
            if tt < last + 3.0 or tt + length > seg.end - 2.0:
                continue
            self.yaw.add(tt, yaw)
            yaw += float(rng.choice([-1, 1]) * rng.uniform(90.0, 180.0))
            self.yaw.add(tt + length, yaw)
            last = tt + length
        self.yaw.add(seg.end, yaw)
        bout = plan_bout(rng, seg.start, seg.end, seg.params["cadence"], self.person.leg_length_m)
        if bout is not None:
            self.bouts.append(bout)
            self.bout_segments.append(seg)
        return yaw

    def _add_bend(self, seg: Segment, yaw: float) -> None:
        p, s = seg.params, seg.start
        bottom, rise = s + p["down_s"], s + p["down_s"] + p["hold_s"]
        peak = p["peak_deg"]
        self._pose_knots(bottom, peak, p["lateral_deg"], -p["hip_drop_m"])
        self._pose_knots(rise, peak - 0.1 * min(peak, 20.0), p["lateral_deg"], -p["hip_drop_m"])
        self._pose_knots(seg.end, 0.0, 0.0, 0.0)
        self.yaw.add(bottom, yaw)
        self.yaw.add(rise, yaw + p["twist_deg"])
        self.yaw.add(seg.end, yaw)

    def _add_transition(self, seg: Segment, yaw: float, rng: np.random.Generator) -> float:
        s, d = seg.start, seg.duration
        neutral = self.person.neutral_pitch_deg
        if seg.kind in ("sit_to_stand", "stand_to_sit"):
            lean_at = 0.4 if seg.kind == "sit_to_stand" else 0.45
            self.pitch.add(s + lean_at * d, neutral + float(rng.uniform(30.0, 50.0)))
            if seg.kind == "sit_to_stand":
                self.height.add(s + 0.3 * d, SIT_HEIGHT_M)
            else:
                self.height.add(s + 0.2 * d, 0.0)
                yaw += float(rng.choice([-1, 1]) * rng.uniform(30.0, 90.0))
        elif seg.kind in ("sit_to_lie", "lie_to_sit"):
            yaw += float(rng.choice([-1, 1]) * 90.0)
            self.yaw.add(s + 0.8 * d, yaw)
        return yaw

    # -- evaluating --------------------------------------------------------------------------

    def evaluate(self, t: np.ndarray) -> Kinematics:
        gait = self.gait.evaluate(t)
        heading = self.yaw.evaluate(t)
        pitch = self._pitch(t, gait.pitch)
        roll = self.roll.evaluate(t) + self._sway("roll", t) + gait.roll
        yaw = heading + self._sway("yaw", t) + gait.yaw
        height = self.height.evaluate(t)
        omega = body_rates(_rad(pitch), _rad(roll), _rad(yaw))
        th, dth, ddth = _rad(pitch).value, _rad(pitch).d1, _rad(pitch).d2
        r = self.person.sensor_above_hip_m
        forward = gait.acc_forward + r * (ddth * np.cos(th) - dth**2 * np.sin(th))
        left = gait.acc_left + gait.speed * np.deg2rad(heading.d1)
        up = gait.acc_up + height.d2 + r * (-ddth * np.sin(th) - dth**2 * np.cos(th))
        return Kinematics(t, pitch.value, roll.value, yaw.value, heading.value, omega,
                          np.column_stack([forward, left, up]))

    def flexion_deg(self, t: np.ndarray) -> np.ndarray:
        """Truth trunk flexion (deg, + forward) relative to the person's upright-standing neutral."""
        return self._pitch(t, self.gait.evaluate(t).pitch).value - self.person.neutral_pitch_deg

    def _sway(self, name: str, t: np.ndarray) -> Curve:
        """Postural sway, damped where the person holds still (:mod:`.stillness`)."""
        return self.stillness.sway(evaluate_spline(self.sway[name], t), t)

    def _pitch(self, t: np.ndarray, gait_pitch: Curve) -> Curve:
        pitch = self.pitch.evaluate(t) + self._sway("pitch", t) + gait_pitch
        return pitch + self.stillness.breathing(t) if self.stillness.active else pitch


def _rad(curve: Curve) -> Curve:
    k = np.pi / 180.0
    return Curve(curve.value * k, curve.d1 * k, curve.d2 * k)


def body_rates(pitch: Curve, roll: Curve, yaw: Curve) -> np.ndarray:
    """Angular velocity in the body frame (rad/s) of ``Rz(yaw) Ry(pitch) Rx(roll)`` from Euler rates.

    The standard kinematic relation for Z-Y-X Euler angles; exact, so integrating it reproduces the
    orientation change of the angle trajectories.
    """
    sp, cp = np.sin(pitch.value), np.cos(pitch.value)
    sr, cr = np.sin(roll.value), np.cos(roll.value)
    return np.column_stack([
        roll.d1 - yaw.d1 * sp,
        pitch.d1 * cr + yaw.d1 * sr * cp,
        -pitch.d1 * sr + yaw.d1 * cr * cp,
    ])


def specific_force_body(kin: Kinematics, gravity: float) -> np.ndarray:
    """``R_world_body^T (a + g up)`` in the body frame, applying the three inverse rotations in turn."""
    f = kin.acc_heading.copy()
    f[:, 2] += gravity
    rel = np.deg2rad(kin.yaw_deg - kin.heading_deg)
    c, s = np.cos(rel), np.sin(rel)
    x, y = c * f[:, 0] + s * f[:, 1], -s * f[:, 0] + c * f[:, 1]
    z = f[:, 2]
    th = np.deg2rad(kin.pitch_deg)
    c, s = np.cos(th), np.sin(th)
    x, z = c * x - s * z, s * x + c * z
    ph = np.deg2rad(kin.roll_deg)
    c, s = np.cos(ph), np.sin(ph)
    y, z = c * y + s * z, -s * y + c * z
    return np.column_stack([x, y, z])
