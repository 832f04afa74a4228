"""Start-up time of the ``sensorkit`` command: wall-clock seconds from launch to exit of a whole process.

    python benchmarks/startup_benchmark.py [--runs 5] [--all] [--cold]

Times ``sensorkit --help`` and ``sensorkit analyze --help`` (with ``--all``: every sub-command's
``--help``) as a user types them, through the installed ``sensorkit`` script beside this Python, and
prints the best and the median of ``--runs`` runs each. The best run is the figure quoted (issue 13's
target: ``sensorkit --help`` <= 0.3 s): on a shared machine the others are slowed by whatever else
runs. A bare ``python -c pass`` is timed alongside as the floor no change to SensorKit can go below.

Python's compiled bytecode is cached as on a user's machine (in a temporary folder, after one run that
is not counted), also where ``PYTHONDONTWRITEBYTECODE`` is set, as on this project's machines; ``--cold``
times every run compiling SensorKit's sources afresh instead.
"""

from __future__ import annotations

import argparse
import statistics
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sensorkit.cli.main import COMMANDS


def seconds(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default 5)")
    parser.add_argument("--all", action="store_true", help="every sub-command's --help too")
    parser.add_argument("--cold", action="store_true", help="no bytecode cache: every run compiles the sources")
    opts = parser.parse_args()
    cache = tempfile.TemporaryDirectory(prefix="sensorkit-startup-")
    if opts.cold:  # the installed libraries keep their compiled files; SensorKit's sources are compiled each run
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    else:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache.name
    script = str(Path(sys.executable).with_name("sensorkit"))
    cases = {"python -c pass": [sys.executable, "-c", "pass"], "sensorkit --help": [script, "--help"]}
    for name in COMMANDS if opts.all else ["analyze"]:
        cases[f"sensorkit {name} --help"] = [script, name, "--help"]
    print(f"{'command':<32} {'best s':>7} {'median s':>9}   ({opts.runs} runs each, "
          f"{'no bytecode cache' if opts.cold else 'bytecode cached'})")
    for label, argv in cases.items():
        seconds(argv, env)  # fills the bytecode cache (not counted)
        times = [seconds(argv, env) for _ in range(opts.runs)]
        print(f"{label:<32} {min(times):7.3f} {statistics.median(times):9.3f}")


if __name__ == "__main__":
    main()
