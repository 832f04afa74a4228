"""An emulated sensor streams a simulated scenario at a rate its kind supports, not always 100 Hz."""

from __future__ import annotations

from sensorkit.cli.main import main
from sensorkit.devices.registry import profiles
from sensorkit.emulator.sources import simulation_rate
from sensorkit.store import RecordingReader


def test_simulation_rate_is_the_supported_rate_nearest_the_request():
    assert simulation_rate("movesense") == 104.0  # 13, 26, 52, 104, 208 Hz
    assert simulation_rate("sensorkit") == 100.0
    assert simulation_rate("microbit", 60.0) == 50.0
    assert simulation_rate("polar", 101.0) == 100.0
    for kind, cls in profiles().items():
        assert simulation_rate(kind) in cls.capabilities.rates_hz


def test_record_emulated_movesense_with_the_default_rate(tmp_path, capsys):
    out = tmp_path / "ms.skr"
    assert main(["record", "--emulate", "movesense", "--duration", "3", "--speed", "20", "-o", str(out)]) == 0
    assert f"recorded {out}: 312 samples from movesense" in capsys.readouterr().out
    with RecordingReader(out) as reader:
        assert reader.meta.rate_hz == 104.0 and reader.meta.device_kind == "movesense"
