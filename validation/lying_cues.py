"""Cues that might tell a lie-down from a deep stoop, and an upright squat lift from a brief sit, with
no forward known: the figures behind the lying rules of ``signal/posture.py`` and the targets of
issue 9 (validation/posture.md).

    python validation/lying_cues.py [--data ../shared/data]

Every SisFall trial of D12 (sit, lie, sit), D16 (stoop), D15 (squat) and D07 (sit down and up), and
every UMAFall bending trial, analysed through the user's path (``evaluate.as_imported``: what
`sensorkit analyze FILE.csv` sees); the cues are measured on the posture features the analysis
itself used (its history), over each trial's deepest excursion: from the last moment within
LYING_FROM_DEG of upright before it to the first after it, as ``lay_and_got_up`` sees it. Printed per
class and half (odd subjects tune, even are held out), then each miss.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from sensorkit.datasets import sisfall, umafall
from sensorkit.datasets.location import default_shared_data, require_shared_data
from sensorkit.signal.alignment import alignment_for
from sensorkit.signal.evaluate import as_imported, tuning_half
from sensorkit.signal.features import Frame
from sensorkit.signal.pipeline import Pipeline
from sensorkit.signal.episodes import Hysteresis
from sensorkit.signal.posture import (BRIEF_LYING_S, GOT_UP_HOLD_S, LYING_EXIT_MARGIN_DEG, LYING_FROM_DEG, out_of_plane,
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


def cues(fr: Frame, lying_deg: float) -> dict[str, float]:
    """The cues of one trial's features (see the module docstring); NaN where it never got so deep."""
    bins = np.floor((fr.t - fr.t[0]) / 0.25).astype(int)
    out = dict.fromkeys(CUES, float("nan"))
    out["hip dip m/s^2"] = hip_dip(np.bincount(bins, fr.vertical_acc) / np.maximum(np.bincount(bins), 1))
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


def analysed(block, meta) -> tuple[list, Frame, float]:
    """Events and the posture features of one trial, through the user's path."""
    meta = as_imported(block, meta)
    pipe = Pipeline(meta.rate_hz, alignment_for(block, meta), gait=False)
    events = pipe.update(block) + pipe.finish()
    history = pipe.posture.history
    return events, history.between(-np.inf, np.inf), pipe.profile.lying_inclination_deg


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
    rows = []
    for kind, subject, name, trial in trials(args.data):
        loader = umafall if kind == "UMAFall" else sisfall
        events, features, lying_deg = analysed(*loader.load_trial(trial))
        half = "tuning" if tuning_half(subject) else "held out"
        rows.append((kind, half, name, found(kind, events), cues(features, lying_deg)))
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


if __name__ == "__main__":
    main()
