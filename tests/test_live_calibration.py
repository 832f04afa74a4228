"""The guided calibration, live: detected in the stream, stored in the profile or recording, and the
live path as accurate as the offline one on the demo day once the wearer has calibrated."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sensorkit.ble.live import LiveAnalysis
from sensorkit.cli.main import main
from sensorkit.samples import STANDARD_GRAVITY, SampleBlock
from sensorkit.signal.alignment import auto_align
from sensorkit.signal.calibration import PROMPT_BEND, PROMPT_DONE, GuidedCalibration
from sensorkit.signal.pipeline import analyze
from sensorkit.signal.profile import load_profile
from sensorkit.signal.scoring import match_events, outside
from sensorkit.simulator import simulate
from sensorkit.store import RecordingReader


@pytest.fixture(scope="module")
def demo():
    return simulate("demo", seed=1)


def _feed(guide: GuidedCalibration, block: SampleBlock, chunk: int) -> list[str]:
    prompts = []
    for start in range(0, len(block), chunk):
        prompts += guide.update(block.slice(start, start + chunk))
        if guide.finished:
            break
    return prompts


def test_routine_found_in_the_stream_whatever_the_chunking(demo):
    truth = demo.truth.of_type("calibration")[0]
    results = []
    for chunk in (1, 37, 250):
        guide = GuidedCalibration()
        assert _feed(guide, demo.block.between(0, 60), chunk) == [PROMPT_BEND, PROMPT_DONE]
        assert guide.phase == "done" and guide.alignment.forward_known
        assert abs(guide.span[1] - truth.end) < 1.0  # ends as the wearer is back up
        results.append(guide.alignment.rotation)
    assert all(np.array_equal(r, results[0]) for r in results)
    # the same body frame as the offline alignment from the whole day (vertical = standing neutral)
    whole_day = auto_align(demo.block, 100.0).rotation
    assert np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", results[0], whole_day), -1, 1))).max() < 4.0


def _still(seconds: float, rate: float = 50.0, wobble: float = 0.0, seed: int = 0) -> SampleBlock:
    rng = np.random.default_rng(seed)
    t = np.arange(0, seconds, 1 / rate)
    acc = np.tile([0.0, 0.0, STANDARD_GRAVITY], (len(t), 1)) + rng.normal(0, 0.02, (len(t), 3))
    acc[:, 0] += wobble * np.sin(2 * np.pi * 1.8 * t)  # stepping about
    return SampleBlock(t, acc, np.zeros((len(t), 3)))


def test_moving_during_the_stand_fails_and_says_so():
    guide = GuidedCalibration()
    _feed(guide, _still(40.0, wobble=1.5), 25)
    assert guide.phase == "failed" and "moved during the stand" in guide.error and guide.alignment is None


def test_no_bend_fails_and_says_so_but_stand_only_is_allowed():
    guide = GuidedCalibration()
    _feed(guide, _still(45.0), 25)
    assert guide.phase == "failed" and "no forward bend seen" in guide.error
    stand_only = GuidedCalibration(with_bend=False)
    assert _feed(stand_only, _still(10.0), 25) == [PROMPT_DONE]
    assert not stand_only.alignment.forward_known  # said, not guessed silently
    assert np.allclose(stand_only.alignment.up, [0, 0, 1], atol=0.01)


def _scores(events, truth):
    spans = truth.of_type("calibration")
    return {kind: match_events(truth.of_type(kind), outside([e for e in events if e.type == kind], spans))
            for kind in ("bend", "slouch", "transition")}


def test_live_after_calibration_matches_truth_and_offline(demo):
    """The demo day as `sensorkit demo` runs it (a sensor with no declared mounting): calibrate, then
    monitor. Live events equal the truth and the offline analysis of the same recording."""
    meta = dataclasses.replace(demo.meta, device_kind="sensorkit")
    stored = []
    live = LiveAnalysis(meta, calibration=GuidedCalibration(), on_calibrated=stored.append)
    for start in range(0, len(demo.block), 100):
        live.feed(demo.block.slice(start, start + 100))
    live_events = live.finish()
    assert stored and stored[0]["span_s"][1] == pytest.approx(live.calibration.span[1])
    offline = analyze(demo.block, dataclasses.replace(meta, calibration=stored[0])).events
    for events in (live_events, offline):
        scores = _scores(events, demo.truth)
        assert {k: (m.f1, len(m.extra)) for k, m in scores.items()} == {k: (1.0, 0) for k in scores}
        assert min(e.start for e in events if e.type in ("bend", "posture")) >= stored[0]["span_s"][1] - 0.01
    live_peaks = [e.fields["peak_flexion_deg"] for e in live_events if e.type == "bend"]
    offline_peaks = [e.fields["peak_flexion_deg"] for e in offline if e.type == "bend"]
    assert np.allclose(live_peaks, offline_peaks, atol=1.0)


def test_calibrate_live_stores_the_profile_or_fails_without_writing(tmp_path, capsys):
    profile = tmp_path / "p.toml"
    profile.write_text('[patient]\nid = "P1"\nheight_m = 1.68\n')
    assert main(["calibrate", "--emulate", "sensorkit", "--speed", "25", "--profile", str(profile)]) == 0
    out = capsys.readouterr().out
    assert out.index("Stand upright and still") < out.index("Now bend forward slowly") < out.index("calibration done")
    stored = load_profile(profile)
    assert stored.calibration["forward_known"] and "live, guided" in stored.calibration["source"]
    assert stored.patient == {"id": "P1", "height_m": 1.68} and "span_s" not in stored.calibration

    fresh = tmp_path / "q.toml"
    assert main(["calibrate", "--emulate", "sensorkit", "--scenario", "walk", "--speed", "25",
                 "--profile", str(fresh)]) == 1
    assert "no forward bend seen" in capsys.readouterr().err and not fresh.exists()

    # the profile's calibration goes into what `record` writes (monitor: tests/test_live_profile.py)
    rec = tmp_path / "r.skr"
    assert main(["record", "--emulate", "sensorkit", "--scenario", "walk", "--duration", "12", "--speed", "25",
                 "--profile", str(profile), "-o", str(rec)]) == 0
    with RecordingReader(rec) as reader:
        assert reader.meta.calibration["rotation"] == stored.calibration["rotation"]


def test_calibrate_refuses_mixed_or_missing_arguments(tmp_path, capsys):
    assert main(["calibrate", "--emulate", "sensorkit", "x.skr", "--upright", "1:5"]) == 1
    assert main(["calibrate"]) == 1
    assert "--upright" in capsys.readouterr().err


def test_stand_only_calibration_takes_forward_from_the_data(demo):
    """Offline, a calibration without a bend (forward unknown) gets forward from the day's own tilts."""
    meta = dataclasses.replace(demo.meta, device_kind="sensorkit")
    guide = GuidedCalibration(with_bend=False)
    _feed(guide, demo.block.between(0, 30), 100)
    assert not guide.alignment.forward_known
    result = analyze(demo.block, dataclasses.replace(meta, calibration=guide.document("stand only")), gait=False)
    assert result.alignment.forward_known
    assert _scores(result.events, demo.truth)["slouch"].f1 == 1.0


def test_a_calibration_for_another_way_of_wearing_is_flagged(demo):
    """Commodity sensors can be worn any way round, so the calibration (not a nominal mounting) sets
    the body frame; if the sensor is later put on differently, walking shows it and analysis warns."""
    guide = GuidedCalibration()
    _feed(guide, demo.block.between(0, 40), 100)
    doc = guide.document("test")
    same = analyze(demo.block, dataclasses.replace(demo.meta, calibration=doc), gait=False)
    assert not any("worn differently" in w for w in same.warnings)
    turned = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])  # 90 deg about the sensor's y
    block = SampleBlock(demo.block.t, demo.block.acc @ turned.T, demo.block.gyr @ turned.T)
    other = analyze(block, dataclasses.replace(demo.meta, calibration=doc), gait=False)
    assert any("worn differently from its calibration (walking is 9" in w for w in other.warnings)
