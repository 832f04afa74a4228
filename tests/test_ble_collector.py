"""The collector end to end: emulated SensorKit sensor -> Bumble virtual radio -> bleak -> collector -> store.

Each test builds its own radio inside its own ``asyncio.run`` (Bumble binds to the loop) and checks
the stored recording against the emulator's ground truth: which device counters it sent, withheld
(lost or corrupted) or could not send (no link). Runs are faster than real time where timing
does not matter.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from sensorkit.ble.sessions import SessionResult, record_emulated
from sensorkit.emulator.faults import Faults
from sensorkit.emulator.sources import simulated
from sensorkit.samples import find_gaps
from sensorkit.store import RecordingReader

RATE = 100.0


def record(tmp_path, *, duration=30.0, faults="", speed=20.0, seed=1, scenario="demo") -> tuple[SessionResult, object]:
    source = simulated(scenario, seed=seed, duration_s=max(duration, 10.0))
    result = asyncio.run(
        record_emulated("sensorkit", source, tmp_path / "rec.skr", faults=Faults.parse(faults),
                        speed=speed, seed=seed, duration_s=duration)
    )
    with RecordingReader(tmp_path / "rec.skr") as reader:
        stored = reader.samples()
        events = reader.events()
    return result, (source, stored, events)


def counters_of(t: np.ndarray) -> np.ndarray:
    k = np.round(t * RATE).astype(np.int64)
    assert np.allclose(t, k / RATE, atol=0.25 / RATE), "stored times are not on the device's sample grid"
    return k


def withheld(result: SessionResult) -> set[int]:
    return {c for first, n in result.emulator.withheld for c in range(first, first + n)}


def test_100hz_session_stores_every_sample_invents_none_and_times_match_truth(tmp_path):
    result, (source, stored, _) = record(tmp_path, duration=30.0, faults="drift_ppm=50")
    truth = source.block
    assert len(truth) == 3000 and len(stored) == 3000  # every sample, none invented
    assert result.stats.gaps == 0 and result.stats.samples_lost == 0
    # Times within one sample period of the emulator's truth (drift 50 ppm: 1.5 ms over 30 s).
    assert np.max(np.abs(stored.t - truth.t)) < 1.0 / RATE
    assert np.all(np.diff(stored.t) > 0)
    # Values are the truth at the device's resolution (int16 at +-16 g / +-2000 deg/s), not neighbours.
    assert np.max(np.abs(stored.acc - truth.acc)) <= 16 * 9.80665 / 32768
    assert np.max(np.abs(stored.gyr - truth.gyr)) <= np.deg2rad(2000) / 32768


def test_one_percent_loss_every_lost_sample_is_a_gap_none_filled(tmp_path):
    result, (source, stored, events) = record(tmp_path, duration=60.0, faults="loss=0.01", seed=3)
    lost = withheld(result)
    assert len(lost) >= 19  # the seed loses at least one packet
    k = counters_of(stored.t)
    assert set(k.tolist()) == set(range(6000)) - lost  # exactly the lost ones are missing
    gaps = find_gaps(stored.t, RATE)
    assert sum(g.samples for g in gaps) == len(lost) == result.stats.samples_lost
    assert sum(e.fields["samples"] for e in events if e.type == "data_gap") == len(lost)


def test_duplicates_and_reordering_give_no_double_samples(tmp_path):
    result, (_, stored, _) = record(tmp_path, duration=60.0, faults="dup=0.05,reorder=0.05", seed=2)
    assert result.emulator.duplicated > 0 and result.emulator.reordered > 0
    k = counters_of(stored.t)
    assert len(np.unique(k)) == len(k) == 6000  # reordered packets are put back, none lost
    assert np.all(np.diff(stored.t) > 0)
    assert result.stats.duplicates_dropped == 19 * result.emulator.duplicated


def test_corrupt_packets_are_counted_skipped_and_reported(tmp_path):
    result, (_, stored, _) = record(tmp_path, duration=60.0, faults="corrupt=0.02", seed=4)
    assert result.emulator.corrupted > 0
    assert result.stats.corrupt_packets == result.emulator.corrupted
    assert len(result.stats.corrupt_examples) == min(5, result.emulator.corrupted)
    k = counters_of(stored.t)
    assert set(k.tolist()) == set(range(6000)) - withheld(result)
    with RecordingReader(tmp_path / "rec.skr") as reader:
        assert reader.meta.extra["collector"]["corrupt_packets"] == result.emulator.corrupted


def test_link_drop_reconnects_within_2s_same_recording_gap_marked(tmp_path):
    result, (_, stored, events) = record(tmp_path, duration=20.0, faults="drop_every=5", speed=4.0)
    drops = result.emulator.link_drops
    assert drops == 3
    assert result.stats.reconnects == drops
    assert len(result.stats.reconnect_s) == drops and max(result.stats.reconnect_s) < 2.0
    link_gaps = [e for e in events if e.type == "data_gap" and e.fields["cause"] == "link"]
    assert len(link_gaps) == drops
    k = counters_of(stored.t)
    assert set(k.tolist()) == set(range(2000)) - withheld(result) - _unsent(result, k)
    assert stored.t[-1] > 19.0  # streaming went on after the last drop, in the same recording


def _unsent(result: SessionResult, k: np.ndarray) -> set[int]:
    """Counters the emulator could not send while unlinked: exactly the holes the link gaps cover."""
    missing = set(range(2000)) - set(k.tolist()) - withheld(result)
    assert len(missing) == result.emulator.unsent_no_link
    return missing


@pytest.mark.parametrize("spec", ["loss", "loss=2", "drop_every=-1", "nonsense=1", "loss=0.1,loss=0.2"])
def test_bad_fault_spec_is_a_clear_error(spec):
    from sensorkit.errors import SettingsError

    with pytest.raises(SettingsError):
        Faults.parse(spec)


def test_sensor_restarting_its_counter_after_a_reconnect_is_placed_by_host_time(tmp_path):
    """A power cycle during an outage: the counter restarts at 0; the recording goes on after a gap."""
    from sensorkit.ble.collector import Collector, Transport, find
    from sensorkit.ble.radio import VirtualRadio, use_radio
    from sensorkit.devices.sensorkit_imu import SensorKitProfile
    from sensorkit.emulator.sensorkit_imu import SensorKitEmulator

    class PowerCycling(SensorKitEmulator):
        outages: list[list[float]] = []  # [off, on] in stream seconds of the emulated world

        def drop_link(self):
            super().drop_link()
            self.stop_streaming()  # the battery clip bounced: counter and stream start again at Start
            self.outages.append([self.world_time() * self.speed])

        def start_streaming(self):
            if not self.streaming and self.outages and len(self.outages[-1]) == 1:
                self.outages[-1].append(self.world_time() * self.speed)
            super().start_streaming()

    source = simulated("demo", seed=1, duration_s=20.0)

    async def session():
        radio = VirtualRadio()
        use_radio(radio)
        sensor = PowerCycling(source.block, RATE, faults=Faults.parse("drop_every=8"), speed=4.0)
        await sensor.start(radio)
        found = await find(sensor.name, 2.0, Transport.virtual())
        collector = Collector(found, tmp_path / "rec.skr", profile=SensorKitProfile(100), duration_s=19.0,
                              transport=Transport.virtual(), speed=4.0, clock=sensor.world_time)
        stats = await collector.run()
        await sensor.close()
        return stats

    stats = asyncio.run(session())
    with RecordingReader(tmp_path / "rec.skr") as reader:
        stored, events = reader.samples(), reader.events()
    assert stats.new_runs == stats.reconnects >= 1
    assert np.all(np.diff(stored.t) > 0)
    link_gaps = [e for e in events if e.type == "data_gap" and e.fields["cause"] == "link"]
    assert len(link_gaps) == stats.new_runs
    # The new run is placed by host time: the gap is the outage (a reconnect: 0.3-0.7 s of stream at 4x
    # on a loaded machine, so measured, not bounded) plus the packet the power-off cut (never sent)
    # and the new run's first packet (placed by its arrival, when its last sample was taken): 0.38 s.
    outages = [on - off for off, on in PowerCycling.outages[: len(link_gaps)]]
    assert len(outages) == len(link_gaps)
    assert all(0 < (e.end - e.start) - outage < 0.5 for e, outage in zip(link_gaps, outages))
    assert stored.t[-1] > 18.0
