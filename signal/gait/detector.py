"""`GaitDetector`: the streaming walking-bout detector the signal pipeline calls, chunk by chunk.

``update(block)`` takes the next samples (any size, in order) and returns the walking bouts that became
final; ``finish()`` returns the rest at the end of the data; ``walking`` is the live state (true within
about 2.5 s of the first steps, false about 2 s after the last). A bout is final once its break is over
(``max_break_s`` after the last step with nothing that could merge), so it is never revised afterwards.

Events: ``Event("walking_bout", start, end, {"steps", "cadence_spm", "duration_s", "left_steps",
"right_steps", "stride_length_m", "speed_mps"})`` with ``start``/``end`` the first and last initial
contact, on the samples' clock; the sides need a gyroscope, stride length and speed the wearer's
height (``BoutParams.height_m``).

Gaps in the samples are not bridged or reset: the filters run across them and contact times come
from the samples' own clock, so a gap longer than the 3 s break limit ends a bout by itself.
"""

from __future__ import annotations

import numpy as np

from sensorkit.errors import SettingsError
from sensorkit.events import Event
from sensorkit.samples import SampleBlock

from .bouts import Bout, BoutAssembler, BoutParams, assign_sides, bout_fields
from .steps import StepFinder, StepParams

# Below this rate a step's acceleration peak (about 0.1 s wide) is not resolved.
MIN_RATE_HZ = 10.0
# Large blocks are processed in slices of this many samples: bounded memory, identical results.
SLICE_SAMPLES = 1 << 15


class GaitDetector:
    """Steps and Mobilise-D walking bouts from a lower-back sensor, streaming; works with or without a
    gyroscope at 20-200 Hz. ``record_contacts=True`` keeps each final bout's contacts and sides in
    :attr:`contacts` (for validation)."""

    def __init__(
        self,
        rate_hz: float,
        step_params: StepParams | None = None,
        bout_params: BoutParams | None = None,
        record_contacts: bool = False,
    ) -> None:
        if not rate_hz >= MIN_RATE_HZ:
            raise SettingsError(f"gait detection needs at least {MIN_RATE_HZ:g} Hz, not {rate_hz:g} Hz")
        self.bouts = BoutAssembler(bout_params)
        # the vertical position only gives step lengths, which need the wearer's height
        self.steps = StepFinder(rate_hz, step_params, position=bool(self.bouts.params.height_m))
        self.record_contacts = record_contacts
        self.contacts: list[tuple[np.ndarray, list[str]]] = []
        self._last_t = -np.inf

    @property
    def walking(self) -> bool:
        """Live walking state, as of the samples seen so far."""
        return self.bouts.walking

    def update(self, block: SampleBlock) -> list[Event]:
        """Feed the next samples; returns walking bouts that became final."""
        if len(block) <= SLICE_SAMPLES:
            return self._update_slice(block)
        events: list[Event] = []
        for start in range(0, len(block), SLICE_SAMPLES):
            part = block.slice(start, start + SLICE_SAMPLES)
            events += self._update_slice(part)
        return events

    def finish(self) -> list[Event]:
        """End of the data: the open bout, if any, is final now."""
        return self._events(self.bouts.finish())

    def _update_slice(self, block: SampleBlock) -> list[Event]:
        found = self.steps.update(block.t, block.acc, block.gyr)
        done: list[Bout] = []
        for c in zip(found.t.tolist(), found.yaw.tolist(), found.prominence.tolist(), found.top.tolist(),
                     found.bottom.tolist()):
            done += self.bouts.add(*c)
        done += self.bouts.advance(found.decided_until)
        return self._events(done)

    def _events(self, bouts: list[Bout]) -> list[Event]:
        events = []
        for b in bouts:
            events.append(Event("walking_bout", b.t[0], b.t[-1], bout_fields(b, self.bouts.params)))
            if self.record_contacts:
                self.contacts.append((np.asarray(b.t), assign_sides(np.asarray(b.t), np.asarray(b.yaw, dtype=float))))
        return events


def detect_walking_bouts(
    block: SampleBlock,
    rate_hz: float,
    step_params: StepParams | None = None,
    bout_params: BoutParams | None = None,
) -> list[Event]:
    """Batch convenience: every walking bout in a recording (same code and answers as streaming)."""
    det = GaitDetector(rate_hz, step_params, bout_params)
    return det.update(block) + det.finish()
