"""Gait detector behaviour on simulated recordings: chunking invariance, live flag, rates, no gyroscope."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensorkit.errors import SettingsError
from sensorkit.samples import SampleBlock
from sensorkit.signal.gait import BoutParams, GaitDetector, detect_walking_bouts
from sensorkit.signal.gait.bouts import median
from sensorkit.signal.gait.scoring import match_bouts, match_contacts
from sensorkit.signal.gait.steps import StepFinder
from sensorkit.simulator import simulate


@lru_cache(maxsize=None)
def sim(scenario: str, seed: int, **kw):
    return simulate(scenario, seed, **kw)


def same_events(a, b) -> bool:
    """Equal up to floating-point rounding of the times (chunk size can change vectorisation)."""
    return len(a) == len(b) and all(
        x.type == y.type and x.fields == y.fields and abs(x.start - y.start) < 1e-9 and abs(x.end - y.end) < 1e-9
        for x, y in zip(a, b))


def bouts_of(events):
    return [(e.start, e.end) for e in events]


def truth_bouts(s):
    return [(e.start, e.end) for e in s.truth.of_type("walking_bout")]


def truth_steps(s) -> int:
    return sum(e.fields["steps"] for e in s.truth.of_type("walking_bout"))


@given(cuts=st.lists(st.integers(min_value=1, max_value=14_999), max_size=12, unique=True))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    s = sim("walk", 4)  # two bouts, two pauses: 150 s at 100 Hz
    block = s.block
    whole = detect_walking_bouts(block, 100.0, bout_params=BoutParams(height_m=1.7))
    det = GaitDetector(100.0, bout_params=BoutParams(height_m=1.7))
    events = []
    edges = [0, *sorted(cuts), len(block)]
    for a, b in zip(edges[:-1], edges[1:]):
        events += det.update(block.slice(a, b))
    events += det.finish()
    assert len(whole) == 2 and "stride_length_m" in whole[0].fields
    assert same_events(events, whole)


@given(cuts=st.lists(st.integers(min_value=1, max_value=2_999), max_size=8, unique=True))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_chunking_at_20_hz_without_gyroscope(cuts: list[int]) -> None:
    block = sim("walk", 8, rate_hz=20.0, has_gyro=False).block
    whole = detect_walking_bouts(block, 20.0)
    det = GaitDetector(20.0)
    events = []
    edges = [0, *sorted(cuts), len(block)]
    for a, b in zip(edges[:-1], edges[1:]):
        events += det.update(block.slice(a, b))
    events += det.finish()
    assert len(whole) == 2 and "left_steps" not in whole[0].fields
    assert same_events(events, whole)


def test_single_sample_chunks_match_whole() -> None:
    block = sim("walk", 5).block.slice(0, 4_000)
    det = GaitDetector(100.0, record_contacts=True)
    events = []
    for i in range(len(block)):
        events += det.update(block.slice(i, i + 1))
    events += det.finish()
    whole = GaitDetector(100.0, record_contacts=True)
    assert same_events(events, whole.update(block) + whole.finish())
    assert len(events) == 1
    np.testing.assert_allclose(det.contacts[0][0], whole.contacts[0][0], rtol=0, atol=1e-9)


def contacts_in_chunks(block: SampleBlock, rate_hz: float, everywhere: bool, position: bool) -> list:
    finder = StepFinder(rate_hz, position=position)
    finder._movement.everywhere = everywhere
    step = int(120 * rate_hz)  # stored blocks are two minutes long
    found = [finder.update(part.t, part.acc, part.gyr) for part in (block.slice(i, i + step)
                                                                     for i in range(0, len(block), step))]
    moving = np.mean(finder._movement.moving)
    return [(c.t, c.yaw, c.prominence, c.top, c.bottom, c.decided_until) for c in found], moving


@pytest.mark.parametrize("kw, position, nan_at", [
    ({}, True, None), ({}, False, None), ({"rate_hz": 20.0, "has_gyro": False}, True, None),
    ({"rate_hz": 200.0}, False, None), ({"loss": 0.03}, True, None), ({}, False, 40_000)])
def test_still_stretches_are_skipped_without_changing_a_bit(kw: dict, position: bool, nan_at: int | None) -> None:
    """Smoothing and peak search only where a step can be (Movement) find the very same contacts, to
    the last bit, as running them over every sample; a NaN turns the shortcut off from there on."""
    s = sim("demo", 3, **kw)
    block = s.block
    if nan_at is not None:
        block = SampleBlock(block.t, block.acc.copy(), block.gyr)  # the simulation is cached
        block.acc[nan_at, 2] = np.nan
    skipped, moving = contacts_in_chunks(block, s.meta.rate_hz, everywhere=False, position=position)
    everywhere, _ = contacts_in_chunks(block, s.meta.rate_hz, everywhere=True, position=position)
    assert sum(len(c[0]) for c in skipped) > 50
    assert len(skipped) == len(everywhere)
    for mine, full in zip(skipped, everywhere):
        for a, b in zip(mine, full):
            np.testing.assert_array_equal(a, b)
    if nan_at is None:
        assert moving < 0.9  # in the last two minutes some segments were skipped (at 20 Hz one is 3.2 s)
    else:
        assert moving == 1.0 and not len(skipped[-1][0])


@given(values=st.lists(st.floats(-10, 10), max_size=6))
def test_small_median_is_numpys(values: list[float]) -> None:
    """The bout rules' medians of a few contacts, taken without arrays, are NumPy's to the bit."""
    assert np.array_equal(median(values), np.median(values) if values else np.nan, equal_nan=True)


def test_a_jolt_just_after_a_chunk_of_stillness_is_found_the_same() -> None:
    """A candidate whose window reaches back into a chunk that was still until its last sample: that
    chunk smoothed its end (the next samples might move), or the candidate's window would read
    samples never smoothed (cuts 999 and 1000 lose it then)."""
    n, rate = 2000, 100.0
    t = np.arange(n) / rate
    acc = np.tile([0.0, 0.0, 9.81], (n, 1)) + np.random.default_rng(0).normal(0, 0.005, (n, 3))
    acc[1000, 2] += 20.0

    def found(cut: int, everywhere: bool) -> list:
        finder = StepFinder(rate)
        finder._movement.everywhere = everywhere
        parts = [finder.update(t[a:b], acc[a:b], None) for a, b in ((0, cut), (cut, n))]
        return [(c.t.tolist(), c.prominence.tolist()) for c in parts]

    for cut in range(990, 1010):
        assert found(cut, everywhere=False) == found(cut, everywhere=True)
    assert sum(len(times) for times, _ in found(1000, everywhere=False)) == 1


@pytest.mark.parametrize("kw", [{}, {"rate_hz": 20.0}, {"rate_hz": 200.0}, {"has_gyro": False},
                                {"rate_hz": 20.0, "has_gyro": False}, {"loss": 0.03}])
def test_demo_day_bouts_and_steps(kw: dict) -> None:
    s = sim("demo", 3, **kw)
    events = detect_walking_bouts(s.block, s.meta.rate_hz)
    assert match_bouts(bouts_of(events), truth_bouts(s)).f1 >= 0.95
    steps = sum(e.fields["steps"] for e in events)
    tolerance = 0.05 if kw.get("loss") else 0.03  # lost packets take their steps with them
    assert abs(steps / truth_steps(s) - 1) <= tolerance
    for e in events:
        assert e.type == "walking_bout" and 60 < e.fields["cadence_spm"] < 150
        assert ("left_steps" in e.fields) == s.block.has_gyro


@pytest.mark.parametrize("scenario,seed", [("office", 1), ("warehouse", 2)])
def test_simulated_workday_targets(scenario: str, seed: int) -> None:
    """Issue targets on simulated workdays: bout F1 >= 0.95, step error <= 3 %."""
    s = sim(scenario, seed)
    det = GaitDetector(s.meta.rate_hz, record_contacts=True)
    events = det.update(s.block) + det.finish()
    assert match_bouts(bouts_of(events), truth_bouts(s)).f1 >= 0.95
    assert abs(sum(e.fields["steps"] for e in events) / truth_steps(s) - 1) <= 0.03
    contacts = np.concatenate([c for c, _ in det.contacts])
    counts, errors = match_contacts(contacts, s.truth.step_times)
    assert counts.f1 >= 0.95 and np.median(np.abs(errors)) < 0.05


def test_live_flag_follows_walking_within_3_s() -> None:
    s = sim("walk", 6)
    det = GaitDetector(s.meta.rate_hz)
    step = int(s.meta.rate_hz) // 4
    times, flags = [], []
    for i in range(0, len(s.block), step):
        part = s.block.slice(i, i + step)
        det.update(part)
        times.append(part.t[-1])
        flags.append(det.walking)
    times, flags = np.array(times), np.array(flags)
    for start, end in truth_bouts(s):
        assert flags[(times > start + 3.0) & (times < end)].all()
        assert not flags[(times > end + 3.0) & (times < end + 6.0)].any()
        assert not flags[(times > start - 6.0) & (times < start)].any()


def test_bout_is_final_once_its_break_is_over() -> None:
    s = sim("walk", 7)
    first_end = truth_bouts(s)[0][1]
    det = GaitDetector(s.meta.rate_hz)
    got = det.update(s.block.between(0, first_end + 3.5))
    assert len(got) == 1 and abs(got[0].end - first_end) < 0.25


def test_rest_and_too_low_rate() -> None:
    t = np.arange(6000) / 100.0
    rest = SampleBlock(t, np.tile([0.0, 0.0, 9.81], (len(t), 1)) + 0.01 * np.sin(t)[:, None])
    assert detect_walking_bouts(rest, 100.0) == []
    with pytest.raises(SettingsError):
        GaitDetector(5.0)


@pytest.mark.parametrize("rate_hz", [20.0, 100.0, 200.0])
def test_inverted_pendulum_stride_length_from_a_known_bounce(rate_hz: float) -> None:
    """A lower back rising and falling 4 cm per step at 1.8 steps/s: the Zijlstra & Hof excursion comes
    out as 4 cm (the 1 Hz high-passes keep 99 % at 1.8 Hz; smoothing the position would lose a quarter),
    so with l = 0.53 x 1.75 m the stride is 2 x 1.147 x 2 sqrt(2 l h - h^2) = 1.236 m."""
    f, h, height = 1.8, 0.04, 1.75
    t = np.arange(int(30 * rate_hz)) / rate_hz
    acc = np.zeros((len(t), 3))
    acc[:, 2] = 9.81 - (2 * np.pi * f) ** 2 * (h / 2) * np.cos(2 * np.pi * f * t)  # z up
    events = detect_walking_bouts(SampleBlock(t, acc), rate_hz, bout_params=BoutParams(height_m=height))
    assert len(events) == 1
    leg = 0.53 * height
    stride = 2 * 4.587 / 4 * 2 * np.sqrt(2 * leg * h - h * h)
    assert events[0].fields["stride_length_m"] == pytest.approx(stride, rel=0.02)
    assert events[0].fields["speed_mps"] == pytest.approx(stride * f / 2, rel=0.02)
    assert events[0].fields["cadence_spm"] == pytest.approx(60 * f, rel=0.01)
