"""Speed of the signal core: orientation + posture + bending on 24 h of 100 Hz 6-axis data.

    python benchmarks/posture_benchmark.py [--hours 24] [--scenario office|warehouse]

Run it pinned to one core (``taskset -c 0 python benchmarks/posture_benchmark.py``). Targets
(issue 3): offline under 1 s on one core, peak memory under 500 MB above the loaded samples;
live under 1 ms of CPU per second of data (fed in 1 s chunks). The 24 h are a simulated office day
(sitting, walking, bends, slouches), tiled from a one-hour simulation to keep the set-up short.
Gait detection (issue 4) is measured separately by its own benchmark and left out here.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from sensorkit.samples import SampleBlock  # noqa: E402
from sensorkit.signal.alignment import alignment_for  # noqa: E402
from sensorkit.signal.pipeline import ANALYZE_SLICE_S, Pipeline, iter_slices  # noqa: E402
from sensorkit.simulator import simulate  # noqa: E402


def day_of_data(hours: float, scenario: str = "office") -> tuple[SampleBlock, object]:
    """One simulated hour (less for a shorter day) tiled to ``hours``."""
    tile_s = min(3600.0, hours * 3600)
    sim = simulate(scenario, seed=7, duration_s=tile_s)
    reps = int(np.ceil(hours * 3600 / tile_s))
    assert len(sim.block) == round(tile_s * 100)
    t = np.concatenate([sim.block.t + tile_s * k for k in range(reps)])[: int(hours * 3600 * 100)]
    acc = np.tile(sim.block.acc, (reps, 1))[: len(t)]
    gyr = np.tile(sim.block.gyr, (reps, 1))[: len(t)]
    return SampleBlock(t, acc, gyr), sim.meta


def offline(block: SampleBlock, alignment, trace_memory: bool) -> tuple[float, int, int]:
    """CPU seconds, peak traced memory (bytes, 0 if not traced) and event count of one offline run."""
    pipe = Pipeline(100.0, alignment, gait=False)
    if trace_memory:
        tracemalloc.start()
    t0 = time.process_time()
    events = []
    for part in iter_slices(block, ANALYZE_SLICE_S):
        events += pipe.update(part)
    events += pipe.finish()
    cpu = time.process_time() - t0
    peak = 0
    if trace_memory:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return cpu, peak, len(events)


def live(block: SampleBlock, alignment, seconds: float) -> float:
    pipe = Pipeline(100.0, alignment, gait=False)
    part = block.between(block.t[0], block.t[0] + seconds)
    t0 = time.process_time()
    for start in range(0, len(part), 100):
        pipe.update(part.slice(start, start + 100))
    return (time.process_time() - t0) / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--live-seconds", type=float, default=3600.0)
    ap.add_argument("--scenario", default="office", help="the simulated hour tiled (warehouse: a bend a minute)")
    args = ap.parse_args()
    block, meta = day_of_data(args.hours, args.scenario)
    alignment = alignment_for(block.slice(0, 360000), meta)
    data_mb = (block.t.nbytes + block.acc.nbytes + block.gyr.nbytes) / 1e6
    cpu = min(offline(block, alignment, trace_memory=False)[0] for _ in range(3))
    _, peak, n_events = offline(block, alignment, trace_memory=True)  # tracing slows it: timed apart
    print(f"offline: {args.hours:g} h ({len(block)} samples, {data_mb:.0f} MB loaded): "
          f"{cpu:.2f} s CPU (best of 3), peak memory above the samples {peak / 1e6:.0f} MB, {n_events} events")
    per_s = live(block, alignment, args.live_seconds)
    print(f"live (1 s chunks, {args.live_seconds:g} s of data): {per_s * 1e3:.3f} ms CPU per second of data")


if __name__ == "__main__":
    main()
