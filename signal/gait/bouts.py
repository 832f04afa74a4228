"""Walking bouts from initial contacts, by the Mobilise-D rules, one contact at a time.

The Mobilise-D consensus (Kluge et al. 2021): a walking bout holds at least ``min_strides`` consecutive
strides (a stride runs from one contact to the next of the same foot, so ``n`` alternating contacts
make ``n - 2`` strides); strides last 0.2-3 s; breaks of up to ``max_break_s`` between two bouts are
merged into one. Here a "run" is a sequence of contacts no more than ``max_step_s`` apart (half the
longest stride); a run long enough is a bout, and bouts closer than the break limit merge, together
with any short run lying in the break (those steps were taken, so they count).

The assembler is a small state machine fed contacts in time order plus the time up to which contacts
are known (``advance``). A bout is final, and emitted, once no future contact can merge into it: the
break limit has passed since its last contact and no run that started inside the break is still open.
Only contact order matters, not how they were chunked, so streaming and batch give the same bouts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class BoutParams:
    """Walking-bout rules (seconds). ``height_m``: the wearer's height, for stride length and speed
    (None: not reported). ``live_min_steps``: contacts in a run before the live flag says walking.
    ``step_prominence`` (m/s^2): a peak this prominent is a step on its own; a weaker one (down to
    ``StepParams.min_prominence``) only continues a run, when it falls within ``rhythm_tolerance`` of
    the run's step time: the soft steps of turning and of stopping, which the foot-sensor references
    count, stand out by their timing rather than their size.
    ``initiation_ratio``: the first peak of a run is the weight shift of gait initiation, not a heel
    strike, when its prominence is below this fraction of the median of the next five (on Voisard's
    foot-sensor reference: median 0.23 for such peaks, 0.52 for real first contacts).
    Step length (Zijlstra & Hof 2003, inverted pendulum): ``pendulum_gain * 2 * sqrt(2 l h - h^2)``
    with ``h`` the vertical travel of the lower back during the step (``StepParams`` says how it is
    filtered) and ``l`` the sensor's height above the ground, taken as ``leg_length_fraction`` of the
    body height (Winter's anthropometry, as in the Mobilise-D MS Project). The gain is the published
    Mobilise-D correction factor, 4.587 / 4 = 1.147, optimised on the MS Project's people with
    multiple sclerosis and mobgap's default for ``SlZijlstra`` (4.739 / 4 = 1.185 on all its
    participants); nothing here is fitted on our validation data. Stride length is twice the bout's
    median step; speed is that step over the mean step time (stride length x cadence / 120, as
    Mobilise-D's walking speed is)."""

    min_strides: int = 4
    max_step_s: float = 1.5
    max_break_s: float = 3.0
    live_min_steps: int = 4
    step_prominence: float = 0.5
    rhythm_tolerance: float = 0.2
    initiation_ratio: float = 0.4
    height_m: float | None = None
    leg_length_fraction: float = 0.53
    pendulum_gain: float = 4.587 / 4


@dataclass
class Bout:
    """A walking bout being assembled: its contact times, yaw at each, and vertical excursions."""

    t: list[float] = field(default_factory=list)
    yaw: list[float] = field(default_factory=list)
    prominence: list[float] = field(default_factory=list)
    excursion: list[float] = field(default_factory=list)  # vertical travel since the previous contact (m)

    def extend(self, other: "Bout") -> None:
        self.t.extend(other.t)
        self.yaw.extend(other.yaw)
        self.prominence.extend(other.prominence)
        self.excursion.extend(other.excursion)

    def append(self, t: float, yaw: float, prominence: float, excursion: float) -> None:
        self.t.append(t)
        self.yaw.append(yaw)
        self.prominence.append(prominence)
        self.excursion.append(excursion)

    def copy(self) -> "Bout":
        return Bout(list(self.t), list(self.yaw), list(self.prominence), list(self.excursion))

    def drop_first(self) -> None:
        del self.t[0], self.yaw[0], self.prominence[0], self.excursion[0]


def right_foot(t: np.ndarray, yaw: np.ndarray) -> np.ndarray | None:
    """Whether each contact is the right heel's, or None without a gyroscope. Sides alternate, so each
    stretch of regular steps gets one phase, chosen by the sign of the yaw rate just before its
    contacts (positive = pelvis turning left about the vertical = right heel strike, on the INDIP and
    Voisard references): the sum over the stretch of that sign, with every other contact's negated,
    NaN counted as zero. A stretch ends where a step takes over 1.3 or under 0.7 times the median: a
    missed or extra contact there would flip the parity."""
    n = len(yaw)
    if n == 0 or np.all(np.isnan(yaw)):
        return None
    d = np.diff(t)
    med = np.median(d) if n > 1 else 0.0
    starts = np.flatnonzero(np.concatenate([[True], (d > 1.3 * med) | (d < 0.7 * med)]))
    first = np.zeros(n, int)
    first[starts] = 1
    stretch = np.cumsum(first) - 1  # which stretch each contact is in
    even = (np.arange(n) - starts[stretch]) % 2 == 0
    votes = np.nan_to_num(np.sign(yaw) * np.where(even, 1.0, -1.0), nan=0.0)
    first_right = np.add.reduceat(votes, starts) >= 0  # sums of +-1 and 0: exact in any order
    return even == first_right[stretch]


def assign_sides(t: np.ndarray, yaw: np.ndarray) -> list[str]:
    """Left/right per contact (:func:`right_foot`); without a gyroscope "unknown"."""
    right = right_foot(t, yaw)
    if right is None:
        return ["unknown"] * len(yaw)
    return np.where(right, "right", "left").tolist()


def median(values: list[float]) -> float:
    """``np.median`` of a few floats, by the same arithmetic (the middle one, or the mean of the two
    middle ones; NaN for none), without making an array of them."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def step_intervals(t: np.ndarray, max_step_s: float) -> np.ndarray:
    """Intervals between consecutive contacts that are steps (not breaks)."""
    d = np.diff(t)
    return d[d <= max_step_s]


def cadence_spm(t: np.ndarray, max_step_s: float = BoutParams.max_step_s) -> float:
    """Mean cadence in steps/min over the steps (breaks left out): 60 / mean step time."""
    d = step_intervals(np.asarray(t, dtype=float), max_step_s)
    return float(60.0 / d.mean()) if len(d) else float("nan")


def bout_fields(bout: Bout, params: BoutParams) -> dict:
    """The event fields of a finished bout."""
    t = np.asarray(bout.t)
    right = right_foot(t, np.asarray(bout.yaw, dtype=float))
    fields = {
        "steps": int(len(t)),
        "cadence_spm": round(cadence_spm(t, params.max_step_s), 2),
        "duration_s": round(float(t[-1] - t[0]), 3),
    }
    if right is not None:
        fields["left_steps"] = int(len(right) - np.count_nonzero(right))
        fields["right_steps"] = int(np.count_nonzero(right))
    if params.height_m:
        lengths, times = step_lengths(bout, params)
        if len(lengths):
            # The median step: one odd step (a kerb, a stumble, stairs) must not set the bout's figure.
            # Speed uses the mean step time, the cadence's: slow steps do slow the walk down.
            step = float(np.median(lengths))
            fields["stride_length_m"] = round(2 * step, 3)
            fields["speed_mps"] = round(step / float(np.mean(times)), 3)
    return fields


def step_lengths(bout: Bout, params: BoutParams) -> tuple[np.ndarray, np.ndarray]:
    """Inverted-pendulum length (m) and duration (s) of every step of the bout (breaks left out)."""
    assert params.height_m
    t = np.asarray(bout.t)
    steps = np.diff(t)
    keep = steps <= params.max_step_s
    h = np.asarray(bout.excursion[1:])[keep]
    leg = params.leg_length_fraction * params.height_m
    lengths = params.pendulum_gain * 2 * np.sqrt(np.clip(2 * leg * h - h * h, 0.0, None))
    return lengths, steps[keep]


class BoutAssembler:
    """Contacts in, final walking bouts out (as ``Bout``), with a live walking flag."""

    def __init__(self, params: BoutParams | None = None) -> None:
        self.params = params or BoutParams()
        self._run = Bout()
        self._run_attached = False  # the open run already counts as (part of) the pending bout
        self._pending: Bout | None = None
        self._loose = Bout()  # short runs inside the break after the pending bout
        self._now = -np.inf
        self._top, self._bottom = -np.inf, np.inf  # vertical position extremes since the last step

    @property
    def min_contacts(self) -> int:
        return self.params.min_strides + 2

    @property
    def walking(self) -> bool:
        """Walking now: a run of at least ``live_min_steps`` contacts whose last step is recent."""
        run = self._run.t
        return len(run) >= self.params.live_min_steps and self._now - run[-1] <= self.params.max_step_s

    def add(self, t: float, yaw: float, prominence: float, top: float, bottom: float) -> list[Bout]:
        """One candidate contact (in time order) with the vertical position's extremes since the
        previous candidate; returns bouts that became final."""
        self._top, self._bottom = max(self._top, top), min(self._bottom, bottom)
        if prominence < self.params.step_prominence and not self._fits_rhythm(t):
            return []
        excursion = self._top - self._bottom
        self._top, self._bottom = -np.inf, np.inf
        done: list[Bout] = []
        if self._run.t and t - self._run.t[-1] > self.params.max_step_s:
            done += self._close_run()
        self._run.append(t, yaw, prominence, excursion)
        self._now = max(self._now, t)
        if self._run_attached:
            assert self._pending is not None
            self._pending.append(t, yaw, prominence, excursion)
        elif len(self._run.t) >= self.min_contacts:
            if self._starts_with_initiation():
                self._run.drop_first()
            else:
                done += self._qualify_run()
        return done

    def _fits_rhythm(self, t: float) -> bool:
        run = self._run.t
        if len(run) < 3:
            return False
        last = run[-5:]
        step = median([b - a for a, b in zip(last, last[1:])])
        return abs((t - run[-1]) / step - 1.0) <= self.params.rhythm_tolerance

    def _starts_with_initiation(self) -> bool:
        p = self._run.prominence
        return p[0] < self.params.initiation_ratio * median(p[1:6])

    def advance(self, now: float) -> list[Bout]:
        """No contact before ``now`` is still to come; returns bouts that became final."""
        self._now = max(self._now, now)
        done: list[Bout] = []
        if self._run.t and self._now - self._run.t[-1] > self.params.max_step_s:
            done += self._close_run()
        if self._pending is not None and self._now - self._pending.t[-1] > self.params.max_break_s:
            run_in_break = self._run.t and self._run.t[0] - self._pending.t[-1] <= self.params.max_break_s
            if not run_in_break:
                done.append(self._pending)
                self._pending, self._loose = None, Bout()
        return done

    def finish(self) -> list[Bout]:
        """End of data: everything still open is decided."""
        return self.advance(np.inf)

    def _qualify_run(self) -> list[Bout]:
        """The open run just became long enough to be a bout: merge it or start a new pending bout."""
        done: list[Bout] = []
        pending = self._pending
        if pending is not None and self._run.t[0] - pending.t[-1] <= self.params.max_break_s:
            pending.extend(self._loose)
            pending.extend(self._run)
        else:
            if pending is not None:
                done.append(pending)
            self._pending = self._run.copy()
        self._loose = Bout()
        self._run_attached = True
        return done

    def _close_run(self) -> list[Bout]:
        if not self._run_attached and self._pending is not None:
            if self._run.t[0] - self._pending.t[-1] <= self.params.max_break_s:
                self._loose.extend(self._run)
        self._run, self._run_attached = Bout(), False
        return []
