"""Initial contacts (steps) from lower-back acceleration, computed chunk by chunk with carried state.

Why this signal: at the lower back the trunk's vertical acceleration peaks just after each heel strike,
when the leg stops the body's fall (Zijlstra & Hof 2003). The peak lags the contact by a few tens of
milliseconds, a constant we subtract (``ic_offset_s``, fitted on the INDIP and Voisard references).

Why it is orientation-robust: "vertical" is the direction of gravity seen by the sensor, a 0.25 Hz
low-pass of the acceleration, so no body-frame alignment is needed and any mounting works. It needs no
gyroscope; when there is one, the yaw rate about that vertical gives the side (pelvis rotation follows
the swinging leg), used later for left/right.

How it streams: every stage is either a causal IIR filter whose state is carried like ``scipy``'s
``zi``, a linear-phase FIR (a Gaussian) whose delay is a fixed number of samples, or a local-maximum
test that looks ``min_step_s`` ahead. Each chunk is processed vectorised; the last few hundred
milliseconds wait in a buffer until their look-ahead has arrived, so any chunking gives the same
contacts as one call on the whole recording (to the last bit or two: NumPy may vectorise a long chunk
differently from a short one, a 1e-15 s difference).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d
from scipy.signal import butter, lfilter, lfilter_zi, sosfilt


# Samples per segment of :class:`Movement` (0.64 s at 100 Hz).
SEGMENT = 64


@dataclass(frozen=True)
class StepParams:
    """Step detection settings. Times in seconds, accelerations in m/s^2.

    gravity_cutoff_hz: low-pass that separates gravity (the vertical) from motion.
    smooth_s: standard deviation of the Gaussian that smooths the vertical acceleration.
    min_step_s: a contact is the largest peak within +- this; also the shortest step accepted.
    min_prominence: peak height above the lowest point within +- ``min_step_s`` for a candidate;
        the bout rules decide which candidates are steps (``BoutParams.step_prominence``).
    ic_offset_s: how long the acceleration peak follows the heel strike.
    side_lead_s: the yaw rate that tells the side is read this long before the peak (about 0.1 s
        before the contact, where it separates left from right best on both references).
    acc_highpass_hz, speed_highpass_hz, highpass_order: the vertical position behind the
        inverted-pendulum step length (``BoutParams``) follows Zijlstra & Hof (2003) as the
        Mobilise-D stride-length algorithm implements it (mobgap's ``SlZijlstra``): vertical
        acceleration high-passed at 0.1 Hz, integrated to speed, high-passed at 1 Hz (drift, and the
        slow trunk movements around walking), integrated to position; Butterworth filters of order 4.
        Mobilise-D runs them forward and backward; here each runs twice forward (causal, so it
        streams), which has the same magnitude response; the phase shift does not change a step's
        peak-to-peak travel.
    """

    gravity_cutoff_hz: float = 0.25
    smooth_s: float = 0.06
    min_step_s: float = 0.2
    min_prominence: float = 0.35
    ic_offset_s: float = 0.04
    side_lead_s: float = 0.14
    acc_highpass_hz: float = 0.1
    speed_highpass_hz: float = 1.0
    highpass_order: int = 4


@dataclass(frozen=True)
class Contacts:
    """Candidate contacts found in one chunk: times (s), yaw rate at each (rad/s, NaN without a
    gyroscope), peak prominence (m/s^2), and the highest and lowest vertical position (m, arbitrary
    origin) since the previous candidate; ``decided_until``: every candidate before it is reported."""

    t: np.ndarray
    yaw: np.ndarray
    prominence: np.ndarray
    top: np.ndarray
    bottom: np.ndarray
    decided_until: float

    @classmethod
    def none(cls, decided_until: float) -> "Contacts":
        e = np.empty(0)
        return cls(e, e, e, e, e, decided_until)


def gaussian_kernel(rate_hz: float, sigma_s: float) -> np.ndarray:
    """A normalised Gaussian over +-3 sigma, at least 3 taps (a 20 Hz signal still gets smoothed)."""
    half = max(1, int(np.ceil(3 * sigma_s * rate_hz)))
    x = np.arange(-half, half + 1) / max(sigma_s * rate_hz, 1e-9)
    k = np.exp(-0.5 * x * x)
    return k / k.sum()


def position_filter(rate_hz: float, params: StepParams) -> np.ndarray:
    """Second-order sections taking vertical acceleration (m/s^2) to vertical position (m): high-pass,
    integrate, high-pass, integrate (see ``StepParams``). The integrators' poles at DC are cancelled by
    the high-passes' zeros before them, so the position stays bounded over days of data."""
    def highpass(cutoff_hz: float) -> np.ndarray:
        return butter(params.highpass_order, cutoff_hz, "highpass", fs=rate_hz, output="sos")

    integrate = np.array([[1.0 / rate_hz, 0.0, 0.0, 1.0, -1.0, 0.0]])
    acc_hp, speed_hp = highpass(params.acc_highpass_hz), highpass(params.speed_highpass_hz)
    return np.vstack([acc_hp, acc_hp, integrate, speed_hp, speed_hp, integrate])


def fir(kernel: np.ndarray, x: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``lfilter(kernel, [1.0], x, zi=zi)`` for one signal, by the same arithmetic: SciPy filters with an
    FIR by ``np.convolve`` and adds the partial sums carried from the previous chunk to the first
    outputs; called directly it skips ``lfilter``'s per-call checks and its ``apply_along_axis``."""
    full = np.convolve(kernel, x)
    full[:len(zi)] += zi
    return full[:len(x)], full[len(x):]


def fir_within(kernel: np.ndarray, signal: Callable[[int, int], np.ndarray], n: int, zi: np.ndarray,
               runs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fir` of a chunk of ``n`` samples where only the outputs within ``runs`` (``[a, b)``) are
    wanted; the others are NaN, and ``signal(a, b)`` (the chunk's samples ``a`` to ``b``) is asked only
    for the samples those outputs and the carried sums need. The same numbers: ``np.convolve`` gives
    an output the dot product of the same samples with the kernel whether it is handed the whole chunk
    or a stretch of at least ``len(kernel) + 1`` samples around it (one of the kernel's length is
    multiplied the other way round), so the first outputs, the middle ones and the sums carried out
    are each computed from such a stretch. A short chunk is filtered whole."""
    k = len(kernel)
    e = k - 1
    if n < 4 * k or runs == [(0, n)]:
        return fir(kernel, signal(0, n), zi)
    y = np.full(n, np.nan)
    for a, b in runs:
        if a < e:  # outputs that complete the sums carried from the previous chunk
            head = np.convolve(kernel, signal(0, 2 * k))[:e] + zi
            y[a:min(b, e)] = head[a:min(b, e)]
            a = e
        if a < b:
            a = min(a, n - 2)
            b = max(b, a + 2)
            y[a:b] = np.convolve(kernel, signal(a - e, b), "valid")
    return y, np.convolve(kernel, signal(n - 2 * k, n))[2 * k:]


def fir_reads_from(kernel: np.ndarray, n: int, runs: list[tuple[int, int]]) -> int:
    """The first sample :func:`fir_within` asks ``signal`` for (it asks for none before, and for
    any after it may)."""
    k = len(kernel)
    if n < 4 * k or runs == [(0, n)]:
        return 0
    first = min([n] + [a for a, _ in runs])
    return max(0, min(first - k - 1, n - 2 * k))


class Movement:
    """Where the vertical acceleration moves enough for a step: stretches of it, in segments of
    :data:`SEGMENT` samples counted from the first, each with the range (max - min) of its raw samples.

    Why it is exact: a smoothed sample is a weighted mean of ``2 * delay + 1`` raw samples (the weights
    sum to one, up to rounding), so the smoothed samples within a candidate's window, and so its
    prominence, span no more than the raw samples under them, plus rounding (far below the margin
    here). Those raw samples lie within ``reach`` samples of the window's centre (:meth:`runs`' unit:
    the position of the filter's output), hence within the segment holding it and ``ceil(reach /
    SEGMENT)`` either side: a segment whose neighbourhood spans less than the least prominence holds no
    candidate (``moving`` false). A candidate is only searched for once every raw sample under its
    window has been seen, so the segment not complete yet counts with the samples it has so far.
    What is smoothed (``wanted``) must also serve later searches, so there a neighbourhood with a
    segment not complete yet counts as moving: whatever is found moving later was wanted at every
    earlier chunk. Before the first sample the signal counts as zero, as the filter's initial state and
    the rest samples ahead of the buffer are. A NaN or infinity makes everything from there on moving
    (as before: the filters then run over everything)."""

    def __init__(self, reach: int, margin: int, least: float) -> None:
        self._near = -(-reach // SEGMENT)  # segments either side whose range bounds a candidate's window
        self._margin = -(-margin // SEGMENT)  # segments either side a caller widens a stretch by
        self._kept = self._near + self._margin + 2  # segments of raw samples kept before the chunk
        self._start = -self._kept * SEGMENT  # sample position of self._raw[0]
        self._raw = np.zeros(self._kept * SEGMENT)
        self._least = least
        self._first = self._start // SEGMENT  # segment of moving[0] and wanted[0]
        self.moving = self.wanted = np.empty(0, bool)
        self.everywhere = False

    def update(self, v: np.ndarray) -> None:
        """Take the next chunk's raw vertical acceleration; ``moving`` and ``wanted`` then cover its
        segments and the ones just before."""
        if not np.isfinite(v.sum()):
            self.everywhere = True
        raw = np.concatenate([self._raw, v])
        full = len(raw) // SEGMENT
        seen = full + (len(raw) > full * SEGMENT)  # segments with samples, the last maybe incomplete
        d = self._near
        size = seen + self._margin + d + 2  # and the future ones, which hold no sample yet
        hi, lo = np.full(size, -np.inf), np.full(size, np.inf)
        starts = np.arange(0, len(raw), SEGMENT)
        np.maximum.reduceat(raw, starts, out=hi[:seen])
        np.minimum.reduceat(raw, starts, out=lo[:seen])
        # the range of each segment with its neighbours
        near_hi, near_lo = hi.copy(), lo.copy()
        for k in range(1, d + 1):
            np.maximum(near_hi[k:], hi[:-k], out=near_hi[k:])
            np.maximum(near_hi[:-k], hi[k:], out=near_hi[:-k])
            np.minimum(near_lo[k:], lo[:-k], out=near_lo[k:])
            np.minimum(near_lo[:-k], lo[k:], out=near_lo[:-k])
        self.moving = np.ones(size, bool)  # segments with no sample yet too: never searched
        if not self.everywhere:
            near_hi, near_lo = near_hi[:seen], near_lo[:seen]
            # far more than the rounding of a weighted mean of such numbers; from the neighbourhood's
            # own samples, so a complete one is judged the same at every chunk
            margin = 1e-6 * (1.0 + np.maximum(np.abs(near_hi), np.abs(near_lo)))
            self.moving[:seen] = ~(near_hi - near_lo + margin < self._least)
        self.wanted = self.moving.copy()
        self.wanted[full - d:] = True  # a neighbour not complete yet
        self._first = self._start // SEGMENT
        keep = (full - self._kept) * SEGMENT + self._start
        self._raw = raw[keep - self._start:]
        self._start = keep

    def runs(self, start: int, stop: int) -> list[tuple[int, int]]:
        """Stretches ``[a, b)`` of ``[start, stop)`` (sample positions) to search for candidates:
        moving segments."""
        return self._runs(self.moving, start, stop, 0)

    def wanted_runs(self, start: int, stop: int) -> list[tuple[int, int]]:
        """Stretches ``[a, b)`` of ``[start, stop)`` to smooth: wanted segments, each widened by the
        ``margin`` given either side (the windows around what is searched)."""
        return self._runs(self.wanted, start, stop, self._margin)

    def _runs(self, flags: np.ndarray, start: int, stop: int, widen: int) -> list[tuple[int, int]]:
        first, last = start // SEGMENT, (stop - 1) // SEGMENT + 1
        i, j = first - self._first - widen, last - self._first + widen
        assert i >= self._near and j <= len(flags), "asked about segments not kept"
        flags = flags[i:j]
        if not flags.any():
            return []
        wide = np.zeros(last - first + 2, bool)  # with a still segment either side
        inner = wide[1:-1]
        for k in range(2 * widen + 1):
            inner |= flags[k:k + last - first]
        edges = np.flatnonzero(wide[1:] != wide[:-1]).reshape(-1, 2) + first
        return [(max(a * SEGMENT, start), min(b * SEGMENT, stop)) for a, b in edges.tolist()]


class StepFinder:
    """Streaming initial-contact detector; feed it consecutive chunks with :meth:`update`.

    ``position=False`` leaves out the vertical position (the step length's input: without the wearer's
    height nothing reads it); the contacts' ``top`` and ``bottom`` are then zero. Everything else is
    computed by the same operations either way.

    Still stretches (most of an office day) cost little: the smoothing, the yaw rate and the peak
    search run only where :class:`Movement` says a candidate may be, and around it; the smoothed
    samples elsewhere are NaN and never read."""

    def __init__(self, rate_hz: float, params: StepParams | None = None, position: bool = True) -> None:
        self.rate_hz = float(rate_hz)
        self.params = params or StepParams()
        self.position = position
        p = self.params
        self._lp_b, self._lp_a = butter(2, min(p.gravity_cutoff_hz / (rate_hz / 2), 0.99))
        self._kernel = gaussian_kernel(rate_hz, p.smooth_s)
        self._delay = (len(self._kernel) - 1) // 2
        self._w = max(1, int(round(p.min_step_s * rate_hz)))
        self._lp_zi: np.ndarray | None = None
        self._pos_sos = position_filter(rate_hz, p)
        self._pos_zi = np.zeros((len(self._pos_sos), 2))
        self._fir_zi = np.zeros((2, len(self._kernel) - 1))  # vertical acc, yaw rate
        self._pos_hist = np.zeros(self._delay)  # position is only delayed, not smoothed
        self._seen = 0
        self._t_hist = np.empty(0)
        # A candidate's window (+-w smoothed samples) reads raw samples up to w + 2 * delay before the
        # filter output at its centre and w after; the smoothing is wanted w around what may be one.
        self._movement = Movement(self._w + 2 * self._delay, self._w, p.min_prominence)
        # Smoothed vertical acc, yaw rate, vertical position and their times awaiting their look-ahead;
        # starts with w samples of rest; self._buf_at: the sample position of the first.
        self._buf = np.zeros((3, self._w))
        self._buf_t = np.full(self._w, np.nan)
        self._buf_at = -self._w
        self._top, self._bottom = -np.inf, np.inf  # position extremes since the last candidate
        self._decided_until = -np.inf

    def vertical(self, acc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vertical acceleration without gravity, carrying state; with gravity and its norm (the
        vertical's direction, for the yaw rate)."""
        if self._lp_zi is None:
            self._lp_zi = lfilter_zi(self._lp_b, self._lp_a)[:, None] * acc[0]
        g, self._lp_zi = lfilter(self._lp_b, self._lp_a, acc, axis=0, zi=self._lp_zi)
        norm = np.sqrt(np.einsum("ij,ij->i", g, g))
        if not norm.all():
            norm[norm == 0] = 1.0
        v = np.einsum("ij,ij->i", acc, g)
        v /= norm
        v -= norm
        return v, g, norm

    def _smooth(self, t: np.ndarray, acc: np.ndarray, gyr: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Smoothed vertical acceleration and yaw rate (NaN without a gyroscope, or where no candidate
        can read them) and the vertical position: returns (times, values) of samples it completed.

        Smoothing is a Gaussian as a causal FIR, re-aligned. The vertical position is only delayed by
        the same amount: smoothing it would shrink the step's excursion (by a quarter at two steps a
        second) and bias the step length."""
        v, g, norm = self.vertical(acc)
        n = len(v)
        self._movement.update(v)
        runs = self._movement.wanted_runs(self._seen, self._seen + n)
        runs = [(a - self._seen, b - self._seen) for a, b in runs]
        y = np.empty((3, n))
        y[0], self._fir_zi[0] = fir_within(self._kernel, lambda a, b: v[a:b], n, self._fir_zi[0], runs)
        if gyr is None:
            y[1] = np.nan
        else:
            # the yaw rate about the vertical, from where the smoothing reads it
            lo = fir_reads_from(self._kernel, n, runs)
            yaw = np.einsum("ij,ij->i", gyr[lo:], g[lo:])
            yaw /= norm[lo:]

            def part(a: int, b: int) -> np.ndarray:
                assert a >= lo
                return yaw[a - lo:b - lo]
            y[1], self._fir_zi[1] = fir_within(self._kernel, part, n, self._fir_zi[1], runs)
        if self.position:
            position, self._pos_zi = sosfilt(self._pos_sos, v, zi=self._pos_zi)
            z = np.concatenate([self._pos_hist, position])
            y[2] = z[:n]
            self._pos_hist = z[n:]
        else:
            y[2] = 0.0
        t_all = np.concatenate([self._t_hist, t])
        skip = max(0, self._delay - self._seen)
        self._seen += n
        done = max(0, len(t_all) - self._delay)
        self._t_hist = t_all[done:]
        return t_all[:done], y[:, skip:]

    def update(self, t: np.ndarray, acc: np.ndarray, gyr: np.ndarray | None) -> Contacts:
        """Contacts whose look-ahead is complete after this chunk (possibly none, possibly older ones)."""
        if len(t) == 0:
            return Contacts.none(self._decided_until)
        ts, ys = self._smooth(t, acc, gyr)
        buf = np.concatenate([self._buf, ys], axis=1)
        buf_t = np.concatenate([self._buf_t, ts])
        w = self._w
        n = len(buf_t)
        if n < 2 * w + 1:
            self._buf, self._buf_t = buf, buf_t
            return Contacts.none(self._decided_until)
        found = self._peaks(buf, buf_t)
        self._decided_until = float(buf_t[n - w - 1])
        self._buf, self._buf_t = buf[:, n - 2 * w:], buf_t[n - 2 * w:]
        self._buf_at += n - 2 * w
        return Contacts(*found, self._decided_until)

    def _peaks(self, buf: np.ndarray, buf_t: np.ndarray) -> tuple[np.ndarray, ...]:
        """Local maxima of the vertical acceleration in the decidable part of the buffer."""
        w, p = self._w, self.params
        v = buf[0]
        idx, prom = self._candidates(v)
        if not len(idx):
            if self.position:
                self._excursions(buf[2, w:len(v) - w], idx)  # the extremes carry on to the next candidate
            return (np.empty(0),) * 5
        # Parabolic interpolation: sub-sample timing matters at 20 Hz (50 ms per sample).
        y0, y1, y2 = v[idx - 1], v[idx], v[idx + 1]
        den = y0 - 2 * y1 + y2
        shift = np.where(den < 0, 0.5 * (y0 - y2) / np.where(den < 0, den, -1.0), 0.0).clip(-0.5, 0.5)
        dt = buf_t[idx + 1] - buf_t[idx]
        times = buf_t[idx] + shift * dt - p.ic_offset_s
        lead = min(w, int(round(p.side_lead_s * self.rate_hz)))
        if self.position:
            top, bottom = self._excursions(buf[2, w:len(v) - w], idx - w)
        else:
            top = bottom = np.zeros(len(idx))
        return times, buf[1, idx - lead], prom, top, bottom

    def _candidates(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``v`` (decidable: ``w`` samples either side) holding the largest value within
        +-``w`` and at least ``min_prominence`` above the lowest, with that prominence; searched where
        :class:`Movement` says there may be one: the same maxima and minima of the same windows."""
        w, p = self._w, self.params
        size = 2 * w + 1
        # a buffer position's smoothed sample is the filter's output delay samples later
        at = self._buf_at + self._delay
        found, prominence = [], []
        for a, b in self._movement.runs(at + w, at + len(v) - w):
            a, b = a - at, b - at
            part = v[a - w:b + w]
            mid = v[a:b]
            hi = maximum_filter1d(part, size)[w:len(part) - w]
            prom = mid - minimum_filter1d(part, size)[w:len(part) - w]
            keep = np.flatnonzero((mid == hi) & (prom >= p.min_prominence))
            found.append(keep + a)
            prominence.append(prom[keep])
        if not found:
            return np.empty(0, dtype=np.intp), np.empty(0)
        return np.concatenate(found), np.concatenate(prominence)

    def _excursions(self, z: np.ndarray, rel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Highest and lowest position between consecutive candidates (vectorised, carried across chunks)."""
        if len(rel) == 0:
            self._top, self._bottom = max(self._top, float(z.max())), min(self._bottom, float(z.min()))
            return np.empty(0), np.empty(0)
        # Segment k runs from just after candidate k-1 up to and including candidate k.
        starts = np.concatenate([[0], rel[:-1] + 1])
        head = z[:rel[-1] + 1]
        top, bottom = np.maximum.reduceat(head, starts), np.minimum.reduceat(head, starts)
        top[0], bottom[0] = max(top[0], self._top), min(bottom[0], self._bottom)
        tail = z[rel[-1] + 1:]
        self._top = float(tail.max()) if len(tail) else -np.inf
        self._bottom = float(tail.min()) if len(tail) else np.inf
        return top, bottom
