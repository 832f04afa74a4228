"""The line `record`, `monitor` and `import` print after saving the new recording's analysis with it.

Saving it there (:func:`sensorkit.signal.saved_analysis.save_for_viewing`) is what makes `view`,
`trends` and `report` open the recording at once instead of analysing its samples again.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def print_saved_analysis(path: str | Path, args: argparse.Namespace, profile: Any = None) -> None:
    """Analyse the recording just written under ``profile`` (default: ``--profile``'s) and save it;
    the line saying so is left out with ``-q``."""
    from ..signal.profile import load_profile
    from ..signal.saved_analysis import save_for_viewing

    line = save_for_viewing(path, profile or load_profile(getattr(args, "profile", None)))
    if line and not getattr(args, "quiet", False):
        print(line)
