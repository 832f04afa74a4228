"""No crash on any day, and no episode across a long gap (issue 9 point 5, issue 15 point 8).

Two causes made ``analyze`` end in ``ValueError: attempt to get argmax of an empty sequence``:

- the feature history was pruned from the newest sample of the chunk just fed, so a bend decided
  early in a chunk that followed a full-length one (offline slices are 600 s, the history 600 s)
  was measured on an empty or truncated window (the simulated warehouse day, seed 201);
- after a gap of an hour the history held nothing from before the gap, yet a bend closed just
  before it was measured after it, and a bend open at the gap was carried across it.

A long gap now ends every episode at the last sample before it; nothing after it is measured
with samples from before it.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from sensorkit.samples import SampleBlock
from sensorkit.signal.alignment import alignment_for
from sensorkit.signal.pipeline import Pipeline, analyze
from sensorkit.signal.posture import HISTORY_S, LONG_GAP_S
from sensorkit.simulator import simulate

RATE = 25.0
GAP_S = 3600.0


def events_of(block: SampleBlock, alignment, chunk_s: float) -> list[dict]:
    pipe = Pipeline(RATE, alignment, gait=False)
    edges = np.arange(block.t[0], block.t[-1] + chunk_s, chunk_s)
    idx = np.searchsorted(block.t, edges)
    events = []
    for a, b in zip(idx[:-1], idx[1:]):
        events += pipe.update(block.slice(int(a), int(b)))
    events += pipe.finish()
    return sorted((e.to_json() for e in events), key=lambda d: (d["start"], d["type"], d["end"]))


DAYS: dict[str, tuple] = {}


def day(scenario: str):
    """An hour of ``scenario`` at 25 Hz with its alignment (made once per test session)."""
    if scenario not in DAYS:
        sim = simulate(scenario, seed=1, duration_s=3600, rate_hz=RATE)
        DAYS[scenario] = sim, alignment_for(sim.block, sim.meta)
    return DAYS[scenario]


@functools.cache
def plain_bends(scenario: str) -> list[dict]:
    sim, alignment = day(scenario)
    return [e for e in events_of(sim.block, alignment, 7.0) if e["type"] == "bend"]


@pytest.fixture
def warehouse():
    return day("warehouse")


@pytest.mark.parametrize("chunk_s", [601.0, 650.0, 900.0])
def test_chunks_longer_than_the_history_give_the_events_of_one_second_chunks(warehouse, chunk_s):
    """Before: 601 s and 650 s chunks crashed (empty bend window); 900 s measured a bend on a cut
    window (peak 20.5 deg instead of 23.0, style stoop instead of squat)."""
    sim, alignment = warehouse
    assert events_of(sim.block, alignment, chunk_s) == events_of(sim.block, alignment, 1.0)


def test_the_warehouse_day_seed_201_analyses_with_every_bend():
    """The reported day: `sensorkit simulate --scenario warehouse --seed 201` then `analyze` crashed."""
    sim = simulate("warehouse", seed=201)
    result = analyze(sim.block, sim.meta, gait=False)
    bends = [e for e in result.events if e.type == "bend"]
    assert len(bends) == len(sim.truth.of_type("bend")) == 620


def with_gap(block: SampleBlock, at: float, gap_s: float = GAP_S) -> SampleBlock:
    """``block`` with nothing recorded for ``gap_s`` from ``at`` (later samples shifted, none dropped)."""
    t = block.t + np.where(block.t >= at, gap_s, 0.0)
    return SampleBlock(t, block.acc, block.gyr)


def gap_at(sim, case: str) -> float:
    """Where to cut: inside bends (early, at the peak, late), just after one ends (while it waits to be
    final), in a walk, in a slouch while sitting."""
    bends = sim.truth.of_type("bend")
    if case.startswith("bend") or case == "just after a bend":
        b1, b2, b3 = bends[min(3, len(bends) - 1)], bends[len(bends) // 2], bends[-1]
        return {"bend early": b1.start + 0.3, "bend peak": (b2.start + b2.end) / 2, "bend late": b3.end - 0.3,
                "just after a bend": b1.end + 1.0}[case]
    kind = {"mid walk": "walking_bout", "mid slouch": "slouch"}[case]
    episode = max(sim.truth.of_type(kind), key=lambda e: e.end - e.start)
    return (episode.start + episode.end) / 2


@pytest.mark.parametrize("scenario,case", [
    ("warehouse", "bend early"), ("warehouse", "bend peak"), ("warehouse", "bend late"),
    ("warehouse", "just after a bend"), ("warehouse", "mid walk"), ("office", "mid slouch"),
    ("office", "bend peak"), ("demo", "bend late"), ("demo", "mid walk"),
])
def test_an_hour_long_gap_anywhere_ends_every_episode_at_its_edge(scenario, case):
    sim, alignment = day(scenario)
    at = gap_at(sim, case)
    block = with_gap(sim.block, at)
    before = float(block.t[block.t < at][-1])
    after = before + GAP_S  # the first sample after the gap is about one period later still
    for chunk_s in (7.0, 600.0):
        events = events_of(block, alignment, chunk_s)
        spanning = [e for e in events if e["start"] <= before and e["end"] > after]
        assert spanning == []
        # the gap's hour is in no posture period, and the periods still cover the rest of the day
        posture_s = sum(e["end"] - e["start"] for e in events if e["type"] == "posture")
        recorded = float(block.t[-1] - block.t[0]) - GAP_S
        assert recorded - 1.0 <= posture_s <= recorded
    # bends away from the gap are the ones found without it, at the same times
    plain = plain_bends(scenario)
    far = lambda e, shift: e["end"] < at - 30 or e["start"] > at + 30 + shift
    kept = [e for e in events if e["type"] == "bend" and far(e, GAP_S)]
    expected = [e for e in plain if far(e, 0.0)]
    assert [round(e["start"] - (GAP_S if e["start"] > at else 0.0), 2) for e in kept] == \
        [round(e["start"], 2) for e in expected]


def test_a_bend_cut_by_a_gap_is_measured_only_on_its_own_samples(warehouse):
    """A bend open at the gap ends at the last sample before it: its time in the bands is what was
    recorded, not the hour that was not (before: the gap counted as an hour above 20 deg, high)."""
    sim, alignment = warehouse
    bend = sim.truth.of_type("bend")[10]
    at = (bend.start + bend.end) / 2
    events = events_of(with_gap(sim.block, at), alignment, 7.0)
    (cut,) = [e for e in events if e["type"] == "bend" and e["start"] < at < e["end"] + LONG_GAP_S]
    seconds = cut["seconds_0_20"] + cut["seconds_20_60"] + cut["seconds_over_60"]
    assert seconds <= cut["end"] - cut["start"] + 1e-6 < bend.end - bend.start


def test_a_slouch_longer_than_the_history_is_measured_whole_whatever_the_chunking():
    """Slouches were measured from the 600 s feature history: a 23-minute one got its peak and mean
    from whatever the chunking had left of it (peak 18.3 deg in 7 s chunks, 24.0 offline)."""
    sim = simulate("office", seed=2, rate_hz=RATE)
    block = sim.block.between(0.0, 2400.0)
    alignment = alignment_for(block, sim.meta)
    slouches = {c: [e for e in events_of(block, alignment, c) if e["type"] == "slouch"] for c in (7.0, 650.0)}
    longest = max(slouches[7.0], key=lambda e: e["end"] - e["start"])
    assert longest["end"] - longest["start"] > HISTORY_S
    assert slouches[7.0] == slouches[650.0]
