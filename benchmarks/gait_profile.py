"""The walking detector's CPU per 24 h of data, as analyze's walking process runs it, and where it goes.

    python benchmarks/gait_profile.py [--folder DIR] [--hours 24] [--repeat 3] [--top 15] [RECORDING ...]

analyze's walking process (signal/gait/apart.py) feeds a :class:`GaitDetector` the stored blocks of a
recording one by one. This does the same and times only the detector's ``update``/``finish`` calls
(decoding is timed apart), best of ``--repeat`` rounds, without the wearer's height (as analyze
without a profile: no step lengths, so no vertical position) and with it (1.75 m), then the CPU of
each stage without a profiler, and with ``--top N`` the functions taking the time under cProfile.
The recordings: those given, else a simulated office day and a warehouse day of ``--hours`` each
(``sensorkit simulate --scenario office|warehouse --seed 1``), made in ``--folder`` once.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

from sensorkit.signal.gait import GaitDetector
from sensorkit.signal.gait.bouts import BoutAssembler, BoutParams
from sensorkit.signal.gait.steps import StepFinder
from sensorkit.store import RecordingReader

from posture_profile import stage_times  # the same stage timer, from this script's folder

# the detector's stages: (class, method) -> the name printed
STAGES = {
    (StepFinder, "vertical"): "gravity, vertical acceleration",
    (StepFinder, "_smooth"): "the rest of the smoothing: yaw rate, position, Gaussian FIR, where the signal moves",
    (StepFinder, "_peaks"): "peaks, excursions",
    (BoutAssembler, "add"): "bouts",
    (BoutAssembler, "advance"): "bouts",
    (GaitDetector, "_events"): "bout fields",
}
HEIGHT_M = 1.75


def detect(path: Path, height_m: float | None, profiler: cProfile.Profile | None = None) -> tuple[float, float, list, float]:
    """CPU seconds of the detector and of decoding over the whole recording, its events, and the hours
    of data."""
    with RecordingReader(path) as reader:
        detector = GaitDetector(reader.meta.rate_hz, bout_params=BoutParams(height_m=height_m))
        events: list = []
        spent = 0.0
        samples = 0
        decoding = time.process_time()
        for block in reader.iter_blocks():
            samples += len(block)
            started = time.process_time()
            if profiler:
                profiler.enable()
            events += detector.update(block)
            if profiler:
                profiler.disable()
            spent += time.process_time() - started
        started = time.process_time()
        events += detector.finish()
        spent += time.process_time() - started
        decoding = time.process_time() - decoding - spent
        return spent, decoding, events, samples / reader.meta.rate_hz / 3600


def recording(folder: Path, scenario: str, hours: float) -> Path:
    """The simulated recording, made if it is not there yet."""
    path = folder / f"{scenario}_{hours:g}h.skr"
    if not path.exists():
        subprocess.run([sys.executable, "-m", "sensorkit", "simulate", "-q", "--scenario", scenario, "--seed", "1",
                        "--duration", f"{hours * 3600:g}", "-o", str(path)], check=True)
    return path


def report(path: Path, repeat: int, top: int) -> None:
    best = {}
    for _ in range(repeat):  # interleaved, so that both figures see the same load
        for height in (None, HEIGHT_M):
            spent, decoding, events, hours = detect(path, height)
            best[height] = min(best.get(height, (spent, decoding)), (spent, decoding))
    per_day = 24 / hours
    steps = sum(e.fields["steps"] for e in events)
    print(f"{path.name}: {hours:.3g} h, {len(events)} bouts, {steps} steps")
    print(f"  detector CPU per 24 h (best of {repeat}): {best[None][0] * per_day:.3f} s without the wearer's height, "
          f"{best[HEIGHT_M][0] * per_day:.3f} s with it; decoding {best[None][1] * per_day:.3f} s")
    with stage_times(STAGES) as stages:
        spent = detect(path, None)[0]
    print(f"  per stage, CPU per 24 h without the height, no profiler (total {spent * per_day:.3f} s):")
    for name in dict.fromkeys(STAGES.values()):
        print(f"    {stages[name] * per_day:6.3f} s  {name}")
    if top:
        profiler = cProfile.Profile()
        detect(path, None, profiler)
        print(f"  top {top} functions by own time under cProfile (seconds for the whole recording):")
        stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
        rows = sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]
        for (file, line, name), (_, calls, own, cumulative, _) in rows:
            where = f"{Path(file).name}:{line}({name})" if line else name
            print(f"    {own:7.3f} s own {cumulative:7.3f} s with callees {calls:>8} calls  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recordings", nargs="*", type=Path)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/sensorkit-gait-profile"))
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=0)
    args = parser.parse_args()
    paths = args.recordings
    if not paths:
        args.folder.mkdir(parents=True, exist_ok=True)
        paths = [recording(args.folder, scenario, args.hours) for scenario in ("office", "warehouse")]
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    for path in paths:
        report(path, args.repeat, args.top)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
