"""Reproduce the walking validation figures (validation/gait.md).

    python validation/gait.py                 # our detector on every reference
    python validation/gait.py --with-mobgap   # + mobgap's Mobilise-D pipelines (pip install -e ".[compare]")

Every figure comes from ``sensorkit.signal.gait.scoring``, the same code for our rows and mobgap's.
Data: ``../shared/data`` (or ``$SENSORKIT_SHARED_DATA``); see that folder's README for the sources.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sensorkit.datasets import mobgap_lab, uci_hapt, voisard
from sensorkit.datasets.location import default_shared_data, require_shared_data
from sensorkit.samples import SampleBlock
from sensorkit.signal.gait import BoutParams, GaitDetector
from sensorkit.signal.gait.bouts import cadence_spm
from sensorkit.signal.gait.scoring import (Counts, match_bouts, match_contacts, pair_bouts, step_count_error,
                                           walking_time)

ROOT = Path(__file__).resolve().parents[1]
SHARED = default_shared_data(ROOT)


@dataclass
class Detection:
    """What a detector found in one recording: bouts (s) and the initial contacts inside them (s)."""

    bouts: list[tuple[float, float]]
    contacts: np.ndarray
    seconds: float = 0.0
    fields: list[dict] = field(default_factory=list)  # per bout: stride_length_m, speed_mps


def run_ours(block: SampleBlock, rate_hz: float, height_m: float | None = None, **_: object) -> Detection:
    t0 = time.perf_counter()
    det = GaitDetector(rate_hz, bout_params=BoutParams(height_m=height_m), record_contacts=True)
    events = det.update(block) + det.finish()
    contacts = np.concatenate([c for c, _ in det.contacts]) if det.contacts else np.empty(0)
    return Detection([(e.start, e.end) for e in events], contacts, time.perf_counter() - t0,
                     [e.fields for e in events])


def mobgap_runner(impaired: bool):
    """A runner for mobgap's MobilisedPipelineHealthy / Impaired, or None when mobgap is not installed.

    mobgap wants a DataFrame in its sensor frame (x up, y right, z forward; m/s^2 and deg/s) and the
    participant's height, sensor height and cohort. Its ICs are taken from the strides of its final
    walking bouts, the same definition as ours (contacts inside bouts).
    """
    try:
        import pandas as pd
        from mobgap.data import GaitDatasetFromData
        from mobgap.pipeline import MobilisedPipelineHealthy, MobilisedPipelineImpaired
    except ImportError:
        return None
    pipeline_cls = MobilisedPipelineImpaired if impaired else MobilisedPipelineHealthy

    def run(block: SampleBlock, rate_hz: float, height_m: float | None = None,
            sensor_height_m: float | None = None, cohort: str = "HA", **_: object) -> Detection:
        height_m = height_m or 1.7  # mobgap needs one; only its stride length depends on it
        gyr = np.rad2deg(block.gyr)
        df = pd.DataFrame({"acc_x": block.acc[:, 0], "acc_y": block.acc[:, 1], "acc_z": block.acc[:, 2],
                           "gyr_x": gyr[:, 0], "gyr_y": gyr[:, 1], "gyr_z": gyr[:, 2]})
        meta = {"height_m": height_m, "sensor_height_m": sensor_height_m or 0.53 * height_m, "cohort": cohort}
        ds = GaitDatasetFromData({("p",): {"LowerBack": df}}, float(rate_hz), {("p",): meta},
                                 {("p",): {"measurement_condition": "laboratory"}})
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = pipeline_cls().safe_run(ds[0])
        seconds = time.perf_counter() - t0
        wb = p.per_wb_parameters_
        strides = p.per_stride_parameters_
        to_t = lambda i: block.t[np.clip(np.asarray(i, dtype=int), 0, len(block) - 1)]  # noqa: E731
        bouts = list(zip(to_t(wb["start"]).tolist(), to_t(wb["end"]).tolist())) if len(wb) else []
        ics = np.unique(np.concatenate([strides["start"].to_numpy(), strides["end"].to_numpy()])) if len(strides) else []
        fields = [{"stride_length_m": float(a), "speed_mps": float(b)}
                  for a, b in zip(wb.get("stride_length_m", []), wb.get("walking_speed_mps", []))]
        return Detection(bouts, to_t(ics) if len(ics) else np.empty(0), seconds, fields)

    return run


@dataclass
class LabRow:
    contacts: Counts = field(default_factory=lambda: Counts(0, 0, 0))
    time: Counts = field(default_factory=lambda: Counts(0, 0, 0))
    bouts: Counts = field(default_factory=lambda: Counts(0, 0, 0))
    errors: list[float] = field(default_factory=list)
    seconds: float = 0.0
    stride_errors: list[float] = field(default_factory=list)
    speed_errors: list[float] = field(default_factory=list)


def score_mobgap_lab(runner) -> LabRow:
    """Contacts within +-250 ms, walking-time overlap and bouts (>= 50 % overlap) against INDIP."""
    root = SHARED / "mobgap_lab_example"
    row = LabRow()
    for trial in mobgap_lab.list_trials(root):
        rec = mobgap_lab.load_trial(root, trial)
        info = rec.participant
        d = runner(rec.block, rec.meta.rate_hz, height_m=info.get("height_m", 1.7),
                   sensor_height_m=info.get("sensor_height_m"), cohort=info.get("cohort", "HA"))
        c, err = match_contacts(d.contacts, rec.reference.initial_contacts)
        row.contacts += c
        row.errors += list(np.abs(err))
        row.time += walking_time(d.bouts, rec.reference.bouts)
        row.bouts += match_bouts(d.bouts, rec.reference.bouts)
        row.seconds += d.seconds
        for k, j in pair_bouts(d.bouts, rec.reference.bouts):
            ours, ref = d.fields[k], rec.reference.bout_fields[j]
            if "stride_length_m" in ours:
                row.stride_errors.append(abs(ours["stride_length_m"] - ref["stride_length_m"]))
                row.speed_errors.append(abs(ours["speed_mps"] - ref["speed_mps"]))
    return row


def score_voisard(runner=run_ours) -> dict:
    """Per trial: our contacts inside the trial against the footstep heel strikes.

    The window is [first toe-off, last heel strike + 250 ms]: no heel strike can precede the first
    toe-off, and 250 ms is the contact-matching tolerance used everywhere else.
    """
    root = SHARED / "voisard_gait_L5"
    step_err, cad_err, distance = [], [], []
    for name in voisard.list_trials(root):
        rec = voisard.load_trial(root, name)
        d = runner(rec.block, rec.meta.rate_hz, height_m=rec.meta.extra["height_m"])
        t0, t1 = rec.reference.bouts[0]
        mine = d.contacts[(d.contacts >= t0) & (d.contacts <= t1 + 0.25)]
        ref = rec.reference.initial_contacts
        step_err.append(step_count_error(len(mine), len(ref)))
        cad_err.append(cadence_spm(mine) - cadence_spm(ref))
        lengths = [f["stride_length_m"] / 2 for f, (a, b) in zip(d.fields, d.bouts)
                   if "stride_length_m" in f and a <= t1 and b >= t0]
        if lengths:  # the walk is 10 m, a U-turn, 10 m back: about 20 m
            distance.append(float(np.mean(lengths)) * len(mine))
    s, c = np.abs(step_err), np.abs(cad_err)
    return {"trials": len(s), "step_median_abs_pct": 100 * float(np.median(s)),
            "step_mean_pct": 100 * float(np.mean(step_err)), "steps_exact": float(np.mean(s == 0)),
            "cadence_median_abs_spm": float(np.nanmedian(c)), "cadence_mean_abs_spm": float(np.nanmean(c)),
            "distance_median_m": float(np.median(distance)) if distance else float("nan"),
            "distance_iqr_m": tuple(np.percentile(distance, [25, 75])) if distance else (np.nan, np.nan)}


def score_uci(runner=run_ours) -> Counts:
    """Walking time (walking and stairs) against the video labels, inside labelled segments only."""
    root = SHARED / "uci_hapt"
    total = Counts(0, 0, 0)
    for exp in uci_hapt.list_experiments(root):
        rec = uci_hapt.load_experiment(root, exp)
        d = runner(rec.block, rec.meta.rate_hz)
        seg = rec.segments
        labelled = list(zip(seg.start_s, seg.end_s))
        walking = [(a, b) for a, b, i in zip(seg.start_s, seg.end_s, seg.activity_id)
                   if i in uci_hapt.WALKING_ACTIVITIES]
        total += walking_time(d.bouts, walking, valid=labelled)
    return total


def score_sides() -> dict[str, tuple[float, int]]:
    """Our left/right labels on contacts matched (+-250 ms) to a reference contact, per dataset."""
    out = {}
    sets = {"mobgap lab (INDIP)": [mobgap_lab.load_trial(SHARED / "mobgap_lab_example", tr)
                                   for tr in mobgap_lab.list_trials(SHARED / "mobgap_lab_example")],
            "Voisard (foot sensors)": [voisard.load_trial(SHARED / "voisard_gait_L5", n)
                                       for n in voisard.list_trials(SHARED / "voisard_gait_L5")]}
    for name, recs in sets.items():
        agree = total = 0
        for rec in recs:
            ref = rec.reference
            if not ref.steps:
                continue
            det = GaitDetector(rec.meta.rate_hz, record_contacts=True)
            det.update(rec.block)
            det.finish()
            for times, sides in det.contacts:
                k = np.searchsorted(ref.initial_contacts, times).clip(1, ref.steps - 1) if ref.steps > 1 else 0
                for t, side, j in zip(times, sides, np.atleast_1d(k)):
                    best = min((j - 1, j), key=lambda i: abs(ref.initial_contacts[i] - t)) if ref.steps > 1 else 0
                    if abs(ref.initial_contacts[best] - t) <= 0.25:
                        total += 1
                        agree += ref.ic_sides[best] == side
        out[name] = (agree / total if total else float("nan"), total)
    return out


def lab_table(rows: dict[str, LabRow]) -> str:
    lines = ["| detector | IC precision | IC recall | IC F1 | IC abs error (ms) | walking-time precision | "
             "walking-time recall | bouts found (recall) | bout precision | bout F1 | stride length abs error (m) | "
             "speed abs error (m/s) | run time (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r.contacts.precision:.3f} | {r.contacts.recall:.3f} | {r.contacts.f1:.3f} | "
            f"{1000 * np.mean(r.errors):.0f} | {r.time.precision:.3f} | {r.time.recall:.3f} | "
            f"{r.bouts.recall:.2f} | {r.bouts.precision:.2f} | {r.bouts.f1:.2f} | "
            f"{np.mean(r.stride_errors):.3f} (n={len(r.stride_errors)}) | {np.mean(r.speed_errors):.3f} | "
            f"{r.seconds:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--with-mobgap", action="store_true", help="add mobgap's rows (needs the [compare] extra)")
    args = ap.parse_args(argv)
    require_shared_data(SHARED)
    rows = {"sensorkit": score_mobgap_lab(run_ours)}
    healthy = None
    if args.with_mobgap:
        healthy, impaired = mobgap_runner(False), mobgap_runner(True)
        if healthy is None:
            print("mobgap is not installed: pip install -e '.[compare]'", file=sys.stderr)
        else:
            rows["mobgap MobilisedPipelineHealthy"] = score_mobgap_lab(healthy)
            rows["mobgap MobilisedPipelineImpaired"] = score_mobgap_lab(impaired)
    print("## mobgap lab example (INDIP reference, 9 trials, 3 participants)\n")
    print(lab_table(rows))
    runners = {"sensorkit": run_ours}
    if args.with_mobgap and healthy is not None:
        runners["mobgap MobilisedPipelineHealthy"] = healthy
    print("\n## Voisard L5 (70 trials) and UCI HAPT (walking + stairs, labelled segments)\n")
    print("| detector | step count median abs error (%) | mean error (%) | trials exact | "
          "cadence median abs error (steps/min) | distance per ~20 m trial, median (IQR) | "
          "UCI walking-time precision | UCI recall |")
    print("|---|---|---|---|---|---|---|---|")
    for name, runner in runners.items():
        v, u = score_voisard(runner), score_uci(runner)
        print(f"| {name} | {v['step_median_abs_pct']:.1f} | {v['step_mean_pct']:+.1f} | "
              f"{100 * v['steps_exact']:.0f} % | {v['cadence_median_abs_spm']:.2f} | "
              f"{v['distance_median_m']:.1f} m ({v['distance_iqr_m'][0]:.1f}-{v['distance_iqr_m'][1]:.1f}) | "
              f"{u.precision:.3f} | "
              f"{u.recall:.3f} |")
    sides = score_sides()
    print("\nleft/right (ours, gyroscope): " + "; ".join(
        f"{name} {100 * acc:.0f} % of {n} matched contacts" for name, (acc, n) in sides.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
