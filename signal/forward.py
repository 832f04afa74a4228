"""Which way is forward, found from how the wearer moves, with how sure that is.

A sensor clipped on any way round shows its vertical at once (gravity), but forward only through
movements whose direction the body fixes. Three independent cues are read from a recording, each a
direction in the horizontal plane (sensor frame) with a weight:

- **walking**: at the lower back the anteroposterior (AP) acceleration oscillates at the step
  frequency, the mediolateral one mostly at the stride frequency (half of it), so the AP axis is the
  horizontal direction of most step-band power (in the horizontal plane of the walking vertical: the
  tilt correction of trunk accelerations, Moe-Nilssen 1998, Clin. Biomech. 13:320). Its sign comes from the gait cycle's phase: the inverted-pendulum trunk
  decelerates while rising over the stance leg and accelerates forward while falling onto the next
  one, then brakes at heel strike while the vertical acceleration peaks (Zijlstra & Hof 2003, Gait
  Posture 18:1; the initial contact at the peak of forward acceleration, as in mobgap's Zijlstra
  based detectors). Forward acceleration therefore leads vertical acceleration at the step frequency
  by about a third of a step: measured 82-113 deg on the Mobilise-D lab example (sensor z forward),
  90-152 deg on 37 of 40 UCI HAPT recordings (three at -44 to -68), 124-138 deg on the simulator.
  The sign is the one that puts this phase nearer 120 deg; the weight grows with the walking time
  and the phase's clarity.
- **bends**: short excursions away from upright that come back (bends, the lean of sitting down or
  standing up) are forward by anatomy; gravity then moves towards the back. Long tilts (sitting back,
  lying) are left out, and so is anything deeper than a bend at the waist.
- **sitting**: long still tilts between upright periods (sitting between a stand-to-sit and a
  sit-to-stand) lean backwards at the waist: sitting rotates the pelvis posteriorly (pelvic tilt +18
  deg on average from standing, lumbar lordosis halved: Endo et al. 2012, J. Orthop. Sci. 17:682;
  waist sensors recline 8-43 deg when sitting in UCI HAPT), so gravity moves towards the front. A
  sensor higher on the back tilts forward when slumping (the simulator models that), so this cue
  only confirms: it never sets the direction and never vetoes, it counts as a second cue when it
  agrees with the others. On the odd-numbered UCI HAPT users every sitting vote lay within 36 deg of
  the labelled-lying reference.
- **lying**: lying still for a while is far more often supine or on a side than prone: the measured
  acceleration then points to the front (supine) or sideways, rarely to the back. A weak cue alone;
  with another cue's axis it tells the sign.

:func:`combine` joins them. ``known`` is True only when at least two cues count and none points
further than ``AGREE_DEG`` from the combined direction (a cue with less than ``VETO_SHARE`` of the
strongest's weight cannot veto it), or when walking or bends alone are strong; otherwise the
combined direction is still returned (the best guess) with ``known`` False and a reason in words,
and analysis reports the unsigned tilt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STEP_PHASE_DEG = 120.0  # forward acceleration leads vertical by this at the step frequency (see above)
STEP_PERIOD_S = (0.3, 0.8)  # step periods searched in the vertical autocorrelation
MAX_WALK_S = 300.0  # walking seconds used (evenly spread): enough for the phase, bounded cost
MIN_WALK_S = 10.0  # less walking than this gives no walking cue
MIN_PHASE_CLARITY = 0.3  # |cos(phase - STEP_PHASE_DEG)| below this: the sign is not clear
STRONG_WALK = 2.0  # walking weight (about 50 s of clear walking on UCI HAPT) trusted alone
STRONG_BENDS = 2.5  # bends weight (seven excursions that agree) trusted alone
BEND_TILT_DEG = (15.0, 70.0)  # peak tilt of an excursion that counts as a bend or a sit/stand lean
BEND_MAX_S = 15.0  # ... lasting at most this long (longer: sitting back, lying)
SIT_EDGE_S = 5  # seconds at either end of a longer excursion left out (sitting down, standing up)
SIT_TILT_MAX_DEG = 60.0  # still tilts up to this between upright periods: sitting
MIN_SIT_S = 5  # still seconds of such sitting that make a vote
UPRIGHT_DEG = 10.0  # excursions start and end within this of the vertical
LYING_DEG = 65.0  # still tilt beyond this is lying
MIN_LYING_S = 3.0
AGREE_DEG = {"walking": 60.0, "bends": 60.0, "lying": 100.0, "sitting": 60.0}  # further from the combined forward: disagree
VETO_SHARE = 0.25  # a disagreeing cue vetoes only if it has at least this share of the strongest's weight
MIN_WEIGHT = {"walking": 1.0, "bends": 1.4, "lying": 0.5, "sitting": 1.0}  # below: too weak to count (bends: two alike)


@dataclass(frozen=True)
class Cue:
    """One cue's forward direction (unit, horizontal, sensor frame) and the weight of its evidence."""

    name: str
    direction: np.ndarray
    weight: float


@dataclass
class Forward:
    """The combined forward, whether it is known, the cues it came from and, if not known, why."""

    direction: np.ndarray | None
    known: bool
    cues: list[Cue]
    reason: str = ""

    def describe(self) -> str:
        """The cues in a few words, for the output document."""
        return ", ".join(f"{c.name} ({c.weight:.1f})" for c in self.cues) or "none"


def _horizontal(v: np.ndarray, up: np.ndarray) -> np.ndarray:
    return v - np.outer(v @ up, up) if v.ndim == 2 else v - (v @ up) * up


def _unit(v: np.ndarray) -> np.ndarray | None:
    n = float(np.linalg.norm(v))
    return None if n < 1e-9 else v / n


def _spread(mask: np.ndarray, keep: int) -> np.ndarray:
    """``mask`` thinned to at most ``keep`` True entries, evenly over its True entries."""
    idx = np.flatnonzero(mask)
    if len(idx) <= keep:
        return mask
    out = np.zeros_like(mask)
    out[idx[np.linspace(0, len(idx) - 1, keep).astype(np.int64)]] = True
    return out


def _step_frequency(vertical: np.ndarray, rate_hz: float) -> float:
    x = vertical - vertical.mean()
    n = min(len(x), int(30 * rate_hz))
    ac = np.correlate(x[:n], x[:n], mode="full")[n - 1:]
    lo, hi = int(STEP_PERIOD_S[0] * rate_hz), min(int(STEP_PERIOD_S[1] * rate_hz), n - 1)
    return rate_hz / (lo + int(np.argmax(ac[lo:hi])))


def walking_seconds(walking: np.ndarray, rate_hz: float) -> np.ndarray:
    """Which of the one-second ``walking`` windows the walking cue reads: at most MAX_WALK_S, evenly
    spread; none when there are fewer than MIN_WALK_S or the rate is too low."""
    if walking.sum() < MIN_WALK_S or rate_hz < 10.0:
        return np.empty(0, np.int64)
    return np.flatnonzero(_spread(walking, int(MAX_WALK_S)))


def walking_cue(segments: list[tuple[np.ndarray, int]], rate_hz: float, up: np.ndarray) -> Cue | None:
    """The walking cue (see the module docstring) from the :func:`walking_seconds` of a recording:
    per second, its accelerations with the seconds either side (filtered together) and where it starts."""
    w = max(1, int(round(rate_hz)))
    if not segments:
        return None
    from scipy.signal import butter  # imported where used: SciPy's signal module slows start-up

    freq = _step_frequency(np.concatenate([s[w_off:w_off + w] @ up for s, w_off in segments]), rate_hz)
    sos = butter(2, [0.7 * freq, min(1.4 * freq, 0.45 * rate_hz)], btype="band", fs=rate_hz, output="sos")
    hor, ver, dver = [], [], []
    segments = [(acc, off) for acc, off in segments if len(acc) >= 3 * w]
    for f, (_, off) in zip(_filtered(sos, [acc for acc, _ in segments]), segments):
        v = f @ up
        d = np.gradient(v) * rate_hz / (2 * np.pi * freq)  # the quarter-period-ahead component
        hor.append(_horizontal(f, up)[off:off + w])
        ver.append(v[off:off + w])
        dver.append(d[off:off + w])
    if len(hor) < MIN_WALK_S:
        return None
    h, v, d = np.concatenate(hor), np.concatenate(ver), np.concatenate(dver)
    _, vecs = np.linalg.eigh(np.cov(h.T))
    axis = vecs[:, -1]
    ap = h @ axis
    phase = np.degrees(np.arctan2(np.mean(ap * d), np.mean(ap * v)))
    align = np.cos(np.radians(phase - STEP_PHASE_DEG))
    coherence = np.hypot(np.mean(ap * d), np.mean(ap * v)) / max(np.sqrt(np.mean(ap**2) * np.mean(v**2)), 1e-12)
    if abs(align) < MIN_PHASE_CLARITY:
        return None
    direction = _unit(_horizontal(axis * np.sign(align), up))
    weight = float(abs(align) * coherence * np.sqrt(len(hor) / MIN_WALK_S) * 2.0)
    return None if direction is None else Cue("walking", direction, weight)


def _filtered(sos: np.ndarray, segments: list[np.ndarray]) -> list[np.ndarray]:
    """Each (n, 3) segment through ``sosfiltfilt`` along time. Segments of one length go through in one
    call, stacked: SciPy filters every lane on its own (the same arithmetic, the same figures), and
    its per-call setup was most of this cue's time (300 calls per recording)."""
    from scipy.signal import sosfiltfilt

    out: list[np.ndarray] = [np.empty(0)] * len(segments)
    by_length: dict[int, list[int]] = {}
    for i, segment in enumerate(segments):
        by_length.setdefault(len(segment), []).append(i)
    for same in by_length.values():
        filtered = sosfiltfilt(sos, np.stack([segments[i] for i in same]), axis=1)
        for i, f in zip(same, filtered):
            out[i] = f
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def bend_cue(dirs: np.ndarray, up: np.ndarray) -> Cue | None:
    """Short excursions from upright (one-second mean directions ``dirs``): forward by anatomy."""
    tilt = np.degrees(np.arccos(np.clip(dirs @ up, -1, 1)))
    votes = []
    for a, b in _runs(tilt > UPRIGHT_DEG):
        if a == 0 or b == len(tilt) or b - a > BEND_MAX_S:
            continue  # not seen to start and end upright, or too long for a bend
        peak = a + int(np.argmax(tilt[a:b]))
        if BEND_TILT_DEG[0] <= tilt[peak] <= BEND_TILT_DEG[1]:
            vote = _unit(-_horizontal(dirs[peak], up))
            if vote is not None:
                votes.append(vote)
    return _mean_cue("bends", votes)


def sitting_cue(dirs: np.ndarray, still: np.ndarray, up: np.ndarray) -> Cue | None:
    """Long still tilts between upright periods (sitting, one-second windows): reclined backwards."""
    tilt = np.degrees(np.arccos(np.clip(dirs @ up, -1, 1)))
    votes = []
    for a, b in _runs(tilt > UPRIGHT_DEG):
        if a == 0 or b == len(tilt) or b - a <= BEND_MAX_S:
            continue  # not seen to start and end upright, or short enough to be a bend
        mid = np.arange(a + SIT_EDGE_S, b - SIT_EDGE_S)  # not the sitting down and standing up
        mid = mid[still[mid] & (tilt[mid] <= SIT_TILT_MAX_DEG)]
        if len(mid) >= MIN_SIT_S:
            vote = _unit(_horizontal(dirs[mid].mean(axis=0), up))
            if vote is not None:
                votes.append(vote)
    return _mean_cue("sitting", votes)


def _mean_cue(name: str, votes: list[np.ndarray]) -> Cue | None:
    """One cue from unit votes: their mean direction, weighted by how well they agree and how many."""
    if not votes:
        return None
    mean = np.mean(votes, axis=0)
    direction = _unit(mean)
    weight = float(np.linalg.norm(mean) ** 2 * np.sqrt(len(votes)))
    return None if direction is None else Cue(name, direction, weight)


def lying_cue(dirs: np.ndarray, still: np.ndarray, up: np.ndarray) -> Cue | None:
    """Still lying (one-second windows): supine or on a side far more often than prone."""
    tilt = np.degrees(np.arccos(np.clip(dirs @ up, -1, 1)))
    votes = []
    for a, b in _runs((tilt > LYING_DEG) & still):
        if b - a >= MIN_LYING_S:
            vote = _unit(_horizontal(dirs[a:b].mean(axis=0), up))
            if vote is not None:
                votes.append(vote * np.sqrt(b - a))
    if not votes:
        return None
    mean = np.sum(votes, axis=0)
    direction = _unit(mean)
    weight = float(min(1.0, np.linalg.norm(mean) / 30.0))  # a weak prior whatever its length
    return None if direction is None else Cue("lying", direction, weight)


def combine(cues: list[Cue]) -> Forward:
    """The weighted direction of the cues that count; known only when they agree (module docstring).

    Lying gives no direction of its own to the combination (a side is as likely as the back), only a
    veto: the combined forward must not point to where a prone wearer's would. Sitting only confirms:
    it counts when it agrees with the others' direction and is left out when it does not."""
    cues = [c for c in cues if c.weight >= MIN_WEIGHT[c.name]]
    if not cues:
        return Forward(None, False, [], "no walking, bends or lying to show it")
    directional = [c for c in cues if c.name not in ("lying", "sitting")] or cues
    total = _unit(np.sum([c.direction * c.weight for c in directional], axis=0))
    if total is None:
        return Forward(None, False, cues, "the movements point in opposite directions")
    if any(c.name not in ("lying", "sitting") for c in cues):
        cues = [c for c in cues if c.name != "sitting"
                or np.degrees(np.arccos(np.clip(c.direction @ total, -1, 1))) <= AGREE_DEG["sitting"]]
    off = {c.name: float(np.degrees(np.arccos(np.clip(c.direction @ total, -1, 1)))) for c in cues}
    heaviest = max(c.weight for c in cues)  # a cue far weaker than the strongest cannot veto it
    disagree = [c.name for c in cues if off[c.name] > AGREE_DEG[c.name] and c.weight >= VETO_SHARE * heaviest]
    if disagree:
        return Forward(total, False, cues, f"{' and '.join(c.name for c in cues)} disagree")
    strong = {"walking": STRONG_WALK, "bends": STRONG_BENDS, "lying": np.inf, "sitting": np.inf}
    if len(cues) >= 2 or cues[0].weight >= strong[cues[0].name]:
        return Forward(total, True, cues)
    only = {"walking": "a little walking shows", "bends": "only a few bends show", "lying": "only lying shows",
            "sitting": "only sitting shows"}
    return Forward(total, False, cues, f"{only[cues[0].name]} it, not enough to be sure")
