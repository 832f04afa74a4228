"""The streaming engine: samples in, events and a live state out; the same code live and offline.

    pipe = Pipeline(rate_hz=100, alignment=alignment, profile=profile)
    for block in blocks:                 # any sizes, in order
        events += pipe.update(block)
        pipe.state.activity              # "walking", "bending", "upright_sitting", ...
    events += pipe.finish()

Inside, per block: sensor -> body frame (:mod:`.alignment`), trunk angles (:mod:`.orientation`),
features (:mod:`.features`), the posture state machine with slouches, bends, sedentary bouts and
alerts (:mod:`.posture`), and the gait detector (:mod:`.gait`, walking bouts and the live walking flag)
when ``gait`` is on. Every stage carries its state between blocks, so any chunking gives the same
events as one block (a property test pins this). Events of one ``update`` come out sorted by the time
they were decided; gait events follow the posture events of the same call.

:func:`analyze` is the offline entry point: a recording of any length in bounded memory, read in two
passes (window statistics for the alignment, then the pipeline), from memory or straight from the store.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from functools import partial
from typing import Any, Callable, ContextManager, Iterable, Iterator, Protocol

import numpy as np

from sensorkit.errors import RecordingError
from sensorkit.events import Event
from sensorkit.localtime import zone_for
from sensorkit.samples import RecordingMeta, SampleBlock, start_datetime

from .alignment import Alignment, OnlineBias, alignment_from
from .apart import Apart, can_fork
from .decimate import POSTURE_RATE_HZ, BinMeans
from .episodes import steps
from .features import FeatureExtractor
from .first_pass import first_pass, first_pass_apart
from .gait.bouts import BoutParams
from .gait.detector import MIN_RATE_HZ as GAIT_MIN_RATE_HZ, GaitDetector
from .nonwear import WearDetector
from .orientation import OrientationFilter
from .posture import LiveState, PostureTracker
from .profile import Profile
from .summary import daily_summary

QUARTER_S = 900.0  # flexion-band time is kept per quarter hour, so local days of any zone can be made
ANALYZE_SLICE_S = 600.0  # offline slices: 10 min of samples bounds memory, results are identical
# how far the second pass's bin means may run ahead of the posture pass reading them (:func:`analyze`),
# held in its process meanwhile: ~11 h of data at 25 Hz, what it reads (~1.7 s CPU a day) while this
# process waits for the first pass and makes the alignment (~1 s), so it rarely waits for room
BINS_AHEAD = 64 << 20
# Posture, slouching and bending hold up down to 6 Hz and fall apart below (validation/low_rate.py:
# bend F1 1.000 at 6 Hz, 0.958 at 5 Hz, 0.807 at 4 Hz; sit/stand/lie 0.993 -> 0.847 at 5 Hz)
MIN_ANALYSIS_RATE_HZ = 6.0


def require_analysable(rate_hz: float) -> None:
    """RecordingError for samples too far apart for posture and bending (:data:`MIN_ANALYSIS_RATE_HZ`)."""
    if not rate_hz >= MIN_ANALYSIS_RATE_HZ:
        raise RecordingError(f"{rate_hz:.3g} Hz is too slow to analyze: posture and bending need at least "
                             f"{MIN_ANALYSIS_RATE_HZ:g} Hz (the recording can still be viewed and exported)")


def gait_status(rate_hz: float, gait: bool) -> str:
    """Whether walking bouts are detected at this rate: "on", "off" (not asked for), or why not."""
    if not gait:
        return "off"
    if rate_hz < GAIT_MIN_RATE_HZ:
        return f"not run: {rate_hz:.3g} Hz is below the {GAIT_MIN_RATE_HZ:g} Hz step detection needs"
    return "on"


def walking_detector(rate_hz: float, profile: Profile) -> GaitDetector:
    """The gait detector for a wearer: their height turns step timing into stride length."""
    return GaitDetector(rate_hz, bout_params=BoutParams(height_m=profile.height_m))


def posture_binner(rate_hz: float) -> BinMeans | None:
    """What brings samples to the posture rate: 1/25 s bin means (see .decimate); slower sensors
    are used as they come (None)."""
    return BinMeans(POSTURE_RATE_HZ) if rate_hz > POSTURE_RATE_HZ else None


class Pipeline:
    """Streaming analysis of one sensor. ``gait=False`` leaves walking-bout detection out, and so does a
    rate below the gait detector's least (:func:`gait_status`); below :data:`MIN_ANALYSIS_RATE_HZ`
    nothing is analysed (RecordingError)."""

    def __init__(
        self,
        rate_hz: float,
        alignment: Alignment,
        profile: Profile | None = None,
        has_gyro: bool = True,
        use_gyro: bool = True,
        gait: bool = True,
        start_time: str | None = None,
    ) -> None:
        self.profile = profile or Profile()
        self.profile.validate()
        self.alignment = alignment
        self.rate_hz = float(rate_hz)
        require_analysable(self.rate_hz)
        self.fused = bool(has_gyro and use_gyro)
        self.binner = posture_binner(self.rate_hz)
        self.posture_rate_hz = min(self.rate_hz, POSTURE_RATE_HZ)
        # live, with no recording-wide offset estimate, the accelerometer offset is learnt as we go
        self.online_bias = None if np.any(alignment.acc_bias) else OnlineBias()
        self.orientation = OrientationFilter(alignment.rotation, self.posture_rate_hz, use_gyro=use_gyro,
                                             signed=alignment.forward_known)
        self.features = FeatureExtractor(self.posture_rate_hz)
        self.posture = PostureTracker(self.profile, has_gyro=self.fused, signed=alignment.forward_known)
        self.wear = WearDetector(use_gyro=self.fused)
        self._band_queue: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # not yet known to be worn
        self.gait = None
        self.gait_status = gait_status(self.rate_hz, gait)
        if self.gait_status == "on":
            self.gait = walking_detector(self.rate_hz, self.profile)
        self.samples_seen = 0
        # seconds upright in each flexion band per quarter hour since 1970 (UTC), for the summary: every
        # zone's offset is a whole number of quarter hours, so any zone's local days add up from them
        self._origin = start_datetime(start_time).timestamp() if start_time else 0.0
        if start_time:  # quiet hours are local clock hours: the patient's zone, else the computer's
            self.posture.alerts.local_hour = _local_hour(self._origin, zone_for(None, "", self.profile))
        self.band_seconds: dict[int, np.ndarray] = {}
        self._last_t: float | None = None

    @property
    def state(self) -> LiveState:
        """The live state as of the last sample fed (posture, slouching, bending, walking, angles)."""
        live = self.posture.live
        live.walking = bool(self.gait.walking) if self.gait is not None else False
        return live

    @property
    def method(self) -> str:
        """Which sensors the angles come from, for the output document."""
        return "gyroscope+accelerometer" if self.fused else "accelerometer only"

    def update(self, block: SampleBlock) -> list[Event]:
        """Feed the next samples (any number, in time order); returns events that became final."""
        if len(block) == 0:
            return []
        self.samples_seen += len(block)
        events = self.update_binned(self.binner.update(block) if self.binner else block)
        if self.gait is not None:
            events += self.gait.update(block)
        return events

    def update_binned(self, binned: SampleBlock) -> list[Event]:
        """:meth:`update`'s posture part, from what :func:`posture_binner` made of a non-empty block
        (offline, another process reads and bins the blocks: :func:`analyze`)."""
        self.posture.wear(self.wear.update(binned))  # 1-s means of the 1/25-s means: the same, 4x cheaper
        return self._posture_path(binned) + self.posture.alerts.take_held()

    def _posture_path(self, block: SampleBlock) -> list[Event]:
        if len(block) == 0:
            return []
        if self.online_bias is not None:
            block = self.online_bias.apply(block)
        else:
            block = SampleBlock(block.t, _minus(block.acc, self.alignment.acc_bias), block.gyr)
        rot = self.alignment.rotation
        acc_body = block.acc @ rot.T
        gyr_body = block.gyr @ rot.T if (self.fused and block.gyr is not None) else None
        angles = self.orientation.update_body(block.t, acc_body, gyr_body)
        frame = self.features.run(block, acc_body, gyr_body, angles)
        self._count_worn_bands(frame.t, frame.flexion, frame.inclination)
        return self.posture.update(frame)

    def _count_worn_bands(self, t: np.ndarray, flexion: np.ndarray, inclination: np.ndarray, final: bool = False) -> None:
        """Count flexion bands only where the sensor was worn: samples wait until non-wear that could
        still reach back over them has been ruled out (``min_not_worn_s`` and a bin after them)."""
        if len(t):
            self._band_queue.append((t, flexion, inclination))
        if not self._band_queue:
            return
        hold = self.wear.params.min_not_worn_s + 2.0 * self.wear.params.bin_s
        horizon = np.inf if final else self._band_queue[-1][0][-1] - hold
        while self._band_queue and self._band_queue[0][0][-1] < horizon:
            t, flexion, inclination = self._band_queue.pop(0)
            not_worn = self.wear.not_worn_at(t)
            if not not_worn.any():  # worn throughout (most stretches): counted without copies
                self._count_bands(t, flexion, inclination)
            elif not not_worn.all():
                worn = ~not_worn
                self._count_bands(t[worn], flexion[worn], inclination[worn])

    def _count_bands(self, t: np.ndarray, flexion: np.ndarray, inclination: np.ndarray) -> None:
        period = 1.0 / self.posture_rate_hz
        prev = self._last_t if self._last_t is not None else t[0] - period
        dt = np.minimum(steps(t, prev), 2.0 * period)  # a gap counts as no time
        self._last_t = float(t[-1])
        band = np.where(flexion < self.profile.band_low_deg, 0, np.where(flexion <= self.profile.band_high_deg, 1, 2))
        band[~(inclination < self.profile.lying_inclination_deg)] = 3  # not upright: in no band
        ends = np.floor((t[[0, -1]] + self._origin) / QUARTER_S).astype(np.int64)
        if ends[0] == ends[-1]:  # one quarter hour (times in order): most blocks, without the per-sample quarters
            quarter, cuts = ends, [0, len(t)]
        else:
            quarter = np.floor((t + self._origin) / QUARTER_S).astype(np.int64)
            cuts = [0, *(np.flatnonzero(np.diff(quarter)) + 1).tolist(), len(t)]  # in time order: a stretch each
        for a, b in zip(cuts[:-1], cuts[1:]):
            acc = self.band_seconds.setdefault(int(quarter[a]), np.zeros(3))
            acc += np.bincount(band[a:b], weights=dt[a:b], minlength=4)[:3]

    def band_summary(self, zone: tzinfo = timezone.utc) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
        """Seconds upright per flexion band: the total, and per local date in ``zone``."""
        names = ("0_20", "20_60", "over_60")
        total = sum(self.band_seconds.values(), np.zeros(3))
        by_day: dict[str, np.ndarray] = {}
        for q, v in sorted(self.band_seconds.items()):
            d = datetime.fromtimestamp(q * QUARTER_S, zone).date().isoformat()
            by_day[d] = by_day.get(d, np.zeros(3)) + v
        return dict(zip(names, total.tolist())), {d: dict(zip(names, v.tolist())) for d, v in by_day.items()}

    def finish(self) -> list[Event]:
        """End of data: returns everything still open, closed at the last sample."""
        events = self.finish_binned(self.binner.flush() if self.binner else None)
        if self.gait is not None:
            events += self.gait.finish()
        return events

    def finish_binned(self, rest: SampleBlock | None) -> list[Event]:
        """:meth:`finish`'s posture part, from the binner's last bin (:meth:`update_binned`)."""
        self.posture.wear((self.wear.update(rest) if rest is not None and len(rest) else []) + self.wear.finish())
        events = self._posture_path(rest) if rest is not None else []
        empty = np.empty(0)
        self._count_worn_bands(empty, empty, empty, final=True)
        events += self.posture.finish()
        events += self.posture.alerts.take_held()
        return events


def _minus(x: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """``x - offset`` for rows of three, column by column: the same subtractions, 2x faster than
    broadcasting the offset over rows (an inner loop of three)."""
    out = np.empty(x.shape)
    for j in range(x.shape[1]):
        np.subtract(x[:, j], offset[j], out=out[:, j])
    return out


def _local_hour(origin: float, zone: tzinfo):
    """Recording time -> hour of the local day (0-24) in ``zone``, for the alert policy's quiet hours."""
    def hour(t: float) -> float:
        moment = datetime.fromtimestamp(origin + t, timezone.utc).astimezone(zone)
        return moment.hour + moment.minute / 60 + moment.second / 3600
    return hour


@dataclass
class Analysis:
    """Result of :func:`analyze`: events in start order, the alignment used, and how angles were made."""

    events: list[Event]
    alignment: Alignment
    method: str
    duration_s: float
    warnings: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    samples: int = 0  # samples read (the guided calibration's included)
    gait: str = "on"  # walking bouts detected: "on", "off", or why not (:func:`gait_status`)


def iter_slices(block: SampleBlock, seconds: float) -> Iterable[SampleBlock]:
    if len(block) == 0:
        return
    edges = np.arange(block.t[0], block.t[-1] + seconds, seconds)
    idx = np.searchsorted(block.t, edges, side="left")
    for a, b in zip(idx[:-1], idx[1:]):
        if b > a:
            yield block.slice(int(a), int(b))


class Samples(Protocol):
    """Samples that offline analysis reads in passes: a :class:`~sensorkit.store.RecordingReader`
    (block by block from the store), :class:`InMemory`, :class:`Later`. Those whose reading can find
    damage also have ``damage`` and ``note_damage()`` (what a forked process's reading found)."""

    def iter_blocks(self) -> Iterable[SampleBlock]:
        """Every sample, in time order, in pieces of any size."""

    def samples(self, t0: float, t1: float) -> SampleBlock:
        """The samples with ``t0 <= t < t1``."""

    def reopened(self) -> ContextManager["Samples"]:
        """The same samples for a forked process to read (:mod:`.apart`)."""


class InMemory:
    """A block already in memory, read in ten-minute slices."""

    def __init__(self, block: SampleBlock) -> None:
        self.block = block

    def iter_blocks(self) -> Iterator[SampleBlock]:
        return iter(iter_slices(self.block, ANALYZE_SLICE_S))

    def samples(self, t0: float, t1: float) -> SampleBlock:
        return self.block.between(t0, t1)

    def reopened(self) -> ContextManager["InMemory"]:
        return nullcontext(self)  # a forked process has its own copy of the memory


class Later:
    """The samples of ``source`` from ``t0`` on (`trends` leaves out what another recording counted)."""

    def __init__(self, source: Any, t0: float) -> None:
        self.source, self.t0 = source, t0

    def iter_blocks(self) -> Iterator[SampleBlock]:
        return (part.between(self.t0, np.inf) for part in self.source.iter_blocks())

    def samples(self, t0: float, t1: float) -> SampleBlock:
        return self.source.samples(max(t0, self.t0), t1)

    @contextmanager
    def reopened(self) -> Iterator["Later"]:
        with self.source.reopened() as source:
            yield Later(source, self.t0)

    @property
    def damage(self) -> list[Any]:
        return self.source.damage

    def note_damage(self, lost: Iterable[Any]) -> None:
        self.source.note_damage(lost)


def monitored_from(meta: RecordingMeta) -> float | None:
    """Where the monitored day of a recording starts: after the guided calibration streamed into it.

    A live session that calibrates first (``sensorkit demo``, a patient after pairing) stores the
    routine's seconds as ``calibration["span_s"]``; its slow bend is an instruction followed, not a
    bend of the day, and live monitoring only starts after it, so offline analysis does the same.
    """
    span = (meta.calibration or {}).get("span_s")
    return float(span[1]) if span else None


@dataclass
class _Read:
    """What a pass read: every sample counted, and the first and last time of the monitored ones
    (those from ``start`` on, :func:`monitored_from`)."""

    start: float | None
    samples: int = 0
    first: float | None = None
    last: float | None = None

    def monitored(self, part: SampleBlock) -> SampleBlock:
        """The part of ``part`` that is analysed, noted."""
        self.samples += len(part)
        part = part if self.start is None else part.between(self.start, np.inf)
        if len(part):
            self.first = float(part.t[0]) if self.first is None else self.first
            self.last = float(part.t[-1])
        return part


def _nbytes(block: SampleBlock) -> int:
    return block.t.nbytes + block.acc.nbytes + (0 if block.gyr is None else block.gyr.nbytes)


def _second_pass(source: Samples, send: Callable[[SampleBlock, int], None], detector: GaitDetector | None,
                 start: float | None, rate_hz: float) -> tuple[list[Event], SampleBlock | None, _Read, list[Any]]:
    """The second pass's process's work (:mod:`.apart`): each block read and binned to the posture
    rate, its bin means sent to the analysing process (which then decodes nothing) before the
    block's steps are looked for (``detector``, if walking is detected), so that process waits least.
    Returns the walking bouts, the binner's last bin, what was read and the damage found."""
    binner = posture_binner(rate_hz)
    read = _Read(start)
    events: list[Event] = []
    for part in source.iter_blocks():
        part = read.monitored(part)
        if len(part):  # as Pipeline.update does
            binned = binner.update(part) if binner else part
            send(binned, _nbytes(binned))
        if detector is not None:
            events += detector.update(part)
    if detector is not None:
        events += detector.finish()
    return events, (binner.flush() if binner else None), read, list(getattr(source, "damage", []))


def _posture_pass(pipe: Pipeline, source: Samples, start: float | None) -> tuple[list[Event], _Read]:
    """The pipeline over every block, read here."""
    read = _Read(start)
    events: list[Event] = []
    for part in source.iter_blocks():
        events += pipe.update(read.monitored(part))
    return events + pipe.finish(), read


def _posture_pass_on_bins(pipe: Pipeline, source: Samples, second: Apart) -> tuple[list[Event], _Read]:
    """The pipeline's posture part over the bin means the second pass's process sends, then its bouts."""
    events: list[Event] = []
    for binned in second.received():
        events += pipe.update_binned(binned)
    bouts, rest, read, damage = second.result()
    if damage:
        source.note_damage(damage)
    return events + pipe.finish_binned(rest) + bouts, read


def analyze(
    data: SampleBlock | Samples,
    meta: RecordingMeta,
    profile: Profile | None = None,
    alignment: Alignment | None = None,
    gait: bool = True,
    zone: tzinfo | None = None,
    apart: bool = False,
    first: Apart | None = None,
) -> Analysis:
    """Offline analysis of a whole recording: ``data`` is a block in memory or :class:`Samples`
    (a recording read from the store block by block: memory does not grow with its length).

    Alignment, best first: ``alignment`` given, the profile's calibration, the recording's own
    calibration, automatic alignment from the data's worn windows (a first pass gathering their
    statistics, :mod:`.first_pass`; they are let go before the pipeline's pass). A guided
    calibration recorded at the start of the recording is left out of the analysis
    (:func:`monitored_from`), as it is live. The summary's days are local days in ``zone`` (default:
    :func:`sensorkit.localtime.zone_for` the recording and profile).

    ``apart``: where processes can be forked (:mod:`.apart`), the first pass runs in one (``first``,
    if the caller started it before importing this module: the import then happens meanwhile) and
    the second pass's reading in another: it decodes each block, sends its bin means to the posture
    pass and finds the walking bouts, while this process makes the alignment and runs the posture
    pass on those bins: the same events, no decoding on this process's path; worth it when a core
    is idle.
    """
    require_analysable(meta.rate_hz)
    profile = profile or Profile()
    source = InMemory(data) if isinstance(data, SampleBlock) else data
    has_gyro = data.has_gyro if isinstance(data, SampleBlock) else meta.has_gyro
    start = monitored_from(meta)
    status = gait_status(meta.rate_hz, gait)
    with ExitStack() as processes:  # a process forked for this analysis ends with it, however it ends
        if first is not None:
            processes.enter_context(first)
        elif apart and alignment is None:
            first = first_pass_apart(source, meta.rate_hz)
            processes.enter_context(first or nullcontext())
        second = None
        if apart and can_fork():
            detector = walking_detector(meta.rate_hz, profile) if status == "on" else None
            second = processes.enter_context(Apart("the second pass", partial(
                _second_pass, detector=detector, start=start, rate_hz=meta.rate_hz), source, ahead=BINS_AHEAD))
        if alignment is None:
            stats = first.result() if first is not None else first_pass(source, meta.rate_hz)
            alignment = alignment_from(stats, source.samples, meta, profile.calibration)
            del stats
        pipe = Pipeline(meta.rate_hz, alignment, profile, has_gyro=has_gyro, gait=gait and second is None,
                        start_time=meta.start_time)
        if second is None:
            events, read = _posture_pass(pipe, source, start)
        else:
            events, read = _posture_pass_on_bins(pipe, source, second)
    events.sort(key=lambda e: (e.start, e.end, e.type))
    duration = 0.0 if read.first is None else read.last - read.first
    if zone is None:
        zone = zone_for(None, meta.timezone, profile)
    bands, bands_by_day = pipe.band_summary(zone)
    summary = daily_summary(events, meta.start_time, duration, bands, bands_by_day,
                            t0=read.first or 0.0, zone=zone)
    return Analysis(events, alignment, pipe.method, duration, list(alignment.warnings), summary, read.samples,
                    status)
