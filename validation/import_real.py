"""Do the import's physical limits and time checks leave real recordings alone? (issue 15, points 6, 7)

    python validation/import_real.py [--data ../shared/data] [--per-dataset N]

Each real recording in ../shared/data (SisFall waist at 200 Hz, UMAFall waist at ~20 Hz with irregular
timing, UCI HAPT smartphone at 50 Hz, Voisard L5 at 100 Hz, Mobilise-D lab at 100 Hz) is loaded with
the project's loader, written in the interchange format exactly as ``sensorkit export`` writes it,
and read back with :func:`sensorkit.importer.read_csv`. A real sample must never be skipped as
"impossible": the run prints, per dataset, the files, rows, rows skipped (and why), the rows whose
time does not increase in the source itself (a repeated time is skipped, as the store needs
increasing times), and the largest acceleration (g) and angular rate (deg/s) met, so the margin to
the limits (200 g, 4000 deg/s) shows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Iterator

import numpy as np

from sensorkit.datasets.location import default_shared_data, require_shared_data
from sensorkit.importer import read_csv, samples_frame, write_frame
from sensorkit.samples import STANDARD_GRAVITY, RecordingMeta, SampleBlock

ROOT = Path(__file__).resolve().parents[1]


def recordings(data: Path, per_dataset: int) -> Iterator[tuple[str, SampleBlock, RecordingMeta]]:
    """(dataset, samples, meta) for up to ``per_dataset`` recordings of each real dataset present."""
    from sensorkit.datasets import mobgap_lab, sisfall, uci_hapt, umafall, voisard

    loaders = {
        "sisfall_waist": lambda root: (sisfall.load_trial(t) for t in sisfall.list_trials(root)[:per_dataset]),
        "umafall_bending": lambda root: (umafall.load_trial(t) for t in umafall.list_trials(root)[:per_dataset]),
        "uci_hapt": lambda root: ((r.block, r.meta) for r in
                                  (uci_hapt.load_experiment(root, e) for e in uci_hapt.list_experiments(root)[:per_dataset])),
        "voisard_gait_L5": lambda root: ((r.block, r.meta) for r in
                                         (voisard.load_trial(root, n) for n in voisard.list_trials(root)[:per_dataset])),
        "mobgap_lab_example": lambda root: ((r.block, r.meta) for r in
                                            (mobgap_lab.load_trial(root, t) for t in mobgap_lab.list_trials(root)[:per_dataset])),
    }
    for name, load in loaders.items():
        if (data / name).is_dir():
            for block, meta in load(data / name):
                yield name, block, meta


def check(data: Path, per_dataset: int) -> dict[str, Counter]:
    """Per dataset: files, rows, skipped rows by reason, largest |acc| (g) and |gyr| (deg/s)."""
    results: dict[str, Counter] = {}
    with tempfile.TemporaryDirectory(prefix="sensorkit-import-real-") as tmp:
        out = Path(tmp) / "export.csv"
        for name, block, meta in recordings(data, per_dataset):
            write_frame(samples_frame(block, meta), out, overwrite=True)
            back, _, report = read_csv(out)  # as a user would: rate estimated from the times
            r = results.setdefault(name, Counter())
            r["files"] += 1
            r["rows"] += len(block)
            r["rows read back"] += len(back)
            r["source times not increasing"] += int((np.diff(block.t) <= 0).sum())  # the file's own repeats
            for reason, n in report.reasons.items():
                r[f"skipped: {reason}"] += n
            r["max |acc| g"] = max(r["max |acc| g"], round(float(np.abs(block.acc).max()) / STANDARD_GRAVITY, 2))
            if block.gyr is not None:
                r["max |gyr| deg/s"] = max(r["max |gyr| deg/s"], round(float(np.degrees(np.abs(block.gyr).max())), 1))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_shared_data(ROOT))
    parser.add_argument("--per-dataset", type=int, default=1000, help="at most this many recordings per dataset")
    args = parser.parse_args()
    require_shared_data(args.data)
    results = check(args.data, args.per_dataset)
    wrong = 0
    for name, r in results.items():
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in r.items()))
        wrong += unexplained_skips(r)
    print("PASS: no real sample skipped but the sources' own repeated times" if wrong == 0 and results
          else f"FAIL: {wrong} real rows skipped")
    return 0 if wrong == 0 and results else 1


def unexplained_skips(r: Counter) -> int:
    """Rows skipped beyond the repeated times already in the source (which the store could not hold)."""
    skipped = sum(v for k, v in r.items() if k.startswith("skipped"))
    return skipped - min(r["skipped: time not after the previous row"], r["source times not increasing"])


if __name__ == "__main__":
    sys.exit(main())
