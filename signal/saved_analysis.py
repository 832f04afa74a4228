"""An analysis stored inside its recording (`sensorkit analyze --save`), and when it may be reused.

A saved analysis is the events plus the summary that `sensorkit analyze` printed, and beside them its
provenance: the JSON schema, the package version, a digest of the profile's settings and whether gait
detection ran. A later reader (`sensorkit trends`) reuses the saved summary only when that provenance
equals its own, so new thresholds or a new release analyse the samples again.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sensorkit.events import Event
from sensorkit.store import RecordingReader, RecordingWriter

from .profile import Profile

SCHEMA_VERSION = 2  # of the `sensorkit analyze --json` document (2: wear time, bends per hour worn)
ANALYSIS_SUMMARY = "analysis"
PROVENANCE_SUMMARY = "analysis_provenance"


def analysis_provenance(profile: Profile, gait: bool) -> dict[str, Any]:
    """What a saved analysis depends on besides the samples."""
    settings = {"values": profile.values, "sitting_neutral_deg": profile.sitting_neutral_deg,
                "calibration": profile.calibration, "height_m": profile.height_m}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()
    try:
        release = version("sensorkit")
    except PackageNotFoundError:  # running from a source tree that is not installed
        release = "unknown"
    return {"schema": SCHEMA_VERSION, "sensorkit": release, "profile_sha256": digest, "gait": bool(gait)}


def save_analysis(path: str | Path, doc: dict[str, Any], provenance: dict[str, Any]) -> None:
    """Replace the recording's stored analysis with ``doc`` (an analyze document), in one transaction.

    The events, the summary and its provenance change together (a crash keeps the old three or the
    new three, so `trends` never pairs one profile's summary with another's provenance); the
    recorder's gap and battery events stay. A recording still being written is refused by the store.
    """
    with RecordingWriter.reopen(path) as writer:
        writer.replace_analysis(
            (Event.from_json(e) for e in doc["events"]),
            {ANALYSIS_SUMMARY: doc["summary"], PROVENANCE_SUMMARY: provenance},
        )


def saved_summary(reader: RecordingReader, provenance: dict[str, Any]) -> dict[str, Any] | None:
    """The stored summary when it was made under ``provenance``, else None."""
    saved = reader.summaries()
    if saved.get(PROVENANCE_SUMMARY) == provenance and ANALYSIS_SUMMARY in saved:
        return saved[ANALYSIS_SUMMARY]
    return None
