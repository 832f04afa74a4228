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

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d
from scipy.signal import butter, lfilter, lfilter_zi, sosfilt


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


class StepFinder:
    """Streaming initial-contact detector; feed it consecutive chunks with :meth:`update`.

    ``position=False`` leaves out the vertical position (the step length's input: without the wearer's
    height nothing reads it); the contacts' ``top`` and ``bottom`` are then zero. Everything else is
    computed by the same operations either way."""

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
        # Smoothed vertical acc, yaw rate, vertical position and their times awaiting their look-ahead;
        # starts with w samples of rest.
        self._buf = np.zeros((3, self._w))
        self._buf_t = np.full(self._w, np.nan)
        self._top, self._bottom = -np.inf, np.inf  # position extremes since the last candidate
        self._decided_until = -np.inf

    def vertical(self, acc: np.ndarray, gyr: np.ndarray | None) -> np.ndarray:
        """Vertical acceleration without gravity, yaw rate (NaN without a gyroscope) and vertical
        position (zero when not wanted), as rows of a (3, n) array, carrying state."""
        if self._lp_zi is None:
            self._lp_zi = lfilter_zi(self._lp_b, self._lp_a)[:, None] * acc[0]
        g, self._lp_zi = lfilter(self._lp_b, self._lp_a, acc, axis=0, zi=self._lp_zi)
        norm = np.sqrt(np.einsum("ij,ij->i", g, g))
        norm[norm == 0] = 1.0
        out = np.empty((3, len(acc)))
        v = np.einsum("ij,ij->i", acc, g, out=out[0])
        v /= norm
        v -= norm
        if gyr is None:
            out[1] = np.nan
        else:
            np.divide(np.einsum("ij,ij->i", gyr, g, out=out[1]), norm, out=out[1])
        if self.position:
            out[2], self._pos_zi = sosfilt(self._pos_sos, v, zi=self._pos_zi)
        else:
            out[2] = 0.0
        return out

    def _smooth(self, t: np.ndarray, x: np.ndarray, gyro: bool) -> tuple[np.ndarray, np.ndarray]:
        """Gaussian smoothing as a causal FIR, re-aligned: returns (times, values) of samples it completed.

        The vertical position is only delayed by the same amount: smoothing it would shrink the step's
        excursion (by a quarter at two steps a second) and bias the step length. Without a gyroscope
        the yaw rate stays NaN, as its smoothing would leave it."""
        n = x.shape[1]
        y = np.empty_like(x)
        y[0], self._fir_zi[0] = fir(self._kernel, x[0], self._fir_zi[0])
        if gyro:
            y[1], self._fir_zi[1] = fir(self._kernel, x[1], self._fir_zi[1])
        else:
            y[1] = np.nan
        if self.position:
            z = np.concatenate([self._pos_hist, x[2]])
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
        ts, ys = self._smooth(t, self.vertical(acc, gyr), gyr is not None)
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
        return Contacts(*found, self._decided_until)

    def _peaks(self, buf: np.ndarray, buf_t: np.ndarray) -> tuple[np.ndarray, ...]:
        """Local maxima of the vertical acceleration in the decidable part of the buffer."""
        w, p = self._w, self.params
        v = buf[0]
        idx, prom = self._candidates(v)
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
        +-``w`` and at least ``min_prominence`` above the lowest, with that prominence.

        Only where the signal moves: ``v`` is cut in segments of ``2w + 1`` samples, so a position's
        window lies within its segment and the two beside it; where those three span less than the
        prominence, no position in the middle one can be a candidate (``mid - lo`` is at most
        ``max - min`` over them, in floating point too, as rounding is monotonic), and the filters
        run only over the other segments and the ``w`` samples either side of them: the same maxima and
        minima of the same windows. A NaN anywhere makes every segment a candidate's."""
        w, p = self._w, self.params
        n = len(v)
        size = 2 * w + 1
        starts = np.arange(0, n, size)
        hi, lo = np.maximum.reduceat(v, starts), np.minimum.reduceat(v, starts)
        near_hi, near_lo = hi.copy(), lo.copy()
        np.maximum(near_hi[1:], hi[:-1], out=near_hi[1:])
        np.maximum(near_hi[:-1], hi[1:], out=near_hi[:-1])
        np.minimum(near_lo[1:], lo[:-1], out=near_lo[1:])
        np.minimum(near_lo[:-1], lo[1:], out=near_lo[:-1])
        span = near_hi - near_lo
        moving = np.zeros(len(span) + 2, bool)
        moving[1:-1] = ~(span < p.min_prominence) if not np.isnan(span).any() else True
        edges = np.flatnonzero(moving[1:] != moving[:-1]).reshape(-1, 2) * size
        found, prominence = [], []
        for first, last in edges.tolist():
            a, b = max(first, w), min(last, n - w)
            if a >= b:
                continue
            part = v[a - w:b + w]
            mid = v[a:b]
            hi_w = maximum_filter1d(part, size)[w:len(part) - w]
            prom = mid - minimum_filter1d(part, size)[w:len(part) - w]
            keep = np.flatnonzero((mid == hi_w) & (prom >= p.min_prominence))
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
