"""What `record --raw` adds to a recording's size, per emulated kind, and that redecode reproduces it.

    python benchmarks/raw_capture_size.py [--minutes 5] [--scenario office] [--speed 20] [--kinds a,b]

For each kind: the same simulated scenario (its supported rate nearest 100 Hz), the same seed, recorded
through the emulator twice, without and with ``--raw``; the figure is the growth of the recording file
(the simulator's ground truth is not attached, as for a real sensor), with the raw capture's bytes per
sample beside the stored samples' (the store's blocks). Each raw recording is then redecoded and must
be identical to its stored samples.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
from pathlib import Path

from sensorkit.ble.redecode import redecode
from sensorkit.ble.sessions import record_emulated
from sensorkit.emulator.registry import kinds
from sensorkit.emulator.sources import simulated, simulation_rate


def blocks_bytes(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT sum(length(payload)) FROM blocks").fetchone()[0] or 0)


def measure(kind: str, scenario: str, minutes: float, speed: float, folder: Path) -> dict:
    source = simulated(scenario, 1, minutes * 60, simulation_rate(kind, 100.0))
    sizes = {}
    for raw in (False, True):
        path = folder / f"{kind}-{'raw' if raw else 'plain'}.skr"
        result = asyncio.run(record_emulated(kind, source, path, speed=speed, seed=1, raw=raw))
        sizes[raw] = path.stat().st_size
    again = redecode(path)
    n = result.stats.samples_stored
    return {"kind": kind, "samples": n, "plain": sizes[False], "raw": sizes[True],
            "growth": sizes[True] / sizes[False] - 1, "capture": result.stats.raw_capture_bytes,
            "capture_per_sample": result.stats.raw_capture_bytes / n, "blocks_per_sample": blocks_bytes(path) / n,
            "identical": again.identical}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--scenario", default="office")
    ap.add_argument("--speed", type=float, default=20.0)
    ap.add_argument("--kinds", default=",".join(kinds()))
    args = ap.parse_args()
    print(f"{args.minutes:g} min of scenario {args.scenario!r} per kind, recorded without and with --raw")
    print(f"{'kind':<11} {'samples':>7} {'plain B':>9} {'raw B':>9} {'growth':>7} {'capture B/sample':>17} "
          f"{'blocks B/sample':>16}  redecode")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds.split(","):
            r = measure(kind, args.scenario, args.minutes, args.speed, Path(tmp))
            print(f"{r['kind']:<11} {r['samples']:>7} {r['plain']:>9} {r['raw']:>9} {r['growth']:>7.0%} "
                  f"{r['capture_per_sample']:>17.2f} {r['blocks_per_sample']:>16.2f}  "
                  f"{'identical' if r['identical'] else 'DIFFERS'}")


if __name__ == "__main__":
    main()
