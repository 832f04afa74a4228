"""Errors the user can act on. The command line prints their message as one sentence, no traceback."""


class SensorKitError(Exception):
    """Base of every error meant for a person rather than a developer."""


class RecordingError(SensorKitError):
    """A recording cannot be opened, read or written (missing, foreign, truncated, corrupt, locked)."""


class ImportFormatError(SensorKitError):
    """An input file is not in a format SensorKit can read."""


class DecodeError(SensorKitError):
    """A sensor packet does not decode; the collector counts and skips it."""


class DeviceError(SensorKitError):
    """A sensor is unknown, unsupported, unreachable or misbehaving."""


class SettingsError(SensorKitError):
    """A profile, threshold or option is impossible (negative delay, unknown scenario, ...)."""
