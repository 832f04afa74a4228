"""Simulated vs real lower-back walking accelerations (Voisard et al. 2023 L5 data, 19 subjects).

For every real trial: the straight walking stretches (trial boundaries minus the U-turn, 1 s trimmed
at each end), their cadence from the reference footsteps, and the RMS of the vertical acceleration
(along the mean gravity direction), of the horizontal acceleration (the rest) and of the angular
rate. Then the simulator
walks at the same cadence for 25 s (seed = trial index) and the same numbers are computed over its
bout. Printed: the medians and interquartile ranges, and the sim/real ratios.

Run by hand (needs ../shared/data):  python benchmarks/simulator_walking_vs_real.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sensorkit.datasets.location import default_shared_data
from sensorkit.simulator import Activity, simulate_activities

DATA = default_shared_data(Path(__file__).resolve().parents[1]) / "voisard_gait_L5" / "GaitData"


def rms_split(acc: np.ndarray) -> tuple[float, float]:
    """RMS of the vertical (along mean gravity) and horizontal dynamic acceleration."""
    up = acc.mean(axis=0)
    up /= np.linalg.norm(up)
    dyn = acc - acc.mean(axis=0)
    vertical = dyn @ up
    horizontal = dyn - np.outer(vertical, up)
    return float(np.sqrt(np.mean(vertical**2))), float(np.sqrt(np.mean(np.sum(horizontal**2, axis=1))))


def gyro_rms(gyr: np.ndarray) -> float:
    """RMS of the angular rate magnitude (rad/s) about its mean (the mean is bias and slow turning)."""
    return float(np.sqrt(np.mean(np.sum((gyr - gyr.mean(axis=0)) ** 2, axis=1))))


def real_trials(limit: int | None) -> list[dict]:
    rows = []
    for meta_path in sorted(DATA.glob("*.json"))[:limit]:
        meta = json.loads(meta_path.read_text())
        table = pd.read_csv(meta_path.with_name(meta_path.stem + "_lb.txt.gz"), sep="\t", skiprows=1)
        acc = table[["Acc_X", "Acc_Y", "Acc_Z"]].to_numpy()
        gyr = table[["Gyr_X", "Gyr_Y", "Gyr_Z"]].to_numpy()
        steps = np.array(sorted(s for s, _ in meta["LeftFootEvents"] + meta["RightFootEvents"]))
        (t0, t1), (u0, u1) = meta["TrialBoundaries"], meta["UTurnBoundaries"]
        for a, b in ((t0 + 100, u0 - 100), (u1 + 100, t1 - 100)):
            inside = steps[(steps >= a) & (steps <= b)]
            if len(inside) < 6:
                continue
            cadence = (len(inside) - 1) / ((inside[-1] - inside[0]) / 100.0)
            v, h = rms_split(acc[inside[0]:inside[-1]])
            rows.append({"trial": meta_path.stem, "cadence": cadence, "vertical": v, "horizontal": h,
                         "rate": gyro_rms(gyr[inside[0]:inside[-1]])})
    return rows


def simulated(cadence: float, seed: int) -> tuple[float, float, float]:
    cadence = float(np.clip(cadence, 1.45, 2.15))
    sim = simulate_activities([Activity("stand", 3), Activity("walk", 25, {"cadence": cadence}),
                               Activity("stand", 3)], seed)
    bout = sim.truth.of_type("walking_bout")[0]
    i0, i1 = np.searchsorted(sim.block.t, [bout.start + 1.0, bout.end - 1.0])
    return (*rms_split(sim.block.acc[i0:i1]), gyro_rms(sim.block.gyr[i0:i1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N real trials (a quick run)")
    limit = parser.parse_args().limit
    if not DATA.is_dir():
        print(f"needs the real recordings at {DATA}", file=sys.stderr)
        return 1
    real = pd.DataFrame(real_trials(limit))
    sims = [simulated(c, i) for i, c in enumerate(real["cadence"])]
    real["sim_vertical"] = [s[0] for s in sims]
    real["sim_horizontal"] = [s[1] for s in sims]
    real["sim_rate"] = [s[2] for s in sims]
    q = lambda x: f"{np.median(x):.2f} [{np.percentile(x, 25):.2f}-{np.percentile(x, 75):.2f}]"  # noqa: E731
    print(f"{len(real)} straight walking stretches from {real['trial'].nunique()} trials; "
          f"cadence {q(real['cadence'])} steps/s")
    print(f"vertical RMS m/s^2    real {q(real['vertical'])}   simulated {q(real['sim_vertical'])}")
    print(f"horizontal RMS m/s^2  real {q(real['horizontal'])}   simulated {q(real['sim_horizontal'])}")
    print(f"angular rate RMS rad/s real {q(real['rate'])}   simulated {q(real['sim_rate'])}")
    print(f"ratio sim/real (median): vertical {np.median(real['sim_vertical'] / real['vertical']):.2f}, "
          f"horizontal {np.median(real['sim_horizontal'] / real['horizontal']):.2f}")
    slope = lambda y: np.polyfit(real["cadence"], y, 1)[0]  # noqa: E731
    print(f"vertical RMS per step/s of cadence: real {slope(real['vertical']):.2f}, "
          f"simulated {slope(real['sim_vertical']):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
