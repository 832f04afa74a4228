"""Sedentary bouts: sitting or lying, with short interruptions absorbed, and the breaks between them.

A bout starts when the person sits or lies down and ends at the start of the first upright period
that lasts at least ``sedentary_min_break_s``; shorter upright periods count as ``interruptions``.
Bouts shorter than ``sedentary_min_bout_s`` are not reported. The upright period that ends a bout is
reported as a ``sedentary_break`` (from the bout's end to the next bout's start, or to the end of data).
A bout's end is known only once its break has lasted ``sedentary_min_break_s``: that is the delay
before the event appears.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sensorkit.events import Event

from .profile import Profile

SEDENTARY = ("sitting", "lying")


@dataclass
class SedentaryTracker:
    profile: Profile
    bout_start: float | None = None
    upright_since: float | None = None  # start of the current upright period inside or after a bout
    interruptions: int = 0
    alerted: bool = False
    _break_start: float | None = None  # a confirmed break waiting for the next bout
    _events: list[Event] = field(default_factory=list)

    @property
    def sedentary_since(self) -> float | None:
        """Start of the current bout while the person is sitting or lying, else None."""
        return self.bout_start if self.bout_start is not None and self.upright_since is None else None

    def posture(self, posture: str, t: float) -> list[Event]:
        """The posture changed to ``posture`` at ``t``; returns events that became final."""
        out: list[Event] = []
        if posture in SEDENTARY:
            if self.bout_start is None:
                if self._break_start is not None:
                    out.append(Event("sedentary_break", self._break_start, t,
                                     {"duration_s": round(t - self._break_start, 1)}))
                    self._break_start = None
                self.bout_start, self.interruptions, self.alerted = t, 0, False
            elif self.upright_since is not None:
                self.interruptions += 1
            self.upright_since = None
        elif self.bout_start is not None and self.upright_since is None:
            self.upright_since = t
        return out

    def break_due(self) -> float | None:
        """Time at which the current upright period becomes a real break (None if not upright in a bout)."""
        if self.bout_start is None or self.upright_since is None:
            return None
        return self.upright_since + self.profile.sedentary_min_break_s

    def advance(self, t: float) -> list[Event]:
        """Time has reached ``t``: close the bout if its break has lasted long enough."""
        due = self.break_due()
        if due is None or t < due:
            return []
        return self._close(self.upright_since)

    def _close(self, end: float) -> list[Event]:
        start, self.bout_start = self.bout_start, None
        self.upright_since, self._break_start = None, end
        if end - start < self.profile.sedentary_min_bout_s:
            return []
        return [Event("sedentary_bout", start, end, {"duration_s": round(end - start, 1),
                                                      "interruptions": self.interruptions})]

    def finish(self, t_end: float) -> list[Event]:
        out: list[Event] = []
        if self.bout_start is not None:
            upright_at_end = self.upright_since is not None
            out += self._close(self.upright_since if upright_at_end else t_end)
            if not upright_at_end:
                self._break_start = None
        if self._break_start is not None and t_end > self._break_start:
            out.append(Event("sedentary_break", self._break_start, t_end,
                             {"duration_s": round(t_end - self._break_start, 1)}))
            self._break_start = None
        return out
