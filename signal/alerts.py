"""Live alerts that do not nag: one rule per alert kind, each with its own cool-down.

An alert is an ``Event("alert", t, t, {"alert": kind, "message": ..., <owner>_start: ...})`` that
names the event it belongs to (``bend_start``, ``slouch_start`` or ``bout_start``), at most one per
event. The posture tracker raises it in the same ``update`` call that delivered the sample at ``t``
(under a second live):

- ``slouch``: at the moment a slouch run has lasted ``slouch_delay_s``; the episode is reported.
- ``long_sedentary``: when a sedentary bout has lasted ``sedentary_alert_s``.
- ``severe_bend``: when the bend so far is severe as :func:`.bending.measure_bend` will measure it
  (peak, twist and time above only grow, so the final bend is severe too) and the lean cannot be
  sitting or lying down: deeper than any sit-down or held beyond ``held_bend_s``. Such a bend stays
  a bend whatever follows. A shallower lean made severe by its twist is alerted when the bend is
  final (2.5 s after it, or more when a movement overlaps): until then it may be turning to sit down,
  which raised alerts with no bend before.

After an alert of a kind, further alerts of that kind are dropped for its cool-down
(``*_alert_cooldown_s`` in the profile).
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
