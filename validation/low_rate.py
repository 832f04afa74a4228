"""How slow a sensor posture, slouching and bending still work from: the figures behind analyze's lower bound.

    python validation/low_rate.py [--seeds 3] [--rates 25,10,8.7,6,5,4,3,2]

Simulated recordings (demo, bends, slouch; 100 Hz, sensors misaligned up to 20 deg) brought down to
each rate by bin means, as a slow device's own filter does (``evaluate.at_rate``), then analysed as
`sensorkit analyze` does below the gait minimum (no gait) and scored against the simulation's truth.
Prints a markdown table; ``sensorkit.signal.pipeline.MIN_ANALYSIS_RATE_HZ`` is chosen from it.
"""

from __future__ import annotations

import argparse

import numpy as np

from sensorkit.signal.evaluate import evaluate_simulation
from sensorkit.signal.scoring import rms


def line(rate: float, seeds: range) -> str:
    demo, bends, slouch = (evaluate_simulation(s, seeds, sensor_rate_hz=rate) for s in ("demo", "bends", "slouch"))
    pooled = demo.bends + bends.bends
    peaks = np.concatenate([demo.peak_errors, bends.peak_errors])
    static = np.concatenate(demo.static_err + slouch.static_err)
    return (f"| {rate:g} | {pooled.f1:.3f} (P {pooled.precision:.3f}, R {pooled.recall:.3f}) | "
            f"{rms(peaks):.2f} | {(demo.slouches + slouch.slouches).f1:.3f} | "
            f"{demo.posture.balanced_accuracy:.3f} | {rms(static):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rates", default="25,10,8.7,6,5,4,3,2")
    args = parser.parse_args()
    seeds = range(1, args.seeds + 1)
    print(f"simulated demo+bends+slouch, {args.seeds} seeds each, bin means to the rate, analysed without gait\n")
    print("| rate Hz | bend F1 | bend peak error deg RMS | slouch F1 | sit/stand/lie balanced accuracy | static flexion error deg RMS |")
    print("|---|---|---|---|---|---|")
    for rate in (float(r) for r in args.rates.split(",")):
        print(line(rate, seeds), flush=True)


if __name__ == "__main__":
    main()
