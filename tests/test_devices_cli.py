"""`sensorkit devices`: every registered kind with its capabilities, for people and for scripts."""

from __future__ import annotations

import json

from sensorkit.cli.main import main


def test_devices_json_lists_every_vendor_kind_with_capabilities(capsys) -> None:
    assert main(["devices", "--json"]) == 0
    rows = {r["kind"]: r for r in json.loads(capsys.readouterr().out)}
    assert {"metamotion", "polar", "movesense", "witmotion", "thingy52", "microbit"} <= set(rows)
    assert rows["microbit"]["gyroscope"] is False and rows["microbit"]["feedback"] == "leds"
    assert rows["metamotion"]["feedback"] == "haptic" and rows["metamotion"]["device_clock"] is False
    assert rows["polar"]["device_clock"] is True and 200.0 in rows["polar"]["rates_hz"]
    assert not any(r["hardware_tested"] for r in rows.values())


def test_devices_table_has_one_line_per_kind(capsys) -> None:
    assert main(["devices"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("kind") and any(line.startswith("witmotion ") for line in lines)
