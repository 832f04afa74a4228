"""Where the analysis spends its time on a bend-heavy day: a warehouse shift against an office day of the same length.

    python benchmarks/posture_profile.py [--hours 2] [--top 15]

Issue 13 measured the posture path 2.9x slower on a warehouse day than on an office day. This runs
:func:`sensorkit.signal.pipeline.analyze` (gait off, so the posture path alone) on both simulated
days (100 Hz, accelerometer and gyroscope, same seed and length) under cProfile and prints each
day's CPU time, then the functions that take the warehouse day's time, by their own time and with
the calls below them, each beside the office day's figure for the same function.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from sensorkit.signal.pipeline import analyze
from sensorkit.signal.profile import Profile
from sensorkit.simulator import simulate


def profiled(scenario: str, hours: float) -> tuple[float, pstats.Stats]:
    sim = simulate(scenario, seed=7, duration_s=hours * 3600, rate_hz=100.0)
    profile = Profile()
    started = time.process_time()
    analyze(sim.block, sim.meta, profile, gait=False)  # warm-up: lazy imports and caches out of the figure
    plain = time.process_time() - started
    profiler = cProfile.Profile()
    profiler.runcall(analyze, sim.block, sim.meta, profile, gait=False)
    return plain, pstats.Stats(profiler)


def by_function(stats: pstats.Stats) -> dict[str, tuple[float, float, int]]:
    """function -> (own seconds, seconds with callees, calls)."""
    out = {}
    for (file, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        short = f"{file.rsplit('/', 2)[-2]}/{file.rsplit('/', 1)[-1]}:{line}({name})" if "/" in file else name
        out[short] = (own, cumulative, calls)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    office_s, office = profiled("office", args.hours)
    warehouse_s, warehouse = profiled("warehouse", args.hours)
    print(f"{args.hours:g} h at 100 Hz, posture path (gait off), CPU: office {office_s:.2f} s, warehouse "
          f"{warehouse_s:.2f} s ({warehouse_s / office_s:.2f}x)")
    mine, theirs = by_function(warehouse), by_function(office)
    for title, index in (("own time", 0), ("with callees", 1)):
        print(f"\nwarehouse day, top {args.top} by {title} (profiled seconds; office day in brackets):")
        for name, figures in sorted(mine.items(), key=lambda kv: -kv[1][index])[:args.top]:
            other = theirs.get(name, (0.0, 0.0, 0))
            print(f"  {figures[index]:7.3f} s ({other[index]:6.3f})  {figures[2]:>9} calls ({other[2]:>9})  {name}")


if __name__ == "__main__":
    main()
