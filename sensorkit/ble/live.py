"""The live analysis the collector feeds: committed samples -> :mod:`sensorkit.signal.pipeline`.

The pipeline needs the sensor-to-body alignment before its first sample. Live, there is no recording
yet to align from, so the first ``align_s`` seconds are buffered, aligned (a calibration in the
profile or the recording's metadata wins, as offline), and then fed; from there every committed block
goes straight through, so the live state lags the sensor only by the collector's own latency.

With a :class:`~sensorkit.signal.calibration.GuidedCalibration` (``calibration=``), the session starts
as a patient's does after pairing: the wearer is prompted (``on_prompt``) to stand still and bend
forward once, the routine is detected in the stream, its result handed to ``on_calibrated`` (to be
stored in the recording) and the pipeline starts right after it, aligned by it. Without a calibration
or a declared mounting, a live start has no other way to know which way is forward (flexion would
be the unsigned tilt); a failed routine says why and falls back to the automatic alignment.
What the alignment could not know (forward unknown, a sensor worn differently from its calibration)
goes to ``on_warning`` when the pipeline starts, so the wearer hears it while it can still be fixed.

Everything said during one ``feed`` (prompts, warnings, events, state changes) is handed on in time
order at its end: the pipeline starts on 20 s of buffered samples, so an alert at 0:00:16.7 comes out
of the same update as the warning and the state at 0:00:20.1 and must be shown before them.

The patient can ask for quiet (:meth:`LiveAnalysis.snooze`, :meth:`LiveAnalysis.pause`): the alert
policy holds alerts back meanwhile, and the request is an event of the recording.

Alongside the events, time spent in each live activity is accumulated for the end-of-session summary.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

import numpy as np

from ..events import Event
from ..samples import RecordingMeta, SampleBlock

Prompt = Callable[[float, str], None]


class LiveAnalysis:
    """A collector consumer: ``feed`` committed blocks, ``finish`` at the end; callbacks for the screen."""

    def __init__(
        self,
        meta: RecordingMeta | Callable[[], RecordingMeta],
        *,
        align_s: float = 20.0,
        profile: Any = None,
        calibration: Any = None,
        on_prompt: Prompt | None = None,
        on_calibrated: Callable[[dict[str, Any]], None] | None = None,
        on_warning: Prompt | None = None,
        on_state: Callable[[float, str], None] | None = None,
        on_event: Callable[[Event], None] | None = None,
    ):
        """``profile``: a :class:`~sensorkit.signal.profile.Profile` (thresholds, calibration, height);
        ``calibration``: a :class:`~sensorkit.signal.calibration.GuidedCalibration` to run first."""
        from ..signal.pipeline import Pipeline  # imported here: the signal core is heavier than the collector
        from ..signal.alignment import FORWARD_UNKNOWN, Mounting, alignment_for

        self._pipeline_cls, self._alignment_for, self._mounting = Pipeline, alignment_for, Mounting.from_meta
        self._forward_unknown = FORWARD_UNKNOWN
        self._meta = meta  # or a callable: the collector creates the recording at the first packet
        self.profile = profile
        self.calibration = calibration
        self.on_prompt = on_prompt
        self.on_calibrated = on_calibrated
        self.on_warning = on_warning
        self.align_s = align_s
        self.on_state = on_state
        self.on_event = on_event
        self.pipeline = None
        self.events: list[Event] = []
        self.activity_s: Counter[str] = Counter()
        self._buffer: list[SampleBlock] = []
        self._activity: str | None = None
        self._since: float | None = None
        self._early_policy = None  # a snooze or pause asked for before the pipeline started
        self._last_t: float | None = None
        self._said: list[tuple[float, int, Callable[..., None], Any]] = []  # held until the feed ends

    @property
    def meta(self) -> RecordingMeta:
        return self._meta() if callable(self._meta) else self._meta

    @property
    def state(self):
        return None if self.pipeline is None else self.pipeline.state

    @property
    def calibrating(self) -> bool:
        """True while the guided calibration is still waiting for the stand or the bend."""
        return self.calibration is not None and not self.calibration.finished

    def feed(self, block: SampleBlock) -> None:
        try:
            self._feed(block)
        finally:
            self._tell()

    def snooze(self, seconds: float | None = None) -> Event:
        """The patient asked for quiet: no alerts for ``seconds`` (default: the profile's ``snooze_s``)
        from the last sample seen; recorded as an ``alerts_snoozed`` event (stored with the recording)."""
        policy = self._policy()
        t = self._now()
        seconds = float(seconds if seconds is not None else getattr(self.profile, "snooze_s", 1800.0))
        policy.snooze(t, seconds)
        return self._record(Event("alerts_snoozed", t, t + seconds, {"seconds": seconds}))

    def pause(self) -> Event:
        """Pause alerts, or resume them if paused; recorded as ``alerts_paused`` / ``alerts_resumed``."""
        policy = self._policy()
        policy.pause(not policy.paused)
        t = self._now()
        return self._record(Event("alerts_paused" if policy.paused else "alerts_resumed", t, t, {}))

    def _policy(self):
        """The alert policy: the pipeline's once it runs; before that, one it will take over."""
        if self.pipeline is not None:
            return self.pipeline.posture.alerts
        if self._early_policy is None:
            from ..signal.alerts import AlertPolicy
            from ..signal.profile import Profile

            self._early_policy = AlertPolicy(self.profile or Profile())
        return self._early_policy

    def _now(self) -> float:
        return self._last_t if self._last_t is not None else 0.0

    def _record(self, event: Event) -> Event:
        self.events.append(event)
        self._say(event.start, self.on_event, event)
        self._tell()
        return event

    def _say(self, t: float, callback: Callable[..., None] | None, what: Any) -> None:
        if callback is not None:
            self._said.append((t, len(self._said), callback, what))

    def _tell(self) -> None:
        """Hand on what this feed said, oldest first (same time: in the order it was said)."""
        said, self._said = sorted(self._said, key=lambda s: s[:2]), []
        for t, _, callback, what in said:
            if isinstance(what, Event):
                callback(what)
            else:
                callback(t, what)

    def _feed(self, block: SampleBlock) -> None:
        if len(block) == 0:
            return
        self._last_t = float(block.t[-1])
        if self.calibrating:
            block = self._calibrate(block)
            if len(block) == 0:
                return
        if self.pipeline is None:
            self._buffer.append(block)
            if block.t[-1] - self._buffer[0].t[0] < self.align_s:
                return
            block = SampleBlock.concat(self._buffer)
            self._buffer = []
            cal = self.profile.calibration if self.profile is not None else None
            self._start(self._alignment_for(block, self.meta, cal), block.has_gyro, float(block.t[-1]))
        self._emit(self.pipeline.update(block))
        self._track(float(block.t[-1]))

    def _start(self, alignment: Any, has_gyro: bool, t: float) -> None:
        self.pipeline = self._pipeline_cls(self.meta.rate_hz, alignment, self.profile, has_gyro=has_gyro,
                                           start_time=self.meta.start_time)
        if self._early_policy is not None:  # keep what the patient asked for before it started
            policy = self.pipeline.posture.alerts
            policy.quiet_until, policy.paused = self._early_policy.quiet_until, self._early_policy.paused
        for warning in alignment.warnings:
            if not alignment.forward_known and warning.startswith(self._forward_unknown):
                warning += "; calibrate (sensorkit calibrate) so that bends and reclining can be told apart"
            self._say(t, self.on_warning, warning)

    def _calibrate(self, block: SampleBlock) -> SampleBlock:
        """Run the guided calibration on ``block``; returns the samples left for the pipeline."""
        guide = self.calibration
        if not guide.started:  # first samples: the sensor streams, the wearer can start
            guide.mounting = guide.mounting or self._mounting(self.meta)
            self._prompt(float(block.t[0]), guide.first_prompt())
        self._buffer.append(block)
        for text in guide.update(block):
            self._prompt(float(block.t[-1]), text)
        if not guide.finished:
            return SampleBlock.empty()
        held, self._buffer = SampleBlock.concat(self._buffer), []
        if guide.phase == "failed":
            self._prompt(float(block.t[-1]), guide.error or "calibration failed")
            return held  # aligned automatically, like a session without calibration
        if self.on_calibrated:
            self.on_calibrated(guide.document("live guided calibration", in_recording=True))
        self._start(guide.alignment, held.has_gyro, float(block.t[-1]))
        if self.pipeline.online_bias is not None:  # the routine's stand and bend show the offset too
            self.pipeline.online_bias.prime(held.between(-np.inf, guide.span[1]))
        return held.between(guide.span[1], np.inf)

    def _prompt(self, t: float, text: str) -> None:
        self._say(t, self.on_prompt, text)

    def finish(self) -> list[Event]:
        """Close open episodes; returns every event of the session in start order."""
        if self.calibrating:  # the stream ended in the middle of the routine
            self.calibration.fail("calibration failed: the session ended before the routine was complete")
            self._prompt(float(self._buffer[-1].t[-1]) if self._buffer else 0.0, self.calibration.error)
        if self.pipeline is None and self._buffer:  # shorter than align_s: align on what there is
            buffered, self._buffer = SampleBlock.concat(self._buffer), []
            self.align_s = 0.0
            self._feed(buffered)
        if self.pipeline is not None:
            self._emit(self.pipeline.finish())
            if self._since is not None and self.pipeline.state.t is not None:
                self.activity_s[self._activity or "unknown"] += max(0.0, self.pipeline.state.t - self._since)
        self._tell()
        return sorted(self.events, key=lambda e: (e.start, e.end, e.type))

    def _emit(self, events: list[Event]) -> None:
        self.events += events
        for event in events:
            self._say(event.start, self.on_event, event)

    def _track(self, t: float) -> None:
        activity = self.pipeline.state.activity
        if activity != self._activity:
            if self._since is not None:
                self.activity_s[self._activity or "unknown"] += t - self._since
            self._activity, self._since = activity, t
            self._say(t, self.on_state, activity)
