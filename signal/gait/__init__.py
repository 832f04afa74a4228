"""Gait from a lower-back sensor: initial contacts (steps), Mobilise-D walking bouts, a streaming detector.

``steps.StepFinder`` turns samples into initial contacts, ``bouts.BoutAssembler`` turns contacts into
walking bouts by the Mobilise-D rules, and ``detector.GaitDetector`` joins them behind the pipeline's
``update(block) -> events`` / ``finish()`` interface with a live walking flag.
"""

from .bouts import BoutParams
from .detector import GaitDetector, detect_walking_bouts
from .steps import StepParams

__all__ = ["BoutParams", "GaitDetector", "StepParams", "detect_walking_bouts"]
