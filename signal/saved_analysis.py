"""An analysis stored inside its recording, and when it may be reused.

A saved analysis is the events plus the summary that `sensorkit analyze` printed, how the angles were
made and the alignment's warnings, and beside them its provenance: the JSON schema, the package
version, a digest of the profile's settings and whether gait detection ran. It is written by
`sensorkit analyze --save`, at the end of `record`, `monitor` and `import`, and when the terminal app
first shows a recording (:func:`analysis_for`). A later reader (`view`, `trends`, `report`) reuses it
only when its schema, release and profile digest equal its own and its days are in the zone asked for
(:func:`still_valid`), so new thresholds, a new release or another zone analyse the samples again (one
saved with ``--no-gait`` is reused as asked for, walking "not measured"); the screens then open in a
fraction of a second instead of about a second per hour of 100 Hz data.

A recording in which the patient snoozed or paused alerts is not saved automatically: the offline
analysis cannot know which alerts the live session held back, and saving replaces the stored
analysis events (the live session's among them) with its own. `analyze --save` still does, when asked.
"""

from __future__ import annotations

import hashlib
import time
import json
from dataclasses import dataclass
from datetime import tzinfo
from functools import cache
from pathlib import Path
from typing import Any

from sensorkit.errors import RecordingError, SensorKitError
from sensorkit.events import Event
from sensorkit.localtime import zone_for, zone_name
from sensorkit.store import RECORDED_EVENT_TYPES, RecordingReader, RecordingWriter

from .profile import Profile

SCHEMA_VERSION = 2  # of the `sensorkit analyze --json` document (2: wear time, bends per hour worn)
ANALYSIS_SUMMARY = "analysis"
PROVENANCE_SUMMARY = "analysis_provenance"
DETAILS_SUMMARY = "analysis_details"  # the document's "analysis" part: angles_from, gait, alignment, warnings
QUIET_EVENT_TYPES = ("alerts_snoozed", "alerts_paused")  # the patient's own say over live alerts


def analysis_provenance(profile: Profile, gait: bool) -> dict[str, Any]:
    """What a saved analysis depends on besides the samples (:func:`still_valid`), and whether gait
    detection was asked for."""
    return {**still_valid(profile), "gait": bool(gait)}


def still_valid(profile: Profile) -> dict[str, Any]:
    """The provenance a saved analysis must have to be reused under ``profile``: the JSON schema, the
    release and the profile's settings. Not whether gait detection ran: an analysis saved with
    ``analyze --save --no-gait`` is what its user asked for, reused as it is (its walking "not measured",
    :func:`saved_gait`) rather than analysed again with gait and saved over."""
    settings = {"values": profile.values, "sitting_neutral_deg": profile.sitting_neutral_deg,
                "calibration": profile.calibration, "height_m": profile.height_m}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()
    return {"schema": SCHEMA_VERSION, "sensorkit": release(), "profile_sha256": digest}


@cache
def release() -> str:
    """The installed sensorkit's version, looked up once per process: the lookup parses the package's
    metadata (5-10 ms), and trends checks a saved analysis for each of a patient's recordings."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sensorkit")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def save_analysis(path: str | Path, doc: dict[str, Any], provenance: dict[str, Any]) -> None:
    """Replace the recording's stored analysis with ``doc`` (an analyze document), in one transaction.

    The events, the summary, its details and its provenance change together (a crash keeps the old
    ones or the new ones, so `trends` never pairs one profile's summary with another's provenance);
    the recorder's gap and battery events stay. A recording still being written is refused by the store.
    """
    with RecordingWriter.reopen(path) as writer:
        writer.replace_analysis(
            (Event.from_json(e) for e in doc["events"]),
            {ANALYSIS_SUMMARY: doc["summary"], DETAILS_SUMMARY: doc["analysis"], PROVENANCE_SUMMARY: provenance},
        )


def saved_summary(reader: RecordingReader, profile: Profile) -> dict[str, Any] | None:
    """The stored summary when it is still valid under ``profile`` (:func:`still_valid`), else None."""
    saved = reader.summaries()
    made_under = saved.get(PROVENANCE_SUMMARY) or {}
    valid = still_valid(profile)
    if ANALYSIS_SUMMARY in saved and {key: made_under.get(key) for key in valid} == valid:
        return saved[ANALYSIS_SUMMARY]
    return None


def saved_gait(reader: RecordingReader) -> str:
    """Whether gait detection ran in the saved analysis: "on", "off" or why not (``analysis.gait``); for
    one saved before that field, what its provenance says was asked for."""
    saved = reader.summaries()
    asked = (saved.get(PROVENANCE_SUMMARY) or {}).get("gait", True)
    return str((saved.get(DETAILS_SUMMARY) or {}).get("gait", "on" if asked else "off"))


@dataclass
class RecordingAnalysis:
    """What the screens and the report need of an analysed recording, saved or just made."""

    summary: dict[str, Any]  # the signal core's summary: timezone, total, days
    events: list[Event]  # the analysis's events (not the recorder's gaps and battery notes)
    angles_from: str
    warnings: list[str]
    source: str  # "stored": read from the saved analysis; "analysed": made now
    saved: bool = False  # made now and stored with the recording for next time
    gait: str = "on"  # walking bouts detected: "on", "off" or why not (:func:`sensorkit.signal.pipeline.gait_status`)


def saved_fits(reader: RecordingReader, profile: Profile, zone: tzinfo) -> bool:
    """Whether the recording holds a saved analysis still valid under this profile (:func:`still_valid`),
    with its details, and its days in ``zone``."""
    summary = saved_summary(reader, profile)
    return (summary is not None and summary.get("timezone") == zone_name(zone)
            and DETAILS_SUMMARY in reader.summaries())


def saved_analysis(reader: RecordingReader, profile: Profile, zone: tzinfo) -> RecordingAnalysis | None:
    """The recording's saved analysis when it fits (:func:`saved_fits`), else None."""
    if not saved_fits(reader, profile, zone):
        return None
    saved = reader.summaries()
    details = saved[DETAILS_SUMMARY]
    events = [e for e in reader.events() if e.type not in RECORDED_EVENT_TYPES]
    return RecordingAnalysis(saved[ANALYSIS_SUMMARY], events, str(details.get("angles_from", "")),
                             list(details.get("warnings", [])), "stored", gait=saved_gait(reader))


def stored_analysis(path: str | Path, profile: Profile | None = None, tz: str | None = None) -> RecordingAnalysis | None:
    """The recording's saved analysis when it fits (:func:`saved_analysis`; days local to ``tz`` as in
    :func:`analysis_for`), else None: nothing is analysed."""
    profile = profile or Profile()
    with RecordingReader(path) as reader:
        return saved_analysis(reader, profile, zone_for(tz, reader.meta.timezone, profile))


def analysis_for(path: str | Path, profile: Profile | None = None, tz: str | None = None,
                 save: bool = True) -> RecordingAnalysis:
    """The recording's analysis, days local to ``tz`` (None: the recording's zone, else the profile's,
    else the computer's): the saved one when it fits (:func:`saved_analysis`), else made now from the
    samples and, with ``save``, stored for next time (a recording that cannot be written, is still being
    recorded, is damaged or holds the patient's snoozes is shown all the same, unsaved: ``saved`` False).

    The one function behind `view`, the end of `record` / `monitor` / `import`, and `sensorkit report`.
    RecordingError for a file that is not a readable recording or holds no samples.
    """
    profile = profile or Profile()
    with RecordingReader(path) as reader:
        zone = zone_for(tz, reader.meta.timezone, profile)
        stored = saved_analysis(reader, profile, zone)
        if stored is not None:
            return stored
        made, alignment, gait = _analyse(reader, profile, zone)
        keep = not reader.damage_report() and not any(reader.events(kind) for kind in QUIET_EVENT_TYPES)
    if save and keep:
        try:
            save_analysis(path, {"events": [e.to_json() for e in made.events], "summary": made.summary,
                                 "analysis": {"angles_from": made.angles_from, "gait": gait,
                                              "alignment": alignment, "warnings": made.warnings}},
                          analysis_provenance(profile, gait=True))
            made.saved = True
        except (SensorKitError, OSError):  # read-only, being recorded, a full disk: shown, not saved
            pass
    return made


def _analyse(reader: RecordingReader, profile: Profile, zone: tzinfo) -> tuple[RecordingAnalysis, dict[str, Any], str]:
    """The signal core's analysis of an open recording (as `sensorkit analyze`), its alignment and
    whether gait detection ran."""
    from .pipeline import analyze  # the signal core is heavy: only when there is no saved analysis

    if reader.sample_count() == 0:
        raise RecordingError(f"{reader.path.name} holds no samples")
    result = analyze(reader, reader.meta, profile, zone=zone)  # block by block: any length fits
    damage = reader.damage_report()  # known once the samples have been read
    return (RecordingAnalysis(result.summary, result.events, result.method,
                              result.warnings + ([damage] if damage else []), "analysed", gait=result.gait),
            result.alignment.to_json(), result.gait)


def save_unless_saved(path: str | Path, profile: Profile | None = None, tz: str | None = None) -> bool:
    """Analyse the recording and save the analysis (:func:`analysis_for`) unless one that fits is saved,
    as its first view would; True when it was analysed now. A saved one's events are not read: the
    trends screen, which asks this of every recording of a patient, needs only the saved days."""
    profile = profile or Profile()
    with RecordingReader(path) as reader:
        if saved_fits(reader, profile, zone_for(tz, reader.meta.timezone, profile)):
            return False
    return analysis_for(path, profile, tz).source == "analysed"


def save_for_viewing(path: str | Path, profile: Profile | None = None) -> str:
    """Analyse a recording that was just written (`record`, `monitor`, `import`) and save the analysis,
    so `view`, `trends` and `report` open it at once; one line saying so, or why not ('' when empty)."""
    started = time.perf_counter()
    try:
        made = analysis_for(path, profile)
    except RecordingError:  # nothing recorded: nothing to analyse
        return ""
    if made.saved or made.source == "stored":
        return f"  analysis saved with the recording ({time.perf_counter() - started:.1f} s): view, trends and report open it at once"
    return ("  analysis not saved: the alerts the patient snoozed or paused stay as the session recorded them "
            "(view and trends analyse it each time; analyze --save stores it anyway)")
