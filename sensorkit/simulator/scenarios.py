"""Scenarios: named days (or minutes) of activity, as lists of activities for :mod:`.timeline`.

Scripted scenarios (``demo`` and the small focused ones used by tests and validation) are fixed
sequences whose elastic parts are stretched or compressed to ``--duration``. Generated days
(``office``, ``warehouse``) are drawn block by block until the duration is filled, then cut.

The day structures are plausible rather than measured (a limit, stated in MODEL.md): office workers
sit for most of the working day in bouts of tens of minutes broken by short walks, as accelerometer
studies of office work report; warehouse order pickers walk a lot and bend or lift many times an
hour (a few hundred bends per shift here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import SettingsError
from .timeline import Activity

A = Activity


@dataclass(frozen=True)
class Scenario:
    description: str
    default_duration_s: float
    build: Callable[[np.random.Generator, float], list[Activity]]
    scripted: bool  # True: stretch/compress to the duration; False: generate then cut


CALIBRATION = [A("stand", 8, {"calibration": True}), A("bend", params={"calibration": True})]


def _demo(rng: np.random.Generator, duration: float) -> list[Activity]:
    # starts as a patient's day does: the guided calibration after pairing (see `sensorkit calibrate`)
    return CALIBRATION + [
        A("stand", 10), A("walk", 45), A("stand", 8),
        A("bend", params={"style": "stoop", "lift": False}), A("stand", 5),
        A("bend", params={"style": "squat", "lift": False}), A("stand", 5),
        A("bend", params={"style": "stoop", "lift": True}), A("stand", 6),
        A("bend", params={"style": "squat", "lift": True, "twist": True}), A("stand", 5),
        A("walk", 30), A("stand", 5),
        A("sit", 60), A("slouch", 45), A("sit", 40), A("slouch", 35), A("sit", 20),
        A("stand", 10), A("walk", 60), A("stand", 5),
        A("bend", params={"style": "stoop", "lift": False}), A("stand", 5),
        A("sit", 15), A("lie", 40, {"side": "supine"}), A("lie", 25, {"side": "left"}),
        A("lie", 20, {"side": "prone"}), A("sit", 10), A("stand", 10), A("walk", 40), A("stand", 10),
    ]


def _static(rng: np.random.Generator, duration: float) -> list[Activity]:
    return [A("stand", 30), A("sit", 30), A("lie", 20, {"side": "supine"}),
            A("lie", 20, {"side": "left"}), A("lie", 20, {"side": "prone"}),
            A("lie", 20, {"side": "right"}), A("sit", 20), A("stand", 20)]


def _bends(rng: np.random.Generator, duration: float) -> list[Activity]:
    acts = [A("stand", 10)]
    for i in range(12):
        style = "stoop" if i % 2 == 0 else "squat"
        acts += [A("bend", params={"style": style, "lift": i % 3 == 2}), A("stand", 6)]
    return acts


def _slouch(rng: np.random.Generator, duration: float) -> list[Activity]:
    acts = [A("stand", 10), A("sit", 30)]
    for _ in range(5):
        acts += [A("slouch", 30), A("sit", 25)]
    return acts + [A("stand", 10)]


def _walk(rng: np.random.Generator, duration: float) -> list[Activity]:
    return [A("stand", 10), A("walk", 60, {"cadence": 1.6}), A("stand", 10),
            A("walk", 60, {"cadence": 2.0}), A("stand", 10)]


def _office(rng: np.random.Generator, duration: float) -> list[Activity]:
    acts = [A("stand", 15), A("walk", rng.uniform(60, 240)), A("stand", 10)]
    t = sum(a.duration or 3.0 for a in acts)
    while t < duration:
        block: list[Activity] = []
        sitting = rng.uniform(10, 45) * 60  # a bout at the desk or in a meeting
        spent = 0.0
        while spent < sitting:
            upright = rng.uniform(60, 900)
            slouched = rng.uniform(60, 600)
            block += [A("sit", upright), A("slouch", slouched)]
            spent += upright + slouched
        block += [A("sit", rng.uniform(20, 120)), A("stand", rng.uniform(5, 60))]
        for _ in range(int(rng.integers(1, 4))):
            block += [A("walk", rng.uniform(15, 240)), A("stand", rng.uniform(10, 180))]
            if rng.random() < 0.3:
                block += [A("bend", params={"lift": rng.random() < 0.3}), A("stand", rng.uniform(5, 30))]
        acts += block
        t += sum(a.duration or 4.0 for a in block)
    return acts


def _office_desk(rng: np.random.Generator, duration: float) -> list[Activity]:
    """The office day with the sensor taken off 2-3 times for 15-120 min and left on the desk: each
    break starts at the first standing moment after a time drawn so that all breaks fit in the day."""
    acts = _office(rng, duration)
    lengths = rng.uniform(15, 120, int(rng.integers(2, 4))) * 60.0
    latest = max(duration - float(lengths.sum()) - 600.0, 1800.0)
    targets = iter(np.sort(rng.uniform(min(1800.0, latest), latest, len(lengths))).tolist() + [np.inf])
    out: list[Activity] = []
    t, target, breaks = 0.0, next(targets), iter(lengths.tolist())
    for act in acts:
        out.append(act)
        t += act.duration or 4.0
        if act.kind == "stand" and t >= target:
            length = next(breaks)
            out += [A("off", length), A("stand", rng.uniform(5, 30))]
            t += length
            target = next(targets)
    return out


def _warehouse(rng: np.random.Generator, duration: float) -> list[Activity]:
    acts = [A("stand", 15)]
    t = 15.0
    breaks = {2 * 3600: 15 * 60, 4 * 3600: 30 * 60, 6 * 3600: 15 * 60}
    while t < duration:
        due = [b for b in breaks if t >= b]
        if due:
            length = breaks.pop(due[0])
            block = [A("walk", rng.uniform(30, 90)), A("stand", 10), A("sit", length), A("stand", 10)]
        else:
            block = [A("walk", rng.uniform(15, 120)), A("stand", rng.uniform(3, 20))]
            for _ in range(int(rng.integers(1, 6))):
                block += [A("bend", params={"lift": rng.random() < 0.6}), A("stand", rng.uniform(3, 15))]
        acts += block
        t += sum(a.duration or 4.0 for a in block)
    return acts


_SCENARIOS: dict[str, Scenario] = {
    "demo": Scenario("10 minutes of a bit of everything, after the guided calibration (a still stand, one "
                     "slow forward bend): upright and slouched sitting, standing, stoops, squats and lifts, "
                     "walking bouts, lying on back, side and front", 600.0, _demo, True),
    "office": Scenario("an 8-hour office workday: long sitting bouts with slouches, short walks, "
                       "a few bends", 8 * 3600.0, _office, False),
    "warehouse": Scenario("an 8-hour warehouse shift: frequent walking, hundreds of bends and lifts, "
                          "three seated breaks", 8 * 3600.0, _warehouse, False),
    "static": Scenario("3 minutes of held postures: standing, sitting, lying supine, left, prone, right",
                       180.0, _static, True),
    "bends": Scenario("3 minutes of standing with 12 bends, alternating stoop and squat, every third a lift",
                      180.0, _bends, True),
    "slouch": Scenario("5 minutes of sitting alternating upright and slouched (5 slouches)", 300.0, _slouch, True),
    "walk": Scenario("2.5 minutes: two walking bouts, a slow one (1.6 steps/s) and a brisk one (2.0 steps/s)",
                     150.0, _walk, True),
    "office_desk": Scenario("the office day, with the sensor taken off 2-3 times for 15-120 min and left "
                            "on the desk (non-wear, any orientation)", 8 * 3600.0, _office_desk, False),
}

SCENARIOS: dict[str, str] = {name: s.description for name, s in _SCENARIOS.items()}


def get_scenario(name: str) -> Scenario:
    try:
        return _SCENARIOS[name]
    except KeyError:
        raise SettingsError(
            f"unknown scenario {name!r}; choose one of: {', '.join(_SCENARIOS)}"
        ) from None
