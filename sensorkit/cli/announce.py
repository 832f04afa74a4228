"""What a patient sees when a session starts: which sensor, its battery, where it records, how to stop.

Printed the moment the link is up and streaming (not at the first state change, 20 s later), so a
patient knows at once that the sensor is connected and recording; again, shorter, after a reconnect.
A battery at or under ``LOW_BATTERY_PCT`` is said on the same occasion, before the sensor dies.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from typing import Any, TextIO

from bleak.exc import BleakError

from ..ble.collector import Collector
from ..localtime import zone_for

BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"  # SIG Battery Level, one byte, percent
LOW_BATTERY_PCT = 20  # about an hour left on the small cells such sensors carry


async def battery_percent(client: Any) -> int | None:
    """The sensor's battery level in percent, or None when it does not serve the SIG Battery service."""
    try:
        data = await asyncio.wait_for(client.read_gatt_char(BATTERY_LEVEL_UUID), 3.0)
    except (BleakError, TimeoutError, asyncio.TimeoutError, OSError, KeyError, ValueError):
        return None
    return data[0] if len(data) >= 1 and data[0] <= 100 else None


def local_now(collector: Collector) -> str:
    """The wall clock now (hh:mm:ss) in the wearer's zone, as the monitor's lines are."""
    return datetime.now(zone_for(None, collector.wearer.get("timezone", ""))).strftime("%H:%M:%S")


def connected_lines(collector: Collector, battery: int | None, reconnect: bool) -> list[str]:
    """The start-of-session sentence(s) for ``collector``'s sensor."""
    name = collector.found.advertisement.name or collector.found.device.address
    charge = "" if battery is None else f", battery {battery} %"
    if reconnect:
        lines = [f"reconnected to {name}{charge}; recording continues"]
    else:
        lines = [f"connected to {name} ({collector.profile.rate_hz:g} samples a second){charge}, "
                 f"recording to {collector.output}, Ctrl-C to stop"]
    if battery is not None and battery <= LOW_BATTERY_PCT:
        lines.append(f"the sensor's battery is at {battery} %: charge it after this session")
    return lines


def announce(collector: Collector, out: TextIO | None = None) -> None:
    """Print the start-of-session line(s) on ``out`` (stdout) each time ``collector`` connects."""

    async def connected(client: Any, reconnect: bool) -> None:
        battery = await battery_percent(client)
        for text in connected_lines(collector, battery, reconnect):
            print(f"{local_now(collector)}  {'sensor':<7}  {text}", file=out or sys.stdout, flush=True)

    collector.on_connected.append(connected)
