"""The live screen: LiveFeed turns a collector's blocks into snapshots, the screen shows them, and a real
emulated session runs under the screen from start to the day view."""

from __future__ import annotations

import argparse
import asyncio
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from sensorkit.cli.record import check_session_arguments, run_session
from sensorkit.events import Event
from sensorkit.samples import SampleBlock
from sensorkit.store import RecordingReader
from sensorkit.tui.app import SensorKitApp
from sensorkit.tui.live_feed import NOTICE_TYPES, LiveFeed, LiveSnapshot
from sensorkit.tui.screens.live import LiveScreen
from sensorkit.tui.widgets.bars import Bars

DEMO = Path(__file__).resolve().parents[1] / "sample-data" / "demo.skr"


def _fake_collector(meta):
    """What LiveFeed uses of a Collector: its hook lists and the writer's metadata."""
    return SimpleNamespace(writer=SimpleNamespace(meta=meta), consumers=[], event_consumers=[], finishers=[])


def _one_second_blocks(block: SampleBlock):
    for t0 in range(0, int(block.t[-1]) + 1):
        part = block.between(t0, t0 + 1)
        if len(part):
            yield part


def test_live_feed_follows_the_live_analysis_through_the_demo_day():
    with RecordingReader(DEMO) as reader:
        meta, block = reader.meta, reader.samples()
    snapshots: list[LiveSnapshot] = []
    notices: list[Event] = []
    feed = LiveFeed(snapshots.append, notices.append, min_interval_s=0.0)
    collector = _fake_collector(meta)
    live = feed.attach(collector)
    assert collector.consumers == [live.feed, feed.after_block] and len(collector.finishers) == 1
    for part in _one_second_blocks(block):
        for consume in collector.consumers:
            consume(part)
        if part.t[0] == 300.0:  # the collector announces a link gap half-way
            for consume in collector.event_consumers:
                consume(Event("data_gap", 300.0, 300.5, {"samples": 50, "cause": "link"}))
                consume(Event("data_gap", 310.0, 310.2, {"samples": 19, "cause": "loss"}))  # counted, not listed
    events = collector.finishers[0]()

    # before the alignment (first 20 s) the state is "aligning", then the pipeline's own activities
    assert snapshots[0].activity == "aligning" and snapshots[0].flexion_deg is None
    assert all(s.activity == "aligning" for s in snapshots if s.t < 19.0)
    activities = {s.activity for s in snapshots}
    assert {"walking", "bending", "upright_sitting", "slouched_sitting", "lying", "standing"} <= activities
    assert any(s.walking for s in snapshots) and all(s.walking == (s.activity == "walking") for s in snapshots)
    assert snapshots[-1].final and sum(s.final for s in snapshots) == 1
    # the running counts are the live analysis's own events, plus the collector's gap
    final = snapshots[-1].counts
    of = lambda kind: [e for e in events if e.type == kind]  # noqa: E731
    assert final["bends"] == len(of("bend")) > 0
    assert final["high_bends"] == sum(e.fields["severity"] == "high" for e in of("bend"))
    assert final["walking_bouts"] == len(of("walking_bout")) > 0
    assert final["steps"] == sum(e.fields["steps"] for e in of("walking_bout"))
    assert final["slouches"] == len(of("slouch")) and final["alerts"] == len(of("alert")) > 0
    assert final["gaps"] == 2 and final["samples_lost"] == 69
    assert {e.type for e in notices} == {"alert", "data_gap"} <= set(NOTICE_TYPES)
    assert [e.fields["cause"] for e in notices if e.type == "data_gap"] == ["link"]
    # time per activity: the whole recording, and per activity what LiveAnalysis itself accumulates
    seconds = snapshots[-1].seconds
    assert abs(sum(seconds.values()) - (block.t[-1] - block.t[0])) < 1e-6
    assert 19.0 <= seconds["aligning"] <= 21.0
    for activity, secs in live.activity_s.items():
        assert abs(seconds[activity] - secs) <= 5.0, activity


def test_live_feed_runs_the_guided_calibration_first_and_keeps_its_result():
    from sensorkit.signal.calibration import GuidedCalibration

    with RecordingReader(DEMO) as reader:  # the demo day starts with the routine (still stand, slow bend)
        meta, block = reader.meta, reader.samples(0, 120)
    snapshots: list[LiveSnapshot] = []
    said: list[tuple[float, str, str]] = []
    stored: list[dict] = []
    feed = LiveFeed(snapshots.append, lambda e: None, lambda t, kind, text: said.append((t, kind, text)),
                    calibration=GuidedCalibration(), min_interval_s=0.0)
    collector = _fake_collector(meta)
    collector.writer.set_calibration = stored.append
    feed.attach(collector)
    for part in _one_second_blocks(block):
        for consume in collector.consumers:
            consume(part)
    assert snapshots[0].activity == "calibrating"
    guides = [text for _, kind, text in said if kind == "guide"]
    assert len(guides) >= 2 and [t for t, _, _ in said] == sorted(t for t, _, _ in said)
    assert len(stored) == 1  # the routine succeeded: its calibration goes into the recording
    ended = max(s.t for s in snapshots if s.activity == "calibrating")
    assert all(s.activity not in ("calibrating", "aligning") for s in snapshots if s.t > ended)
    assert snapshots[-1].seconds["calibrating"] == pytest.approx(ended - block.t[0], abs=1.0)


def test_live_feed_throttles_snapshots_but_never_drops_a_change():
    with RecordingReader(DEMO) as reader:
        meta, block = reader.meta, reader.samples(0, 120)
    snapshots: list[LiveSnapshot] = []
    feed = LiveFeed(snapshots.append, lambda e: None, min_interval_s=10.0, clock=lambda: 0.0)  # time stands still
    collector = _fake_collector(meta)
    feed.attach(collector)
    for part in _one_second_blocks(block):
        for consume in collector.consumers:
            consume(part)
    changes = [s.activity for s in snapshots]
    assert len(snapshots) < 20 and all(a != b for a, b in zip(changes, changes[1:]))


def _snap(t, activity, flexion, walking=False, seconds=None, **counts):
    return LiveSnapshot(t, activity, flexion, walking, counts, seconds or {})


async def _feed_screen(sequence) -> list[dict]:
    screen = LiveScreen(None, "test feed")
    app = SensorKitApp(lambda: screen)
    seen = []
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for item in sequence:
            if isinstance(item, tuple):
                screen.post_message(LiveScreen.Said(*item[1:]))
            else:
                screen.post_message(LiveScreen.Notice(item) if isinstance(item, Event) else LiveScreen.Update(item))
            await pilot.pause()
            flexion = screen.query_one("#live-flexion", Bars).bars
            seen.append({
                "activity": str(screen.query_one("#live-activity").render()),
                "classes": set(screen.query_one("#live-activity").classes),
                "flexion": flexion[0].value if flexion else None,
                "walking": str(screen.query_one("#live-walking").render()),
                "counts": str(screen.query_one("#live-counts").render()),
                "alerts": str(screen.query_one("#live-alerts").render()),
                "time": {bar.label: bar.share for bar in screen.query_one("#live-time", Bars).bars},
                "guide": str(screen.query_one("#live-guide").render()) if screen.query_one("#live-guide").display else None,
            })
        await pilot.press("q")  # no session: q quits at once
        await pilot.pause()
        seen.append({"running": app.is_running})
    return seen


def test_live_screen_shows_a_fed_sequence_of_states():
    alert = Event("alert", 65.0, 65.0, {"alert": "slouch", "message": "You have been slouching for a while."})
    seen = asyncio.run(_feed_screen([
        _snap(5.0, "aligning", None),
        _snap(30.0, "walking", 4.2, walking=True, walking_bouts=0),
        _snap(50.0, "bending", 72.5, bends=0),
        _snap(64.0, "slouched_sitting", 14.0, bends=1, high_bends=1, walking_bouts=1, steps=80,
              seconds={"aligning": 20.0, "walking": 30.0, "bending": 4.0, "slouched_sitting": 10.0}),
        alert,
        Event("data_gap", 70.0, 71.0, {"samples": 100, "cause": "link"}),
        ("said", 75.0, "warning", "the sensor is worn differently from the calibration"),
        ("said", 80.0, "guide", "Stand still and upright."),
        _snap(85.0, "calibrating", None),
        _snap(88.0, "standing", -0.3),  # monitoring again, but the last words stay up 10 s
        _snap(90.5, "standing", 2.0),
    ]))
    assert seen[0]["activity"] == "GETTING TO KNOW THE SENSOR..." and seen[0]["flexion"] == "-"
    assert seen[1]["activity"] == "WALKING" and "activity-walking" in seen[1]["classes"]
    assert seen[1]["walking"] == "walking: yes   at 0:00:30"
    assert seen[2]["activity"] == "BENDING" and seen[2]["flexion"] == "72 deg"
    assert seen[3]["activity"] == "SITTING, SLOUCHED" and seen[3]["walking"].startswith("walking: no")
    assert "bends      1 (1 high)" in seen[3]["counts"] and "walking    1 bout, 80 steps" in seen[3]["counts"]
    assert seen[2]["time"] == {}
    assert seen[3]["time"]["walking"] == 30.0 / 44.0 and seen[3]["time"]["sitting slouched"] == 10.0 / 44.0
    assert seen[3]["time"]["lying"] == 0.0
    assert seen[4]["alerts"] == "0:01:05  You have been slouching for a while."
    assert seen[5]["alerts"].splitlines() == ["0:01:10  connection lost and back: 100 samples missing",
                                              "0:01:05  You have been slouching for a while."]
    assert seen[5]["guide"] is None
    assert seen[6]["alerts"].splitlines()[0] == "0:01:15  note: the sensor is worn differently from the calibration"
    assert seen[7]["guide"] == seen[8]["guide"] == seen[9]["guide"] == "0:01:20  Stand still and upright."
    assert seen[9]["flexion"] == "0 deg" and seen[10]["guide"] is None
    assert seen[-1] == {"running": False}


async def _record_under_screen(out: Path) -> dict:
    args = argparse.Namespace(device=None, emulate="sensorkit", scenario="demo", from_recording=None, seed=0,
                              duration=40.0, fault=None, speed=100.0, rate=100.0, force=False, output=str(out))
    faults = check_session_arguments(args)
    screen = LiveScreen(lambda attach: run_session(args, faults, on_collector=attach), "test session")
    app = SensorKitApp(lambda: screen)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(600):  # up to 30 s for the session to end
            await pilot.pause(0.05)
            if screen.ended is not None:
                break
        await pilot.pause()
        seen = {"ended": screen.ended, "status": str(screen.query_one("#live-status").render()),
                "activity": str(screen.query_one("#live-activity").render())}
        await pilot.press("d")
        await pilot.pause()
        seen["after d"] = type(app.screen).__name__
        await app.workers.wait_for_complete()
    return seen


def test_live_screen_runs_an_emulated_session_to_the_end(tmp_path):
    out = tmp_path / "live.skr"
    seen = asyncio.run(_record_under_screen(out))
    ended = seen["ended"]
    assert ended is not None and ended.error is None
    stored = ended.result.stats.samples_stored
    assert 3500 <= stored <= 4000  # 40 s at 100 Hz; under load the last packets may miss the 0.5 s drain (sessions.py)
    assert seen["status"].startswith(f"test session: done. {stored} samples in live.skr")
    assert seen["activity"] not in ("", "GETTING TO KNOW THE SENSOR...")
    assert seen["after d"] == "DayScreen"
    with RecordingReader(out) as reader:  # the live events were stored beside the samples
        assert any(e.type == "posture" for e in reader.events())


async def _stop_mid_session(out: Path) -> dict:
    args = argparse.Namespace(device=None, emulate="sensorkit", scenario="demo", from_recording=None, seed=0,
                              duration=120.0, fault=None, speed=20.0, rate=100.0, force=False, output=str(out))
    screen = LiveScreen(lambda attach: run_session(args, check_session_arguments(args), on_collector=attach), "stop")
    app = SensorKitApp(lambda: screen)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(200):  # wait until 15 s of samples have been shown
            await pilot.pause(0.05)
            shown = re.search(r"recording (\d+):(\d\d):(\d\d)", str(screen.query_one("#live-walking").render()))
            if shown and int(shown[2]) * 60 + int(shown[3]) >= 15:
                break
        await pilot.press("q")
        for _ in range(200):
            await pilot.pause(0.05)
            if not app.is_running:
                break
        return {"running": app.is_running, "ended": screen.ended}


def test_q_stops_a_running_session_saves_the_recording_and_quits(tmp_path):
    out = tmp_path / "stopped.skr"
    seen = asyncio.run(_stop_mid_session(out))
    assert seen["running"] is False
    ended = seen["ended"]
    assert ended is not None and ended.error is None
    stored = ended.result.stats.samples_stored
    assert 1000 <= stored < 12000  # stopped well before the 120 s the session would have recorded
    with RecordingReader(out) as reader:  # closed cleanly: readable, all committed samples there
        assert reader.sample_count() == stored
