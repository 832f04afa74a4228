"""The patient profile, the alignment helpers and the analyze / calibrate commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sensorkit.cli.main import main
from sensorkit.errors import SettingsError
from sensorkit.samples import STANDARD_GRAVITY, SampleBlock
from sensorkit.signal.alignment import Alignment, Mounting, auto_align, calibrate, estimate_acc_bias
from sensorkit.signal.profile import THRESHOLDS, Profile, load_profile, save_profile
from sensorkit.simulator import save_simulation, simulate


@pytest.fixture(scope="module")
def demo_recording(tmp_path_factory):
    path = tmp_path_factory.mktemp("rec") / "demo.skr"
    save_simulation(simulate("demo", seed=2, duration_s=300), path)
    return path


# -- profile ---------------------------------------------------------------------------------


def test_every_threshold_has_a_default_in_range_and_a_source():
    for th in THRESHOLDS:
        assert th.low <= th.default <= th.high, th.name
        assert len(th.source) > 20, th.name
    Profile().validate()


def test_readme_documents_every_threshold_with_its_default():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for th in THRESHOLDS:
        assert f"| `{th.name}` | {th.default:g} {th.unit} |" in readme, th.name


def test_profile_round_trip(tmp_path):
    prof = Profile().with_values(slouch_tolerance_deg=8.0, slouch_delay_s=20.0)
    prof.patient = {"id": "P007"}
    prof.calibration = {"rotation": np.eye(3).tolist(), "source": "test"}
    path = tmp_path / "p.toml"
    save_profile(prof, path)
    back = load_profile(path)
    assert back.slouch_tolerance_deg == 8.0 and back.slouch_delay_s == 20.0
    assert back.bend_start_deg == 15.0
    assert back.patient == {"id": "P007"}
    assert back.calibration["rotation"] == np.eye(3).tolist()


@pytest.mark.parametrize("text, words", [
    ("[thresholds]\nslouch_delay_s = -3\n", "slouch_delay_s"),
    ("[thresholds]\nslouch_tolerance_deg = 90\n", "slouch_tolerance_deg"),
    ("[thresholds]\nbend_end_deg = 30\nbend_start_deg = 20\n", "bend_end_deg"),
    ("[thresholds]\nslouch_tolerence_deg = 5\n", "unknown threshold"),
    ("[threshold]\n", "unknown section"),
    ("[thresholds]\nslouch_delay_s = \"soon\"\n", "slouch_delay_s"),
    ("[thresholds\n", "not valid TOML"),
    ("[calibration]\nrotation = [[1, 0, 0], [0, 1, 0]]\n", None),
])
def test_impossible_profiles_are_refused(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SettingsError) as err:
        prof = load_profile(path)
        Alignment.from_json(prof.calibration)  # the calibration is checked when used
    if words:
        assert words in str(err.value)


def test_missing_profile_is_a_clear_error(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        load_profile(tmp_path / "none.toml")


# -- alignment ---------------------------------------------------------------------------------


def _still(up_sensor, seconds=5.0, rate=50.0, bias=(0.0, 0.0, 0.0)):
    n = int(seconds * rate)
    acc = np.tile(np.asarray(up_sensor, float) / np.linalg.norm(up_sensor) * STANDARD_GRAVITY + bias, (n, 1))
    return SampleBlock(np.arange(n) / rate, acc, np.zeros((n, 3)))


def test_calibration_from_stand_and_bend():
    stand = _still([1, 0, 0])
    bend_dir = [np.cos(np.radians(40)), 0, -np.sin(np.radians(40))]  # gravity moves to -z: z is forward
    al = calibrate(stand, _still(bend_dir))
    assert np.allclose(al.rotation[2], [1, 0, 0], atol=1e-6)
    assert np.allclose(al.rotation[0], [0, 0, 1], atol=1e-6)
    assert np.isclose(np.linalg.det(al.rotation), 1.0)


def test_calibration_refuses_movement_and_shallow_bends():
    moving = _still([1, 0, 0])
    moving = SampleBlock(moving.t, moving.acc + np.random.default_rng(0).normal(0, 3, moving.acc.shape), moving.gyr)
    with pytest.raises(SettingsError, match="not still"):
        calibrate(moving)
    with pytest.raises(SettingsError, match="bend"):
        calibrate(_still([1, 0, 0]), _still([1, 0, -0.1]))


def test_upside_down_sensor_is_reported_and_corrected():
    sim = simulate("bends", seed=1, duration_s=90)
    # worn rotated 180 deg about the sensor z axis: x -> -x, y -> -y
    flipped = SampleBlock(sim.block.t, sim.block.acc * [-1, -1, 1], sim.block.gyr * [-1, -1, 1])
    al = auto_align(flipped, 100.0, Mounting((1, 0, 0), (0, 0, 1)))
    assert any("upside down" in w for w in al.warnings)
    assert al.rotation[2] @ np.array([-1.0, 0, 0]) > 0.9


def test_accelerometer_offset_is_recovered_from_several_orientations():
    bias = np.array([0.3, -0.2, 0.1])
    blocks = [_still(u, bias=bias) for u in ([1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, -1, 1])]
    t0 = 0.0
    joined = []
    for b in blocks:
        joined.append(SampleBlock(b.t + t0, b.acc, b.gyr))
        t0 += 5.0
    est = estimate_acc_bias(SampleBlock.concat(joined), 50.0)
    assert np.allclose(est, bias, atol=0.02)


# -- commands --------------------------------------------------------------------------------


def test_analyze_json_schema(demo_recording, capsys):
    assert main(["analyze", str(demo_recording), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) >= {"recording", "events", "summary"}
    assert doc["recording"]["duration_s"] > 290
    assert doc["analysis"]["angles_from"] == "gyroscope+accelerometer"
    postures = [e for e in doc["events"] if e["type"] == "posture"]
    assert postures and all(e["posture"] in ("sitting", "standing", "lying") for e in postures)
    bends = [e for e in doc["events"] if e["type"] == "bend"]
    assert bends and all({"peak_flexion_deg", "severity", "start", "end"} <= set(e) for e in bends)
    assert doc["summary"]["total"]["bends"]["count"] == len(bends)


def test_analyze_several_inputs_and_csv(demo_recording, tmp_path, capsys):
    csv = tmp_path / "short.csv"
    assert main(["export", str(demo_recording), "-o", str(csv)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(demo_recording), str(csv), "--json", "--no-gait"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    a, b = (json.loads(x) for x in lines)
    assert a["recording"]["path"] == str(demo_recording) and b["recording"]["imported"] is True
    bends_a = [e["peak_flexion_deg"] for e in a["events"] if e["type"] == "bend"]
    bends_b = [e["peak_flexion_deg"] for e in b["events"] if e["type"] == "bend"]
    assert bends_a == pytest.approx(bends_b, abs=0.5)


def test_analyze_readable_and_errors(demo_recording, tmp_path, capsys):
    assert main(["analyze", str(demo_recording)]) == 0
    out = capsys.readouterr().out
    assert "bends" in out and "posture" in out
    assert main(["analyze", str(tmp_path / "missing.skr")]) == 1
    assert "error" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[thresholds]\nslouch_delay_s = -1\n")
    assert main(["analyze", str(demo_recording), "--profile", str(bad)]) == 1
    assert "slouch_delay_s" in capsys.readouterr().err


def test_calibrate_stores_in_profile_and_analyze_uses_it(demo_recording, tmp_path, capsys):
    prof = tmp_path / "patient.toml"
    prof.write_text("[patient]\nid = \"P1\"\n[thresholds]\nslouch_delay_s = 12\n")
    assert main(["calibrate", str(demo_recording), "--upright", "1:10", "--profile", str(prof)]) == 0
    loaded = load_profile(prof)
    assert loaded.slouch_delay_s == 12 and loaded.patient == {"id": "P1"}
    assert "rotation" in loaded.calibration
    capsys.readouterr()
    assert main(["analyze", str(demo_recording), "--json", "--profile", str(prof), "--no-gait"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["analysis"]["alignment"]["source"].startswith("sensorkit calibrate")
    assert main(["calibrate", str(demo_recording), "--upright", "10:5"]) == 1
