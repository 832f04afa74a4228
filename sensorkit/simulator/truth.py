"""Ground truth of a simulated recording: what happened, in the schema `sensorkit analyze --json` uses.

Events (:class:`sensorkit.events.Event`; times in seconds on the recording's clock):

- ``posture``: maximal runs of one posture between transitions. ``posture`` is ``sitting``,
  ``standing`` (walking and bending happen within standing) or ``lying``, which also has
  ``lying_side``: ``supine``, ``prone``, ``left`` or ``right``.
- ``slouch``: a slouched stretch of sitting, from the middle of the slide into the slouch to the
  middle of the return; ``flexion_deg`` is the lumbar flexion change from the person's upright sitting.
- ``bend``: from the start of going down to the end of coming up; ``peak_flexion_deg`` (the maximum
  of the flexion truth below), ``style`` ``stoop`` or ``squat``, ``lift`` (bool), ``twist_deg``
  (axial rotation of the lower back at the bottom, absolute).
- ``walking_bout``: from the first to the last initial contact; ``steps`` (the number of initial
  contacts) and ``cadence_spm`` (60 x (steps - 1) / duration).
- ``calibration``: the guided calibration routine (a still stand, then one slow forward bend), from
  the start of the stand to the end of the bend; ``stand_s``, ``bend_start``, ``peak_flexion_deg``.
  Its bend is not a ``bend`` event: scoring leaves detections inside it unscored.
- ``transition``: ``kind`` one of ``sit_to_stand``, ``stand_to_sit``, ``sit_to_lie``,
  ``lie_to_sit``, ``roll_over``.
- ``not_worn``: the sensor resting off the body (an ``off`` activity, :mod:`.desk`), from the end of
  taking it off to the start of putting it back on; ``duration_s``. No ``posture`` event covers an
  ``off`` activity: the person's posture is not what the sensor sees then.

Signals at the recording's sample times: ``flexion_deg`` (trunk flexion, + forward, relative to the
person's upright standing neutral) and ``lateral_bend_deg`` (+ to the right), stored at 0.01 deg
and wrapped to [-180, 180).
Steps: ``step_times`` (s) and ``step_sides`` (``L``/``R``). Mount: ``sensor_to_body`` maps sensor-frame
vectors to the project's body frame (vertical, forward, right); ``misalignment`` is the rotation of
the sensor away from its nominal mount (x up, y right, z forward). ``neutral``: the person's
standing inclination and upright-sitting flexion (deg).

Stored inside the recording as the ``ground_truth`` attachment: an ``.npz`` whose ``events_json`` and
``info_json`` entries hold the events and the rest as JSON.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Iterable, Iterator

import numpy as np

from ..errors import RecordingError
from ..events import Event
from .desk import not_worn_span
from .kinematics import TRANSITIONS, TrunkModel, settle_time
from .timeline import OFF, Segment

ATTACHMENT = "ground_truth"
ANGLE_RESOLUTION_DEG = 0.01


@dataclass
class GroundTruth:
    events: list[Event]
    t: np.ndarray
    flexion_deg: np.ndarray
    lateral_bend_deg: np.ndarray
    step_times: np.ndarray
    step_sides: np.ndarray
    sensor_to_body: np.ndarray
    misalignment: np.ndarray
    neutral: dict[str, float]
    info: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type: str) -> list[Event]:
        return [e for e in self.events if e.type == type]

    def to_npz(self, rate_hz: float) -> bytes:
        """Compact bytes: sample times as integer sample indices, angles as differences of integer
        hundredths of a degree (smooth signals: small differences, which compress ~5x better)."""
        buf = io.BytesIO()
        self.write_npz(buf, rate_hz, len(self.t), [np.rint(self.t * rate_hz).astype(np.int64)],
                       [to_cdeg(self.flexion_deg)], [to_cdeg(self.lateral_bend_deg)])
        return buf.getvalue()

    def write_npz(self, file: BinaryIO, rate_hz: float, count: int, sample_index: Iterable[np.ndarray],
                  flexion_cdeg: Iterable[np.ndarray], lateral_cdeg: Iterable[np.ndarray]) -> None:
        """The :meth:`to_npz` archive written to ``file`` with its three per-sample signals given as
        pieces (``count`` samples in all; angles from :func:`to_cdeg`), so a week of truth is written
        without ever being held whole (``sensorkit simulate`` streams it); ``t`` and the angles of
        ``self`` are not used."""
        with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            _npy(archive, "sample_index", np.int64, count, sample_index)
            _npy(archive, "flexion_cdeg_diff", np.int32, count, _diffs(flexion_cdeg))
            _npy(archive, "lateral_bend_cdeg_diff", np.int32, count, _diffs(lateral_cdeg))
            small = {
                "step_times": self.step_times.astype(np.float64),
                "step_sides": np.asarray(self.step_sides, dtype="<U1"),
                "sensor_to_body": self.sensor_to_body,
                "misalignment": self.misalignment,
                "events_json": np.array(json.dumps([e.to_json() for e in self.events])),
                "info_json": np.array(json.dumps({"rate_hz": rate_hz, "neutral": self.neutral, "info": self.info})),
            }
            for name, value in small.items():
                with archive.open(name + ".npy", "w", force_zip64=True) as entry:
                    np.lib.format.write_array(entry, np.asarray(value), allow_pickle=False)

    @classmethod
    def from_npz(cls, data: bytes) -> "GroundTruth":
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                info = json.loads(str(z["info_json"]))
                events = [Event.from_json(e) for e in json.loads(str(z["events_json"]))]
                return cls(
                    events=events,
                    t=z["sample_index"] / float(info["rate_hz"]),
                    flexion_deg=np.cumsum(z["flexion_cdeg_diff"]) * ANGLE_RESOLUTION_DEG,
                    lateral_bend_deg=np.cumsum(z["lateral_bend_cdeg_diff"]) * ANGLE_RESOLUTION_DEG,
                    step_times=z["step_times"],
                    step_sides=z["step_sides"],
                    sensor_to_body=z["sensor_to_body"],
                    misalignment=z["misalignment"],
                    neutral=info["neutral"],
                    info=info["info"],
                )
        except (ValueError, KeyError, OSError) as exc:
            raise RecordingError(f"the recording's ground truth is unreadable ({exc})") from exc


def to_cdeg(deg: np.ndarray) -> np.ndarray:
    """Angles as integer hundredths of a degree, wrapped to [-180, 180): how the truth stores them."""
    wrapped = (np.asarray(deg) + 180.0) % 360.0 - 180.0
    return np.rint(wrapped / ANGLE_RESOLUTION_DEG).astype(np.int32)


def _diffs(pieces: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """Differences along the concatenation of ``pieces`` (the first from zero), piece by piece."""
    last = np.int32(0)
    for piece in pieces:
        if len(piece):
            yield np.diff(piece, prepend=last)
            last = piece[-1]


def _npy(archive: zipfile.ZipFile, name: str, dtype: type, count: int, pieces: Iterable[np.ndarray]) -> None:
    """One ``.npy`` member of ``count`` values of ``dtype``, written piece by piece."""
    with archive.open(name + ".npy", "w", force_zip64=True) as entry:
        np.lib.format.write_array_header_1_0(
            entry, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": (count,)})
        written = 0
        for piece in pieces:
            entry.write(np.ascontiguousarray(piece, dtype=dtype).tobytes())
            written += len(piece)
    if written != count:
        raise ValueError(f"{name}: {written} values written where {count} were announced")


def load_ground_truth(reader: Any) -> GroundTruth | None:
    """The ground truth stored in an open :class:`~sensorkit.store.RecordingReader`, or None if it has none."""
    data = reader.attachment(ATTACHMENT)
    return None if data is None else GroundTruth.from_npz(data)


def truth_events(model: TrunkModel) -> list[Event]:
    """The events of a compiled timeline, sorted by start."""
    segs = model.segments
    events: list[Event] = []
    events += _posture_events(segs)
    for i, seg in enumerate(segs):
        if seg.kind in TRANSITIONS:
            events.append(Event("transition", seg.start, seg.end, {"kind": seg.kind}))
        elif seg.kind == "slouch":
            events.append(_slouch_event(segs, i))
        elif seg.kind == OFF:
            start, end = not_worn_span(seg.start, seg.end, seg.params)
            events.append(Event("not_worn", start, end, {"duration_s": round(end - start, 1)}))
        elif seg.kind == "bend" and seg.params.get("calibration"):
            events.append(_calibration_event(model, segs, i))
        elif seg.kind == "bend":
            dense = np.arange(seg.start, seg.end, 0.005)
            p = seg.params
            events.append(Event("bend", seg.start, seg.end, {
                "peak_flexion_deg": round(float(model.flexion_deg(dense).max()), 1),
                "style": p["style"], "lift": bool(p["lift"]), "twist_deg": round(abs(p["twist_deg"]), 1),
            }))
    for bout in model.bouts:
        start, end = float(bout.ics[0]), float(bout.ics[-1])
        events.append(Event("walking_bout", start, end, {
            "steps": int(len(bout.ics)), "cadence_spm": round(60.0 * (len(bout.ics) - 1) / (end - start), 1),
        }))
    return sorted(events, key=lambda e: (e.start, e.type))


def _posture_key(seg: Segment) -> tuple[str, str | None] | None:
    if seg.posture is None:
        return None
    return seg.posture, seg.params.get("side") if seg.posture == "lying" else None


def _posture_events(segs: list[Segment]) -> list[Event]:
    out: list[Event] = []
    run_start, key = 0.0, None
    for seg in segs + [Segment("end", segs[-1].end if segs else 0.0, 0.0)]:
        new = _posture_key(seg) if seg.kind != "end" else None
        if new != key:
            if key is not None:
                fields: dict[str, Any] = {"posture": key[0]}
                if key[1] is not None:
                    fields["lying_side"] = key[1]
                out.append(Event("posture", run_start, seg.start, fields))
            run_start, key = seg.start, new
    return out


def _calibration_event(model: TrunkModel, segs: list[Segment], i: int) -> Event:
    """The guided calibration: its still stand (when scripted just before) and its slow bend, as one
    event. Not a ``bend``: the routine is not part of the monitored day (a live session starts
    monitoring when it ends)."""
    seg = segs[i]
    stand = segs[i - 1] if i and segs[i - 1].params.get("calibration") else seg
    dense = np.arange(seg.start, seg.end, 0.005)
    return Event("calibration", stand.start, seg.end, {
        "stand_s": round(seg.start - stand.start, 2), "bend_start": round(seg.start, 3),
        "peak_flexion_deg": round(float(model.flexion_deg(dense).max()), 1),
    })


def _slouch_event(segs: list[Segment], i: int) -> Event:
    seg = segs[i]
    prev = segs[i - 1] if i else None
    nxt = segs[i + 1] if i + 1 < len(segs) else None
    start = seg.start + 0.5 * settle_time(prev, seg)
    end = seg.end if nxt is None else nxt.start + 0.5 * settle_time(seg, nxt)
    return Event("slouch", start, end, {"flexion_deg": round(float(seg.params["flexion_deg"]), 1)})
