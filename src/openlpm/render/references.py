"""Expression references at render time: each accepted reference (character.reference) is the
texture of the state it shows, blended in by that state's motion weight.

- eyes closed -> eyelids: the reference's eye region, fitted to the rig's by the landmarks
  around the eye (not the lids), replaces the drawn lid as eyeBlink goes from 0.5 to 1;
- smile -> smile folds: the reference's cheeks and nasolabial folds, moved back to the rig's
  rest layout (piecewise-affine on the landmarks), blended in by mouthSmileLeft/Right before
  the mesh warp, so the rig's own smile shape carries them to where the reference had them;
- mouth open -> the interior: an :class:`~openlpm.render.interior.InteriorSource` (teeth,
  tongue, cavity) that the mouth layer reveals as the lips part, the upper teeth with the head
  and the lower ones with the jaw (see :func:`interior_source`).

Everything here works in the renderer's output pixels. Colours are matched to the main image
on the skin around each patch (gain per channel), so another photo's exposure does not show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from openlpm.character import topology as T
from openlpm.character.mesh import smoothstep
from openlpm.character.reference import MOUTH_OPEN, SMILE, Reference
from openlpm.render.eyes import EyeLayer
from openlpm.render.interior import (
    HIDDEN_CROWN,
    InteriorSource,
    crowns_under_the_lip,
    interior_masks,
)
from openlpm.render.mouth import LOWER_TEETH_ANCHOR, UPPER_TEETH_ANCHOR
from openlpm.render.piecewise import landmark_map

# Landmarks around each eye that closing it does not move: corners, under-eye, cheekbone, nose.
_EYE_FRAME = {
    "Right": (33, 133, 117, 118, 119, 120, 143, 121, 6, 168),
    "Left": (263, 362, 346, 347, 348, 349, 372, 350, 6, 168),
}
_LIPS_OUTER = list(T.LIP_OUTER_UPPER + T.LIP_OUTER_LOWER[::-1])
_SMILE_AREA = (
    *T.CHEEK_RIGHT, *T.CHEEK_LEFT, *T.NOSE_WING_RIGHT, *T.NOSE_WING_LEFT,
    152, 148, 377, 176, 400, 17, 200, 208, 428, 212, 432, 202, 422,
)  # fmt: skip
# The nose stays the portrait's: a reference's nose (another head pose, other light) would
# show through the smile's area as a second shading.
_NOSE = (*T.NOSE_WING_RIGHT, *T.NOSE_WING_LEFT, 1, 2, 4, 5, 6, 168, 195, 197)
_GAIN_RANGE = (0.6, 1.6)


@dataclass(frozen=True)
class Scaled:
    """A reference resized to the output: image (float32 RGB) and landmarks in output pixels."""

    image: np.ndarray
    landmarks: np.ndarray

    @classmethod
    def of(cls, ref: Reference, size: tuple[int, int]) -> Scaled:
        w, h = size
        h0, w0 = ref.image.shape[:2]
        sx, sy = w / w0, h / h0
        interp = cv2.INTER_AREA if sx < 1 else cv2.INTER_CUBIC
        image = cv2.resize(ref.image, (w, h), interpolation=interp).astype(np.float32)
        lm = ref.landmarks * np.float32([sx, sy, (sx + sy) / 2])
        return cls(image, lm)


class ReferenceTextures:
    """The eyelid and smile textures of a character's references at one output size (the
    open mouth goes to the mouth layer: :func:`interior_source`)."""

    def __init__(
        self,
        refs: Sequence[Reference],
        size: tuple[int, int],
        image: np.ndarray,
        landmarks: np.ndarray,
        eyes: dict[str, EyeLayer],
    ) -> None:
        smiling = _best(refs, SMILE, lambda r: r.measured.mouth_width)
        self.eyelids = {}
        for side, eye in eyes.items():  # per eye: a wink gives one lid
            shut = [r for r in refs if side in r.closed_eyes]
            if shut:
                best = min(shut, key=lambda r, s=side: getattr(r.measured, f"ear_{s.lower()}"))
                scaled = Scaled.of(best, size)
                self.eyelids[side] = Eyelid(scaled, eye, landmarks, side, image)
        self.smile = SmileFolds(Scaled.of(smiling, size), image, landmarks) if smiling else None


def _best(refs: Sequence[Reference], state: str, key) -> Reference | None:
    showing = [r for r in refs if state in r.states]
    return max(showing, key=key) if showing else None


def _gain(target: np.ndarray, source: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per-channel gain that brings ``source``'s weighted mean colour to ``target``'s."""
    total = max(float(weight.sum()), 1e-6)
    want = (target * weight[..., None]).reshape(-1, 3).sum(0) / total
    have = (source * weight[..., None]).reshape(-1, 3).sum(0) / total
    return np.clip(want / np.maximum(have, 1.0), *_GAIN_RANGE).astype(np.float32)


class Eyelid:
    """A closed eye from a reference, in the eye layer's box (rest layout)."""

    def __init__(
        self, ref: Scaled, eye: EyeLayer, landmarks: np.ndarray, side: str, image: np.ndarray
    ) -> None:
        x0, y0, x1, y1 = eye.box
        frame = list(_EYE_FRAME[side])
        # A similarity, not a full affine: the landmarks around a closed eye are less sure
        # than an open one's, and shear from their noise smeared the lashes.
        matrix, _ = cv2.estimateAffinePartial2D(
            ref.landmarks[frame, :2].astype(np.float32), landmarks[frame, :2].astype(np.float32)
        )
        if matrix is None:
            matrix = np.float32([[1, 0, 0], [0, 1, 0]])
        matrix = matrix.astype(np.float32)
        matrix[:, 2] -= (x0, y0)
        size = (x1 - x0, y1 - y0)
        patch = cv2.warpAffine(ref.image, matrix, size, flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
        self.mask = _eye_mask(eye, size)
        self.patch = patch * _skin_gain(image, ref.image, eye)

    def blend(self, drawn: np.ndarray, blink: float) -> np.ndarray:
        """``drawn`` (the eye layer's box for this pose) with the closed lid blended in."""
        weight = float(np.clip(2 * blink - 1, 0, 1))  # the closing half of a blink
        if weight <= 0:
            return drawn
        alpha = (self.mask * weight)[..., None]
        return drawn + (self.patch - drawn) * alpha


def _skin_gain(image: np.ndarray, ref: np.ndarray, eye: EyeLayer) -> np.ndarray:
    """Colour gain from the reference to the image, measured on the skin around the eye (its
    box grown by half an eye width), away from the lids and lashes, which differ between an
    open and a closed eye by what they show, not by the light."""
    h, w = image.shape[:2]
    grow = round(0.5 * eye.width)
    x0, y0 = max(eye.x0 - grow, 0), max(eye.y0 - grow, 0)
    x1, y1 = min(eye.x1 + grow, w), min(eye.y1 + grow, h)
    weight = np.ones((y1 - y0, x1 - x0), np.float32)
    lid_top = int(np.floor(eye.u.min() - 0.3 * eye.width)) - y0
    lid_bottom = int(np.ceil(eye.l.max() + 0.2 * eye.width)) - y0
    weight[max(lid_top, 0) : max(lid_bottom, 0), max(eye.x0 - x0, 0) : eye.x1 - x0] = 0
    if weight.sum() < 10:
        return np.ones(3, np.float32)
    box = (slice(y0, y1), slice(x0, x1))
    return _gain(image[box].astype(np.float32), ref[box].astype(np.float32), weight)


def _eye_mask(eye: EyeLayer, size: tuple[int, int]) -> np.ndarray:
    """1 over the eye and its lids, feathered to 0 before the box edge."""
    w, h = size
    cx = (eye.x1 - eye.x0) / 2
    lid_top = float(eye.u.min()) - eye.y0
    lid_bottom = float(eye.l.max()) - eye.y0
    cy = (lid_top + lid_bottom) / 2 - 0.08 * eye.width
    ax, ay = 0.62 * eye.width, (lid_bottom - lid_top) / 2 + 0.28 * eye.width
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((xs - cx) / max(ax, 1), (ys - cy) / max(ay, 1))
    mask = 1 - smoothstep(0.75, 1.0, r)
    edge = np.minimum(np.minimum(xs, w - 1 - xs), np.minimum(ys, h - 1 - ys))
    return (mask * smoothstep(0, 3, edge)).astype(np.float32)


class SmileFolds:
    """A smile's cheeks and folds, moved onto the rig's rest layout."""

    def __init__(self, ref: Scaled, image: np.ndarray, landmarks: np.ndarray) -> None:
        h, w = image.shape[:2]
        pts = landmarks[list(_SMILE_AREA), :2]
        height = float(np.linalg.norm(landmarks[T.FOREHEAD, :2] - landmarks[T.CHIN, :2]))
        pad = 0.03 * height
        x0, y0 = np.maximum(np.floor(pts.min(0) - pad).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(pts.max(0) + pad).astype(int), (w, h))
        self.box = (int(x0), int(y0), int(x1), int(y1))
        map_x, map_y, inside = landmark_map(landmarks, ref.landmarks, self.box)
        patch = cv2.remap(ref.image, map_x, map_y, cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
        local = landmarks[:, :2] - (x0, y0)
        self.mask = _smile_mask(local, (x1 - x0, y1 - y0), height) * inside
        base = image[y0:y1, x0:x1].astype(np.float32)
        self.patch = patch * _gain(base, patch, self.mask)
        centre = float(landmarks[[T.MOUTH_CORNER_RIGHT, T.MOUTH_CORNER_LEFT], 0].mean()) - x0
        xs = np.arange(x1 - x0, dtype=np.float32)[None]
        # The character's left is the image's right (a frontal face).
        self.left = smoothstep(centre - 0.05 * height, centre + 0.05 * height, xs)

    def blend(self, base: np.ndarray, left: float, right: float) -> np.ndarray:
        """The box's pixels for smile weights ``left`` / ``right``; ``base`` is what the box
        shows without the reference (uint8 RGB)."""
        weight = self.mask * (left * self.left + right * (1 - self.left))
        out = base + (self.patch - base) * weight[..., None]
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _smile_mask(local: np.ndarray, size: tuple[int, int], height: float) -> np.ndarray:
    w, h = size
    mask = np.zeros((h, w), np.uint8)
    hull = cv2.convexHull(np.round(local[list(_SMILE_AREA)]).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 255)
    lips = np.zeros_like(mask)
    cv2.fillPoly(lips, [np.round(local[_LIPS_OUTER]).astype(np.int32)], 255)
    cv2.fillConvexPoly(lips, cv2.convexHull(np.round(local[list(_NOSE)]).astype(np.int32)), 255)
    grow = max(1, round(0.02 * height))
    lips = cv2.dilate(lips, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1,) * 2))
    shrink = max(1, round(0.03 * height))
    mask = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * shrink + 1,) * 2))
    mask = cv2.bitwise_and(mask, cv2.bitwise_not(lips)).astype(np.float32) / 255
    return cv2.GaussianBlur(mask, (0, 0), max(1.0, 0.015 * height))


def widest_open(refs: Sequence[Reference]) -> Reference | None:
    """The reference that shows the mouth open widest, if any."""
    return _best(refs, MOUTH_OPEN, lambda r: r.measured.mouth_gap)


def interior_source(ref: Reference, rig_landmarks: np.ndarray) -> InteriorSource:
    """The open mouth of ``ref`` as the mouth layer's interior, in the rig's image coordinates:
    its teeth, tongue and cavity between its inner lips, the upper teeth (above the darkest row
    between the rows of teeth) moving with the head, the rest with the jaw.

    The upper teeth hang from the upper lip, and a wide-open mouth lifts the upper lip, so the
    interior is moved to put the reference's upper lip on the portrait's. ``lower_shift`` is
    then how much lower the reference's lower lip sits than the portrait's: when the rig's jaw
    drops that far, the lower teeth are where the reference shows them."""
    lm = ref.landmarks[:, :2].astype(np.float64)
    up, lo = lm[list(T.LIP_INNER_UPPER)], lm[list(T.LIP_INNER_LOWER)]
    mask, upper = interior_masks(ref.image, up, lo)
    height = float(np.linalg.norm(lm[T.CHIN] - lm[T.FOREHEAD]))
    image, mask, upper = crowns_under_the_lip(ref.image, mask, upper, round(HIDDEN_CROWN * height))
    lift = (rig_landmarks[UPPER_TEETH_ANCHOR, :2] - lm[UPPER_TEETH_ANCHOR]).astype(np.float32)
    move = np.float32([[1, 0, lift[0]], [0, 1, lift[1]]])
    h, w = mask.shape
    image, mask, upper = (
        cv2.warpAffine(part, move, (w, h), flags=cv2.INTER_LINEAR) for part in (image, mask, upper)
    )
    drop = lm[LOWER_TEETH_ANCHOR] + lift - rig_landmarks[LOWER_TEETH_ANCHOR, :2]
    return InteriorSource(image, mask, upper, drop.astype(np.float32))
