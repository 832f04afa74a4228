"""The daily summary: what a patient and a therapist look at after a day, from the events.

Per local calendar day and for the whole recording. Days run from local midnight to local midnight
in the recording's zone (:mod:`sensorkit.localtime`), so a daylight-saving day covers 23 or 25 hours
and the days still add up to the recording; each day carries its ``start`` and ``end`` (ISO 8601 with
the offset) and the summary its ``timezone``:

- ``worn_s`` and ``not_worn_s``: seconds the sensor was worn and off the body (``not_worn`` events,
  :mod:`.nonwear`); ``duration_s`` is their sum. Non-wear is in no posture, no sedentary bout and no
  alert, and rates (bends per hour) are per hour worn;
- ``posture_s``: seconds sitting, standing, lying (from ``posture`` events); ``walking_s`` and
  ``steps`` from ``walking_bout`` events when gait detection ran;
- ``flexion_band_s``: seconds upright (not lying) with trunk flexion in 0-20, 20-60 and > 60 deg
  (ISO 11226 bands), counted by the pipeline from every sample;
- ``bends``: count, by severity, by style, per hour of the day (``bends_per_hour``: local clock hour
  with its offset, ``2025-03-03T09:00+11:00`` -> count), and the rate per hour worn (``per_hour_worn``);
- ``slouch``: episodes and total seconds; ``sedentary``: bouts, total, longest, and breaks;
- ``alerts``: count per kind.

Seconds (posture, walking, slouch, sedentary total and longest) are clipped to the day: a period
over midnight counts in both days, so a day's figures never exceed the time it covers. Counts
(bends, episodes, bouts, breaks, alerts, steps) go to the day the event starts, so the days' counts
add up to the total.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Iterable

from sensorkit.events import Event
from sensorkit.localtime import local_days
from sensorkit.samples import start_datetime

BANDS = ("0_20", "20_60", "over_60")


def _seconds(e: Event, window: tuple[float, float] | None) -> float:
    """The part of ``e`` inside ``window`` (seconds from the recording start; None: all of it)."""
    if window is None:
        return e.duration
    return max(min(e.end, window[1]) - max(e.start, window[0]), 0.0)


def _hour_key(moment: datetime, zone: tzinfo) -> str:
    """The local clock hour of ``moment`` with its offset (unique even in the repeated hour of autumn)."""
    return moment.astimezone(zone).replace(minute=0, second=0, microsecond=0).isoformat(timespec="minutes")


def _summarize(events: list[Event], counted: list[Event], duration_s: float, band_s: dict[str, float] | None,
               origin: datetime, window: tuple[float, float] | None = None,
               zone: tzinfo = timezone.utc) -> dict[str, Any]:
    """Figures over ``window``: seconds from ``events`` clipped to it, counts from ``counted``."""
    by_type: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        by_type[e.type].append(e)
    started: dict[str, list[Event]] = defaultdict(list)
    for e in counted:
        started[e.type].append(e)

    def secs(kind: str) -> list[float]:
        return [_seconds(e, window) for e in by_type[kind]]

    posture = Counter()
    for e in by_type["posture"]:
        posture[e.fields.get("posture", "unknown")] += _seconds(e, window)
    bends = started["bend"]
    per_hour = Counter(_hour_key(origin + timedelta(seconds=e.start), zone) for e in bends)
    walking = started["walking_bout"]
    not_worn = sum(secs("not_worn"))
    hours = max(duration_s - not_worn, 0.0) / 3600.0  # rates are per hour worn
    out: dict[str, Any] = {
        "duration_s": round(duration_s, 1),
        "worn_s": round(max(duration_s - not_worn, 0.0), 1),
        "not_worn_s": round(not_worn, 1),
        "posture_s": {k: round(posture.get(k, 0.0), 1) for k in ("sitting", "standing", "lying")},
        "bends": {
            "count": len(bends),
            "per_hour_worn": round(len(bends) / hours, 2) if hours > 0 else None,
            "by_severity": {k: sum(e.fields.get("severity") == k for e in bends) for k in ("low", "moderate", "high")},
            "by_style": dict(Counter(str(e.fields.get("style")) for e in bends)),
            "bends_per_hour": dict(sorted(per_hour.items())),
        },
        "slouch": {"episodes": len(started["slouch"]), "total_s": round(sum(secs("slouch")), 1)},
        "sedentary": {
            "bouts": len(started["sedentary_bout"]),
            "total_s": round(sum(secs("sedentary_bout")), 1),
            "longest_s": round(max(secs("sedentary_bout"), default=0.0), 1),
            "breaks": len(started["sedentary_break"]),
        },
        "alerts": dict(Counter(e.fields.get("alert") for e in started["alert"])),
    }
    if by_type["walking_bout"]:
        out["walking_s"] = round(sum(secs("walking_bout")), 1)
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
    t0: float = 0.0,
    zone: tzinfo = timezone.utc,
) -> dict[str, Any]:
    """``{"timezone": name, "total": {...}, "days": [{"date": "YYYY-MM-DD", "start": ..., "end": ..., ...}]}``
    for data from ``t0`` to ``t0 + duration_s`` (seconds from the recording start), days local to ``zone``
    (``band_s_by_day`` keyed by the same local dates); see the module docstring for how days split events."""
    events = list(events)
    origin = start_datetime(start_time)
    t1 = t0 + max(duration_s, 0.0)
    days = local_days(origin + timedelta(seconds=t0), origin + timedelta(seconds=t1), zone)
    out_days = []
    for d, day_start, day_end in days:
        lo, hi = (day_start - origin).total_seconds(), (day_end - origin).total_seconds()
        window = (max(t0, lo), min(t1, hi))
        inside = [e for e in events if e.end >= window[0] and e.start < window[1]]
        started = [e for e in events if lo <= e.start < hi]
        bands = (band_s_by_day or {}).get(d.isoformat())
        out_days.append({"date": d.isoformat(), "start": day_start.astimezone(zone).isoformat(),
                         "end": day_end.astimezone(zone).isoformat(), **_summarize(
            inside, started, max(window[1] - window[0], 0.0), bands, origin, window, zone)})
    return {"timezone": str(getattr(zone, "key", None) or zone.tzname(None) or "UTC"),
            "total": _summarize(events, events, duration_s, band_s, origin, zone=zone), "days": out_days}
