"""Trends over weeks for the therapist: per patient, per calendar day, per ISO week, and the direction.

A therapist's folder holds one sub-folder per patient (as the days screen lists it); every readable
recording is turned into its per-day summaries, the signal core's own (``summary["days"]`` of
:func:`sensorkit.signal.pipeline.analyze`, what ``sensorkit analyze`` prints). When a recording holds
a summary saved by ``sensorkit analyze --save`` whose provenance (schema, release, profile settings)
matches this run's, that summary is used and the samples are not read (one saved with ``--no-gait``
too: its walking is "not measured"); otherwise the recording is analysed again. Nothing here
classifies anything: it only adds days up.

Days are local days (:mod:`sensorkit.localtime`): each recording is read in ``--tz`` when given,
else the zone stored with it, else the profile's, else the computer's; a saved summary is reused
only when it was made in that zone. A recording that starts at 09:00 in Sydney is one Sydney day,
not two UTC days, and a daylight-saving day covers 23 or 25 hours.

**One timeline per patient.** A patient's recordings are laid on the wall clock first: one that
overlaps a recording already counted (a re-import, a copy, two sessions recorded at once) is counted
once. A recording wholly inside another is a duplicate and adds nothing; one that runs on past the
other counts only from where the other ends. Either is named, with the overlap, in ``files`` and in
the printed output. Overlaps under :data:`OVERLAP_TOLERANCE_S` (clock jitter between back-to-back
recordings) are ignored.

**Walking not measured is not walking 0.** Steps and walking bouts are found only where gait
detection ran: a sensor slower than the step detector needs (a WitMotion app export at 8.7 Hz) is
analysed for posture alone. On such a day ``walking_s`` and ``steps`` are None (JSON null, a null in
Parquet), never 0, and ``standing_s`` is all the standing, walking included; each file says in
``gait`` whether it ran and why not. A day with any recording whose walking was not measured has no
walking figures (a part of a day would look like a quiet day). Weeks and trends use the days that
were measured and say how many (``measured_days``).

Three tables come out:

- **days**: one row per patient and local calendar day, the metrics in :data:`METRICS`, summed over
  that day's recordings (``longest_sedentary_s`` is the longest);
- **weeks**: per ISO week the days with data, the totals and the mean per recorded day (a week
  worn on 2 days is compared with a week worn on 5 by its daily mean, not its total);
- **trends**: per metric, the change of the daily mean from the previous week with data to the
  last, and the least-squares slope of the daily values against time (per week), with the number
  of days behind it. With fewer than :data:`MIN_DAYS` days or data in fewer than two weeks there
  is no slope, and the trend says so.

Files that are not readable recordings, or that cannot be analysed, are listed with the reason
and skipped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from functools import partial
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from sensorkit.errors import RecordingError, SensorKitError
from sensorkit.localtime import zone_for, zone_name
from sensorkit.parallel import Progress, map_in_order
from sensorkit.store import RecordingReader
from sensorkit.store.catalog import Entry, scan

SCHEMA_VERSION = 1
MIN_DAYS = 3  # a slope through fewer days says more about the days than about a trend
OVERLAP_TOLERANCE_S = 1.0  # back-to-back recordings may overlap by a clock tick; that is not a duplicate


@dataclass(frozen=True)
class Metric:
    """One column of the per-day table: key, unit (``s`` seconds or ``count``) and meaning."""

    key: str
    unit: str
    meaning: str
    combine: str = "sum"  # how a day's recordings (and a week's days) add up: "sum" or "max"


METRICS: tuple[Metric, ...] = (
    Metric("recording_s", "s", "time covered by recordings (the summary's duration_s)"),
    Metric("worn_s", "s", "time the sensor was worn: recording time less non-wear (on a desk, a charger)"),
    Metric("sitting_s", "s", "time sitting"),
    Metric("standing_s", "s", "time standing, not walking (walking included where walking was not measured)"),
    Metric("walking_s", "s", "time in walking bouts; null where walking was not measured (a sensor too slow for steps)"),
    Metric("lying_s", "s", "time lying"),
    Metric("upright_0_20_s", "s", "upright time with trunk flexion 0-20 deg (ISO 11226 band)"),
    Metric("upright_20_60_s", "s", "upright time with trunk flexion 20-60 deg"),
    Metric("upright_over_60_s", "s", "upright time with trunk flexion over 60 deg"),
    Metric("bends", "count", "bends"),
    Metric("bends_low", "count", "bends of low severity"),
    Metric("bends_moderate", "count", "bends of moderate severity"),
    Metric("bends_high", "count", "bends of high severity"),
    Metric("slouch_episodes", "count", "slouch episodes"),
    Metric("slouch_s", "s", "time slouching"),
    Metric("sedentary_bouts", "count", "sedentary bouts (sitting or lying for at least a minute)"),
    Metric("sedentary_s", "s", "time in sedentary bouts"),
    Metric("longest_sedentary_s", "s", "the longest sedentary bout", combine="max"),
    Metric("steps", "count", "steps in walking bouts; null where walking was not measured"),
    Metric("alerts", "count", "alerts of every kind"),
    Metric("alerts_slouch", "count", "slouch alerts"),
    Metric("alerts_severe_bend", "count", "severe-bend alerts"),
    Metric("alerts_long_sedentary", "count", "long-sitting alerts"),
)
METRIC_KEYS = tuple(m.key for m in METRICS)
GAIT_KEYS = ("walking_s", "steps")  # measured only where gait detection ran: None elsewhere
_COMBINE = {m.key: m.combine for m in METRICS}
Mapper = Callable[[Callable[[Any], Any], Sequence[Any]], Iterable[Any]]  # func, items -> results in order
_ZERO = {m.key: 0.0 if m.unit == "s" else 0 for m in METRICS}  # seconds stay floats, counts ints


def day_metrics(day: dict[str, Any], gait: str = "on") -> dict[str, float | None]:
    """The metrics of one ``summary["days"]`` entry of the signal core's summary; ``gait`` is the
    analysis's gait status ("on", "off", "not run: ..."): walking and steps are None unless "on"."""
    measured = gait == "on"
    posture, walking = day["posture_s"], float(day.get("walking_s", 0.0))
    bands = day.get("flexion_band_s") or {}
    bends, sed, alerts = day["bends"], day["sedentary"], day["alerts"]
    severity = bends["by_severity"]
    return {
        "recording_s": float(day["duration_s"]),
        "worn_s": float(day["worn_s"]),
        "sitting_s": float(posture["sitting"]),
        "standing_s": round(max(0.0, float(posture["standing"]) - walking), 1),
        "walking_s": walking if measured else None,
        "lying_s": float(posture["lying"]),
        "upright_0_20_s": float(bands.get("0_20", 0.0)),
        "upright_20_60_s": float(bands.get("20_60", 0.0)),
        "upright_over_60_s": float(bands.get("over_60", 0.0)),
        "bends": int(bends["count"]),
        "bends_low": int(severity["low"]),
        "bends_moderate": int(severity["moderate"]),
        "bends_high": int(severity["high"]),
        "slouch_episodes": int(day["slouch"]["episodes"]),
        "slouch_s": float(day["slouch"]["total_s"]),
        "sedentary_bouts": int(sed["bouts"]),
        "sedentary_s": float(sed["total_s"]),
        "longest_sedentary_s": float(sed["longest_s"]),
        "steps": int(day.get("steps", 0)) if measured else None,
        "alerts": int(sum(alerts.values())),
        "alerts_slouch": int(alerts.get("slouch", 0)),
        "alerts_severe_bend": int(alerts.get("severe_bend", 0)),
        "alerts_long_sedentary": int(alerts.get("long_sedentary", 0)),
    }


def add_up(rows: Iterable[dict[str, float | None]]) -> dict[str, float | None]:
    """Rows added up (the longest sedentary bout the longest); a metric None in any row is None."""
    out: dict[str, float | None] = dict(_ZERO)
    for row in rows:
        for k in METRIC_KEYS:
            if out[k] is None or row[k] is None:
                out[k] = None
            else:
                out[k] = max(out[k], row[k]) if _COMBINE[k] == "max" else out[k] + row[k]
    return out


def not_measured(gait: str) -> str:
    """What a therapist reads in place of walking figures that were not measured ("" when they were)."""
    if gait == "on":
        return ""
    why = "step detection was turned off" if gait == "off" else gait.removeprefix("not run: ")
    return f"not measured ({why})"


def _measured(days: Iterable["Day"], metric: str) -> list["Day"]:
    """The days on which ``metric`` was measured (walking: where gait detection ran)."""
    return [d for d in days if d.metrics[metric] is not None]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass(frozen=True)
class Overlap:
    """A recording whose wall-clock span overlaps one of the same patient's already counted."""

    other: str  # the recording counted first (relative name)
    overlap_s: float  # seconds of this recording that the other already covers
    counted_from_s: float | None  # this recording counts from here (its own time); None: not at all

    @property
    def text(self) -> str:
        how = ("a duplicate, not counted" if self.counted_from_s is None
               else "the overlap counted once, from the other")
        return f"overlaps {self.other} by {self.overlap_s / 60:.1f} min: {how}"

    def to_json(self) -> dict[str, Any]:
        return {"with": self.other, "overlap_s": round(self.overlap_s, 3), "duplicate": self.counted_from_s is None}


@dataclass
class FileResult:
    """One file of the folder: where its days came from, or why it was skipped or not counted."""

    path: Path
    name: str  # relative to the folder
    patient: str
    source: str  # "stored" (a matching saved analysis), "analysed", "duplicate" (not counted), or "skipped"
    reason: str = ""
    overlap: Overlap | None = None
    timezone: str = ""  # the zone its days were made in
    gait: str = ""  # walking measured: "on", or why not ("not run: 8.7 Hz is below ..."); "": not analysed

    def to_json(self) -> dict[str, Any]:
        return {"file": self.name, "patient": self.patient, "source": self.source, "reason": self.reason or None,
                "timezone": self.timezone or None, "gait": self.gait or None,
                "overlap": self.overlap.to_json() if self.overlap else None}


@dataclass
class Day:
    """One patient's local calendar day: the metrics summed over the day's recordings."""

    date: date
    recordings: int
    metrics: dict[str, float | None]  # walking_s and steps None where walking was not measured

    @property
    def week(self) -> str:
        year, week, _ = self.date.isocalendar()
        return f"{year}-W{week:02d}"

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "week": self.week, "recordings": self.recordings,
                **{k: _round(v) for k, v in self.metrics.items()}}


@dataclass
class Week:
    """One ISO week with data: days recorded, totals and means per recorded day (walking: per day on
    which it was measured, ``measured_days``; None when none was)."""

    week: str  # "2026-W48"
    monday: date
    days: int
    totals: dict[str, float | None]
    measured_days: dict[str, int] = field(default_factory=dict)  # GAIT_KEYS: days on which each was measured

    @property
    def per_day(self) -> dict[str, float | None]:
        """Daily means, except the longest sedentary bout, which stays the week's longest."""
        return {k: None if v is None else v if _COMBINE[k] == "max" else v / self.measured_days.get(k, self.days)
                for k, v in self.totals.items()}

    def to_json(self) -> dict[str, Any]:
        return {"week": self.week, "monday": self.monday.isoformat(), "days": self.days,
                "measured_days": self.measured_days,
                "totals": {k: _round(v) for k, v in self.totals.items()},
                "per_day": {k: _round(v) for k, v in self.per_day.items()}}


@dataclass
class Trend:
    """The direction of one metric: week-on-week change of the daily mean, and the slope per week."""

    metric: str
    days: int  # days with data behind the slope
    weeks: int  # weeks with data
    week_on_week: float | None  # last week's daily mean minus the previous week with data's
    slope_per_week: float | None  # least squares over the daily values, metric units per week
    note: str = ""  # why a figure is missing, in words

    def to_json(self) -> dict[str, Any]:
        rnd = lambda v: None if v is None else round(v, 3)  # noqa: E731
        return {"days": self.days, "weeks": self.weeks, "week_on_week": rnd(self.week_on_week),
                "slope_per_week": rnd(self.slope_per_week), "note": self.note or None}


@dataclass
class PatientTrends:
    """Everything for one patient: the days, the weeks and one trend per metric."""

    patient: str
    days: list[Day]
    weeks: list[Week] = field(default_factory=list)
    trends: dict[str, Trend] = field(default_factory=dict)
    timezones: list[str] = field(default_factory=list)  # the zones its days are local to
    overlaps: list[FileResult] = field(default_factory=list)  # recordings counted once (see the module docstring)

    def to_json(self) -> dict[str, Any]:
        return {"patient": self.patient, "timezones": self.timezones,
                "overlaps": [{"file": f.name, **f.overlap.to_json()} for f in self.overlaps if f.overlap],
                "days": [d.to_json() for d in self.days],
                "weeks": [w.to_json() for w in self.weeks],
                "trends": {k: t.to_json() for k, t in self.trends.items()}}


@dataclass
class FolderTrends:
    """The result for a folder: patients in name order, and every file with its source or reason."""

    folder: Path
    patients: list[PatientTrends]
    files: list[FileResult]
    timezone: str | None = None  # --tz: every recording read in this zone; None: each in its own

    def patient(self, patient_id: str) -> PatientTrends | None:
        return next((p for p in self.patients if p.patient == patient_id), None)

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA_VERSION, "folder": str(self.folder), "timezone": self.timezone,
                "metrics": {m.key: {"unit": m.unit, "meaning": m.meaning} for m in METRICS},
                "patients": [p.to_json() for p in self.patients],
                "files": [f.to_json() for f in self.files]}


def recording_days(path: Path, profile: Any = None, tz: str | None = None,
                   from_s: float | None = None) -> tuple[list[dict[str, Any]], str, str, str]:
    """The per-day summaries of one recording, where they came from ("stored" or "analysed"), their zone
    and whether gait detection ran ("on", or why not: :func:`sensorkit.signal.pipeline.gait_status`).

    Days are local to :func:`sensorkit.localtime.zone_for` (``tz``, the recording's, the profile's,
    the computer's). ``from_s`` leaves out the samples before it (the part another recording already
    counted). Raises a SensorKitError subclass for a file that is not a readable recording or holds no
    samples.
    """
    from sensorkit.signal.profile import Profile
    from sensorkit.signal.saved_analysis import saved_gait, saved_summary

    profile = profile or Profile()
    with RecordingReader(path) as reader:
        meta = reader.meta
        zone = zone_for(tz, meta.timezone, profile)
        saved = None if from_s is not None else saved_summary(reader, profile)
        if saved is not None and saved.get("timezone") == zone_name(zone):
            return saved["days"], "stored", zone_name(zone), saved_gait(reader)
        result = analysed_part(reader, profile, zone, from_s)
        return result.summary["days"], "analysed", zone_name(zone), result.gait


def analysed_part(reader: RecordingReader, profile: Any, zone: Any, from_s: float | None = None) -> Any:
    """The signal core's analysis (:class:`sensorkit.signal.pipeline.Analysis`) of an open
    recording's samples from ``from_s`` on (None: all), days local to ``zone``: the part of a recording
    that trends and the report count when another recording already covers its beginning. Its events
    are in the recording's own time. RecordingError when no sample is left."""
    from sensorkit.signal.pipeline import Later, analyze  # the signal core is heavy: only when analysing

    span = reader.time_span()
    if span is None or (from_s is not None and span[1] < from_s):
        raise RecordingError(f"{reader.path.name} holds no samples")
    data = reader if from_s is None else Later(reader, from_s)  # read block by block: any length fits
    return analyze(data, reader.meta, profile, zone=zone)


def count_once(entries: list[Entry]) -> dict[Path, Overlap]:
    """The recordings that overlap another of the same patient on the wall clock, and how they count.

    Per patient, recordings are taken by start (the longer first, then the older file, then by name, so
    of two copies the later one is the duplicate); each is compared with the end of everything taken
    before it, so a recording is counted only where nothing before covers it.
    """
    out: dict[Path, Overlap] = {}
    by_patient: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        if e.readable and e.start is not None and e.duration_s is not None:
            by_patient[e.patient].append(e)
    for rows in by_patient.values():
        spans = sorted(((e.start.timestamp() + e.first_s, e.start.timestamp() + e.first_s + e.duration_s, e)
                        for e in rows), key=lambda r: (r[0], -r[1], _modified(r[2].path), r[2].name))
        covered_to, owner = float("-inf"), ""
        for begin, end, e in spans:
            overlap = min(end, covered_to) - begin
            if overlap >= OVERLAP_TOLERANCE_S:
                duplicate = end <= covered_to + OVERLAP_TOLERANCE_S
                out[e.path] = Overlap(owner, overlap, None if duplicate else e.first_s + (covered_to - begin))
            if end > covered_to:
                covered_to, owner = end, e.name
    return out


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def folder_trends(folder: str | Path, profile: Any = None, patient: str | None = None,
                  weeks: int | None = None, progress: Progress | None = None,
                  tz: str | None = None, jobs: int | None = 1) -> FolderTrends:
    """Days, weeks and trends for every patient in ``folder`` (files there and one sub-folder down).

    ``patient`` keeps one patient's files; ``weeks`` keeps the last N calendar weeks up to the
    patient's latest day; ``tz`` reads every recording in that zone. Recordings are analysed
    ``jobs`` at a time in worker processes (None: the machine's cores; about a second per hour of
    100 Hz data each) and ``progress`` is told (done, in all) after each. The folder listing is the
    days screen's own (:func:`sensorkit.store.catalog.scan`: patient from the recording, else its
    sub-folder).
    """
    folder = Path(folder)
    return entries_trends(folder, folder_entries(folder, patient), profile, weeks, tz,
                          partial(map_in_order, jobs=jobs, progress=progress))


def folder_entries(folder: Path, patient: str | None = None) -> list[Entry]:
    """The folder's files (:func:`sensorkit.store.catalog.scan`), only ``patient``'s when given."""
    entries = (with_folder_patient(entry, folder) for entry in scan(folder))
    return [entry for entry in entries if patient is None or entry.patient == patient]


def with_folder_patient(entry: Entry, folder: Path) -> Entry:
    """An unreadable file still belongs to the patient its sub-folder names."""
    if not entry.patient and entry.path.parent != folder:
        entry.patient = entry.path.parent.name
    return entry


@dataclass(frozen=True)
class DaysTask:
    """What one worker needs to turn one recording into its days (plain data: it is pickled)."""

    path: Path
    profile: Any
    tz: str | None
    from_s: float | None


def file_days(task: DaysTask) -> tuple[str, Any, str, str]:
    """``(source, [(date, metrics), ...], zone, gait)`` for one recording, or ``("skipped", reason, "", "")``.

    The unit of work mapped over recordings (a process pool, a Dask cluster): it never raises for
    a bad recording, so one corrupt file costs its own row and nothing else.
    """
    try:
        days, source, zone, gait = recording_days(task.path, task.profile, task.tz, task.from_s)
        return source, [(date.fromisoformat(d["date"]), day_metrics(d, gait)) for d in days], zone, gait
    except SensorKitError as exc:
        return "skipped", str(exc), "", ""
    except (OSError, ValueError, KeyError, TypeError) as exc:  # a malformed stored summary or file
        return "skipped", f"cannot be read ({type(exc).__name__}: {exc})", "", ""


def entries_trends(folder: Path, entries: list[Entry], profile: Any = None, weeks: int | None = None,
                   tz: str | None = None, mapper: Mapper = map_in_order) -> FolderTrends:
    """:func:`folder_trends` for listed ``entries``, their days computed by ``mapper(file_days, tasks)``.

    ``mapper`` yields one :func:`file_days` result per task in task order: a process pool here, a
    Dask cluster for ``sensorkit cohort``; the days, overlaps and trends are the same either way.
    """
    if tz is not None:
        tz = zone_name(zone_for(tz))  # a bad zone stops here, in one sentence
    overlaps = count_once(entries)
    files: list[FileResult] = []
    tasks: list[DaysTask] = []
    for entry in entries:
        overlap = overlaps.get(entry.path)
        if not entry.readable:
            files.append(FileResult(entry.path, entry.name, entry.patient, "skipped", entry.error or "not readable"))
        elif overlap is not None and overlap.counted_from_s is None:
            files.append(FileResult(entry.path, entry.name, entry.patient, "duplicate", overlap.text, overlap))
        else:
            files.append(FileResult(entry.path, entry.name, entry.patient, "pending", overlap=overlap))
            tasks.append(DaysTask(entry.path, profile, tz, overlap.counted_from_s if overlap else None))
    by_patient: dict[str, dict[date, list[dict[str, float | None]]]] = defaultdict(lambda: defaultdict(list))
    pending = iter([f for f in files if f.source == "pending"])
    for f, (source, rows, zone, gait) in zip(pending, mapper(file_days, tasks)):
        f.source = source
        if source == "skipped":
            f.reason, f.overlap = rows, None
            continue
        f.reason, f.timezone, f.gait = f.overlap.text if f.overlap else "", zone, gait
        for day, metrics in rows:
            by_patient[f.patient or "-"][day].append(metrics)
    patients = []
    for pid, days in sorted(by_patient.items()):
        result = patient_trends(pid, {d: (len(rows), add_up(rows)) for d, rows in days.items()}, weeks)
        mine = [f for f in files if (f.patient or "-") == pid]
        result.timezones = sorted({f.timezone for f in mine if f.timezone})
        result.overlaps = [f for f in mine if f.overlap is not None]
        patients.append(result)
    return FolderTrends(folder, patients, files, tz)


def patient_trends(patient: str, days: dict[date, tuple[int, dict[str, float]]],
                   last_weeks: int | None = None) -> PatientTrends:
    """Weeks and trends from one patient's days (date -> (recordings, metrics))."""
    rows = sorted((Day(d, n, m) for d, (n, m) in days.items()), key=lambda d: d.date)
    if last_weeks is not None and rows:
        newest_monday = rows[-1].date - timedelta(days=rows[-1].date.weekday())
        first = newest_monday - timedelta(weeks=last_weeks - 1)
        rows = [d for d in rows if d.date >= first]
    result = PatientTrends(patient, rows, weekly(rows))
    result.trends = {k: trend(k, rows, result.weeks) for k in METRIC_KEYS}
    return result


def weekly(days: list[Day]) -> list[Week]:
    """ISO weeks with data, oldest first."""
    grouped: dict[str, list[Day]] = defaultdict(list)
    for d in days:
        grouped[d.week].append(d)
    weeks = [Week(w, ds[0].date - timedelta(days=ds[0].date.weekday()), len(ds), week_totals(ds),
                  {k: len(_measured(ds, k)) for k in GAIT_KEYS})
             for w, ds in grouped.items()]
    return sorted(weeks, key=lambda w: w.monday)


def week_totals(days: list[Day]) -> dict[str, float | None]:
    """A week's totals: the days added up, walking over the days it was measured (None: on none)."""
    out = add_up(d.metrics for d in days)
    for k in GAIT_KEYS:
        measured = _measured(days, k)
        out[k] = add_up(d.metrics for d in measured)[k] if measured else None
    return out


def trend(metric: str, days: list[Day], weeks: list[Week]) -> Trend:
    """Week-on-week change of the daily mean and the least-squares slope per week over the days
    (those on which the metric was measured, and the weeks holding one)."""
    days = _measured(days, metric)
    weeks = [w for w in weeks if w.per_day[metric] is not None]
    n_days, n_weeks = len(days), len(weeks)
    change = (weeks[-1].per_day[metric] - weeks[-2].per_day[metric]) if n_weeks >= 2 else None
    if n_days < MIN_DAYS or n_weeks < 2:
        measured = " with walking measured" if metric in GAIT_KEYS else ""
        note = (f"too few days for a trend: {n_days} day{'' if n_days == 1 else 's'}{measured} in "
                f"{n_weeks} week{'' if n_weeks == 1 else 's'} (needs {MIN_DAYS} days over at least 2 weeks)")
        return Trend(metric, n_days, n_weeks, change, None, note)
    x = np.array([(d.date - days[0].date).days / 7.0 for d in days])
    y = np.array([d.metrics[metric] for d in days], dtype=float)
    slope = float(np.polyfit(x, y, 1)[0])
    return Trend(metric, n_days, n_weeks, change, slope)


def days_frame(result: FolderTrends) -> "Any":
    """The per-day table (one row per patient and day) as a pandas DataFrame, for ``-o`` and scripts."""
    import pandas as pd

    columns = ["patient", "date", "week", "recordings", *METRIC_KEYS]
    rows = [{"patient": p.patient, **d.to_json()} for p in result.patients for d in p.days]
    # walking not measured is a missing value (NaN, <NA>; null in Parquet), and steps stay whole numbers
    return pd.DataFrame(rows, columns=columns).astype({"walking_s": "float64", "steps": "Int64"})
