"""`sensorkit scan [--emulate KIND] [--timeout S] [--all]`: supported sensors advertising nearby.

One line per sensor: name, address, signal strength (RSSI, dBm) and device kind, strongest first.
``--emulate KIND`` puts an emulated sensor of that kind on a virtual radio and scans that instead
of the computer's Bluetooth adapter (no hardware needed). ``--all`` also lists unsupported devices.
"""

from __future__ import annotations

import argparse
import asyncio

import numpy as np

from ..ble.collector import Found, Transport, scan
from ..emulator.registry import emulator_class, kinds
from ..samples import SampleBlock


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", description=__doc__.splitlines()[0])
    p.add_argument("--emulate", metavar="KIND", help=f"scan an emulated sensor instead ({', '.join(kinds())})")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="seconds to listen (default 5)")
    p.add_argument("--all", action="store_true", help="also list devices SensorKit does not support")
    p.set_defaults(func=run)


async def _scan_emulated(kind: str, timeout: float, everything: bool) -> list[Found]:
    from ..ble.radio import VirtualRadio, use_radio  # Bumble: only for an emulated scan (checked in run)

    radio = VirtualRadio()
    use_radio(radio)
    quiet = SampleBlock(np.zeros(1), np.array([[0.0, 0.0, 9.81]]), np.zeros((1, 3)))
    sensor = emulator_class(kind)(quiet, 100.0)
    await sensor.start(radio)
    try:
        return await scan(timeout, Transport.virtual(), only_supported=not everything)
    finally:
        await sensor.close()
        use_radio(None)


def run(args: argparse.Namespace) -> int:
    if args.emulate:
        emulator_class(args.emulate)  # unknown kind: a clear error before anything starts
        found = asyncio.run(_scan_emulated(args.emulate, min(args.timeout, 1.0), args.all))
    else:
        found = asyncio.run(scan(args.timeout, only_supported=not args.all))
    if not found:
        print("no supported sensor found (is it switched on, charged and not connected to a phone?)")
        return 0
    print(f"{'name':<24} {'address':<38} {'rssi':>5}  kind")
    for f in found:
        rssi = "" if f.advertisement.rssi is None else str(f.advertisement.rssi)
        print(f"{(f.advertisement.name or '-'):<24} {f.device.address:<38} {rssi:>5}  {f.kind or 'unsupported'}")
    return 0
