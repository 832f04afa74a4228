"""Live pipeline CPU per second of data when the accelerometer offset is learnt as it goes.

    taskset -c 0 python benchmarks/live_benchmark.py [--hours 4]

A live session without a recording-wide offset estimate (every live start: a calibration does not
see the offset) runs :class:`sensorkit.signal.alignment.OnlineBias`, which collects still windows
and refits every 20 s; `posture_benchmark.py`'s live figure has the offset fixed. Both are printed,
on a simulated office day fed in 1 s chunks, gait off (the gait detector has its own benchmark).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sensorkit.signal.alignment import Alignment, alignment_for
from sensorkit.signal.pipeline import Pipeline
from sensorkit.simulator import simulate


def per_second(block, alignment: Alignment) -> float:
    pipe = Pipeline(100.0, alignment, gait=False)
    t0 = time.process_time()
    for start in range(0, len(block), 100):
        pipe.update(block.slice(start, start + 100))
    return (time.process_time() - t0) / (len(block) / 100.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=4.0)
    args = ap.parse_args()
    sim = simulate("office", seed=1, duration_s=args.hours * 3600.0)
    fixed = alignment_for(sim.block.slice(0, 360000), sim.meta)
    online = Alignment(fixed.rotation, "calibration", [], np.zeros(3), fixed.forward_known)
    print(f"{args.hours:g} h office day, 100 Hz, 1 s chunks:")
    print(f"  offset fixed:        {per_second(sim.block, fixed) * 1e3:.3f} ms CPU per second of data")
    print(f"  offset learnt live:  {per_second(sim.block, online) * 1e3:.3f} ms CPU per second of data (target < 1)")


if __name__ == "__main__":
    main()
