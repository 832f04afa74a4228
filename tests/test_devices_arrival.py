"""Loss inferred from arrival times for sensors with no counter (arrival.py): what it proves and what not."""

from __future__ import annotations

import numpy as np

from sensorkit.devices.arrival import ArrivalClock

RATE = 100.0


def arrivals(n: int, jitter_s: float, seed: int, drift_ppm: float = 0.0) -> np.ndarray:
    """Generation at the (drifting) rate plus a random latency up to ``jitter_s``, delivered in order."""
    rng = np.random.default_rng(seed)
    generated = np.arange(n) / (RATE * (1 + drift_ppm * 1e-6))
    return np.maximum.accumulate(generated + rng.uniform(0, jitter_s, n))


def run(times: np.ndarray, keep: np.ndarray, max_latency: float = 0.25) -> tuple[ArrivalClock, list[int]]:
    clock = ArrivalClock(RATE, max_latency_s=max_latency)
    indices = [clock.place(float(a), 1)[0] for a in times[keep]]
    return clock, indices


def test_jitter_alone_is_never_called_loss_even_with_a_slow_clock() -> None:
    times = arrivals(60_000, jitter_s=0.2, seed=1, drift_ppm=-100)  # 10 min, clock 100 ppm slow
    clock, indices = run(times, np.ones(len(times), bool))
    assert clock.lost == 0 and indices == list(range(len(times)))


def test_a_loss_longer_than_the_latency_bound_is_found_and_counted_within_the_bound() -> None:
    times = arrivals(3000, jitter_s=0.1, seed=2)
    keep = np.ones(len(times), bool)
    keep[1000:1200] = False  # 2 s lost
    clock, indices = run(times, keep)
    assert abs(clock.lost - 200) <= 0.25 * RATE  # the documented bound: max_latency x rate
    jumps = np.flatnonzero(np.diff(indices) > 1)
    assert jumps.tolist() == [999]  # one gap, where the loss was: later jitter adds no spurious gaps


def test_a_loss_shorter_than_the_jitter_cannot_be_seen() -> None:
    times = arrivals(3000, jitter_s=0.1, seed=3)
    keep = np.ones(len(times), bool)
    keep[1000:1005] = False  # 50 ms lost, under the 250 ms latency bound
    clock, _ = run(times, keep)
    assert clock.lost == 0
