"""Simulated vs real bends at the waist: peak trunk tilt, bend duration, peak angular rate.

Real: SisFall (Sucerquia et al. 2017) D16 "bend without bending the knees" (stoop) and D15 "bend at
the knees" (squat), 38 subjects x 5 trials, waist device at 200 Hz. Tilt is the angle between the
low-passed (1 Hz) acceleration and its direction over the first second (standing); a bend runs
while the tilt exceeds 20 % of its peak; angular rate is the gyroscope magnitude. Note SisFall
asked for *slow* bends. Simulated: the same numbers on the ``bends`` scenario's stoops and squats
(seeds 0-19, 100 Hz), measured from the samples the same way, not read from the truth.

Run by hand (needs ../shared/data):  python benchmarks/simulator_bends_vs_real.py [--limit N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import butter, sosfiltfilt

from sensorkit.datasets.location import default_shared_data
from sensorkit.simulator import simulate

DATA = default_shared_data(Path(__file__).resolve().parents[1]) / "sisfall_waist"
ACC_SCALE = 2 * 16 / 2**13  # g per count, ADXL345 13 bit +-16 g
GYR_SCALE = 2 * 2000 / 2**16  # deg/s per count, ITG3200


def bend_metrics(t: np.ndarray, acc: np.ndarray, gyr_deg: np.ndarray, rate: float,
                 ref: slice) -> tuple[float, float, float]:
    """(peak tilt deg, duration s, peak angular rate deg/s) of the largest tilt excursion."""
    smooth = sosfiltfilt(butter(2, 1.0, fs=rate, output="sos"), acc, axis=0)
    up = smooth[ref].mean(axis=0)
    up /= np.linalg.norm(up)
    cosang = smooth @ up / np.linalg.norm(smooth, axis=1)
    tilt = np.degrees(np.arccos(np.clip(cosang, -1, 1)))
    k = int(np.argmax(tilt))
    over = tilt > 0.2 * tilt[k]
    i0 = k - int(np.argmin(over[k::-1])) if not over[:k + 1].all() else 0
    i1 = k + int(np.argmin(over[k:])) if not over[k:].all() else len(t) - 1
    rate_mag = np.linalg.norm(sosfiltfilt(butter(2, 5.0, fs=rate, output="sos"), gyr_deg, axis=0), axis=1)
    return float(tilt[k]), float(t[i1] - t[i0]), float(rate_mag[i0:i1 + 1].max())


def real(code: str, limit: int | None) -> np.ndarray:
    rows = []
    for path in sorted(DATA.glob(f"*/{code}_*.txt.gz"))[:limit]:
        raw = pd.read_csv(path, header=None, usecols=range(6), skipinitialspace=True,
                          converters={5: lambda s: float(str(s).rstrip(";"))}).to_numpy(float)
        t = np.arange(len(raw)) / 200.0
        rows.append(bend_metrics(t, raw[:, :3] * ACC_SCALE, raw[:, 3:6] * GYR_SCALE, 200.0, slice(0, 200)))
    return np.array(rows)


def simulated(style: str, seeds: int) -> np.ndarray:
    rows = []
    for seed in range(seeds):
        sim = simulate("bends", seed)
        for e in sim.truth.of_type("bend"):
            if e.fields["style"] != style:
                continue
            i0, i1 = np.searchsorted(sim.block.t, [e.start - 3.0, e.end + 3.0])
            b = sim.block.slice(int(i0), int(i1))
            rows.append(bend_metrics(b.t, b.acc, np.degrees(b.gyr), 100.0, slice(0, 100)))
    return np.array(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N real trials and N simulated seeds (a quick run)")
    limit = parser.parse_args().limit
    if not DATA.is_dir():
        print(f"needs the real recordings at {DATA}", file=sys.stderr)
        return 1
    q = lambda x: f"{np.median(x):6.1f} [{np.percentile(x, 25):.1f}-{np.percentile(x, 75):.1f}]"  # noqa: E731
    print("median [IQR]            peak tilt deg         duration s          peak rate deg/s")
    for style, code in (("stoop", "D16"), ("squat", "D15")):
        for name, m in ((f"real {code}", real(code, limit)), ("simulated", simulated(style, limit or 20))):
            print(f"{style:6s} {name:10s} n={len(m):3d}  {q(m[:, 0])}   {q(m[:, 1])}   {q(m[:, 2])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
