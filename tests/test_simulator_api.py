"""The simulator's public API: determinism, options, durations, errors, save and load round trip."""

from __future__ import annotations

import numpy as np
import pytest

from sensorkit.errors import SettingsError
from sensorkit.samples import RecordingMeta, SampleBlock, find_gaps
from sensorkit.simulator import SCENARIOS, load_ground_truth, save_simulation, simulate
from sensorkit.store import RecordingReader, RecordingWriter


def test_same_seed_same_recording_other_seed_another():
    a, b = simulate("demo", 11, duration_s=90.0), simulate("demo", 11, duration_s=90.0)
    assert np.array_equal(a.block.acc, b.block.acc) and np.array_equal(a.block.gyr, b.block.gyr)
    assert [e.to_json() for e in a.truth.events] == [e.to_json() for e in b.truth.events]
    c = simulate("demo", 12, duration_s=90.0)
    assert not np.array_equal(a.block.acc, c.block.acc)


def test_meta_describes_a_16g_2000dps_int16_device():
    sim = simulate("static", 1, duration_s=20.0)
    meta = sim.meta
    assert meta.device_kind == "simulator" and meta.rate_hz == 100.0 and meta.has_gyro
    assert meta.acc_lsb == pytest.approx(16 * 9.80665 / 32768)
    assert meta.gyr_lsb == pytest.approx(np.deg2rad(2000) / 32768)
    counts = sim.block.acc / meta.acc_lsb
    assert np.allclose(counts, np.rint(counts), atol=1e-6)
    assert meta.extra["simulator"]["scenario"] == "static"


def test_every_scenario_runs_and_its_events_lie_inside_it():
    assert {"demo", "office", "warehouse", "bends", "slouch", "walk", "static"} <= set(SCENARIOS)
    for name in SCENARIOS:
        sim = simulate(name, 2, duration_s=240.0)
        assert len(sim.block) == 24000
        assert sim.truth.events, name
        for e in sim.truth.events:
            assert 0.0 <= e.start < e.end <= 240.0 + 1e-9, (name, e)
        postures = sim.truth.of_type("posture")
        assert {e.fields["posture"] for e in postures} <= {"sitting", "standing", "lying"}


def test_demo_holds_a_bit_of_everything():
    truth = simulate("demo", 1).truth
    bends = truth.of_type("bend")
    assert {e.fields["style"] for e in bends} == {"stoop", "squat"}
    assert any(e.fields["lift"] for e in bends) and any(e.fields["twist_deg"] > 0 for e in bends)
    assert len(truth.of_type("walking_bout")) >= 3 and len(truth.of_type("slouch")) >= 2
    assert {e.fields.get("lying_side") for e in truth.of_type("posture")} >= {"supine", "left", "prone"}
    assert max(e.end for e in truth.events) == pytest.approx(600.0)


def test_duration_compresses_scripted_and_cuts_generated_scenarios():
    short = simulate("demo", 1, duration_s=200.0)
    assert short.block.t[-1] == pytest.approx(200.0 - 0.01)
    assert len(short.truth.of_type("bend")) == 5  # compressed, not cut
    day = simulate("warehouse", 1, duration_s=300.0)
    assert day.truth.of_type("bend") and max(e.end for e in day.truth.events) <= 300.0


def test_packet_loss_leaves_gaps_found_by_find_gaps():
    sim = simulate("demo", 3, duration_s=300.0, loss=0.05)
    gaps = find_gaps(sim.block.t, sim.meta.rate_hz)
    missing = sum(g.samples for g in gaps)
    assert len(gaps) > 20 and missing == 30000 - len(sim.block)
    assert 0.02 < missing / 30000 < 0.08
    assert sim.block.t[0] == 0.0 and sim.block.t[-1] == pytest.approx(299.99)
    assert np.array_equal(sim.truth.t, sim.block.t) and len(sim.truth.flexion_deg) == len(sim.block)
    clean = simulate("demo", 3, duration_s=300.0)
    assert not find_gaps(clean.block.t, 100.0)


def test_accelerometer_only_and_other_rates():
    sim = simulate("bends", 2, duration_s=60.0, rate_hz=20.0, has_gyro=False)
    assert sim.block.gyr is None and not sim.meta.has_gyro and len(sim.block) == 1200
    fast = simulate("bends", 2, duration_s=60.0, rate_hz=200.0)
    assert len(fast.block) == 12000 and np.allclose(np.diff(fast.block.t), 0.005)
    # the motion does not depend on the rate: the same bends at both rates
    assert [e.to_json() for e in sim.truth.events] == [e.to_json() for e in fast.truth.events]


@pytest.mark.parametrize("kwargs, words", [
    ({"scenario": "picnic"}, "demo, office, warehouse"),
    ({"rate_hz": 5.0}, "10-400 Hz"),
    ({"loss": 0.9}, "packet loss"),
    ({"duration_s": -1.0}, "duration"),
    ({"misalignment_deg": 120.0}, "misalignment"),
])
def test_impossible_settings_are_settings_errors(kwargs, words):
    args = {"scenario": "demo", "seed": 0, **kwargs}
    with pytest.raises(SettingsError, match=words):
        simulate(**args)


def test_save_read_back_and_load_ground_truth(tmp_path):
    sim = simulate("demo", 4, duration_s=120.0, loss=0.02)
    path = tmp_path / "sim.skr"
    save_simulation(sim, path)
    with RecordingReader(path) as reader:
        block = reader.samples()
        truth = load_ground_truth(reader)
        assert reader.meta.device_kind == "simulator" and reader.event_count() == 0
    assert np.allclose(block.t, sim.block.t, rtol=0, atol=1e-8)  # the store keeps times in ns
    assert np.allclose(block.acc, sim.block.acc, atol=1e-9) and np.allclose(block.gyr, sim.block.gyr, atol=1e-9)
    assert [e.to_json() for e in truth.events] == [e.to_json() for e in sim.truth.events]
    assert np.allclose(truth.t, sim.truth.t)
    assert np.allclose(truth.flexion_deg, sim.truth.flexion_deg, atol=0.006)
    assert np.allclose(truth.lateral_bend_deg, sim.truth.lateral_bend_deg, atol=0.006)
    assert np.array_equal(truth.step_times, sim.truth.step_times)
    assert list(truth.step_sides) == list(sim.truth.step_sides)
    assert np.allclose(truth.sensor_to_body, sim.truth.sensor_to_body)
    assert truth.neutral == sim.truth.neutral
    with pytest.raises(Exception, match="already exists"):
        save_simulation(sim, path)
    save_simulation(sim, path, overwrite=True)


def test_recording_without_truth_gives_none(tmp_path):
    path = tmp_path / "plain.skr"
    with RecordingWriter(path, RecordingMeta(rate_hz=50.0, start_time="2025-01-01T00:00:00+00:00")) as w:
        w.append(SampleBlock(np.arange(10) / 50.0, np.zeros((10, 3)), np.zeros((10, 3))))
    with RecordingReader(path) as reader:
        assert load_ground_truth(reader) is None


def test_written_as_made_is_the_same_recording_as_made_then_saved(tmp_path):
    """`sensorkit simulate` writes minute by minute (a week in bounded memory): same samples, same
    blocks, same truth as simulate() + save_simulation()."""
    from datetime import datetime, timezone

    from sensorkit.simulator import simulate_to_recording

    start = datetime(2025, 5, 1, 7, 0, tzinfo=timezone.utc)
    sim = simulate("warehouse", 5, 200.0, 50.0, True, 0.1, 20.0, start, "P1", "Europe/Paris")
    save_simulation(sim, tmp_path / "a.skr")
    meta, truth, count = simulate_to_recording(tmp_path / "b.skr", "warehouse", 5, 200.0, 50.0, True, 0.1, 20.0,
                                               start, "P1", "Europe/Paris")
    assert meta == sim.meta and count == len(sim.block) and truth.events == sim.truth.events
    with RecordingReader(tmp_path / "a.skr") as a, RecordingReader(tmp_path / "b.skr") as b:
        assert a.meta == b.meta and a.gaps() == b.gaps() and len(a.gaps()) > 3
        assert a._block_index(-np.inf, np.inf) == b._block_index(-np.inf, np.inf)
        sa, sb = a.samples(), b.samples()
        assert np.array_equal(sa.t, sb.t) and np.array_equal(sa.acc, sb.acc) and np.array_equal(sa.gyr, sb.gyr)
        ta, tb = load_ground_truth(a), load_ground_truth(b)
    for name in ("t", "flexion_deg", "lateral_bend_deg", "step_times", "misalignment"):
        assert np.array_equal(getattr(ta, name), getattr(tb, name)), name
    assert ta.events == tb.events and ta.info == tb.info
