"""Posture over time: sitting, standing, lying (and its side), transitions, slouching and bends.

What tells the postures apart at the lower back, and how it is used here:

- **Lying**: the trunk is near horizontal (inclination beyond ``lying_inclination_deg``). The side
  comes from which body axis points up (supine: forward axis up; prone: down; left/right side).
  A deep forward inclination looks like a stoop, so prone lying is confirmed only once held
  ``prone_confirm_s``; until then it is a bend.
- **Sitting vs standing**: the lower back is upright in both, so orientation alone cannot tell them
  apart. The hips can: sitting down lowers them by about 0.45 m. Every vertical movement (runs of
  vertical speed, merged across short pauses) is integrated to its height change with zero-velocity
  ends (:func:`~sensorkit.signal.features.height_change`), and zero velocity wherever a bend inside
  it was held still (:func:`hip_height_change`): a drop beyond ``transition_height_m`` is a
  stand-to-sit, a rise a sit-to-stand, a drop-and-return a squat. Two further cues: walking-like
  movement held 3 s means upright (standing); a still backward tilt beyond ``sit_recline_deg`` held
  3 s means sitting (real waist sensors recline when sitting: 8-43 deg in UCI HAPT), and coming
  back to the standing neutral, still, from such a reclined sitting means standing.
- **Slouching**: while sitting (relative to the sitting neutral, learnt over the first
  ``sitting_neutral_window_s`` of each sitting period unless the profile fixes it) or standing
  (relative to the standing neutral), flexion beyond ``slouch_tolerance_deg`` for ``slouch_delay_s``.
- **Bends**: see :mod:`.bending`; a forward lean that turns out to be a stand-to-sit is not a bend. A
  lift with the knees that keeps the trunk upright is found from the pelvis instead (:mod:`.squat_lift`).

Everything is decided from samples in time order with the unfinished state carried, so events come
out identical whatever the chunking. Each event leaves once it is final; the small delay is the
price of not revising what was said (a stand-to-sit is known 2.5 s after the hips stop moving).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from sensorkit.events import Event

from .alerts import AlertPolicy
from .bending import BendSeverity, bend_severity, bend_start, high_so_far, measure_bend
from .episodes import Hysteresis, Run, RunTracker, edges, steps
from .features import Frame, History, height_change, middle
from .nonwear import WearChange
from .profile import Profile
from .sedentary import SedentaryTracker
from .squat_lift import is_squat_lift, squat_lift

VERTICAL_ON, VERTICAL_OFF = 0.15, 0.06  # m/s: vertical speed of a sit-to-stand peaks at 0.5-1 m/s
VERTICAL_MERGE_S = 2.5  # pauses shorter than this join one vertical movement (a squat's hold)
MOVING_ON, MOVING_OFF = 1.0, 0.6  # m/s^2 RMS: walking at the lower back is 1.5-3
HOLD_S = 3.0  # walking-like movement or a still recline held this long changes the posture
UPRIGHT_BAND_DEG = 5.0  # "back at the standing neutral": flexion within this of it
STAND_UP_LEAN_DEG = 10.0  # ... reached by standing up: a forward lean past this first (sit-to-stand: 25-45)
STAND_UP_LOOKBACK_S = 10.0  # ... within this long before
LYING_EXIT_MARGIN_DEG = 10.0  # hysteresis: lying ends 10 deg below the inclination that starts it
SIDE_HOLD_S = 3.0  # a new lying side must hold this long (rolling over passes through others)
BRIEF_LYING_S = 3.0  # "lying" shorter than this (putting the sensor on, dropping it) is undone
SIDE_CLEAR = 0.9  # a lying side is clear when one horizontal body axis is this close to vertical
PRONE_FLEXION_DEG = 45.0  # forward inclination that may be a stoop rather than prone lying
SIDE_LYING_LATERAL_DEG = 45.0  # ... unless the trunk is mostly on its side
LYING_FROM_DEG = 30.0  # a move into lying starts where the trunk last was this close to upright
LYING_SETTLED_DEG = 70.0  # ... and a move out of lying where it last was this close to horizontal
TURNED_LYING_S = 3.0  # forward unknown: a deep lean held this long, entered turning, is lying
TURNED_LYING_DEG = 60.0  # ... settled at least this far from upright (median of those seconds)
LYING_MAX_DEG = 100.0  # ... and at most this far: lying is near horizontal; further, the hips are above the head
TURNED_LYING_TILT_DEG = 5.0  # ... the tilt direction turned more than this on the way down
GOT_UP_WAIT_S = 3.0  # forward unknown: a deep lean that was not lying is judged again this long after it ends
GOT_UP_SPREAD_DEG = 6.0  # ... lying if the tilt direction strayed this far from its mean over the excursion
GOT_UP_ACROSS_MS2 = 0.55  # ... or the pelvis accelerated across the plane of the tilt this much (RMS)
GOT_UP_HOLD_S = 2.0  # ... held past the lying angle this long (and settled as lying does)
HISTORY_S = 600.0  # bends and sitting-neutral windows are measured from this; longer bends are cut
MAX_TRANSITION_S = 15.0  # longer vertical movements (walking, fidgeting) are not one transition
MAX_TRANSITION_LEAN_DEG = 50.0  # flexion-momentum phase of sit-to-stand: 25-45 deg (Schenkman et al. 1990)
MAX_TRANSITION_DROP_M = 0.8  # a larger integrated hip rise or drop is integration error, not a chair
HELD_BEND_MIN_S = 1.0  # a forward bend held still this long splits a vertical movement (zero velocity)
HELD_STILL_DPS = 3.0  # ... still: trunk rotation below this (0.5 s mean); bending moves at 20-100 deg/s
HELD_STEADY_MS2 = 0.3  # ... and vertical acceleration within this of its median (hips not moving)
HELD_TRIM_S = 0.25  # ... only its middle counts, so the cut falls where the hips are surely still
LONG_GAP_S = 5.0  # no episode spans a gap in the samples longer than this (> VERTICAL_MERGE_S, RESTART_GAP_S)


def lying_side(gravity: np.ndarray) -> np.ndarray:
    """Per-sample lying side from the body-frame up direction: which body axis points up or down."""
    gx, gy = gravity[:, 0], gravity[:, 1]
    side = np.where(np.abs(gx) >= np.abs(gy), np.where(gx > 0, 0, 1), np.where(gy > 0, 3, 2))
    return side  # index into SIDES


SIDES = ("supine", "prone", "left", "right")
NOT_WORN = "not_worn"  # the base state while the sensor is off the body: no posture at all
PUT_ON_S = 10.0  # after non-wear, the sensor moving this long from the pick-up is being put on (chosen)
LIE_ALERT_WAIT_S = 15.0  # a lie-down that makes a long-sitting alert due waits this long for stillness


def held_bends(seg: Frame, bend_start_deg: float) -> list[tuple[int, int]]:
    """Index ranges ``[i0, i1)`` of ``seg`` where the trunk was held still, bent beyond ``bend_start_deg``.

    Held still means: trunk rotation under HELD_STILL_DPS (0.5 s mean) for at least HELD_BEND_MIN_S,
    and the vertical acceleration steady within HELD_STEADY_MS2 over the middle of it (a squat can
    rise at a constant trunk angle; its acceleration is not steady). The ranges exclude HELD_TRIM_S at
    each end.
    """
    if len(seg) < 3:
        return []
    k = max(1, int(round(0.5 / middle(np.diff(seg.t)))))
    rate = np.convolve(np.abs(seg.flexion_rate), np.ones(k) / k, mode="same")
    held = (rate < HELD_STILL_DPS) & (seg.flexion > bend_start_deg)
    edges = np.diff(np.concatenate([[0], held.astype(np.int8), [0]]))
    out = []
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        if seg.t[b - 1] - seg.t[a] < HELD_BEND_MIN_S:
            continue
        i0 = int(np.searchsorted(seg.t, seg.t[a] + HELD_TRIM_S))
        i1 = int(np.searchsorted(seg.t, seg.t[b - 1] - HELD_TRIM_S, side="right"))
        acc = seg.vertical_acc[i0:i1]
        if i1 - i0 >= 3 and np.max(np.abs(acc - np.median(acc))) <= HELD_STEADY_MS2:
            out.append((i0, i1))
    return out


def hip_height_change(seg: Frame, bend_start_deg: float) -> float:
    """Net hip height change (m) over ``seg``, one vertical movement with still ends.

    The hips do not move while a bend is held still, so velocity is also zero there: each part
    between such holds is integrated on its own (:func:`~sensorkit.signal.features.height_change`,
    a zero-velocity update at every hold) and the holds add nothing. Why: a real accelerometer's
    vertical offset depends on its orientation (axis gains differ by a few %), so a held stoop can
    read 0.2 m/s^2 lower than upright standing; integrated across the whole bend, that offset step
    makes a phantom hip drop of 0.3-0.4 m, which read as sitting down (SisFall D16, one subject).
    Only held bends cut: a still upright moment inside one movement is often the sitting between
    sitting down and standing up (merged runs), and cutting there loses the drop (tried: SisFall D07
    sit-downs found 29 -> 26).
    """
    cuts = [0] + [i for hold in held_bends(seg, bend_start_deg) for i in hold] + [len(seg)]
    return sum(height_change(seg.t[a:b], seg.vertical_acc[a:b])[0] for a, b in zip(cuts[0::2], cuts[1::2]))


def settled_like_lying(inclination: np.ndarray) -> bool:
    """Whether a deep lean's inclination (deg from upright, the samples past the lying angle) settled
    as a lie does, with no forward known: near horizontal, between TURNED_LYING_DEG and LYING_MAX_DEG
    (median). A body lying on a bed or the floor keeps the pelvis near horizontal (the odd-numbered
    SisFall subjects' sit-lie-sit trials settled at 63-93 deg, validation/lying_cues.py); a pelvis
    turned further than LYING_MAX_DEG has the hips above the head, which a stoop reaches (SisFall
    D16: up to 99 deg on the odd subjects, 125 on one held-out subject whose stoops read as lying)
    and a lie does not."""
    if len(inclination) == 0:
        return False
    median = float(np.median(inclination))
    return TURNED_LYING_DEG <= median <= LYING_MAX_DEG


def turned_into_lying(seg: Frame, settled_from: float) -> bool:
    """Whether the move ``seg`` (from the last moment near upright to TURNED_LYING_S past the lying
    angle at ``settled_from``) was lying down rather than a deep stoop, with no forward known.

    A stoop rotates the trunk in one plane, forward and back, about the hips' left-right axis; lying
    down onto a side from sitting takes the legs onto the bed and rolls the trunk, so the direction
    the trunk tilts in turns on the way down. On the odd-numbered SisFall subjects (waist, sit-lie-sit
    D12 vs held stoops D16) the tilt direction between 30 deg and 3 s past the lying angle turned a
    median 8 deg (D12) vs 2 (D16, at most 6). The turn about the vertical (heading) differs too, but
    a stoop that lifts and turns (a twist) turns it as much, so it is not used: with it, a twisted
    lift of the simulated demo read as lying. A lie must also settle as lying does
    (:func:`settled_like_lying`)."""
    settled = seg.t >= settled_from
    if len(seg) < 3 or not settled.any() or not settled_like_lying(seg.inclination[settled]):
        return False
    horizontal = seg.gravity[:, :2]
    first = int(np.argmax(seg.inclination >= LYING_FROM_DEG))
    end = horizontal[settled].mean(axis=0)
    cos = horizontal[first] @ end / max(float(np.linalg.norm(horizontal[first]) * np.linalg.norm(end)), 1e-9)
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1)))) > TURNED_LYING_TILT_DEG


def lay_and_got_up(seg: Frame, lying_deg: float) -> bool:
    """Whether the whole deep excursion ``seg`` (from the last moment within LYING_FROM_DEG of upright
    before it to the first one after it, getting up included) was lying down, with no forward known.

    Judged once the excursion is over, for a deep lean :func:`turned_into_lying` did not call lying
    on the way down. A stoop rotates the trunk out and back in one plane, so the direction the trunk
    tilts in hardly moves; lying down onto a side from a bed's edge and getting up again rolls and
    turns the trunk, on the way up as much as on the way down. Set on the odd-numbered SisFall
    subjects (waist, no mounting): the largest angle between the tilt direction and its mean over
    the excursion was at least 6.6 deg in 61 of 65 sit-lie-sit trials (D12) and at most 5.7 deg in
    every stoop (D16), squat (D15) and UMAFall bend that got so deep.

    A lie that rolls straight onto a side keeps its tilt direction as a stoop does, but the body
    does not move in one plane: the legs swing onto the bed and the pelvis shifts on it, while a
    stoop or squat moves trunk and hips only in the plane the trunk tilts in (sagittal). So the
    acceleration across that plane (the horizontal body axis normal to the mean tilt direction,
    gravity included: rotation out of the plane counts too) tells them apart too. On the odd
    subjects, over excursions judged here (validation/lying_cues.py), its RMS was 0.53-2.2 m/s^2 in
    sit-lie-sit trials (0.60 and 0.63 in the two whose tilt direction strayed too little), at most
    0.32 in stoops and squats and 0.47 in a UMAFall bend (a noisier sensor at 20 Hz);
    GOT_UP_ACROSS_MS2 lies between. The lie must also be held past the lying angle GOT_UP_HOLD_S
    and settle as lying does (:func:`settled_like_lying`)."""
    if len(seg) < 3:
        return False
    dt = np.diff(seg.t, prepend=seg.t[0])
    deep = seg.inclination > lying_deg
    if dt[deep].sum() < GOT_UP_HOLD_S or not settled_like_lying(seg.inclination[deep]):
        return False
    spread, across = out_of_plane(seg)
    return spread > GOT_UP_SPREAD_DEG or across > GOT_UP_ACROSS_MS2


def out_of_plane(seg: Frame) -> tuple[float, float]:
    """How far the excursion ``seg`` left the plane the trunk tilts in (upright and the mean tilt
    direction): the largest angle (deg) between the tilt direction and its mean, and the RMS
    (m/s^2) of the acceleration along the horizontal body axis normal to that mean."""
    horizontal = seg.gravity[:, :2]
    unit = horizontal / np.maximum(np.linalg.norm(horizontal, axis=1, keepdims=True), 1e-9)
    mean = unit.mean(axis=0)
    mean /= max(float(np.linalg.norm(mean)), 1e-9)
    spread = float(np.degrees(np.arccos(np.clip(unit @ mean, -1, 1))).max())
    across = seg.acc[:, :2] @ np.array([-mean[1], mean[0]])
    return spread, float(np.sqrt(np.mean(across**2)))


@dataclass
class _Decision:
    time: float
    order: int
    apply: Callable[[], None]
    at_end: bool = False  # applied at the end of data even when due after it (known from the last samples)

    def __lt__(self, other: "_Decision") -> bool:
        return (self.time, self.order) < (other.time, other.order)


@dataclass
class LiveState:
    """What is true right now (for the TUI), as of the last sample fed."""

    posture: str | None = None  # sitting / standing / lying / not_worn / None before the first decision
    lying_side: str | None = None
    slouching: bool = False
    bending: bool = False
    walking: bool = False
    flexion_deg: float | None = None
    lateral_deg: float | None = None
    inclination_deg: float | None = None
    t: float | None = None

    @property
    def activity(self) -> str:
        """One word: walking, bending, lying, slouched_sitting, upright_sitting, standing, not_worn, unknown."""
        if self.walking:
            return "walking"
        if self.bending:
            return "bending"
        if self.posture == "lying":
            return "lying"
        if self.posture == "sitting":
            return "slouched_sitting" if self.slouching else "upright_sitting"
        return self.posture or "unknown"


@dataclass
class PostureTracker:
    """The posture state machine; :meth:`update` with each :class:`Frame`, :meth:`finish` at the end."""

    profile: Profile
    has_gyro: bool = True
    signed: bool = True  # False: flexion is the unsigned tilt (forward direction unknown)
    live: LiveState = field(default_factory=LiveState)

    def __post_init__(self) -> None:
        p = self.profile
        self.history = History(HISTORY_S)
        self.alerts = AlertPolicy(p)
        self.sedentary = SedentaryTracker(p)
        self.severity = BendSeverity(p)
        self.lying_h = Hysteresis(p.lying_inclination_deg, p.lying_inclination_deg - LYING_EXIT_MARGIN_DEG)
        self.lean_h = Hysteresis(p.bend_start_deg, p.bend_end_deg)
        self.vertical_h = Hysteresis(VERTICAL_ON, VERTICAL_OFF)
        self.moving_h = Hysteresis(MOVING_ON, MOVING_OFF)
        self.recline_h = Hysteresis(p.sit_recline_deg, p.sit_recline_deg - 3.0)
        self.vertical_runs = RunTracker(VERTICAL_MERGE_S)
        self.moving_runs = RunTracker(1.0)
        self.recline_runs = RunTracker(0.5)
        self.upright_runs = RunTracker(0.5)
        self._held: dict[str, float | None] = {"moving": None, "recline": None, "upright": None}  # acted on
        self.base: str | None = None
        self._before_lying = "standing"
        self.base_since: float = 0.0
        self.side: str | None = None
        self._side_candidate: tuple[int, float] | None = None
        self._lying_on = False
        self._lying_on_t: float | None = None
        self._deep_lean_t: float | None = None  # forward unknown: a deep lean, not lying (yet), since
        self._got_up_due: float | None = None  # ... ended; judged whole at this time (bends wait for it)
        self._lean_on = False
        self.bend_open: dict | None = None
        self.pending_bends: list[Event] = []
        self._bends_judged: set[float] = set()  # starts of bends whose severity was judged while open
        self._bends_alerted: set[float] = set()  # ... and alerted on: they stay bends whatever follows
        self.sit_neutral: float | None = None
        self._neutrals: list[float] = []
        self.slouch_h = Hysteresis(np.inf, np.inf)
        self.slouch_runs = RunTracker(0.0)
        self._slouch_seen: list[tuple[np.ndarray, np.ndarray]] = []  # (t, flexion) of the open slouch run
        self._slouch_alerted_run: float | None = None  # start of the slouch run judged (alert or cool-down)
        self._slouch_alert_sent: float | None = None  # ... and alerted on
        self._scheduled: list[_Decision] = []
        self._chunk_runs: list[Run] = []
        self._order = 0
        self._out: list[tuple[float, int, Event]] = []
        self._t_last: float | None = None
        self._still_since: float | None = None  # the sensor has read still since (see .nonwear)
        self._held_alerts: list[Event] = []  # alerts due while it was still: worn or not is not known yet
        self._put_on_until = -np.inf  # before this the sensor is being put on: no bend, lie-down or recline

    # -- plumbing -----------------------------------------------------------------------------

    def _emit(self, when: float, event: Event | None) -> None:
        if event is not None and event.type == "alert" and self._still_since is not None:
            self._held_alerts.append(event)
        elif event is not None:
            self._order += 1
            self._out.append((when, self._order, event))

    def _schedule(self, time: float, apply: Callable[[], None], at_end: bool = False) -> None:
        self._order += 1
        heapq.heappush(self._scheduled, _Decision(time, self._order, apply, at_end))

    def update(self, fr: Frame) -> list[Event]:
        """Feed the next features; returns events that became final, in the order they were decided."""
        if len(fr) == 0:
            return []
        cuts = np.flatnonzero(np.diff(fr.t) > LONG_GAP_S) + 1
        for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), len(fr)]):
            part = fr.slice(a, b)
            if self._t_last is not None and part.t[0] - self._t_last > LONG_GAP_S:
                self._gap(self._t_last, float(part.t[0]))
            self._update_part(part)
        self._update_live(fr)
        out = sorted(self._out, key=lambda x: (x[0], x[1]))
        self._out = []
        return [e for _, _, e in out]

    def _update_part(self, fr: Frame) -> None:
        if self.base is None:
            self._start(fr)
        self.history.extend(fr)
        decisions = self._chunk_decisions(fr)
        i = 0
        t_end = float(fr.t[-1])
        while True:
            nxt_fixed = decisions[0] if decisions else None
            nxt_sched = self._scheduled[0] if self._scheduled else None
            cand = [d for d in (nxt_fixed, nxt_sched) if d is not None and d.time <= t_end]
            if not cand:
                break
            # at the same instant what the data decided goes first (a bend's wait and the vertical
            # movement that may make it a sit-down): the order must not depend on the chunking
            d = min(cand, key=lambda c: (c.time, c is nxt_sched, c.order))
            j = int(fr.t.searchsorted(d.time, side="right"))
            if j > i:
                self._run_interval(fr.slice(i, j))
                i = j
            if d is nxt_fixed:
                decisions.pop(0)
            else:
                heapq.heappop(self._scheduled)
            d.apply()
        if i < len(fr):
            self._run_interval(fr.slice(i, len(fr)))
        self._t_last = float(fr.t[-1])

    def _gap(self, before: float, after: float) -> None:
        """Samples stop at ``before`` and resume at ``after``, more than LONG_GAP_S later.

        Nothing is known in between, so no episode is carried across: an open bend ends at the last
        sample before the gap, runs and hysteresis restart, decisions due in the gap are taken on
        what came before it, and the posture period is split (it resumes, unchanged, at ``after``:
        the gap's time is in no posture, and a sedentary bout ends at it). What follows is never
        measured with samples before it."""
        if self.bend_open is not None:
            self._close_bend(before)
        self._end_slouch(before)
        self.sedentary.alerted = True  # the bout ends at the gap, before a long-sitting alert due in it
        if self.sit_neutral is not None:
            self._set_neutral(self.sit_neutral)
        for run in self.vertical_runs.close():
            self._schedule(run.decided, lambda r=run: self._vertical_movement(r))
        for h in (self.lean_h, self.vertical_h, self.moving_h, self.recline_h):
            h.state = False
        self._lean_on = False
        self.moving_runs, self.recline_runs, self.upright_runs = RunTracker(1.0), RunTracker(0.5), RunTracker(0.5)
        self._held = dict.fromkeys(self._held)
        while self._scheduled and self._scheduled[0].time < after:
            heapq.heappop(self._scheduled).apply()
        self._finalize_bends(after, None)
        if self.base == NOT_WORN:
            if before > self.base_since:
                self._emit(before, self._not_worn_event(before))
        elif self.base is not None and before > self.base_since:
            fields = {"posture": self.base, **({"lying_side": self.side} if self.base == "lying" else {})}
            self._emit(before, Event("posture", self.base_since, before, fields))
        self.base_since = max(after, self.base_since)
        for e in self.sedentary.finish(before):
            self._emit(before, e)
        self.sedentary = SedentaryTracker(self.profile)
        if self.base is not None:
            self.sedentary.posture(self.base, self.base_since)
            self._schedule_sedentary(self.base_since)
        self._side_candidate = None
        self._chunk_runs = []
        self.history = History(HISTORY_S)

    # -- decisions that do not depend on the posture: found vectorised per chunk ------------------

    def _chunk_decisions(self, fr: Frame) -> list[_Decision]:
        out: list[_Decision] = []

        def add(time: float, fn: Callable[[], None]) -> None:
            self._order += 1
            out.append(_Decision(time, self._order, fn))

        off = np.zeros(len(fr), dtype=bool)  # for the conditions off throughout (Hysteresis.run_on: None)
        lying = self.lying_h.run_on(fr.inclination)
        self._lying_on = _edge_decisions(lying, self._lying_on, off, fr, self._lying_edge, add)
        self._lean_on = _edge_decisions(self.lean_h.run_on(fr.flexion), self._lean_on, off, fr, self._lean_edge, add)
        vertical = self.vertical_h.run_on(np.abs(fr.vertical_speed))
        self._chunk_runs = self.vertical_runs.feed(fr.t, off if vertical is None else vertical)
        for run in self._chunk_runs:
            add(run.decided, (lambda r=run: self._vertical_movement(r)))
        moving = self.moving_h.run_on(fr.movement)
        if moving is None:
            moving = off
        elif lying is not None:
            moving = moving & ~lying
        for start in self._holds("moving", self.moving_runs, fr.t, moving):
            add(start + HOLD_S, (lambda s=start: self._moving_held(s)))
        still = fr.movement < MOVING_OFF
        if lying is not None:
            still &= ~lying
        recline = self.recline_h.run_on(-fr.flexion)
        for start in self._holds("recline", self.recline_runs, fr.t, off if recline is None else recline & still):
            add(start + HOLD_S, (lambda s=start: self._recline_held(s)))
        upright = (np.abs(fr.flexion) < UPRIGHT_BAND_DEG) & still
        for start in self._holds("upright", self.upright_runs, fr.t, upright):
            add(start + HOLD_S, (lambda s=start: self._upright_held(s)))
        out.sort()
        return out

    def _holds(self, name: str, tracker: RunTracker, t: np.ndarray, mask: np.ndarray) -> list[float]:
        """Start times of runs that reached HOLD_S within this chunk (each run reported once)."""
        starts: list[float] = []
        for run in tracker.feed(t, mask):
            if run.end - run.start >= HOLD_S and self._held[name] != run.start:
                starts.append(run.start)
            self._held[name] = None
        if tracker.open_start is not None and tracker.open_end - tracker.open_start >= HOLD_S:
            if self._held[name] != tracker.open_start:
                starts.append(tracker.open_start)
                self._held[name] = tracker.open_start
        return starts

    # -- posture changes ----------------------------------------------------------------------

    def _start(self, fr: Frame) -> None:
        """The first sample: lying if the trunk is near horizontal, else standing until told otherwise."""
        t0 = float(fr.t[0])
        if fr.inclination[0] > self.profile.lying_inclination_deg:
            self._set_base("lying", t0, SIDES[int(lying_side(fr.gravity[:1])[0])])
        else:
            self._set_base("standing", t0)

    def _emit_posture_period(self, t: float) -> None:
        """The posture held since ``base_since`` ends at ``t`` (lying carries its side)."""
        fields = {"posture": self.base}
        if self.base == "lying":
            fields["lying_side"] = self.side
        self._emit(t, Event("posture", self.base_since, t, fields))

    def _set_base(self, posture: str, t: float, side: str | None = None) -> None:
        if posture == self.base and side == self.side:
            return
        t = max(t, self.base_since)  # a cue found late never rewrites a posture already reported
        if self.base is not None and t > self.base_since:
            self._emit_posture_period(t)
        for e in self.sedentary.posture(posture, t):
            self._emit(t, e)
        self._end_slouch(t)
        if posture == "lying" and self.base != "lying":
            self._before_lying = self.base or "standing"
        self.base, self.base_since, self.side = posture, t, side
        self._side_candidate = None
        self.sit_neutral = None
        if posture == "sitting":
            if self.profile.sitting_neutral_deg is not None:
                self._set_neutral(self.profile.sitting_neutral_deg)
            else:
                self._schedule(t + self.profile.sitting_neutral_window_s, lambda s=t: self._learn_neutral(s))
        elif posture == "standing":
            self._set_neutral(0.0)
        self._schedule_sedentary(t)

    def _schedule_sedentary(self, t: float) -> None:
        due = self.sedentary.break_due()
        if due is not None:
            self._schedule(due, lambda tt=due: self._sedentary_advance(tt))
        since = self.sedentary.sedentary_since
        if since is not None and not self.sedentary.alerted:
            at = max(since + self.profile.sedentary_alert_s, t)
            if self.base == "lying" and at == t:  # a sensor put down flat reads as lying down: is it still?
                at = t + LIE_ALERT_WAIT_S
            self._schedule(at, lambda b=since, a=at: self._sedentary_alert(b, a))

    def _transition(self, kind: str, start: float, end: float, posture: str, side: str | None = None) -> None:
        self._emit(end, Event("transition", start, end, {"kind": kind}))
        self._set_base(posture, end, side)

    def _sedentary_advance(self, t: float) -> None:
        for e in self.sedentary.advance(t):
            self._emit(t, e)

    def _sedentary_alert(self, bout_start: float, t: float) -> None:
        if self.sedentary.sedentary_since == bout_start and not self.sedentary.alerted:
            self.sedentary.alerted = True
            self._emit(t, self.alerts.offer("long_sedentary", t, bout_start=round(bout_start, 3)))

    def _lying_edge(self, fr: Frame, idx: int, on: bool) -> None:
        t = float(fr.t[idx])
        if on:
            self._lying_on_t = t
            if self.base in ("lying", NOT_WORN) or t < self._put_on_until:
                return
            side = SIDES[int(lying_side(fr.gravity[idx:idx + 1])[0])]
            # bent forward rather than on a side: a stoop until held long enough to be prone lying
            # (without a known forward direction a deep bend and lying on a side look the same)
            bent = fr.flexion[idx] > PRONE_FLEXION_DEG
            if bent and (not self.signed or abs(fr.lateral[idx]) < SIDE_LYING_LATERAL_DEG):
                self._schedule(t + self.profile.prone_confirm_s, lambda s=t: self._confirm_prone(s))
                if not self.signed:
                    self._deep_lean_t = t
                    self._schedule(t + TURNED_LYING_S, lambda s=t: self._confirm_turned_lying(s))
                return
            self._abandon_bend(t)
            start = self._last_time(lambda f: f.inclination < LYING_FROM_DEG, t)
            self._transition(f"{_short(self.base)}_to_lie", start, t, "lying", side)
        else:
            self._lying_on_t = None
            if self._deep_lean_t is not None and self.base not in ("lying", NOT_WORN):
                due = t + GOT_UP_WAIT_S
                self._got_up_due = due
                self._schedule(due, lambda a=self._deep_lean_t, b=t: self._judge_excursion(a, b), at_end=True)
            self._deep_lean_t = None
            if self.base == "lying" and t - self.base_since < BRIEF_LYING_S:
                self._set_base(self._before_lying, t)  # the sensor was handled, nobody lay down
            elif self.base == "lying":
                start = self._last_time(lambda f: f.inclination > LYING_SETTLED_DEG, t)
                self._transition("lie_to_sit", start, t, "sitting")

    def _last_time(self, condition: Callable[[Frame], np.ndarray], t: float, back_s: float = 10.0) -> float:
        """The last sample time before ``t`` (within ``back_s``) where ``condition`` held, else ``t - back_s``."""
        seg = self.history.between(t - back_s, t)
        hit = np.flatnonzero(condition(seg)) if len(seg) else []
        return float(seg.t[hit[-1]]) if len(hit) else max(t - back_s, float(seg.t[0]) if len(seg) else t)

    def _confirm_prone(self, start: float) -> None:
        if self._lying_on_t != start or self.base in ("lying", NOT_WORN):
            return
        self._abandon_bend(start)
        self._set_base("lying", start, "prone" if self.signed else None)

    def _confirm_turned_lying(self, start: float) -> None:
        """Forward unknown: a deep lean held TURNED_LYING_S is lying when the trunk turned on the way
        into it (:func:`turned_into_lying`), not only once held ``prone_confirm_s``."""
        if self._lying_on_t != start or self.base in ("lying", NOT_WORN):
            return
        into = self._last_time(lambda f: f.inclination < LYING_FROM_DEG, start)
        if turned_into_lying(self.history.between(into, start + TURNED_LYING_S), start):
            self._abandon_bend(start)
            self._set_base("lying", start, None)

    def _judge_excursion(self, on: float, off: float) -> None:
        """Forward unknown: the deep lean from ``on`` to ``off`` (past the lying angle) was not called
        lying while it lasted; now that the getting-up is known too, judge it whole
        (:func:`lay_and_got_up`) and, if it was lying, report it so instead of a bend. A lie must last
        BRIEF_LYING_S between the lying angle's edges, as any lying must. Nothing reported is
        rewritten: the posture since before ``on`` is still open, its bend still pending."""
        due = off + GOT_UP_WAIT_S
        if self._got_up_due == due:  # not if a later deep lean already ended: its bends wait for its judgement
            self._got_up_due = None
        if self.base not in ("lying", NOT_WORN) and self.base_since <= on and off - on >= BRIEF_LYING_S:
            into = self._last_time(lambda f: f.inclination < LYING_FROM_DEG, on)
            after = self.history.between(off, due)
            up = np.flatnonzero(after.inclination < LYING_FROM_DEG)
            end = float(after.t[up[0]]) if len(up) else due
            if lay_and_got_up(self.history.between(into, end), self.profile.lying_inclination_deg):
                self._relabel_as_lying(into, on, off)
        self._finalize_bends(due, None)

    def _relabel_as_lying(self, into: float, on: float, off: float) -> None:
        """Report the excursion as lying down at ``on`` and sitting up at ``off``; its bend is dropped
        (unless it raised an alert: then it stays a bend, see :meth:`_abandon_bend`)."""
        if self.bend_open is not None and self.bend_open["start"] <= off:
            self._abandon_bend(on)
        dropped = [b for b in self.pending_bends if b.start not in self._bends_alerted and b.end >= into and b.start <= off]
        for b in dropped:
            self._bends_judged.discard(b.start)
        self.pending_bends = [b for b in self.pending_bends if all(b is not d for d in dropped)]
        self._transition(f"{_short(self.base)}_to_lie", into, on, "lying")
        settled = self._last_time(lambda f: f.inclination > LYING_SETTLED_DEG, off)
        self._transition("lie_to_sit", settled, off, "sitting")

    def _drop_bend(self) -> None:
        self.bend_open = None
        self.live.bending = False

    def _abandon_bend(self, t: float) -> None:
        """The open lean turned out to be part of a posture change (sitting or lying down). If it
        already raised a severe-bend alert it stays a bend, ended at ``t`` (not before the alert):
        the alert said it was a bend, and every alert must belong to a reported bend."""
        b = self.bend_open
        if b is not None and b["alert_t"] is not None:
            self._close_bend(max(t, b["alert_t"]))
        elif b is not None:
            self._bends_judged.discard(b["start"])
            self._drop_bend()

    def _close_bend(self, t: float) -> None:
        start = self.bend_open["start"]
        self._drop_bend()
        # measured when final: the style needs the half second after the end as well
        self.pending_bends.append(Event("bend", start, t))
        self._schedule(t + VERTICAL_MERGE_S, lambda tt=t + VERTICAL_MERGE_S: self._bend_wait_over(tt))

    def _vertical_movement(self, run: Run) -> None:
        if run.end - run.start > MAX_TRANSITION_S or self.base == "lying":
            self._finalize_bends(run.decided, None)
            return
        seg = self.history.between(run.start - 0.5, run.end + 0.5)
        th = self.profile.transition_height_m
        transition = None
        # the hips' height change is integrated only where it can count (most movements of a
        # bend-heavy day are bent or leant too far)
        if len(seg) == 0 or abs(seg.flexion[-1]) > self.profile.bend_start_deg:
            dh = 0.0  # still bent when the movement paused: part of a bend, not a change of posture
        elif seg.flexion.max() > MAX_TRANSITION_LEAN_DEG:
            dh = 0.0  # sitting down and standing up lean 25-45 deg ...
        else:
            dh = hip_height_change(seg, self.profile.bend_start_deg)
            if abs(dh) > MAX_TRANSITION_DROP_M:
                dh = 0.0  # ... and move the hips < 0.7 m
        # a cue (recline, walking) may already have switched the posture during this movement
        just_switched = self.base_since >= run.start
        if self.base == "standing" and not just_switched and run.start >= self._put_on_until and is_squat_lift(
                seg, run.end - run.start, self.profile):
            self._squat_lift(run)
            return
        if dh < -th and (self.base == "standing" or (self.base == "sitting" and just_switched)):
            transition = ("stand_to_sit", "sitting")
        elif dh > th and (self.base == "sitting" or (self.base == "standing" and just_switched)):
            transition = ("sit_to_stand", "standing")
        if transition is not None:
            self._finalize_bends(run.decided, run)
            if self.bend_open is not None and self.bend_open["start"] <= run.end:
                self._abandon_bend(run.start)
            self._transition(transition[0], run.start, run.end, transition[1])
        else:
            self._finalize_bends(run.decided, None)

    def _squat_lift(self, run: Run) -> None:
        """The pelvis went down and back up with the trunk upright (:mod:`.squat_lift`): a lift, not
        sitting down. A bend over it already reports it; else it is reported as a squat bend."""
        covered = (self.bend_open is not None and self.bend_open["start"] <= run.end) or any(
            b.start <= run.end and b.end >= run.start for b in self.pending_bends)
        self._finalize_bends(run.decided, None)
        if not covered:
            window = self.history.between(run.start - 1.0, run.end + 1.0)
            self._emit(run.decided, squat_lift(window, run.start, run.end, self.profile, self.has_gyro))

    def _moving_held(self, start: float) -> None:
        if self.base == "sitting":
            self._set_base("standing", start)

    def _upright_held(self, start: float) -> None:
        """Back at the standing neutral after a clearly reclined sitting: the stand-up was missed.

        Standing up leans the trunk forward past the standing neutral first (the flexion-momentum
        phase); a slouch from a reclined sitting only comes forward to it, so it needs that lean."""
        if (self.base == "sitting" and self.sit_neutral is not None
                and self.sit_neutral < -self.profile.sit_recline_deg):
            before = self.history.between(start - STAND_UP_LOOKBACK_S, start)
            if len(before) and float(before.flexion.max()) > STAND_UP_LEAN_DEG:
                self._set_base("standing", start)

    def _recline_held(self, start: float) -> None:
        if self.base == "standing" and self.bend_open is None and start >= self._put_on_until:
            self._set_base("sitting", start)

    # -- wear -----------------------------------------------------------------------------------

    def wear(self, changes: list[WearChange]) -> None:
        """Changes of wear state from :class:`.nonwear.WearDetector`, each applied at its own time.

        Non-wear is found :attr:`~.nonwear.WearParams.min_not_worn_s` after the stillness began, and
        reaches back to its start: the posture there ends, a sedentary bout ends (non-wear is neither
        sedentary nor a break), and alerts that fell due while the sensor read still, held until now,
        are dropped. A stillness that ends sooner was worn: its held alerts come out when it ends."""
        for c in changes:
            apply = {"still": self._wear_still, "moving": self._wear_moving, "not_worn": self._enter_not_worn,
                     "worn": self._leave_not_worn}[c.kind]
            self._order += 1
            heapq.heappush(self._scheduled, _Decision(c.time, self._order, (lambda f=apply, c=c: f(c)), at_end=True))

    def _wear_still(self, c: WearChange) -> None:
        self._still_since = c.at

    def _wear_moving(self, c: WearChange) -> None:
        self._still_since = None
        held, self._held_alerts = self._held_alerts, []
        for alert in held:
            self._emit(c.time, alert)

    def _enter_not_worn(self, c: WearChange) -> None:
        if self.base is None or self.base == NOT_WORN:
            return
        t = max(c.at, self.base_since)
        self._end_slouch(t)
        if self.bend_open is not None:  # a lean left by putting the sensor down: no bend
            self._bends_judged.discard(self.bend_open["start"])
            self._bends_alerted.discard(self.bend_open["start"])
            self._drop_bend()
        if t > self.base_since:
            self._emit_posture_period(t)
        for e in self.sedentary.finish(t):
            self._emit(t, e)
        self._held_alerts = []
        self.base, self.base_since, self.side, self.sit_neutral = NOT_WORN, t, None, None
        self._side_candidate = None

    def _leave_not_worn(self, c: WearChange) -> None:
        """Worn again from ``c.at``: standing, as people put a belt sensor on (the sensor is still in
        the hand when this is decided, so its inclination says nothing); cues correct it as they come.
        For ``PUT_ON_S`` the sensor is turned from its resting orientation to the back: what that looks
        like (a deep fast lean, a lie-down, a recline) opens no bend and changes no posture (a sit-down
        found from the hips' drop still counts: lifting the sensor to the belt only raises it)."""
        self._still_since = None
        if self.base != NOT_WORN:
            return
        end = max(c.at, self.base_since)
        self._emit(end, self._not_worn_event(end))
        self.base = None
        self._set_base("standing", end)
        self._put_on_until = end + PUT_ON_S

    def _not_worn_event(self, end: float) -> Event:
        return Event(NOT_WORN, self.base_since, end, {"duration_s": round(end - self.base_since, 1)})

    # -- bends ----------------------------------------------------------------------------------

    def _lean_edge(self, fr: Frame, idx: int, on: bool) -> None:
        t = float(fr.t[idx])
        if on:
            if self.base == "standing" and self.bend_open is None and t >= self._put_on_until:
                before = self.history.between(t - 10.0, t)
                self.bend_open = {"start": bend_start(before, t, self.profile), "rule_met": False, "alert_t": None,
                                  "peak": -np.inf, "above": 0.0, "twist": 0.0, "heading": 0.0}
                self.live.bending = True
        elif self.bend_open is not None:
            self._close_bend(t)

    def _bend_wait_over(self, t: float) -> None:
        self._finalize_bends(t, None)

    def _vertical_undecided_until(self, bend: Event, now: float) -> float | None:
        """When a vertical movement overlapping ``bend``, undecided at ``now``, is surely no transition
        (None: there is none). A movement still undecided at ``now`` lasts at least until
        ``now - VERTICAL_MERGE_S``, so one that started MAX_TRANSITION_S before that is too long to
        be sitting down or standing up (walking, fidgeting), whenever it ends: the bend need not
        wait for its end, which may be long after the bend has left the history."""
        starts = [run.start for run in self._chunk_runs
                  if run.decided > now and run.start <= bend.end and run.end >= bend.start]
        open_start = self.vertical_runs.open_start  # open at the chunk end: decided after ``now``
        if open_start is not None and open_start <= bend.end:
            starts.append(open_start)
        known = [s + MAX_TRANSITION_S + VERTICAL_MERGE_S for s in starts]
        return max(known) if known and max(known) > now else None

    def _finalize_bends(self, now: float, transition: Run | None) -> None:
        """Emit pending bends once every vertical movement they overlap is decided; a bend that was
        part of sitting down or standing up (``transition``) is dropped."""
        keep = []
        for b in self.pending_bends:
            overlaps = transition is not None and b.start <= transition.end and b.end >= transition.start
            if overlaps and b.start not in self._bends_alerted:
                self._bends_judged.discard(b.start)
                continue
            known = self._vertical_undecided_until(b, now)
            if now < b.end + VERTICAL_MERGE_S or known is not None or self._got_up_due is not None:
                keep.append(b)
                if known is not None:
                    self._schedule(known, lambda tt=known: self._bend_wait_over(tt))
            else:
                self._emit_bend(now, b)
        self.pending_bends = keep

    def _emit_bend(self, now: float, pending: Event) -> None:
        """Emit a final bend; a severe one not judged while open (a shallow lean with a twist: it
        could have been turning to sit down) raises its alert now that it is known to be a bend."""
        bend = self._measure(pending)
        self._emit(now, bend)
        if bend.fields["severity"] == "high" and pending.start not in self._bends_judged:
            self._emit(now, self.alerts.offer("severe_bend", now, bend_start=round(bend.start, 3),
                                              flexion_deg=bend.fields["peak_flexion_deg"]))
        self._bends_judged.discard(pending.start)
        self._bends_alerted.discard(pending.start)

    def _measure(self, bend: Event) -> Event:
        window = self.history.between(bend.start - 1.0, bend.end + 1.0)
        return measure_bend(window, bend.start, bend.end, self.profile, self.has_gyro)

    def _track_open_bend(self, fr: Frame) -> None:
        b = self.bend_open
        dt = steps(fr.t, self._t_last if self._t_last is not None else fr.t[0])
        above = fr.flexion > self.profile.band_low_deg
        heading = b["heading"] + np.cumsum(fr.heading_rate * dt)
        twist = np.abs(heading)
        above_s = b["above"] + np.cumsum(np.where(above, dt, 0.0))
        b["above"], b["heading"] = float(above_s[-1]), float(heading[-1])
        if b["rule_met"]:  # judged already: only the running values go on (a NaN stays, as accumulated)
            b["peak"] = float(np.maximum(fr.flexion.max(), b["peak"]))
            b["twist"] = float(np.maximum(twist.max(), b["twist"]))
            return
        peak = np.maximum.accumulate(np.maximum(fr.flexion, b["peak"]))
        twist_max = np.maximum.accumulate(np.maximum(twist, b["twist"]))
        # only leans that cannot be sitting or lying down are judged while open: deeper than any
        # sit-down (MAX_TRANSITION_LEAN_DEG) or held beyond held_bend_s; the rest when final.
        # Forward unknown, a lean past the lying angle may be lying down: judged when final too
        certain = (peak > MAX_TRANSITION_LEAN_DEG) | (above_s > self.profile.held_bend_s)
        if not self.signed:
            certain &= peak <= self.profile.lying_inclination_deg
        hit = np.flatnonzero(self.severity.is_high(peak, twist_max if self.has_gyro else None, above_s) & certain)
        k = self._first_severe(b["start"], fr.t, int(hit[0])) if len(hit) else None
        if k is not None:
            self._bend_rule_met(b, float(fr.t[k]), float(fr.flexion[k]))
        b["peak"], b["twist"] = float(peak[-1]), float(twist_max[-1])

    def _first_severe(self, start: float, t: np.ndarray, i0: int) -> int | None:
        """The first index from ``i0`` where the bend from ``start`` is severe as the final event will
        be measured (:func:`.bending.measure_bend`), or None. Peak, twist and time above only grow,
        so this is monotone (bisection, same answer whatever the chunking) and the final bend is
        severe too; the running values above are only a cheap first filter. The samples are taken
        from the history once, and each step reads its verdict from :func:`.bending.high_so_far`
        where that is sure, else works out the severity of that end alone."""
        window = self.history.between(start - 1.0, float(t[-1]) + 1.0)
        bend = window.between(start, float(t[-1]))
        known = high_so_far(bend, self.profile, self.has_gyro)

        def severe(i: int) -> bool:
            k = int(np.searchsorted(bend.t, t[i], side="right")) - 1
            if known is not None and k >= 0 and known[1][k]:
                return bool(known[0][k])
            return bend_severity(window, start, float(t[i]), self.profile, self.has_gyro) == "high"

        lo, hi = i0, len(t) - 1
        if not severe(hi):
            return None
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if severe(mid) else (mid + 1, hi)
        return lo

    def _bend_rule_met(self, b: dict, t: float, flexion: float) -> None:
        b["rule_met"] = True
        self._bends_judged.add(b["start"])
        alert = self.alerts.offer("severe_bend", t, bend_start=round(b["start"], 3), flexion_deg=round(flexion, 1))
        if alert is not None:
            b["alert_t"] = t
            self._bends_alerted.add(b["start"])
            self._emit(t, alert)

    # -- slouching ------------------------------------------------------------------------------

    def _learn_neutral(self, sit_start: float) -> None:
        if self.base != "sitting" or self.base_since != sit_start:
            return
        window = self.history.between(sit_start, sit_start + self.profile.sitting_neutral_window_s)
        learnt = float(np.median(window.flexion)) if len(window) else 0.0
        if self._neutrals:  # sat down already slouched? do not take a slump as the neutral
            learnt = min(learnt, float(np.median(self._neutrals)) + 2.0)
        self._neutrals.append(learnt)
        self._set_neutral(learnt)

    def _set_neutral(self, neutral: float) -> None:
        self.sit_neutral = neutral
        tol = self.profile.slouch_tolerance_deg
        state = self.slouch_h.state
        self.slouch_h = Hysteresis(neutral + tol, neutral + tol - 2.0, state)

    def _run_slouch(self, fr: Frame) -> None:
        mask = None  # None: not slouched anywhere in ``fr``
        if self.sit_neutral is not None and self.base in ("sitting", "standing"):
            if self.bend_open is not None:  # no slouch while bending: only the hysteresis state goes on
                self.slouch_h.carry(fr.flexion)
            else:
                mask = self.slouch_h.run_on(fr.flexion)
        if mask is None and self.slouch_runs.open_start is None:  # nothing slouched or open: most stretches
            self._slouch_seen = []
            self.live.slouching = False
            return
        if mask is None:
            mask = np.zeros(len(fr), dtype=bool)
        if mask.any() or self.slouch_runs.open_start is not None:
            self._slouch_seen.append((fr.t, fr.flexion))
        for run in self.slouch_runs.feed(fr.t, mask):
            self._slouch_run_closed(run)
        start = self.slouch_runs.open_start
        self._keep_slouch_samples(start)
        delay = self.profile.slouch_delay_s
        after = self._slouch_alert_delay()
        if start is not None and self.slouch_runs.open_end - start >= after and self._slouch_alerted_run != start:
            self._slouch_alerted_run = start
            alert = self.alerts.offer("slouch", start + after, posture=self.base, slouch_start=round(start, 3))
            self._slouch_alert_sent = start if alert is not None else None
            self._emit(start + after, alert)
        self.live.slouching = start is not None and self.slouch_runs.open_end - start >= delay

    def _slouch_alert_delay(self) -> float:
        """How long a slouch is held before the patient is told (never before it is an episode)."""
        return max(self.profile.slouch_delay_s, self.profile.slouch_alert_delay_s)

    def _slouch_run_closed(self, run: Run) -> None:
        if run.end - run.start >= self.profile.slouch_delay_s:
            if self._slouch_alerted_run != run.start and run.end - run.start >= self._slouch_alert_delay():
                at = run.start + self._slouch_alert_delay()
                self._emit(at, self.alerts.offer("slouch", at, posture=self.base, slouch_start=round(run.start, 3)))
            rel = self._slouch_flexion(run.start, run.end) - (self.sit_neutral or 0.0)
            self._emit(run.end, Event("slouch", run.start, run.end, {
                "posture": self.base,
                "peak_flexion_deg": round(float(rel.max()), 1) if len(rel) else None,
                "mean_flexion_deg": round(float(rel.mean()), 1) if len(rel) else None,
                "neutral_deg": round(float(self.sit_neutral or 0.0), 1),
            }))
        self._slouch_alerted_run = None

    def _end_slouch(self, t: float) -> None:
        start = self.slouch_runs.open_start
        if start is not None:
            end = min(t, self.slouch_runs.open_end)
            if self._slouch_alert_sent == start:  # a posture change found late cannot take back an alert
                end = max(end, min(start + self.profile.slouch_delay_s, self.slouch_runs.open_end))
            self._slouch_run_closed(Run(start, end, t))
        self.slouch_runs = RunTracker(0.0)
        self.slouch_h = Hysteresis(np.inf, np.inf)
        self._slouch_seen = []

    def _keep_slouch_samples(self, start: float | None) -> None:
        """Keep the flexion seen since the open slouch run began (a slouch outlasts the history:
        measured from it, a long one depended on the chunking), nothing when none is open."""
        if start is None:
            self._slouch_seen = []
            return
        while self._slouch_seen and self._slouch_seen[0][0][-1] < start:
            self._slouch_seen.pop(0)

    def _slouch_flexion(self, start: float, end: float) -> np.ndarray:
        t = np.concatenate([t for t, _ in self._slouch_seen]) if self._slouch_seen else np.zeros(0)
        flexion = np.concatenate([f for _, f in self._slouch_seen]) if self._slouch_seen else np.zeros(0)
        return flexion[(t >= start) & (t <= end)]

    # -- per-sample work between decisions -------------------------------------------------------

    def _run_interval(self, fr: Frame) -> None:
        if self.bend_open is not None:
            self._track_open_bend(fr)
        if self.base == "lying" and self.signed:  # without forward, no side to track
            self._track_side(fr)
        self._run_slouch(fr)
        self._t_last = float(fr.t[-1])

    def _track_side(self, fr: Frame) -> None:
        sides = lying_side(fr.gravity)
        change = np.flatnonzero(sides[1:] != sides[:-1]) + 1
        bounds = [0, *change.tolist(), len(sides)]
        for a, b in zip(bounds[:-1], bounds[1:]):
            code = int(sides[a])
            if self._side_candidate is None or self._side_candidate[0] != code:
                self._side_candidate = (code, float(fr.t[a]))
            cand_code, cand_t = self._side_candidate
            if SIDES[cand_code] != self.side and float(fr.t[b - 1]) - cand_t >= SIDE_HOLD_S:
                start = self._last_time(lambda f: np.max(np.abs(f.gravity[:, :2]), axis=1) > SIDE_CLEAR, cand_t)
                after = self.history.between(cand_t, cand_t + SIDE_HOLD_S)
                clear = np.flatnonzero(np.max(np.abs(after.gravity[:, :2]), axis=1) > SIDE_CLEAR)
                end = float(after.t[clear[0]]) if len(clear) else cand_t
                self._transition("roll_over", start, end, "lying", SIDES[cand_code])

    def _update_live(self, fr: Frame) -> None:
        lv = self.live
        lv.posture, lv.lying_side = self.base, self.side if self.base == "lying" else None
        lv.flexion_deg = float(fr.flexion[-1])
        lv.lateral_deg = float(fr.lateral[-1])
        lv.inclination_deg = float(fr.inclination[-1])
        lv.t = float(fr.t[-1])

    def finish(self) -> list[Event]:
        """End of data: close what is open (the open posture, slouch, sedentary bout, pending bends)."""
        t = self._t_last
        if t is None:
            return []
        for d in sorted(d for d in self._scheduled if d.at_end):  # known only from the last samples
            d.apply()
        self._still_since = None  # stillness too short for non-wear at the end: worn, alerts stand
        for alert in self._held_alerts:
            self._emit(t, alert)
        self._end_slouch(t)
        if self.bend_open is not None:
            self.pending_bends.append(Event("bend", self.bend_open["start"], t))
            self._drop_bend()
        for b in self.pending_bends:
            self._emit_bend(t, b)
        self.pending_bends = []
        if self.base == NOT_WORN:
            self._emit(t, self._not_worn_event(t))
        elif self.base is not None and t > self.base_since:
            self._emit_posture_period(t)
        for e in self.sedentary.finish(t):
            self._emit(t, e)
        out = sorted(self._out, key=lambda x: (x[0], x[1]))
        self._out = []
        return [e for _, _, e in out]


def _edge_decisions(on: np.ndarray | None, was_on: bool, off: np.ndarray, fr: Frame,
                    edge: Callable[[Frame, int, bool], None], add: Callable[[float, Callable[[], None]], None]) -> bool:
    """Schedules ``edge(fr, index, state)`` at each change of a hysteresis output over the chunk
    (``on``; None when it is off throughout, :meth:`Hysteresis.run_on`) and returns its state at the
    chunk's end. Nothing to do for a state off throughout that was off before: the usual chunk."""
    if on is None and not was_on:
        return False
    on = off if on is None else on
    for idx, state in _edges(on, was_on):
        add(float(fr.t[idx]), (lambda i=idx, v=state: edge(fr, i, v)))
    return bool(on[-1])


def _edges(mask: np.ndarray, prev: bool) -> list[tuple[int, bool]]:
    idx = edges(mask, prev)
    return list(zip(idx.tolist(), mask[idx].tolist()))


def _short(posture: str | None) -> str:
    return {"standing": "stand", "sitting": "sit", "lying": "lie"}.get(posture or "", "stand")
