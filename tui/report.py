"""What the day screen shows, gathered from a recording and the signal core's analysis.

The numbers are the signal core's own: :func:`sensorkit.signal.pipeline.analyze` (the code behind
``sensorkit analyze``) and its daily summary. This module only arranges them for the screen; the one
thing it adds is the hour-by-hour split of posture and walking time, which is the summary's events
clipped to clock hours (no new classification). Days and hours are local to the recording's zone
(:func:`sensorkit.localtime.zone_for`: ``--tz``, the recording's, the profile's, the computer's), so a
daylight-saving day has 23 or 25 hours in the strip.

Analysing a day takes about a second per hour of 100 Hz data; a day with a saved analysis opens in a
fraction of that. The screen calls :func:`load_day` from a worker thread either way; everything here
is plain data, testable without a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from sensorkit.errors import RecordingError
from sensorkit.events import Event
from sensorkit.localtime import UTC, zone_for, zone_name
from sensorkit.samples import RecordingMeta, start_datetime
from sensorkit.store import RecordingReader

# The states of an hour, in the order they are drawn. "standing" excludes walking time.
HOUR_STATES = ("sitting", "standing", "walking", "lying", "not_worn")
# what a minute of the hour strip's timeline can be: slouching (sitting or standing) shows as its own state
TIMELINE_STATES = ("sitting", "slouched", "standing", "walking", "lying", "not_worn")
SEVERITY_RANK = {"low": 0, "moderate": 1, "high": 2}


@dataclass
class Hour:
    """One local clock hour of the recording: seconds per state, bends started in it, minute by minute."""

    start: datetime  # local, with its offset
    seconds: dict[str, float]
    bends: int
    slouched_s: float = 0.0  # slouching while sitting, inside the sitting seconds
    timeline: tuple[str | None, ...] = ()  # 60 minutes: what each mostly was (TIMELINE_STATES), None: no data
    bend_marks: tuple[str | None, ...] = ()  # 60 minutes: the most severe bend started in it

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
    gait: str = "on"  # walking bouts detected: "on", "off" or why not (the recording's analysis)

    @property
    def walking_bouts(self) -> list[Event]:
        return [e for e in self.events if e.type == "walking_bout"]

    @property
    def slouched_sitting_s(self) -> float:
        """Seconds slouched while sitting, clipped to the span (the hours')."""
        return sum(h.slouched_s for h in self.hours)

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
    source: str = "analysed"  # "stored": the analysis saved with the recording; "analysed": made now
    gait: str = "on"  # walking bouts detected: "on", "off" or why not (a sensor too slow for steps)

    @property
    def start(self) -> datetime:
        """When the recording started, in local time."""
        return start_datetime(self.meta.start_time).astimezone(self.zone)

    @property
    def zone_name(self) -> str:
        return zone_name(self.zone)

    def spans(self) -> list[Span]:
        """The whole recording first, then each calendar day when it covers more than one."""
        whole = Span("whole recording", self.total, self.duration_s, self.events, self.hours, self.gait)
        if len(self.days) < 2:
            return [whole]
        origin = start_datetime(self.meta.start_time)  # arithmetic in UTC, then to local: as the summary does
        day_of = lambda t: (origin + timedelta(seconds=t)).astimezone(self.zone).date().isoformat()  # noqa: E731
        spans = [whole]
        for day in self.days:
            hours = [h for h in self.hours if h.start.date().isoformat() == day["date"]]
            spans.append(Span(day["date"], _clipped_posture(day, hours), day["duration_s"],
                              [e for e in self.events if day_of(e.start) == day["date"]], hours, self.gait))
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
    """Read ``path`` and its analysis, days local to ``tz`` (None: the recording's zone, else the
    profile's, else the computer's); RecordingError for bad files.

    The analysis is the one saved with the recording when it fits (profile, release, zone), else made
    now and saved for the next time (:func:`sensorkit.signal.saved_analysis.analysis_for`); the header's
    facts (samples, span, gaps) come from the store's index, so a saved day opens without reading samples.
    """
    from sensorkit.signal.saved_analysis import analysis_for

    return _day(Path(path), analysis_for(path, profile, tz), profile, tz)


def saved_day(path: str | Path, profile: Any = None, tz: str | None = None) -> DayReport | None:
    """:func:`load_day` when the recording holds a saved analysis that fits, else None (nothing is
    analysed). ``sensorkit view`` reads it before the app starts, so the day screen's first frame holds
    the day's numbers; a day still to be analysed is left to the screen's worker thread."""
    from sensorkit.signal.saved_analysis import stored_analysis

    made = stored_analysis(path, profile, tz)
    return None if made is None else _day(Path(path), made, profile, tz)


def _day(path: Path, analysis: Any, profile: Any, tz: str | None) -> DayReport:
    """The day of ``analysis`` (a :class:`sensorkit.signal.saved_analysis.RecordingAnalysis` of ``path``)
    with the header's facts from the store's index."""
    with RecordingReader(path) as reader:
        meta, span, samples, gaps = reader.meta, reader.time_span(), reader.sample_count(), reader.gaps()
    if span is None or samples == 0:
        raise RecordingError(f"{path} holds no samples to show")
    zone = zone_for(tz, meta.timezone, profile)
    collector = meta.extra.get("collector") or {}
    report = DayReport(
        path=path,
        meta=meta,
        samples=samples,
        duration_s=span[1] - span[0] + 1.0 / meta.rate_hz,
        gaps=len(gaps),
        missing_samples=sum(g.samples for g in gaps),
        reconnects=collector.get("reconnects") if isinstance(collector, dict) else None,
        method=analysis.angles_from,
        total=analysis.summary["total"],
        days=analysis.summary["days"],
        events=analysis.events,
        warnings=analysis.warnings,
        zone=zone,
        source=analysis.source,
        gait=analysis.gait,
    )
    report.hours = split_hours(analysis.events, start_datetime(meta.start_time), span[0], span[1],
                               report.total["bends"]["bends_per_hour"], zone)
    return report


def split_hours(events: list[Event], origin: datetime, t0: float, t1: float,
                bends_per_hour: dict[str, int], zone: ZoneInfo = UTC) -> list[Hour]:
    """Clock hours from ``t0`` to ``t1`` (s from ``origin``) with posture/walking seconds clipped to each,
    and each hour's minute-by-minute timeline.

    The hours are local clock hours in ``zone`` (counted on in real time, so the hour
    repeated in autumn appears twice and the one skipped in spring not at all); ``bends_per_hour`` is
    the summary's own count, keyed by the local hour with its offset (``2025-03-03T09:00+11:00``).
    """
    origin = origin.astimezone(timezone.utc)  # aware arithmetic is wall-clock arithmetic: keep it in UTC
    first = (origin + timedelta(seconds=t0)).astimezone(zone).replace(minute=0, second=0, microsecond=0)
    end = origin + timedelta(seconds=t1)
    starts: list[datetime] = []
    h = first
    while h <= end:
        starts.append(h)
        h = (h.astimezone(timezone.utc) + timedelta(hours=1)).astimezone(zone)
    base = (first.astimezone(timezone.utc) - origin).total_seconds()  # minute i covers [base + 60 i, base + 60 (i + 1)) in t
    rows = _minute_seconds(events, base, 60 * len(starts))
    states = _minute_states(rows)
    marks = _bend_marks(events, base, 60 * len(starts))
    hours = []
    for i, start in enumerate(starts):
        minutes = slice(60 * i, 60 * (i + 1))
        seconds = {state: float(rows[state][minutes].sum()) for state in HOUR_STATES}
        hours.append(Hour(start, seconds, int(bends_per_hour.get(start.isoformat(timespec="minutes"), 0)),
                          slouched_s=float(rows["slouched_sitting"][minutes].sum()),
                          timeline=tuple(states[minutes]), bend_marks=tuple(marks[minutes])))
    return hours


def _minute_seconds(events: list[Event], base: float, n: int) -> dict[str, np.ndarray]:
    """Seconds per state in each minute: the posture events, walking moved out of standing, non-wear,
    and in rows of their own (inside sitting or standing) slouching, and slouching while sitting."""
    rows = {state: np.zeros(n) for state in (*HOUR_STATES, "slouched", "slouched_sitting")}
    for e in events:
        if e.type == "posture" and e.fields.get("posture") in HOUR_STATES:
            _spread(rows[str(e.fields["posture"])], base, e.start, e.end, +1.0)
        elif e.type == "not_worn":
            _spread(rows["not_worn"], base, e.start, e.end, +1.0)
        elif e.type == "slouch":
            _spread(rows["slouched"], base, e.start, e.end, +1.0)
            if e.fields.get("posture") == "sitting":
                _spread(rows["slouched_sitting"], base, e.start, e.end, +1.0)
        elif e.type == "walking_bout":  # walking is standing: move the bout's time from one to the other
            _spread(rows["walking"], base, e.start, e.end, +1.0)
            _spread(rows["standing"], base, e.start, e.end, -1.0)
    np.clip(rows["standing"], 0.0, None, out=rows["standing"])
    return rows


def _minute_states(rows: dict[str, np.ndarray]) -> np.ndarray:
    """What each minute was mostly: a state of :data:`TIMELINE_STATES`, or None without data.
    A minute slouched for half of it or more is "slouched" whatever the posture."""
    stacked = np.stack([rows[state] for state in HOUR_STATES])
    names = np.array(HOUR_STATES, dtype=object)
    out = np.where(stacked.max(axis=0) > 0, names[stacked.argmax(axis=0)], None)
    out[rows["slouched"] >= 30.0] = "slouched"
    return out


def _bend_marks(events: list[Event], base: float, n: int) -> np.ndarray:
    """The most severe bend starting in each minute (None: no bend)."""
    marks = np.full(n, None, dtype=object)
    for e in events:
        i = int((e.start - base) // 60.0)
        if e.type == "bend" and 0 <= i < n:
            severity = e.fields.get("severity")
            if SEVERITY_RANK.get(severity, -1) > SEVERITY_RANK.get(marks[i], -1):
                marks[i] = severity
    return marks


def _spread(row: np.ndarray, base: float, start: float, end: float, sign: float) -> None:
    """Add ``sign`` times the overlap of [start, end) with each minute of ``row``."""
    a, b = max(0.0, (start - base) / 60.0), min(float(len(row)), (end - base) / 60.0)
    if b <= a:
        return
    i0, i1 = int(a), int(np.ceil(b))
    edges = np.arange(i0, i1 + 1, dtype=float)
    row[i0:i1] += sign * 60.0 * (np.minimum(edges[1:], b) - np.maximum(edges[:-1], a))
