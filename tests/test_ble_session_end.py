"""The end of an emulated session: it ends when the collector has everything the emulator sent.

A busy machine makes the emulator fall behind its schedule (it shares the event loop with the
collector and the live consumers). The session must still store every sample: it ends on the
collector's confirmation, not after a fixed sleep, and ``--duration`` cuts the source, not the
stream by drift-corrected time. The emulated world waits for a late emulator (its clock pauses), so
the lag is not read as a slow sensor clock.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np

from sensorkit.ble.sessions import Listeners, record_emulated
from sensorkit.emulator.sources import simulated
from sensorkit.store import RecordingReader

RATE = 100.0


def _record(tmp_path, seconds: float, *, speed: float, slow_consumer_s: float = 0.0, duration_s=None):
    source = simulated("demo", seed=2, duration_s=seconds)
    listeners = Listeners([lambda _block: time.sleep(slow_consumer_s)] if slow_consumer_s else [], [])
    result = asyncio.run(record_emulated("sensorkit", source, tmp_path / "rec.skr", speed=speed, seed=2,
                                         duration_s=duration_s, listeners=listeners))
    with RecordingReader(tmp_path / "rec.skr") as reader:
        stored = reader.samples()
    return result, stored


def test_a_slow_consumer_at_high_speed_loses_no_sample_and_keeps_the_sensor_times(tmp_path):
    # 5 ms per committed block caps the loop at ~200 packets/s; 100x needs ~530: the emulator falls
    # far behind. Timed by the real clock that read as a clock 2 % slow (its clamp: 100 s of data
    # stretched by 2 s); on the emulated world's clock, which waits for it, the times stay the sensor's.
    result, stored = _record(tmp_path, 100.0, speed=100.0, slow_consumer_s=0.005)
    assert result.emulator.behind_s > 10.0  # the world waited for the emulator ...
    assert result.emulator.samples_sent == 10_000  # ... which sent all it had
    assert result.stats.samples_stored == len(stored) == 10_000  # and every sample is stored
    assert result.stats.gaps == 0 and not result.warnings
    assert np.all(np.diff(stored.t) > 0)
    # What is left is the link's own delay, under one packet (19 samples, 0.19 s): it can tilt the drift
    # estimate by that much over the recording (a few thousand ppm over 100 s), never more.
    assert abs(stored.t[-1] - 9999 / RATE) < 0.2  # was 101.99 s: stretched by the 2 % clamp


def test_duration_cuts_the_source_and_the_session_ends_on_its_own(tmp_path):
    result, stored = _record(tmp_path, 10.0, speed=20.0, duration_s=4.0)
    assert result.emulator.samples_sent == result.stats.samples_stored == len(stored) == 400
    assert not result.warnings
    assert np.allclose(stored.t, np.arange(400) / RATE, atol=0.25 / RATE)


def test_an_unconfirmed_end_is_reported_not_hidden(tmp_path, monkeypatch):
    from sensorkit.ble.collector import Collector
    from sensorkit.cli.record import summary_lines

    async def never_confirmed(self, timeout_s):
        return False

    monkeypatch.setattr(Collector, "caught_up", never_confirmed)
    result, stored = _record(tmp_path, 10.0, speed=20.0)
    assert len(result.warnings) == 1 and "did not confirm" in result.warnings[0]
    assert "of the 1000 samples it sent are not stored" in result.warnings[0]
    lines = summary_lines(result)
    assert lines[-1] == f"  warning: {result.warnings[0]}"
    assert any(f"sent {result.emulator.samples_sent} samples" in line for line in lines)
