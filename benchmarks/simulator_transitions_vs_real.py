"""Simulated vs real posture transitions: duration and peak angular rate.

Real: UCI HAPT (Reyes-Ortiz et al. 2016), smartphone on the waist, 50 Hz, 30 subjects, transitions
annotated from video (start and end sample). Simulated: the transitions of the ``static`` and
``demo`` scenarios, seeds 0-29 (durations from the truth events, angular rate from the samples).
The peak angular rate is the maximum gyroscope magnitude (low-passed at 5 Hz) within the transition.
Labelled boundaries are a video annotator's, the simulator's are the movement's own; expect the
real durations to include some stillness at the ends.

Run by hand (needs ../shared/data):  python benchmarks/simulator_transitions_vs_real.py [--limit N]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import butter, sosfiltfilt

from sensorkit.datasets.location import default_shared_data
from sensorkit.simulator import simulate

DATA = default_shared_data(Path(__file__).resolve().parents[1]) / "uci_hapt" / "RawData"
KINDS = {7: "stand_to_sit", 8: "sit_to_stand", 9: "sit_to_lie", 10: "lie_to_sit"}


def peak_rate(gyr: np.ndarray, rate: float) -> float:
    smooth = sosfiltfilt(butter(2, 5.0, fs=rate, output="sos"), gyr, axis=0)
    return float(np.degrees(np.linalg.norm(smooth, axis=1).max()))


def real(limit: int | None) -> dict[str, list[tuple[float, float]]]:
    labels = pd.read_csv(DATA / "labels.txt", sep=" ", header=None, names=["exp", "user", "act", "a", "b"])
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for (exp, user), rows in list(labels.groupby(["exp", "user"]))[:limit]:
        path = DATA / f"gyro_exp{exp:02d}_user{user:02d}.txt.gz"
        if not path.exists():
            continue
        gyr = pd.read_csv(path, sep=" ", header=None).to_numpy(float)
        for r in rows.itertuples():
            if r.act in KINDS:
                pad = 25  # 0.5 s each side, for the filter
                seg = gyr[max(0, r.a - pad):r.b + pad]
                out[KINDS[r.act]].append(((r.b - r.a) / 50.0, peak_rate(seg, 50.0)))
    return out


def simulated(seeds: int) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for seed in range(seeds):
        for scenario in ("static", "demo"):
            sim = simulate(scenario, seed)
            for e in sim.truth.of_type("transition"):
                if e.fields["kind"] not in KINDS.values():
                    continue
                i0, i1 = np.searchsorted(sim.block.t, [e.start - 0.5, e.end + 0.5])
                out[e.fields["kind"]].append((e.duration, peak_rate(sim.block.gyr[i0:i1], 100.0)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N real experiments and N simulated seeds (a quick run)")
    limit = parser.parse_args().limit
    if not DATA.is_dir():
        print(f"needs the real recordings at {DATA}", file=sys.stderr)
        return 1
    q = lambda x: f"{np.median(x):5.1f} [{np.percentile(x, 25):.1f}-{np.percentile(x, 75):.1f}]"  # noqa: E731
    got_real, got_sim = real(limit), simulated(limit or 30)
    print("median [IQR]                   duration s          peak rate deg/s")
    for kind in KINDS.values():
        for name, rows in (("real", got_real[kind]), ("simulated", got_sim[kind])):
            m = np.array(rows)
            print(f"{kind:12s} {name:9s} n={len(m):3d}  {q(m[:, 0])}   {q(m[:, 1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
