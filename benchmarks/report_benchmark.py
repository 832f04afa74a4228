"""How long `sensorkit report` takes for a patient's weeks of eight-hour days, HTML and PDF, and how big they are.

Run by hand:  python benchmarks/report_benchmark.py [--weeks 2] [--days-per-week 3] [--hours 8] [--jobs 1 2]
              [--cache DIR]

The patient's folder is made once into ``--cache`` (simulated office days, 100 Hz with gyroscope, in
Europe/London, Monday onwards) and reused. Each report is written by ``sensorkit report`` in a fresh
process, twice: **first** with a profile whose analysis is not saved in the recordings (the days are
analysed, and the analysis saved with each recording), then **again** with the same profile (the saved
analyses are reused: what a therapist sees the second time, and after ``record``/``import``, which save
it). Two profiles that differ only in a threshold's last digit (6.01 and 5.99 deg slouch tolerance)
take turns, so each "first" run finds the other's analysis saved and analyses again. The figures are
wall-clock and CPU seconds (the process and its workers), the file's size and, for the PDF, its pages.
The load average is printed: on a shared machine wall time says as much about the neighbours as
about the report.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path


def make_folder(cache: Path, weeks: int, per_week: int, hours: float) -> Path:
    folder = cache / f"P-bench-{weeks}w{per_week}d-{hours:g}h"
    (folder / "B1").mkdir(parents=True, exist_ok=True)
    monday = date(2025, 3, 3)
    for w in range(weeks):
        for d in range(per_week):
            day = monday + timedelta(weeks=w, days=d)
            path = folder / "B1" / f"{day}.skr"
            if path.exists():
                continue
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "sensorkit", "simulate", "--scenario", "office", "--seed",
                            str(w * 7 + d), "--duration", str(int(hours * 3600)), "--start", f"{day}T08:30",
                            "--tz", "Europe/London", "--patient", "B1", "-o", str(path), "-q"],
                           check=True, capture_output=True)
            print(f"made {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return folder


def timed_report(folder: Path, out: Path, jobs: int, profile: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sensorkit", "report", str(folder), "-o", str(out), "--force",
                    "--jobs", str(jobs), "--profile", str(profile), "-q"], check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def profiles(cache: Path) -> list[Path]:
    """Two profiles whose analyses differ (a threshold's last digit), to take turns."""
    out = []
    for name, value in (("a", 6.01), ("b", 5.99)):
        path = cache / f"profile-{name}.toml"
        path.write_text(f"[thresholds]\nslouch_tolerance_deg = {value}\n")
        out.append(path)
    return out


def pages(pdf: Path) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:
        return -1
    return len(PdfReader(pdf).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=2)
    parser.add_argument("--days-per-week", type=int, default=3)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sensorkit-report-benchmark"))
    args = parser.parse_args()

    folder = make_folder(args.cache, args.weeks, args.days_per_week, args.hours)
    n = args.weeks * args.days_per_week
    one, five, fifteen = os.getloadavg()
    print(f"{n} days of {args.hours:g} h ({n * args.hours:g} h of 100 Hz data) over {args.weeks} weeks; "
          f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} cores")
    turn = profiles(args.cache)
    for jobs in args.jobs:
        for suffix in ("html", "pdf"):
            profile = turn[0]
            turn.reverse()
            out = args.cache / f"report.{suffix}"
            for when in ("first", "again"):
                wall, cpu = timed_report(folder, out, jobs, profile)
                extra = f", {pages(out)} pages" if suffix == "pdf" else ""
                print(f"--jobs {jobs} {suffix:4s} {when:5s}: {wall:5.1f} s wall, {cpu:5.1f} s CPU, "
                      f"{out.stat().st_size / 1e6:.2f} MB{extra}", flush=True)

if __name__ == "__main__":
    main()
