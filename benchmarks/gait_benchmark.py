"""Gait benchmark: 24 h of 100 Hz 6-axis data through step and walking-bout detection.

Targets (issue 4): >= 10x faster than mobgap's MobilisedPipelineHealthy on the same data in the same
run, peak memory < 500 MB above the loaded samples, live < 1 ms CPU per second of data.
Run by hand:  python benchmarks/gait_benchmark.py [--hours 24] [--no-mobgap]
(mobgap's row needs the [compare] extra; without it the row is skipped with a message.)

The day is the simulator's warehouse shift (frequent walking) stretched to ``--hours``. Our memory is
the tracemalloc peak during detection (NumPy allocations included); mobgap's is the growth of the
process's peak RSS while it runs (tracemalloc would slow its pure-Python parts), measured last.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
import warnings

import numpy as np

from sensorkit.signal.gait import GaitDetector, detect_walking_bouts
from sensorkit.simulator import simulate


def bench_ours(block, rate_hz: float) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    events = detect_walking_bouts(block, rate_hz)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    tracemalloc.start()
    detect_walking_bouts(block, rate_hz)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"wall_s": wall, "cpu_s": cpu, "peak_mb": peak / 1e6, "bouts": len(events),
            "steps": sum(e.fields["steps"] for e in events)}


def bench_live(block, rate_hz: float, seconds: int) -> float:
    """CPU milliseconds per second of data when fed one second at a time (the live path)."""
    det = GaitDetector(rate_hz)
    n = int(rate_hz)
    part = block.slice(0, seconds * n)
    c0 = time.process_time()
    for i in range(0, len(part), n):
        det.update(part.slice(i, i + n))
    return 1000 * (time.process_time() - c0) / seconds


def bench_mobgap(block, rate_hz: float) -> dict | None:
    try:
        import pandas as pd
        from mobgap.data import GaitDatasetFromData
        from mobgap.pipeline import MobilisedPipelineHealthy
    except ImportError:
        return None
    gyr = np.rad2deg(block.gyr)
    df = pd.DataFrame({"acc_x": block.acc[:, 0], "acc_y": block.acc[:, 1], "acc_z": block.acc[:, 2],
                       "gyr_x": gyr[:, 0], "gyr_y": gyr[:, 1], "gyr_z": gyr[:, 2]})
    ds = GaitDatasetFromData({("p",): {"LowerBack": df}}, float(rate_hz),
                             {("p",): {"height_m": 1.75, "sensor_height_m": 0.95, "cohort": "HA"}},
                             {("p",): {"measurement_condition": "free_living"}})
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = MobilisedPipelineHealthy().safe_run(ds[0])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wb = p.per_wb_parameters_
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_growth_mb": (rss1 - rss0) / 1e3, "bouts": len(wb),
            "steps": int(wb["n_raw_initial_contacts"].sum()) if "n_raw_initial_contacts" in wb else -1}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--no-mobgap", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    sim = simulate("warehouse", seed=1, duration_s=args.hours * 3600)
    block, rate = sim.block, sim.meta.rate_hz
    loaded_mb = (block.t.nbytes + block.acc.nbytes + block.gyr.nbytes) / 1e6
    truth_steps = sum(e.fields["steps"] for e in sim.truth.of_type("walking_bout"))
    print(f"data: {args.hours:g} h at {rate:g} Hz, {len(block)} samples ({loaded_mb:.0f} MB loaded), "
          f"{truth_steps} true steps; simulated in {time.perf_counter() - t0:.1f} s")
    ours = bench_ours(block, rate)
    print(f"sensorkit: {ours['wall_s']:.2f} s wall, {ours['cpu_s']:.2f} s CPU, peak {ours['peak_mb']:.0f} MB "
          f"above the samples, {ours['bouts']} bouts, {ours['steps']} steps")
    seconds = min(3600, int(len(block) / rate))
    live = bench_live(block, rate, seconds)
    print(f"sensorkit live (1 s chunks, first {seconds} s): {live:.3f} ms CPU per second of data")
    if args.no_mobgap:
        return
    theirs = bench_mobgap(block, rate)
    if theirs is None:
        print("mobgap: not installed (pip install -e '.[compare]'), row skipped")
        return
    print(f"mobgap MobilisedPipelineHealthy: {theirs['wall_s']:.2f} s wall, {theirs['cpu_s']:.2f} s CPU, "
          f"peak RSS +{theirs['peak_rss_growth_mb']:.0f} MB, {theirs['bouts']} bouts, {theirs['steps']} steps")
    print(f"speed-up: {theirs['wall_s'] / ours['wall_s']:.0f}x wall, {theirs['cpu_s'] / ours['cpu_s']:.0f}x CPU")


if __name__ == "__main__":
    main()
