"""One recording session, real or emulated: what `record`, `monitor` and `demo` share.

A real sensor goes through bleak's platform backend. An emulated one gets a fresh virtual radio in
the running loop, an emulator streaming the source at ``speed``, and then exactly the same
:class:`~.collector.Collector` code through bleak with the Bumble backend classes.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..emulator.base import EmulatedSensor, EmulatorStats
from ..emulator.faults import Faults
from ..emulator.registry import emulator_class
from ..emulator.sources import Source
from ..errors import DeviceError
from ..events import Event
from ..samples import SampleBlock
from .collector import Collector, CollectorStats, Found, Transport, find
from .radio import VirtualRadio, use_radio

DRAIN_S = 0.5  # after the emulator's source ends: host seconds to let the last packets through


@dataclass
class SessionResult:
    output: Path
    kind: str
    name: str
    stats: CollectorStats
    emulator: EmulatorStats | None = None


@dataclass
class Listeners:
    """Live consumers of committed samples and of collector events (gaps, battery)."""

    samples: list[Callable[[SampleBlock], None]]
    events: list[Callable[[Event], None]]

    @classmethod
    def none(cls) -> "Listeners":
        return cls([], [])


def _profile_for(found: Found, rate_hz: float):
    assert found.profile is not None
    try:
        return found.profile(rate_hz=rate_hz)  # type: ignore[call-arg]
    except TypeError as exc:  # a profile whose constructor needs more than a rate
        raise DeviceError(f"{found.profile.kind} sensors cannot be configured for {rate_hz:g} Hz: {exc}") from exc


async def record_device(
    target: str, output: str | Path, *, duration_s: float | None = None, rate_hz: float = 100.0,
    overwrite: bool = False, listeners: Listeners | None = None, scan_timeout_s: float = 10.0,
    on_collector: Callable[[Collector], None] | None = None, calibration: dict[str, Any] | None = None,
) -> SessionResult:
    """Record a real sensor (by name or address) through the platform's Bluetooth stack.

    ``calibration``: the wearer's calibration (from the patient profile), stored in the recording."""
    listeners = listeners or Listeners.none()
    found = await find(target, scan_timeout_s)
    collector = Collector(
        found, output, profile=_profile_for(found, rate_hz), duration_s=duration_s, overwrite=overwrite,
        consumers=listeners.samples, event_consumers=listeners.events, calibration=calibration,
    )
    if on_collector:
        on_collector(collector)
    stats = await collector.run()
    return SessionResult(Path(output), found.kind or "", found.advertisement.name or found.device.address, stats)


async def record_emulated(
    kind: str, source: Source, output: str | Path, *, faults: Faults | None = None, speed: float = 1.0,
    seed: int = 0, duration_s: float | None = None, overwrite: bool = False,
    listeners: Listeners | None = None, attachments: dict[str, bytes] | None = None,
    on_collector: Callable[[Collector], None] | None = None, calibration: dict[str, Any] | None = None,
) -> SessionResult:
    """Record an emulated ``kind`` sensor streaming ``source`` over the virtual radio."""
    listeners = listeners or Listeners.none()
    radio = VirtualRadio()
    use_radio(radio)
    sensor: EmulatedSensor = emulator_class(kind)(
        source.block, source.rate_hz, faults=faults, speed=speed, seed=seed
    )
    await sensor.start(radio)
    try:
        transport = Transport.virtual()
        found = await find(sensor.name, 5.0, transport)
        length = float(source.block.t[-1] - source.block.t[0]) + 1.0 / source.rate_hz
        collector = Collector(
            found, output, profile=_profile_for(found, source.rate_hz),
            duration_s=min(duration_s, length) if duration_s else length, transport=transport,
            speed=speed, source=f"emulated {kind}: {source.description}", overwrite=overwrite,
            consumers=listeners.samples, event_consumers=listeners.events, attachments=attachments,
            calibration=calibration,
        )
        if on_collector:
            on_collector(collector)
        stop_at_end = asyncio.get_running_loop().create_task(_stop_after(sensor, collector))
        try:
            stats = await collector.run()
        finally:
            stop_at_end.cancel()
        return SessionResult(Path(output), kind, sensor.name, stats, sensor.stats)
    finally:
        await sensor.close()
        use_radio(None)


async def _stop_after(sensor: EmulatedSensor, collector: Collector) -> None:
    """End the recording once the emulator has nothing more to send (its source is exhausted)."""
    await sensor.finished.wait()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(DRAIN_S)
        collector.stop()
