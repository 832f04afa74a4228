"""What the day screen shows, gathered from a recording and the signal core's analysis.

The numbers are the signal core's own: :func:`sensorkit.signal.pipeline.analyze` (the code behind
``sensorkit analyze``) and its daily summary. This module only arranges them for the screen; the one
thing it adds is the hour-by-hour split of posture and walking time, which is the summary's events
clipped to clock hours (no new classification). Days and hours are local to the recording's zone
(:func:`sensorkit.localtime.zone_for`: ``--tz``, the recording's, the profile's, the computer's), so a
daylight-saving day has 23 or 25 hours in the strip.

Loading and analysing a day takes about a second per hour of 100 Hz data, so the screen calls
:func:`load_day` from a worker thread; everything here is plain data, testable without a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sensorkit.errors import RecordingError
from sensorkit.events import Event
from sensorkit.localtime import UTC, zone_for, zone_name
from sensorkit.samples import RecordingMeta, find_gaps, start_datetime
from sensorkit.store import RecordingReader

# The states of the hour strip, in the order they are drawn. "standing" excludes walking time.
HOUR_STATES = ("sitting", "standing", "walking", "lying", "not_worn")


@dataclass
class Hour:
    """One local clock hour of the recording: seconds per state, bends started in it."""

    start: datetime  # local, with its offset
    seconds: dict[str, float]
    bends: int

    @property
    def dominant(self) -> str | None:
        """The state with the most time in this hour; None when nothing was classified."""
        state, secs = max(self.seconds.items(), key=lambda kv: kv[1], default=(None, 0.0))
        return state if secs > 0 else None


@dataclass
class Span:
    """What the panels show: the whole recording, or one local calendar day of a longer one."""

    label: str  # "whole recording" or "YYYY-MM-DD"
    summary: dict[str, Any]  # the signal core's summary["total"] or one of its summary["days"]
    duration_s: float
    events: list[Event]  # those that start in the span (the summary's rule)
    hours: list[Hour]

    @property
    def walking_bouts(self) -> list[Event]:
        return [e for e in self.events if e.type == "walking_bout"]

    @property
    def cadence_spm(self) -> float | None:
        """Steps per minute of walking, over all bouts."""
        walking_s = self.summary.get("walking_s") or 0.0
        return 60.0 * self.summary.get("steps", 0) / walking_s if walking_s > 0 else None


@dataclass
class DayReport:
    """One recording, analysed: header facts, the summary over the whole recording, hours, events."""

    path: Path
    meta: RecordingMeta
    samples: int
    duration_s: float
    gaps: int
    missing_samples: int
    reconnects: int | None  # None: not recorded over Bluetooth (simulated or imported)
    method: str
    total: dict[str, Any]  # the signal core's summary["total"]
    days: list[dict[str, Any]]  # the signal core's summary["days"]
    events: list[Event]
    hours: list[Hour] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    zone: ZoneInfo = UTC  # the zone its days and clock times are local to

    @property
    def start(self) -> datetime:
        """When the recording started, in local time."""
        return start_datetime(self.meta.start_time).astimezone(self.zone)

    @property
    def zone_name(self) -> str:
        return zone_name(self.zone)

    def spans(self) -> list[Span]:
        """The whole recording first, then each calendar day when it covers more than one."""
        whole = Span("whole recording", self.total, self.duration_s, self.events, self.hours)
        if len(self.days) < 2:
            return [whole]
        origin = start_datetime(self.meta.start_time)  # arithmetic in UTC, then to local: as the summary does
        day_of = lambda t: (origin + timedelta(seconds=t)).astimezone(self.zone).date().isoformat()  # noqa: E731
        spans = [whole]
        for day in self.days:
            hours = [h for h in self.hours if h.start.date().isoformat() == day["date"]]
            spans.append(Span(day["date"], _clipped_posture(day, hours), day["duration_s"],
                              [e for e in self.events if day_of(e.start) == day["date"]], hours))
        return spans


def _clipped_posture(day: dict[str, Any], hours: list[Hour]) -> dict[str, Any]:
    """The day's summary with ``posture_s`` counted inside the day.

    The summary puts a whole posture period into the day it starts, so a period over midnight makes a
    day's posture time exceed its length; for the bars, the hours' clipped seconds are used instead.
    """
    posture = {state: sum(h.seconds[state] for h in hours) for state in ("sitting", "lying")}
    posture["standing"] = sum(h.seconds["standing"] + h.seconds["walking"] for h in hours)
    return {**day, "posture_s": posture}


def load_day(path: str | Path, profile: Any = None, tz: str | None = None) -> DayReport:
    """Read ``path`` and analyse it as ``sensorkit analyze`` does, days local to ``tz`` (None: the
    recording's zone, else the profile's, else the computer's); RecordingError for bad files."""
    from sensorkit.signal.pipeline import analyze  # the signal core is heavy; imported when needed

    path = Path(path)
    with RecordingReader(path) as reader:
        meta = reader.meta
        block = reader.samples()
    if len(block) == 0:
        raise RecordingError(f"{path} holds no samples to show")
    zone = zone_for(tz, meta.timezone, profile)
    result = analyze(block, meta, profile, zone=zone)
    gaps = find_gaps(block.t, meta.rate_hz)
    collector = meta.extra.get("collector") or {}
    report = DayReport(
        path=path,
        meta=meta,
        samples=len(block),
        duration_s=float(block.t[-1] - block.t[0]) + 1.0 / meta.rate_hz,
        gaps=len(gaps),
        missing_samples=sum(g.samples for g in gaps),
        reconnects=collector.get("reconnects") if isinstance(collector, dict) else None,
        method=result.method,
        total=result.summary["total"],
        days=result.summary["days"],
        events=result.events,
        warnings=list(result.warnings),
        zone=zone,
    )
    report.hours = split_hours(result.events, start_datetime(meta.start_time), float(block.t[0]), float(block.t[-1]),
                               report.total["bends"]["bends_per_hour"], zone)
    return report


def split_hours(events: list[Event], origin: datetime, t0: float, t1: float,
                bends_per_hour: dict[str, int], zone: ZoneInfo = UTC) -> list[Hour]:
    """Clock hours from ``t0`` to ``t1`` (s from ``origin``) with posture/walking seconds clipped to each.

    The hours are local clock hours in ``zone`` (counted on in real time, so the hour
    repeated in autumn appears twice and the one skipped in spring not at all); ``bends_per_hour`` is
    the summary's own count, keyed by the local hour with its offset (``2025-03-03T09:00+11:00``).
    """
    origin = origin.astimezone(timezone.utc)  # aware arithmetic is wall-clock arithmetic: keep it in UTC
    first = (origin + timedelta(seconds=t0)).astimezone(zone).replace(minute=0, second=0, microsecond=0)
    end = origin + timedelta(seconds=t1)
    hours: list[Hour] = []
    h = first
    while h <= end:
        key = h.isoformat(timespec="minutes")
        hours.append(Hour(h, dict.fromkeys(HOUR_STATES, 0.0), int(bends_per_hour.get(key, 0))))
        h = (h.astimezone(timezone.utc) + timedelta(hours=1)).astimezone(zone)
    base = (first.astimezone(timezone.utc) - origin).total_seconds()  # hour i covers [base + 3600 i, base + 3600 (i + 1)) in t
    for e in events:
        if e.type == "posture" and e.fields.get("posture") in HOUR_STATES:
            _spread(hours, base, e.start, e.end, str(e.fields["posture"]), +1.0)
        elif e.type == "not_worn":
            _spread(hours, base, e.start, e.end, "not_worn", +1.0)
        elif e.type == "walking_bout":  # walking is standing: move the bout's time from one to the other
            _spread(hours, base, e.start, e.end, "walking", +1.0)
            _spread(hours, base, e.start, e.end, "standing", -1.0)
    for hour in hours:
        hour.seconds["standing"] = max(0.0, hour.seconds["standing"])
    return hours


def _spread(hours: list[Hour], base: float, start: float, end: float, state: str, sign: float) -> None:
    for i, hour in enumerate(hours):
        lo, hi = base + 3600.0 * i, base + 3600.0 * (i + 1)
        overlap = min(end, hi) - max(start, lo)
        if overlap > 0:
            hour.seconds[state] += sign * overlap
