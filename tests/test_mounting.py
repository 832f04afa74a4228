"""`--mounting` / `--device` on import and analyze: parsing, clear errors, stored, and used by the core."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensorkit.cli.main import main
from sensorkit.errors import SettingsError
from sensorkit.mounting import mounting_from_options, parse_mounting
from sensorkit.samples import STANDARD_GRAVITY
from sensorkit.simulator import simulate
from sensorkit.store import RecordingReader

# the simulator's sensor is x up, y right, z forward; this turns it so -y points up and +z forward
TO_UP_MINUS_Y = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def test_parse_mounting_reads_signed_axes_in_any_order() -> None:
    assert parse_mounting("up=-y,forward=+z") == {"up": [0.0, -1.0, 0.0], "forward": [0.0, 0.0, 1.0]}
    assert parse_mounting(" forward = x , UP=z") == {"up": [0.0, 0.0, 1.0], "forward": [1.0, 0.0, 0.0]}


@pytest.mark.parametrize("text, says", [
    ("up=-y", "must name both axes"),
    ("up=-y,forward=+q", "is not a sensor axis"),
    ("up=-y,forward=+y", "different sensor axes"),
    ("up=-y,up=+z", "must read up=AXIS,forward=AXIS"),
    ("-y,+z", "must read up=AXIS,forward=AXIS"),
    ("up=,forward=z", "is not a sensor axis"),
])
def test_bad_mounting_is_a_settings_error(text: str, says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        parse_mounting(text)


def test_device_mounting_and_its_errors() -> None:
    assert mounting_from_options(None, "sisfall-board") == {"up": [0.0, -1.0, 0.0], "forward": [0.0, 0.0, 1.0]}
    assert mounting_from_options(None, None) is None
    with pytest.raises(SettingsError, match="has no known mounting; known: simulator"):
        mounting_from_options(None, "movesense")
    with pytest.raises(SettingsError, match="not both"):
        mounting_from_options("up=x,forward=z", "simulator")


def _simulated_csv(path: Path) -> None:
    sim = simulate("bends", seed=3)
    acc, gyr = sim.block.acc @ TO_UP_MINUS_Y.T, sim.block.gyr @ TO_UP_MINUS_Y.T
    frame = pd.DataFrame({"time": sim.block.t})
    for i, axis in enumerate("xyz"):
        frame[f"acc_{axis}"] = acc[:, i] / STANDARD_GRAVITY
        frame[f"gyr_{axis}"] = np.degrees(gyr[:, i])
    frame.to_csv(path, index=False, float_format="%.6f")


def test_import_stores_the_mounting(tmp_path: Path) -> None:
    _simulated_csv(tmp_path / "in.csv")
    rec = tmp_path / "rec.skr"
    assert main(["import", str(tmp_path / "in.csv"), "-o", str(rec), "--mounting", "up=-y,forward=+z"]) == 0
    with RecordingReader(rec) as reader:
        assert reader.meta.extra["mounting"] == {"up": [0.0, -1.0, 0.0], "forward": [0.0, 0.0, 1.0]}
    rec2 = tmp_path / "rec2.skr"
    assert main(["import", str(tmp_path / "in.csv"), "-o", str(rec2), "--device", "simulator"]) == 0
    with RecordingReader(rec2) as reader:
        assert reader.meta.extra["mounting"] == {"up": [1.0, 0.0, 0.0], "forward": [0.0, 0.0, 1.0]}


def test_bad_mounting_on_the_command_line_is_one_sentence_and_writes_nothing(tmp_path: Path, capsys) -> None:
    _simulated_csv(tmp_path / "in.csv")
    rec = tmp_path / "rec.skr"
    assert main(["import", str(tmp_path / "in.csv"), "-o", str(rec), "--mounting", "up=-w,forward=+z"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sensorkit: error: --mounting: up='-w' is not a sensor axis") and "Traceback" not in err
    assert not rec.exists()
    assert main(["analyze", str(tmp_path / "in.csv"), "--device", "nonesuch"]) == 1
    assert "--device 'nonesuch' has no known mounting" in capsys.readouterr().err


def test_analyze_uses_the_mounting_given(tmp_path: Path, capsys) -> None:
    _simulated_csv(tmp_path / "in.csv")
    assert main(["analyze", "--json", "--no-gait", str(tmp_path / "in.csv"), "--mounting", "up=-y,forward=+z"]) == 0
    doc = json.loads(capsys.readouterr().out)
    alignment = doc["analysis"]["alignment"]
    assert alignment["forward_known"] is True
    forward = np.array(alignment["rotation"][0])
    assert forward @ np.array([0.0, 0.0, 1.0]) > np.cos(np.radians(25))  # within the mount's misalignment
    bends = [e for e in doc["events"] if e["type"] == "bend"]
    assert len(bends) == 12 and all(b["peak_flexion_deg"] > 15 for b in bends)
