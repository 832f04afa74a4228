"""How well loss is inferred for sensors with no clock on the air (sensorkit.devices.arrival).

Simulates a 100 Hz sensor sending one sample per notification with uniform random latency, drops one
outage of a given length in the middle, and reports how often the outage is detected and how far the
inferred count is from the truth. Run by hand: ``python benchmarks/devices_arrival_loss.py [--trials 200]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from sensorkit.devices.arrival import ArrivalClock

RATE, N = 100.0, 3000


def trial(jitter_s: float, outage_s: float, rng: np.random.Generator) -> tuple[int, int]:
    arrivals = np.maximum.accumulate(np.arange(N) / RATE + rng.uniform(0, jitter_s, N))
    lost = int(round(outage_s * RATE))
    keep = np.ones(N, bool)
    keep[1500 : 1500 + lost] = False
    clock = ArrivalClock(RATE)
    for a in arrivals[keep]:
        clock.place(float(a), 1)
    return lost, clock.lost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200, help="outages simulated per jitter and length")
    trials = parser.parse_args().trials
    rng = np.random.default_rng(0)
    print("jitter_s outage_s  detected  mean|err| samples  max|err|  overcount>bound")
    for jitter in (0.02, 0.1, 0.2):
        for outage in (0.1, 0.3, 1.0, 2.0):
            results = np.array([trial(jitter, outage, rng) for _ in range(trials)])
            truth, inferred = results[:, 0], results[:, 1]
            err = np.abs(inferred - truth)
            print(f"{jitter:8.2f} {outage:8.1f} {np.mean(inferred > 0):9.2f} {err.mean():12.1f} {err.max():9d}"
                  f" {np.mean(inferred > truth + 0.25 * RATE):10.2f}")


if __name__ == "__main__":
    main()
