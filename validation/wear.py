"""Validation of wear time (non-wear detection, issue 10): every figure of the README's wear-time table.

    python validation/wear.py [--seeds 4] [--data ../shared/data]

Simulated days (sensorkit.simulator, ``off`` activities: the sensor on a desk in any orientation for
15-120 min, with BMI160-like noise) and the public recordings in ../shared/data, which were all worn.
Prints one markdown table. The scoring code is sensorkit.signal.evaluate_wear, the same the tests use
(tests/test_wear_validation.py, on fewer seeds and recordings).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sensorkit.datasets.location import default_shared_data, require_shared_data
from sensorkit.signal.evaluate_wear import SimWear, evaluate_real_wear, evaluate_simulated_wear
from sensorkit.signal.nonwear import WearParams

ROOT = Path(__file__).resolve().parents[1]
HEADER = ["| what | data | figure | target |", "|---|---|---|---|"]


def row(what: str, data: str, figure: str, target: str) -> str:
    return f"| {what} | {data} | {figure} | {target} |"


def sim_rows(score: SimWear, label: str) -> list[str]:
    data = (f"simulated {label}, {score.days} days, {score.periods} desk periods "
            f"({score.not_worn_s / 3600:.1f} h off, {score.still_s / 3600:.1f} h sitting or lying)")
    return [
        row("non-wear time found", data, f"{score.found:.2%}", ">= 95 %"),
        row("worn sitting and lying held still (breathing only) called non-wear; longest worn still stretch", data,
            f"{score.still_called:.2%}; {score.longest_worn_still_s:.0f} s", "< 1 %; < 300 s"),
        row("bends and alerts within 15 s after picking the sensor up; before putting it down", data,
            f"{score.on_events}; {score.off_events}", "0; -"),
    ]


def simulated(seeds: range) -> list[str]:
    return (sim_rows(evaluate_simulated_wear(seeds), "100 Hz with gyroscope")
            + sim_rows(evaluate_simulated_wear(seeds, has_gyro=False), "100 Hz, accelerometer only")
            + sim_rows(evaluate_simulated_wear(seeds, rate_hz=25.0, loss=0.05), "25 Hz, 5 % bursty packet loss"))


def real(data: Path) -> list[str]:
    limit = WearParams().min_not_worn_s
    rows = []
    for r in evaluate_real_wear(data):
        what = f"{r.name}: {r.recordings} recordings, {r.seconds / 3600:.2f} h, all worn"
        rows.append(row("worn time called non-wear; longest still stretch", what,
                        f"{r.share:.2%}; {r.longest_still_s:.0f} s", f"< 1 %; < {limit:.0f} s"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--data", type=Path, default=default_shared_data(ROOT))
    args = ap.parse_args()
    require_shared_data(args.data)
    t0 = time.time()
    for line in table(range(args.seeds), args.data):
        print(line)
    print(f"\n({time.time() - t0:.0f} s)")


def table(seeds: range, data: Path) -> list[str]:
    """The table's lines: header, simulated rows, then real rows when ``data`` exists."""
    rows = HEADER + simulated(seeds)
    return rows + (real(data) if data.is_dir() else [])


if __name__ == "__main__":
    main()
