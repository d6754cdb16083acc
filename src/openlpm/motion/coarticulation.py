"""Phone timeline -> mouth curves, with coarticulation (dominance blending) and lip closure.

Each phone pulls the mouth toward its viseme with a dominance that is flat over the phone and
decays exponentially before (anticipation) and after (carry-over) it; every frame is the
dominance-weighted mean of the targets (Cohen & Massaro 1993). A final pass makes sure the lips
meet in at least one frame of every p/b/m, whatever the neighbours wanted.
"""

from __future__ import annotations

import numpy as np

from openlpm.audio.phones import PhoneTimeline
from openlpm.motion.visemes import MOUTH_CHANNELS, Viseme, viseme_for

_INDEX = {name: i for i, name in enumerate(MOUTH_CHANNELS)}
_REACH = 4.0  # tails are cut after this many decay lengths (e^-4 < 2%)
# Channels that hold the lips apart, zeroed while they must be closed.
_LIP_OPENERS = (
    "mouthFunnel",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "tongueOut",
)


def mouth_curves(
    timeline: PhoneTimeline, fps: float, n_frames: int, lead_s: float = 0.0
) -> np.ndarray:
    """(n_frames, len(MOUTH_CHANNELS)) weights; frame i shows the mouth of time i / fps + lead_s."""
    times = np.arange(n_frames) / fps + lead_s
    num = np.zeros((n_frames, len(MOUTH_CHANNELS)))
    den = np.full(n_frames, 1e-6)
    for phone in timeline.phones:
        vis = viseme_for(phone.label)
        lo = np.searchsorted(times, phone.start - _REACH * vis.lead_s)
        hi = np.searchsorted(times, phone.end + _REACH * vis.lag_s)
        if hi <= lo:
            continue
        d = _dominance(vis, phone.start, phone.end, times[lo:hi])
        num[lo:hi] += d[:, None] * _target(vis)
        den[lo:hi] += d
    curves = num / den[:, None]
    _close_bilabials(curves, timeline, fps, lead_s)
    return np.clip(curves, 0.0, 1.0)


def _dominance(vis: Viseme, start: float, end: float, t: np.ndarray) -> np.ndarray:
    before = np.maximum(start - t, 0) / vis.lead_s
    after = np.maximum(t - end, 0) / vis.lag_s
    return vis.strength * np.exp(-(before + after))


def _target(vis: Viseme) -> np.ndarray:
    out = np.zeros(len(MOUTH_CHANNELS))
    for name, value in vis.target.items():
        out[_INDEX[name]] = value
    return out


def closure_frames(start: float, end: float, fps: float, n_frames: int) -> list[int]:
    """Frames whose time falls inside [start, end], or the one nearest its middle."""
    first, last = int(np.ceil(start * fps - 1e-9)), int(np.floor(end * fps + 1e-9))
    frames = list(range(max(first, 0), min(last, n_frames - 1) + 1))
    return frames or [min(max(round((start + end) / 2 * fps), 0), n_frames - 1)]


def _close_bilabials(
    curves: np.ndarray, timeline: PhoneTimeline, fps: float, lead_s: float
) -> None:
    jaw, close = _INDEX["jawOpen"], _INDEX["mouthClose"]
    openers = [_INDEX[n] for n in _LIP_OPENERS]
    for phone in timeline.phones:
        if not viseme_for(phone.label).closes_lips or len(curves) == 0:
            continue
        for f in closure_frames(phone.start - lead_s, phone.end - lead_s, fps, len(curves)):
            curves[f, close] = curves[f, jaw]  # lips together, whatever the jaw does
            curves[f, openers] = 0.0
