"""Every vendor codec against the hand-derived vectors in tests/vectors/<kind>.json (both directions)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sensorkit.devices import registry
from sensorkit.samples import STANDARD_GRAVITY

VECTORS = Path(__file__).parent / "vectors"
KINDS = ["metamotion", "polar", "movesense", "witmotion", "thingy52", "microbit"]


def load(kind: str) -> dict[str, Any]:
    return json.loads((VECTORS / f"{kind}.json").read_text())


def module_of(kind: str):
    return importlib.import_module(registry.profile_class(kind).__module__)


def resolve(module, arg: Any) -> Any:
    if isinstance(arg, str) and arg.startswith("@"):
        return getattr(module, arg[1:])
    if isinstance(arg, str) and arg.startswith("hex:"):
        return bytes.fromhex(arg[4:])
    if isinstance(arg, list):
        return tuple(arg)
    return arg


def commands():
    for kind in KINDS:
        for vector in load(kind)["commands"]:
            yield pytest.param(kind, vector, id=f"{kind}-{vector['call']}-{vector['hex']}")


CAPTURES = VECTORS / "captures"  # `sensorkit redecode REC --export-vectors DIR` files: what devices sent


def streams():
    for kind in KINDS:
        for vector in load(kind)["streams"]:
            yield pytest.param(kind, vector, id=f"{kind}-{vector['name']}")
    for path in sorted(CAPTURES.glob("*.json")):
        doc = json.loads(path.read_text())
        for vector in doc["streams"]:
            yield pytest.param(doc["kind"], vector, id=f"{doc['kind']}-{vector['name']}")


@pytest.mark.parametrize("kind,vector", commands())
def test_host_to_sensor_commands_match_the_documented_bytes(kind: str, vector: dict) -> None:
    module = module_of(kind)
    args = [resolve(module, a) for a in vector["args"]]
    assert getattr(module, vector["call"])(*args).hex() == vector["hex"]


@pytest.mark.parametrize("kind,vector", streams())
def test_sensor_to_host_packets_decode_to_the_documented_values(kind: str, vector: dict) -> None:
    check_stream(kind, vector)


def check_stream(kind: str, vector: dict) -> None:
    """Decode the vector's packets with a fresh profile of its settings; compare with its values."""
    module = module_of(kind)
    profile = registry.profile_class(kind)(**vector["settings"])
    if "chip" in vector:
        profile.chip = getattr(module, vector["chip"])
    if "factor" in vector:
        profile.factor = vector["factor"]
    decoded = [d for p in vector["packets"] for d in profile.decode("", bytes.fromhex(p))]
    acc = np.concatenate([d.acc for d in decoded])
    expected_acc = np.array(vector["acc_ms2"]) if "acc_ms2" in vector else np.array(vector["acc_g"]) * STANDARD_GRAVITY
    np.testing.assert_allclose(acc, expected_acc, rtol=1e-6, atol=1e-9)
    if "gyr_dps" in vector:
        gyr = np.concatenate([d.gyr for d in decoded])
        np.testing.assert_allclose(gyr, np.deg2rad(vector["gyr_dps"]), rtol=1e-6, atol=1e-9)
    else:
        assert all(d.gyr is None for d in decoded)
    if "device_time_s" in vector:
        t = np.concatenate([d.device_time_s for d in decoded])
        np.testing.assert_allclose(t, vector["device_time_s"], rtol=0, atol=1e-9)
    elif "counter" in vector:
        assert [d.counter for d in decoded] == vector["counter"]
    else:
        assert all(d.device_time_s is None and d.counter is None for d in decoded)


def test_metamotion_battery_reply() -> None:
    from sensorkit.devices import metamotion

    vector = load("metamotion")["battery"]
    assert metamotion.unpack_battery(bytes.fromhex(vector["hex"])) == (vector["percent"], vector["millivolts"])
    assert metamotion.pack_battery(vector["percent"], vector["millivolts"]).hex() == vector["hex"]


def test_polar_settings_response() -> None:
    from sensorkit.devices import polar

    vector = load("polar")["settings_response"]
    response = polar.unpack_response(bytes.fromhex(vector["hex"]))
    assert response.ok and response.op_code == polar.GET_SETTINGS and response.measurement == polar.ACC
    settings = polar.unpack_settings(response.params)
    assert settings[polar.SAMPLE_RATE] == tuple(vector["rates"])
    assert settings[polar.RESOLUTION] == tuple(vector["resolutions"])
    assert settings[polar.RANGE] == tuple(vector["ranges"])
    params = polar.pack_settings({0: tuple(vector["rates"]), 1: tuple(vector["resolutions"]), 2: tuple(vector["ranges"])})
    assert polar.pack_response(polar.GET_SETTINGS, polar.ACC, 0, params).hex() == vector["hex"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_vectors_naming_their_source(kind: str) -> None:
    doc = load(kind)
    assert doc["kind"] == kind and "reference" in doc["source"]
    assert all(v.get("source") for v in doc["commands"] + doc["streams"])
