"""scipy.signal's ``resample_poly`` and ``find_peaks`` (height and distance), in numpy.

A live session resamples speech and finds its pitch accents whenever the agent speaks with text;
importing scipy.signal for that costs a long-lived process 37 MB of memory (it pulls in
scipy.optimize, stats, interpolate, integrate and fft). These give scipy's results: the same
filter, padding and peak rules (``tests/test_audio.py`` compares them).
"""

from __future__ import annotations

import math

import numpy as np

KAISER_BETA = 5.0  # resample_poly's default window, ('kaiser', 5.0)
_BLOCK = 1 << 14  # outputs of one phase computed at a time: bounded temporaries
_STREAM_BLOCK = 2048  # outputs of a stream computed at a time (their windows: 0.5 MB or so)


def resample_poly(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """``scipy.signal.resample_poly(x, up, down)`` for 1-D float ``x``: upsample by ``up``,
    apply scipy's Kaiser-windowed low-pass FIR, downsample by ``down``, zero padding."""
    x = np.asarray(x)
    g = math.gcd(up, down)
    up, down = up // g, down // g
    if up == down == 1:
        return x.copy()
    n_in = len(x)
    n_out = -(-n_in * up // down)
    h, half_len = antialias_filter(up, down, x.dtype)
    n_pre_pad = down - half_len % down
    n_pre_remove = (half_len + n_pre_pad) // down
    n_post_pad = 0
    while _output_len(len(h) + n_pre_pad + n_post_pad, n_in, up, down) < n_out + n_pre_remove:
        n_post_pad += 1
    h = np.concatenate([np.zeros(n_pre_pad, h.dtype), h, np.zeros(n_post_pad, h.dtype)])
    return _upfirdn(h, x, up, down, n_pre_remove, n_pre_remove + n_out)


def antialias_filter(up: int, down: int, dtype: np.dtype) -> tuple[np.ndarray, int]:
    """resample_poly's filter for a reduced ratio ``up/down`` at the upsampled rate, with gain
    ``up``, and its half length (its delay, in upsampled samples: 10 input or output samples
    at the lower of the two rates)."""
    max_rate = max(up, down)
    half_len = 10 * max_rate
    return _lowpass(2 * half_len + 1, 1.0 / max_rate).astype(dtype) * up, half_len


class PolyphaseStream:
    """``resample_poly`` as a stream: chunks of any size in, the same outputs out (to float32
    rounding) as resampling the whole signal at once, each output as soon as the inputs it
    reads have arrived (the filter's half length, 10 samples at the lower rate, later);
    ``flush`` gives the rest, reading zeros past the end, as the batch does.

    Output m reads inputs i <= (m * down + half_len) // up with the coefficients of phase
    (m * down + half_len) % up: a chunk's outputs are one gather of input windows and a
    row-wise dot product with their phases."""

    def __init__(self, up: int, down: int) -> None:
        g = math.gcd(up, down)
        self.up, self.down = up // g, down // g
        h, self.half_len = antialias_filter(self.up, self.down, np.dtype(np.float32))
        self.taps = -(-len(h) // self.up)
        padded = np.zeros(self.taps * self.up, np.float32)
        padded[: len(h)] = h
        # [r, j] multiplies input i_hi - (taps - 1) + j, for outputs with phase r
        self._coef = np.ascontiguousarray(padded.reshape(self.taps, self.up).T[:, ::-1])
        self._window = np.arange(self.taps)
        self._buf = np.zeros(self.taps, np.float32)  # inputs from index self._base on
        self._base = -self.taps
        self._received = 0  # inputs so far
        self._emitted = 0  # outputs so far

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self._buf = np.concatenate([self._buf, np.asarray(x, np.float32)])
        self._received += len(x)
        # outputs whose last input has arrived: m * down + half_len <= received * up - 1
        ready = (self._received * self.up - 1 - self.half_len) // self.down + 1
        return self._emit(ready)

    def flush(self) -> np.ndarray:
        """The outputs still owed, as if zeros followed: the batch's ceil(n * up / down) in all."""
        total = -(-self._received * self.up // self.down)
        self._buf = np.concatenate([self._buf, np.zeros(self.taps + 1, np.float32)])
        return self._emit(total)

    def _emit(self, end: int) -> np.ndarray:
        y = np.empty(max(end - self._emitted, 0), np.float32)
        for at in range(0, len(y), _STREAM_BLOCK):  # bounded temporaries for a long push
            m = np.arange(self._emitted + at, min(self._emitted + at + _STREAM_BLOCK, end))
            k = m * self.down + self.half_len
            first = k // self.up - (self.taps - 1) - self._base  # each window's start in _buf
            windows = self._buf[first[:, None] + self._window]
            y[at : at + len(m)] = np.einsum("ij,ij->i", windows, self._coef[k % self.up])
        self._emitted = max(end, self._emitted)
        # keep the inputs from the next output's window on
        keep = (self._emitted * self.down + self.half_len) // self.up - (self.taps - 1)
        cut = min(max(keep - self._base, 0), len(self._buf))
        self._buf = self._buf[cut:]
        self._base += cut
        return y


def _lowpass(taps: int, cutoff: float) -> np.ndarray:
    """``scipy.signal.firwin(taps, cutoff, window=('kaiser', 5.0))``: windowed sinc, unit gain
    at 0 Hz (cutoff relative to Nyquist)."""
    m = np.arange(taps) - 0.5 * (taps - 1)
    h = cutoff * np.sinc(cutoff * m) * np.kaiser(taps, KAISER_BETA)
    return h / h.sum()


def _output_len(len_h: int, n_in: int, up: int, down: int) -> int:
    return ((n_in - 1) * up + len_h - 1) // down + 1


def _upfirdn(h: np.ndarray, x: np.ndarray, up: int, down: int, first: int, end: int) -> np.ndarray:
    """Outputs ``first:end`` of upsample-filter-downsample, polyphase. Output m uses the taps
    of phase (m * down) % up against the input up to sample (m * down) // up; the outputs with
    one m % up share their phase and step through the input ``down`` samples at a time, so each
    such set is one strided matrix-vector product."""
    taps = -(-len(h) // up)
    phases = np.zeros(taps * up, h.dtype)
    phases[: len(h)] = h
    reversed_phases = phases.reshape(taps, up)[::-1]  # [taps - 1 - t, p] = h[p + up * t]
    last = (end - 1) * down // up + 1  # the furthest input sample an output reads, plus one
    padded = np.zeros(taps + max(len(x), last) + 1, x.dtype)
    padded[taps : taps + len(x)] = x
    windows = np.lib.stride_tricks.sliding_window_view(padded, taps)  # [s] = padded[s:s + taps]
    y = np.empty(end - first, np.result_type(h, x))
    for c in range(up):
        m0 = first + (c - first) % up  # the first output with m % up == c
        if m0 >= end:
            continue
        count = -(-(end - m0) // up)
        q0 = m0 * down // up + 1  # output m0's window: input samples q0 - taps .. q0 - 1
        taps_p = reversed_phases[:, m0 * down % up]
        for r in range(0, count, _BLOCK):
            n = min(_BLOCK, count - r)
            rows = windows[q0 + down * r : q0 + down * (r + n - 1) + 1 : down]
            y[m0 - first + up * r : m0 - first + up * (r + n) : up] = rows @ taps_p
    return y


def find_peaks(x: np.ndarray, height: float, distance: float) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.signal.find_peaks(x, height=height, distance=distance)``: (indices, heights) of
    local maxima (a flat top counts once, at its middle) at least ``height`` high, the
    highest kept first where two are closer than ``distance`` samples."""
    x = np.asarray(x, np.float64)
    peaks = _local_maxima(x)
    peaks = peaks[x[peaks] >= height]
    keep = _apart(peaks, x[peaks], math.ceil(distance))
    return peaks[keep], x[peaks[keep]]


def _local_maxima(x: np.ndarray) -> np.ndarray:
    found, i, last = [], 1, len(x) - 1
    while i < last:
        if x[i - 1] < x[i]:
            ahead = i + 1
            while ahead < last and x[ahead] == x[i]:
                ahead += 1
            if x[ahead] < x[i]:
                found.append((i + ahead - 1) // 2)
                i = ahead
        i += 1
    return np.array(found, np.intp)


def _apart(peaks: np.ndarray, priority: np.ndarray, distance: int) -> np.ndarray:
    keep = np.ones(len(peaks), bool)
    for j in np.argsort(priority)[::-1]:
        if not keep[j]:
            continue
        k = j - 1
        while k >= 0 and peaks[j] - peaks[k] < distance:
            keep[k] = False
            k -= 1
        k = j + 1
        while k < len(peaks) and peaks[k] - peaks[j] < distance:
            keep[k] = False
            k += 1
    return keep
