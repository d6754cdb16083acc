"""Lips from pixels: closure on p/b/m, and opening where the character should be silent."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openlpm.audio.phones import PhoneTimeline
from openlpm.audio.prosody import analyse
from openlpm.io.audio import Audio

CLOSED = 0.02  # inner-lip gap (face heights) under which the lips count as closed
OPEN = 0.04  # gap above which the mouth is visibly open (a speaking vowel is 0.05-0.12)
BILABIALS = frozenset({"P", "B", "M"})
PAUSE_MIN_S = 0.3  # pauses at least this long are checked for false lip motion
PAUSE_TRIM_S = 0.12  # ... minus this much at each end (closing after, anticipating before)


@dataclass(frozen=True)
class ClosureResult:
    bilabials: int  # p/b/m phones in the reference timing
    hits: int  # of them with the lips closed in some frame of the phone +- 1 frame
    rate: float | None  # hits / bilabials
    chance: float | None  # the same test on every other (non-silent) phone
    others: int  # how many other phones that was

    @property
    def beyond_chance(self) -> float | None:
        if self.rate is None or self.chance is None:
            return None
        return self.rate - self.chance


def _closed_near(gap: np.ndarray, start: float, end: float, fps: float) -> bool | None:
    lo = int(np.floor(start * fps)) - 1
    hi = int(np.ceil(end * fps)) + 1
    window = gap[max(lo, 0) : min(hi, len(gap) - 1) + 1]
    window = window[np.isfinite(window)]
    if window.size == 0:
        return None
    return bool(window.min() < CLOSED)


def closure(phones: PhoneTimeline, gap: np.ndarray, fps: float) -> ClosureResult:
    """For each p/b/m, a hit if the lips close within the phone +- 1 frame. ``chance`` is how
    often the same window closes on the other phones that neither touch a p/b/m nor a pause
    (a mouth that is always shut, or one that just follows loudness, closes there too)."""
    hits, total, other_hits, others = 0, 0, 0, 0
    seq = phones.phones
    for k, p in enumerate(seq):
        if p.label == "SIL" or p.start * fps >= len(gap):
            continue
        closed = _closed_near(gap, p.start, p.end, fps)
        if closed is None:
            continue
        if p.label in BILABIALS:
            total, hits = total + 1, hits + closed
        elif not _touches(seq, k, BILABIALS | {"SIL"}):
            others, other_hits = others + 1, other_hits + closed
    return ClosureResult(
        bilabials=total,
        hits=hits,
        rate=hits / total if total else None,
        chance=other_hits / others if others else None,
        others=others,
    )


def _touches(seq, k: int, labels: frozenset[str]) -> bool:
    """Whether the phone before or after seq[k] is one of ``labels`` (edges count as SIL)."""
    before = seq[k - 1].label if k > 0 else "SIL"
    after = seq[k + 1].label if k + 1 < len(seq) else "SIL"
    return before in labels or after in labels


def pause_mask(audio: Audio, fps: float, n: int) -> np.ndarray:
    """(n,) True on frames well inside the speech's pauses (>= PAUSE_MIN_S, trimmed)."""
    mask = np.zeros(n, bool)
    for start, end in analyse(audio).pauses():
        if end - start < PAUSE_MIN_S:
            continue
        lo = int(np.ceil((start + PAUSE_TRIM_S) * fps))
        hi = int(np.floor((end - PAUSE_TRIM_S) * fps))
        mask[max(lo, 0) : max(min(hi + 1, n), 0)] = True
    return mask


@dataclass(frozen=True)
class ApertureStats:
    mean: float | None  # inner-lip gap over the clip, face heights
    p95: float | None  # its 95th percentile: the open vowels


def aperture_stats(gap: np.ndarray) -> ApertureStats:
    """How far the lips part over a clip, from the frames with a face found. The human range
    (DESIGN.md, real talking videos): mean 0.035-0.053, 95th percentile 0.067-0.11."""
    g = gap[np.isfinite(gap)]
    if g.size == 0:
        return ApertureStats(None, None)
    return ApertureStats(float(np.mean(g)), float(np.percentile(g, 95)))


def false_motion(gap: np.ndarray, silent: np.ndarray) -> float | None:
    """Fraction of the silent frames (with a face found) where the mouth is open."""
    g = gap[silent & np.isfinite(gap)]
    return float(np.mean(g > OPEN)) if g.size else None
