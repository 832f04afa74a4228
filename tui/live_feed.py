"""From a recording session to the live screen: snapshots of the live state and the events worth showing.

The collector already has the hooks this needs (see :class:`sensorkit.ble.collector.Collector`):
``consumers`` get every committed block, ``event_consumers`` every gap and battery event,
``finishers`` run at the end. :meth:`LiveFeed.attach` puts a
:class:`~sensorkit.ble.live.LiveAnalysis` (the signal pipeline, as `sensorkit monitor` runs it) on
those hooks, then reads its state after each block. The session runs in its own thread, so
``post_snapshot`` and ``post_event`` must be safe to call from another thread (Textual's
``post_message`` is). Snapshots are throttled (a 40x demo commits hundreds of blocks a second);
a change of activity and the end of the session are always posted at once.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from sensorkit.ble.live import LiveAnalysis
from sensorkit.events import Event

# Events the patient sees in the alert list as they happen. Of the data gaps only lost connections are
# shown: a lost packet here and there is counted, but listing each would bury the posture alerts.
NOTICE_TYPES = ("alert", "data_gap", "battery_low", "alerts_snoozed", "alerts_paused", "alerts_resumed")


@dataclass(frozen=True)
class LiveSnapshot:
    """The live state as of the last committed sample, with the session's running counts."""

    t: float  # recording time of the last sample, s
    activity: str  # LiveState.activity; before it "calibrating" (guided calibration), then "aligning" (first seconds)
    flexion_deg: float | None
    walking: bool
    counts: dict[str, int] = field(default_factory=dict)  # bends, high_bends, slouches, alerts, walking_bouts, steps, sedentary_bouts, gaps, samples_lost
    seconds: dict[str, float] = field(default_factory=dict)  # recording seconds spent in each activity so far
    band_limits: tuple[float, float] = (20.0, 60.0)  # the profile's flexion bands, for the gauge's colour
    final: bool = False  # the session has ended


class LiveFeed:
    """Attaches the live analysis to a collector and reports what the screen shows."""

    def __init__(
        self,
        post_snapshot: Callable[[LiveSnapshot], Any],
        post_event: Callable[[Event], Any],
        post_text: Callable[[float, str, str], Any] | None = None,
        *,
        profile: Any = None,
        calibration: Any = None,
        min_interval_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``post_text(t, kind, text)``: a guided-calibration prompt (kind ``guide``) or an alignment
        ``warning`` for the wearer. ``profile`` and ``calibration`` (a GuidedCalibration to run first)
        go to the live analysis as in `sensorkit monitor` / `sensorkit demo`."""
        self.post_snapshot = post_snapshot
        self.post_event = post_event
        self.post_text = post_text or (lambda t, kind, text: None)
        self.profile = profile
        self.calibration = calibration
        self.min_interval_s = min_interval_s
        self.clock = clock
        self.counts: Counter[str] = Counter()
        self.live: LiveAnalysis | None = None
        self._last_post = -float("inf")
        self._last_activity: str | None = None
        self._last_t: float | None = None
        self.seconds: Counter[str] = Counter()

    def attach(self, collector: Any) -> LiveAnalysis:
        """Hook into ``collector`` (consumers, event_consumers, finishers); returns the live analysis."""
        self.live = LiveAnalysis(
            lambda: collector.writer.meta,
            profile=self.profile,
            calibration=self.calibration,
            on_prompt=lambda t, text: self.post_text(t, "guide", text),
            on_calibrated=lambda doc: collector.writer.set_calibration(doc),  # kept in the recording, as monitor does
            on_warning=lambda t, text: self.post_text(t, "warning", text),
            on_event=self.event,
        )
        collector.consumers += [self.live.feed, self.after_block]
        collector.event_consumers.append(self.event)
        collector.finishers.append(self.finish)
        return self.live

    def event(self, event: Event) -> None:
        """Count an event (from the pipeline or the collector); pass on the ones the patient sees."""
        kind = event.type
        if kind == "bend":
            self.counts["bends"] += 1
            self.counts["high_bends"] += event.fields.get("severity") == "high"
        elif kind == "slouch":
            self.counts["slouches"] += 1
        elif kind == "alert":
            self.counts["alerts"] += 1
        elif kind == "walking_bout":
            self.counts["walking_bouts"] += 1
            self.counts["steps"] += int(event.fields.get("steps", 0))
        elif kind == "sedentary_bout":
            self.counts["sedentary_bouts"] += 1
        elif kind == "data_gap":
            self.counts["gaps"] += 1
            self.counts["samples_lost"] += int(event.fields.get("samples", 0))
        if kind in NOTICE_TYPES and not (kind == "data_gap" and event.fields.get("cause") != "link"):
            self.post_event(event)

    def after_block(self, block: Any) -> None:
        """After the live analysis has seen ``block``: count its time, post a snapshot if due."""
        t_end = float(block.t[-1])
        # the block's time goes to the state it ended in (blocks are short; LiveAnalysis counts the same way)
        start = self._last_t if self._last_t is not None else float(block.t[0])
        self.seconds[self._activity()] += max(0.0, t_end - start)
        self._last_t = t_end
        snapshot = self.snapshot()
        now = self.clock()
        if snapshot.activity != self._last_activity or now - self._last_post >= self.min_interval_s:
            self._post(snapshot, now)

    def finish(self) -> list[Event]:
        """The collector's finisher: close the live analysis, post the final snapshot."""
        events = self.live.finish() if self.live is not None else []
        self._post(self.snapshot(final=True), self.clock())
        return events

    def _activity(self) -> str:
        """The live activity, or what comes before it: the guided calibration, then the alignment."""
        if self.live is None or self.live.calibrating:
            return "calibrating" if self.live is not None else "aligning"
        state = self.live.state
        return "aligning" if state is None else state.activity

    def snapshot(self, final: bool = False) -> LiveSnapshot:
        state = self.live.state if self.live is not None else None
        last_t = self._last_t or 0.0
        if state is None:  # calibrating, or buffering the first seconds for the alignment
            return LiveSnapshot(last_t, self._activity(), None, False, dict(self.counts), dict(self.seconds),
                                final=final)
        profile = self.live.pipeline.profile
        return LiveSnapshot(
            t=state.t if state.t is not None else last_t,
            activity=state.activity,
            flexion_deg=state.flexion_deg,
            walking=state.walking,
            counts=dict(self.counts),
            seconds=dict(self.seconds),
            band_limits=(profile.band_low_deg, profile.band_high_deg),
            final=final,
        )

    def _post(self, snapshot: LiveSnapshot, now: float) -> None:
        self._last_post, self._last_activity = now, snapshot.activity
        self.post_snapshot(snapshot)
