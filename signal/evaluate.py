"""Validation runs: the signal core against simulated ground truth and the public labelled datasets.

Each function runs the same offline analysis a user gets from ``sensorkit analyze`` and scores it
with :mod:`.scoring`. ``validation/posture.py`` prints the table from these; the tests in
``tests/test_posture_*.py`` assert the targets on the same numbers, so the README figures, the
validation report and the tests cannot drift apart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from sensorkit.events import Event
from sensorkit.samples import SampleBlock

from .decimate import POSTURE_RATE_HZ, BinMeans
from .orientation import trunk_angles
from .pipeline import analyze
from .scoring import Confusion, MatchResult, confusion, labels_from_events, match_events, outside, rms

POSTURES = ["sitting", "standing", "lying"]


def _mask(t: np.ndarray, events: Iterable[Event], pad: float = 0.0) -> np.ndarray:
    m = np.zeros(len(t), dtype=bool)
    for e in events:
        i0, i1 = np.searchsorted(t, [e.start - pad, e.end + pad])
        m[i0:i1] = True
    return m


@dataclass
class SimScore:
    """Pooled over seeds: events matched, angle errors by situation, per-sample posture confusion."""

    bends: MatchResult = field(default_factory=MatchResult)
    slouches: MatchResult = field(default_factory=MatchResult)
    transitions: MatchResult = field(default_factory=MatchResult)
    posture: Confusion | None = None
    static_err: list[np.ndarray] = field(default_factory=list)
    dynamic_err: list[np.ndarray] = field(default_factory=list)

    @property
    def peak_errors(self) -> np.ndarray:
        return np.array([d.fields["peak_flexion_deg"] - r.fields["peak_flexion_deg"] for r, d in self.bends.pairs])

    @property
    def style_accuracy(self) -> float:
        ok = [d.fields.get("style") == r.fields.get("style") for r, d in self.bends.pairs]
        return float(np.mean(ok)) if ok else float("nan")

    @property
    def static_rms(self) -> float:
        return rms(np.concatenate(self.static_err)) if self.static_err else float("nan")

    @property
    def dynamic_rms(self) -> float:
        return rms(np.concatenate(self.dynamic_err)) if self.dynamic_err else float("nan")


def evaluate_simulation(scenario: str, seeds: Iterable[int], **sim_kwargs: Any) -> SimScore:
    """Simulate ``scenario`` for each seed (misaligned sensors by default), analyze and score."""
    from sensorkit.simulator import simulate

    score = SimScore()
    for seed in seeds:
        sim = simulate(scenario, seed=seed, **sim_kwargs)
        result = analyze(sim.block, sim.meta, gait=False)
        truth = sim.truth
        det = defaultdict(list)
        for e in result.events:
            det[e.type].append(e)
        for kind in ("bend", "slouch", "transition"):  # the calibration routine's bend is not scored
            det[kind] = outside(det[kind], truth.of_type("calibration"))
        score.bends += match_events(truth.of_type("bend"), det["bend"])
        score.slouches += match_events(truth.of_type("slouch"), det["slouch"])
        score.transitions += match_events(truth.of_type("transition"), det["transition"])
        ref = labels_from_events(truth.t, truth.of_type("posture"))
        got = labels_from_events(truth.t, det["posture"])
        c = confusion(ref, got, POSTURES)
        score.posture = c if score.posture is None else score.posture + c
        _angle_errors(score, sim, result.alignment)
    return score


def _angle_errors(score: SimScore, sim: Any, alignment: Any) -> None:
    """Flexion error of the pipeline's own angle path (bin means at the posture rate, then the filter)."""
    binner = BinMeans(POSTURE_RATE_HZ)
    binned = SampleBlock.concat([binner.update(sim.block), binner.flush()])
    block = SampleBlock(binned.t, binned.acc - alignment.acc_bias, binned.gyr)
    ang = trunk_angles(block, alignment.rotation, min(sim.meta.rate_hz, POSTURE_RATE_HZ))
    truth = sim.truth
    t = block.t
    err = ang.flexion_deg - np.interp(t, truth.t, truth.flexion_deg)
    moving = truth.of_type("bend") + truth.of_type("walking_bout") + truth.of_type("calibration")
    lying = [e for e in truth.of_type("posture") if e.fields.get("posture") == "lying"]
    upright = ~_mask(t, lying + truth.of_type("transition"), pad=2.0)
    dynamic = _mask(t, moving) & upright
    static = upright & ~_mask(t, moving + truth.of_type("slouch"), pad=2.0)
    score.static_err.append(err[static])
    score.dynamic_err.append(err[dynamic])


# -- UCI HAPT: sit / stand / lie per sample, transitions -------------------------------------------


@dataclass
class HaptScore:
    posture: Confusion
    transitions: MatchResult
    experiments: int


def evaluate_hapt(root: Path, step: int = 1) -> HaptScore:
    """Every ``step``-th experiment: per-sample posture (walking counts as standing) and transitions."""
    from sensorkit.datasets import uci_hapt as hapt

    total: Confusion | None = None
    trans = MatchResult()
    exps = hapt.list_experiments(root)[::step]
    for exp in exps:
        rec = hapt.load_experiment(root, exp)
        result = analyze(rec.block, rec.meta, gait=False)
        ref = np.array([hapt.POSTURE_OF_ACTIVITY.get(int(a), "") for a in rec.labels], dtype=object)
        ref[np.isin(rec.labels, hapt.WALKING_ACTIVITIES)] = "standing"
        got = labels_from_events(rec.block.t, [e for e in result.events if e.type == "posture"])
        c = confusion(ref, got, POSTURES)
        total = c if total is None else total + c
        seg = rec.segments[rec.segments.activity_id.isin(hapt.TRANSITION_ACTIVITIES)]
        ref_tr = [Event("transition", s, e, {"kind": a}) for a, s, e in seg[["activity", "start_s", "end_s"]].itertuples(index=False)]
        trans += match_events(ref_tr, [e for e in result.events if e.type == "transition"], min_overlap=0.1)
    return HaptScore(total, trans, len(exps))


# -- SisFall: stoop (D16) vs squat (D15), lying (D12) ---------------------------------------------


@dataclass
class SisfallScore:
    trials: dict[str, int]
    with_bend: dict[str, int]
    peaks: dict[str, dict[tuple[str, int], float]]
    lying_s: dict[str, list[float]]

    def stoop_over_squat(self) -> tuple[float, int, float, int]:
        """(share of subjects whose mean stoop peak exceeds their mean squat peak, subjects,
        share of same-subject same-trial-number pairs with stoop > squat, pairs); no bend = 0 deg."""
        st, sq = self.peaks["D16"], self.peaks["D15"]
        pairs = [(st[k], sq[k]) for k in st if k in sq]
        trial_share = float(np.mean([a > b for a, b in pairs])) if pairs else float("nan")
        by_subject: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
        for (subj, _), v in st.items():
            by_subject[subj][0].append(v)
        for (subj, _), v in sq.items():
            by_subject[subj][1].append(v)
        subj = [np.mean(a) > np.mean(b) for a, b in by_subject.values() if a and b]
        return float(np.mean(subj)), len(subj), trial_share, len(pairs)


def evaluate_sisfall(root: Path, codes: tuple[str, ...] = ("D16", "D15", "D12")) -> SisfallScore:
    from sensorkit.datasets import sisfall

    score = SisfallScore({}, {}, {}, {})
    for code in codes:
        score.trials[code], score.with_bend[code] = 0, 0
        score.peaks[code], score.lying_s[code] = {}, []
        for trial in sisfall.list_trials(root, (code,)):
            block, meta = sisfall.load_trial(trial)
            result = analyze(block, meta, gait=False)
            bends = [e for e in result.events if e.type == "bend"]
            score.trials[code] += 1
            score.with_bend[code] += bool(bends)
            score.peaks[code][(trial.subject, trial.trial)] = max(
                (e.fields["peak_flexion_deg"] for e in bends), default=0.0)
            score.lying_s[code].append(sum(e.duration for e in result.events
                                           if e.type == "posture" and e.fields["posture"] == "lying"))
    return score


@dataclass
class UmafallScore:
    trials: int
    with_bend: int
    peaks: list[float]
    rates_hz: list[float]


def evaluate_umafall(root: Path) -> UmafallScore:
    from sensorkit.datasets import umafall

    score = UmafallScore(0, 0, [], [])
    for trial in umafall.list_trials(root):
        block, meta = umafall.load_trial(trial)
        result = analyze(block, meta, gait=False)
        bends = [e for e in result.events if e.type == "bend"]
        score.trials += 1
        score.with_bend += bool(bends)
        score.peaks.append(max((e.fields["peak_flexion_deg"] for e in bends), default=0.0))
        score.rates_hz.append(len(block) / max(float(block.t[-1] - block.t[0]), 1e-9))
    return score
