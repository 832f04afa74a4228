"""Mobilise-D Technical Validation Study lab example (as shipped with mobgap), ``mobgap_lab_example/``.

A McRoberts MoveMonitor+ on a lower-back belt, 100 Hz, ``data.mat`` per participant: acceleration in g,
angular rate in deg/s, sensor axes x up, y right, z forward. Reference: the INDIP multi-sensor system's
micro walking bouts (``Standards.INDIP.MicroWB``) with initial contacts (s) and their side.

INDIP times count from MATLAB's 1-based first sample (``time = sample_number / fs``), so one sample
period is subtracted to put them on our ``t = index / fs`` clock, as mobgap itself does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy.io

from sensorkit.errors import RecordingError
from sensorkit.samples import STANDARD_GRAVITY, RecordingMeta, SampleBlock

from .gait_reference import GaitReference


@dataclass(frozen=True)
class LabTrial:
    """One trial: cohort (HA, MS), participant ("001"), test ("Test5") and trial ("Trial1")."""

    cohort: str
    participant: str
    test: str
    trial: str

    @property
    def name(self) -> str:
        return f"{self.cohort}/{self.participant}/{self.test}/{self.trial}"


@dataclass
class LabRecording:
    trial: LabTrial
    block: SampleBlock
    meta: RecordingMeta
    reference: GaitReference
    participant: dict


def _lab_dir(root: Path) -> Path:
    lab = Path(root) / "data" / "lab"
    if not lab.is_dir():
        raise RecordingError(f"{root} does not hold the mobgap example data (data/lab/...)")
    return lab


def list_trials(root: Path) -> list[LabTrial]:
    """Every trial with an INDIP reference, in cohort/participant/test order."""
    trials = []
    for info in sorted(_lab_dir(root).glob("*/*/test_list.json")):
        cohort, participant = info.parent.parent.name, info.parent.name
        for entry in json.loads(info.read_text())["data"]:
            _, test, trial = entry["key"]
            if "INDIP" in entry["value"]["available_reference_systems"]:
                trials.append(LabTrial(cohort, participant, test, trial))
    return trials


def _participant_info(root: Path, trial: LabTrial) -> dict:
    path = Path(root) / "data_csv" / "participant_metadata.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text()).get(trial.cohort, {}).get(trial.participant, {})


def _as_list(x: object) -> list:
    """MATLAB struct arrays load as one dict (one element) or an array of dicts (several)."""
    return [x] if isinstance(x, dict) else list(x)


def _reference(indip: dict, fs: float) -> GaitReference:
    shift = 1.0 / fs
    bouts, ics, sides, fields = [], [], [], []
    for wb in _as_list(indip["MicroWB"]):
        bouts.append((float(wb["Start"]) - shift, float(wb["End"]) - shift))
        ic = np.atleast_1d(np.asarray(wb["InitialContact_Event"], dtype=float)) - shift
        side = np.atleast_1d(np.asarray(wb["InitialContact_LeftRight"], dtype=object))
        keep = np.isfinite(ic)
        ics.append(ic[keep])
        sides.extend(str(s).lower() for s in side[keep])
        fields.append({
            "cadence_spm": float(wb["Cadence"]),
            "stride_length_m": float(wb["AverageStrideLength"]),
            "speed_mps": float(wb["WalkingSpeed"]),
        })
    order = np.argsort(np.concatenate(ics)) if ics else np.empty(0, int)
    all_ics = np.concatenate(ics)[order] if ics else np.empty(0)
    return GaitReference(bouts, all_ics, [sides[i] for i in order], fields)


def load_trial(root: Path, trial: LabTrial) -> LabRecording:
    """One trial as project-unit samples (m/s^2, rad/s, seconds) with its INDIP reference."""
    path = _lab_dir(root) / trial.cohort / trial.participant / "data.mat"
    if not path.exists():
        raise RecordingError(f"no mobgap example file {path}")
    mat = scipy.io.loadmat(path, simplify_cells=True)
    try:
        node = mat["data"]["TimeMeasure1"][trial.test][trial.trial]
        sensor = node["SU"]["LowerBack"]
        indip = node["Standards"]["INDIP"]
    except KeyError as exc:
        raise RecordingError(f"{trial.name} is not in {path}") from exc
    fs = float(sensor["Fs"]["Acc"])
    acc = np.asarray(sensor["Acc"], dtype=float) * STANDARD_GRAVITY
    gyr = np.deg2rad(np.asarray(sensor["Gyr"], dtype=float))
    t = np.arange(len(acc)) / fs
    start = datetime.fromtimestamp(float(sensor["Timestamp"][0]), tz=timezone.utc)
    info = _participant_info(root, trial)
    meta = RecordingMeta(
        rate_hz=fs,
        start_time=start.isoformat().replace("+00:00", "Z"),
        device_kind="mcroberts_mmplus",
        device_name="McRoberts MoveMonitor+ (lower back)",
        has_gyro=True,
        acc_lsb=1e-6 * STANDARD_GRAVITY,  # exported as floats: effectively continuous
        gyr_lsb=1e-6,
        patient_id=f"mobgap_{trial.cohort}{trial.participant}",
        source=f"mobgap_lab_example {trial.name}",
        extra={"dataset": "mobgap_lab_example", "height_m": info.get("height_m"),
               "sensor_height_m": info.get("sensor_height_m"), "cohort": trial.cohort},
    )
    return LabRecording(trial, SampleBlock(t, acc, gyr), meta, _reference(indip, fs), info)
