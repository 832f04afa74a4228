"""On-body feedback: the sensor buzzes for each alert the alert policy lets through.

Posture trainers work by a buzz on the body the moment a habit shows (Upright GO, Lumo Lift; workplace
wearables on a high-risk lift), so a patient whose screen is out of sight still feels it. One pattern
per kind, so the body learns which habit it is without looking: ``short`` for a slouch, ``double``
for a risky bend, ``long`` for sitting too long; and ``long`` for a slouch that keeps coming back
(``repeat`` of 3 or more in the hour: escalation only when the habit persists).

Only alerts are buzzed, never the ones the policy held back, so the policy's budget is the buzz budget.
A sensor without a motor (``Capabilities.feedback`` other than ``"haptic"``) says so once. The buzz is
written on the link the collector holds (its ``on_connected`` hook hands over each new client); a
write that fails (link just lost) is reported once and recording goes on; an alert raised once the
session is ending (the bend still open at the last sample) is shown but not buzzed.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Callable

from bleak.exc import BleakError

from ..errors import SensorKitError
from ..events import Event

PATTERNS = {"slouch": "short", "severe_bend": "double", "long_sedentary": "long"}
ESCALATE_AT = 3  # the third slouch alert within the hour buzzes long


def pattern_for(alert: Event) -> str:
    """The buzz pattern for an alert event."""
    kind = str(alert.fields.get("alert", ""))
    if kind == "slouch" and int(alert.fields.get("repeat", 1)) >= ESCALATE_AT:
        return "long"
    return PATTERNS.get(kind, "short")


class Haptics:
    """Buzz ``collector``'s sensor for alerts (:meth:`alert` is an ``on_event`` callback); ``say`` tells
    the wearer what could not be done (once each)."""

    def __init__(self, collector: Any, say: Callable[[str], None]):
        self.collector = collector
        self.say = say
        self.client: Any = None
        self.sent = 0
        self._said: set[str] = set()
        self._tasks: set[asyncio.Task] = set()
        collector.on_connected.append(self._connected)

    @property
    def has_motor(self) -> bool:
        return self.collector.profile.capabilities.feedback == "haptic"

    async def _connected(self, client: Any, reconnect: bool) -> None:
        self.client = client
        if not self.has_motor:
            self._once(f"this sensor ({self.collector.profile.capabilities.model}) has no vibration motor: "
                       "alerts are shown here only")

    def alert(self, event: Event) -> None:
        if event.type != "alert" or not self.has_motor or self.client is None or not self.collector.streaming:
            return  # an alert raised as the session ends (the last bend closed) has no link left to buzz
        task = asyncio.get_running_loop().create_task(self._buzz(pattern_for(event)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _buzz(self, pattern: str) -> None:
        try:
            await asyncio.wait_for(self.collector.profile.feedback(self.client, pattern), 5.0)
            self.sent += 1
        except (BleakError, TimeoutError, asyncio.TimeoutError, OSError, SensorKitError, NotImplementedError) as exc:
            self._once(f"could not make the sensor vibrate ({exc or type(exc).__name__}); alerts are shown here")

    async def drain(self) -> None:
        """Wait for buzzes still being written (at the end of a session)."""
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._tasks)

    def _once(self, text: str) -> None:
        if text not in self._said:
            self._said.add(text)
            self.say(text)
