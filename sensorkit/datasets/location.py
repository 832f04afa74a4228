"""Where the public labelled recordings are, for the validation scripts and the tests.

They sit beside the checkout in ``../shared/data`` (CI puts them there) or wherever
``$SENSORKIT_SHARED_DATA`` points. A fresh clone has neither: a script then says so in one sentence
and exits with status 1 instead of failing somewhere inside a loader with a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "SENSORKIT_SHARED_DATA"


def default_shared_data(checkout: Path) -> Path:
    """``$SENSORKIT_SHARED_DATA``, else ``shared/data`` beside the ``checkout`` folder."""
    return Path(os.environ.get(ENV_VAR) or checkout.parent / "shared" / "data")


def require_shared_data(folder: Path) -> Path:
    """``folder`` when it exists; otherwise exit (status 1) with one sentence saying what to do."""
    if folder.is_dir():
        return folder
    raise SystemExit(f"real recordings not found at {folder}: put the public datasets there or set {ENV_VAR} "
                     "to their folder (see the README, Set up)")
