"""What an open mouth shows, measured from the pixels inside the re-detected inner-lip contour.

Real speakers' open mouths are rarely black: teeth, tongue and the lit front of the cavity fill
most of the opening. The statistics here compare any frame (rendered or real) with that:

- ``dark``: share of pixels with HSV value (max of R, G, B) under 40, the near-black share;
- ``teeth``: share of bright, low-saturation pixels (HSV value >= 150, saturation <= 0.35);
- ``saturation``: mean HSV saturation (0..1) inside the opening.

They mean something only when the mouth is open: :data:`OPEN_GAP` is the inner-lip gap (face
heights) from which a frame counts, as in the human reference (DESIGN.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

OPEN_GAP = 0.04  # face heights: frames with the lips further apart than this count
DARK_VALUE = 40
TEETH_VALUE = 150
TEETH_SATURATION = 0.35
MIN_PIXELS = 12  # fewer pixels than this inside the contour: no measurement

# The inner-lip contour, corner to corner along the upper lip, back along the lower lip.
INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)


@dataclass(frozen=True)
class InteriorStats:
    dark: float  # share of near-black pixels
    teeth: float  # share of bright low-saturation pixels
    saturation: float  # mean HSV saturation, 0..1
    pixels: int  # how many pixels were measured


def inner_lip_mask(shape: tuple[int, int], landmarks: np.ndarray) -> np.ndarray:
    """(H, W) bool: the pixels inside the inner-lip contour of 478 (or 468) landmarks."""
    contour = np.vstack([landmarks[list(INNER_UPPER), :2], landmarks[list(INNER_LOWER[::-1]), :2]])
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(contour * 16).astype(np.int32)], 1, cv2.LINE_8, shift=4)
    return mask.astype(bool)


def interior_stats(rgb: np.ndarray, landmarks: np.ndarray) -> InteriorStats | None:
    """The statistics inside the inner-lip contour; None when the opening has too few pixels."""
    mask = inner_lip_mask(rgb.shape, landmarks)
    pixels = rgb[mask]
    if len(pixels) < MIN_PIXELS:
        return None
    return pixel_stats(pixels)


def pixel_stats(pixels: np.ndarray) -> InteriorStats:
    """The statistics of (N, 3) uint8 RGB pixels."""
    rgb = pixels.reshape(-1, 3).astype(np.float32)
    value = rgb.max(1)
    saturation = np.where(value > 0, (value - rgb.min(1)) / np.maximum(value, 1), 0.0)
    teeth = (value >= TEETH_VALUE) & (saturation <= TEETH_SATURATION)
    return InteriorStats(
        dark=float((value < DARK_VALUE).mean()),
        teeth=float(teeth.mean()),
        saturation=float(saturation.mean()),
        pixels=len(rgb),
    )
