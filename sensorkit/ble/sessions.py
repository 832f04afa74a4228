"""One recording session, real or emulated: what `record`, `monitor` and `demo` share.

A real sensor goes through bleak's platform backend. An emulated one gets a fresh virtual radio in
the running loop, an emulator streaming the source at ``speed``, and then exactly the same
:class:`~.collector.Collector` code through bleak with the Bumble backend classes.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..emulator.registry import emulator_class
from ..errors import DeviceError
from ..events import Event
from ..samples import SampleBlock
from .collector import Collector, CollectorStats, Found, Transport, find

if TYPE_CHECKING:  # Bumble (the emulation extra) is imported only by an emulated session, never for a real one
    from ..emulator.base import EmulatedSensor, EmulatorStats
    from ..emulator.faults import Faults
    from ..emulator.sources import Source

log = logging.getLogger(__name__)
CATCH_UP_TIMEOUT_S = 10.0  # real seconds the collector may take to receive what the emulator sent last


@dataclass
class SessionResult:
    output: Path
    kind: str
    name: str
    stats: CollectorStats
    emulator: EmulatorStats | None = None
    warnings: list[str] = field(default_factory=list)  # e.g. a shortfall at the end of an emulated session


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
    wearer: dict[str, str] | None = None, raw: bool = False,
) -> SessionResult:
    """Record a real sensor (by name or address) through the platform's Bluetooth stack.

    ``calibration``: the wearer's calibration (from the patient profile), stored in the recording;
    ``wearer``: the patient id and time zone stored with it (``RecordingMeta`` fields); ``raw``: keep
    a raw capture in it too (:mod:`.rawcapture`)."""
    listeners = listeners or Listeners.none()
    found = await find(target, scan_timeout_s)
    collector = Collector(
        found, output, profile=_profile_for(found, rate_hz), duration_s=duration_s, overwrite=overwrite,
        consumers=listeners.samples, event_consumers=listeners.events, calibration=calibration, wearer=wearer,
        raw=raw,
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
    wearer: dict[str, str] | None = None, raw: bool = False,
) -> SessionResult:
    """Record an emulated ``kind`` sensor streaming ``source`` over the virtual radio (``calibration``,
    ``wearer`` and ``raw`` as for :func:`record_device`).

    ``duration_s`` cuts the source, not the stream: the emulator sends exactly those samples and the
    session ends once the collector has received all of them (:func:`_stop_when_caught_up`). A cut
    on the collector's drift-corrected times would drop the last samples whenever the drift estimate
    is a little off. The collector reads the emulated world's clock (``EmulatedSensor.world_time``),
    so an emulator that falls behind on a busy machine slows the session down instead of looking
    like a slow sensor clock or lost samples.
    """
    listeners = listeners or Listeners.none()
    emulator = emulator_class(kind)  # first: without the emulation extra, one sentence saying how to add it
    from .radio import VirtualRadio, use_radio

    radio = VirtualRadio()
    use_radio(radio)
    block = _first_seconds(source.block, source.rate_hz, duration_s)
    sensor: EmulatedSensor = emulator(block, source.rate_hz, faults=faults, speed=speed, seed=seed)
    await sensor.start(radio)
    try:
        transport = Transport.virtual()
        found = await find(sensor.name, 5.0, transport)
        collector = Collector(
            found, output, profile=_profile_for(found, source.rate_hz), transport=transport,
            speed=speed, source=f"emulated {kind}: {source.description}", overwrite=overwrite,
            consumers=listeners.samples, event_consumers=listeners.events, attachments=attachments,
            calibration=calibration, wearer=wearer, clock=sensor.world_time, raw=raw,
        )
        if on_collector:
            on_collector(collector)
        sensor.on_stream_start = collector.expect_origin  # the emulator knows where it began
        stop_at_end = asyncio.get_running_loop().create_task(_stop_when_caught_up(sensor, collector))
        try:
            stats = await collector.run()
        finally:
            stop_at_end.cancel()
        confirmed = not stop_at_end.done() or stop_at_end.cancelled() or stop_at_end.result()
        warnings = [] if confirmed else [_shortfall(sensor.stats, stats)]
        return SessionResult(Path(output), kind, sensor.name, stats, sensor.stats, warnings)
    finally:
        await sensor.close()
        use_radio(None)


def _first_seconds(block: SampleBlock, rate_hz: float, duration_s: float | None) -> SampleBlock:
    """The samples of the first ``duration_s`` seconds of ``block`` (all of them without a duration)."""
    if duration_s is None or len(block) == 0:
        return block
    end = int(np.searchsorted(block.t - block.t[0], duration_s - 0.5 / rate_hz, side="right"))
    return block.slice(0, end)


async def _stop_when_caught_up(sensor: EmulatedSensor, collector: Collector) -> bool:
    """End the recording once the emulator's source is exhausted and the collector has all it sent.

    Returns whether the collector confirmed it; if not within ``CATCH_UP_TIMEOUT_S`` the session
    ends anyway and :func:`_shortfall` reports it (never hidden behind a longer sleep).
    """
    await sensor.finished.wait()
    confirmed = await collector.caught_up(CATCH_UP_TIMEOUT_S)
    last = sensor.end_position
    if confirmed and last is not None:  # all it sent is in: what is missing at the end was lost
        collector.expect_end(last)
    collector.stop()
    return confirmed


def _shortfall(sent: EmulatorStats, got: CollectorStats) -> str:
    missing = max(0, sent.samples_sent - got.samples_stored - got.late_dropped - got.samples_incomplete)
    message = (f"the collector did not confirm receiving the emulator's last notifications within "
               f"{CATCH_UP_TIMEOUT_S:g} s; {missing} of the {sent.samples_sent} samples it sent are not stored")
    log.warning(message)
    return message
