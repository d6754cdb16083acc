"""Audio-visual sync from pixels: mouth aperture against the speech envelope.

SyncNet's protocol with a weight-free signal: correlate the aperture with the envelope at
shifts of -10..+10 frames; the offset is the shift with the highest correlation and the
confidence is that peak minus the median over all shifts. Sign as ITU-R BT.1359: + means the
audio leads (the mouth moves after the sound it makes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openlpm.bench.metrics.signals import filled

MAX_LAG = 10  # frames each way
FLAT = 0.003  # an aperture spread (face heights) under this is a still mouth plus landmark jitter
# ITU-R BT.1359 acceptability (+ audio leads), milliseconds
DETECTABLE_MS = (-125.0, 45.0)
ACCEPTABLE_MS = (-185.0, 90.0)


@dataclass(frozen=True, eq=False)
class SyncResult:
    correlation: float | None  # Pearson at zero shift; None when the mouth does not move
    offset_frames: int | None  # + audio leads
    offset_ms: float | None
    confidence: float | None  # peak minus median correlation over the shifts
    lags: np.ndarray  # frames, -MAX_LAG..MAX_LAG
    curve: np.ndarray  # correlation at each lag (NaN where undefined)


def pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    if len(a) < 3 or np.std(a) < FLAT or np.std(b) < 1e-9:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def shifted_correlation(aperture: np.ndarray, env: np.ndarray, lag: int) -> float | None:
    """corr(aperture[t + lag], env[t]) over the overlap."""
    n = min(len(aperture), len(env))
    a, e = aperture[:n], env[:n]
    if lag >= 0:
        return pearson(a[lag:], e[: n - lag])
    return pearson(a[:lag], e[-lag:])


def av_sync(
    aperture: np.ndarray, env: np.ndarray, fps: float, max_lag: int = MAX_LAG
) -> SyncResult:
    """Sync of one clip; NaN apertures (face lost) are interpolated over."""
    a = filled(aperture)
    lags = np.arange(-max_lag, max_lag + 1)
    if not np.isfinite(a).all() or np.std(a) < FLAT:
        return SyncResult(None, None, None, None, lags, np.full(len(lags), np.nan))
    curve = np.array(
        [np.nan if (c := shifted_correlation(a, env, int(k))) is None else c for k in lags]
    )
    if not np.isfinite(curve).any():
        return SyncResult(None, None, None, None, lags, curve)
    best = int(np.nanargmax(curve))
    offset = int(lags[best])
    return SyncResult(
        correlation=shifted_correlation(a, env, 0),
        offset_frames=offset,
        offset_ms=1000.0 * offset / fps,
        confidence=float(curve[best] - np.nanmedian(curve)),
        lags=lags,
        curve=curve,
    )


def acceptable(offset_ms: float | None) -> bool:
    """Within ITU-R BT.1359's acceptability window."""
    return offset_ms is not None and ACCEPTABLE_MS[0] <= offset_ms <= ACCEPTABLE_MS[1]
