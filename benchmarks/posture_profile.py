"""Where the analysis spends its time on a bend-heavy day: a warehouse shift against an office day of the same length.

    python benchmarks/posture_profile.py [--hours 2] [--top 15]
    python benchmarks/posture_profile.py --stored RECORDING.skr [...] [--repeat 3]

Issue 13 measured the posture path 2.9x slower on a warehouse day than on an office day. This runs
:func:`sensorkit.signal.pipeline.analyze` (gait off, so the posture path alone) on both simulated
days (100 Hz, accelerometer and gyroscope, same seed and length) and prints each day's CPU time, the
CPU time of each stage of the posture path measured without a profiler (a profiler inflates the
Python-heavy posture tracker several-fold against the NumPy stages), then, under cProfile, the
functions that take the warehouse day's time, by their own time and with the calls below them,
each beside the office day's figure for the same function.

``--stored`` measures instead the posture pass over stored recordings as ``analyze`` feeds it: the
pipeline (gait off) over the store's blocks, decoding left out of the figure, after the alignment
is learnt; the best of ``--repeat`` runs, with the same stages.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections import Counter
from contextlib import contextmanager
from typing import Iterator

from sensorkit.signal.decimate import BinMeans
from sensorkit.signal.features import FeatureExtractor
from sensorkit.signal.nonwear import WearDetector
from sensorkit.signal.orientation import OrientationFilter
from sensorkit.signal.pipeline import Pipeline, analyze
from sensorkit.signal.posture import PostureTracker
from sensorkit.signal.profile import Profile
from sensorkit.signal.window_stats import WindowCollector
from sensorkit.simulator import simulate
from sensorkit.store import RecordingReader

# the posture path's stages: (class, method) -> the name printed; the wear detector also serves the
# alignment's first pass (beside its window statistics), the posture tracker's wear() takes its changes
STAGES = {
    (WindowCollector, "update"): "window statistics (first pass)",
    (BinMeans, "update"): "bin means (1/25 s)",
    (WearDetector, "update"): "wear detector (both passes)",
    (OrientationFilter, "update_body"): "orientation",
    (FeatureExtractor, "run"): "features",
    (Pipeline, "_count_worn_bands"): "flexion band seconds",
    (PostureTracker, "update"): "posture tracker",
    (PostureTracker, "wear"): "posture tracker",
    (PostureTracker, "finish"): "posture tracker",
}


@contextmanager
def stage_times(stages: dict[tuple[type, str], str]) -> Iterator[Counter]:
    """CPU seconds spent in each stage of ``stages`` ((class, method) -> stage name) while inside
    (the methods are wrapped meanwhile). benchmarks/gait_profile.py uses it too."""
    spent: Counter = Counter()

    def timed(method, name):
        def run(*args, **kwargs):
            started = time.process_time()
            try:
                return method(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - started
        return run

    originals = {key: getattr(*key) for key in stages}
    for (owner, attr), name in stages.items():
        setattr(owner, attr, timed(originals[owner, attr], name))
    try:
        yield spent
    finally:
        for (owner, attr), method in originals.items():
            setattr(owner, attr, method)


def profiled(scenario: str, hours: float) -> tuple[float, Counter, pstats.Stats]:
    """The day's analyze CPU seconds (the second run: lazy imports and caches out of the figure), its
    stages' CPU seconds, and its profile."""
    sim = simulate(scenario, seed=7, duration_s=hours * 3600, rate_hz=100.0)
    profile = Profile()
    analyze(sim.block, sim.meta, profile, gait=False)
    with stage_times(STAGES) as stages:
        started = time.process_time()
        analyze(sim.block, sim.meta, profile, gait=False)
        plain = time.process_time() - started
    profiler = cProfile.Profile()
    profiler.runcall(analyze, sim.block, sim.meta, profile, gait=False)
    return plain, stages, pstats.Stats(profiler)


def by_function(stats: pstats.Stats) -> dict[str, tuple[float, float, int]]:
    """function -> (own seconds, seconds with callees, calls)."""
    out = {}
    for (file, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        short = f"{file.rsplit('/', 2)[-2]}/{file.rsplit('/', 1)[-1]}:{line}({name})" if "/" in file else name
        out[short] = (own, cumulative, calls)
    return out


def stored_pass(path: str, repeat: int) -> tuple[float, Counter]:
    """CPU seconds of the best of ``repeat`` posture passes over the stored recording (decoding not
    counted), and that pass's stages."""
    reader = RecordingReader(path)
    alignment = analyze(reader, reader.meta, Profile(), gait=False).alignment
    best: tuple[float, Counter] | None = None
    for _ in range(repeat):
        pipe = Pipeline(reader.meta.rate_hz, alignment, Profile(), has_gyro=reader.meta.has_gyro, gait=False,
                        start_time=reader.meta.start_time)
        spent = 0.0
        with stage_times(STAGES) as stages:
            for block in reader.iter_blocks():
                started = time.process_time()
                pipe.update(block)
                spent += time.process_time() - started
            started = time.process_time()
            pipe.finish()
            spent += time.process_time() - started
        if best is None or spent < best[0]:
            best = spent, Counter(stages)
    assert best is not None
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--stored", nargs="+", metavar="RECORDING", help="time the posture pass over these instead")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.stored:
        for path in args.stored:
            spent, stages = stored_pass(path, args.repeat)
            print(f"{path}: posture pass (gait off, decoding not counted), best of {args.repeat}: {spent:.2f} s CPU")
            for name in dict.fromkeys(STAGES.values()):
                if stages[name]:
                    print(f"  {stages[name]:6.2f}  {name}")
        return
    office_s, office_stages, office = profiled("office", args.hours)
    warehouse_s, warehouse_stages, warehouse = profiled("warehouse", args.hours)
    print(f"{args.hours:g} h at 100 Hz, posture path (gait off), CPU: office {office_s:.2f} s, warehouse "
          f"{warehouse_s:.2f} s ({warehouse_s / office_s:.2f}x)")
    print("\nCPU seconds per stage, no profiler: office, warehouse")
    for name in dict.fromkeys(STAGES.values()):
        print(f"  {office_stages[name]:6.2f} {warehouse_stages[name]:6.2f}  {name}")
    mine, theirs = by_function(warehouse), by_function(office)
    for title, index in (("own time", 0), ("with callees", 1)):
        print(f"\nwarehouse day, top {args.top} by {title} (profiled seconds; office day in brackets):")
        for name, figures in sorted(mine.items(), key=lambda kv: -kv[1][index])[:args.top]:
            other = theirs.get(name, (0.0, 0.0, 0))
            print(f"  {figures[index]:7.3f} s ({other[index]:6.3f})  {figures[2]:>9} calls ({other[2]:>9})  {name}")


if __name__ == "__main__":
    main()
