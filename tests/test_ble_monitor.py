"""`sensorkit monitor`: the live pipeline runs on committed samples and prints state changes."""

from __future__ import annotations

from sensorkit.cli.main import main
from sensorkit.signal.scoring import match_events
from sensorkit.store import RecordingReader

LIVE_STATES = {"walking", "bending", "lying", "slouched", "upright", "standing", "unknown"}


def test_monitor_prints_live_states_and_stores_the_live_events(tmp_path, capsys):
    out = tmp_path / "live.skr"
    argv = ["monitor", "--emulate", "sensorkit", "--scenario", "slouch", "--duration", "90",
            "--speed", "30", "--fault", "drop_every=40", "-o", str(out)]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    states = [line for line in lines if "  state  " in line]
    assert states and all(line.split()[2] in LIVE_STATES for line in states)
    assert any("  gap  " in line and "(link)" in line for line in lines)  # the drop at 40 s is shown
    assert any(line.startswith(f"recorded {out}: ") for line in lines)  # wherever warnings put it
    with RecordingReader(out) as reader:
        kinds = {e.type for e in reader.events()}
    assert {"posture", "data_gap"} <= kinds


def test_demo_streams_the_demo_scenario_through_the_whole_path_and_summarises(tmp_path, capsys):
    from sensorkit.simulator import load_ground_truth

    out = tmp_path / "demo.skr"
    # 40x, the default. On a loaded machine the emulator falls behind its schedule; the emulated world's
    # clock waits for it (EmulatedSensor.world_time), so that is not read as a slow sensor clock.
    assert main(["demo", "-o", str(out), "--speed", "40", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert f"recorded {out}: 60000 samples" in text and "day summary" in text and "truth" in text
    assert "aligned   by the guided calibration" in text  # the session began with it, as a patient's does
    with RecordingReader(out) as reader:
        assert reader.meta.source.startswith("emulated sensorkit")
        truth = load_ground_truth(reader)
        assert len(truth.of_type("bend")) == 5
        assert any(e.type == "walking_bout" for e in reader.events())
        span = reader.meta.calibration["span_s"]  # the routine, found live in the stream
        assert abs(span[1] - truth.of_type("calibration")[0].end) < 1.0
        assert min(e.start for e in reader.events("bend")) > span[1]  # its bend is not a bend of the day
        live = {kind: list(reader.events(kind)) for kind in ("bend", "slouch")}
    # the live path through bleak, collector and store, calibrated first: the truth, one to one
    for kind, found in live.items():
        assert match_events(truth.of_type(kind), found).f1 == 1.0, kind
