"""The alert policy: cool-downs, an hourly budget, a least gap, quiet hours, snooze and pause; held alerts are kept."""

from __future__ import annotations

import pytest

from sensorkit.errors import SettingsError
from sensorkit.signal.alerts import AlertPolicy, in_quiet_hours
from sensorkit.signal.profile import Profile


def policy(**values: float) -> AlertPolicy:
    base = {"alert_budget_per_hour": 60, "alert_min_gap_s": 0, "slouch_alert_cooldown_s": 0,
            "bend_alert_cooldown_s": 0, "sedentary_alert_cooldown_s": 0}
    return AlertPolicy(Profile().with_values(**{**base, **values}))


def reasons(p: AlertPolicy) -> list[str]:
    return [e.fields["reason"] for e in p.take_held()]


def test_cooldown_is_per_kind_and_held_alerts_say_why():
    p = policy(slouch_alert_cooldown_s=600)
    assert p.offer("slouch", 0.0, slouch_start=-120.0) is not None
    assert p.offer("slouch", 300.0, slouch_start=180.0) is None
    assert p.offer("severe_bend", 310.0, bend_start=305.0) is not None  # another kind is not cooling down
    held = p.take_held()
    assert [(e.type, e.fields["alert"], e.fields["reason"], e.fields["slouch_start"]) for e in held] == [
        ("alert_held", "slouch", "cooldown", 180.0)]
    assert p.offer("slouch", 600.0, slouch_start=480.0) is not None


def test_hourly_budget_counts_every_kind_over_a_rolling_hour():
    p = policy(alert_budget_per_hour=2)
    assert p.offer("slouch", 0.0) and p.offer("severe_bend", 100.0)
    assert p.offer("long_sedentary", 200.0) is None and reasons(p) == ["budget"]
    assert p.offer("long_sedentary", 3600.0) is not None  # the first has left the hour


def test_least_gap_between_any_two_alerts():
    p = policy(alert_min_gap_s=600)
    assert p.offer("long_sedentary", 0.0) is not None
    assert p.offer("slouch", 60.0) is None and reasons(p) == ["too soon"]
    assert p.offer("slouch", 600.0) is not None


def test_repeat_counts_alerts_of_the_kind_in_the_last_hour():
    p = policy()
    assert [p.offer("slouch", t).fields["repeat"] for t in (0.0, 10.0, 20.0)] == [1, 2, 3]
    assert p.offer("slouch", 3605.0).fields["repeat"] == 3  # the one at 0 s has left the hour


def test_snooze_and_pause_hold_alerts():
    p = policy()
    p.snooze(100.0, 1800.0)
    assert p.offer("slouch", 200.0) is None and reasons(p) == ["snoozed"]
    assert p.offer("slouch", 1900.0) is not None
    p.pause(True)
    assert p.offer("severe_bend", 2000.0) is None and reasons(p) == ["paused"]
    p.pause(False)
    assert p.offer("severe_bend", 2001.0) is not None


def test_quiet_hours_cross_midnight_and_equal_ends_mean_none():
    assert in_quiet_hours(23.5, 22, 7) and in_quiet_hours(6.9, 22, 7) and not in_quiet_hours(7.0, 22, 7)
    assert in_quiet_hours(13.0, 12, 14) and not in_quiet_hours(14.5, 12, 14)
    assert not in_quiet_hours(3.0, 0, 0)
    p = AlertPolicy(Profile().with_values(quiet_from_h=22, quiet_until_h=7), local_hour=lambda t: (21 + t / 3600) % 24)
    assert p.offer("slouch", 0.0) is not None  # 21:00
    assert p.offer("severe_bend", 2 * 3600.0) is None and reasons(p) == ["quiet hours"]  # 23:00


def test_policy_keys_are_checked_like_every_threshold():
    with pytest.raises(SettingsError, match="alert_budget_per_hour"):
        Profile().with_values(alert_budget_per_hour=0)
    with pytest.raises(SettingsError, match="did you mean 'alert_budget_per_hour'"):
        Profile().with_values(alert_budget_per_huor=3)
