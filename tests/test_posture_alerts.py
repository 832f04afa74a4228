"""Alerts are tied to the events that earned them, come within a second, and do not nag.

Each recording is fed live-like in half-second chunks; for every alert the test finds its event
(``bend_start`` / ``slouch_start`` / ``bout_start``), recomputes from the tracker's own features when
the documented rule was met, and checks the time the alert came out of ``update``. Qualifying events
without an alert must be inside the cool-down of the previous alert of that kind.

Regression: a lean that turned out to be sitting down (turning to the chair: > 30 deg of twist) raised
a severe-bend alert with no bend event (13 alerts for 3 severe bends on the simulated office day, one
43 s after the demo's last bend).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sensorkit.events import Event
from sensorkit.signal.alignment import alignment_for
from sensorkit.signal.bending import measure_bend
from sensorkit.signal.features import Frame
from sensorkit.signal.pipeline import Pipeline, iter_slices
from sensorkit.signal.posture import MAX_TRANSITION_LEAN_DEG, VERTICAL_MERGE_S
from sensorkit.signal.profile import Profile
from sensorkit.simulator.simulation import simulate

CHUNK_S = 0.5
LATENCY_S = 1.0
EPS = 2e-3  # alert fields are rounded to 1 ms
DEFERRED_MAX_S = 8.0  # measured 3.5-6.5 s on the warehouse hours: bend end + VERTICAL_MERGE_S + its movement


@dataclass
class Run:
    events: list[Event]
    emitted_at: dict[int, float]  # id(alert) -> last sample time of the update that returned it
    frames: Frame
    profile: Profile


# The rules themselves (when each alert is due and which event it belongs to), with the policy that
# decides how many reach the patient (delay, budget, least gap: tests/test_alert_policy.py) out of the way.
RULES_ONLY = Profile().with_values(slouch_alert_delay_s=15.0, alert_budget_per_hour=60.0, alert_min_gap_s=0.0,
                                   slouch_alert_cooldown_s=300.0, bend_alert_cooldown_s=60.0)


def run_live(scenario: str, seed: int, duration_s: float | None = None, profile: Profile | None = None,
             **sim_kwargs: float) -> Run:
    sim = simulate(scenario, seed, duration_s=duration_s, **sim_kwargs)
    profile = profile or RULES_ONLY
    pipe = Pipeline(sim.meta.rate_hz, alignment_for(sim.block, sim.meta, None), profile,
                    has_gyro=sim.block.has_gyro, gait=False, start_time=sim.meta.start_time)
    frames: list[Frame] = []
    update = pipe.posture.update
    pipe.posture.update = lambda fr: (frames.append(fr), update(fr))[1]
    events: list[Event] = []
    emitted: dict[int, float] = {}
    for part in iter_slices(sim.block, CHUNK_S):
        new = pipe.update(part)
        emitted.update({id(e): float(part.t[-1]) for e in new})
        events += new
    last = pipe.finish()  # what is still open closes at the last sample
    emitted.update({id(e): float(sim.block.t[-1]) for e in last})
    events += last
    return Run(events, emitted, Frame.concat(frames), profile)


def rule_met(run: Run, bend: Event) -> float:
    """First sample time at which the bend so far is severe by the documented rules (bending.py);
    its peak, twist and time above only grow, so a bisection finds it."""
    window = run.frames.between(bend.start - 1.0, bend.end + 1.0)
    t = window.between(bend.start, bend.end).t
    lo, hi = 0, len(t) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        severe = measure_bend(window, bend.start, float(t[mid]), run.profile, True).fields["severity"] == "high"
        lo, hi = (lo, mid) if severe else (mid + 1, hi)
    return float(t[lo])


def judged_while_open(run: Run, bend: Event, met: float) -> bool:
    """Deep or held bends cannot be sitting down: their alert must come within a second of the rule."""
    so_far = measure_bend(run.frames.between(bend.start - 1.0, met + 1.0), bend.start, met, run.profile, True).fields
    above = so_far["seconds_20_60"] + so_far["seconds_over_60"]
    return so_far["peak_flexion_deg"] > MAX_TRANSITION_LEAN_DEG or above > run.profile.held_bend_s


def alerts(run: Run, kind: str) -> list[Event]:
    return [e for e in run.events if e.type == "alert" and e.fields["alert"] == kind]


def match(alert_list: list[Event], events: list[Event], key: str) -> dict[int, Event]:
    by_start = {round(e.start, 3): e for e in events}
    out = {}
    for a in alert_list:
        owner = by_start.get(round(a.fields[key], 3))
        assert owner is not None, f"alert at {a.start:.2f} s has no {events[0].type if events else 'event'}"
        assert id(owner) not in {id(o) for o in out.values()}, f"second alert for the event at {owner.start:.2f} s"
        out[id(a)] = owner
    return out


def assert_quiet_only_in_cooldown(missed_times: list[float], alert_list: list[Event], cooldown: float) -> None:
    for t in missed_times:
        before = [a.start for a in alert_list if a.start <= t + EPS]
        assert before and t - max(before) < cooldown, f"qualifying event at {t:.2f} s got no alert"


def assert_emitted_promptly(run: Run, alert: Event) -> None:
    assert run.emitted_at[id(alert)] - alert.start < LATENCY_S


def check_bend_alerts(run: Run) -> tuple[int, int]:
    severe = [e for e in run.events if e.type == "bend" and e.fields["severity"] == "high"]
    got = alerts(run, "severe_bend")
    owners = match(got, severe, "bend_start")
    assert len(got) <= len(severe)
    deferred = 0
    for a in got:
        bend = owners[id(a)]
        met = rule_met(run, bend)
        assert a.start >= met - EPS
        if judged_while_open(run, bend, met):
            assert a.start - met < LATENCY_S, (bend.start, met, a.start)
        else:  # a shallow twisted lean: a bend, not turning to sit down, only once it is final
            deferred += 1
            assert run.emitted_at[id(a)] == run.emitted_at[id(bend)]  # alerted as soon as it is final
            final_at = min(bend.end + VERTICAL_MERGE_S, float(run.frames.t[-1]))  # or at the end of data
            assert final_at - EPS <= a.start < met + DEFERRED_MAX_S
        assert_emitted_promptly(run, a)
    alerted = {id(b) for b in owners.values()}
    assert_quiet_only_in_cooldown([rule_met(run, b) for b in severe if id(b) not in alerted], got,
                                  run.profile.bend_alert_cooldown_s)
    return len(got), deferred


def check_slouch_alerts(run: Run) -> None:
    delay = run.profile.slouch_delay_s
    episodes = [e for e in run.events if e.type == "slouch"]
    assert all(e.duration >= delay - EPS for e in episodes)
    got = alerts(run, "slouch")
    owners = match(got, episodes, "slouch_start")
    for a in got:
        assert abs(a.start - (owners[id(a)].start + delay)) < EPS  # the moment the rule was met
        assert_emitted_promptly(run, a)
    alerted = {id(e) for e in owners.values()}
    assert_quiet_only_in_cooldown([e.start + delay for e in episodes if id(e) not in alerted], got,
                                  run.profile.slouch_alert_cooldown_s)


def check_sedentary_alerts(run: Run) -> None:
    need = run.profile.sedentary_alert_s
    bouts = [e for e in run.events if e.type == "sedentary_bout"]
    got = alerts(run, "long_sedentary")
    owners = match(got, bouts, "bout_start")
    for a in got:
        bout = owners[id(a)]
        assert bout.start + need - EPS <= a.start <= bout.end + EPS
        assert_emitted_promptly(run, a)
    alerted = {id(e) for e in owners.values()}
    assert_quiet_only_in_cooldown([b.start + need for b in bouts if b.duration >= need and id(b) not in alerted],
                                  got, run.profile.sedentary_alert_cooldown_s)


@pytest.fixture(scope="module")
def office() -> Run:
    return run_live("office", 1)


def test_office_day_one_severe_bend_alert_per_severe_bend(office):
    severe = [e for e in office.events if e.type == "bend" and e.fields["severity"] == "high"]
    assert len(severe) == 3
    assert check_bend_alerts(office) == (3, 0)


def test_office_day_slouch_and_sitting_alerts_belong_to_their_episodes(office):
    check_slouch_alerts(office)
    check_sedentary_alerts(office)
    assert len(alerts(office, "long_sedentary")) >= 5  # 8 h of office sitting does raise them


@pytest.mark.parametrize("scenario,seed", [("demo", 0), ("demo", 1), ("demo", 2), ("bends", 0), ("bends", 1)])
def test_alerts_match_their_events(scenario, seed):
    run = run_live(scenario, seed)
    check_bend_alerts(run)
    check_slouch_alerts(run)
    check_sedentary_alerts(run)


def test_turning_to_sit_down_raises_no_severe_bend_alert():
    # the demo turns to its chair (> 30 deg twist while leaning): a stand-to-sit, not a bend
    run = run_live("demo", 0)
    for sit in (e for e in run.events if e.type == "transition" and e.fields["kind"] == "stand_to_sit"):
        near = [a for a in alerts(run, "severe_bend") if sit.start - 2.0 <= a.start <= sit.end]
        assert near == [], sit


@pytest.mark.parametrize("seed", [0, 1])
def test_warehouse_hour_twisted_bends_alert_once_confirmed(seed):
    run = run_live("warehouse", seed, duration_s=3600.0)
    count, deferred = check_bend_alerts(run)
    assert count >= 10 and 1 <= deferred < count
    check_slouch_alerts(run)
    check_sedentary_alerts(run)


NO_COOLDOWN = RULES_ONLY.with_values(slouch_alert_cooldown_s=0.0, bend_alert_cooldown_s=0.0,
                                    sedentary_alert_cooldown_s=0.0)


def test_without_cooldowns_every_qualifying_event_gets_exactly_one_alert():
    # demo seed 0: the twisted sit-down right after a deep stoop (truth: stand_to_sit 422.9-425.6 s)
    # is no bend and gets no alert; it was one, with a deferred alert, when its bend's wait and the
    # sit-down's decision fell on the same instant and the order depended on the chunking
    run = run_live("demo", 0, profile=NO_COOLDOWN)
    severe = [e for e in run.events if e.type == "bend" and e.fields["severity"] == "high"]
    assert check_bend_alerts(run) == (len(severe), 0)
    sit_downs = [e for e in run.events if e.type == "transition" and e.fields["kind"] == "stand_to_sit"]
    assert not any(b.start <= s.end and b.end >= s.start for b in severe for s in sit_downs)
    check_slouch_alerts(run)
    assert len(alerts(run, "slouch")) == sum(e.type == "slouch" for e in run.events)


def test_slouch_alert_on_a_posture_found_late_keeps_its_episode():
    # 5 % packet loss hides the demo's stand-up (seed 0): the standing, leaning past the sitting
    # neutral, reads as a slouch until walking shows standing, 3 s after the fact; the slouch alert
    # raised meanwhile must still have its episode
    run = run_live("demo", 0, profile=NO_COOLDOWN, loss=0.05)
    check_slouch_alerts(run)
    assert len(alerts(run, "slouch")) == 3
