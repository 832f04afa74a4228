"""Where an emulated sensor's samples come from: a simulated scenario or a stored recording.

Both give the same thing, a :class:`~sensorkit.samples.SampleBlock` plus its rate, so an emulator
never cares which. The simulation's ground truth travels beside it for tests and ``--emulate`` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SettingsError
from ..samples import SampleBlock
from ..store import RecordingReader


@dataclass(frozen=True)
class Source:
    block: SampleBlock
    rate_hz: float
    description: str
    simulation: Any = None  # the simulator's Simulation (with .truth) when simulated


def simulated(scenario: str, seed: int = 0, duration_s: float | None = None) -> Source:
    """A scenario from :mod:`sensorkit.simulator` (unknown names are a SettingsError from there)."""
    from ..simulator import simulate  # imported here: the simulator is heavier than the emulator

    sim = simulate(scenario, seed=seed, duration_s=duration_s)
    return Source(sim.block, float(sim.meta.rate_hz), f"scenario {scenario} (seed {seed})", sim)


def recorded(path: str | Path, duration_s: float | None = None) -> Source:
    """The samples of a stored recording, replayed from its start (its gaps stay gaps)."""
    with RecordingReader(path) as reader:
        block, rate = reader.samples(), float(reader.meta.rate_hz)
    if len(block) == 0:
        raise SettingsError(f"recording {path} holds no samples to replay")
    if duration_s is not None:
        block = block.between(block.t[0], block.t[0] + duration_s)
    return Source(block, rate, f"recording {Path(path).name}")
