"""Blinks from the eye aspect ratio (Soukupova and Cech 2016)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openlpm.bench.metrics.signals import filled, runs

# Closed: EAR under this share of the clip's open-eye level (its median), for at least
# MIN_FRAMES frames. Relative, not the usual absolute ~0.2, because drawn characters have
# eyes of every shape; for a typical open EAR of 0.3 it is 0.18.
CLOSED_SHARE = 0.6
MIN_FRAMES = 2


@dataclass(frozen=True)
class BlinkResult:
    onsets: tuple[float, ...]  # seconds
    per_minute: float


def closed_mask(ear: np.ndarray) -> np.ndarray:
    e = filled(ear)
    if not np.isfinite(e).any():
        return np.zeros(len(e), bool)
    return e < CLOSED_SHARE * np.nanmedian(e)


def closures(ear: np.ndarray, fps: float, min_frames: int = MIN_FRAMES) -> list[tuple[int, int]]:
    """[start, end) frame runs with the eye closed for at least ``min_frames``."""
    return [(a, b) for a, b in runs(closed_mask(ear)) if b - a >= min_frames]


def blinks(ear_left: np.ndarray, ear_right: np.ndarray, fps: float) -> BlinkResult:
    """Blinks of both eyes together (the mean EAR): onsets and the rate per minute."""
    ear = (np.asarray(ear_left) + np.asarray(ear_right)) / 2
    onsets = tuple(a / fps for a, _ in closures(ear, fps))
    minutes = len(ear) / fps / 60
    return BlinkResult(onsets, len(onsets) / minutes if minutes > 0 else 0.0)
