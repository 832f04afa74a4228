"""`analyze --jobs 2` against `--jobs 1` on ten eight-hour recordings, and what one recording costs.

Target (issue 13): ``--jobs 2`` >= 1.7x faster than ``--jobs 1`` on an idle 2-core machine, output identical.
Run by hand:  python benchmarks/jobs_benchmark.py [--recordings 10] [--hours 8] [--rounds 2] [--cache DIR]

The recordings are simulated office days (100 Hz, accelerometer and gyroscope, one patient each), made
once into ``--cache`` and reused. Each round runs ``sensorkit analyze --json`` over all of them with
``--jobs 1`` then ``--jobs 2`` in fresh processes (interleaved, so a change in the machine's load
hits both); the figures are wall-clock times, the best of the rounds, and the speed-up within the
best rounds. The outputs of both are compared byte for byte. The load average is printed before
and after: on a shared machine the wall-clock speed-up says more about the neighbours than about the
pool, so a projection for an idle machine is printed too, from the CPU seconds of the same runs (the
start-up's imports serial, the rest shared by two busy workers).

``--per-recording`` also times one recording alone in a fresh process (CPU seconds, peak RSS), the
unit the README's "Scaling out" projection multiplies.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from sensorkit.simulator import save_simulation, simulate


def make_recording(cache: Path, index: int, hours: float) -> Path:
    """One simulated office recording, made once and kept in ``cache`` (benchmarks/cohort_benchmark.py
    measures the same files)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"office-{hours:g}h-{index:02d}.skr"
    if not path.exists():
        started = time.perf_counter()
        sim = simulate("office", seed=100 + index, duration_s=hours * 3600, rate_hz=100.0,
                       patient_id=f"B{index:02d}")
        save_simulation(sim, path)
        print(f"made {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def make_recordings(cache: Path, count: int, hours: float) -> list[Path]:
    return [make_recording(cache, i, hours) for i in range(count)]


def timed(argv: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds, CPU seconds (the process and its workers) and the run of a fresh `python` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run = subprocess.run([sys.executable, *argv], capture_output=True)
    wall = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed: {run.stderr.decode(errors='replace').strip()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), run


def timed_analyze(paths: list[Path], jobs: int) -> tuple[float, float, bytes]:
    wall, cpu, run = timed(["-m", "sensorkit", "analyze", "--json", "--jobs", str(jobs), *map(str, paths)])
    return wall, cpu, run.stdout


# Prints the peak RSS (kB) of the command it runs. Linux carries ru_maxrss across fork and exec, so a
# child of this process would report this process's size if it is the larger (it is, after it has
# simulated the recordings): the launcher is small, and its child's peak is the analysis's own.
PEAK_OF_CHILD = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")


def one_recording(path: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (MB) of `analyze --json` on one recording, in a fresh process."""
    wall, cpu, run = timed(["-c", PEAK_OF_CHILD, sys.executable, "-m", "sensorkit", "analyze", "--json", str(path)])
    return wall, cpu, int(run.stderr.split()[-1]) // 1024


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=10)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sensorkit-jobs-benchmark"))
    parser.add_argument("--per-recording", action="store_true", help="also time one recording alone")
    args = parser.parse_args()

    paths = make_recordings(args.cache, args.recordings, args.hours)
    size_mb = sum(p.stat().st_size for p in paths) / 1e6
    print(f"{len(paths)} recordings of {args.hours:g} h at 100 Hz ({size_mb:.0f} MB); {load()}")
    if args.per_recording:
        wall, cpu, rss = one_recording(paths[0])
        print(f"one recording alone: {wall:.2f} s wall, {cpu:.2f} s CPU, peak RSS {rss} MB "
              f"({cpu / args.hours:.2f} CPU s per hour of data)")
    _, serial_cpu, _ = timed(["-m", "sensorkit", "analyze", "--help"])  # the parent's start; workers import the rest
    rounds = []
    for r in range(args.rounds):
        one, cpu_one, out_one = timed_analyze(paths, 1)
        two, cpu_two, out_two = timed_analyze(paths, 2)
        same = out_one == out_two
        rounds.append((one, two, cpu_one, cpu_two))
        print(f"round {r + 1}: --jobs 1 {one:.1f} s ({cpu_one:.1f} s CPU), --jobs 2 {two:.1f} s ({cpu_two:.1f} s CPU), "
              f"speed-up {one / two:.2f}x, output {'identical' if same else 'DIFFERENT'}; {load()}", flush=True)
        if not same:
            sys.exit("the outputs differ")
    best_one, best_two = min(r[0] for r in rounds), min(r[1] for r in rounds)
    print(f"best: --jobs 1 {best_one:.1f} s, --jobs 2 {best_two:.1f} s, speed-up {best_one / best_two:.2f}x "
          f"(target >= 1.7x on an idle 2-core machine); {load()}")
    # What an idle 2-core machine would give, from CPU seconds (which a busy machine inflates far less than
    # wall time): --jobs 1 takes its CPU time; --jobs 2 the parent's start-up (serial: `analyze --help`'s
    # CPU) plus the rest of its CPU time shared by two workers kept busy (ten equal recordings; each
    # worker imports the signal core itself, in parallel, which the CPU time counts twice).
    cpu_one, cpu_two = min(r[2] for r in rounds), min(r[3] for r in rounds)
    idle_two = serial_cpu + (cpu_two - serial_cpu) / 2
    print(f"projected idle: --jobs 1 {cpu_one:.1f} s, --jobs 2 {idle_two:.1f} s ({serial_cpu:.1f} s start-up + "
          f"{cpu_two - serial_cpu:.1f} s CPU over 2 workers), speed-up {cpu_one / idle_two:.2f}x; "
          f"the pool's extra CPU {cpu_two - cpu_one:+.1f} s")


if __name__ == "__main__":
    main()
