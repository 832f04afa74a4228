"""The daily summary: what a patient and a therapist look at after a day, from the events.

Per calendar day (UTC, from the recording's start time) and for the whole recording:

- ``posture_s``: seconds sitting, standing, lying (from ``posture`` events); ``walking_s`` and
  ``steps`` from ``walking_bout`` events when gait detection ran;
- ``flexion_band_s``: seconds upright (not lying) with trunk flexion in 0-20, 20-60 and > 60 deg
  (ISO 11226 bands), counted by the pipeline from every sample;
- ``bends``: count, by severity, by style, per hour of the day (``bends_per_hour``: clock hour ->
  count), and the rate per hour of recording;
- ``slouch``: episodes and total seconds; ``sedentary``: bouts, total, longest, and breaks;
- ``alerts``: count per kind.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from sensorkit.events import Event

BANDS = ("0_20", "20_60", "over_60")


def _start(meta_start: str) -> datetime:
    try:
        dt = datetime.fromisoformat(meta_start.replace("Z", "+00:00"))
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=timezone.utc)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _summarize(events: list[Event], duration_s: float, band_s: dict[str, float] | None,
               origin: datetime) -> dict[str, Any]:
    by_type: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        by_type[e.type].append(e)
    posture = Counter()
    for e in by_type["posture"]:
        posture[e.fields.get("posture", "unknown")] += e.duration
    bends = by_type["bend"]
    per_hour = Counter((origin + timedelta(seconds=e.start)).strftime("%Y-%m-%dT%H:00Z") for e in bends)
    sedentary = by_type["sedentary_bout"]
    walking = by_type["walking_bout"]
    hours = duration_s / 3600.0
    out: dict[str, Any] = {
        "duration_s": round(duration_s, 1),
        "posture_s": {k: round(posture.get(k, 0.0), 1) for k in ("sitting", "standing", "lying")},
        "bends": {
            "count": len(bends),
            "per_hour_of_recording": round(len(bends) / hours, 2) if hours > 0 else None,
            "by_severity": {k: sum(e.fields.get("severity") == k for e in bends) for k in ("low", "moderate", "high")},
            "by_style": dict(Counter(str(e.fields.get("style")) for e in bends)),
            "bends_per_hour": dict(sorted(per_hour.items())),
        },
        "slouch": {"episodes": len(by_type["slouch"]),
                   "total_s": round(sum(e.duration for e in by_type["slouch"]), 1)},
        "sedentary": {
            "bouts": len(sedentary),
            "total_s": round(sum(e.duration for e in sedentary), 1),
            "longest_s": round(max((e.duration for e in sedentary), default=0.0), 1),
            "breaks": len(by_type["sedentary_break"]),
        },
        "alerts": dict(Counter(e.fields.get("alert") for e in by_type["alert"])),
    }
    if walking:
        out["walking_s"] = round(sum(e.duration for e in walking), 1)
        out["steps"] = int(sum(e.fields.get("steps", 0) for e in walking))
    if band_s is not None:
        out["flexion_band_s"] = {k: round(band_s.get(k, 0.0), 1) for k in BANDS}
    return out


def daily_summary(
    events: Iterable[Event],
    start_time: str,
    duration_s: float,
    band_s: dict[str, float] | None = None,
    band_s_by_day: dict[str, dict[str, float]] | None = None,
) -> dict[str, Any]:
    """``{"total": {...}, "days": [{"date": "YYYY-MM-DD", ...}]}``; an event belongs to the day it starts."""
    events = list(events)
    origin = _start(start_time)
    days: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        days[(origin + timedelta(seconds=e.start)).date().isoformat()].append(e)
    first = origin.date()
    last = (origin + timedelta(seconds=max(duration_s, 0.0))).date()
    out_days = []
    d = first
    while d <= last:
        day_start = max(origin, datetime(d.year, d.month, d.day, tzinfo=timezone.utc))
        day_end = min(origin + timedelta(seconds=duration_s),
                      datetime(d.year, d.month, d.day, tzinfo=timezone.utc) + timedelta(days=1))
        span = max((day_end - day_start).total_seconds(), 0.0)
        bands = (band_s_by_day or {}).get(d.isoformat())
        out_days.append({"date": d.isoformat(), **_summarize(days.get(d.isoformat(), []), span, bands, origin)})
        d += timedelta(days=1)
    return {"total": _summarize(events, duration_s, band_s, origin), "days": out_days}
