"""Failure modes of a recording session: a killed recorder, an unknown or unsupported device."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from sensorkit.ble.collector import Transport, find
from sensorkit.ble.radio import VirtualRadio, use_radio
from sensorkit.cli.main import main
from sensorkit.emulator.base import EmulatedSensor
from sensorkit.errors import DeviceError
from sensorkit.samples import SampleBlock, find_gaps
from sensorkit.simulator import simulate
from sensorkit.store import RecordingReader


def test_kill_9_of_the_recorder_loses_nothing_it_had_committed(tmp_path):
    """What a kill -9 leaves: a readable recording, without gaps, holding every sample committed before.

    How much is committed by then is the store's one-second rule, tested on a controllable clock in
    test_store_reliability (the main file alone misses at most the last second). It is not checked
    against the wall clock here: on a busy machine the emulated sensor inside the recorder falls
    behind the wall clock (its world waits for it), so wall time says nothing about what was sent.
    """
    path = tmp_path / "killed.skr"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sensorkit.cli", "record", "--emulate", "sensorkit", "--scenario", "static",
         "--seed", "5", "--duration", "60", "-o", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _stored_seconds(path) < 2.0:
            time.sleep(0.2)
        seen = _stored_seconds(path)
        for _ in range(5):  # watch it commit some more, then kill it at an arbitrary moment
            time.sleep(0.2)
            seen = max(seen, _stored_seconds(path))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    with RecordingReader(path) as reader:
        stored = reader.samples()
    assert seen >= 2.0 and len(stored) > 200 and not find_gaps(stored.t, 100.0)
    assert stored.t[-1] >= seen  # nothing committed was lost
    truth = simulate("static", seed=5, duration_s=60).block
    k = np.round(stored.t * 100).astype(int)
    assert np.array_equal(k, np.arange(len(k)))
    assert np.max(np.abs(stored.acc - truth.acc[k])) <= 16 * 9.80665 / 32768


def _stored_seconds(path) -> float:
    """The time of the last committed sample (0 before there is one)."""
    if not path.exists():
        return 0.0
    try:
        with RecordingReader(path) as reader:
            t = reader.samples().t
    except Exception:  # noqa: BLE001 - the writer may be between creating the file and its schema
        return 0.0
    return float(t[-1]) if len(t) else 0.0


class ForeignBand(EmulatedSensor):
    """A fitness band SensorKit has no profile for."""

    kind = "foreign"
    name_prefix = "FooBand"

    def build_services(self):
        return [self.battery_service()]

    def encode(self, first_counter, acc, gyr):
        return b""


def test_unsupported_device_is_a_clear_message_and_nothing_is_written(tmp_path):
    async def scenario():
        radio = VirtualRadio()
        use_radio(radio)
        band = ForeignBand(SampleBlock(np.zeros(1), np.zeros((1, 3))), 50.0, name="FooBand-7")
        await band.start(radio)
        try:
            with pytest.raises(DeviceError, match="FooBand-7 is not a supported sensor"):
                await find("FooBand-7", 2.0, Transport.virtual())
            with pytest.raises(DeviceError, match="no Bluetooth device named or addressed 'Nobody'"):
                await find("Nobody", 0.3, Transport.virtual())
        finally:
            await band.close()
            use_radio(None)

    asyncio.run(scenario())
    assert list(tmp_path.iterdir()) == []


def test_cli_unknown_kind_or_unreachable_device_exits_1_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "x.skr"
    assert main(["record", "--emulate", "fitbit", "-o", str(out)]) == 1
    assert "no emulator for device kind 'fitbit'" in capsys.readouterr().err
    assert main(["record", "--emulate", "sensorkit", "--fault", "loss=lots", "-o", str(out)]) == 1
    assert "loss='lots' is not a number" in capsys.readouterr().err
    if not os.path.exists("/sys/class/bluetooth"):  # this machine: no adapter at all
        assert main(["record", "--device", "SensorKit-0001", "-o", str(out)]) == 1
        assert "cannot use Bluetooth on this computer" in capsys.readouterr().err
    assert not out.exists()
    out.write_bytes(b"a patient's notes")  # an existing file is never overwritten without --force
    assert main(["record", "--emulate", "sensorkit", "--duration", "1", "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == b"a patient's notes"


def test_scan_lists_an_emulated_sensor_with_name_address_rssi_and_kind(capsys):
    assert main(["scan", "--emulate", "sensorkit", "--timeout", "0.5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "address", "rssi", "kind"]
    assert lines[1].split() == ["SensorKit-0001", "D0:5E:45:00:00:01", "-50", "sensorkit"]
