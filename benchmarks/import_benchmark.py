"""Import/export benchmark: a 24 h 100 Hz 6-axis CSV imported, a window read back, exported again
(CSV and Parquet), and the Parquet file imported.

Targets (issue 12): import with peak RSS <= 300 MB and >= 5x faster than before; the imported day
stored in blocks as long as a recorder's (so a 10-minute window loads as fast); CSV export >= 5x
faster; Parquet export bounded in memory.

Run by hand:  python benchmarks/import_benchmark.py [--hours 24] [--python EXE ...] [--keep DIR]

Every command runs in a fresh process that reports its own peak RSS (which includes the ~190 MB of
loading the command-line program itself), so the figures are what a user sees. ``--python`` (repeatable)
picks the interpreters of those processes, run one after the other on the same file: give this
checkout's venv and an interpreter that imports another checkout (say, main before a change) to
compare code under the same machine load. Commands run from the temporary folder, so the current
checkout is not imported by accident. The README's "before" was main at da453ec, unpacked with
``git archive da453ec sensorkit | tar -x -C /tmp/old`` and run by a two-line script
``PYTHONPATH=/tmp/old exec python "$@"`` given as ``--python``.

``--hours 168 --skip-export``: a 7-day file, for the peak memory of an import that long. The CSV
is the interchange format at six decimals: a sensor's int16 counts (+-16 g, +-2000 deg/s) of a
slowly turning, noisy signal, written by sensorkit's fixed-point CSV writer.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sensorkit.fixed_csv import format_rows

START = 1_764_900_000.0  # 2025-12-05 UTC
RATE = 100.0
CHUNK = 360_000  # rows generated at a time (one hour)

RUN = """
import resource, sys, time
from sensorkit.cli.main import main
t0 = time.perf_counter()
code = main(sys.argv[1:])
print("BENCH", time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, code)
"""

WINDOW = """
import sys, time
from sensorkit.store import RecordingReader
with RecordingReader(sys.argv[1]) as reader:
    blocks = reader._rows("SELECT count(*), max(n) FROM blocks")[0]
    t0, runs = time.perf_counter(), 0
    while runs < 3 or time.perf_counter() - t0 < 1.0:
        n = len(reader.samples(43200.0, 43800.0))
        runs += 1
    print("BENCH", (time.perf_counter() - t0) / runs, n, blocks[0], blocks[1])
"""


def write_day(path: Path, hours: float) -> int:
    """The simulated CSV; its number of rows."""
    rows = int(hours * 3600 * RATE)
    rng = np.random.default_rng(12)
    acc_lsb, gyr_lsb = 16.0 / 32768, 2000.0 / 32768
    with path.open("wb") as out:
        out.write(b"time,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n")
        for first in range(0, rows, CHUNK):
            i = np.arange(first, min(rows, first + CHUNK))
            phase = i / RATE / 600.0
            acc = np.column_stack([np.sin(phase), np.cos(phase), 0.2 * np.sin(3 * phase)])
            acc = np.round((acc + rng.normal(0, 0.02, acc.shape)) / acc_lsb) * acc_lsb
            gyr = np.round(rng.normal(0, 15.0, (i.size, 3)) / gyr_lsb) * gyr_lsb
            out.write(format_rows([START + i / RATE, *acc.T, *gyr.T]))
    return rows


def run(python: str, *args: str) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one sensorkit command in a fresh process."""
    done = subprocess.run([python, "-c", RUN, *args], capture_output=True, text=True, cwd=tempfile.gettempdir())
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH")), None)
    if line is None or not line.endswith(" 0"):
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    _, seconds, rss, _ = line.split()
    return float(seconds), float(rss)


def measure(python: str, folder: Path, csv: Path, rec: Path, export: bool) -> dict[str, object]:
    """Import, a 10-minute window read back, and exports, with one interpreter."""
    results: dict[str, object] = {}
    seconds, rss = run(python, "import", str(csv), "-o", str(rec), "--force")
    results.update(import_s=round(seconds, 2), import_peak_rss_mb=round(rss))
    done = subprocess.run([python, "-c", WINDOW, str(rec)], capture_output=True, text=True, cwd=tempfile.gettempdir())
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("BENCH"))
    _, window_s, window_n, blocks, biggest = line.split()
    results.update(window_10min_ms=round(float(window_s) * 1000, 1), window_samples=int(window_n),
                   stored_blocks=int(blocks), largest_block_samples=int(biggest))
    if export:
        for suffix in ("csv", "parquet"):
            out = folder / f"out.{suffix}"
            seconds, rss = run(python, "export", str(rec), "-o", str(out), "--force")
            results.update({f"export_{suffix}_s": round(seconds, 2), f"export_{suffix}_peak_rss_mb": round(rss)})
        seconds, rss = run(python, "import", str(folder / "out.parquet"), "-o", str(rec), "--force")
        results.update(import_parquet_s=round(seconds, 2), import_parquet_peak_rss_mb=round(rss))
    rec.unlink()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--python", action="append", help="interpreter running the commands (repeatable; "
                        "default: this one)")
    parser.add_argument("--keep", type=Path, help="folder to keep the files in (default: a temporary one)")
    parser.add_argument("--skip-export", action="store_true")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="import-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        csv, rec = folder / "day.csv", folder / "day.skr"
        t0 = time.perf_counter()
        rows = write_day(csv, args.hours)
        results: dict[str, object] = {
            "hours": args.hours, "rows": rows, "csv_mb": round(csv.stat().st_size / 1e6, 1),
            "generate_s": round(time.perf_counter() - t0, 1),
        }
        for python in args.python or [sys.executable]:
            results[python] = measure(python, folder, csv, rec, not args.skip_export)
            print(json.dumps(results, indent=2), flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
