"""`sensorkit simulate`: exit codes, messages, what it writes.

(`sensorkit demo` has grown into the live emulated-sensor demo; its tests live with it.)
"""

from __future__ import annotations

import re

import pytest

from sensorkit.cli.main import main
from sensorkit.simulator import load_ground_truth
from sensorkit.store import RecordingReader


def test_simulate_writes_a_recording_and_says_what(tmp_path, capsys):
    out = tmp_path / "bends.skr"
    assert main(["simulate", "--scenario", "bends", "--seed", "3", "--duration", "60",
                 "--rate", "50", "--loss", "0.02", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    written = int(re.search(r"(\d+) samples at 50 Hz", text).group(1))
    assert 2700 < written < 3000 and "bends" in text and "Ground truth" in text  # 2 % packets lost
    with RecordingReader(out) as reader:
        assert reader.meta.rate_hz == 50.0 and load_ground_truth(reader).of_type("bend")
    assert main(["simulate", "--scenario", "bends", "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["simulate", "--scenario", "bends", "--no-gyro", "--force", "-o", str(out)]) == 0
    with RecordingReader(out) as reader:
        assert not reader.meta.has_gyro


def test_unknown_scenario_is_one_sentence_and_exit_1(tmp_path, capsys):
    assert main(["simulate", "--scenario", "picnic", "-o", str(tmp_path / "x.skr")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "picnic" in err and "warehouse" in err and "Traceback" not in err
    assert not (tmp_path / "x.skr").exists()
    assert main(["simulate", "--scenario", "demo", "--rate", "1000", "-o", str(tmp_path / "x.skr")]) == 1


@pytest.mark.parametrize("argv", [
    ["simulate", "--scenario", "demo"],  # no -o
    ["simulate", "-o", "x.skr"],  # no scenario
    ["simulate", "--scenario", "demo", "--seed", "many", "-o", "x.skr"],
    ["demo", "--bogus"],
])
def test_bad_usage_exits_2(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
