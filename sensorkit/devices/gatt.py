"""The few bleak chores every vendor profile repeats: forward notifications, await a reply, stop politely.

Vendor protocols answer commands with notifications (MetaWear module info and battery, Polar PMD
control-point responses), so a profile's ``start`` must see some notifications itself before the
collector sees the stream. :class:`ReplyWaiter` is that hook: the profile's notification callback
offers every packet to it first, and ``start`` awaits the packet it asked for.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

import numpy as np

from ..errors import DecodeError

log = logging.getLogger(__name__)

Match = Callable[[bytes], bool]


def sig_uuid(short: int) -> str:
    """A 16-bit Bluetooth SIG number as the 128-bit string bleak reports."""
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


class ReplyWaiter:
    """Hands a notification to whoever awaits a packet matching it; everything else passes through."""

    def __init__(self) -> None:
        self._pending: list[tuple[Match, asyncio.Future[bytes]]] = []

    def expect(self, match: Match) -> asyncio.Future[bytes]:
        """Register interest *before* writing the command, so a fast reply cannot be missed."""
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending.append((match, future))
        return future

    def offer(self, payload: bytes) -> bool:
        """True when the packet answered a pending request (and was consumed by it)."""
        for i, (match, future) in enumerate(self._pending):
            if not future.done() and match(payload):
                future.set_result(payload)
                del self._pending[i]
                return True
        return False

    async def wait(self, future: asyncio.Future[bytes], what: str, timeout: float = 5.0) -> bytes:
        """The reply, or a TimeoutError naming what the sensor did not answer (the collector retries
        on TimeoutError after a reconnect, and reports it as a DeviceError on the first connection)."""
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            self._pending = [(m, f) for m, f in self._pending if f is not future]
            raise TimeoutError(f"the sensor did not answer {what} within {timeout:g} s") from None


def notification_handler(
    on_notify: Callable[[str, bytes], None], waiter: ReplyWaiter | None = None
) -> Callable[[Any, bytearray], None]:
    """A bleak callback that offers packets to ``waiter`` first and forwards the rest as (uuid, bytes)."""

    def handle(characteristic: Any, data: bytearray) -> None:
        payload = bytes(data)
        if waiter is not None and waiter.offer(payload):
            return
        on_notify(str(characteristic.uuid).lower(), payload)

    return handle


async def best_effort(step: Awaitable[Any], what: str) -> None:
    """Run one stop step, logging instead of raising: at stop time the link may already be gone."""
    try:
        await step
    except Exception as exc:  # any backend error: stopping must not mask why the stream ended
        log.debug("stop step %s failed: %s", what, exc)


def int_triplets(data: bytes, dtype: str, what: str) -> np.ndarray:
    """``data`` as rows of three little-endian integers; DecodeError when it is not a whole number of rows."""
    itemsize = np.dtype(dtype).itemsize
    if len(data) == 0 or len(data) % (3 * itemsize):
        raise DecodeError(f"{what}: {len(data)} bytes is not a whole number of {3 * itemsize}-byte samples")
    return np.frombuffer(data, dtype=dtype).reshape(-1, 3).astype(np.int64)
