"""UCI HAPT (Smartphone-Based Recognition of Human Activities and Postural Transitions, v2.1), raw signals.

A Samsung Galaxy S II on the waist belt, 50 Hz; acceleration in g, angular rate in rad/s; labels from
video (``RawData/labels.txt``: experiment, user, activity, start sample, end sample). Labels are 1-based
inclusive sample numbers in the original; here they become 0-based half-open ``[start, end)`` indices
and seconds ``t = index / 50``. Samples outside every labelled segment get activity 0 ("unlabelled").

Axes: the phone's own; standing upright the +x axis points up (reads about +1 g), so the signal core's
auto-alignment is what maps it to the body frame, exactly as for any other worn sensor.
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

RATE_HZ = 50.0
ACTIVITIES: dict[int, str] = {
    0: "unlabelled",
    1: "walking",
    2: "walking_upstairs",
    3: "walking_downstairs",
    4: "sitting",
    5: "standing",
    6: "lying",
    7: "stand_to_sit",
    8: "sit_to_stand",
    9: "sit_to_lie",
    10: "lie_to_sit",
    11: "stand_to_lie",
    12: "lie_to_stand",
}
# The three static postures and the posture name the signal core reports for them.
POSTURE_OF_ACTIVITY = {4: "sitting", 5: "standing", 6: "lying"}
WALKING_ACTIVITIES = (1, 2, 3)
TRANSITION_ACTIVITIES = tuple(range(7, 13))

# Nominal sensor axes as worn (``meta.extra["mounting"]``, read by the signal core's auto-alignment):
# +x up; +y roughly forward (supine lying and sitting tilt gravity towards +y). The phone's yaw on the
# belt varies by subject (+y is more than 45 deg from the labelled lying in 17 of 40 recordings);
# auto-alignment refines it, and replaces it when walking and bends agree on another forward.
MOUNTING = device_mounting("galaxy-s2-waist")

_NAME = re.compile(r"acc_exp(\d+)_user(\d+)\.txt(\.gz)?$")


@dataclass(frozen=True)
class Experiment:
    """One recording of one volunteer: ``exp`` and ``user`` as numbered in the dataset."""

    exp: int
    user: int


@dataclass
class HaptRecording:
    """One experiment: samples in project units, its meta, the label segments and a per-sample label.

    ``segments`` columns: activity_id, activity, start (index), end (index, exclusive), start_s, end_s.
    ``labels``: int array, one activity id per sample (0 = unlabelled).
    """

    experiment: Experiment
    block: SampleBlock
    meta: RecordingMeta
    segments: pd.DataFrame
    labels: np.ndarray

    @property
    def label_names(self) -> np.ndarray:
        return np.array([ACTIVITIES[int(a)] for a in range(13)], dtype=object)[self.labels]


def _raw_dir(root: Path) -> Path:
    raw = Path(root) / "RawData"
    if not raw.is_dir():
        raise RecordingError(f"{root} does not hold the UCI HAPT RawData folder")
    return raw


def list_experiments(root: Path) -> list[Experiment]:
    """Every experiment with both accelerometer and gyroscope files, in experiment order."""
    raw = _raw_dir(root)
    found = []
    for p in raw.iterdir():
        m = _NAME.match(p.name)
        if m:
            exp = Experiment(int(m.group(1)), int(m.group(2)))
            if _signal_path(raw, "gyro", exp) is not None:
                found.append(exp)
    return sorted(set(found), key=lambda e: e.exp)


def _signal_path(raw: Path, kind: str, exp: Experiment) -> Path | None:
    stem = f"{kind}_exp{exp.exp:02d}_user{exp.user:02d}.txt"
    for name in (stem + ".gz", stem):
        if (raw / name).exists():
            return raw / name
    return None


def _read_matrix(path: Path) -> np.ndarray:
    return pd.read_csv(path, sep=r"\s+", header=None, dtype=np.float64).to_numpy()


def _label_table(raw: Path) -> pd.DataFrame:
    path = raw / "labels.txt"
    if not path.exists():
        path = raw / "labels.txt.gz"
    return pd.read_csv(path, sep=r"\s+", header=None, names=["exp", "user", "activity_id", "start", "end"])


def load_experiment(root: Path, exp: Experiment | int) -> HaptRecording:
    """One experiment as project-unit samples (m/s^2, rad/s, seconds) with its labels."""
    raw = _raw_dir(root)
    if isinstance(exp, int):
        matches = [e for e in list_experiments(root) if e.exp == exp]
        if not matches:
            raise RecordingError(f"UCI HAPT has no experiment {exp} in {root}")
        exp = matches[0]
    acc_path, gyr_path = _signal_path(raw, "acc", exp), _signal_path(raw, "gyro", exp)
    if acc_path is None or gyr_path is None:
        raise RecordingError(f"UCI HAPT experiment {exp.exp} (user {exp.user}) is missing a signal file")
    acc = _read_matrix(acc_path) * STANDARD_GRAVITY
    gyr = _read_matrix(gyr_path)
    n = min(len(acc), len(gyr))
    t = np.arange(n) / RATE_HZ
    block = SampleBlock(t, acc[:n], gyr[:n])

    table = _label_table(raw)
    seg = table[(table.exp == exp.exp) & (table.user == exp.user)].copy()
    seg["start"] = (seg["start"] - 1).clip(lower=0)
    seg["end"] = seg["end"].clip(upper=n)
    seg["activity"] = seg["activity_id"].map(ACTIVITIES)
    seg["start_s"] = seg["start"] / RATE_HZ
    seg["end_s"] = seg["end"] / RATE_HZ
    seg = seg[["activity_id", "activity", "start", "end", "start_s", "end_s"]].reset_index(drop=True)
    labels = np.zeros(n, dtype=np.int16)
    for a, s, e in seg[["activity_id", "start", "end"]].itertuples(index=False):
        labels[int(s):int(e)] = a

    meta = RecordingMeta(
        rate_hz=RATE_HZ,
        start_time="1970-01-01T00:00:00Z",
        device_kind="uci_hapt_smartphone",
        device_name="Samsung Galaxy S II (waist)",
        has_gyro=True,
        acc_range=8 * STANDARD_GRAVITY,
        acc_lsb=1e-6 * STANDARD_GRAVITY,  # text export, effectively continuous
        gyr_lsb=1e-6,
        placement="waist_belt",
        patient_id=f"uci_hapt_user{exp.user:02d}",
        source=f"uci_hapt/RawData exp{exp.exp:02d} user{exp.user:02d}",
        extra={"dataset": "uci_hapt", "exp": exp.exp, "user": exp.user, "mounting": MOUNTING},
    )
    return HaptRecording(exp, block, meta, seg, labels)
