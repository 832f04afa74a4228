"""UMAFall (Casilari et al., Univ. Malaga 2017), the ADL "Bending" trials in ``umafall_bending/``.

Each file interleaves five sensors; the waist one is a TI SensorTag (MPU-9250), ``Sensor_ID`` 2, about
20 Hz with irregular spacing. Rows: ``TimeStamp [ms]; Sample No; X; Y; Z; Sensor Type; Sensor ID`` with
type 0 acceleration [g], 1 angular rate [deg/s], 2 magnetic field. Accelerometer and gyroscope rows carry
their own time stamps, so the gyroscope is interpolated onto the accelerometer's times. The SensorTag
repeats its last reading when the phone polls faster than it samples; rows identical to the previous
one are dropped so the samples say what the sensor measured. Some trials hold no waist rows at all;
:func:`list_trials` leaves those out.

Labels are per file: one "Bending" activity, about 15 s, standing before and after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sensorkit.errors import RecordingError
from sensorkit.samples import STANDARD_GRAVITY, RecordingMeta, SampleBlock

WAIST_SENSOR_ID = 2
NOMINAL_RATE_HZ = 20.0
_NAME = re.compile(r"UMAFall_Subject_(\d+)_ADL_Bending_(\d+)_.*\.csv(\.gz)?$")
# No nominal mounting is declared: the forward axis differs in sign between subjects (the SensorTag
# was not always clipped the same way round), so auto-alignment finds it from the bend itself.
_COLUMNS = ["ms", "sample", "x", "y", "z", "type", "sensor"]


@dataclass(frozen=True)
class Trial:
    subject: int
    trial: int
    path: Path


def _read_rows(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, comment="%", sep=";", header=None, names=_COLUMNS,
                           usecols=range(7), skip_blank_lines=True)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise RecordingError(f"{path.name} is not a readable UMAFall file: {exc}") from exc


def list_trials(root: Path) -> list[Trial]:
    """Bending trials that contain waist-sensor accelerometer rows, sorted by subject and trial."""
    root = Path(root)
    if not root.is_dir():
        raise RecordingError(f"{root} is not a UMAFall folder")
    found = []
    for p in sorted(root.glob("UMAFall_*.csv*")):
        m = _NAME.match(p.name)
        if not m:
            continue
        rows = _read_rows(p)
        if ((rows.sensor == WAIST_SENSOR_ID) & (rows.type == 0)).sum() > 10:
            found.append(Trial(int(m.group(1)), int(m.group(2)), p))
    return found


def load_trial(trial: Trial) -> tuple[SampleBlock, RecordingMeta]:
    """The waist sensor of one trial in project units; t is seconds from its first accelerometer row."""
    rows = _read_rows(trial.path)
    waist = rows[rows.sensor == WAIST_SENSOR_ID]
    acc = waist[waist.type == 0].sort_values("ms")
    gyr = waist[waist.type == 1].sort_values("ms")
    if len(acc) < 10 or len(gyr) < 10:
        raise RecordingError(f"{trial.path.name} holds no waist-sensor data")
    xyz = ["x", "y", "z"]
    repeat = (acc[xyz].diff().abs().sum(axis=1) == 0) | acc.ms.duplicated()
    acc = acc[~repeat.to_numpy()]
    gyr = gyr[~gyr.ms.duplicated()]
    t_ms = acc.ms.to_numpy(np.float64)
    t = (t_ms - t_ms[0]) / 1000.0
    acc_si = acc[xyz].to_numpy(np.float64) * STANDARD_GRAVITY
    g_ms = gyr.ms.to_numpy(np.float64)
    gyr_si = np.column_stack(
        [np.interp(t_ms, g_ms, np.deg2rad(gyr[c].to_numpy(np.float64))) for c in xyz]
    )
    meta = RecordingMeta(
        rate_hz=NOMINAL_RATE_HZ,
        start_time="1970-01-01T00:00:00Z",
        device_kind="umafall_sensortag",
        device_name="TI SensorTag MPU-9250 (waist)",
        has_gyro=True,
        acc_range=16 * STANDARD_GRAVITY,
        acc_lsb=0.00024 * STANDARD_GRAVITY,
        gyr_lsb=float(np.deg2rad(250.0 / 32768)),  # MPU-9250 at its 250 deg/s range (assumed)
        placement="waist",
        patient_id=f"umafall_subject{trial.subject:02d}",
        source=f"umafall_bending/{trial.path.name}",
        extra={"dataset": "umafall", "activity": "bending", "trial": trial.trial},
    )
    return SampleBlock(t, acc_si, gyr_si), meta
