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
from typing import Any, Callable, Iterable

import numpy as np

from sensorkit.events import Event
from sensorkit.importer import estimate_rate
from sensorkit.samples import RecordingMeta, SampleBlock

from .decimate import POSTURE_RATE_HZ, BinMeans
from .orientation import trunk_angles
from .pipeline import analyze
from .scoring import Confusion, MatchResult, confusion, labels_from_events, match_events, outside, rms

POSTURES = ["sitting", "standing", "lying"]
CONFIDENTLY_WRONG_DEG = 45.0  # a forward axis this far off while ``forward_known`` is a wrong sign


def as_imported(block: SampleBlock, meta: RecordingMeta) -> RecordingMeta:
    """What `sensorkit analyze FILE.csv` knows of a recording: its samples' own rate and nothing
    about how the sensor was worn (no mounting, no calibration, an imported device kind)."""
    return meta.with_changes(device_kind="import", rate_hz=estimate_rate(block.t), extra={}, calibration=None)


def tuning_half(subject: int) -> bool:
    """The subjects alignment and bending were tuned on (odd numbers); the even ones are held out."""
    return subject % 2 == 1


@dataclass
class ForwardCheck:
    """One recording's forward axis against the truth: was it claimed known, and how far off was it."""

    name: str
    known: bool
    error_deg: float

    @property
    def confidently_wrong(self) -> bool:
        return self.known and self.error_deg > CONFIDENTLY_WRONG_DEG


def forward_check(name: str, alignment: Any, true_forward: np.ndarray) -> ForwardCheck:
    """Angle between the alignment's forward and ``true_forward`` (sensor frame), both taken in the
    alignment's horizontal plane (the vertical is judged elsewhere: lying, posture)."""
    up = alignment.rotation[2]
    f = np.asarray(true_forward, dtype=np.float64)
    f = f - (f @ up) * up
    cos = float(alignment.rotation[0] @ f / max(np.linalg.norm(f), 1e-9))
    return ForwardCheck(name, bool(alignment.forward_known), float(np.degrees(np.arccos(np.clip(cos, -1, 1)))))


def _prepared(block: SampleBlock, meta: RecordingMeta, mounting: bool) -> RecordingMeta:
    return meta if mounting else as_imported(block, meta)


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
    forward: list[ForwardCheck] = field(default_factory=list)

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


def random_rotation(seed: int, max_deg: float) -> np.ndarray:
    """A rotation about a random axis by an angle uniform in [0, max_deg] (reproducible from ``seed``)."""
    from sensorkit.simulator.sensor import rotation_about

    rng = np.random.default_rng([int(seed), 9])
    return rotation_about(rng.standard_normal(3), float(np.radians(rng.uniform(0.0, max_deg))))


def worn_rotated(sim: Any, rotation: np.ndarray) -> Any:
    """The simulation as a sensor turned by ``rotation`` would record it, imported with no mounting:
    what a user replaying someone's file through `analyze FILE.csv` gives the core."""
    from sensorkit.simulator.simulation import Simulation

    b = sim.block
    block = SampleBlock(b.t, b.acc @ rotation.T, None if b.gyr is None else b.gyr @ rotation.T)
    return Simulation(block, as_imported(block, sim.meta), sim.truth)


def simulated_forward(seed: int, misalignment_deg: float = 20.0) -> np.ndarray:
    """The true forward axis (sensor frame) of a simulated recording: its mount, redrawn from the seed."""
    from sensorkit.simulator.sensor import Mount

    rng_mount = np.random.default_rng(np.random.SeedSequence(int(seed)).spawn(6)[3])
    return Mount.draw(rng_mount, misalignment_deg).body_from_sensor[0]


def at_rate(sim: Any, rate_hz: float) -> Any:
    """The simulation as a slower sensor would give it: means over bins of ``1/rate_hz`` s (a device's
    own low-pass and decimation), the same truth."""
    from sensorkit.simulator.simulation import Simulation

    binner = BinMeans(rate_hz)
    block = SampleBlock.concat([binner.update(sim.block), binner.flush()])
    return Simulation(block, sim.meta.with_changes(rate_hz=float(rate_hz)), sim.truth)


def evaluate_simulation(scenario: str, seeds: Iterable[int], rotation_deg: float | None = None,
                        sensor_rate_hz: float | None = None, **sim_kwargs: Any) -> SimScore:
    """Simulate ``scenario`` for each seed (misaligned sensors by default), analyze and score.

    ``rotation_deg``: also turn the sensor by a random rotation of up to this many degrees and give
    the analysis no mounting (see :func:`worn_rotated`). ``sensor_rate_hz``: analyse the samples
    brought down to this rate (see :func:`at_rate`), as from a slower sensor."""
    from sensorkit.simulator import simulate

    score = SimScore()
    for seed in seeds:
        sim = simulate(scenario, seed=seed, **sim_kwargs)
        forward = simulated_forward(seed, sim_kwargs.get("misalignment_deg", 20.0))
        if rotation_deg is not None:
            turn = random_rotation(seed, rotation_deg)
            sim, forward = worn_rotated(sim, turn), turn @ forward
        if sensor_rate_hz is not None:
            sim = at_rate(sim, sensor_rate_hz)
        result = analyze(sim.block, sim.meta, gait=False)
        score.forward.append(forward_check(f"{scenario} seed {seed}", result.alignment, forward))
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
    forward: list[ForwardCheck] = field(default_factory=list)

    @property
    def sit_stand(self) -> float:
        """Sit / stand balanced accuracy (walking counts as standing)."""
        rec = self.posture.per_class_recall
        return (rec["sitting"] + rec["standing"]) / 2


def hapt_forward(rec: Any) -> np.ndarray | None:
    """The forward axis of a UCI HAPT recording from its labels: while labelled lying (taken to be
    supine) the measured acceleration points to the front. Not the loader's nominal +y: the phone's
    yaw on the belt varies by subject, by up to 120 deg here."""
    acc = rec.block.acc
    if not (np.any(rec.labels == 6) and np.any(rec.labels == 5)):
        return None  # no labelled lying or standing: no reference
    lying = acc[rec.labels == 6].mean(axis=0)
    up = acc[rec.labels == 5].mean(axis=0)
    up = up / np.linalg.norm(up)
    return lying - (lying @ up) * up


def evaluate_hapt(root: Path, step: int = 1, mounting: bool = True,
                  users: Callable[[int], bool] | None = None) -> HaptScore:
    """Every ``step``-th experiment (of the ``users`` chosen): per-sample posture (walking counts as
    standing) and transitions. ``mounting=False``: as `analyze FILE.csv` would see the recording."""
    from sensorkit.datasets import uci_hapt as hapt

    total: Confusion | None = None
    trans = MatchResult()
    checks = []
    exps = [e for e in hapt.list_experiments(root) if users is None or users(e.user)][::step]
    for exp in exps:
        rec = hapt.load_experiment(root, exp)
        result = analyze(rec.block, _prepared(rec.block, rec.meta, mounting), gait=False)
        truth = hapt_forward(rec)
        if truth is not None:
            checks.append(forward_check(f"HAPT exp {exp.exp}", result.alignment, truth))
        ref = np.array([hapt.POSTURE_OF_ACTIVITY.get(int(a), "") for a in rec.labels], dtype=object)
        ref[np.isin(rec.labels, hapt.WALKING_ACTIVITIES)] = "standing"
        got = labels_from_events(rec.block.t, [e for e in result.events if e.type == "posture"])
        c = confusion(ref, got, POSTURES)
        total = c if total is None else total + c
        seg = rec.segments[rec.segments.activity_id.isin(hapt.TRANSITION_ACTIVITIES)]
        ref_tr = [Event("transition", s, e, {"kind": a}) for a, s, e in seg[["activity", "start_s", "end_s"]].itertuples(index=False)]
        trans += match_events(ref_tr, [e for e in result.events if e.type == "transition"], min_overlap=0.1)
    return HaptScore(total, trans, len(exps), checks)


# -- SisFall: stoop (D16) vs squat (D15), lying (D12) ---------------------------------------------


@dataclass
class SisfallScore:
    trials: dict[str, int]
    with_bend: dict[str, int]
    peaks: dict[str, dict[tuple[str, int], float]]
    lying_s: dict[str, list[float]]
    bends: dict[str, list[Event]] = field(default_factory=dict)  # the deepest bend of each trial
    onset_error_s: dict[str, list[float]] = field(default_factory=dict)
    forward: list[ForwardCheck] = field(default_factory=list)

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
        return float(np.mean(subj)) if subj else float("nan"), len(subj), trial_share, len(pairs)

    def style_share(self, code: str, style: str) -> float:
        """Share of the trials' bends (``code``) classified as ``style``."""
        found = self.bends.get(code, [])
        return float(np.mean([b.fields["style"] == style for b in found])) if found else float("nan")

    def severities(self, code: str) -> dict[str, int]:
        out = {"low": 0, "moderate": 0, "high": 0}
        for b in self.bends.get(code, []):
            out[b.fields["severity"]] += 1
        return out


def evaluate_sisfall(root: Path, codes: tuple[str, ...] = ("D16", "D15", "D12"), mounting: bool = True,
                     subjects: Callable[[int], bool] | None = None) -> SisfallScore:
    """Every trial of ``codes`` (of the ``subjects`` chosen, by number: SA01 and SE01 are both 1).
    ``mounting=False``: as `analyze FILE.csv` would see the recording."""
    from sensorkit.datasets import sisfall

    score = SisfallScore({}, {}, {}, {})
    for code in codes:
        score.trials[code], score.with_bend[code] = 0, 0
        score.peaks[code], score.lying_s[code], score.bends[code], score.onset_error_s[code] = {}, [], [], []
        for trial in sisfall.list_trials(root, (code,)):
            if subjects is not None and not subjects(int(trial.subject[2:])):
                continue
            block, meta = sisfall.load_trial(trial)
            result = analyze(block, _prepared(block, meta, mounting), gait=False)
            score.forward.append(forward_check(f"SisFall {trial.path.name}", result.alignment,
                                               np.array(sisfall.MOUNTING["forward"])))
            bends = [e for e in result.events if e.type == "bend"]
            score.trials[code] += 1
            score.with_bend[code] += bool(bends)
            score.peaks[code][(trial.subject, trial.trial)] = max(
                (e.fields["peak_flexion_deg"] for e in bends), default=0.0)
            if bends:
                deepest = max(bends, key=lambda e: e.fields["peak_flexion_deg"])
                score.bends[code].append(deepest)
                score.onset_error_s[code].append(deepest.start - tilt_onset(block, meta.rate_hz))
            score.lying_s[code].append(sum(e.duration for e in result.events
                                           if e.type == "posture" and e.fields["posture"] == "lying"))
    return score


ONSET_TILT_DEG = 5.0  # the reference bend onset: the trunk leaves the first second's direction by this


def tilt_onset(block: SampleBlock, rate_hz: float) -> float:
    """Reference start of the one bend of a trial, from the raw samples alone (no alignment, no
    pipeline): the first time the 0.5 s mean acceleration direction leaves the first second's
    direction by ONSET_TILT_DEG, walked back to where it was last within half of that."""
    w = max(1, int(round(rate_hz * 0.5)))
    kernel = np.ones(w) / w
    smooth = np.column_stack([np.convolve(block.acc[:, i], kernel, mode="same") for i in range(3)])
    dirs = smooth / np.linalg.norm(smooth, axis=1, keepdims=True)
    first = block.acc[: max(1, int(rate_hz))].mean(axis=0)
    tilt = np.degrees(np.arccos(np.clip(dirs @ (first / np.linalg.norm(first)), -1, 1)))
    tilt[: w // 2] = 0.0
    tilt[len(tilt) - w // 2:] = 0.0
    over = np.flatnonzero(tilt > ONSET_TILT_DEG)
    if len(over) == 0:
        return float(block.t[0])
    calm = np.flatnonzero(tilt[: over[0]] < ONSET_TILT_DEG / 2)
    return float(block.t[calm[-1] if len(calm) else over[0]])


@dataclass
class UmafallScore:
    trials: int
    with_bend: int
    peaks: list[float]
    rates_hz: list[float]
    bends: list[Event] = field(default_factory=list)
    onset_error_s: list[float] = field(default_factory=list)
    forward: list[ForwardCheck] = field(default_factory=list)


def bend_forward(block: SampleBlock, rate_hz: float) -> np.ndarray:
    """The forward axis of a trial known to hold one forward bend (UMAFall "Bending"), from its label:
    at the deepest tilt from the first second's vertical, gravity has moved towards the back."""
    w = max(1, int(round(rate_hz)))
    k = len(block) // w
    means = block.acc[: k * w].reshape(k, w, 3).mean(axis=1)
    dirs = means / np.linalg.norm(means, axis=1, keepdims=True)
    up = dirs[0]
    deep = dirs[int(np.argmin(dirs @ up))]
    return -(deep - (deep @ up) * up)


def evaluate_umafall(root: Path, mounting: bool = True, subjects: Callable[[int], bool] | None = None) -> UmafallScore:
    """Every bending trial (of the ``subjects`` chosen). The loader declares no mounting, so
    ``mounting=False`` differs only in the rate: from the times, as an imported file's."""
    from sensorkit.datasets import umafall

    score = UmafallScore(0, 0, [], [])
    for trial in umafall.list_trials(root):
        if subjects is not None and not subjects(trial.subject):
            continue
        block, meta = umafall.load_trial(trial)
        result = analyze(block, _prepared(block, meta, mounting), gait=False)
        score.forward.append(forward_check(f"UMAFall {trial.path.name}", result.alignment,
                                           bend_forward(block, meta.rate_hz)))
        bends = [e for e in result.events if e.type == "bend"]
        score.trials += 1
        score.with_bend += bool(bends)
        score.peaks.append(max((e.fields["peak_flexion_deg"] for e in bends), default=0.0))
        score.rates_hz.append(len(block) / max(float(block.t[-1] - block.t[0]), 1e-9))
        if bends:
            deepest = max(bends, key=lambda e: e.fields["peak_flexion_deg"])
            score.bends.append(deepest)
            score.onset_error_s.append(deepest.start - tilt_onset(block, meta.rate_hz))
    return score
