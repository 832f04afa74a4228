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


def simulated(scenario: str, seed: int = 0, duration_s: float | None = None, rate_hz: float = 100.0) -> Source:
    """A scenario from :mod:`sensorkit.simulator` (unknown names are a SettingsError from there)."""
    from ..simulator import simulate  # imported here: the simulator is heavier than the emulator

    sim = simulate(scenario, seed=seed, duration_s=duration_s, rate_hz=rate_hz)
    rate = f", {rate_hz:g} Hz" if rate_hz != 100.0 else ""
    return Source(sim.block, float(sim.meta.rate_hz), f"scenario {scenario} (seed {seed}{rate})", sim)


def simulation_rate(kind: str, wanted_hz: float = 100.0) -> float:
    """The rate to simulate for an emulated ``kind``: the one it supports nearest to ``wanted_hz``.

    Sensors only stream at their own rates (a Movesense has 104 Hz, not 100), so a simulated source
    must be made at one of them; ties go to the higher rate (more detail, never less).
    """
    from ..devices.registry import profile_class

    rates = profile_class(kind).capabilities.rates_hz
    return float(min(rates, key=lambda r: (abs(r - wanted_hz), -r)))


def recorded(path: str | Path, duration_s: float | None = None) -> Source:
    """The samples of a stored recording, replayed from its start (its gaps stay gaps)."""
    with RecordingReader(path) as reader:
        block, rate = reader.samples(), float(reader.meta.rate_hz)
    if len(block) == 0:
        raise SettingsError(f"recording {path} holds no samples to replay")
    if duration_s is not None:
        block = block.between(block.t[0], block.t[0] + duration_s)
    return Source(block, rate, f"recording {Path(path).name}")
