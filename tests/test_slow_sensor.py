"""Sensors slower than gait detection needs: posture, bending and alerts without walking, and a floor below that."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sensorkit.cli.main import main
from sensorkit.errors import RecordingError
from sensorkit.signal.evaluate import at_rate, evaluate_simulation
from sensorkit.signal.pipeline import analyze
from sensorkit.simulator import simulate
from sensorkit.simulator.simulation import save_simulation

WITMOTION_8_7_HZ = Path("formats") / "witmotion" / "python_sdk_txt" / "20220705190138.txt"


def test_a_real_8_7_hz_witmotion_log_gives_posture_and_bends_without_gait(
        shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = shared_data / WITMOTION_8_7_HZ
    assert main(["analyze", str(path), "--json"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["recording"]["rate_hz"] == pytest.approx(1 / 0.115)
    assert doc["analysis"]["gait"] == "not run: 8.7 Hz is below the 10 Hz step detection needs"
    kinds = {e["type"] for e in doc["events"]}
    assert "posture" in kinds and "walking_bout" not in kinds and "walking_s" not in doc["summary"]["total"]
    assert doc["summary"]["total"]["posture_s"]["standing"] > 15.0  # of its 20 s
    assert "analyze gives posture, bending and alerts from it, but no walking bouts (step detection needs 10 Hz)" in err

    assert main(["analyze", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if "not run" in line] == [
        "  walking   not run: 8.7 Hz is below the 10 Hz step detection needs"]

    recording = tmp_path / "patient" / "witmotion.skr"
    recording.parent.mkdir()
    assert main(["import", str(path), "-o", str(recording)]) == 0
    assert main(["trends", str(tmp_path), "--json", "--tz", "UTC"]) == 0
    trends = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert json.dumps(trends)  # trends reads a recording with no walking at all
    assert main(["analyze", str(recording), "--save", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["analysis"]["gait"].startswith("not run: 8.7 Hz")


def test_simulated_day_at_9_hz_bends_and_slouches_as_at_full_rate() -> None:
    bends, slouch = (evaluate_simulation(s, [1], sensor_rate_hz=9.0) for s in ("bends", "slouch"))
    assert bends.bends.f1 == 1.0 and len(bends.bends.pairs) == 12
    assert abs(bends.peak_errors).max() < 5.0
    assert slouch.slouches.f1 == 1.0


def test_gait_runs_from_10_hz_and_nothing_runs_below_6_hz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sim = simulate("walk", seed=2, rate_hz=50.0)
    walking = analyze(at_rate(sim, 12.5).block, at_rate(sim, 12.5).meta)
    assert walking.gait == "on" and any(e.type == "walking_bout" for e in walking.events)
    slow = at_rate(sim, 9.0)
    result = analyze(slow.block, slow.meta)
    assert result.gait.startswith("not run: 9 Hz") and not any(e.type == "walking_bout" for e in result.events)
    assert analyze(slow.block, slow.meta, gait=False).gait == "off"

    too_slow = at_rate(sim, 5.0)
    with pytest.raises(RecordingError, match="^5 Hz is too slow to analyze: posture and bending need at least 6 Hz"):
        analyze(too_slow.block, too_slow.meta)
    path = tmp_path / "slow.skr"
    save_simulation(too_slow, path)
    assert main(["analyze", str(path)]) == 1
    assert "5 Hz is too slow to analyze" in capsys.readouterr().err
    assert main(["export", str(path), "-o", str(tmp_path / "slow.csv")]) == 0  # still exported
