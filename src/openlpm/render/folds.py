"""Skin folds an expression makes: the nasolabial folds of a smile, after the warp.

A smile raises the cheeks against the upper lip, and the skin folds along the line from the
wing of the nose round the corner of the mouth: the crease is dark, the lip side of it in the
cheek's shadow, the cheek above it bulges into the light. A warp moves the skin but cannot
make that shading: a smile without it read as a stretched mouth under still cheeks. Drawn
here per output pixel in a small box beside each side of the mouth, as a change of the skin's
own brightness (its hue kept), in proportion to the smile. Flat-shaded art (a cel style) draws
its own fold lines or none: nothing is added there.
"""

from __future__ import annotations

import functools
import itertools
import math

import cv2
import numpy as np

from openlpm.character import topology as T
from openlpm.motion.frame import MotionFrame
from openlpm.motion.params import PARAM_INDEX

# Landmarks along each fold, from the nose wing round the corner of the mouth (MediaPipe).
FOLD_RIGHT = (129, 203, 206, 216, 212)
FOLD_LEFT = (358, 423, 426, 436, 432)
# In face heights: the crease's half width, how far from it the cheek's bulge is lit and how
# wide, the width of the shadow on the lip side (centred half of it from the crease).
CREASE = 0.01
BULGE_AT, BULGE_WIDTH = 0.025, 0.02
SHADOW_WIDTH = 0.03
# Shares of the skin's brightness at a full smile: the crease, the shadow on the lip side, the
# light on the bulge.
CREASE_DARK, SHADOW_DARK, BULGE_LIGHT = 0.05, 0.07, 0.08
MIN_STRENGTH = 0.03  # below this the fold is not drawn
REACH = BULGE_AT + 2 * BULGE_WIDTH  # face heights from the crease that the fold shades
_STEPS = 400  # the profile table's steps across the fold, from -REACH to +REACH
_PER_STEP = _STEPS / (2 * REACH)  # table steps per face height
_CENTRE_STEP = _STEPS / 2  # the table step of the crease


class SmileFolds:
    """The two nasolabial folds of one face, in output pixels."""

    def __init__(self, landmarks: np.ndarray) -> None:
        """``landmarks``: (478, 2+) of the face in output pixels."""
        lm = landmarks[:, :2].astype(np.float32)
        self.face_height = float(np.linalg.norm(lm[T.CHIN] - lm[T.FOREHEAD]))
        self.sides = {"Right": list(FOLD_RIGHT), "Left": list(FOLD_LEFT)}
        self.rest = {side: lm[ids] for side, ids in self.sides.items()}
        self.weights = {side: _fold_weights(side) for side in self.sides}
        self._profile = _profile()
        # The cheek lies away from the mouth's middle: +1 where it is to the right (image x).
        middle = float(lm[[T.MOUTH_CORNER_RIGHT, T.MOUTH_CORNER_LEFT], 0].mean())
        self.outward = {side: math.copysign(1.0, float(p[:, 0].mean()) - middle)
                        for side, p in self.rest.items()}  # fmt: skip

    def draw(self, frame: np.ndarray, disp: np.ndarray, pose: MotionFrame) -> None:
        """Shade both folds into ``frame`` (uint8 RGB, in place); ``disp`` (V, 2) is the mesh's
        vertex displacement of ``pose`` (its first vertices are the landmarks)."""
        for side, ids in self.sides.items():
            strength = fold_strength(pose.vector, self.weights[side])
            if strength >= MIN_STRENGTH:
                points = self.rest[side] + disp[ids]
                self._shade(frame, points, self.outward[side], strength)

    def _shade(self, frame: np.ndarray, points: np.ndarray, out: float, strength: float) -> None:
        h, w = frame.shape[:2]
        px, py = (points[:, k].tolist() for k in (0, 1))  # five knots: plain floats are faster
        reach = REACH * self.face_height
        y0, y1 = max(math.floor(py[0]), 0), min(math.ceil(py[-1]) + 1, h)
        x0, x1 = max(math.floor(min(px) - reach), 0), min(math.ceil(max(px) + reach) + 1, w)
        if y1 - y0 < 3 or x1 - x0 < 3 or any(b <= a for a, b in itertools.pairwise(py)):
            return  # too small, or a fold that no longer runs downward (a face upside down)
        ys = np.arange(y0, y1, dtype=np.float32)
        # The fold as x per row (it runs down from the nose), its corners at the knots rounded,
        # and the distance across it (not along the row), as an index into the profile table.
        fold_x = np.interp(ys, py, px).astype(np.float32)
        fold_x[1:-1] = (fold_x[:-2] + 2 * fold_x[1:-1] + fold_x[2:]) / 4
        slope = np.empty_like(fold_x)  # dx/dy of the rounded fold
        slope[1:-1] = (fold_x[2:] - fold_x[:-2]) / 2
        slope[0], slope[-1] = slope[1], slope[-2]  # three rows at least (see above)
        scale = (out / self.face_height * _PER_STEP) / np.sqrt(1 + slope * slope)
        xs = np.arange(x0, x1, dtype=np.float32)
        index = (xs[None] - fold_x[:, None]) * scale[:, None] + np.float32(_CENTRE_STEP)
        shade = cv2.remap(self._profile, index, np.zeros_like(index), cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
        # Along the fold: in from the nose, deepest beside the mouth, out above the corner.
        gain = cv2.cvtColor(1 + shade * (_along(len(ys)) * strength)[:, None], cv2.COLOR_GRAY2RGB)
        box = frame[y0:y1, x0:x1]
        cv2.multiply(box, gain, dst=box, dtype=cv2.CV_8U)


@functools.cache
def _along(rows: int) -> np.ndarray:
    """(rows,) float32: the fold's depth from the nose (row 0) down past the mouth's corner."""
    t = np.arange(rows, dtype=np.float32) / max(rows - 1, 1)
    depth = np.interp(t, *_ALONG).astype(np.float32)
    depth.flags.writeable = False  # cached: shared by every call
    return depth


def _profile() -> np.ndarray:
    """(1, _STEPS + 1) float32: the change of the skin's brightness at a full smile across the
    fold (-REACH to +REACH face heights, toward the cheek): the lit bulge, the crease, the
    shadow on the lip side. A table: three Gaussians per pixel cost more than the rest of the
    fold."""
    across = np.linspace(-REACH, REACH, _STEPS + 1, dtype=np.float32)
    shade = BULGE_LIGHT * np.exp(-np.square((across - BULGE_AT) / BULGE_WIDTH))
    shade -= CREASE_DARK * np.exp(-np.square(across / CREASE))
    shade -= SHADOW_DARK * np.exp(-np.square((across + SHADOW_WIDTH / 2) / SHADOW_WIDTH))
    return shade.astype(np.float32)[None]


# Along the fold (0 at the nose, 1 past the corner of the mouth): its depth.
_ALONG = (np.float32([0.0, 0.25, 0.55, 0.85, 1.0]), np.float32([0.0, 1.0, 1.0, 0.0, 0.0]))


def fold_strength(vector: np.ndarray, weights: tuple[np.ndarray, np.ndarray]) -> float:
    """0-1: how deep one side's fold is at pose ``vector``, from :func:`_fold_weights`."""
    index, weight = weights
    return float(np.clip(vector[index] @ weight, 0, 1))


def _fold_weights(side: str) -> tuple[np.ndarray, np.ndarray]:
    """(parameter indices, weights) of what deepens one side's fold: a smile, raised cheeks,
    a sneer."""
    names = (f"mouthSmile{side}", f"cheekSquint{side}", f"noseSneer{side}")
    return np.array([PARAM_INDEX[n] for n in names]), np.float32([1.0, 0.4, 0.5])
