"""What a patient sees in `record`/`monitor`: a first line at once, lines in time order, plain words."""

from __future__ import annotations

from sensorkit.ble.live import LiveAnalysis
from sensorkit.cli.main import main
from sensorkit.cli.monitor import plain_warning
from sensorkit.events import Event
from sensorkit.signal.alignment import FORWARD_UNKNOWN
from sensorkit.store import RecordingReader


def _times(lines: list[str]) -> list[str]:
    return [line.split()[0] for line in lines if line[:2].isdigit() and line[2] == ":"]


def test_monitor_says_connected_first_and_prints_in_time_order_in_plain_words(tmp_path, capsys):
    out = tmp_path / "live.skr"
    # the default demo scenario bends deeply in its first 20 s: the alert comes out of the same update
    # as the alignment warning and the first state at 20 s, and used to be printed after them
    assert main(["monitor", "--emulate", "sensorkit", "--duration", "40", "--speed", "20", "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    first = lines[0].split(None, 2)
    assert first[1] == "sensor"
    assert first[2] == f"connected to SensorKit-0001 (100 samples a second), battery 100 %, recording to {out}, Ctrl-C to stop"
    times = _times(lines)
    assert times == sorted(times)  # hh:mm:ss strings sort as times (a session crossing midnight aside)
    text = "\n".join(lines)
    assert "unsigned" not in text and "sensor axes" not in text and "calibrate once" in text


def test_record_says_connected_before_the_summary(tmp_path, capsys):
    out = tmp_path / "r.skr"
    assert main(["record", "--emulate", "metamotion", "--duration", "5", "--speed", "20", "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "connected to MetaWear-0001" in lines[0] and "Ctrl-C to stop" in lines[0]
    assert lines[1].startswith(f"recorded {out}")


def test_live_analysis_hands_on_what_one_feed_said_in_time_order():
    said: list[tuple[float, str]] = []
    live = LiveAnalysis(None, on_warning=lambda t, w: said.append((t, w)),
                        on_event=lambda e: said.append((e.start, e.type)))
    live._say(20.0, live.on_warning, "late")
    live._say(16.7, live.on_event, Event("alert", 16.7, 16.7, {}))
    live._say(20.0, live.on_warning, "later, same time")
    live._tell()
    assert said == [(16.7, "alert"), (20.0, "late"), (20.0, "later, same time")]


def test_warnings_in_plain_words():
    assert "unsigned" not in plain_warning(FORWARD_UNKNOWN + " (no bend)")
    assert "calibrate" in plain_warning(FORWARD_UNKNOWN)
    assert plain_warning("something else") == "something else"


def test_a_snooze_holds_the_alerts_and_is_stored_with_the_recording(tmp_path):
    import asyncio

    from sensorkit.ble.sessions import record_emulated
    from sensorkit.cli.monitor import attach_live
    from sensorkit.emulator.sources import simulated
    from sensorkit.store import RecordingReader

    out = tmp_path / "snooze.skr"
    lives = []

    def attach(collector):
        live = attach_live(collector, None)
        lives.append(live)
        collector.consumers.append(lambda block: live.snooze(600) if not live.events and block.t[-1] > 2 else None)

    asyncio.run(record_emulated("sensorkit", simulated("demo", 0, 40.0), out, speed=20, duration_s=40.0,
                                on_collector=attach))
    events = lives[0].events
    assert [e.type for e in events].count("alerts_snoozed") == 1
    assert not any(e.type == "alert" for e in events)  # the demo's deep bend at ~15 s is held, not lost
    assert any(e.type == "alert_held" and e.fields["reason"] == "snoozed" for e in events)
    with RecordingReader(out) as reader:
        stored = list(reader.events("alerts_snoozed"))
    assert len(stored) == 1 and stored[0].duration == 600


def test_monitor_set_overrides_a_threshold_and_refuses_an_unknown_key(tmp_path, capsys):
    out = tmp_path / "bad.skr"
    assert main(["monitor", "--emulate", "sensorkit", "--duration", "5", "--set", "slouch_cooldown=3",
                 "-o", str(out)]) != 0
    err = capsys.readouterr().err
    assert "did you mean 'slouch_alert_cooldown_s'" in err and not out.exists()


# the policy out of the way so that a short warehouse stretch has several severe-bend alerts
SECONDS = 300
EVERY_ALERT = ["--set", "alert_budget_per_hour=60", "--set", "bend_alert_cooldown_s=0", "--set", "alert_min_gap_s=0"]


def _vibrate(tmp_path, capsys, kind: str, extra: list[str]) -> tuple[list[str], int]:
    out = tmp_path / f"{kind}.skr"
    assert main(["monitor", "--emulate", kind, "--scenario", "warehouse", "--duration", str(SECONDS), "--speed", "30",
                 "--vibrate", *extra, "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    received = [line for line in lines if "vibration commands received" in line]
    with RecordingReader(out) as reader:  # an alert raised as the session ends has no link left to buzz
        alerts = [e for e in reader.events("alert") if e.start < SECONDS - 2]
    return alerts, int(received[0].split()[1]) if received else 0


def test_vibrate_buzzes_the_sensorkit_sensor_once_per_alert(tmp_path, capsys):
    alerts, buzzes = _vibrate(tmp_path, capsys, "sensorkit", EVERY_ALERT)
    assert len(alerts) >= 2 and buzzes == len(alerts)


def test_vibrate_on_metamotion_sends_the_bend_pattern_two_pulses(tmp_path, capsys):
    alerts, pulses = _vibrate(tmp_path, capsys, "metamotion", EVERY_ALERT)
    bends = sum(e.fields["alert"] == "severe_bend" for e in alerts)
    assert bends >= 2 and pulses == 2 * bends + (len(alerts) - bends)


def test_vibrate_follows_the_policy_and_a_sensor_without_motor_says_so_once(tmp_path, capsys):
    alerts, buzzes = _vibrate(tmp_path, capsys, "sensorkit", [])
    assert len(alerts) == buzzes == 1  # the default policy: one alert in these minutes, one buzz
    out = tmp_path / "thingy.skr"
    assert main(["monitor", "--emulate", "thingy52", "--scenario", "warehouse", "--duration", "60",
                 "--speed", "20", "--vibrate", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.count("has no vibration motor") == 1 and "vibration commands received" not in text


def test_buzz_patterns_tell_the_habits_apart():
    from sensorkit.ble.haptics import pattern_for

    alert = lambda kind, repeat=1: Event("alert", 0, 0, {"alert": kind, "repeat": repeat})  # noqa: E731
    assert [pattern_for(alert(k)) for k in ("slouch", "severe_bend", "long_sedentary")] == ["short", "double", "long"]
    assert pattern_for(alert("slouch", 3)) == "long"  # a habit that persists escalates


def test_bell_rings_with_each_alert_only_when_asked(tmp_path, capsys):
    from sensorkit.cli.monitor import Printer
    import io

    for bell in (True, False):
        out = io.StringIO()
        printer = Printer(out, bell=bell)
        printer.event(Event("alert", 1.0, 1.0, {"alert": "slouch", "message": "sit up"}))
        printer.event(Event("data_gap", 2.0, 2.0, {"samples": 3, "cause": "link"}))
        assert out.getvalue().count("\a") == (1 if bell else 0)


def test_notify_shows_each_alert_on_the_desktop_and_needs_its_extra(tmp_path, capsys, monkeypatch):
    import sys
    import types

    sent: list[str] = []

    class FakeNotifier:  # stands in for desktop_notifier.DesktopNotifier (no desktop in a test)
        def __init__(self, app_name: str):
            self.app_name = app_name

        async def send(self, title: str, message: str) -> str:
            sent.append(message)
            return "id"

    monkeypatch.setitem(sys.modules, "desktop_notifier", types.SimpleNamespace(DesktopNotifier=FakeNotifier))
    out = tmp_path / "n.skr"
    assert main(["monitor", "--emulate", "sensorkit", "--scenario", "warehouse", "--duration", str(SECONDS),
                 "--speed", "30", "--notify", *EVERY_ALERT, "-o", str(out)]) == 0
    with RecordingReader(out) as reader:
        alerts = [e.fields["message"] for e in reader.events("alert") if e.start < SECONDS - 2]
    assert len(alerts) >= 2 and sent[:len(alerts)] == alerts  # one raised as the session ends may not make it
    monkeypatch.setitem(sys.modules, "desktop_notifier", None)  # not installed
    capsys.readouterr()
    assert main(["monitor", "--emulate", "sensorkit", "--duration", "5", "--notify", "-o", str(tmp_path / "x.skr")]) != 0
    assert "pip install 'sensorkit[notify]'" in capsys.readouterr().err and not (tmp_path / "x.skr").exists()


def test_profile_show_lists_the_policy_with_changes_marked(tmp_path, capsys):
    prof = tmp_path / "p.toml"
    prof.write_text("[thresholds]\nquiet_from_h = 22\nquiet_until_h = 7\n")
    assert main(["profile", "show", "--profile", str(prof), "--set", "alert_budget_per_hour=4"]) == 0
    rows = {line.split()[0]: line.split()[1] for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows["quiet_from_h"] == "22*" and rows["quiet_until_h"] == "7*" and rows["alert_budget_per_hour"] == "4*"
    assert rows["slouch_alert_delay_s"] == "120" and rows["vibrate"] == "0"
    assert main(["profile", "show", "--set", "alert_budget_per_huor=4"]) == 1
    assert "did you mean 'alert_budget_per_hour'" in capsys.readouterr().err
