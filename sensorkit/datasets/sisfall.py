"""SisFall v1.0 (Sucerquia et al., Sensors 2017), the waist-worn subset in ``sisfall_waist/``.

A custom board on the waist belt, 200 Hz, raw ADC counts, 9 columns per row (';'-terminated):
ADXL345 acc xyz (13 bit, +-16 g), ITG3200 gyro xyz (16 bit, +-2000 deg/s), MMA8451Q acc xyz (14 bit,
+-8 g). The dataset's Readme gives the conversion ``value * (2 * range) / 2**resolution``; we use the
ADXL345 and the ITG3200 (the pair sharing one board and clock). Standing, the sensor's -y axis points up.

Labels are per file only: ``D07`` sit down and get up, ``D12`` sit / lie / sit, ``D15`` bend at the knees
(squat), ``D16`` bend without bending the knees (stoop); five trials per subject, 12 s each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sensorkit.errors import RecordingError
from sensorkit.mounting import device_mounting
from sensorkit.samples import STANDARD_GRAVITY, RecordingMeta, SampleBlock

RATE_HZ = 200.0
ACC_G_PER_COUNT = 2 * 16 / 2**13
GYR_DEG_S_PER_COUNT = 2 * 2000 / 2**16
ACTIVITIES = {
    "D07": "sit down slowly in a half-height chair and get up",
    "D12": "sit, lie down slowly, wait, sit again",
    "D15": "stand, bend slowly at the knees (squat), get up",
    "D16": "stand, bend slowly without bending the knees (stoop), get up",
}
# Nominal axes as worn (``meta.extra["mounting"]``): -y up, +z forward (stoop trials D16 tilt gravity
# towards -z).
MOUNTING = device_mounting("sisfall-board")
_NAME = re.compile(r"(D\d\d|F\d\d)_(S[AE]\d\d)_R(\d\d)\.txt(\.gz)?$")


@dataclass(frozen=True)
class Trial:
    """One file: activity ``code`` (D16...), ``subject`` (SA01...), ``trial`` number and its path."""

    code: str
    subject: str
    trial: int
    path: Path


def list_trials(root: Path, codes: tuple[str, ...] | None = None) -> list[Trial]:
    """Every trial file under ``root`` (optionally only some activity codes), sorted."""
    root = Path(root)
    if not root.is_dir():
        raise RecordingError(f"{root} is not a SisFall folder")
    found = []
    for p in root.glob("S*/*.txt*"):
        m = _NAME.match(p.name)
        if m and (codes is None or m.group(1) in codes):
            found.append(Trial(m.group(1), m.group(2), int(m.group(3)), p))
    return sorted(found, key=lambda tr: (tr.code, tr.subject, tr.trial))


def load_trial(trial: Trial) -> tuple[SampleBlock, RecordingMeta]:
    """One trial in project units (m/s^2, rad/s, seconds from the first sample)."""
    try:
        raw = pd.read_csv(trial.path, header=None, sep=",", usecols=range(6), dtype=str)
        counts = raw.apply(lambda c: c.str.strip().str.rstrip(";")).astype(np.float64).to_numpy()
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise RecordingError(f"{trial.path.name} is not a readable SisFall file: {exc}") from exc
    acc = counts[:, 0:3] * ACC_G_PER_COUNT * STANDARD_GRAVITY
    gyr = np.deg2rad(counts[:, 3:6] * GYR_DEG_S_PER_COUNT)
    t = np.arange(len(acc)) / RATE_HZ
    meta = RecordingMeta(
        rate_hz=RATE_HZ,
        start_time="1970-01-01T00:00:00Z",
        device_kind="sisfall_adxl345_itg3200",
        device_name="SisFall waist board",
        has_gyro=True,
        acc_range=16 * STANDARD_GRAVITY,
        acc_lsb=ACC_G_PER_COUNT * STANDARD_GRAVITY,
        gyr_range=float(np.deg2rad(2000.0)),
        gyr_lsb=float(np.deg2rad(GYR_DEG_S_PER_COUNT)),
        placement="waist_belt",
        patient_id=trial.subject,
        source=f"sisfall_waist/{trial.subject}/{trial.path.name}",
        extra={"dataset": "sisfall", "code": trial.code, "trial": trial.trial, "mounting": MOUNTING},
    )
    return SampleBlock(t, acc, gyr), meta
