"""A simulated person wearing the sensor on the lower back, with ground truth.

Public API (other parts of SensorKit and the tests code against exactly this)::

    sim = simulate("demo", seed=1)            # -> Simulation(block, meta, truth)
    save_simulation(sim, "demo.skr")          # samples + truth attachment in one recording
    simulate_to_recording("week.skr", "office", seed=1, duration_s=604800)  # the same, written as made
    truth = load_ground_truth(RecordingReader("demo.skr"))
    SCENARIOS                                 # name -> one-line description
    simulate_activities([Activity("stand", 5), Activity("walk", 30, {"cadence": 1.7})], seed=1)

Modules, in the order data flows: :mod:`.scenarios` (named days) -> :mod:`.timeline` (activities
with every parameter drawn, transitions inserted) -> :mod:`.kinematics` and :mod:`.gait` (trunk
orientation and acceleration) -> :mod:`.sensor` (mount, noise, bias, range, resolution, packet loss)
-> :mod:`.truth` (events and signals). Every model choice and its source: MODEL.md beside this file.
"""

from .scenarios import SCENARIOS
from .simulation import Simulation, save_simulation, simulate, simulate_activities, simulate_to_recording
from .timeline import Activity
from .truth import GroundTruth, load_ground_truth

__all__ = [
    "SCENARIOS", "Activity", "GroundTruth", "Simulation", "load_ground_truth", "save_simulation", "simulate",
    "simulate_activities", "simulate_to_recording",
]
