"""Validation of wear time: simulated days with the sensor on a desk, and real recordings that were all worn.

``validation/wear.py`` prints the table from these functions and ``tests/test_wear_validation.py``
asserts the targets on the same code (fewer seeds and recordings).

- Simulated: days of sitting and lying held still (breathing only), slouching and walking, with
  15-120 min periods on a desk (:func:`desk_day`), analysed as ``sensorkit analyze`` does; the share
  of the true non-wear time inside detected ``not_worn`` events, and the share of the true sitting
  and lying time (worn and still: the hard case) inside them.
- Real: every recording of a dataset through :class:`.nonwear.WearDetector`, the code the pipeline
  runs; the share of time called non-wear and the longest stretch read as still (a stretch must last
  ``min_not_worn_s`` to become non-wear, so this says how far from it a worn sensor stays).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from sensorkit.events import Event
from sensorkit.samples import SampleBlock

from .nonwear import WearDetector

HANDLING_S = 15.0  # taking the sensor off or putting it on, and what it may set off, is over by then
from .pipeline import analyze


def _overlap(a: Iterable[Event], b: Iterable[Event]) -> float:
    """Seconds where an event of ``a`` and one of ``b`` overlap (each list free of self-overlap)."""
    b = list(b)
    return sum(max(0.0, min(x.end, y.end) - max(x.start, y.start)) for x in a for y in b)


def desk_day(rng: np.random.Generator, periods: int = 3) -> list[Any]:
    """Activities of one simulated day: the sensor on a desk ``periods`` times for 15-120 min each,
    between worn blocks of sitting and lying held still (breathing only, :mod:`sensorkit.simulator.stillness`)
    for 10-40 min, slouching and walking."""
    from sensorkit.simulator import Activity as A

    still = {"still": True}
    acts = [A("stand", 20), A("walk", 60)]
    for k in range(periods):
        acts += [A("sit", rng.uniform(600, 1800), still), A("slouch", rng.uniform(60, 300)), A("stand", 10),
                 A("walk", rng.uniform(30, 120)), A("off", rng.uniform(15, 120) * 60), A("stand", 10),
                 A("walk", rng.uniform(30, 120))]
        if k % 2 == 0:
            acts += [A("lie", rng.uniform(600, 2400), still), A("stand", 10), A("walk", 30)]
    return acts + [A("stand", 20)]


@dataclass
class SimWear:
    """Pooled over simulated days: seconds of true non-wear, found, worn still and miscalled."""

    days: int = 0
    periods: int = 0
    not_worn_s: float = 0.0
    found_s: float = 0.0
    still_s: float = 0.0  # truth sitting and lying
    still_called_s: float = 0.0
    worn_s: float = 0.0
    worn_called_s: float = 0.0
    longest_worn_still_s: float = 0.0  # the longest stretch read as still while worn
    off_events: int = 0  # bends and alerts within HANDLING_S before the sensor rests (taking it off)
    on_events: int = 0  # ... and after it is picked up (putting it back on)

    @property
    def found(self) -> float:
        return self.found_s / self.not_worn_s if self.not_worn_s else float("nan")

    @property
    def still_called(self) -> float:
        return self.still_called_s / self.still_s if self.still_s else float("nan")

    @property
    def worn_called(self) -> float:
        return self.worn_called_s / self.worn_s if self.worn_s else float("nan")


def evaluate_simulated_wear(seeds: Iterable[int], periods: int = 3, **sim_kwargs: Any) -> SimWear:
    """Simulate :func:`desk_day` for each seed, analyse it and score the ``not_worn`` events."""
    from sensorkit.simulator import simulate_activities

    score = SimWear()
    for seed in seeds:
        sim = simulate_activities(desk_day(np.random.default_rng(seed), periods), seed=seed, **sim_kwargs)
        result = analyze(sim.block, sim.meta, gait=False)
        found = [e for e in result.events if e.type == "not_worn"]
        truth = sim.truth.of_type("not_worn")
        still = [e for e in sim.truth.of_type("posture") if e.fields["posture"] in ("sitting", "lying")]
        worn = sim.truth.of_type("posture")
        score.days += 1
        score.periods += len(truth)
        score.not_worn_s += sum(e.duration for e in truth)
        score.found_s += _overlap(truth, found)
        score.still_s += sum(e.duration for e in still)
        score.still_called_s += _overlap(still, found)
        score.worn_s += sum(e.duration for e in worn)
        score.worn_called_s += _overlap(worn, found)
        for stretch in stillness(sim.block)[1]:
            score.longest_worn_still_s = max(score.longest_worn_still_s, _overlap([stretch], worn))
        marks = [e.start for e in result.events if e.type in ("bend", "alert")]
        score.off_events += sum(any(e.start - HANDLING_S <= m <= e.start for e in truth) for m in marks)
        score.on_events += sum(any(e.end <= m <= e.end + HANDLING_S for e in truth) for m in marks)
    return score


@dataclass
class RealWear:
    """One dataset: recordings, seconds, seconds called non-wear, the longest still stretch."""

    name: str
    recordings: int = 0
    seconds: float = 0.0
    not_worn_s: float = 0.0
    longest_still_s: float = 0.0
    rates_hz: list[float] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.not_worn_s / self.seconds if self.seconds else float("nan")


def stillness(block: SampleBlock) -> tuple[list[Event], list[Event]]:
    """(non-wear periods, every stretch read as still) of one recording, as events."""
    det = WearDetector(use_gyro=block.has_gyro)
    changes = det.update(block) + det.finish()
    still, since = [], None
    for c in changes:
        if c.kind == "still":
            since = c.at
        elif c.kind in ("moving", "worn") and since is not None:
            still.append(Event("still", since, c.at))
            since = None
    if since is not None:
        still.append(Event("still", since, float(block.t[-1])))
    return [Event("not_worn", a, b) for a, b in det.periods()], still


def wear_of(block: SampleBlock) -> tuple[float, float]:
    """(seconds called non-wear, longest still stretch in seconds) of one recording."""
    not_worn, still = stillness(block)
    return sum(e.duration for e in not_worn), max((e.duration for e in still), default=0.0)


def score_real(name: str, blocks: Iterable[SampleBlock]) -> RealWear:
    score = RealWear(name)
    for block in blocks:
        if len(block) < 2:
            continue
        nw, longest = wear_of(block)
        span = float(block.t[-1] - block.t[0])
        score.recordings += 1
        score.seconds += span
        score.not_worn_s += nw
        score.longest_still_s = max(score.longest_still_s, longest)
        score.rates_hz.append(len(block) / span)
    return score


def real_recordings(data: Path, step: int = 1) -> Iterator[tuple[str, Iterator[SampleBlock]]]:
    """(dataset name, its recordings' samples) for every worn dataset in ``data``; every ``step``-th."""
    from sensorkit.datasets import mobgap_lab, sisfall, uci_hapt, umafall, voisard

    hapt, sis, uma = data / "uci_hapt", data / "sisfall_waist", data / "umafall_bending"
    vois, mob = data / "voisard_gait_L5", data / "mobgap_lab_example"
    yield "UCI HAPT (waist phone, 50 Hz)", (uci_hapt.load_experiment(hapt, e).block
                                           for e in uci_hapt.list_experiments(hapt)[::step])
    yield "SisFall (waist, 200 Hz)", (sisfall.load_trial(t)[0] for t in sisfall.list_trials(sis)[::step])
    yield "UMAFall (waist SensorTag, ~20 Hz)", (umafall.load_trial(t)[0] for t in umafall.list_trials(uma)[::step])
    yield "Voisard (L5 Xsens, 100 Hz)", (voisard.load_trial(vois, n).block for n in voisard.list_trials(vois)[::step])
    yield "mobgap example (lower back, 100 Hz)", (mobgap_lab.load_trial(mob, t).block
                                                  for t in mobgap_lab.list_trials(mob)[::step])


def evaluate_real_wear(data: Path, step: int = 1) -> list[RealWear]:
    return [score_real(name, blocks) for name, blocks in real_recordings(data, step)]
