"""What the therapist's report shows, gathered from the recordings: days, trends, thresholds, data quality.

Nothing here classifies anything. Each recording is read by the day screen's loader
(:func:`sensorkit.tui.report.load_day`): its analysis is the one saved with it when that fits (profile,
release, zone), else made now by the code behind ``sensorkit analyze`` and saved for next time
(:func:`sensorkit.signal.saved_analysis.analysis_for`); its per-day summaries
are turned into the trends' metrics (:func:`sensorkit.trends.day_metrics`) and added up into days,
ISO weeks and directions by :func:`sensorkit.trends.patient_trends`, so a day's figures are the ones
``sensorkit analyze --json`` prints for it and the period's are the ones ``sensorkit trends`` prints.
A recording that overlaps another of the same patient is counted once, by the trends' own rule
(:func:`sensorkit.trends.count_once`); one that runs on past the other is counted from where the other
ends, as in ``sensorkit trends``.

Times are the wearer's local times (:mod:`sensorkit.localtime`): each recording in ``--tz`` when
given, else its own zone, else the profile's, else the computer's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Sequence
from zoneinfo import ZoneInfo

from sensorkit.errors import SensorKitError, SettingsError
from sensorkit.events import Event
from sensorkit.files import describe_os_error
from sensorkit.localtime import midnight, zone_for
from sensorkit.samples import start_datetime
from sensorkit.parallel import Progress
from sensorkit.store.catalog import Entry, describe, scan
from sensorkit.trends import Day, Overlap, PatientTrends, add_up, count_once, day_metrics, not_measured, patient_trends

# the timeline's lanes, top to bottom
LANES = ("sitting upright", "sitting slouched", "standing", "walking", "lying", "not worn")


@dataclass
class Segment:
    """A stretch of one lane of the timeline, in local time."""

    lane: str
    start: datetime
    end: datetime


@dataclass
class Mark:
    """A moment on the timeline: a bend (at its peak, with its severity) or an alert (with its kind)."""

    kind: str  # "bend" or "alert"
    at: datetime
    label: str  # the bend's severity, or the alert's kind


@dataclass
class ReportDay:
    """One local calendar day of the patient: its timeline and figures."""

    date: date
    start: datetime  # local midnight, aware
    end: datetime  # the next local midnight (23, 24 or 25 hours later)
    day: Day  # the trends' row: metrics summed over the day's recordings
    segments: list[Segment] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    walking_bouts: int = 0
    alerts_by_kind: dict[str, int] = field(default_factory=dict)
    recordings: list[str] = field(default_factory=list)
    not_worn_s: float = 0.0  # the summaries' own, summed
    bends_per_hour_worn: float | None = None  # the summary's own for a day of one recording
    walking_not_measured: str = ""  # "not measured (why)" when a recording of the day had no step detection

    @property
    def metrics(self) -> dict[str, float]:
        return self.day.metrics

    @property
    def sitting_upright_s(self) -> float:
        return max(0.0, self.metrics["sitting_s"] - self.metrics["slouch_s"])


@dataclass
class RecordingQuality:
    """One recording's data quality: how long, worn how long, gaps and reconnects."""

    name: str
    start: datetime  # local
    duration_s: float
    worn_s: float
    gaps: int
    missing_s: float
    reconnects: int | None  # None: not recorded over Bluetooth
    angles_from: str
    zone: str
    note: str = ""  # counted once with another, or skipped, and why


@dataclass
class ReportData:
    """Everything the report shows, for one patient over a period."""

    patient: str
    source: Path  # the recording or folder (a list of recordings: their folder)
    days: list[ReportDay]
    trends: PatientTrends
    quality: list[RecordingQuality]
    skipped: list[tuple[str, str]]  # (file, why) for files that are not usable recordings
    profile: Any  # sensorkit.signal.profile.Profile
    profile_path: str | None
    calibration: dict[str, Any] | None  # the profile's, else the one stored with the first recording
    warnings: list[str]
    zones: list[str]

    @property
    def first(self) -> date:
        return self.days[0].date

    def mean_per_day(self, key: str) -> float | None:
        """The metric's mean over the days it was measured (walking: where steps were detected); None: none."""
        values = [d.metrics[key] for d in self.days if d.metrics[key] is not None]
        return sum(values) / len(values) if values else None

    def measured_note(self, key: str) -> str:
        """", on 3 of 5 days" when the metric was not measured on every day, else ""."""
        n = sum(d.metrics[key] is not None for d in self.days)
        return "" if n == len(self.days) else f", on {n} of {len(self.days)} days"

    @property
    def last(self) -> date:
        return self.days[-1].date


def gather(source: str | Path | Sequence[str | Path], patient: str | None = None, first: date | None = None,
           last: date | None = None, profile_path: str | None = None, tz: str | None = None,
           jobs: int | None = 1, progress: Progress | None = None) -> ReportData:
    """Read and analyse the recordings of one patient in ``source``: a recording, a folder (as
    ``sensorkit trends`` lists it) or a list of recordings.

    ``first``/``last`` keep the local days in that range (inclusive); recordings wholly outside it are
    not analysed. ``jobs`` recordings are analysed at a time (:func:`sensorkit.parallel.map_in_order`;
    None: the machine's cores), ``progress`` is told (done, in all) after each. SensorKitError in one
    sentence when there is nothing to report (no such patient, several patients without ``patient``,
    no day in range).
    """
    from sensorkit.parallel import map_in_order
    from sensorkit.signal.profile import load_profile

    profile = load_profile(profile_path)
    if tz is not None:
        zone_for(tz)  # a bad zone stops here, in one sentence
    if first and last and first > last:
        raise SettingsError(f"--from {first} is after --to {last}")
    entries = _entries(source)
    readable = [e for e in entries if e.readable]
    skipped = [(e.name, e.error or "") for e in entries if not e.readable]
    pid = _choose_patient(_label(source), readable, patient, skipped)
    mine = sorted((e for e in readable if e.patient == pid), key=lambda e: (e.start, e.name))
    overlaps = count_once(mine)
    copies = {path for path, o in overlaps.items() if o.counted_from_s is None}  # wholly inside another: not counted
    quality = [_duplicate(e, overlaps[e.path]) for e in mine if e.path in copies]
    todo = [e for e in mine if e.path not in copies and _in_range(e, profile, tz, first, last)]
    tasks = [(e.path, profile, tz, overlaps[e.path].counted_from_s if e.path in overlaps else None) for e in todo]
    per_date: dict[date, list[dict[str, float]]] = defaultdict(list)
    pieces: dict[date, list[tuple[Any, str, dict[str, Any]]]] = defaultdict(list)
    warnings: list[str] = []
    calibration = profile.calibration
    for entry, (report, days, error) in zip(todo, map_in_order(analyse_recording, tasks, jobs, progress)):
        if error:
            skipped.append((entry.name, error))
            continue
        calibration = calibration or report.meta.calibration
        warnings += [f"{entry.name}: {w}" for w in report.warnings]
        quality.append(_quality(entry, report, overlaps.get(entry.path)))
        for d in days:
            day = date.fromisoformat(d["date"])
            if (first and day < first) or (last and day > last):
                continue
            per_date[day].append(day_metrics(d, report.gait))
            pieces[day].append((report, entry.name, d))
    if not per_date:
        raise SensorKitError(_nothing_to_report(_label(source), pid, first, last, skipped))
    trends = patient_trends(pid or "-", {d: (len(rows), add_up(rows)) for d, rows in per_date.items()})
    days = [_report_day(day, pieces[day.date]) for day in trends.days]
    quality.sort(key=lambda q: (q.start, q.name))
    return ReportData(pid or "", Path(_label(source)), days, trends, quality, skipped, profile, profile_path,
                      calibration, warnings, sorted({q.zone for q in quality if q.zone}))


def _label(source: str | Path | Sequence[str | Path]) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    return str(Path(source[0]).parent) if source else "(no recordings)"


def _entries(source: str | Path | Sequence[str | Path]) -> list[Entry]:
    if not isinstance(source, (str, Path)):
        return [_one(Path(p)) for p in source]
    source = Path(source)
    if source.is_dir():
        entries = scan(source)
        for e in entries:
            if not e.patient and e.path.parent != source:  # the sub-folder names the patient (as trends does)
                e.patient = e.path.parent.name
        return entries
    return [_one(source)]


def _one(path: Path) -> Entry:
    if not (path.exists() or path.is_symlink()):
        raise SensorKitError(f"no recording or folder at {path}")
    entry = describe(path, path.parent)
    if not entry.readable:
        raise SensorKitError(entry.error or f"{path} is not a SensorKit recording")
    return entry


def _in_range(entry: Entry, profile: Any, tz: str | None, first: date | None, last: date | None) -> bool:
    """Whether any of the recording's local days can fall in first..last (from its header alone)."""
    if (first is None and last is None) or entry.start is None or entry.duration_s is None:
        return True
    zone = zone_for(tz, entry.timezone, profile)
    begin = entry.start + timedelta(seconds=entry.first_s)
    end = begin + timedelta(seconds=entry.duration_s)
    return not ((first and end.astimezone(zone).date() < first) or (last and begin.astimezone(zone).date() > last))


def _choose_patient(source: str, readable: list[Entry], patient: str | None, skipped: list[tuple[str, str]]) -> str:
    ids = sorted({e.patient for e in readable})
    if patient is not None:
        if patient not in ids:
            known = ", ".join(i or "(no id)" for i in ids) or "none"
            raise SensorKitError(f"no recording of patient {patient!r} in {source} (patients there: {known})")
        return patient
    if not ids:
        raise SensorKitError(f"{source} holds no readable SensorKit recording{_first_reason(skipped)}")
    if len(ids) > 1:
        raise SensorKitError(f"{source} holds recordings of several patients ({', '.join(i or '(no id)' for i in ids)}); "
                             "choose one with --patient ID")
    return ids[0]


def analyse_recording(task: tuple[Path, Any, str | None, float | None]) -> tuple[Any, list[dict[str, Any]], str]:
    """The day screen's analysis of one recording, the days it counts for and an error sentence ("" when
    none). Module-level and plain data in and out, so a worker process can run it.

    A recording that runs on past an overlapping one counts from where the other ends, as ``sensorkit
    trends`` counts it (its samples from there analysed on their own): its days, and the events its
    timeline is drawn from, are those of that analysis, so the part the other recording covers is neither
    counted nor drawn twice."""
    from sensorkit.store import RecordingReader
    from sensorkit.trends import analysed_part
    from sensorkit.tui.report import load_day

    path, profile, tz, counted_from_s = task
    try:
        report = load_day(path, profile, tz)
        if counted_from_s is None:
            return report, report.days, ""
        with RecordingReader(path) as reader:
            counted = analysed_part(reader, profile, report.zone, counted_from_s)
        return replace(report, events=counted.events), counted.summary["days"], ""
    except SensorKitError as exc:
        return None, [], str(exc)
    except OSError as exc:
        return None, [], describe_os_error(exc, f"read {path}")


def _duplicate(entry: Entry, overlap: Overlap) -> RecordingQuality:
    zone = entry.timezone or ""
    start = entry.start.astimezone(ZoneInfo(zone)) if zone and entry.start else entry.start
    return RecordingQuality(entry.name, start, entry.duration_s or 0.0, 0.0, 0, 0.0, None, "", zone,
                            f"not counted: {overlap.text}")


def _quality(entry: Entry, report: Any, overlap: Overlap | None) -> RecordingQuality:
    return RecordingQuality(entry.name, report.start, report.duration_s, float(report.total["worn_s"]),
                            report.gaps, report.missing_samples / report.meta.rate_hz, report.reconnects,
                            report.method, report.zone_name, overlap.text if overlap else "")


def _report_day(day: Day, pieces: list[tuple[Any, str, dict[str, Any]]]) -> ReportDay:
    zone = pieces[0][0].zone
    start = midnight(day.date, zone).astimezone(zone)
    end = midnight(day.date + timedelta(days=1), zone).astimezone(zone)
    out = ReportDay(day.date, start, end, day, recordings=[name for _, name, _ in pieces],
                    not_worn_s=round(sum(float(s["not_worn_s"]) for _, _, s in pieces), 1))
    out.walking_not_measured = "; ".join(sorted({not_measured(r.gait) for r, _, _ in pieces} - {""}))
    worn_h = day.metrics["worn_s"] / 3600.0
    out.bends_per_hour_worn = (pieces[0][2]["bends"].get("per_hour_worn") if len(pieces) == 1
                               else round(day.metrics["bends"] / worn_h, 2) if worn_h > 0 else None)
    alerts: dict[str, int] = defaultdict(int)
    for report, _, _ in pieces:
        origin = start_datetime(report.meta.start_time).astimezone(timezone.utc)
        at = lambda t: (origin + timedelta(seconds=t)).astimezone(zone)  # noqa: E731
        segments = _segments(report.events, at)
        out.segments += [s for s in (_clip(s, start, end) for s in segments) if s is not None]
        for e in report.events:
            moment = at(e.start)
            if not start <= moment < end:  # an event belongs to the day it starts in (the summary's rule)
                continue
            if e.type == "bend":
                out.marks.append(Mark("bend", at(float(e.fields.get("peak_time", e.start))), str(e.fields.get("severity", ""))))
            elif e.type == "alert":
                kind = str(e.fields.get("alert", ""))
                alerts[kind] += 1
                out.marks.append(Mark("alert", moment, kind))
            elif e.type == "walking_bout":
                out.walking_bouts += 1
    out.alerts_by_kind = dict(sorted(alerts.items()))
    return out


def _segments(events: list[Event], at: Callable[[float], datetime]) -> list[Segment]:
    """The timeline's lanes from the analysis' events: sitting split by the slouch episodes in it,
    standing less the walking bouts, lying, and non-wear."""
    def spans(kind: str, **match: str) -> list[tuple[float, float]]:
        return [(e.start, e.end) for e in events
                if e.type == kind and all(e.fields.get(k) == v for k, v in match.items())]

    sitting, slouched = spans("posture", posture="sitting"), spans("slouch", posture="sitting")
    standing, walking = spans("posture", posture="standing"), spans("walking_bout")
    lanes = {
        "sitting upright": _subtract(sitting, slouched),
        "sitting slouched": slouched,
        "standing": _subtract(standing, walking),
        "walking": walking,
        "lying": spans("posture", posture="lying"),
        "not worn": spans("not_worn"),
    }
    return [Segment(lane, at(a), at(b)) for lane, runs in lanes.items() for a, b in runs if b > a]


def _subtract(runs: list[tuple[float, float]], holes: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = []
    for a, b in runs:
        pos = a
        for h0, h1 in sorted(holes):
            if h1 <= pos or h0 >= b:
                continue
            if h0 > pos:
                out.append((pos, h0))
            pos = max(pos, h1)
        if pos < b:
            out.append((pos, b))
    return out


def _clip(s: Segment, start: datetime, end: datetime) -> Segment | None:
    lo, hi = max(s.start, start), min(s.end, end)
    return Segment(s.lane, lo, hi) if hi > lo else None


def _nothing_to_report(source: str, pid: str, first: date | None, last: date | None,
                       skipped: list[tuple[str, str]]) -> str:
    who = f"patient {pid}" if pid else "the recordings"
    if first or last:
        return f"{source}: no day of {who} between {first or 'the start'} and {last or 'the end'}"
    return f"{source}: no usable day of {who}{_first_reason(skipped)}"


def _first_reason(skipped: list[tuple[str, str]]) -> str:
    if not skipped:
        return ""
    name, why = skipped[0]
    return f" ({why})" if why.startswith(name) else f" ({name}: {why})"
