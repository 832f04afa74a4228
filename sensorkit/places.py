"""Where SensorKit keeps its own files: the data folder and the default patient profile.

The folders are each system's own, from platformdirs: on Linux ``$XDG_DATA_HOME/sensorkit``
(``~/.local/share/sensorkit``) and ``$XDG_CONFIG_HOME/sensorkit`` (``~/.config/sensorkit``), on macOS
``~/Library/Application Support/sensorkit`` for both, on Windows ``%LOCALAPPDATA%\\sensorkit`` for
both. Building them by hand from XDG variables was right on Linux only.

The default profile (``profile.toml`` in the config folder) is what every command reads when no
``--profile`` is given and the file exists, and where a live ``sensorkit calibrate`` stores the
wearer's calibration when no ``--profile`` is given: a patient calibrates once and never names the
file again. Health data is private, so both folders are made 0700 when SensorKit creates them.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "sensorkit"


def data_dir() -> Path:
    """The user's data folder for SensorKit (recordings made without a path, e.g. the demo's)."""
    return platformdirs.user_data_path(APP, appauthor=False)


def config_dir() -> Path:
    """The user's configuration folder for SensorKit (the default profile)."""
    return platformdirs.user_config_path(APP, appauthor=False)


def default_profile() -> Path:
    """The default patient profile's path (it may not exist yet)."""
    return config_dir() / "profile.toml"


def profile_in_effect(given: str | None) -> str | None:
    """The profile a command reads: the one given, else the default profile if it exists, else None
    (the built-in defaults)."""
    if given is not None:
        return given
    path = default_profile()
    return str(path) if path.exists() or path.is_symlink() else None
