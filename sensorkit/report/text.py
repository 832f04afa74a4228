"""Words and numbers shared by the HTML and PDF reports: durations, the title, the key figures."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .gather import ReportData

# the four numbers a therapist looks for first: label, metric, unit kind ("s" seconds or "count")
KEY_FIGURES = (
    ("Time slouched", "slouch_s", "s"),
    ("High-risk bends", "bends_high", "count"),
    ("Walking", "walking_s", "s"),
    ("Alerts", "alerts", "count"),
)


def duration(seconds: float) -> str:
    """``45 s``, ``12.5 min``, ``3 h 05 min``."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    hours, rest = divmod(round(seconds / 60), 60)
    return f"{hours} h {rest:02d} min"


def signed(value: float) -> str:
    """``+1.2``, ``-0.34`` (two decimals below 1, so a small change in hours still shows); a change that
    rounds to nothing is ``+0.0``, never ``-0.0``."""
    digits = 1 if abs(value) >= 0.995 else 2
    shown = round(value, digits)
    return f"{shown if shown != 0 else 0.0:+.{digits}f}"


def period_title(data: ReportData) -> str:
    who = f"Patient {data.patient}" if data.patient else "No patient id"
    if data.first == data.last:
        return f"{who}, {data.first:%d %B %Y}"
    return f"{who}, {data.first:%d %B %Y} to {data.last:%d %B %Y}"


def software_version() -> str:
    try:
        return version("sensorkit")
    except PackageNotFoundError:
        return "(not installed)"
