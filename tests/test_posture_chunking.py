"""Streaming = batch: feeding a recording in chunks of any size gives exactly the events of one block.

Property test (hypothesis draws the chunk boundaries) on a simulated recording that has every kind
of event (bends, slouches, transitions, lying sides, walking, alerts, sedentary bouts).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensorkit.signal.alignment import alignment_for
from sensorkit.signal.pipeline import Pipeline
from sensorkit.simulator import simulate


@pytest.fixture(scope="module")
def recording():
    sim = simulate("demo", seed=5, duration_s=420)
    return sim.block, alignment_for(sim.block, sim.meta)


@pytest.fixture(scope="module")
def lossy_recording():
    sim = simulate("demo", seed=6, duration_s=300, loss=0.05)  # bursty packet loss: gaps everywhere
    return sim.block, alignment_for(sim.block, sim.meta)


def run(block, alignment, cuts, gait=False):
    pipe = Pipeline(100.0, alignment, gait=gait)
    events = []
    bounds = [0, *sorted(set(cuts)), len(block)]
    for a, b in zip(bounds[:-1], bounds[1:]):
        events += pipe.update(block.slice(a, b))
    events += pipe.finish()
    return sorted((e.to_json() for e in events), key=lambda d: (d["start"], d["type"], d["end"]))


@pytest.fixture(scope="module")
def whole(recording):
    return run(*recording, [])


def test_the_recording_exercises_every_detector(whole):
    types = {e["type"] for e in whole}
    assert {"posture", "bend", "slouch", "transition", "sedentary_bout", "alert"} <= types


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=41999), max_size=400))
def test_random_chunkings_give_identical_events(recording, whole, cuts):
    assert run(*recording, cuts) == whole


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=28000), max_size=200))
def test_random_chunkings_with_gaps_give_identical_events(lossy_recording, cuts):
    block, alignment = lossy_recording
    cuts = [c for c in cuts if c < len(block)]
    assert run(block, alignment, cuts) == run(block, alignment, [])


@pytest.mark.parametrize("size", [13, 100, 4096])
def test_fixed_chunk_sizes_with_gait_detector(recording, size):
    block, alignment = recording
    cuts = list(range(size, len(block), size))
    assert run(block, alignment, cuts, gait=True) == run(block, alignment, [], gait=True)


def test_live_state_follows_the_data(recording):
    block, alignment = recording
    pipe = Pipeline(100.0, alignment)
    activities = set()
    for start in range(0, len(block), 100):
        pipe.update(block.slice(start, start + 100))
        activities.add(pipe.state.activity)
    assert {"standing", "walking", "bending", "upright_sitting", "lying"} <= activities
    assert pipe.state.flexion_deg is not None


def test_alerts_arrive_within_a_second_of_the_rule_being_met(recording):
    block, alignment = recording
    from sensorkit.signal.profile import Profile

    # the rule's timing, not the policy's (a 2-min slouch delay, a budget): those are test_alert_policy's
    rules_only = Profile().with_values(slouch_alert_delay_s=15.0, alert_budget_per_hour=60.0, alert_min_gap_s=0.0)
    pipe = Pipeline(100.0, alignment, rules_only, gait=False)
    delays = []
    for start in range(0, len(block), 100):  # live: one-second chunks
        part = block.slice(start, start + 100)
        for e in pipe.update(part):
            if e.type == "alert":
                delays.append(float(part.t[-1]) - e.start)
    assert len(delays) >= 2
    assert max(delays) < 1.0
