"""What the commodity-sensor emulators share: quantising to device counts, one packet as several
notifications, answering a command with a notification.

Several vendor protocols do not map one emulated packet to one notification: MetaWear sends the
accelerometer and gyroscope halves of a packet separately, Movesense splits long values into
DATA/DATA_PART2, WitMotion's frames are a byte stream cut anywhere. :class:`VendorEmulator` lets a
subclass say how a packet becomes notifications (:meth:`VendorEmulator.notifications`); the base's
fault injection still acts on whole packets, so a lost packet loses all of its notifications.
"""

from __future__ import annotations

import asyncio
import math
from typing import ClassVar

import numpy as np
from bumble import gatt

from .base import EmulatedSensor


def to_counts(values: np.ndarray, lsb: float, bits: int = 16) -> np.ndarray:
    """Project units -> signed integer counts of ``lsb``, clipped to the device's word."""
    top = 2 ** (bits - 1)
    return np.clip(np.round(np.asarray(values, dtype=np.float64) / lsb), -top, top - 1).astype(np.int64)


class VendorEmulator(EmulatedSensor):
    """An emulated commodity sensor; subclasses still implement ``build_services`` and ``encode``."""

    advertised_uuid: ClassVar[str | None] = None  # a 128-bit service UUID the real sensor advertises
    # Data stamped by a clock that runs on across restarts (Polar, Movesense): the source runs on with it.
    free_running_clock: ClassVar[bool] = False
    _powered_at: float | None = None  # world time (EmulatedSensor.world_time) of the first streaming run
    _run_started_s: float = 0.0

    def device_seconds_at_run_start(self) -> float:
        """The sensor's own clock (s since power-on) when the current streaming run began.

        For protocols that stamp data with a free-running clock (Polar, Movesense): a restart after a
        link loss resets the sample counter but not the clock, so stamps keep increasing. The motion
        sensor inside keeps its output data rate running and a start only forwards its samples, so a
        run begins on the sample grid of the first one (whole periods after it)."""
        return self._run_started_s

    def start_streaming(self) -> None:
        if not self.streaming:
            loop_now = self.world_time()
            if self._powered_at is None:
                self._powered_at = loop_now
            clock_s = (loop_now - self._powered_at) * self.speed * (1.0 + self.faults.drift_ppm * 1e-6)
            self._run_started_s = math.ceil(clock_s * self.rate_hz - 1e-9) / self.rate_hz
            if self.free_running_clock:
                self._skip_stopped(round(self._run_started_s * self.rate_hz))
        super().start_streaming()

    def _skip_stopped(self, clock_index: int) -> None:
        """While stopped the wearer moved on and the clock ran: the source resumes at the clock's
        sample, and the samples due meanwhile count as ``unsent_stopped`` (never taken, never sent)."""
        skip = min(clock_index - self._source_base, self._last_counter() + 1)
        if skip > 0:
            self.stats.unsent_stopped += skip
            self._source_base += skip

    def notifications(self, payload: bytes) -> list[bytes]:
        """The notifications that carry one encoded packet (default: exactly one)."""
        return [payload]

    async def _notify(self, payload: bytes) -> bool:
        """All the packet's notifications; one the link cut short loses the packet (False)."""
        delivered = True
        for part in self.notifications(payload):
            delivered = await super()._notify(part) and delivered
        return delivered

    def reply(self, characteristic: gatt.Characteristic, payload: bytes) -> None:
        """Notify ``payload`` on ``characteristic`` soon, from outside the write handler that asked."""
        assert self.device is not None
        asyncio.get_running_loop().create_task(self.device.notify_subscribers(characteristic, payload))

    def advertising_data(self) -> bytes:
        """Flags, the complete name and, when it fits in 31 bytes, one 128-bit service UUID."""
        data = super().advertising_data()
        if self.advertised_uuid:
            raw = bytes(reversed(bytes.fromhex(self.advertised_uuid.replace("-", ""))))
            if len(data) + 2 + len(raw) <= 31:
                data += bytes([len(raw) + 1, 0x07]) + raw
        return data
