"""Cues that might tell a lie-down from a deep stoop, and an upright squat lift from other movements
of the hips, with no forward known: the figures behind the lying rules of ``signal/posture.py`` and
the targets of issue 9 (validation/posture.md).

    python validation/lying_cues.py [--data ../shared/data]

Every SisFall trial of D12 (sit, lie, sit), D16 (stoop), D15 (squat) and D07 (sit down and up), and
every UMAFall bending trial, analysed through the user's path (``evaluate.as_imported``: what
`sensorkit analyze FILE.csv` sees); the cues are measured on the posture features the analysis
itself used (its history), over each trial's deepest excursion: from the last moment within
LYING_FROM_DEG of upright before it to the first after it, as ``lay_and_got_up`` sees it. Printed per
class and half (odd subjects tune, even are held out), then each miss. Last, the hips' dip of every
upright vertical movement (the tracker's runs of vertical speed, trunk within the bend start
throughout) in those trials and in UCI HAPT, where nobody was asked to squat: could a squat lift
with an upright trunk (UMAFall subject 10) be found from the waist?
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from sensorkit.datasets import sisfall, uci_hapt, umafall
from sensorkit.datasets.location import default_shared_data, require_shared_data
from sensorkit.signal.alignment import alignment_for
from sensorkit.signal.evaluate import as_imported, tuning_half
from sensorkit.signal.features import Frame
from sensorkit.signal.pipeline import Pipeline
from sensorkit.signal.episodes import Hysteresis, RunTracker
from sensorkit.signal.posture import (BRIEF_LYING_S, GOT_UP_HOLD_S, LYING_EXIT_MARGIN_DEG, LYING_FROM_DEG,
                                      MAX_TRANSITION_S, VERTICAL_MERGE_S, VERTICAL_OFF, VERTICAL_ON, out_of_plane,
                                      settled_like_lying)

ROOT = Path(__file__).resolve().parents[1]
CUES = ("lying angle on to off s", "past lying angle s", "median inclination deg", "tilt direction spread deg", "across the tilt plane m/s^2",
        "movement while down m/s^2", "heading turn deg", "hip dip m/s^2")


def hip_dip(vertical: np.ndarray) -> float:
    """The largest L such that the vertical acceleration (0.25 s means) falls below -L, then rises
    above L, then falls below -L again: the hips went down and came back up (a squat, or a sit
    brief enough to be one movement)."""
    if len(vertical) < 3:
        return 0.0
    before = np.minimum.accumulate(vertical)
    after = np.minimum.accumulate(vertical[::-1])[::-1]
    return max(0.0, float(max(min(-before[j - 1], vertical[j], -after[j + 1]) for j in range(1, len(vertical) - 1))))


def quarter_means(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    bins = np.floor((t - t[0]) / 0.25).astype(int)
    return np.bincount(bins, x) / np.maximum(np.bincount(bins), 1)


def upright_dips(fr: Frame, bend_start_deg: float) -> list[float]:
    """The hips' dip of each vertical movement (as the posture tracker finds them) no longer than
    MAX_TRANSITION_S with the trunk within ``bend_start_deg`` throughout, against the vertical
    acceleration of the second before it."""
    runs = RunTracker(VERTICAL_MERGE_S)
    moving = Hysteresis(VERTICAL_ON, VERTICAL_OFF).run(np.abs(fr.vertical_speed))
    dips = []
    for run in runs.feed(fr.t, moving) + runs.close():
        seg, before = fr.between(run.start - 0.5, run.end + 0.5), fr.between(run.start - 1.5, run.start - 0.5)
        if run.end - run.start <= MAX_TRANSITION_S and len(seg) > 4 and np.abs(seg.flexion).max() < bend_start_deg:
            base = float(np.median(before.vertical_acc)) if len(before) else 0.0
            dips.append(hip_dip(quarter_means(seg.t, seg.vertical_acc - base)))
    return dips


def cues(fr: Frame, lying_deg: float) -> dict[str, float]:
    """The cues of one trial's features (see the module docstring); NaN where it never got so deep."""
    out = dict.fromkeys(CUES, float("nan"))
    out["hip dip m/s^2"] = hip_dip(quarter_means(fr.t, fr.vertical_acc))
    deep = fr.inclination > lying_deg
    if not deep.any():
        return out
    peak = int(np.argmax(fr.inclination))
    a0, a1 = peak, peak
    while a0 > 0 and fr.inclination[a0] >= LYING_FROM_DEG:
        a0 -= 1
    while a1 < len(fr) - 1 and fr.inclination[a1] >= LYING_FROM_DEG:
        a1 += 1
    seg = fr.slice(a0, a1 + 1)
    edges = Hysteresis(lying_deg, lying_deg - LYING_EXIT_MARGIN_DEG).run(seg.inclination)
    out["lying angle on to off s"] = float(seg.t[edges][-1] - seg.t[edges][0]) if edges.any() else 0.0
    down = seg.inclination > lying_deg
    dt = np.diff(seg.t, prepend=seg.t[0])
    out["past lying angle s"] = float(dt[down].sum())
    out["median inclination deg"] = float(np.median(seg.inclination[down]))
    out["tilt direction spread deg"], out["across the tilt plane m/s^2"] = out_of_plane(seg)
    out["movement while down m/s^2"] = float(np.median(seg.movement[down]))
    out["heading turn deg"] = float(np.sum(np.abs(seg.heading_rate) * dt))
    return out


def analysed(block, meta) -> tuple[list, Frame, Pipeline]:
    """Events and the posture features of one trial (its history holds them all: trials are short),
    through the user's path."""
    meta = as_imported(block, meta)
    pipe = Pipeline(meta.rate_hz, alignment_for(block, meta), gait=False)
    events = pipe.update(block) + pipe.finish()
    return events, pipe.posture.history.between(-np.inf, np.inf), pipe


def trials(data: Path) -> list[tuple[str, int, str, object]]:
    """(class, subject number, name, loader trial) for every trial used."""
    out = [(t.code, int(t.subject[2:]), t.path.name.split(".")[0], t)
           for t in sisfall.list_trials(data / "sisfall_waist", ("D12", "D16", "D15", "D07"))]
    return out + [("UMAFall", t.subject, f"subject {t.subject} {t.path.name.split('_')[4]}_{t.path.name.split('_')[5]}", t)
                  for t in umafall.list_trials(data / "umafall_bending")]


def found(kind: str, events: list) -> bool:
    """The trial's own activity found: lying for D12, a bend for the bending trials, else n/a (True)."""
    if kind == "D12":
        return sum(e.duration for e in events if e.type == "posture" and e.fields["posture"] == "lying") > 1.0
    if kind in ("D16", "UMAFall"):
        return any(e.type == "bend" for e in events)
    return True


def spread(values: list[float]) -> str:
    v = np.array([x for x in values if np.isfinite(x)])
    return "-" if not len(v) else f"{np.median(v):.2f} [{v.min():.2f}-{v.max():.2f}]"


def judged(c: dict[str, float]) -> bool:
    """Whether the deepest excursion is judged whole and meets that rule's hold and settling
    conditions (``PostureTracker._judge_excursion``, ``lay_and_got_up``): then only the two
    out-of-plane cues decide it."""
    held = c["lying angle on to off s"] >= BRIEF_LYING_S and c["past lying angle s"] >= GOT_UP_HOLD_S
    return bool(held and settled_like_lying(np.array([c["median inclination deg"]])))


def table(rows: list, keep) -> None:
    print("| class | half | trials | " + " | ".join(CUES) + " |")
    print("|---|---|---|" + "---|" * len(CUES))
    for kind in ("D12", "D16", "D15", "D07", "UMAFall"):
        for half in ("tuning", "held out"):
            chosen = [c for k, h, _, _, c in rows if k == kind and h == half and keep(c)]
            if chosen:
                print(f"| {kind} | {half} | {len(chosen)} | " + " | ".join(spread([c[q] for c in chosen]) for q in CUES) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_shared_data(ROOT))
    args = ap.parse_args()
    require_shared_data(args.data)
    rows, dips = [], {}
    for kind, subject, name, trial in trials(args.data):
        loader = umafall if kind == "UMAFall" else sisfall
        events, features, pipe = analysed(*loader.load_trial(trial))
        half = "tuning" if tuning_half(subject) else "held out"
        rows.append((kind, half, name, found(kind, events), cues(features, pipe.profile.lying_inclination_deg)))
        group = "UMAFall subject 10" if kind == "UMAFall" and subject == 10 else kind
        dips.setdefault((group, half), []).extend(upright_dips(features, pipe.profile.bend_start_deg))
    for exp in uci_hapt.list_experiments(args.data / "uci_hapt"):
        rec = uci_hapt.load_experiment(args.data / "uci_hapt", exp)
        _, features, pipe = analysed(rec.block, rec.meta)  # fed as one block: the history keeps all of it
        half = "tuning" if tuning_half(exp.user) else "held out"
        dips.setdefault(("UCI HAPT", half), []).extend(upright_dips(features, pipe.profile.bend_start_deg))
    table(rows, lambda c: True)
    print("\nMedian [least-most]; the first six over each trial's deepest excursion (trials past the lying "
          "angle only), the hip dip over the whole trial.\n\nTrials whose deepest excursion met the whole-excursion "
          "rule's hold and settling conditions (at least 3 s between the lying angle's edges, 2 s past it, median "
          "60-100 deg: `posture.lay_and_got_up`; the two out-of-plane cues decide them):\n")
    table(rows, judged)
    print("\nMisses (the trial's own activity not found):\n")
    print("| trial | half | " + " | ".join(CUES) + " |")
    print("|---|---|" + "---|" * len(CUES))
    for kind, half, name, ok, c in rows:
        if not ok:
            print(f"| {name} | {half} | " + " | ".join(f"{c[q]:.1f}" for q in CUES) + " |")
    print("\nUpright vertical movements (trunk within the bend start): the hips' dip, m/s^2\n")
    print("| recordings | half | movements | median | 90th percentile | most | as deep as subject 10's deepest |")
    print("|---|---|---|---|---|---|---|")
    deepest = max(max(v) for (g, _), v in dips.items() if g == "UMAFall subject 10" and v)
    for (group, half), v in sorted(dips.items()):
        if v:
            print(f"| {group} | {half} | {len(v)} | {np.median(v):.2f} | {np.percentile(v, 90):.2f} | {max(v):.2f} | "
                  f"{sum(d >= deepest for d in v)} |")


if __name__ == "__main__":
    main()
