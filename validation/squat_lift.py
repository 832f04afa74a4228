"""Can a squat lift with an upright trunk (UMAFall subject 10) be found from the pelvis's vertical
displacement at the waist, without finding one where nobody squatted? The evidence behind issue 9's
UMAFall target (validation/posture.md).

    python validation/squat_lift.py [--data ../shared/data]     # ~2 min

Every trial of SisFall (D07, D12, D15, D16), UMAFall bending and UCI HAPT, analysed through the
user's path (``evaluate.as_imported``: what `sensorkit analyze FILE.csv` sees). Each vertical movement
the posture tracker sees (runs of vertical speed merged across short pauses, as ``posture.py`` finds
them) gets its pelvis dip: the vertical acceleration (gravity-aligned, from the analysis's own
features) double-integrated over every 2 s window, the drift removed by making velocity zero and
height equal at both ends of the window (linear detrend of velocity, then of height), and the deepest
down-and-back kept. Double integration of the lower trunk's vertical acceleration with drift removal
is the usual way to get the body's vertical displacement from one trunk sensor (Zijlstra & Hof 2003,
Gait Posture 18(2):1-10); a squat to the floor lowers the pelvis 0.30-0.50 m (``bending.py``).

Movements are counted where the detector (``sensorkit.signal.squat_lift``) looks: standing before
(as the analysis reports it), at most MAX_MOVEMENT_S long (a pick-up takes a few seconds), the trunk
within the lowest flexion band throughout; beside them, the squat lifts the analysis reported (bends
with the detector minus bends without it) and their rate per hour (in recordings where nobody was
asked to squat, every one is false). Movements
the analysis still reported as sitting down or standing up are shown apart, with the trunk's largest
tilt over them (sitting down leans it 25-45 deg).
Printed per class and half (odd subjects tune, even are held out); then simulated 1 h office and
warehouse days (2 seeds each): the bends the detector adds there.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from lying_cues import analysed, trials
from sensorkit.datasets import sisfall, uci_hapt, umafall
from sensorkit.datasets.location import default_shared_data, require_shared_data
from sensorkit.signal.episodes import Hysteresis, RunTracker
from sensorkit.signal.evaluate import tuning_half
from sensorkit.signal.features import Frame
from sensorkit.signal import posture
from sensorkit.signal.posture import VERTICAL_MERGE_S, VERTICAL_OFF, VERTICAL_ON
from sensorkit.signal.profile import Profile
from sensorkit.simulator import simulate
from sensorkit.signal.squat_lift import MAX_MOVEMENT_S, SQUAT_LIFT_DIP_M as DEEP_M, WINDOW_S, pelvis_dip

ROOT = Path(__file__).resolve().parents[1]
TRUNK_MAX_DEG = Profile().band_low_deg  # a squat lift that leans further is a bend


def posture_at(events: list, t: float) -> str | None:
    return next((e.fields["posture"] for e in events if e.type == "posture" and e.start <= t < e.end), None)


def movements(fr: Frame, events: list) -> tuple[list[float], list[tuple[float, float, str]]]:
    """Pelvis dips of the upright movements the detector looks at (see the module docstring), and
    (dip, largest trunk tilt, kind) of the movements the analysis reported as sitting down or
    standing up."""
    runs = RunTracker(VERTICAL_MERGE_S)
    moving = Hysteresis(VERTICAL_ON, VERTICAL_OFF).run(np.abs(fr.vertical_speed))
    changes = [(e.start, e.end, e.fields["kind"]) for e in events if e.type == "transition"]
    upright, transitions = [], []
    for run in runs.feed(fr.t, moving) + runs.close():
        seg = fr.between(run.start - 0.5, run.end + 0.5)
        if len(seg) < 5:
            continue
        kinds = [k for s, e, k in changes if s <= run.end and e >= run.start]
        if kinds and kinds[0] in ("stand_to_sit", "sit_to_stand"):
            transitions.append((pelvis_dip(seg.t, seg.vertical_acc), float(np.abs(seg.flexion).max()), kinds[0]))
        elif (not kinds and run.end - run.start <= MAX_MOVEMENT_S and np.abs(seg.flexion).max() < TRUNK_MAX_DEG
              and posture_at(events, run.start - 0.5) == "standing"):
            upright.append(pelvis_dip(seg.t, seg.vertical_acc))
    return upright, transitions


def bends_found(block, meta) -> tuple[list, Frame, int]:
    """Events and features of one recording, and how many more bends the analysis reports than it
    would without the squat-lift detector (the same analysis with ``is_squat_lift`` never true)."""
    events, features, _ = analysed(block, meta)  # one block: the history keeps all of it
    detector, posture.is_squat_lift = posture.is_squat_lift, lambda *args: False
    try:
        without, _, _ = analysed(block, meta)
    finally:
        posture.is_squat_lift = detector
    return events, features, sum(e.type == "bend" for e in events) - sum(e.type == "bend" for e in without)


def recordings(data: Path):
    """(class, tuning half?, name, events, features, squat lifts) for every trial and HAPT experiment."""
    for kind, subject, name, trial in trials(data):
        loader = umafall if kind == "UMAFall" else sisfall
        group = "UMAFall subject 10" if kind == "UMAFall" and subject == 10 else "UMAFall others" if kind == "UMAFall" else f"SisFall {kind}"
        yield group, tuning_half(subject), name, *bends_found(*loader.load_trial(trial))
    for exp in uci_hapt.list_experiments(data / "uci_hapt"):
        rec = uci_hapt.load_experiment(data / "uci_hapt", exp)
        yield "UCI HAPT", tuning_half(exp.user), f"HAPT exp {exp.exp}", *bends_found(rec.block, rec.meta)


def simulated_days() -> list[tuple[str, float, int, int]]:
    """(scenario, hours, bends, bends added by the detector) of simulated 1 h days, 2 seeds each, as
    imported. The simulator moves the hips in sitting and squatting, but its squats lean the trunk
    past the bend start (bends already) and it has no knee-only lift: a check that nothing is added."""
    out = []
    for scenario in ("office", "warehouse"):
        bends = added = 0
        for seed in range(2):
            sim = simulate(scenario, seed=seed, duration_s=3600.0)
            events, _, found = bends_found(sim.block, sim.meta)
            bends, added = bends + sum(e.type == "bend" for e in events), added + found
        out.append((scenario, 2.0, bends, added))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_shared_data(ROOT))
    args = ap.parse_args()
    require_shared_data(args.data)
    upright: dict = {}
    hours: dict = {}
    changes: dict = {}
    lifts: dict = {}
    subject10 = []
    for group, tuning, name, events, fr, found in recordings(args.data):
        key = (group, "tuning" if tuning else "held out")
        dips, trans = movements(fr, events)
        upright.setdefault(key, []).extend(dips)
        changes.setdefault(key, []).extend(trans)
        lifts[key] = lifts.get(key, 0) + found
        hours[key] = hours.get(key, 0.0) + float(fr.t[-1] - fr.t[0]) / 3600.0
        if group == "UMAFall subject 10":
            subject10.append((name, sum(e.type == "bend" for e in events), found, dips))
    print(f"Upright movements (standing before, not reported as sitting down, <= {MAX_MOVEMENT_S:.0f} s, trunk within "
          f"{TRUNK_MAX_DEG:.0f} deg): pelvis dip in any {WINDOW_S:.0f} s window, m; and the squat lifts reported\n")
    print(f"| recordings | half | hours | movements | median | 90th percentile | most | >= {DEEP_M} m | bends added (squat lifts) | per hour |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for key in sorted(hours):
        v = np.array(upright.get(key, []))
        figures = f"{np.median(v):.2f} | {np.percentile(v, 90):.2f} | {v.max():.2f}" if len(v) else "- | - | -"
        print(f"| {key[0]} | {key[1]} | {hours[key]:.2f} | {len(v)} | {figures} | {int((v >= DEEP_M).sum())} | "
              f"{lifts[key]} | {lifts[key] / hours[key]:.2f} |")
    print("\nMovements the analysis reported as sitting down or standing up: pelvis dip, m (the deepest with "
          "the trunk's largest tilt over the movement)\n")
    print("| recordings | half | movements | median | most | the deepest three (trunk tilt, kind) |")
    print("|---|---|---|---|---|---|")
    for key in sorted(changes):
        v = changes[key]
        if v:
            d = np.array([x for x, _, _ in v])
            deep = ", ".join(f"{x:.2f} ({tilt:.0f} deg, {k})" for x, tilt, k in sorted(v, reverse=True)[:3])
            print(f"| {key[0]} | {key[1]} | {len(v)} | {np.median(d):.2f} | {d.max():.2f} | {deep} |")
    print("\nSimulated days (1 h, seeds 0-1, mounting withheld)\n")
    print("| scenario | hours | bends | added by the squat-lift detector |")
    print("|---|---|---|---|")
    for scenario, h, bends, added in simulated_days():
        print(f"| {scenario} | {h:.0f} | {bends} | {added} |")
    print("\nUMAFall subject 10 (held out), per trial\n")
    print("| trial | bends reported | added by the squat-lift detector | upright movements' dips, m |")
    print("|---|---|---|---|")
    for name, bends, found, dips in subject10:
        print(f"| {name} | {bends} | {found} | {', '.join(f'{d:.2f}' for d in dips) or '-'} |")


if __name__ == "__main__":
    main()
