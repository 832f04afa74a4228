"""Held still: sitting or lying without fidgeting, where what moves the lower back is breathing.

A ``sit``, ``slouch`` or ``lie`` activity with ``{"still": True}`` is the hard case for telling a worn
sensor from one on a desk. Within it (after a 2-s settling ramp, min-jerk, and before one at its end):

- the postural sway of :mod:`.kinematics` is scaled to ``STILL_SWAY_GAIN`` (a tenth: 0.07 deg pitch SD);
- breathing tilts the pelvis and lumbar spine in pitch, a sinusoid of ``breath_deg`` amplitude
  (0.05-0.3 deg) at ``breath_per_min`` (10-20 breaths/min, adult quiet breathing). The amplitude is
  chosen, not measured at the lower back: its lower end (1-s means of the accelerometer varying by
  about 0.6 mg) is as still as the stillest 10 s of lying in UCI HAPT (0.7 mg, ``validation/wear.py``).

Derivatives are exact (product rule), so the gyroscope still integrates to the orientation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .curves import Curve, MinJerkCurve

if TYPE_CHECKING:  # the timeline draws still parameters from here
    from .timeline import Segment

STILL_SWAY_GAIN = 0.1
RAMP_S = 2.0
STILL_KINDS = ("sit", "slouch", "lie")


def draw_still(rng: np.random.Generator) -> dict[str, Any]:
    return {"breath_deg": float(rng.uniform(0.05, 0.3)), "breath_per_min": float(rng.uniform(10.0, 20.0))}


def times(a: Curve, b: Curve) -> Curve:
    """The product of two curves, with its exact derivatives."""
    return Curve(a.value * b.value, a.d1 * b.value + a.value * b.d1,
                 a.d2 * b.value + 2.0 * a.d1 * b.d1 + a.value * b.d2)


class Stillness:
    """The held-still segments of a timeline: the sway gain and the breathing at any times."""

    def __init__(self, segments: list[Segment]):
        still = [s for s in segments if s.kind in STILL_KINDS and s.params.get("still")]
        self.active = bool(still)
        self.gain, self.envelope = MinJerkCurve(), MinJerkCurve()
        self.starts = np.array([s.start for s in still])
        self.omega = np.array([2.0 * np.pi * s.params["breath_per_min"] / 60.0 for s in still])
        for s in still:
            ramp = min(RAMP_S, 0.25 * s.duration)
            for time, gain, amp in ((s.start, 1.0, 0.0), (s.start + ramp, STILL_SWAY_GAIN, s.params["breath_deg"]),
                                    (s.end - ramp, STILL_SWAY_GAIN, s.params["breath_deg"]), (s.end, 1.0, 0.0)):
                self.gain.add(time, gain)
                self.envelope.add(time, amp)

    def sway(self, sway: Curve, t: np.ndarray) -> Curve:
        return times(self.gain.evaluate(t), sway) if self.active else sway

    def breathing(self, t: np.ndarray) -> Curve:
        """Pitch (deg) added by breathing; zero outside held-still segments."""
        if not self.active:
            return Curve.zeros(len(t))
        k = np.clip(np.searchsorted(self.starts, t, side="right") - 1, 0, len(self.starts) - 1)
        phase = self.omega[k] * (t - self.starts[k])
        w = self.omega[k]
        wave = Curve(np.sin(phase), w * np.cos(phase), -w * w * np.sin(phase))
        return times(self.envelope.evaluate(t), wave)
