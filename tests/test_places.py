"""The user's folders (platformdirs) and the default profile (issue 16): a patient calibrates once and
never names the profile again; the demo's recording goes to the system's data folder."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from sensorkit.cli.main import main
from sensorkit.places import config_dir, data_dir, default_profile
from sensorkit.signal.profile import load_profile


def test_folders_are_the_systems_own() -> None:
    # conftest points XDG_DATA_HOME / XDG_CONFIG_HOME at folders of this test's own: Linux's rule
    assert data_dir() == Path(os.environ["XDG_DATA_HOME"]) / "sensorkit"
    assert default_profile() == Path(os.environ["XDG_CONFIG_HOME"]) / "sensorkit" / "profile.toml"


def test_commands_read_the_default_profile_when_none_is_given(tmp_path, capsys) -> None:
    assert main(["profile", "show"]) == 0
    assert capsys.readouterr().out.startswith(f"profile: the built-in defaults (no file at {default_profile()})")
    config_dir().mkdir(parents=True)
    default_profile().write_text('[patient]\nid = "P7"\n[thresholds]\nslouch_tolerance_deg = 25\n')
    assert main(["profile", "show"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"profile: {default_profile()} ")
    assert any(line.startswith("slouch_tolerance_deg") and "25*" in line for line in out.splitlines())

    rec = tmp_path / "s.skr"
    assert main(["simulate", "--scenario", "office", "--duration", "120", "-o", str(rec)]) == 0
    capsys.readouterr()
    assert main(["analyze", "--json", "--no-gait", str(rec)]) == 0
    assert json.loads(capsys.readouterr().out)["analysis"]["profile"] == str(default_profile())
    other = tmp_path / "other.toml"
    other.write_text("[thresholds]\n")
    assert main(["analyze", "--json", "--no-gait", str(rec), "--profile", str(other)]) == 0  # given wins
    assert json.loads(capsys.readouterr().out)["analysis"]["profile"] == str(other)


def test_live_calibration_without_profile_goes_to_the_default_profile(capsys) -> None:
    assert not default_profile().exists()
    assert main(["calibrate", "--emulate", "sensorkit", "--speed", "25"]) == 0
    assert f"stored in {default_profile()}" in capsys.readouterr().out
    assert load_profile(default_profile()).calibration["forward_known"]
    assert stat.S_IMODE(config_dir().stat().st_mode) == 0o700
    assert stat.S_IMODE(default_profile().stat().st_mode) == 0o600


def test_demo_default_recording_is_in_the_data_folder() -> None:
    from sensorkit.cli.demo import default_path

    assert default_path() == data_dir() / "demo.skr"
