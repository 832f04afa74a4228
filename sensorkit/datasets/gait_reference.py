"""The shape every gait reference takes once loaded, whatever system produced it.

Reference systems disagree on what they give (INDIP: walking bouts and initial contacts with side;
Voisard: foot-sensor footsteps as [toe-off, heel-strike] pairs), so each loader reduces its labels to
this one type and the scoring code (``sensorkit.signal.gait.scoring``) never sees a native format.
Times are seconds on the recording's own sample clock (``t = index / rate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class GaitReference:
    """Reference walking bouts ``(start, end)``, initial contacts (s) and their side ("left"/"right")."""

    bouts: list[tuple[float, float]]
    initial_contacts: np.ndarray
    ic_sides: list[str] = field(default_factory=list)
    # Per-bout reference figures where the system provides them (cadence_spm, stride_length_m, speed_mps).
    bout_fields: list[dict[str, float]] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return int(len(self.initial_contacts))
