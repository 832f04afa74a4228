"""Local time for people: which zone a recording's days are read in, local days, clock times.

Stored times stay UTC (``RecordingMeta.start_time`` and sample times from it); only what a person
reads is local. A recording's zone, first found wins:

1. ``--tz ZONE`` on the command line (the therapist asks for another view, e.g. ``--tz UTC``);
2. the zone stored in the recording (``RecordingMeta.timezone``: where it was made, from the
   profile's ``[patient] timezone``, ``--tz`` or the computer's zone at the time);
3. the profile's ``[patient] timezone``;
4. the computer's zone (``TZ``, else ``/etc/localtime``, else ``/etc/timezone``; UTC when none of
   them names an IANA zone).

Zones are IANA names read with :mod:`zoneinfo`; the ``tzdata`` package supplies the database where
the system has none (Windows, slim containers), so a name works the same everywhere. A local day
runs from local midnight to the next one, so a daylight-saving day is 23 or 25 hours long.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import SettingsError
from .samples import RecordingMeta, start_datetime

UTC = ZoneInfo("UTC")


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (``Australia/Sydney``, ``UTC``); SettingsError when there is no such zone."""
    text = str(name).strip()
    try:
        if not text or text.startswith(("/", ".")) or ".." in text:
            raise ValueError(text)
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise SettingsError(f"unknown time zone {name!r}: use an IANA name such as Europe/London, "
                            f"Australia/Sydney or UTC") from exc


def computer_zone() -> ZoneInfo:
    """The zone this computer runs in, as an IANA zone (UTC when it cannot be told)."""
    for name in _computer_zone_names():
        try:
            return zone(name)
        except SettingsError:
            continue
    return UTC


def _computer_zone_names() -> Iterator[str]:
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        yield tz
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            yield target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    try:
        yield Path("/etc/timezone").read_text().strip()
    except OSError:
        pass


def zone_for(override: str | None = None, recording: str = "", profile: Any = None) -> ZoneInfo:
    """The zone to read a recording in (see the module docstring for the order)."""
    if override:
        return zone(override)
    if recording:
        try:
            return zone(recording)
        except SettingsError as exc:  # made where the zone database is newer, or a damaged file
            raise SettingsError(f"the recording's time zone {recording!r} is unknown on this computer; "
                                "choose one with --tz (e.g. --tz UTC)") from exc
    profile_zone = getattr(profile, "timezone", None)
    if profile_zone:
        return zone(profile_zone)
    return computer_zone()


def zone_name(z: ZoneInfo) -> str:
    """The IANA name to store or print."""
    return z.key


def local_days(first: datetime, last: datetime, z: ZoneInfo) -> list[tuple[date, datetime, datetime]]:
    """Each local date from ``first`` to ``last`` (aware datetimes) with its start and end in UTC.

    A day runs from local midnight to the next local midnight, so it lasts 23, 24 or 25 hours.
    """
    out = []
    d = first.astimezone(z).date()
    while d <= last.astimezone(z).date():
        out.append((d, midnight(d, z), midnight(d + timedelta(days=1), z)))
        d += timedelta(days=1)
    return out


def midnight(d: date, z: ZoneInfo) -> datetime:
    """Local midnight starting ``d``, in UTC (where midnight is skipped, the first instant after)."""
    return datetime.combine(d, time(0), tzinfo=z).astimezone(timezone.utc)


def clock(moment: datetime, z: ZoneInfo) -> str:
    """ISO 8601 local time with the offset, to the second: ``2025-03-03T09:00:00+11:00``."""
    return moment.astimezone(z).isoformat(timespec="seconds")


def time_of_day(meta: RecordingMeta, t: float) -> str:
    """``09:14:03``: the local clock time of recording time ``t`` (seconds from the recording's start),
    in the recording's zone (else the computer's)."""
    moment = start_datetime(meta.start_time) + timedelta(seconds=t)
    return moment.astimezone(zone_for(None, meta.timezone)).strftime("%H:%M:%S")


def parse_local(text: str, z: ZoneInfo) -> datetime:
    """ISO 8601 text as an aware UTC datetime; a time without an offset is local to ``z``.

    SettingsError when it is not a date and time.
    """
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise SettingsError(f"{text!r} is not a date and time; use ISO 8601 such as 2025-03-03T09:00") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=z)
    return value.astimezone(timezone.utc)
