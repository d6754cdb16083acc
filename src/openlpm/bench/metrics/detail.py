"""Detail kept while moving: how much of the image's fine texture a moving frame still shows.

The measure of one frame is the variance of the Laplacian (grey, 3x3) over the face box (the
bounding box of the re-detected landmarks), leaving out the mouth: a drawn mouth interior adds
edges of its own that would count as detail. A speaking video's figure is the median over its
frames divided by the same measure of a still (neutral) render of the portrait at the same size:
1.0 keeps every detail, bilinear resampling at half-pixel offsets keeps about a third.
"""

from __future__ import annotations

import cv2
import numpy as np

from openlpm.bench.metrics.signals import nanmedian
from openlpm.character import topology as T

_LIPS = np.array(T.LIP_OUTER_UPPER + T.LIP_OUTER_LOWER[::-1])
MOUTH_MARGIN = 0.03  # face heights the left-out mouth region reaches beyond the outer lips


def face_detail(rgb: np.ndarray, landmarks: np.ndarray) -> float:
    """Variance of the Laplacian over the face box, the mouth left out."""
    h, w = rgb.shape[:2]
    xy = landmarks[:, :2]
    x0, y0 = np.maximum(np.floor(xy.min(0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(xy.max(0)).astype(int) + 1, (w, h))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return float("nan")
    grey = cv2.cvtColor(rgb[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY)
    lap = cv2.Laplacian(grey, cv2.CV_64F, ksize=1)
    mouth = np.zeros(grey.shape, np.uint8)
    cv2.fillPoly(mouth, [np.round(xy[_LIPS] - (x0, y0)).astype(np.int32)], 1)
    face_height = float(np.linalg.norm(xy[T.FOREHEAD] - xy[T.CHIN]))
    grow = max(1, round(MOUTH_MARGIN * face_height))
    mouth = cv2.dilate(mouth, np.ones((2 * grow + 1,) * 2, np.uint8))
    return float(lap[mouth == 0].var())


def detail_kept(per_frame: np.ndarray, still: float | None) -> float | None:
    """Median per-frame detail over the still render's (None without a still)."""
    if still is None or not np.isfinite(still) or still <= 0:
        return None
    median = nanmedian(per_frame)
    return None if median is None else median / still
