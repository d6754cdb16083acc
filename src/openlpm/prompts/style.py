"""How an emotion colours the whole performance, not only the face: the head's own motion
(what the performance already does while the emotion lasts) moves more, less, slower or sharper.

The head angles are split into a slow trend (posture, over STYLE_TREND_S) and the movement
around it; the movement is scaled by the emotion's ``gain`` and, with ``sharpness``, its fast
part is boosted (> 0: crisper, angrier moves) or removed (< 0: slower, heavier ones). Emotions
without a style leave the curves bit-identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openlpm.motion.behaviour import HEAD_STEP_LIMIT_DEG, slew_limited
from openlpm.motion.params import PARAM_INDEX
from openlpm.motion.smoothing import gaussian_filter1d

STYLE_TREND_S = 1.5  # slower than this is posture, not movement
FAST_S = 0.12  # the "fast part" of a movement: what a Gaussian of this sigma removes
_HEAD = [PARAM_INDEX[n] for n in ("headYaw", "headPitch", "headRoll")]


@dataclass(frozen=True)
class MotionStyle:
    gain: float = 1.0  # x the movement around the posture
    sharpness: float = 0.0  # + boosts the fast part of the movement, - (down to -1) removes it


STYLES: dict[str, MotionStyle] = {
    "happy": MotionStyle(1.35, 0.0),
    "excited": MotionStyle(1.5, 0.2),
    "sad": MotionStyle(0.55, -0.8),
    "angry": MotionStyle(1.15, 1.2),
    "calm": MotionStyle(0.7, -0.5),
    "fearful": MotionStyle(0.8, 0.3),
    "surprised": MotionStyle(1.15, 0.3),
    "shy": MotionStyle(0.7, -0.3),
}


def restyle(values: np.ndarray, fps: float, weight: np.ndarray, style: MotionStyle) -> np.ndarray:
    """``values`` (frames, PARAMS) with the head's movement restyled where ``weight`` (0..1 per
    frame: the emotion's ramped span, times its intensity) is on."""
    out = values.copy()
    if not len(values) or not weight.any():
        return out
    for i in _HEAD:
        x = values[:, i].astype(np.float64)
        trend = gaussian_filter1d(x, STYLE_TREND_S * fps / 2, mode="nearest")
        move = x - trend
        smooth = gaussian_filter1d(move, max(FAST_S * fps, 0.5), mode="nearest")
        styled = style.gain * (move + style.sharpness * (move - smooth))
        restyled = trend + move + weight * (styled - move)
        out[:, i] = slew_limited(restyled, HEAD_STEP_LIMIT_DEG)  # sharper, never a jump
    return out
