"""How long the simulator takes for the two 8-hour days, and what they occupy on disk.

Run by hand:  python benchmarks/simulator_speed.py [--rate 100] [--hours 8] [--keep FOLDER]

Target (issue 2 brief): an 8 h day at 100 Hz generates in well under 20 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sensorkit.simulator import save_simulation, simulate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--hours", type=float, help="length of each day (default: the scenario's own, 8 h)")
    parser.add_argument("--keep", type=Path, help="write the recordings here instead of a temporary folder")
    args = parser.parse_args()
    duration_s = args.hours * 3600 if args.hours else None
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        for scenario, seed in (("office", 1), ("warehouse", 1)):
            t0 = time.perf_counter()
            sim = simulate(scenario, seed, duration_s=duration_s, rate_hz=args.rate)
            t1 = time.perf_counter()
            path = folder / f"{scenario}.skr"
            save_simulation(sim, path, overwrite=True)
            t2 = time.perf_counter()
            print(f"{scenario:9s} {len(sim.block):8d} samples: simulate {t1 - t0:5.1f} s, "
                  f"save {t2 - t1:5.1f} s, {path.stat().st_size / 1e6:5.1f} MB, "
                  f"{len(sim.truth.events)} truth events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
