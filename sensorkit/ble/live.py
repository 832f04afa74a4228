"""The live analysis the collector feeds: committed samples -> :mod:`sensorkit.signal.pipeline`.

The pipeline needs the sensor-to-body alignment before its first sample. Live, there is no recording
yet to align from, so the first ``align_s`` seconds are buffered, aligned (a calibration in the
recording's metadata or profile wins, as offline), and then fed; from there every committed block
goes straight through, so the live state lags the sensor only by the collector's own latency.

Alongside the events, time spent in each live activity is accumulated for the end-of-session summary.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable

from ..events import Event
from ..samples import RecordingMeta, SampleBlock


class LiveAnalysis:
    """A collector consumer: ``feed`` committed blocks, ``finish`` at the end; callbacks for the screen."""

    def __init__(
        self,
        meta: RecordingMeta | Callable[[], RecordingMeta],
        *,
        align_s: float = 20.0,
        on_state: Callable[[float, str], None] | None = None,
        on_event: Callable[[Event], None] | None = None,
    ):
        from ..signal.pipeline import Pipeline  # imported here: the signal core is heavier than the collector
        from ..signal.alignment import alignment_for

        self._pipeline_cls, self._alignment_for = Pipeline, alignment_for
        self._meta = meta  # or a callable: the collector creates the recording at the first packet
        self.align_s = align_s
        self.on_state = on_state
        self.on_event = on_event
        self.pipeline = None
        self.events: list[Event] = []
        self.activity_s: Counter[str] = Counter()
        self._buffer: list[SampleBlock] = []
        self._activity: str | None = None
        self._since: float | None = None

    @property
    def meta(self) -> RecordingMeta:
        return self._meta() if callable(self._meta) else self._meta

    @property
    def state(self):
        return None if self.pipeline is None else self.pipeline.state

    def feed(self, block: SampleBlock) -> None:
        if self.pipeline is None:
            self._buffer.append(block)
            if block.t[-1] - self._buffer[0].t[0] < self.align_s:
                return
            block = SampleBlock.concat(self._buffer)
            self._buffer = []
            alignment = self._alignment_for(block, self.meta)
            self.pipeline = self._pipeline_cls(self.meta.rate_hz, alignment, has_gyro=block.has_gyro)
        self._emit(self.pipeline.update(block))
        self._track(float(block.t[-1]))

    def finish(self) -> list[Event]:
        """Close open episodes; returns every event of the session in start order."""
        if self.pipeline is None and self._buffer:  # shorter than align_s: align on what there is
            buffered, self._buffer = SampleBlock.concat(self._buffer), []
            self.align_s = 0.0
            self.feed(buffered)
        if self.pipeline is not None:
            self._emit(self.pipeline.finish())
            if self._since is not None and self.pipeline.state.t is not None:
                self.activity_s[self._activity or "unknown"] += max(0.0, self.pipeline.state.t - self._since)
        return sorted(self.events, key=lambda e: (e.start, e.end, e.type))

    def _emit(self, events: list[Event]) -> None:
        self.events += events
        if self.on_event:
            for event in events:
                self.on_event(event)

    def _track(self, t: float) -> None:
        activity = self.pipeline.state.activity
        if activity != self._activity:
            if self._since is not None:
                self.activity_s[self._activity or "unknown"] += t - self._since
            self._activity, self._since = activity, t
            if self.on_state:
                self.on_state(t, activity)
