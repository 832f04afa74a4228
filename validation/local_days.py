"""Validation of local days and one timeline per patient (issue 10), with the commands a developer types.

    python validation/local_days.py [--folder DIR] [--rate 100]

Builds, with `sensorkit simulate` only, (1) patient P010's three 8-hour office days starting 09:00 in
Sydney, (2) patient P020's week of 8-hour evening recordings (20:00-04:00 in Sydney) across the night
daylight saving ends (6 April 2025: that Sunday is 25 hours long and the 02:00-03:00 hour happens
twice), then (3) a copy of one of P010's days in the same folder. For each it runs `sensorkit trends
FOLDER --json` (and `--tz UTC`) and prints the days and hours it reports. Exit 1 if a figure is not the
one the issue asks for. Simulated data only: no real recording spans several days.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HOURS = 8 * 3600.0


def sensorkit(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "sensorkit.cli.main", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"sensorkit {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def simulate(folder: Path, patient: str, start: str, rate: str, seed: int) -> Path:
    out = folder / patient / f"{start[:10]}.skr"
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        sensorkit("simulate", "--scenario", "office", "--seed", str(seed), "--rate", rate, "--start", start,
                  "--tz", "Australia/Sydney", "--patient", patient, "-o", str(out))
    return out


def days(folder: Path, patient: str, *extra: str) -> tuple[list[tuple[str, float]], dict]:
    doc = json.loads(sensorkit("trends", str(folder), "--json", "--patient", patient, *extra))
    (p,) = doc["patients"]
    return [(d["date"], d["recording_s"]) for d in p["days"]], p


def report(label: str, rows: list[tuple[str, float]]) -> None:
    print(f"{label}: {len(rows)} days, " + ", ".join(f"{d} {s / 3600:.3f} h" for d, s in rows)
          + f"; total {sum(s for _, s in rows) / 3600:.3f} h")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help="where to build the patients' folder (default: a temporary one)")
    parser.add_argument("--rate", default="100", help="sampling rate of the simulations (default 100 Hz)")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="sensorkit-local-days-"))
    failures = []

    for i, day in enumerate(("03", "04", "05")):
        simulate(folder, "P010", f"2025-03-{day}T09:00", args.rate, i)
    local, _ = days(folder, "P010")
    utc, _ = days(folder, "P010", "--tz", "UTC")
    report("P010 Sydney days", local)
    report("P010 UTC days   ", utc)
    if [round(s) for _, s in local] != [HOURS] * 3:
        failures.append("P010: not 3 days of 8 h")

    for i, day in enumerate(range(2, 9)):
        simulate(folder, "P020", f"2025-04-{day:02d}T20:00", args.rate, 10 + i)
    week, p = days(folder, "P020")
    report("P020 week over the DST change", week)
    total = sum(s for _, s in week)
    print(f"P020: {total:.3f} s counted, {7 * HOURS:.0f} s recorded; zones {p['timezones']}")
    if abs(total - 7 * HOURS) > 7 / float(args.rate):  # each recording: one sample period of rounding at most
        failures.append("P020: the week's days do not add up to the recorded hours")

    copy = folder / "P010" / "2025-03-04-copy.skr"
    shutil.copy(folder / "P010" / "2025-03-04.skr", copy)
    again, p = days(folder, "P010")
    print(f"P010 with a copy of 2025-03-04: days unchanged: {again == local}; named: {p['overlaps']}")
    if again != local or len(p["overlaps"]) != 1:
        failures.append("P010: the copy changed the days or was not named")
    copy.unlink()

    for f in failures:
        print(f"FAILED: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
