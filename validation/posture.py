"""Validation of posture, slouching and bending: every figure of validation/posture.md, recomputed.

    python validation/posture.py [--seeds 5] [--data ../shared/data]

Simulated recordings (ground truth from sensorkit.simulator, sensors misaligned up to 20 deg, MEMS
noise and bias) and the public labelled datasets in ../shared/data (UCI HAPT, SisFall, UMAFall).
Prints one markdown table plus the UCI HAPT confusion matrix. The scoring code is
sensorkit.signal.evaluate / sensorkit.signal.scoring, the same the tests use.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from sensorkit.signal.evaluate import evaluate_hapt, evaluate_simulation, evaluate_sisfall, evaluate_umafall
from sensorkit.signal.scoring import rms

ROOT = Path(__file__).resolve().parents[1]


def row(what: str, data: str, figure: str, target: str) -> str:
    return f"| {what} | {data} | {figure} | {target} |"


def simulated(seeds: range) -> list[str]:
    n = len(seeds)
    demo, bends, slouch = (evaluate_simulation(s, seeds) for s in ("demo", "bends", "slouch"))
    walk = evaluate_simulation("walk", seeds)
    acc_only = evaluate_simulation("bends", seeds, has_gyro=False)
    acc_only_demo = evaluate_simulation("demo", seeds, has_gyro=False)
    lossy = evaluate_simulation("demo", seeds, loss=0.05)
    days = [evaluate_simulation(s, seeds[:2], duration_s=3600.0) for s in ("office", "warehouse")]
    day_bends = days[0].bends + days[1].bends
    day_peaks = np.concatenate([d.peak_errors for d in days])
    pooled_bends = demo.bends + bends.bends
    peaks = np.concatenate([demo.peak_errors, bends.peak_errors])
    static = np.concatenate(demo.static_err + slouch.static_err + walk.static_err)
    dynamic = np.concatenate(demo.dynamic_err + bends.dynamic_err + walk.dynamic_err)
    sim = f"simulated demo+bends+slouch+walk, {n} seeds each"
    return [
        row("static trunk flexion error (standing, sitting)", sim, f"{rms(static):.2f} deg RMS", "<= 2 deg"),
        row("flexion error while walking and bending", sim, f"{rms(dynamic):.2f} deg RMS", "<= 5 deg"),
        row("bend events F1", f"simulated demo+bends, {n} seeds ({len(pooled_bends.pairs) + len(pooled_bends.missed)} bends)",
            f"{pooled_bends.f1:.3f} (P {pooled_bends.precision:.3f}, R {pooled_bends.recall:.3f})", ">= 0.95"),
        row("bend peak flexion error", "matched bends above", f"{rms(peaks):.2f} deg RMS, max {np.abs(peaks).max():.2f}", "<= 5 deg"),
        row("stoop vs squat (style) accuracy", f"simulated bends, {n} seeds", f"{bends.style_accuracy:.3f}", "where the signal allows"),
        row("slouch episodes F1", f"simulated demo+slouch, {n} seeds",
            f"{(demo.slouches + slouch.slouches).f1:.3f}", ">= 0.9"),
        row("transitions F1 (sit/stand/lie/roll)", f"simulated demo, {n} seeds", f"{demo.transitions.f1:.3f}", "-"),
        row("sit / stand / lie per-sample balanced accuracy", f"simulated demo, {n} seeds",
            f"{demo.posture.balanced_accuracy:.3f}", "-"),
        row("bend F1; peak error; slouch F1 (1 h workdays)",
            f"simulated office + warehouse, 1 h each, 2 seeds ({len(day_bends.pairs) + len(day_bends.missed)} bends)",
            f"{day_bends.f1:.3f}; {rms(day_peaks):.2f} deg RMS; {days[0].slouches.f1:.3f}", ">= 0.95; <= 5; >= 0.9"),
        row("with 5 % bursty packet loss: bend F1; peak error; slouch F1", f"simulated demo, {n} seeds",
            f"{lossy.bends.f1:.3f}; {rms(lossy.peak_errors):.2f} deg RMS; {lossy.slouches.f1:.3f}", "-"),
        row("accelerometer only: bend F1, peak error", f"simulated bends, {n} seeds, no gyroscope",
            f"{acc_only.bends.f1:.3f}, {rms(acc_only.peak_errors):.2f} deg RMS; flexion while bending "
            f"{acc_only.dynamic_rms:.1f} deg RMS", "fallback, reported"),
        row("accelerometer only: bend F1; slouch F1; sit/stand/lie", f"simulated demo, {n} seeds, no gyroscope",
            f"{acc_only_demo.bends.f1:.3f}; {acc_only_demo.slouches.f1:.3f}; "
            f"{acc_only_demo.posture.balanced_accuracy:.3f} balanced accuracy", "fallback, reported"),
    ]


def real(data: Path) -> tuple[list[str], str]:
    hapt = evaluate_hapt(data / "uci_hapt")
    rec = hapt.posture.per_class_recall
    sis = evaluate_sisfall(data / "sisfall_waist")
    subj_share, subjects, trial_share, pairs = sis.stoop_over_squat()
    d12 = sis.lying_s["D12"]
    uma = evaluate_umafall(data / "umafall_bending")
    hapt_data = f"UCI HAPT, {hapt.experiments} experiments, 50 Hz waist phone"
    rows = [
        row("lying detected (share of lying time)", hapt_data, f"{rec['lying']:.3f}", ">= 0.98"),
        row("sit / stand balanced accuracy (walking counts as standing)", hapt_data,
            f"{(rec['sitting'] + rec['standing']) / 2:.3f} (sitting {rec['sitting']:.3f}, standing {rec['standing']:.3f})",
            "as high as the signal allows"),
        row("sit / stand / lie balanced accuracy", hapt_data, f"{hapt.posture.balanced_accuracy:.3f}", "-"),
        row("postural transitions found (overlap >= 10 %)", hapt_data,
            f"recall {hapt.transitions.recall:.3f}, precision {hapt.transitions.precision:.3f}", "-"),
        row("stoop trials with a bend event", f"SisFall D16, {subjects} subjects x 5 trials, 200 Hz",
            f"{sis.with_bend['D16']} / {sis.trials['D16']}", "every trial"),
        row("stoop peak > squat peak, same subject", "SisFall D16 vs D15 (mean per subject)",
            f"{subj_share:.3f} of {subjects} subjects; {trial_share:.3f} of {pairs} same-trial pairs", ">= 0.9"),
        row("squat trials with a bend event", "SisFall D15", f"{sis.with_bend['D15']} / {sis.trials['D15']}", "-"),
        row("lying found in sit-lie-sit trials", "SisFall D12",
            f"{sum(s > 1.0 for s in d12)} / {len(d12)} trials (median {np.median(d12):.1f} s lying)", "-"),
        row("bending trials with a bend event", f"UMAFall, waist SensorTag ~{np.median(uma.rates_hz):.0f} Hz, irregular",
            f"{uma.with_bend} / {uma.trials}", "-"),
    ]
    return rows, hapt.posture.table()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    t0 = time.time()
    print("| what | data | figure | target |")
    print("|---|---|---|---|")
    for line in simulated(range(args.seeds)):
        print(line)
    rows, table = real(args.data)
    for line in rows:
        print(line)
    print("\nUCI HAPT per-sample confusion (rows: video label, columns: detected):\n")
    print(table)
    print(f"\n({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
