"""Live alerts that do not nag: one rule per alert kind, each with its own cool-down.

An alert is an ``Event("alert", t, t, {"alert": kind, "message": ...})`` at the sample time the rule
was met (a slouch held past its delay, a severe bend, a long sedentary bout). The pipeline emits it
in the same ``update`` call that delivered that sample, so the delay to the user is at most one chunk
(under a second live). After an alert of a kind, further alerts of that kind are dropped for its
cool-down (``*_alert_cooldown_s`` in the profile).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sensorkit.events import Event

from .profile import Profile

MESSAGES = {
    "slouch": "You have been slouching for a while: sit up, or stand and move.",
    "severe_bend": "That was a deep or twisted bend: bend your knees and keep the load close.",
    "long_sedentary": "You have been sitting for a long time: stand up and move for a few minutes.",
}
COOLDOWN_KEY = {
    "slouch": "slouch_alert_cooldown_s",
    "severe_bend": "bend_alert_cooldown_s",
    "long_sedentary": "sedentary_alert_cooldown_s",
}


@dataclass
class AlertPolicy:
    profile: Profile
    _last: dict[str, float] = field(default_factory=dict)

    def offer(self, kind: str, t: float, **fields: Any) -> Event | None:
        """An alert event if ``kind`` is not cooling down at time ``t``, else None."""
        last = self._last.get(kind)
        if last is not None and t - last < getattr(self.profile, COOLDOWN_KEY[kind]):
            return None
        self._last[kind] = t
        return Event("alert", t, t, {"alert": kind, "message": MESSAGES[kind], **fields})
