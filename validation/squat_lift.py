"""Can a squat lift with an upright trunk (UMAFall subject 10) be found from the pelvis's vertical
displacement at the waist, without finding one where nobody squatted? The evidence behind issue 9's
UMAFall target (validation/posture.md).

    python validation/squat_lift.py [--data ../shared/data]     # ~1 min

Every trial of SisFall (D07, D12, D15, D16), UMAFall bending and UCI HAPT, analysed through the
user's path (``evaluate.as_imported``: what `sensorkit analyze FILE.csv` sees). Each vertical movement
the posture tracker sees (runs of vertical speed merged across short pauses, as ``posture.py`` finds
them) gets its pelvis dip: the vertical acceleration (gravity-aligned, from the analysis's own
features) double-integrated over every 2 s window, the drift removed by making velocity zero and
height equal at both ends of the window (linear detrend of velocity, then of height), and the deepest
down-and-back kept. Double integration of the lower trunk's vertical acceleration with drift removal
is the usual way to get the body's vertical displacement from one trunk sensor (Zijlstra & Hof 2003,
Gait Posture 18(2):1-10); a squat to the floor lowers the pelvis 0.30-0.50 m (``bending.py``).

Movements are counted where a detector could fire: standing before and after (as the analysis
reports it: not a sit-down or stand-up), at most MAX_MOVEMENT_S long (a pick-up takes a few
seconds), the trunk within TRUNK_MAX_DEG, and no bend reported over it (those are bends already).
Movements the analysis took as sitting down or standing up are shown apart, with the trunk's largest
tilt over them (sitting down leans it 25-45 deg): a squat misread as sitting down is one of them.
Printed per class and half (odd subjects tune, even are held out).
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
from sensorkit.signal.posture import VERTICAL_MERGE_S, VERTICAL_OFF, VERTICAL_ON

ROOT = Path(__file__).resolve().parents[1]
WINDOW_S = 2.0  # a squat's descent and rise at the waist: about 1 s each
STEP_S = 0.25
MAX_MOVEMENT_S = 10.0
TRUNK_MAX_DEG = 20.0  # the trunk-lean bands' lower limit: a squat lift that leans further is a bend
DEEP_M = 0.25  # between the squat's 0.30-0.50 m and the deepest movement elsewhere (tuning half)


def pelvis_dip(t: np.ndarray, vertical_acc: np.ndarray) -> float:
    """The deepest down-and-back (m) of the pelvis within any WINDOW_S window of the samples."""
    best, start = 0.0, float(t[0])
    cap = 2.0 * float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    while True:
        m = (t >= start) & (t <= start + WINDOW_S)
        tt, acc = t[m], vertical_acc[m]
        if len(tt) > 4:
            dt = np.minimum(np.diff(tt, prepend=tt[0]), cap)  # a gap adds one sample step, as height_change
            v = detrended(tt, np.cumsum(acc * dt))
            best = max(best, -float(detrended(tt, np.cumsum(v * dt)).min()))
        start += STEP_S
        if start + WINDOW_S > t[-1]:
            return best


def detrended(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``x`` minus the straight line through its ends: zero at both."""
    return x - x[0] - (x[-1] - x[0]) * (t - t[0]) / max(float(t[-1] - t[0]), 1e-9)


def posture_at(events: list, t: float) -> str | None:
    return next((e.fields["posture"] for e in events if e.type == "posture" and e.start <= t < e.end), None)


def movements(fr: Frame, events: list) -> tuple[list[float], list[tuple[float, float, str]]]:
    """Pelvis dips of the upright movements a detector could fire on, and (dip, largest trunk tilt,
    kind) of the movements the analysis reported as sitting down or standing up (module docstring)."""
    runs = RunTracker(VERTICAL_MERGE_S)
    moving = Hysteresis(VERTICAL_ON, VERTICAL_OFF).run(np.abs(fr.vertical_speed))
    bends = [(e.start, e.end) for e in events if e.type == "bend"]
    changes = [(e.start, e.end, e.fields["kind"]) for e in events if e.type == "transition"]
    upright, transitions = [], []
    for run in runs.feed(fr.t, moving) + runs.close():
        seg = fr.between(run.start - 0.5, run.end + 0.5)
        if len(seg) < 5:
            continue
        kinds = [k for s, e, k in changes if s <= run.end and e >= run.start]
        if kinds and kinds[0] in ("stand_to_sit", "sit_to_stand"):
            transitions.append((pelvis_dip(seg.t, seg.vertical_acc), float(np.abs(seg.flexion).max()), kinds[0]))
        elif kinds:
            continue
        elif (run.end - run.start <= MAX_MOVEMENT_S and np.abs(seg.flexion).max() < TRUNK_MAX_DEG
              and not any(s <= run.end and e >= run.start for s, e in bends)
              and posture_at(events, run.start - 0.5) == "standing"
              and posture_at(events, run.end + VERTICAL_MERGE_S) in ("standing", None)):
            upright.append(pelvis_dip(seg.t, seg.vertical_acc))
    return upright, transitions


def recordings(data: Path):
    """(class, half, name, events, features, hours) for every trial and HAPT experiment."""
    for kind, subject, name, trial in trials(data):
        loader = umafall if kind == "UMAFall" else sisfall
        events, features, _ = analysed(*loader.load_trial(trial))
        group = "UMAFall subject 10" if kind == "UMAFall" and subject == 10 else "UMAFall others" if kind == "UMAFall" else f"SisFall {kind}"
        yield group, tuning_half(subject), name, events, features
    for exp in uci_hapt.list_experiments(data / "uci_hapt"):
        rec = uci_hapt.load_experiment(data / "uci_hapt", exp)
        events, features, _ = analysed(rec.block, rec.meta)  # one block: the history keeps all of it
        yield "UCI HAPT", tuning_half(exp.user), f"HAPT exp {exp.exp}", events, features


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_shared_data(ROOT))
    args = ap.parse_args()
    require_shared_data(args.data)
    upright: dict = {}
    hours: dict = {}
    changes: dict = {}
    subject10 = []
    for group, tuning, name, events, fr in recordings(args.data):
        key = (group, "tuning" if tuning else "held out")
        dips, trans = movements(fr, events)
        upright.setdefault(key, []).extend(dips)
        changes.setdefault(key, []).extend(trans)
        hours[key] = hours.get(key, 0.0) + float(fr.t[-1] - fr.t[0]) / 3600.0
        if group == "UMAFall subject 10":
            subject10.append((name, any(e.type == "bend" for e in events), dips, trans))
    print(f"Upright movements (standing before and after, <= {MAX_MOVEMENT_S:.0f} s, trunk within {TRUNK_MAX_DEG:.0f} deg, "
          f"no bend over them): pelvis dip in any {WINDOW_S:.0f} s window, m\n")
    print(f"| recordings | half | hours | movements | median | 90th percentile | most | >= {DEEP_M} m | per hour |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key in sorted(hours):
        v = np.array(upright.get(key, []))
        deep = int((v >= DEEP_M).sum())
        figures = f"{np.median(v):.2f} | {np.percentile(v, 90):.2f} | {v.max():.2f}" if len(v) else "- | - | -"
        print(f"| {key[0]} | {key[1]} | {hours[key]:.2f} | {len(v)} | {figures} | {deep} | {deep / hours[key]:.2f} |")
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
    print("\nUMAFall subject 10 (held out), per trial\n")
    print("| trial | bend reported | upright movements' dips, m | reported as a change of posture |")
    print("|---|---|---|---|")
    for name, bend, dips, trans in subject10:
        print(f"| {name} | {'yes' if bend else 'no'} | {', '.join(f'{d:.2f}' for d in dips) or '-'} | "
              f"{', '.join(f'{k} (dip {d:.2f} m, trunk {tilt:.0f} deg)' for d, tilt, k in trans) or '-'} |")


if __name__ == "__main__":
    main()
