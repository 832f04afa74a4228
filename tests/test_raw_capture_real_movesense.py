"""The raw capture on a real Movesense's floats (../shared/data/formats/movesense): they come back bit for
bit and cost about what the emulated ones do (validation/movesense_real_capture.py runs the whole logs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sensorkit.ble import rawcapture
from sensorkit.devices import movesense as gsp
from sensorkit.samples import SampleBlock

JSON_LOG, SBEM_LOG = "formats/movesense/json_log/MovesenseLog_3_786.json", "formats/movesense/sbem_datalogger/imu9-prefix.sbem"


def test_the_capture_learns_the_real_sensors_own_scales(shared_data: Path, validation_script) -> None:
    """A real Movesense sends float32(count) x float32(0.244 mg at g = 9.807) and x float32(70 mdps): the
    predictor learns exactly those steps from the floats (the emulator's datasheet g, 9.80665, was off)."""
    acc, gyr, rate = validation_script("movesense_real_capture").real_floats(shared_data / JSON_LOG)
    acc, gyr = acc[:2000], gyr[:2000]
    stream = b"".join(part for i in range(0, len(acc), 8)
                      for part in gsp.split_message(1, gsp.pack_imu6(i, acc[i : i + 8], gyr[i : i + 8])))
    profile = gsp.Movesense(rate)
    stored = SampleBlock(np.arange(len(acc)) / rate, acc, np.deg2rad(gyr.astype(np.float64)))
    tokens = rawcapture.SampleTokens.of(stored, profile.acc_lsb, profile.gyr_lsb)
    floats = rawcapture.FloatTokens(tokens, profile.sends_floats, [None, None])
    floats.learn(stream)
    assert floats.steps == [float(np.float32(0.244e-3 * 9.807)), float(np.float32(0.07))]


@pytest.mark.parametrize("log, seconds, most", [(JSON_LOG, 30.0, 1.8), (SBEM_LOG, None, 16.0)], ids=["json-30s", "sbem-3s"])
def test_real_movesense_floats_come_back_exact_and_cost_little(shared_data: Path, validation_script, tmp_path: Path,
                                                               log: str, seconds: float | None, most: float) -> None:
    """Recorded with --raw through the emulated Movesense sending the log's floats unchanged: redecode is
    identical, and the capture costs at most ``most`` bytes a sample: 30 s of the JSON log 1.6 (its
    steps learnt; the capture's fixed ~1.5 kB header weighs on so few samples: the whole 85 s log costs
    1.11, the emulated Movesense 1.22); the 3 s log is too short to learn the steps (fewer than 900
    floats), so its floats' low bits stay too: 12, still under the floats' own 24 bytes."""
    r = validation_script("movesense_real_capture").measure(shared_data / log, tmp_path, speed=20.0, seconds=seconds)
    assert r.floats_as_real and r.identical
    assert r.samples == (3120 if seconds else 156)
    assert r.capture_per_sample <= most
