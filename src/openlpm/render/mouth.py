"""The mouth interior: drawn where the lips have parted, after the warp, in output pixels.

The opening is the polygon between the deformed inner lip contours. Inside it: a dark cavity in
the character's own lip hue, upper teeth hanging from the upper lip, lower teeth on the lower
lip when the mouth is wide open, and a tongue hint at the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from openlpm.character import topology as T
from openlpm.character.mesh import smoothstep

_UPPER = list(T.LIP_INNER_UPPER)
_LOWER = list(T.LIP_INNER_LOWER)
MIN_GAP_PX = 0.6  # below this the lips touch: nothing to draw


@dataclass(frozen=True)
class MouthColours:
    cavity: np.ndarray  # RGB float32
    teeth: np.ndarray
    tongue: np.ndarray

    @classmethod
    def from_image(cls, image: np.ndarray, landmarks: np.ndarray) -> MouthColours:
        lips = np.zeros(image.shape[:2], np.uint8)
        outer = np.array(T.LIP_OUTER_UPPER + T.LIP_OUTER_LOWER[::-1])
        cv2.fillPoly(lips, [np.round(landmarks[outer, :2]).astype(np.int32)], 1)
        lip = (
            np.median(image[lips > 0].reshape(-1, 3), axis=0).astype(np.float32)
            if lips.any()
            else np.float32([170, 90, 90])
        )
        brightness = float(np.median(image.reshape(-1, 3).mean(1)))
        cavity = lip * 0.18 + np.float32([12, 4, 6])
        teeth = np.float32([236, 230, 218]) * (0.75 + 0.25 * min(1.0, brightness / 160))
        tongue = lip * 0.55 + np.float32([60, 20, 22])
        return cls(cavity, teeth, np.clip(tongue, 0, 255))


class MouthLayer:
    """Paints only openings that a pose made: lips parted in the image are either closed by the
    deformer's rest closure (``rest_closed``) or, when barely apart, kept as the image shows
    them by measuring the opening from their rest positions."""

    def __init__(self, colours: MouthColours, landmarks: np.ndarray, rest_closed: bool) -> None:
        self.c = colours
        up, lo = landmarks[_UPPER, :2], landmarks[_LOWER, :2]
        half_gap = np.zeros_like(up) if rest_closed else (lo - up) / 2
        self.up, self.lo = up + half_gap, lo - half_gap  # both on the rest seam when parted
        self.mouth_width = float(np.linalg.norm(up[-1] - up[0]))

    def draw(self, frame: np.ndarray, disp: np.ndarray, tongue_out: float = 0.0) -> None:
        """Paint the interior into ``frame`` (uint8 RGB, modified in place); ``disp`` is the
        (V, 2) vertex displacement of the pose."""
        up, lo = self.up + disp[_UPPER], self.lo + disp[_LOWER]
        gap = lo[:, 1] - up[:, 1]
        if gap.max() < MIN_GAP_PX:
            return
        poly = np.vstack([up, lo[::-1]])
        h, w = frame.shape[:2]
        x0, y0 = np.floor(poly.min(0)).astype(int) - 2
        x1, y1 = np.ceil(poly.max(0)).astype(int) + 3
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        pts = np.round((poly - (x0, y0)) * 16).astype(np.int32)
        cv2.fillPoly(mask, [pts], 255, cv2.LINE_AA, shift=4)
        inside = mask.astype(np.float32)[..., None] / 255
        interior = self._interior(up - (x0, y0), lo - (x0, y0), mask.shape, tongue_out)
        roi = frame[y0:y1, x0:x1].astype(np.float32)
        frame[y0:y1, x0:x1] = (roi + (interior - roi) * inside).astype(np.uint8)

    def _interior(
        self, up: np.ndarray, lo: np.ndarray, shape: tuple[int, int], tongue_out: float
    ) -> np.ndarray:
        h, w = shape
        xs = np.arange(w, dtype=np.float32)
        ys = np.arange(h, dtype=np.float32)[:, None]
        top = np.interp(xs, *_sorted(up))[None]
        bottom = np.interp(xs, *_sorted(lo))[None]
        gap = np.maximum(bottom - top, 1e-3)
        left, right = up[:, 0].min(), up[:, 0].max()
        centre = (left + right) / 2
        half = max((right - left) / 2, 1.0)
        across = np.abs(xs - centre)[None] / half  # 0 at the centre, 1 at the corners
        depth = np.clip((ys - top) / gap, 0, 1)
        # Cavity: darkest in the middle of the opening and toward the corners.
        shade = 0.75 + 0.45 * np.abs(depth - 0.5) - 0.25 * across
        img = np.broadcast_to(self.c.cavity, (h, w, 3)) * np.clip(shade, 0.4, 1.2)[..., None]
        tooth = 0.075 * self.mouth_width  # visible upper-teeth height when fully exposed
        upper_teeth = (ys - top < np.minimum(tooth, 0.55 * gap)) & (ys >= top - 1)
        lower_teeth = (bottom - ys < np.minimum(0.6 * tooth, 0.3 * gap - 2)) & (across < 0.7)
        # Teeth fade into the dark of the cheeks toward the corners instead of ending in a block.
        fade = (1 - smoothstep(0.45, 0.85, across)) * (
            1 - 0.25 * np.clip((ys - top) / max(tooth, 1), 0, 1)
        )
        seams = 1 - 0.12 * (
            np.abs(np.sin((xs - centre)[None] / max(self.mouth_width, 1) * np.pi * 7)) < 0.12
        )
        teeth_amount = ((upper_teeth | lower_teeth) * fade * seams)[..., None]
        img = img + (self.c.teeth - img) * teeth_amount
        # Tongue: a soft mound rising from the lower lip when the mouth is open enough.
        tongue_h = (0.25 + 0.5 * tongue_out) * gap
        mound = (bottom - ys) < tongue_h * np.sqrt(np.clip(1 - across**2 / 0.45, 0, 1))
        tongue = self.c.tongue * (0.85 + 0.15 * depth)[..., None]
        img = np.where((mound & ~lower_teeth & (gap > 6))[..., None], tongue, img)
        return img.astype(np.float32)


def fill_open_mouth(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """A copy of ``image`` with the teeth and dark of an open mouth painted over in lip colour.

    Used when the image's lips are parted: the deformer then closes them at rest, squeezing
    this region into the seam, where it must read as lips meeting, not as a line of teeth.
    """
    up, lo = landmarks[_UPPER, :2], landmarks[_LOWER, :2]
    x0, x1 = int(np.floor(up[:, 0].min())), int(np.ceil(up[:, 0].max())) + 1
    top = np.interp(np.arange(x0, x1), *_sorted(up))
    bottom = np.maximum(np.interp(np.arange(x0, x1), *_sorted(lo)), top)
    y0, y1 = int(np.floor(top.min())) - 3, int(np.ceil(bottom.max())) + 4
    h, w = image.shape[:2]
    if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
        return image
    out = image.copy()
    roi = out[y0:y1, x0:x1].astype(np.float32)
    cols = np.arange(x1 - x0)
    upper_lip = roi[np.clip(np.round(top - y0 - 2).astype(int), 0, y1 - y0 - 1), cols]
    lower_lip = roi[np.clip(np.round(bottom - y0 + 2).astype(int), 0, y1 - y0 - 1), cols]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    t = np.clip((ys - top[None]) / np.maximum(bottom - top, 1)[None], 0, 1)[..., None]
    lips = upper_lip[None] * (1 - t) + lower_lip[None] * t
    lips *= 1 - 0.35 * np.exp(-(((t - 0.5) * 6) ** 2))  # the line where the lips meet
    mask = np.zeros(roi.shape[:2], np.uint8)
    poly = np.vstack([up, lo[::-1]]) - (x0, y0)
    cv2.fillPoly(mask, [np.round(poly * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    cover = cv2.dilate(mask, np.ones((3, 3), np.uint8)).astype(np.float32)[..., None] / 255
    out[y0:y1, x0:x1] = (roi + (lips - roi) * cover).astype(np.uint8)
    return out


def _sorted(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(points[:, 0])
    return points[order, 0], points[order, 1]
