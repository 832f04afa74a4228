"""The analysis saved with a recording: made once (import, record, monitor, first view), reused by the
day screen and trends while profile, release and zone match, never over the patient's own snoozes."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

import sensorkit.signal.pipeline as pipeline
from sensorkit.cli.main import main
from sensorkit.events import Event
from sensorkit.signal.profile import Profile
from sensorkit.signal.saved_analysis import analysis_for, save_unless_saved
from sensorkit.store import RecordingReader, RecordingWriter
from sensorkit.trends import folder_trends
from sensorkit.tui.app import SensorKitApp
from sensorkit.tui.report import load_day, saved_day
from sensorkit.tui.screens.day import KEY_FIGURES, DayScreen

DEMO = Path(__file__).resolve().parents[1] / "sample-data" / "demo.skr"


@pytest.fixture()
def rec(tmp_path: Path) -> Path:
    path = tmp_path / "P1" / "demo.skr"
    path.parent.mkdir()
    shutil.copy(DEMO, path)
    return path


def no_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any analysis of samples fail: what follows must come from the saved analysis."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("the samples were analysed again")
    monkeypatch.setattr(pipeline, "analyze", refuse)


def test_the_first_view_saves_and_the_next_reads_the_same_day(rec, monkeypatch):
    first = load_day(rec, tz="UTC")
    assert first.source == "analysed"
    no_analysis(monkeypatch)
    again = load_day(rec, tz="UTC")
    assert again.source == "stored"
    assert again.total == first.total and again.days == first.days
    assert [e.to_json() for e in again.events] == [e.to_json() for e in first.events]  # saved as exported
    assert (again.method, again.warnings, again.samples, again.duration_s, again.gaps) == \
           (first.method, first.warnings, first.samples, first.duration_s, first.gaps)
    for a, b in zip(again.hours, first.hours, strict=True):  # the hour strip, from the saved events
        assert (a.timeline, a.bend_marks, a.bends) == (b.timeline, b.bend_marks, b.bends)
        assert a.seconds == pytest.approx(b.seconds, abs=0.01) and a.slouched_s == pytest.approx(b.slouched_s, abs=0.01)
    # trends reads the same saved summary (no analysis either)
    found = folder_trends(rec.parent.parent, tz="UTC")
    assert [f.source for f in found.files] == ["stored"]


def test_another_profile_or_zone_analyses_again_and_saves_that(rec):
    assert analysis_for(rec, tz="UTC").source == "analysed"
    assert analysis_for(rec, tz="UTC").source == "stored"
    assert analysis_for(rec, tz="Australia/Sydney").source == "analysed"  # days split elsewhere
    assert analysis_for(rec, tz="Australia/Sydney").source == "stored"
    stricter = Profile().with_values(slouch_delay_s=5.0)
    made = analysis_for(rec, stricter, tz="Australia/Sydney")
    assert made.source == "analysed" and made.saved
    assert analysis_for(rec, tz="Australia/Sydney").source == "analysed"  # the default profile's was replaced


def test_a_session_with_snoozed_alerts_is_not_saved_over(rec):
    with RecordingWriter.reopen(rec) as writer:
        writer.add_events([Event("alerts_snoozed", 100.0, 400.0, {"seconds": 300.0})])
        writer.add_events([Event("alert", 200.0, 200.0, {"alert": "slouch", "marker": "live"})])
    made = analysis_for(rec, tz="UTC")
    assert made.source == "analysed" and not made.saved
    with RecordingReader(rec) as reader:  # what the live session recorded is untouched
        assert [e.fields.get("marker") for e in reader.events("alert")] == ["live"]
        assert "analysis" not in reader.summaries()


def test_import_saves_the_analysis_so_view_and_trends_do_not_analyse(tmp_path, capsys, monkeypatch):
    assert main(["export", str(DEMO), "-o", str(tmp_path / "demo.csv")]) == 0
    out = tmp_path / "P2" / "day.skr"
    out.parent.mkdir()
    assert main(["import", str(tmp_path / "demo.csv"), "-o", str(out), "--patient", "P2"]) == 0
    printed = capsys.readouterr().out
    assert "analysis saved with the recording" in printed
    no_analysis(monkeypatch)
    assert load_day(out).source == "stored"
    assert [f.source for f in folder_trends(tmp_path).files if f.name == "P2/day.skr"] == ["stored"]


def test_an_analysis_saved_without_gait_is_reused_as_asked(rec, monkeypatch):
    """`analyze --save --no-gait` is what the user asked for: view, trends and the report reuse it (walking
    not measured) instead of analysing again with gait and saving over it; `analyze --save` brings walking back."""
    assert main(["analyze", "--save", "--no-gait", "--tz", "UTC", str(rec)]) == 0
    with monkeypatch.context() as m:
        no_analysis(m)
        day = load_day(rec, tz="UTC")
        assert (day.source, day.gait) == ("stored", "off") and "walking_s" not in day.total
        (found,) = folder_trends(rec.parent.parent, tz="UTC").files
        assert (found.source, found.gait) == ("stored", "off")
        assert [d.metrics["walking_s"] for d in folder_trends(rec.parent.parent, tz="UTC").patients[0].days] == [None]
    assert main(["analyze", "--save", "--tz", "UTC", str(rec)]) == 0
    no_analysis(monkeypatch)
    day = load_day(rec, tz="UTC")
    assert (day.source, day.gait) == ("stored", "on") and day.total["walking_s"] > 0


def test_view_reads_a_saved_day_before_the_app_starts(rec, monkeypatch):
    """`sensorkit view` reads a saved day before the app starts (saved_day), so the day screen's first frame
    holds the day's numbers, with no worker; without a saved analysis saved_day analyses nothing (None) and
    the screen's worker does it."""
    with monkeypatch.context() as m:
        no_analysis(m)
        assert saved_day(rec, tz="UTC") is None
    made = load_day(rec, tz="UTC")  # the first view saves
    no_analysis(monkeypatch)
    day = saved_day(rec, tz="UTC")
    assert day.source == "stored" and (day.total, day.days) == (made.total, made.days)
    assert [h.timeline for h in day.hours] == [h.timeline for h in made.hours]

    async def first_frame() -> tuple[dict[str, str], int]:
        screen = DayScreen(rec, tz="UTC", report=day)
        async with SensorKitApp(lambda: screen).run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            return {key: str(screen.query_one(f"#figure-{key}").render()) for key in KEY_FIGURES}, len(screen.workers)

    figures, workers = asyncio.run(first_frame())
    assert workers == 0
    assert figures["high-bends"].startswith(f"High-risk bends\n{made.total['bends']['by_severity']['high']} of ")
    assert figures["alerts"].startswith(f"Alerts\n{sum(made.total['alerts'].values())}\n")


def test_the_trends_screen_saves_once_and_then_reads_no_saved_events(rec, monkeypatch):
    """save_unless_saved, which the trends screen asks of every recording: the first time it analyses and
    saves; then it only checks that the saved analysis fits, reading neither samples nor saved events."""
    assert save_unless_saved(rec, tz="UTC") is True

    def no_events(*_args, **_kwargs):
        raise AssertionError("the saved events were read")
    no_analysis(monkeypatch)
    monkeypatch.setattr(RecordingReader, "events", no_events)
    assert save_unless_saved(rec, tz="UTC") is False
    with pytest.raises(AssertionError, match="analysed again"):  # another zone: not the saved days
        save_unless_saved(rec, tz="Australia/Sydney")
