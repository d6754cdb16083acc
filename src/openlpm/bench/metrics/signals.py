"""Signals per video frame: the speech envelope, gap filling, runs of a mask."""

from __future__ import annotations

import numpy as np

from openlpm.io.audio import Audio

ENVELOPE_RANGE_DB = 40.0  # the envelope spans this many dB below the clip's loud speech


def frame_rms(audio: Audio, fps: float, n: int) -> np.ndarray:
    """(n,) RMS of the samples in a one-frame window centred on each frame's time i / fps."""
    x = audio.samples.astype(np.float64)
    hop = audio.sample_rate / fps
    out = np.zeros(n)
    for i in range(n):
        lo = max(0, round((i - 0.5) * hop))
        hi = min(len(x), round((i + 0.5) * hop))
        if hi > lo:
            out[i] = np.sqrt(np.mean(x[lo:hi] ** 2))
    return out


def envelope(audio: Audio, fps: float, n: int) -> np.ndarray:
    """(n,) loudness in [0, 1]: 0 at 40 dB under the clip's loud speech (95th percentile of
    the frame levels), 1 at it. Decibels, not amplitude: the jaw opens with loudness, and a
    level-free scale makes clips of any recording gain comparable."""
    db = 20 * np.log10(frame_rms(audio, fps, n) + 1e-9)
    if n == 0:
        return db
    top = np.percentile(db, 95)
    return np.clip((db - top + ENVELOPE_RANGE_DB) / ENVELOPE_RANGE_DB, 0.0, 1.0)


def filled(x: np.ndarray) -> np.ndarray:
    """``x`` with NaNs linearly interpolated (held at the ends); all-NaN stays all-NaN."""
    x = np.asarray(x, dtype=np.float64)
    ok = np.isfinite(x)
    if ok.all() or not ok.any():
        return x.copy()
    idx = np.arange(len(x))
    return np.interp(idx, idx[ok], x[ok])


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs of a boolean array."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def nanmean(x: np.ndarray | list[float]) -> float | None:
    """Mean of the finite values; None when there are none."""
    a = np.asarray(x, dtype=np.float64)
    a = a[np.isfinite(a)]
    return float(a.mean()) if a.size else None


def nanmedian(x: np.ndarray | list[float]) -> float | None:
    a = np.asarray(x, dtype=np.float64)
    a = a[np.isfinite(a)]
    return float(np.median(a)) if a.size else None
