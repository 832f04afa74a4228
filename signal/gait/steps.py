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


class StepFinder:
    """Streaming initial-contact detector; feed it consecutive chunks with :meth:`update`."""

    def __init__(self, rate_hz: float, params: StepParams | None = None) -> None:
        self.rate_hz = float(rate_hz)
        self.params = params or StepParams()
        p = self.params
        self._lp_b, self._lp_a = butter(2, min(p.gravity_cutoff_hz / (rate_hz / 2), 0.99))
        self._kernel = gaussian_kernel(rate_hz, p.smooth_s)
        self._delay = (len(self._kernel) - 1) // 2
        self._w = max(1, int(round(p.min_step_s * rate_hz)))
        self._lp_zi: np.ndarray | None = None
        self._pos_sos = position_filter(rate_hz, p)
        self._pos_zi = np.zeros((len(self._pos_sos), 2))
        self._fir_zi = np.zeros((len(self._kernel) - 1, 2))
        self._pos_hist = np.zeros(self._delay)  # position is only delayed, not smoothed
        self._seen = 0
        self._t_hist = np.empty(0)
        # Smoothed [vertical acc, yaw rate, vertical position] awaiting their look-ahead; starts with
        # w samples of rest.
        self._buf = np.zeros((self._w, 3))
        self._buf_t = np.full(self._w, np.nan)
        self._top, self._bottom = -np.inf, np.inf  # position extremes since the last candidate
        self._decided_until = -np.inf

    def vertical(self, acc: np.ndarray, gyr: np.ndarray | None) -> np.ndarray:
        """Vertical acceleration without gravity, yaw rate and vertical position (n, 3), carrying state."""
        if self._lp_zi is None:
            self._lp_zi = lfilter_zi(self._lp_b, self._lp_a)[:, None] * acc[0]
        g, self._lp_zi = lfilter(self._lp_b, self._lp_a, acc, axis=0, zi=self._lp_zi)
        norm = np.sqrt(np.einsum("ij,ij->i", g, g))
        norm[norm == 0] = 1.0
        out = np.empty((len(acc), 3))
        out[:, 0] = np.einsum("ij,ij->i", acc, g) / norm - norm
        out[:, 1] = np.nan if gyr is None else np.einsum("ij,ij->i", gyr, g) / norm
        out[:, 2], self._pos_zi = sosfilt(self._pos_sos, out[:, 0], zi=self._pos_zi)
        return out

    def _smooth(self, t: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gaussian smoothing as a causal FIR, re-aligned: returns (times, values) of samples it completed.

        The vertical position is only delayed by the same amount: smoothing it would shrink the step's
        excursion (by a quarter at two steps a second) and bias the step length."""
        y = np.empty_like(x)
        y[:, :2], self._fir_zi = lfilter(self._kernel, [1.0], x[:, :2], axis=0, zi=self._fir_zi)
        z = np.concatenate([self._pos_hist, x[:, 2]])
        y[:, 2] = z[:len(x)]
        self._pos_hist = z[len(x):]
        t_all = np.concatenate([self._t_hist, t])
        skip = max(0, self._delay - self._seen)
        self._seen += len(t)
        done = max(0, len(t_all) - self._delay)
        self._t_hist = t_all[done:]
        return t_all[:done], y[skip:]

    def update(self, t: np.ndarray, acc: np.ndarray, gyr: np.ndarray | None) -> Contacts:
        """Contacts whose look-ahead is complete after this chunk (possibly none, possibly older ones)."""
        if len(t) == 0:
            return Contacts.none(self._decided_until)
        ts, ys = self._smooth(t, self.vertical(acc, gyr))
        buf = np.concatenate([self._buf, ys])
        buf_t = np.concatenate([self._buf_t, ts])
        w = self._w
        if len(buf) < 2 * w + 1:
            self._buf, self._buf_t = buf, buf_t
            return Contacts.none(self._decided_until)
        found = self._peaks(buf, buf_t)
        self._decided_until = float(buf_t[len(buf) - w - 1])
        self._buf, self._buf_t = buf[len(buf) - 2 * w:], buf_t[len(buf) - 2 * w:]
        return Contacts(*found, self._decided_until)

    def _peaks(self, buf: np.ndarray, buf_t: np.ndarray) -> tuple[np.ndarray, ...]:
        """Local maxima of the vertical acceleration in the decidable part of the buffer."""
        w, p = self._w, self.params
        v = buf[:, 0]
        size = 2 * w + 1
        hi = maximum_filter1d(v, size)[w:len(v) - w]
        lo = minimum_filter1d(v, size)[w:len(v) - w]
        mid = v[w:len(v) - w]
        prom = mid - lo
        idx = np.flatnonzero((mid == hi) & (prom >= p.min_prominence)) + w
        # Parabolic interpolation: sub-sample timing matters at 20 Hz (50 ms per sample).
        y0, y1, y2 = v[idx - 1], v[idx], v[idx + 1]
        den = y0 - 2 * y1 + y2
        shift = np.where(den < 0, 0.5 * (y0 - y2) / np.where(den < 0, den, -1.0), 0.0).clip(-0.5, 0.5)
        dt = buf_t[idx + 1] - buf_t[idx]
        times = buf_t[idx] + shift * dt - p.ic_offset_s
        lead = min(w, int(round(p.side_lead_s * self.rate_hz)))
        top, bottom = self._excursions(buf[w:len(v) - w, 2], idx - w)
        return times, buf[idx - lead, 1], prom[idx - w], top, bottom

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
