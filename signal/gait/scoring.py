"""Scoring detected gait against a reference: the one piece of code that produces every accuracy figure.

The same functions score our detector and mobgap's pipeline, so the two rows of a comparison differ
only in the detector. Inputs are plain arrays of seconds and lists of ``(start, end)`` intervals.

- initial contacts: one-to-one matches within +-``tolerance_s`` (default 250 ms, as in Mobilise-D's
  validation), nearest pairs first; precision, recall, F1 and the mean absolute time error of matches.
- walking time: seconds that both call walking over seconds either calls walking, optionally only
  inside ``valid`` intervals (e.g. the labelled parts of a recording).
- bouts: a reference bout is found when a detected bout covers at least half of it and at least half of
  the detected bout lies in it (one-to-one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

Intervals = Sequence[tuple[float, float]]


@dataclass(frozen=True)
class Counts:
    """True positives, false positives, false negatives, with the usual ratios."""

    tp: float
    fp: float
    fn: float

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        d = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / d if d else float("nan")

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


def match_contacts(
    detected: np.ndarray, reference: np.ndarray, tolerance_s: float = 0.25
) -> tuple[Counts, np.ndarray]:
    """One-to-one matching, closest pairs first. Returns counts and the matched time errors (det - ref)."""
    det = np.sort(np.asarray(detected, dtype=float))
    ref = np.sort(np.asarray(reference, dtype=float))
    if len(det) == 0 or len(ref) == 0:
        return Counts(0, len(det), len(ref)), np.empty(0)
    # Candidate pairs within the tolerance only (a full distance matrix of a day's steps is gigabytes).
    lo = np.searchsorted(ref, det - tolerance_s, side="left")
    hi = np.searchsorted(ref, det + tolerance_s, side="right")
    i = np.repeat(np.arange(len(det)), hi - lo)
    j = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)]) if len(i) else np.empty(0, int)
    d = det[i] - ref[j]
    used_d, used_r, errors = set(), set(), []
    for k in np.argsort(np.abs(d), kind="stable"):
        a, b = int(i[k]), int(j[k])
        if a not in used_d and b not in used_r:
            used_d.add(a)
            used_r.add(b)
            errors.append(d[k])
    tp = len(errors)
    return Counts(tp, len(det) - tp, len(ref) - tp), np.asarray(errors)


def _merge(intervals: Intervals) -> np.ndarray:
    """Sorted, non-overlapping copy of the intervals as an (n, 2) array."""
    iv = sorted((float(a), float(b)) for a, b in intervals if b > a)
    out: list[list[float]] = []
    for a, b in iv:
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return np.asarray(out, dtype=float).reshape(-1, 2)


def _intersect(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = []
    for a, b in x:
        for c, d in y:
            lo, hi = max(a, c), min(b, d)
            if hi > lo:
                out.append((lo, hi))
    return np.asarray(out, dtype=float).reshape(-1, 2)


def _length(iv: np.ndarray) -> float:
    return float((iv[:, 1] - iv[:, 0]).sum()) if len(iv) else 0.0


def walking_time(detected: Intervals, reference: Intervals, valid: Intervals | None = None) -> Counts:
    """Walking time agreement in seconds (tp: both; fp: only detected; fn: only reference)."""
    det, ref = _merge(detected), _merge(reference)
    if valid is not None:
        v = _merge(valid)
        det, ref = _intersect(det, v), _intersect(ref, v)
    both = _length(_intersect(det, ref))
    return Counts(both, _length(det) - both, _length(ref) - both)


def pair_bouts(detected: Intervals, reference: Intervals, min_overlap: float = 0.5) -> list[tuple[int, int]]:
    """One-to-one (detected index, reference index) pairs whose overlap is >= ``min_overlap`` of both."""
    det = [(float(a), float(b)) for a, b in detected]
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for j, (c, d) in enumerate(reference):
        for k, (a, b) in enumerate(det):
            ov = min(b, d) - max(a, c)
            if k in used or ov <= 0:
                continue
            if ov >= min_overlap * (d - c) and ov >= min_overlap * (b - a):
                used.add(k)
                pairs.append((k, j))
                break
    return pairs


def match_bouts(detected: Intervals, reference: Intervals, min_overlap: float = 0.5) -> Counts:
    """Bouts found: one-to-one pairs whose overlap is >= ``min_overlap`` of both bouts."""
    tp = len(pair_bouts(detected, reference, min_overlap))
    return Counts(tp, len(detected) - tp, len(reference) - tp)


def step_count_error(detected: int, reference: int) -> float:
    """Relative step-count error, detected over reference minus one."""
    return detected / reference - 1.0 if reference else float("nan")
