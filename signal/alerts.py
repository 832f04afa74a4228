"""Live alerts a patient will keep wearing the sensor for: timely, but never nagging.

An alert is an ``Event("alert", t, t, {"alert": kind, "message": ..., "repeat": n, <owner>_start: ...})``
that names the event it belongs to (``bend_start``, ``slouch_start`` or ``bout_start``), at most one per
event. The posture tracker offers it in the same ``update`` call that delivered the sample at ``t``
(under a second live):

- ``slouch``: when a slouch run has lasted ``slouch_alert_delay_s`` (at least ``slouch_delay_s``,
  which makes it an episode).
- ``long_sedentary``: when a sedentary bout has lasted ``sedentary_alert_s``.
- ``severe_bend``: when the bend so far is severe as :func:`.bending.measure_bend` will measure it
  (peak, twist and time above only grow, so the final bend is severe too) and the lean cannot be
  sitting or lying down: deeper than any sit-down or held beyond ``held_bend_s``. Such a bend stays
  a bend whatever follows. A shallower lean made severe by its twist is alerted when the bend is
  final (2.5 s after it, or more when a movement overlaps): until then it may be turning to sit down,
  which raised alerts with no bend before.

What the policy lets through, in this order (the first that applies holds the alert back):

1. ``paused``/``snoozed``: the patient asked for quiet (:meth:`AlertPolicy.pause`, :meth:`snooze`);
2. ``quiet hours``: ``quiet_from_h``-``quiet_until_h`` local time (equal: none);
3. ``cooldown``: ``*_alert_cooldown_s`` since the last alert of that kind;
4. ``too soon``: another alert (any kind) was given less than ``alert_min_gap_s`` ago (a slouch and a
   long-sitting alert a minute apart are one interruption too many);
5. ``budget``: ``alert_budget_per_hour`` alerts already given in the last 60 minutes.

A held-back alert is not lost: it becomes an ``alert_held`` event (same fields plus ``reason``), so
the day's summary can say how many were held and why, and a validation can check that every severe
bend and long slouch was either alerted or held for a stated reason. ``repeat`` counts the alerts of
that kind in the last hour including this one: a habit that persists escalates the on-body pattern.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

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
HOUR_S = 3600.0


@dataclass
class AlertPolicy:
    """Decides, per offered alert, whether the patient is told now or it is held back (and why).

    ``local_hour``: recording time -> hour of the local day (0-24), for quiet hours; None: no clock
    known, quiet hours do not apply."""

    profile: Profile
    local_hour: Callable[[float], float] | None = None
    held: list[Event] = field(default_factory=list)  # alert_held events not yet taken by the pipeline
    quiet_until: float = float("-inf")  # snoozed up to this recording time
    paused: bool = False
    _last: dict[str, float] = field(default_factory=dict)
    _given: deque = field(default_factory=deque)  # (t, kind) of the alerts let through in the last hour

    def offer(self, kind: str, t: float, **fields: Any) -> Event | None:
        """An alert event if the policy lets ``kind`` through at time ``t``, else None (and an
        ``alert_held`` event in :attr:`held`)."""
        while self._given and t - self._given[0][0] >= HOUR_S:
            self._given.popleft()
        reason = self._hold_reason(kind, t)
        if reason:
            self.held.append(Event("alert_held", t, t, {"alert": kind, "reason": reason, **fields}))
            return None
        self._last[kind] = t
        self._given.append((t, kind))
        repeat = sum(1 for _, k in self._given if k == kind)
        return Event("alert", t, t, {"alert": kind, "message": MESSAGES[kind], "repeat": repeat, **fields})

    def _hold_reason(self, kind: str, t: float) -> str:
        p = self.profile
        if self.paused:
            return "paused"
        if t < self.quiet_until:
            return "snoozed"
        if self.local_hour is not None and in_quiet_hours(self.local_hour(t), p.quiet_from_h, p.quiet_until_h):
            return "quiet hours"
        last = self._last.get(kind)
        if last is not None and t - last < getattr(p, COOLDOWN_KEY[kind]):
            return "cooldown"
        if self._given and t - self._given[-1][0] < p.alert_min_gap_s:
            return "too soon"
        if len(self._given) >= p.alert_budget_per_hour:
            return "budget"
        return ""

    def snooze(self, t: float, seconds: float) -> None:
        """No alerts from ``t`` for ``seconds`` (they are held as ``snoozed``)."""
        self.quiet_until = t + seconds

    def pause(self, on: bool) -> None:
        """No alerts until resumed (held as ``paused``)."""
        self.paused = on

    def take_held(self) -> list[Event]:
        held, self.held = self.held, []
        return held


def in_quiet_hours(hour: float, start: float, end: float) -> bool:
    """Whether ``hour`` (0-24) is in ``[start, end)``, a span that may cross midnight; start == end: none."""
    if start == end:
        return False
    return start <= hour < end if start < end else hour >= start or hour < end
