"""The patient profile reaches the live and offline pipelines: height -> stride length and speed;
thresholds and calibration -> `sensorkit monitor --profile`, stored in the recording."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sensorkit.cli.main import main
from sensorkit.errors import SettingsError
from sensorkit.signal.alignment import Alignment
from sensorkit.signal.pipeline import Pipeline
from sensorkit.signal.profile import HEIGHT_RANGE_M, Profile, dumps_profile, load_profile
from sensorkit.store import RecordingReader

DEMO = "sample-data/demo.skr"


def _bouts(capsys, *argv):
    assert main(["analyze", DEMO, "--json", *argv]) == 0
    doc = json.loads(capsys.readouterr().out)
    return [e for e in doc["events"] if e["type"] == "walking_bout"]


def test_height_in_the_profile_gives_stride_length_and_speed(tmp_path, capsys):
    without = _bouts(capsys)
    assert without and all("stride_length_m" not in b and "speed_mps" not in b for b in without)
    profile = tmp_path / "p.toml"
    profile.write_text('[patient]\nheight_m = 1.75\n')
    bouts = _bouts(capsys, "--profile", str(profile))
    assert [b["steps"] for b in bouts] == [b["steps"] for b in without]
    for b in bouts:
        assert 0.8 < b["stride_length_m"] < 2.0 and 0.5 < b["speed_mps"] < 2.2
        # speed is stride length x cadence / 120 (steps per minute -> strides per second)
        assert b["speed_mps"] == pytest.approx(b["stride_length_m"] * b["cadence_spm"] / 120, rel=0.1)
    taller = tmp_path / "t.toml"
    taller.write_text('[patient]\nheight_m = 1.95\n')
    assert _bouts(capsys, "--profile", str(taller))[0]["stride_length_m"] > bouts[0]["stride_length_m"]


@pytest.mark.parametrize("height", ["175", "0.5", "true", '"tall"'])
def test_impossible_heights_are_refused(tmp_path, height):
    path = tmp_path / "p.toml"
    path.write_text(f"[patient]\nheight_m = {height}\n")
    with pytest.raises(SettingsError, match="height_m"):
        load_profile(path)


def test_height_round_trips_and_reaches_the_gait_detector(tmp_path):
    profile = Profile(patient={"id": "P2", "height_m": 1.6})
    path = tmp_path / "p.toml"
    path.write_text(dumps_profile(profile))
    assert load_profile(path).height_m == 1.6 and Profile().height_m is None
    assert HEIGHT_RANGE_M[0] <= 1.6 <= HEIGHT_RANGE_M[1]
    pipe = Pipeline(100.0, Alignment(np.eye(3), "identity"), load_profile(path))
    assert pipe.gait.bouts.params.height_m == 1.6


def test_monitor_uses_the_profile_and_stores_its_calibration(tmp_path, capsys):
    calibration = {"rotation": [[0.0, 0.0, 1.0], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0]], "source": "test",
                   "span_s": [0.0, 15.0]}  # a span of another recording: must not be copied
    profile = tmp_path / "p.toml"
    profile.write_text(dumps_profile(Profile(patient={"height_m": 1.8}, calibration=calibration)))
    out = tmp_path / "m.skr"
    assert main(["monitor", "--emulate", "sensorkit", "--scenario", "walk", "--duration", "60", "--speed", "30",
                 "--profile", str(profile), "-o", str(out)]) == 0
    assert "warning" not in capsys.readouterr().out  # calibrated: forward is known
    with RecordingReader(out) as reader:
        assert reader.meta.calibration["rotation"] == calibration["rotation"]
        assert "span_s" not in reader.meta.calibration
        bouts = list(reader.events("walking_bout"))
    assert bouts and all(b.fields["stride_length_m"] > 0.8 for b in bouts)


def test_live_start_without_calibration_warns_the_wearer():
    from sensorkit.ble.live import LiveAnalysis
    from sensorkit.simulator import simulate

    sim = simulate("walk", seed=0)
    meta = sim.meta.with_changes(device_kind="sensorkit")  # no declared mounting
    warnings = []
    live = LiveAnalysis(meta, on_warning=lambda t, text: warnings.append((t, text)))
    for start in range(0, 3000, 100):
        live.feed(sim.block.slice(start, start + 100))
    assert len(warnings) == 1 and warnings[0][0] == pytest.approx(20.0, abs=1.0)
    assert "forward direction unknown" in warnings[0][1] and "sensorkit calibrate" in warnings[0][1]
