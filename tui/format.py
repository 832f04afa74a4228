"""How times and durations read on screen, the same everywhere in the app."""

from __future__ import annotations

from sensorkit.errors import SensorKitError


def duration(seconds: float | None) -> str:
    """``1 h 05 min``, ``12 min 30 s``, ``45 s``; a dash when unknown."""
    if seconds is None:
        return "-"
    s = int(round(max(0.0, seconds)))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"


def short_duration(seconds: float) -> str:
    """A duration in few characters, for table cells: ``7.5 h``, ``45 min``, ``30 s`` (sign kept)."""
    sign, s = ("-" if seconds < 0 else ""), abs(seconds)
    if s >= 3600:
        return f"{sign}{s / 3600:.1f} h"
    if s >= 60:
        return f"{sign}{s / 60:.0f} min"
    return f"{sign}{s:.0f} s"


def clock(t: float) -> str:
    """Recording time as ``h:mm:ss`` (as `sensorkit monitor` prints it, without tenths)."""
    t = max(0.0, t)
    return f"{int(t // 3600)}:{int(t % 3600 // 60):02d}:{int(t % 60):02d}"


def percent(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.0f} %" if whole > 0 else "-"


def count(n: int, word: str) -> str:
    """``1 bend``, ``2 bends``, ``0 bends``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def error_text(error: BaseException | None) -> str:
    """An error as one sentence for the screen: a user's error as it is, a bug named as one."""
    if error is None or isinstance(error, SensorKitError):
        return str(error or "")
    return f"internal error ({type(error).__name__}: {error})"
