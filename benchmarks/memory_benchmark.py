"""Whole-process time and peak memory of `simulate`, `info` and `analyze --json` on a day and a week.

    nice python benchmarks/memory_benchmark.py [--folder DIR] [--days 1 7] [--repeat 3] [--mobgap]

Each command runs as its own process, as a user runs it (imports included); its peak resident memory
(the largest of its own and of the processes it forked, each on its own: not their sum) and its CPU
time (user + system, those processes included) come from the kernel (``wait4``), its time is the
wall clock, best of ``--repeat``. The recordings are
simulated office days at 100 Hz with a gyroscope (``sensorkit simulate --scenario office --seed 1
--duration D``), made once in ``--folder`` (kept for the next run) and timed while being made.
Targets (issue 13): 24 h analyze <= 3 s and <= 300 MB; 7 days <= 20 s and <= 300 MB; info <= 0.5 s;
a 7-day simulate <= 1 GB; mobgap's pipeline on the same data in the same run >= 8x slower (``--mobgap``:
its ``MobilisedPipelineHealthy`` on the shortest recording's samples, timed in this process as
benchmarks/gait_benchmark.py times it, its imports and the loading left out, against analyze's whole
process; needs the [compare] extra). It runs after the table: a process started after this one has
loaded samples would be charged their memory (Linux counts the parent's pages in a child's peak RSS
up to its exec). The machine's load is printed first: on a shared machine, say it
with the figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

SENSORKIT = [sys.executable, "-m", "sensorkit"]


def run(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident MB of one process running ``argv`` (its output discarded)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err.strip()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0  # Linux reports kilobytes


def best_of(argv: list[str], repeat: int) -> tuple[float, float, float]:
    runs = [run(argv) for _ in range(repeat)]
    return min(w for w, _, _ in runs), min(c for _, c, _ in runs), max(m for _, _, m in runs)


def recording(folder: Path, days: float) -> tuple[Path, tuple[float, float, float] | None]:
    """The simulated recording of ``days`` days, made (and measured) if it is not there yet."""
    path = folder / f"office_{days:g}d.skr"
    if path.exists():
        return path, None
    made = run(SENSORKIT + ["simulate", "--scenario", "office", "--seed", "1",
                            "--duration", f"{days * 86400:g}", "-o", str(path)])
    return path, made


def against_mobgap(path: Path, analyzed: tuple[float, float, float]) -> None:
    """mobgap's gait pipeline on the recording's samples, against the analyze process's best time and CPU."""
    from gait_benchmark import bench_mobgap  # the same call, from benchmarks/ (this script's folder)

    from sensorkit.store import RecordingReader

    with RecordingReader(path) as reader:
        block, rate_hz = reader.samples(), reader.meta.rate_hz
    theirs = bench_mobgap(block, rate_hz)
    if theirs is None:
        print("mobgap: not installed (pip install -e '.[compare]'), comparison skipped")
        return
    print(f"mobgap MobilisedPipelineHealthy, same samples: {theirs['wall_s']:.1f} s, {theirs['cpu_s']:.1f} s CPU: "
          f"{theirs['wall_s'] / analyzed[0]:.1f}x analyze's time, {theirs['cpu_s'] / analyzed[1]:.1f}x its CPU",
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path, default=Path("/tmp/sensorkit-memory-benchmark"))
    ap.add_argument("--days", type=float, nargs="+", default=[1.0, 7.0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mobgap", action="store_true", help="time mobgap's gait pipeline on the shortest recording too")
    args = ap.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print("| recording | simulate: time, peak RSS | info: time (best of %d) | analyze --json: time, CPU (best of %d), "
          "peak RSS |" % (args.repeat, args.repeat))
    print("|---|---|---|---|")
    timed = {}
    for days in args.days:
        path, made = recording(args.folder, days)
        info = best_of(SENSORKIT + ["info", str(path), "--json"], args.repeat)
        analyzed = best_of(SENSORKIT + ["analyze", str(path), "--json"], args.repeat)
        made_text = f"{made[0]:.1f} s, {made[2]:.0f} MB" if made else "(made before)"
        print(f"| {days:g} day(s) | {made_text} | {info[0]:.2f} s | {analyzed[0]:.2f} s, {analyzed[1]:.2f} s CPU, "
              f"{analyzed[2]:.0f} MB |", flush=True)
        timed[days] = path, analyzed
    if args.mobgap:
        against_mobgap(*timed[min(timed)])
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
