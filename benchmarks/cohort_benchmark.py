"""What one recording costs a cohort worker, what a cohort run costs, and what the outputs weigh: the
measurements behind the README's "Scaling out" plan (10,000 patients x 1 year).

Run by hand:  python benchmarks/cohort_benchmark.py [--recordings 10] [--hours 8] [--day-hours 24] [--patients 100]
              [--cache DIR]

1. **One recording on a worker**: :func:`sensorkit.trends.file_days` (the cohort's unit of work) in a
   fresh process, after the imports: CPU seconds, wall seconds and the process's peak RSS (Linux); once on a
   recording analysed from its samples, once on the same recording holding a saved analysis
   (`analyze --save`, reused). ``--day-hours`` also measures one recording of that length.
2. **A cohort run**: `sensorkit cohort CACHE -o OUT --jobs 2` over the ``--recordings`` recordings
   (simulated office days at 100 Hz, one patient each; made once into ``--cache``, shared with
   benchmarks/jobs_benchmark.py): wall time against the sum of the per-recording CPU, and the bytes
   of the Parquet dataset per patient-day.
3. **The client's memory**: per patient-day, the rows of ``--patients`` (100) patients x 365 days added up and turned
   into trends as `cohort` does; per recording, its catalog entry, task and account (tracemalloc).
   And the Parquet bytes per patient-day of the dataset `cohort` writes for those 100 patient-years.

Recording size on disk per hour of data is printed too. The load average is printed: on a shared
machine wall times are upper bounds, CPU seconds much less so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

from jobs_benchmark import load, make_recording  # the same cached recordings as the --jobs benchmark

# Peak RSS from /proc's VmHWM: getrusage's ru_maxrss survives exec, so it would count the parent's.
WORKER_SCRIPT = """
import json, sys, time
from pathlib import Path
from sensorkit.signal.profile import Profile
from sensorkit.trends import DaysTask, file_days
import sensorkit.signal.pipeline  # the worker's imports, before the clock starts
def peak_mb():
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    return int(line.split()[1]) // 1024
after_import = peak_mb()
cpu, wall = time.process_time(), time.perf_counter()
source, rows, zone, _gait = file_days(DaysTask(Path(sys.argv[1]), Profile(), None, None))
print(json.dumps({"source": source, "days": len(rows), "cpu_s": time.process_time() - cpu,
                  "wall_s": time.perf_counter() - wall, "rss_after_import_mb": after_import,
                  "peak_rss_mb": peak_mb()}))
"""


def worker_cost(path: Path) -> dict:
    run = subprocess.run([sys.executable, "-c", WORKER_SCRIPT, str(path)], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"file_days failed on {path}: {run.stderr.strip()}")
    return json.loads(run.stdout)


def show_worker(label: str, cost: dict, hours: float) -> None:
    print(f"{label}: {cost['source']}, {cost['days']} day(s), {cost['cpu_s']:.2f} s CPU "
          f"({cost['cpu_s'] / hours:.3f} s per hour of data), {cost['wall_s']:.2f} s wall, "
          f"peak RSS {cost['peak_rss_mb']} MB ({cost['rss_after_import_mb']} MB after the imports)", flush=True)


def year_of_days(patients: int, days: int = 365) -> tuple[list, float]:
    """``patients`` x ``days`` per-day rows added up and trended as `cohort` does; tracemalloc peak per row."""
    from sensorkit.trends import _ZERO, add_up, patient_trends

    tracemalloc.start()
    results = []
    for p in range(patients):
        rows = {date(2026, 1, 1) + timedelta(days=d): (1, add_up([dict(_ZERO, worn_s=3600.0 * (d % 9), bends=d % 40)]))
                for d in range(days)}
        results.append(patient_trends(f"P{p:05d}", rows))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return results, peak / (patients * days)


def client_bytes_per_file(files: int) -> float:
    """tracemalloc peak, per file, of what the client keeps for each recording: its catalog entry, its
    task and its account (``files`` recordings of 365-day patients)."""
    from datetime import datetime, timezone

    from sensorkit.signal.profile import Profile
    from sensorkit.store.catalog import Entry
    from sensorkit.trends import DaysTask, FileResult

    profile = Profile()
    tracemalloc.start()
    kept = []
    for i in range(files):
        patient, name = f"P{i // 365:05d}", f"P{i // 365:05d}/2026-{i % 365:03d}.skr"
        entry = Entry(Path("/cohort") / name, name, patient, datetime(2026, 1, 1, tzinfo=timezone.utc), 86400.0,
                      "sensorkit SensorKit-01", timezone="Europe/Berlin")
        kept.append((entry, DaysTask(entry.path, profile, None, None),
                     FileResult(entry.path, name, patient, "analysed", timezone="Europe/Berlin")))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / files


def parquet_bytes_per_day(patients: list, folder: Path) -> float:
    """The dataset `cohort` writes for these patients' years, in bytes per patient-day."""
    from sensorkit.cohort import write_dataset
    from sensorkit.trends import FolderTrends

    out = folder / "year.parquet"
    write_dataset(FolderTrends(folder, patients, []), out, overwrite=False)
    return sum(f.stat().st_size for f in out.rglob("*.parquet")) / sum(len(p.days) for p in patients)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=10)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--day-hours", type=float, default=24.0, help="one recording of this length too (0: no)")
    parser.add_argument("--patients", type=int, default=100, help="patient-years the client's memory is measured on")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sensorkit-jobs-benchmark"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    paths = [make_recording(args.cache, i, args.hours) for i in range(args.recordings)]
    mb_per_hour = sum(p.stat().st_size for p in paths) / 1e6 / (args.hours * len(paths))
    print(f"{len(paths)} recordings of {args.hours:g} h at 100 Hz: {mb_per_hour:.2f} MB per hour of data; {load()}")

    from sensorkit.cohort import describe_batch

    started = time.process_time()
    describe_batch((paths, args.cache))
    print(f"listing: {(time.process_time() - started) / len(paths) * 1e3:.1f} ms CPU per recording (its header)")
    analysed = worker_cost(paths[0])
    show_worker(f"one {args.hours:g} h recording, analysed", analysed, args.hours)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / paths[0].name
        shutil.copyfile(paths[0], copy)
        subprocess.run([sys.executable, "-m", "sensorkit", "analyze", "--save", str(copy)], capture_output=True, check=True)
        show_worker(f"the same with a saved analysis", worker_cost(copy), args.hours)
    if args.day_hours:
        day = make_recording(Path(args.cache), 99, args.day_hours)
        show_worker(f"one {args.day_hours:g} h recording, analysed", worker_cost(day), args.day_hours)

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "days.parquet"
        folder = Path(tmp) / "cohort"
        folder.mkdir()
        for p in paths:  # only the --recordings ones (the cache may hold others); links out are not followed
            os.link(p, folder / p.name)
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "sensorkit", "cohort", str(folder), "-o", str(out), "--jobs", "2"],
                             capture_output=True, text=True)
        wall = time.perf_counter() - started
        if run.returncode != 0:
            sys.exit(f"cohort failed: {run.stderr.strip()}")
        parquet = sum(f.stat().st_size for f in out.rglob("*.parquet"))
        rows = int(run.stdout.split(": ", 1)[1].split(" ", 1)[0])
        print(f"cohort of {len(paths)} recordings on a local 2-process cluster: {wall:.1f} s wall "
              f"(their CPU one after another: ~{analysed['cpu_s'] * len(paths):.1f} s); {rows} patient-days, "
              f"{parquet / rows / 1e3:.1f} kB of Parquet per patient-day with one patient a recording; {load()}")
        print("  " + run.stdout.strip())
    patients, per_row = year_of_days(args.patients)
    files = 200 * args.patients
    print(f"client: {per_row:.0f} bytes per patient-day row ({args.patients} patients x 365 days, tracemalloc peak), "
          f"{client_bytes_per_file(files):.0f} bytes per recording listed ({files:,})")
    with tempfile.TemporaryDirectory() as tmp:
        print(f"dataset: {parquet_bytes_per_day(patients, Path(tmp)):.0f} bytes of Parquet per patient-day "
              f"({args.patients} patients x 365 days, one file per patient)")


if __name__ == "__main__":
    main()
