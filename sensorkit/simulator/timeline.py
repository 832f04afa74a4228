"""The activity timeline: what the simulated person does, second by second, with every parameter drawn.

A scenario (see :mod:`.scenarios`) asks for a list of :class:`Activity` (sit 20 min, slouch, walk,
bend...). :func:`build_timeline` turns it into contiguous :class:`Segment` objects on one clock:

- it inserts the posture transitions a body needs (sit -> stand goes through ``sit_to_stand``, stand ->
  lie goes through a short sit, lying on another side goes through ``roll_over``);
- it draws every random parameter (bend depth, speeds and hold times, slouch depth, cadence...), so the
  kinematics model that follows is deterministic given the timeline and the person;
- it fits the timeline to a requested duration: "elastic" activities (static postures, walking) are
  stretched or compressed proportionally, fixed-length ones (bends, transitions) keep their natural
  duration; if even the shortest elastic lengths do not fit, the timeline is cut and the cut-off
  movement replaced by holding the last posture, so no event is ever half-simulated.

Parameter ranges and their sources (also in MODEL.md):

- Transition durations: sit-to-stand 1.5-2.5 s and stand-to-sit 1.8-3 s in healthy adults (the range
  of timed sit-to-stand studies, e.g. Janssen, Bussmann & Stam 2002, Phys. Ther. 82:866 review);
  sit<->lie 2.0-3.5 s (chosen; UCI HAPT's video-labelled lying transitions last 3.4-4.5 s including
  stillness at the ends, ``benchmarks/simulator_transitions_vs_real.py``).
- Bends: peak trunk flexion 45-110 deg for a stoop and 20-60 deg for a squat (squatting keeps the trunk
  more upright: Burgess-Limerick 2003, Int. J. Ind. Ergon. 31:143, on squat vs stoop); mean sagittal
  flexion speed 30-60 deg/s going down, 30-55 deg/s coming up, 25-45 deg/s coming up with a load,
  which puts minimum-jerk peak speeds at about 50-110 deg/s: faster than the instructed-slow bends of
  SisFall (peak ~ 66 deg/s median, ``benchmarks/simulator_bends_vs_real.py``), within the sagittal
  velocities Marras et al. 1993 (Spine 18:617) report for industrial lifting; hold at the bottom
  0.3-1.5 s (picking up), 0.8-2.5 s with a lift (grasping); a squat lowers the hip 0.30-0.50 m, a
  stoop 0.03-0.10 m, and a squat takes at least 1.0-1.8 s down and 1.1-2.0 s up (hip speeds about
  0.3 m/s).
- The calibration routine (``stand`` and ``bend`` with ``{"calibration": True}``): still standing, then
  one slow stoop of 40-70 deg at 15-25 deg/s (:func:`draw_calibration_bend`).
- Twisting lifts (40 % of lifts): axial rotation of the lower back 15-40 deg at the bottom of the lift.
- Slouching: lumbar flexion change 10-25 deg from the person's upright sitting (the issue's brief;
  O'Sullivan et al. 2006, Spine 31:E707, compare slump with upright sitting postures), reached over
  a 2-5 s slide, left over 2 s.
- Walking cadence per bout N(1.8, 0.15) steps/s clipped to 1.45-2.15 (adults' usual cadence is
  about 100-115 steps/min); step-to-step variability is added in :mod:`.gait`, keeping every step
  within 1.4-2.2 steps/s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import SettingsError
from .desk import draw_off
from .stillness import STILL_KINDS, draw_still

POSTURE_OF = {"stand": "standing", "walk": "standing", "bend": "standing",
              "sit": "sitting", "slouch": "sitting", "lie": "lying"}
OFF = "off"  # the sensor taken off and left somewhere still (see :mod:`.desk`); the person stands to do it
ELASTIC = {"stand", "walk", "sit", "slouch", "lie", OFF}
MIN_DURATION_S = {"stand": 3.0, "sit": 5.0, "slouch": 8.0, "lie": 6.0, "walk": 8.0, OFF: 30.0}
LYING_SIDES = ("supine", "prone", "left", "right")


@dataclass
class Activity:
    """What a scenario asks for; ``duration`` None means "its natural length" (bends)."""

    kind: str
    duration: float | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Segment:
    """A stretch of the timeline, ``start <= t < end`` seconds; ``params`` fully drawn."""

    kind: str
    start: float
    end: float
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def posture(self) -> str | None:
        """sitting / standing / lying, or None during a transition and while the sensor is off."""
        return POSTURE_OF.get(self.kind)


def body_posture(kind: str) -> str:
    """The posture the person is in during an activity; taking the sensor off and on is done standing."""
    return "standing" if kind == OFF else POSTURE_OF[kind]


# -- drawing parameters ------------------------------------------------------------------------


def draw_bend(rng: np.random.Generator, style: str | None = None, lift: bool | None = None,
              twist: bool | None = None) -> dict[str, Any]:
    """A bend's parameters; ``style``, ``lift`` and ``twist`` are drawn unless given."""
    style = style or ("stoop" if rng.random() < 0.55 else "squat")
    lift = bool(rng.random() < 0.4) if lift is None else bool(lift)
    twist = (lift and rng.random() < 0.4) if twist is None else bool(twist)
    peak = rng.uniform(45.0, 110.0) if style == "stoop" else rng.uniform(20.0, 60.0)
    down = max(0.6, peak / rng.uniform(30.0, 60.0))
    hold = rng.uniform(0.8, 2.5) if lift else rng.uniform(0.3, 1.5)
    up = max(0.7, peak / (rng.uniform(25.0, 45.0) if lift else rng.uniform(30.0, 55.0)))
    if style == "squat":  # the hips travel 0.3-0.5 m: that, not the trunk angle, sets the pace
        down, up = max(down, rng.uniform(1.0, 1.8)), max(up, rng.uniform(1.1, 2.0))
    twist_deg = float(rng.choice([-1, 1]) * rng.uniform(15.0, 40.0)) if twist else 0.0
    return {
        "style": style, "lift": lift, "peak_deg": float(peak), "down_s": float(down),
        "hold_s": float(hold), "up_s": float(up), "twist_deg": twist_deg,
        "lateral_deg": float(rng.normal(0.0, 3.0)),
        "hip_drop_m": float(rng.uniform(0.30, 0.50) if style == "squat" else rng.uniform(0.03, 0.10)),
    }


def draw_calibration_bend(rng: np.random.Generator) -> dict[str, Any]:
    """The slow forward bend of the guided calibration (``sensorkit calibrate``): a stoop as far as is
    comfortable, 40-70 deg, at 15-25 deg/s down and up (the prompt says "slowly"; about half the
    everyday pace of :func:`draw_bend`), no load, no twist."""
    peak = rng.uniform(40.0, 70.0)
    return {
        "style": "stoop", "lift": False, "peak_deg": float(peak), "down_s": float(peak / rng.uniform(15.0, 25.0)),
        "hold_s": float(rng.uniform(0.5, 1.5)), "up_s": float(peak / rng.uniform(15.0, 25.0)),
        "twist_deg": 0.0, "lateral_deg": float(rng.normal(0.0, 2.0)),
        "hip_drop_m": float(rng.uniform(0.03, 0.08)), "calibration": True,
    }


def _draw_params(rng: np.random.Generator, act: Activity) -> dict[str, Any]:
    p = dict(act.params)
    if act.kind == "bend":
        if p.get("calibration"):
            return draw_calibration_bend(rng)
        return draw_bend(rng, p.get("style"), p.get("lift"), p.get("twist"))
    if act.kind == "sit":
        p.setdefault("offset_deg", float(rng.normal(0.0, 2.0)))
    elif act.kind == "slouch":
        p.setdefault("flexion_deg", float(rng.uniform(10.0, 25.0)))
        p.setdefault("slide_s", float(rng.uniform(2.0, 5.0)))
    elif act.kind == "lie":
        p.setdefault("tilt_deg", float(rng.normal(0.0, 3.0)))
    elif act.kind == "walk":
        p.setdefault("cadence", float(np.clip(rng.normal(1.8, 0.15), 1.45, 2.15)))
        p.setdefault("lean_deg", float(rng.uniform(1.0, 4.0)))
    elif act.kind == OFF:
        p = {**draw_off(rng), **p}
    if act.kind in STILL_KINDS and p.get("still"):
        p = {**draw_still(rng), **p}
    return p


def _transition_duration(rng: np.random.Generator, kind: str) -> float:
    lo, hi = {"sit_to_stand": (1.5, 2.5), "stand_to_sit": (1.8, 3.0), "sit_to_lie": (2.0, 3.5),
              "lie_to_sit": (2.0, 3.5), "roll_over": (2.0, 3.5)}[kind]
    return float(rng.uniform(lo, hi))


def _bend_duration(p: dict[str, Any]) -> float:
    return p["down_s"] + p["hold_s"] + p["up_s"]


# -- building ----------------------------------------------------------------------------------


def _with_transitions(rng: np.random.Generator, acts: list[Activity]) -> list[Activity]:
    """Insert the transitions (and the brief sit between standing and lying) a body needs."""
    out: list[Activity] = []
    for act in acts:
        if act.kind == "lie" and "side" not in act.params:  # needed now: a change of side is a roll-over
            act = Activity(act.kind, act.duration, {**act.params, "side": str(rng.choice(LYING_SIDES))})
        if out:
            prev = next(a for a in reversed(out) if a.kind in POSTURE_OF or a.kind == OFF)
            before, after = body_posture(prev.kind), body_posture(act.kind)
            if before == "standing" and after == "lying":
                out += [Activity("stand_to_sit"), Activity("sit", 3.0), Activity("sit_to_lie")]
            elif before == "lying" and after == "standing":
                out += [Activity("lie_to_sit"), Activity("sit", 3.0), Activity("sit_to_stand")]
            elif before != after:
                out.append(Activity(f"{_short(before)}_to_{_short(after)}"))
            elif before == after == "lying" and prev.params.get("side") != act.params.get("side"):
                out.append(Activity("roll_over"))
            if act.kind == "bend" and prev.kind == "bend":
                out.append(Activity("stand", 1.0))
        out.append(act)
    return out


def _short(posture: str) -> str:
    return {"standing": "stand", "sitting": "sit", "lying": "lie"}[posture]


def build_timeline(rng: np.random.Generator, acts: list[Activity], duration: float | None,
                   fit: bool) -> list[Segment]:
    """Segments from activities: transitions inserted, parameters drawn, fitted or cut to ``duration``.

    ``fit`` True stretches/compresses elastic activities to fill ``duration`` exactly (scripted
    scenarios); False only cuts (generated days, which are built long enough).
    """
    unknown = sorted({a.kind for a in acts} - set(POSTURE_OF) - {OFF})
    if unknown or not acts:
        raise SettingsError(f"activities must be some of {', '.join([*POSTURE_OF, OFF])} (got {unknown or 'none'})")
    acts = _with_transitions(rng, acts)
    drawn: list[tuple[Activity, dict[str, Any], float]] = []
    for act in acts:
        params = _draw_params(rng, act)
        if act.kind == "bend":
            length = _bend_duration(params)
        elif act.kind in ELASTIC:
            length = float(act.duration or MIN_DURATION_S[act.kind])
        else:
            length = _transition_duration(rng, act.kind)
        drawn.append((act, params, length))
    lengths = np.array([d[2] for d in drawn])
    if fit and duration is not None:
        lengths = _fit_lengths(drawn, lengths, duration)
    segments: list[Segment] = []
    t = 0.0
    for (act, params, _), length in zip(drawn, lengths):
        segments.append(Segment(act.kind, t, t + float(length), params))
        t += float(length)
    if duration is not None:
        segments = _cut(segments, duration)
    return segments


def _fit_lengths(drawn: list, lengths: np.ndarray, duration: float) -> np.ndarray:
    elastic = np.array([d[0].kind in ELASTIC for d in drawn])
    mins = np.array([MIN_DURATION_S.get(d[0].kind, 0.0) for d in drawn])
    fixed = float(lengths[~elastic].sum())
    out = lengths.copy()
    free = duration - fixed
    # Scale the elastic part; activities that would drop below their minimum are pinned there.
    pinned = np.zeros(len(out), dtype=bool)
    for _ in range(len(out)):
        scalable = elastic & ~pinned
        room = free - float(mins[elastic & pinned].sum())
        total = float(lengths[scalable].sum())
        if total <= 0 or room <= 0:
            break
        out[scalable] = lengths[scalable] * room / total
        newly = scalable & (out < mins)
        if not newly.any():
            break
        pinned |= newly
        out[pinned] = mins[pinned]
    return out


def _cut(segments: list[Segment], duration: float) -> list[Segment]:
    """Cut at ``duration``; a movement that would be cut is replaced by holding the posture before it."""
    out: list[Segment] = []
    for seg in segments:
        if seg.start >= duration - 1e-9:
            break
        if seg.end > duration + 1e-9:
            if seg.kind in ELASTIC:
                out.append(Segment(seg.kind, seg.start, duration, seg.params))
            else:
                prev = out[-1] if out else Segment("stand", 0.0, 0.0, {})
                if prev.kind == "bend":
                    prev = Segment("stand", prev.start, prev.end, {})
                out.append(Segment(prev.kind, seg.start, duration, dict(prev.params)))
            break
        out.append(seg)
    return out
