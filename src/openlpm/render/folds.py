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

import math

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
        px, py = points[:, 0].astype(np.float32), points[:, 1].astype(np.float32)
        reach = REACH * self.face_height
        y0, y1 = max(math.floor(float(py[0])), 0), min(math.ceil(float(py[-1])) + 1, h)
        x0 = max(math.floor(float(px.min()) - reach), 0)
        x1 = min(math.ceil(float(px.max()) + reach) + 1, w)
        if y1 - y0 < 3 or x1 - x0 < 3 or not (py[1:] > py[:-1]).all():
            return  # too small, or a fold that no longer runs downward (a face upside down)
        ys = np.arange(y0, y1, dtype=np.float32)
        # The fold as x per row (it runs down from the nose), its corners at the knots rounded,
        # and the distance across it (not along the row) in face heights.
        fold_x = np.interp(ys, py, px).astype(np.float32)
        fold_x[1:-1] = (fold_x[:-2] + 2 * fold_x[1:-1] + fold_x[2:]) / 4
        slope = np.interp(ys, (py[1:] + py[:-1]) / 2, np.diff(px) / np.diff(py))
        scale = (out / self.face_height / np.sqrt(1 + slope * slope)).astype(np.float32)
        across = (np.arange(x0, x1, dtype=np.float32)[None] - fold_x[:, None]) * scale[:, None]
        # Along the fold: in from the nose, deepest beside the mouth, out above the corner.
        along = np.interp((ys - ys[0]) / max(float(ys[-1] - ys[0]), 1.0), *_ALONG) * strength
        shade = np.interp(across, *self._profile).astype(np.float32)
        gain = 1 + along[:, None].astype(np.float32) * shade
        box = frame[y0:y1, x0:x1]
        box[:] = np.minimum(box * gain[..., None] + 0.5, 255).astype(np.uint8)


def _profile() -> tuple[np.ndarray, np.ndarray]:
    """(distance across the fold in face heights, toward the cheek; change of the skin's
    brightness at a full smile): the lit bulge, the crease, the shadow on the lip side. A
    table: three Gaussians per pixel cost more than the rest of the fold."""
    across = np.linspace(-REACH, REACH, 401, dtype=np.float32)
    shade = BULGE_LIGHT * np.exp(-np.square((across - BULGE_AT) / BULGE_WIDTH))
    shade -= CREASE_DARK * np.exp(-np.square(across / CREASE))
    shade -= SHADOW_DARK * np.exp(-np.square((across + SHADOW_WIDTH / 2) / SHADOW_WIDTH))
    return across, shade.astype(np.float32)


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
