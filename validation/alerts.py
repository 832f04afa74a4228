"""How often the alert policy speaks on a simulated day, and whether what matters still gets through.

    python validation/alerts.py [--seeds 3] [--set KEY=VALUE ...]

Simulates an 8-hour office day and a warehouse shift per seed (sensorkit.simulator), runs the offline
pipeline (the same code as the live one; only the alignment comes from the whole recording) with the
default profile, or with ``--set`` overrides (e.g. ``--set alert_budget_per_hour=60 --set
slouch_alert_delay_s=15`` for the policy before issue 14), and prints one markdown row per scenario:
alerts given (per kind), alerts held back (per reason), and coverage: of the slouch episodes longer than
twice the alert delay and of the high-severity bends, how many got an alert or were held for a stated
reason, and how many got neither (that must be 0). Only simulated data: the real recordings in
../shared/data are minutes long and have no office day in them.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from sensorkit.events import Event
from sensorkit.signal.pipeline import analyze
from sensorkit.signal.profile import Profile
from sensorkit.simulator import simulate

SCENARIOS = ("office", "warehouse")


def parse_sets(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key.strip()] = float(value)
    return out


def day(scenario: str, seed: int, profile: Profile) -> dict:
    """One simulated day's alert counts and coverage."""
    sim = simulate(scenario, seed)
    events = analyze(sim.block, sim.meta, profile).events
    given = [e for e in events if e.type == "alert"]
    held = [e for e in events if e.type == "alert_held"]
    delay = max(profile.slouch_delay_s, profile.slouch_alert_delay_s)
    long_slouches = [e for e in events if e.type == "slouch" and e.duration > 2 * delay]
    high_bends = [e for e in events if e.type == "bend" and e.fields.get("severity") == "high"]
    return {
        "given": Counter(e.fields["alert"] for e in given),
        "held": Counter(e.fields["reason"] for e in held),
        "slouch": _coverage(long_slouches, "slouch_start", given, held),
        "bend": _coverage(high_bends, "bend_start", given, held),
    }


def _coverage(owners: list[Event], key: str, given: list[Event], held: list[Event]) -> Counter:
    """Per owner event: 'alerted', 'held' (with a reason) or 'missed' (neither)."""
    alerted = {round(e.fields[key], 3) for e in given if key in e.fields}
    kept = {round(e.fields[key], 3) for e in held if key in e.fields}
    out: Counter = Counter()
    for e in owners:
        start = round(e.start, 3)
        out["alerted" if start in alerted else "held" if start in kept else "missed"] += 1
    return out


def row(scenario: str, days: list[dict]) -> str:
    totals = [sum(d["given"].values()) for d in days]
    given = sum((d["given"] for d in days), Counter())
    held = sum((d["held"] for d in days), Counter())
    slouch = sum((d["slouch"] for d in days), Counter())
    bend = sum((d["bend"] for d in days), Counter())
    fmt = lambda c: ", ".join(f"{k} {v}" for k, v in sorted(c.items())) or "none"  # noqa: E731
    return (f"| {scenario} | {len(days)} | {min(totals)}-{max(totals)} | {fmt(given)} | {fmt(held)} | "
            f"{fmt(slouch)} | {fmt(bend)} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="profile override")
    args = ap.parse_args()
    profile = Profile().with_values(**parse_sets(args.set))
    t0 = time.time()
    print("| scenario | days | alerts per day | given, all days (per kind) | held back (per reason) "
          "| slouches > 2x delay | high-severity bends |")
    print("|---|---|---|---|---|---|---|")
    for scenario in SCENARIOS:
        print(row(scenario, [day(scenario, seed, profile) for seed in range(args.seeds)]), flush=True)
    print(f"\n({time.time() - t0:.0f} s; overrides: {', '.join(args.set) or 'none'})")


if __name__ == "__main__":
    main()
