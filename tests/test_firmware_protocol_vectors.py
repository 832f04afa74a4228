"""The protocol's test vectors: up to date with their generator, consistent with SPEC.md, and
passed by the Python codec the collector and the emulator use (``sensorkit.devices.sensorkit_imu``).

The C codec is checked against the same files in test_firmware_protocol_c.py, so the firmware and
the Python side cannot drift apart without one of the two tests failing.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sensorkit.devices import sensorkit_imu as codec
from sensorkit.errors import DecodeError
from sensorkit.samples import STANDARD_GRAVITY

PROTOCOL = Path(__file__).resolve().parents[1] / "firmware-protocol"
VECTORS = PROTOCOL / "vectors"


def load(name: str) -> list[dict[str, Any]]:
    return json.loads((VECTORS / name).read_text())["vectors"]


def cases(name: str, valid: bool) -> list[Any]:
    return [
        pytest.param(v, id=v["name"]) for v in load(name) if ("error" not in v) == valid
    ]


def test_vectors_match_their_generator() -> None:
    result = subprocess.run(
        [sys.executable, str(VECTORS / "generate.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_spec_examples_are_vectors() -> None:
    """The worked examples printed in SPEC.md are exactly bytes of vectors (spaces removed)."""
    spec = (PROTOCOL / "SPEC.md").read_text()
    data = {v["name"]: v["hex"] for v in load("data_packets.json")}
    config = {v["name"]: v["hex"] for v in load("config.json")}
    for hex_string in (data["one_sample_worked_example"], config["spec_example"]):
        spaced = " ".join(hex_string[i : i + 2] for i in range(0, len(hex_string), 2))
        assert f"`{spaced}`" in spec


def test_vectors_cover_every_required_case() -> None:
    data = load("data_packets.json")
    valid = [v["decoded"] for v in data if "error" not in v]
    assert {1, 19} <= {d["n"] for d in valid}
    assert any(not d["gyro"] for d in valid)
    assert {(d["acc_range_code"], d["gyr_range_code"]) for d in valid} >= {(a, g) for a in range(4) for g in range(5)}
    assert any(d["sample_counters"][-1] < d["sample_counters"][0] for d in valid), "no counter wrap"
    assert any(d["clipped"] for d in valid) and any(d["battery_low"] for d in valid)
    assert {v["error"] for v in data if "error" in v} == {"short", "version", "count", "length", "reserved", "range"}
    control_errors = {v["att_error"] for v in load("control_commands.json")}
    assert control_errors == {None, 0x80, 0x81, 0x82}


# -- data packets ------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", cases("data_packets.json", valid=True))
def test_python_decodes_data_packet(vector: dict[str, Any]) -> None:
    d = vector["decoded"]
    packet = codec.unpack_data(bytes.fromhex(vector["hex"]))
    assert (packet.counter, packet.acc_code, packet.gyr_code) == (d["counter"], d["acc_range_code"], d["gyr_range_code"])
    assert (packet.battery_low, packet.clipped) == (d["battery_low"], d["clipped"])
    np.testing.assert_array_equal(packet.acc, d["acc_raw"])
    if d["gyro"]:
        np.testing.assert_array_equal(packet.gyr, d["gyr_raw"])
    else:
        assert packet.gyr is None
    samples = codec.to_samples(packet)
    assert (samples.counter, samples.counter_modulus) == (d["counter"], 2**32)
    np.testing.assert_allclose(samples.acc, np.array(d["acc_g"]) * STANDARD_GRAVITY, rtol=1e-12, atol=0)
    if d["gyro"]:
        np.testing.assert_allclose(samples.gyr, np.radians(d["gyr_dps"]), rtol=1e-12, atol=0)


@pytest.mark.parametrize("vector", cases("data_packets.json", valid=True))
def test_python_encodes_data_packet(vector: dict[str, Any]) -> None:
    d = vector["decoded"]
    packet = codec.DataPacket(
        counter=d["counter"],
        acc=np.array(d["acc_raw"], dtype=np.int16),
        gyr=np.array(d["gyr_raw"], dtype=np.int16) if d["gyro"] else None,
        acc_code=d["acc_range_code"],
        gyr_code=d["gyr_range_code"],
        battery_low=d["battery_low"],
        clipped=d["clipped"],
    )
    assert codec.pack_data(packet).hex() == vector["hex"]


@pytest.mark.parametrize("vector", cases("data_packets.json", valid=False))
def test_python_rejects_malformed_data_packet(vector: dict[str, Any]) -> None:
    with pytest.raises(DecodeError):
        codec.unpack_data(bytes.fromhex(vector["hex"]))


# -- control commands --------------------------------------------------------------------------


@pytest.mark.parametrize("vector", [pytest.param(v, id=v["name"]) for v in load("control_commands.json")])
def test_python_control_command(vector: dict[str, Any]) -> None:
    """Parse and state-check as a device would (the ATT error rides on the DecodeError), and encode
    as the collector does."""
    payload = bytes.fromhex(vector["hex"])
    with pytest.raises(DecodeError) if vector["att_error"] else nullcontext() as caught:
        command = codec.parse_command(payload)
        codec.check_command_state(command, vector["streaming"])
    if vector["att_error"]:
        assert caught.value.att_error == vector["att_error"]
    if vector["command"] is not None:
        expected = vector["command"]
        assert codec.parse_command(payload) == codec.Command(expected["opcode"], tuple(expected["args"]))
        assert codec.pack_command(expected["opcode"], *expected["args"]) == payload


# -- configuration read-back -------------------------------------------------------------------


@pytest.mark.parametrize("vector", cases("config.json", valid=True))
def test_python_config_round_trip(vector: dict[str, Any]) -> None:
    d = vector["decoded"]
    config = codec.DeviceConfig.unpack(bytes.fromhex(vector["hex"]))
    got = {
        "version": config.version, "streaming": config.streaming, "gyro": config.has_gyro,
        "battery_low": config.battery_low, "rate_hz": config.rate_hz, "acc_range_code": config.acc_code,
        "gyr_range_code": config.gyr_code, "samples_per_packet": config.samples_per_packet,
        "sync_counter": config.sync_counter, "sync_host_unix_us": config.sync_host_us,
        "battery_low_pct": config.battery_low_pct, "imu_chip": config.imu_chip,
    }
    assert got == d
    assert config.pack().hex() == vector["hex"]


@pytest.mark.parametrize("vector", cases("config.json", valid=False))
def test_python_rejects_malformed_config(vector: dict[str, Any]) -> None:
    with pytest.raises(DecodeError):
        codec.DeviceConfig.unpack(bytes.fromhex(vector["hex"]))


def test_scales_match_spec_table() -> None:
    """SPEC.md section 2: value = raw * full_scale / 32768, in m/s^2 and rad/s for the collector."""
    for code, full_scale in enumerate((2, 4, 8, 16)):
        assert codec.acc_scale(code) == pytest.approx(full_scale * STANDARD_GRAVITY / 32768, rel=1e-15)
    for code, full_scale in enumerate((125, 250, 500, 1000, 2000)):
        assert codec.gyr_scale(code) == pytest.approx(math.radians(full_scale) / 32768, rel=1e-15)
