"""kill -9 at random moments of `sensorkit import --force` and `sensorkit export --force` (issue 15).

    python validation/kill_trials.py [--trials 20] [--seed 0] [--rows 60000]

Each trial starts from a folder where the target already exists (a 3,000-sample recording for
import, the CSV export of it for export), starts the command that replaces it with a bigger one
(``--rows`` samples) and sends SIGKILL. Half the trials kill at a time drawn uniformly over a whole
run (start-up, parsing, writing); the other half wait until the command's temporary file appears and
kill at a time drawn uniformly over the measured writing phase, so every such kill lands while the
new file is half written. Then the target is checked:

- import: the recording opens and holds exactly the old or the new number of samples;
- export: the file is byte for byte the old export, or re-imports with every new row and no
  skipped line; a file that imports as whole with fewer rows would be "half accepted".

The run prints the outcome counts; the promise is 0 lost or emptied and 0 half accepted. The test
``tests/test_commands_faults.py`` runs a few trials of each in CI; this script is the 20-trial run.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from sensorkit.cli.main import main as sensorkit_main

OLD_ROWS = 3_000
START = 1_764_900_000.0


def sensorkit(*args: str) -> list[str]:
    return [sys.executable, "-m", "sensorkit.cli", *args]


def write_csv(path: Path, rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"time": START + np.arange(rows) / 100.0})
    for name in ("acc_x", "acc_y", "acc_z"):
        frame[name] = rng.normal(0, 0.5, rows)
    for name in ("gyr_x", "gyr_y", "gyr_z"):
        frame[name] = rng.normal(0, 30, rows)
    frame.to_csv(path, index=False, float_format="%.6f")


def prepare(folder: Path, rows: int) -> dict[str, Path]:
    """The inputs every trial starts from, made once."""
    paths = {name: folder / name for name in ("old.csv", "new.csv", "old.skr", "new.skr", "old-export.csv")}
    write_csv(paths["old.csv"], OLD_ROWS, 1)
    write_csv(paths["new.csv"], rows, 2)
    for args in (("import", "old.csv", "-o", "old.skr"), ("import", "new.csv", "-o", "new.skr"),
                 ("export", "old.skr", "-o", "old-export.csv")):
        if sensorkit_main([str(folder / a) if "." in a else a for a in args]) != 0:
            raise RuntimeError(f"sensorkit {' '.join(args)} failed")
    return paths


def temp_files(target: Path) -> list[Path]:
    """The temporary files sensorkit.files.replacing makes beside ``target`` (``.NAME.xxxx.part``)."""
    return [p for p in target.parent.glob(f".{target.name}.*.part")]


def run_and_kill(cmd: list[str], target: Path, delay: float, after_temp: bool) -> bool:
    """Start ``cmd``, SIGKILL it ``delay`` s after start (or after its temporary file appears).

    Returns True when the kill landed after the temporary file existed (the write had begun)."""
    for stale in temp_files(target):
        stale.unlink()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    if after_temp:
        while not temp_files(target) and proc.poll() is None and time.monotonic() - t0 < 60:
            time.sleep(0.002)
        t0 = time.monotonic()
    while time.monotonic() - t0 < delay and proc.poll() is None:
        time.sleep(0.002)
    writing = bool(temp_files(target))
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return writing


def phases(cmd: list[str], target: Path, reset: callable) -> tuple[float, float]:
    """Measured time of one full run, and how long its temporary file existed (the writing phase)."""
    reset()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    appeared = gone = None
    while proc.poll() is None:
        present = bool(temp_files(target))
        if appeared is None and present:
            appeared = time.monotonic()
        if appeared is not None and gone is None and not present:
            gone = time.monotonic()
        time.sleep(0.001)
    end = time.monotonic()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed with exit {proc.returncode}")
    if appeared is None:  # written between two polls of a busy machine: a short phase
        return end - t0, 0.01
    return end - t0, (gone or end) - appeared


def import_outcome(target: Path, new_rows: int) -> str:
    from sensorkit.errors import SensorKitError
    from sensorkit.store import RecordingReader

    try:
        with RecordingReader(target) as reader:
            n = reader.sample_count()
    except SensorKitError:
        return "lost or damaged"
    return {OLD_ROWS: "old", new_rows: "new"}.get(n, f"wrong count {n}")


def export_outcome(target: Path, old_bytes: bytes, new_rows: int) -> str:
    from sensorkit.errors import SensorKitError
    from sensorkit.importer import read_csv

    if not target.exists():
        return "lost"
    if target.read_bytes() == old_bytes:
        return "old"
    try:
        block, _, report = read_csv(target)
    except SensorKitError:
        return "damaged, refused"
    if len(block) == new_rows and not report.bad_lines:
        return "new"
    return "half, reported" if report.cut_short else "half accepted as whole"


def trials(folder: Path, paths: dict[str, Path], n: int, rng: random.Random, new_rows: int) -> dict[str, Counter]:
    """``n`` import and ``n`` export kills; outcome counts per command (and kills during the write)."""
    results: dict[str, Counter] = {}
    rec, out = folder / "target.skr", folder / "target.csv"
    old_export = paths["old-export.csv"].read_bytes()

    def reset_rec() -> None:
        shutil.copyfile(paths["old.skr"], rec)

    def reset_out() -> None:
        shutil.copyfile(paths["old-export.csv"], out)

    jobs = {
        "import": (sensorkit("import", str(paths["new.csv"]), "-o", str(rec), "--force"), rec, reset_rec,
                   lambda: import_outcome(rec, new_rows)),
        "export": (sensorkit("export", str(paths["new.skr"]), "-o", str(out), "--force"), out, reset_out,
                   lambda: export_outcome(out, old_export, new_rows)),
    }
    for name, (cmd, target, reset, outcome) in jobs.items():
        whole, writing = phases(cmd, target, reset)
        counts: Counter = Counter()
        for i in range(n):
            reset()
            during_write = i % 2 == 1
            span = writing if during_write else whole
            delay = span * (i // 2 + rng.random()) / ((n + 1) // 2)  # stratified over the span
            if run_and_kill(cmd, target, delay, after_temp=during_write):
                counts["killed while writing"] += 1
            counts[outcome()] += 1
        counts["run s"] = round(whole, 2)
        counts["write s"] = round(writing, 2)
        results[name] = counts
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", type=int, default=60_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sensorkit-kill-") as tmp:
        folder = Path(tmp)
        paths = prepare(folder, args.rows)
        results = trials(folder, paths, args.trials, random.Random(args.seed), args.rows)
    bad = 0
    for name, counts in results.items():
        print(f"{name}: {args.trials} kills: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        bad += sum(v for k, v in counts.items() if k not in ("old", "new", "half, reported",
                                                             "killed while writing", "run s", "write s"))
    print("PASS: nothing lost, emptied or half accepted" if bad == 0 else f"FAIL: {bad} bad outcomes")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
