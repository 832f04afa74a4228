"""Scoring against ground truth: event matching and F1, per-sample confusion matrices, angle errors.

The same functions serve the tests, ``validation/posture.py`` and anyone comparing a new algorithm,
so a figure in the README means one thing. Matching rule: a detected event matches a reference
event of the same type when their intervals overlap by at least ``min_overlap`` of the shorter one
(each event matched at most once, best overlap first). Per-sample scores count only samples where the
reference has a label of interest. Detections inside the reference's ``calibration`` events (the
guided calibration routine, whose slow bend is not part of the monitored day) are not scored
(:func:`outside`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sensorkit.events import Event


@dataclass
class MatchResult:
    pairs: list[tuple[Event, Event]] = field(default_factory=list)  # (reference, detected)
    missed: list[Event] = field(default_factory=list)
    extra: list[Event] = field(default_factory=list)

    @property
    def precision(self) -> float:
        n = len(self.pairs) + len(self.extra)
        return len(self.pairs) / n if n else 1.0

    @property
    def recall(self) -> float:
        n = len(self.pairs) + len(self.missed)
        return len(self.pairs) / n if n else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: "MatchResult") -> "MatchResult":
        return MatchResult(self.pairs + other.pairs, self.missed + other.missed, self.extra + other.extra)


def _overlap(a: Event, b: Event) -> float:
    inter = min(a.end, b.end) - max(a.start, b.start)
    shorter = max(min(a.duration, b.duration), 1e-9)
    return inter / shorter


def match_events(reference: list[Event], detected: list[Event], min_overlap: float = 0.3) -> MatchResult:
    """One-to-one matching of two event lists (already filtered to one type) by interval overlap."""
    cands = []
    for i, r in enumerate(reference):
        for j, d in enumerate(detected):
            ov = _overlap(r, d)
            if ov >= min_overlap:
                cands.append((ov, i, j))
    cands.sort(reverse=True)
    used_r, used_d = set(), set()
    result = MatchResult()
    for _, i, j in cands:
        if i not in used_r and j not in used_d:
            used_r.add(i)
            used_d.add(j)
            result.pairs.append((reference[i], detected[j]))
    result.pairs.sort(key=lambda p: p[0].start)
    result.missed = [r for i, r in enumerate(reference) if i not in used_r]
    result.extra = [d for j, d in enumerate(detected) if j not in used_d]
    return result


def outside(detected: list[Event], spans: list[Event]) -> list[Event]:
    """``detected`` without the events that overlap any of ``spans`` (stretches left unscored)."""
    return [d for d in detected if not any(d.start < s.end and s.start < d.end for s in spans)]


def labels_from_events(t: np.ndarray, events: list[Event], key: str = "posture", default: str = "") -> np.ndarray:
    """Per-sample label from interval events carrying ``fields[key]`` (later events win on overlap)."""
    out = np.full(len(t), default, dtype=object)
    for e in events:
        i0, i1 = np.searchsorted(t, [e.start, e.end], side="left")
        out[i0:i1] = e.fields.get(key, default)
    return out


@dataclass
class Confusion:
    classes: list[str]
    matrix: np.ndarray  # rows: reference, columns: detected; sample counts
    unclassified: np.ndarray | None = None  # per reference class: samples detected as none of them

    @property
    def row_totals(self) -> np.ndarray:
        extra = self.unclassified if self.unclassified is not None else 0
        return self.matrix.sum(axis=1) + extra

    @property
    def per_class_recall(self) -> dict[str, float]:
        rows = self.row_totals
        return {c: float(self.matrix[i, i] / rows[i]) if rows[i] else float("nan")
                for i, c in enumerate(self.classes)}

    @property
    def balanced_accuracy(self) -> float:
        vals = [v for v in self.per_class_recall.values() if not np.isnan(v)]
        return float(np.mean(vals)) if vals else float("nan")

    @property
    def accuracy(self) -> float:
        total = self.row_totals.sum()
        return float(np.trace(self.matrix) / total) if total else float("nan")

    def __add__(self, other: "Confusion") -> "Confusion":
        assert self.classes == other.classes
        un = [c.unclassified if c.unclassified is not None else np.zeros(len(self.classes), np.int64)
              for c in (self, other)]
        return Confusion(self.classes, self.matrix + other.matrix, un[0] + un[1])

    def table(self) -> str:
        """Markdown table, rows = reference, columns = detected (counts as % of the row)."""
        head = "| reference \\ detected | " + " | ".join(self.classes) + " | recall |"
        lines = [head, "|" + "---|" * (len(self.classes) + 2)]
        rec = self.per_class_recall
        totals = self.row_totals
        for i, c in enumerate(self.classes):
            row = self.matrix[i]
            pct = [f"{100 * v / totals[i]:.1f}%" if totals[i] else "-" for v in row]
            lines.append(f"| {c} | " + " | ".join(pct) + f" | {100 * rec[c]:.1f}% |")
        return "\n".join(lines)


def confusion(reference: np.ndarray, detected: np.ndarray, classes: list[str]) -> Confusion:
    """Confusion matrix over samples whose reference label is one of ``classes``.

    A sample detected as something outside ``classes`` (e.g. no posture yet) counts in its row's
    total as a miss, so recall is never flattered by leaving samples unlabelled.
    """
    index = {c: i for i, c in enumerate(classes)}
    r = pd.Series(reference, dtype=object).map(index).fillna(-1).to_numpy(dtype=np.int64)
    d = pd.Series(detected, dtype=object).map(index).fillna(-1).to_numpy(dtype=np.int64)
    k = len(classes)
    keep = r >= 0
    m = np.zeros((k, k + 1), dtype=np.int64)
    np.add.at(m, (r[keep], np.where(d[keep] >= 0, d[keep], k)), 1)
    return Confusion(list(classes), m[:, :k], m[:, k])


def rms(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(np.sqrt(np.mean(x * x))) if len(x) else float("nan")
