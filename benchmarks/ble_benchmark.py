"""Collector + live pipeline: CPU per second of 100 Hz data, and notification-to-live-state latency.

    python benchmarks/ble_benchmark.py [--seconds 300] [--speed 5]

Everything (emulated sensor, both virtual controllers, Bumble hosts, bleak, collector, pipeline)
shares one thread and one loop, so the collector's share is measured two ways:

1. direct: ``time.thread_time()`` accumulated inside the collector's own work (the notification
   callback, decoding/timebase/reorder per packet, store commit) and inside the live pipeline feed;
2. by subtraction: process CPU of the full run minus process CPU of a run where the same emulator
   streams to a bare bleak client that only counts notifications (radio + emulator + bleak alone).

On a real computer the Bluetooth stack runs in the OS (BlueZ, CoreBluetooth, WinRT), so (1) is the
figure that corresponds to what SensorKit adds; (2) checks it. Latency: from the bleak callback of
a notification to the moment the live pipeline has consumed its samples (its state is updated),
over every published block after the live alignment period. Runs ``--speed`` times faster than real
time, which loads the loop more than real time does, so the latency figures are if anything high.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import numpy as np
from bleak import BleakClient

from sensorkit.ble.backend import BumbleClient
from sensorkit.ble.collector import Collector, Transport, find
from sensorkit.ble.live import LiveAnalysis
from sensorkit.ble.radio import VirtualRadio, use_radio
from sensorkit.ble.reassembly import Reassembler
from sensorkit.ble.sessions import record_emulated
from sensorkit.devices.sensorkit_imu import SensorKitProfile
from sensorkit.emulator.sensorkit_imu import SensorKitEmulator
from sensorkit.emulator.sources import simulated


class Meter:
    """Accumulates thread CPU time spent inside wrapped functions (outermost call only: they nest)."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self._depth = 0

    def wrap(self, fn):
        def timed(*args, **kwargs):
            self._depth += 1
            start = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self.cpu += time.thread_time() - start

        return timed


async def full_run(seconds: float, speed: float, out: Path) -> dict:
    source = simulated("demo", seed=1, duration_s=seconds)
    meter, latencies = Meter(), []
    # Every entry point of SensorKit's per-notification work (the meter ignores nested calls).
    wrapped = [(Collector, n) for n in ("_on_notify", "_handle", "_commit", "_finish")]
    wrapped += [(Reassembler, n) for n in ("link_lost", "release_due")]
    originals = {(cls, name): getattr(cls, name) for cls, name in wrapped}
    for (cls, name), fn in originals.items():
        setattr(cls, name, meter.wrap(fn))

    def attach(c: Collector) -> None:
        live = LiveAnalysis(lambda: c.writer.meta)

        def feed(block):  # runs inside Collector._commit, so its CPU is metered there
            live.feed(block)
            if live.pipeline is not None and c.published_arrival is not None:
                latencies.append(c.clock() - c.published_arrival)

        c.consumers.append(feed)
        c.finishers.append(live.finish)

    cpu0, wall0 = time.process_time(), time.monotonic()
    try:
        result = await record_emulated("sensorkit", source, out, speed=speed, on_collector=attach)
    finally:
        for (cls, name), fn in originals.items():
            setattr(cls, name, fn)
    process_cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    return {"data_s": result.stats.samples_stored / 100.0, "process_cpu": process_cpu, "wall": wall,
            "collector_cpu": meter.cpu, "latency": np.array(latencies)}


async def bare_run(seconds: float, speed: float) -> dict:
    """The same emulator and radio, with a bleak client that only counts notifications."""
    source = simulated("demo", seed=1, duration_s=seconds)
    radio = VirtualRadio()
    use_radio(radio)
    sensor = SensorKitEmulator(source.block, source.rate_hz, speed=speed)
    await sensor.start(radio)
    found = await find(sensor.name, 5.0, Transport.virtual())
    count = 0

    def on_notify(_char, _data):
        nonlocal count
        count += 1

    cpu0 = time.process_time()
    async with BleakClient(found.device, backend=BumbleClient) as client:
        await SensorKitProfile(100).start(client, on_notify)
        await sensor.finished.wait()
    cpu = time.process_time() - cpu0
    await sensor.close()
    use_radio(None)
    return {"data_s": len(source.block) / 100.0, "process_cpu": cpu, "notifications": count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="seconds of 100 Hz data per run")
    parser.add_argument("--speed", type=float, default=5.0, help="emulation speed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        full = asyncio.run(full_run(args.seconds, args.speed, Path(tmp) / "bench.skr"))
    bare = asyncio.run(bare_run(args.seconds, args.speed))
    direct = 100 * full["collector_cpu"] / full["data_s"]
    subtracted = 100 * (full["process_cpu"] / full["data_s"] - bare["process_cpu"] / bare["data_s"])
    lat = full["latency"] * 1000
    print(f"data: {full['data_s']:.0f} s at 100 Hz, {args.speed:g}x real time, {full['wall']:.1f} s wall")
    print(f"collector + live pipeline CPU per second of data: {direct:.2f} % of a core (direct, thread time)")
    print(f"  by subtraction: full run {100 * full['process_cpu'] / full['data_s']:.2f} % - "
          f"radio+emulator+bleak alone {100 * bare['process_cpu'] / bare['data_s']:.2f} % = {subtracted:.2f} %")
    print(f"notification -> live state latency over {len(lat)} blocks: median {np.median(lat):.1f} ms, "
          f"p95 {np.percentile(lat, 95):.1f} ms, max {lat.max():.1f} ms")


if __name__ == "__main__":
    main()
