"""Voisard et al. (IPOL 2023) healthy gait, lower-back sensor only, ``voisard_gait_L5/GaitData``.

An Xsens MTw Awinda at L5, 100 Hz, ``<subject>-<trial>_lb.txt.gz`` (acc m/s^2 incl. gravity, gyro rad/s,
one header line with the rate, then a tab-separated table). Protocol: stand, walk 10 m, U-turn, walk
back, stop. Reference per trial (``<subject>-<trial>.json``): every footstep of each foot as a
[toe-off, heel-strike] sample pair from foot sensors, hand-checked; so each pair's end is an initial
contact, and the trial (``TrialBoundaries``) is one walking bout.
Sample numbers in the reference count packets, not rows: see ``load_trial`` for the clock.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sensorkit.errors import RecordingError
from sensorkit.samples import RecordingMeta, SampleBlock

from .gait_reference import GaitReference

RATE_HZ = 100.0
COUNTER_ORIGIN = 0.0
_NAME = re.compile(r"(\d+)-(\d+)\.json$")


@dataclass
class VoisardTrial:
    name: str
    block: SampleBlock
    meta: RecordingMeta
    reference: GaitReference
    uturn: tuple[float, float]
    info: dict


def _gait_dir(root: Path) -> Path:
    d = Path(root) / "GaitData"
    if not d.is_dir():
        raise RecordingError(f"{root} does not hold the Voisard GaitData folder")
    return d


def list_trials(root: Path) -> list[str]:
    """Trial names ("1-1", ...) that have both metadata and a lower-back file, by subject and trial."""
    d = _gait_dir(root)
    names = []
    for p in d.glob("*.json"):
        m = _NAME.match(p.name)
        if m and any((d / f"{p.stem}_lb.txt{ext}").exists() for ext in (".gz", "")):
            names.append((int(m.group(1)), int(m.group(2)), p.stem))
    return [n for *_, n in sorted(names)]


def _height_m(info: dict) -> float | None:
    """Height in metres; a few subjects' metadata leave it empty (NaN)."""
    h = info.get("Height")
    return float(h) / 100.0 if h is not None and np.isfinite(h) else None


def load_trial(root: Path, name: str) -> VoisardTrial:
    """One trial as project-unit samples with its footstep reference."""
    d = _gait_dir(root)
    meta_path = d / f"{name}.json"
    lb = next((d / f"{name}_lb.txt{ext}" for ext in (".gz", "") if (d / f"{name}_lb.txt{ext}").exists()), None)
    if lb is None or not meta_path.exists():
        raise RecordingError(f"Voisard trial {name} is missing in {d}")
    table = pd.read_csv(lb, sep="\t", skiprows=1)
    acc = table[["Acc_X", "Acc_Y", "Acc_Z"]].to_numpy(dtype=float)
    gyr = table[["Gyr_X", "Gyr_Y", "Gyr_Z"]].to_numpy(dtype=float)
    # The wireless link drops packets (up to ~10 % in some trials): time comes from the packet counter,
    # so lost packets stay gaps and the reference's sample numbers (on the full timeline) line up.
    counter = table["PacketCounter"].to_numpy(dtype=float)
    t = (counter - COUNTER_ORIGIN) / RATE_HZ
    info = json.loads(meta_path.read_text())
    # Some trials list footsteps long after the trial's end (and after the lower-back recording stops):
    # only heel strikes inside TrialBoundaries, the protocol's walk, are the reference.
    first, last = info["TrialBoundaries"]
    steps = [(e, "left") for _, e in info["LeftFootEvents"]] + [(e, "right") for _, e in info["RightFootEvents"]]
    steps = sorted(s for s in steps if first <= s[0] <= last)
    ics = np.array([s for s, _ in steps], dtype=float) / RATE_HZ
    t0, t1 = first / RATE_HZ, last / RATE_HZ
    reference = GaitReference([(t0, t1)], ics, [side for _, side in steps])
    meta = RecordingMeta(
        rate_hz=RATE_HZ,
        start_time="1970-01-01T00:00:00Z",
        device_kind="xsens_mtw_awinda",
        device_name="Xsens MTw Awinda (L5)",
        has_gyro=True,
        acc_lsb=1e-6,
        gyr_lsb=1e-6,
        patient_id=f"voisard_{info['Subject']}",
        source=f"voisard_gait_L5 {name}",
        extra={"dataset": "voisard_gait_L5", "height_m": _height_m(info)},
    )
    uturn = tuple(x / RATE_HZ for x in info["UTurnBoundaries"])
    return VoisardTrial(name, SampleBlock(t, acc, gyr), meta, reference, uturn, info)
