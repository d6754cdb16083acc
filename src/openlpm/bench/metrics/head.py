"""Head and face motion from pixels: pose statistics, nods, motion energy, jumps at switches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d
from scipy.signal import find_peaks

from openlpm.bench.metrics.signals import filled

NOD_DEG = 1.5  # a chin-down excursion of at least this (degrees, detrended) is a nod
NOD_MAX_S = 1.2  # ... lasting at most this long
NOD_GAP_S = 0.3  # nods at least this far apart
TREND_S = 1.5  # slow posture changes (longer than this) are not nods
NOD_AFTER_PAUSE_S = (0.0, 1.5)  # a nod this soon after a pause starts answers it


@dataclass(frozen=True)
class HeadStats:
    yaw_std: float | None  # degrees
    pitch_std: float | None
    roll_std: float | None
    velocity: float | None  # mean angular speed, degrees/s (the three angles together)


VELOCITY_S = 0.2  # angles are averaged over this before differencing (landmark jitter)


def _pose(x: np.ndarray) -> np.ndarray:
    """Angles with the face-lost frames filled and single-frame landmark jitter removed."""
    return median_filter(filled(x), size=3, mode="nearest")


def decoupled_pitch(pitch: np.ndarray, fps: float, *couplers: np.ndarray | None) -> np.ndarray:
    """Pitch with the leakage of other face motion regressed out (least squares on the
    detrended signals): mediapipe's whole mesh tilts when the jaw opens (1.5 degrees std on a
    mouth-only animation) and when the lids close, which would read as nodding."""
    p = filled(pitch)
    size = max(3, int(TREND_S * fps) | 1)

    def detrend(x: np.ndarray) -> np.ndarray:
        return x - median_filter(x, size=size, mode="nearest")

    cols = [filled(c) for c in couplers if c is not None]
    cols = [c for c in cols if np.isfinite(c).all() and np.std(c) > 1e-6]
    if len(p) < 3 or not np.isfinite(p).all() or not cols:
        return p
    x = np.stack([detrend(c) for c in cols], axis=1)
    beta, *_ = np.linalg.lstsq(x, detrend(p), rcond=None)
    return p - np.stack([c - np.median(c) for c in cols], axis=1) @ beta


def head_stats(
    yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray, fps: float, *couplers: np.ndarray
) -> HeadStats:
    """Spread and speed of the head angles; ``couplers`` (mouth gap, EAR) decouple the pitch."""
    pitch = decoupled_pitch(pitch, fps, *couplers)
    angles = [_pose(a) for a in (yaw, pitch, roll)]
    if len(yaw) < 3 or not all(np.isfinite(a).all() for a in angles):
        return HeadStats(None, None, None, None)
    size = max(1, round(VELOCITY_S * fps))
    slow = [uniform_filter1d(a, size=size, mode="nearest") for a in angles]
    step = np.sqrt(sum(np.diff(a) ** 2 for a in slow))
    return HeadStats(*(float(np.std(a)) for a in angles), velocity=float(step.mean() * fps))


def speed_energy_r(
    yaw: np.ndarray,
    pitch: np.ndarray,
    roll: np.ndarray,
    envelope: np.ndarray,
    fps: float,
    *couplers: np.ndarray,
) -> float | None:
    """Pearson r of the head's angular speed with the speech envelope, both averaged over
    VELOCITY_S (and 0.5 s more: a head moves with the phrase, not with each syllable)."""
    pitch = decoupled_pitch(pitch, fps, *couplers)
    angles = [_pose(a) for a in (yaw, pitch, roll)]
    if len(yaw) < 10 or not all(np.isfinite(a).all() for a in angles):
        return None
    size = max(1, round(VELOCITY_S * fps))
    slow = [uniform_filter1d(a, size=size, mode="nearest") for a in angles]
    speed = np.sqrt(sum(np.diff(a) ** 2 for a in slow))
    span = max(1, round((VELOCITY_S + 0.5) * fps))
    a = uniform_filter1d(speed, size=span, mode="nearest")
    b = uniform_filter1d(np.asarray(envelope, np.float64)[1 : len(speed) + 1], span, mode="nearest")
    if len(a) != len(b) or np.std(a) < 1e-9 or np.std(b) < 1e-12:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def nods(pitch: np.ndarray, fps: float, *couplers: np.ndarray) -> list[float]:
    """Times (s) of nods: chin-down dips of the detrended pitch (decoupled, see above)."""
    p = _pose(decoupled_pitch(pitch, fps, *couplers))
    if len(p) < 3 or not np.isfinite(p).all():
        return []
    trend = median_filter(p, size=max(3, int(TREND_S * fps) | 1), mode="nearest")
    dips, _ = find_peaks(
        trend - p,
        prominence=NOD_DEG,
        width=(1, NOD_MAX_S * fps),
        distance=max(1, round(NOD_GAP_S * fps)),
    )
    return [float(i / fps) for i in dips]


@dataclass(frozen=True)
class NodTiming:
    after_pause: float | None  # share of nods within NOD_AFTER_PAUSE_S of a pause onset
    delay_s: float | None  # median delay from that pause onset


def nod_timing(nod_times: list[float], pause_onsets: list[float]) -> NodTiming:
    if not nod_times:
        return NodTiming(None, None)
    lo, hi = NOD_AFTER_PAUSE_S
    delays = []
    for t in nod_times:
        before = [t - p for p in pause_onsets if lo <= t - p <= hi]
        if before:
            delays.append(min(before))
    share = len(delays) / len(nod_times)
    return NodTiming(share, float(np.median(delays)) if delays else None)


def landmark_jump(previous: np.ndarray | None, current: np.ndarray | None, face_h: float) -> float:
    """Mean 2-D displacement of the landmarks between two frames, in face heights."""
    if previous is None or current is None or face_h <= 0:
        return float("nan")
    return float(np.linalg.norm(current[:, :2] - previous[:, :2], axis=1).mean() / face_h)


def motion_energy(jump: np.ndarray, fps: float) -> float | None:
    """Mean landmark speed, face heights per second (face-lost frames left out)."""
    j = np.asarray(jump, dtype=np.float64)
    j = j[np.isfinite(j)]
    return float(j.mean() * fps) if j.size else None


@dataclass(frozen=True)
class SwitchJumps:
    peak: float | None  # largest frame-to-frame jump near a switch, face heights
    ratio: float | None  # that over the 95th percentile of the jumps elsewhere


def switch_jumps(jump: np.ndarray, switches: list[int], window: int = 3) -> SwitchJumps:
    """Frame-to-frame landmark jumps within ``window`` frames of each turn switch."""
    j = np.asarray(jump, dtype=np.float64)
    near = np.zeros(len(j), bool)
    for s in switches:
        near[max(0, s - window) : s + window + 1] = True
    at, elsewhere = j[near & np.isfinite(j)], j[~near & np.isfinite(j)]
    if not at.size:
        return SwitchJumps(None, None)
    peak = float(at.max())
    base = float(np.percentile(elsewhere, 95)) if elsewhere.size else None
    return SwitchJumps(peak, peak / base if base else None)


def smoothed(x: np.ndarray, fps: float, seconds: float = 0.2) -> np.ndarray:
    """A moving average (for plots of jittery traces)."""
    return uniform_filter1d(filled(x), size=max(1, round(seconds * fps)), mode="nearest")
