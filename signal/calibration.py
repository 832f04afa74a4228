"""The guided calibration a patient does after pairing, detected live from the sensor's own stream.

The wearer is asked to stand upright and still for a few seconds, then (optionally) to bend forward
slowly once and come back up. :class:`GuidedCalibration` is fed the samples as they arrive and finds
both moments itself, so nobody has to press a button at the right time:

- **stand**: ``stand_s`` of consecutive still half-seconds (accelerometer SD per axis under
  ``STAND_ACC_SD``, mean rotation rate under ``STAND_GYR``, direction within ``STAND_DRIFT_DEG`` of
  where the stillness began). Movement restarts the count; no complete stand within
  ``stand_timeout_s`` fails with "moved during the stand".
- **bend**: the trunk tilts at least ``MIN_CALIBRATION_BEND_DEG`` away from the stand's vertical and
  comes back within ``BEND_RETURN_DEG`` of it, judged only on smooth half-seconds (``BEND_SMOOTH_SD``),
  so the jolt of a first step or of sitting down is not taken for a bend. Nothing of the kind
  within ``bend_timeout_s`` fails with "no bend seen" (or "did not come back up").

The stand and bend samples then go to :func:`.alignment.calibrate`, the same function the offline
``sensorkit calibrate RECORDING --upright ... --bend ...`` uses, so both store the same document.
Windows lie on fixed half-second boundaries of the device clock, so chunking does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sensorkit.errors import SettingsError
from sensorkit.samples import SampleBlock

from .alignment import MIN_CALIBRATION_BEND_DEG, Alignment, Mounting, calibrate

WINDOW_S = 0.5
STAND_ACC_SD = 0.15  # m/s^2 per axis: quiet standing sways by a few hundredths; a shift of weight is more
STAND_GYR = 0.15  # rad/s: mean rotation rate (above any gyroscope's zero-rate offset, below a slow turn)
STAND_DRIFT_DEG = 4.0  # a slow lean during the "stand" is not a stand
BEND_RETURN_DEG = 8.0  # back within this of the stand's vertical: the bend is over
BEND_START_DEG = 4.0  # the bend's samples start at the last window this close to vertical
BEND_SMOOTH_SD = 0.4  # m/s^2: a slow bend turns gravity smoothly (detrended SD ~0.1); steps jolt (> 0.7)

PROMPT_STAND = "Stand upright and still, arms relaxed, looking ahead..."
PROMPT_BEND = "Good. Now bend forward slowly, as far as is comfortable, and come back up."
PROMPT_DONE = "Thank you: calibration done."


@dataclass
class GuidedCalibration:
    """Streaming detector of the calibration routine; ``update`` returns the prompts now due.

    ``phase`` goes ``stand`` -> ``bend`` (skipped when ``with_bend`` is False) -> ``done``, or to
    ``failed`` with :attr:`error` saying why. When done, :attr:`alignment` holds the result and
    :attr:`span` the (start, end) seconds of the routine on the device clock.
    """

    with_bend: bool = True
    mounting: Mounting | None = None
    stand_s: float = 5.0
    stand_timeout_s: float = 30.0
    bend_timeout_s: float = 30.0
    phase: str = "stand"
    error: str | None = None
    alignment: Alignment | None = None
    span: tuple[float, float] | None = None
    _left: SampleBlock | None = None
    _t0: float | None = None
    _phase_t0: float | None = None
    _still: list[SampleBlock] = field(default_factory=list)
    _longest_still_s: float = 0.0
    _up: np.ndarray | None = None
    _upright: SampleBlock | None = None
    _bend: list[SampleBlock] = field(default_factory=list)
    _bend_start: int = 0
    _max_tilt: float = 0.0

    @property
    def finished(self) -> bool:
        return self.phase in ("done", "failed")

    @property
    def started(self) -> bool:
        """True once samples have arrived (the first prompt is due then)."""
        return self._t0 is not None

    def first_prompt(self) -> str:
        return PROMPT_STAND

    def update(self, block: SampleBlock) -> list[str]:
        """Feed the next samples; returns the prompts to show now (may be none)."""
        if self.finished or len(block) == 0:
            return []
        if self._t0 is None:
            self._t0 = self._phase_t0 = float(block.t[0])
        if self._left is not None and len(self._left):
            block = SampleBlock.concat([self._left, block])
        idx = np.floor(block.t / WINDOW_S).astype(np.int64)
        starts = np.concatenate([[0], np.flatnonzero(np.diff(idx)) + 1])
        self._left = block.slice(int(starts[-1]), len(block))  # the open window waits for its end
        prompts: list[str] = []
        for a, b in zip(starts[:-1], starts[1:]):
            prompts += self._window(block.slice(int(a), int(b)))
            if self.finished:
                break
        return prompts

    # -- phases ------------------------------------------------------------------------------------

    def _window(self, win: SampleBlock) -> list[str]:
        end = float(win.t[-1])
        if self.phase == "stand":
            return self._stand(win, end)
        return self._bend_window(win, end)

    def _stand(self, win: SampleBlock, end: float) -> list[str]:
        if len(win) >= 3 and self._is_still(win):
            self._still.append(win)
        else:
            self._still = []
        held = len(self._still) * WINDOW_S
        self._longest_still_s = max(self._longest_still_s, held)
        if held >= self.stand_s:
            upright = SampleBlock.concat(self._still)
            self._up = _unit(upright.acc.mean(axis=0))
            if not self.with_bend:
                return self._finish(upright, None)
            self._upright, self.phase, self._phase_t0 = upright, "bend", end
            return [PROMPT_BEND]
        if end - self._phase_t0 > self.stand_timeout_s:
            self.fail(f"calibration failed: you moved during the stand (still for at most "
                       f"{self._longest_still_s:.1f} s of the {self.stand_s:g} s needed within "
                       f"{self.stand_timeout_s:g} s); stand upright and still, then try again")
        return []

    def _is_still(self, win: SampleBlock) -> bool:
        if np.any(win.acc.std(axis=0) >= STAND_ACC_SD):
            return False
        if win.gyr is not None and np.linalg.norm(win.gyr.mean(axis=0)) >= STAND_GYR:
            return False
        if self._still:
            first = _unit(self._still[0].acc.mean(axis=0))
            return _angle(first, _unit(win.acc.mean(axis=0))) < STAND_DRIFT_DEG
        return True

    def _bend_window(self, win: SampleBlock, end: float) -> list[str]:
        assert self._up is not None
        self._bend.append(win)
        if len(win) >= 3 and _detrended_sd(win) < BEND_SMOOTH_SD:
            return self._bend_tilt(win, end)
        return self._bend_timeout(end)

    def _bend_tilt(self, win: SampleBlock, end: float) -> list[str]:
        tilt = _angle(self._up, _unit(win.acc.mean(axis=0)))
        if self._max_tilt < MIN_CALIBRATION_BEND_DEG and tilt < BEND_START_DEG:
            self._bend_start = len(self._bend) - 1  # still near upright: the bend has not begun
        self._max_tilt = max(self._max_tilt, tilt)
        if self._max_tilt >= MIN_CALIBRATION_BEND_DEG and tilt < BEND_RETURN_DEG:
            return self._finish(self._upright, SampleBlock.concat(self._bend[self._bend_start:]))
        return self._bend_timeout(end)

    def _bend_timeout(self, end: float) -> list[str]:
        if end - self._phase_t0 > self.bend_timeout_s:
            if self._max_tilt >= MIN_CALIBRATION_BEND_DEG:
                why = "you bent forward but did not come back up"
            else:
                why = (f"no forward bend seen (the trunk tilted at most {self._max_tilt:.0f} deg, "
                       f"{MIN_CALIBRATION_BEND_DEG:.0f} needed)")
            self.fail(f"calibration failed: {why} within {self.bend_timeout_s:g} s; "
                       "bend forward slowly and come back up, then try again")
        return []

    def _finish(self, upright: SampleBlock, bend: SampleBlock | None) -> list[str]:
        try:
            self.alignment = calibrate(upright, bend, self.mounting)
        except SettingsError as exc:
            self.fail(f"calibration failed: {exc}")
            return []
        last = bend if bend is not None else upright
        self.span = (float(upright.t[0]), float(last.t[-1]))
        self.phase = "done"
        return [PROMPT_DONE]

    def fail(self, message: str) -> None:
        """End the routine unsuccessfully (also from outside: the stream ended before it was done)."""
        self.phase, self.error = "failed", message

    def document(self, source: str, *, in_recording: bool = False) -> dict[str, Any]:
        """The calibration as stored in a profile's ``[calibration]`` (same keys as offline).

        ``in_recording``: for the metadata of the recording the routine was streamed into; adds
        ``span_s``, the routine's seconds in it, which analysis then leaves out (see
        :func:`.pipeline.monitored_from`). A profile never gets it: its span is another recording's.
        """
        if self.alignment is None or self.span is None:
            raise SettingsError(self.error or "the calibration has not finished")
        doc = self.alignment.to_json()
        doc["source"] = source
        if in_recording:
            doc["span_s"] = [round(self.span[0], 3), round(self.span[1], 3)]
        return doc


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _detrended_sd(win: SampleBlock) -> float:
    """Largest per-axis SD of the acceleration about its straight-line trend within the window."""
    x = win.t - win.t.mean()
    slope = (x @ (win.acc - win.acc.mean(axis=0))) / max(float(x @ x), 1e-12)
    residual = win.acc - win.acc.mean(axis=0) - np.outer(x, slope)
    return float(residual.std(axis=0).max())


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(a @ b, -1.0, 1.0))))
