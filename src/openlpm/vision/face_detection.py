"""mediapipe's short-range face detector (BlazeFace, 128 x 128): SSD anchors, box and keypoint
decoding, weighted non-maximum suppression, and the rotated crop it hands the face mesh."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from openlpm.vision.models import NormRect, crop_tensor, normalize_radians, onnx_session

SIDE = 128
NMS_IOU = 0.3
ROI_SCALE = 1.5  # the mesh sees the face box enlarged by half, squared on its long side


@dataclass(frozen=True)
class Detection:
    """One face, in coordinates normalised by the image's width and height."""

    score: float
    box: tuple[float, float, float, float]  # xmin, ymin, width, height
    keypoints: np.ndarray  # (6, 2): right eye, left eye, nose, mouth, right ear, left ear


@functools.cache
def anchors() -> np.ndarray:
    """(896, 2) anchor centres: 2 per cell on the 16 x 16 grid, then 6 per cell on 8 x 8
    (mediapipe's SsdAnchorsCalculator, strides 8, 16, 16, 16, fixed anchor size)."""
    centres = []
    for cells, per_cell in ((16, 2), (8, 6)):
        ys, xs = np.mgrid[0:cells, 0:cells].astype(np.float32)
        grid = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], -1).reshape(-1, 1, 2)
        centres.append(np.repeat(grid, per_cell, axis=1).reshape(-1, 2))
    return np.concatenate(centres)


def _letterbox(shape: tuple[int, int]) -> tuple[NormRect, np.ndarray]:
    """The square around the whole image (keeping its aspect) and the padding it adds, as
    fractions of the square: (left, top, right, bottom)."""
    h, w = shape
    if w >= h:
        pad = (1 - h / w) / 2
        return NormRect(0.5, 0.5, 1.0, w / h), np.float32([0, pad, 0, pad])
    pad = (1 - w / h) / 2
    return NormRect(0.5, 0.5, h / w, 1.0), np.float32([pad, 0, pad, 0])


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of one (xmin, ymin, xmax, ymax) box with each row of ``b``."""
    ix = np.clip(np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0]), 0, None)
    iy = np.clip(np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1]), 0, None)
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def _weighted_nms(
    scores: np.ndarray, boxes: np.ndarray, points: np.ndarray
) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """mediapipe's weighted NMS: each kept face is the score-weighted mean of every candidate
    that overlaps the best remaining one by more than ``NMS_IOU``."""
    order = list(np.argsort(-scores, kind="stable"))
    kept = []
    while order:
        top = order[0]
        overlap = box_iou(boxes[top], boxes[order]) > NMS_IOU
        group = [i for i, o in zip(order, overlap, strict=True) if o]
        weights = scores[group][:, None]
        box = (boxes[group] * weights).sum(0) / weights.sum()
        pts = (points[group] * weights[:, :, None]).sum(0) / weights.sum()
        kept.append((float(scores[top]), box, pts))
        order = [i for i, o in zip(order, overlap, strict=True) if not o]
    return kept


def detect(rgb: np.ndarray, min_score: float) -> list[Detection]:
    """Every face scoring at least ``min_score``, best first."""
    square, pad = _letterbox(rgb.shape[:2])
    tensor = crop_tensor(rgb, square, SIDE, (-1.0, 1.0), border=cv2.BORDER_CONSTANT)
    session = onnx_session("face_detection_short_range")
    regressors, classificators = session.run(None, {session.get_inputs()[0].name: tensor})
    raw = regressors[0]
    logits = np.clip(classificators[0, :, 0].astype(np.float64), -100, 100)
    scores = 1 / (1 + np.exp(-logits))
    keep = scores >= min_score
    if not keep.any():
        return []
    raw, scores, centre = raw[keep], scores[keep], anchors()[keep]
    xy = raw[:, 0:2] / SIDE + centre
    wh = raw[:, 2:4] / SIDE
    boxes = np.concatenate([xy - wh / 2, xy + wh / 2], 1)
    points = raw[:, 4:16].reshape(-1, 6, 2) / SIDE + centre[:, None]
    left, top, right, bottom = pad
    sx, sy = 1 - left - right, 1 - top - bottom
    faces = []
    for score, box, pts in _weighted_nms(scores, boxes, points):
        x0, y0 = (box[0] - left) / sx, (box[1] - top) / sy
        w, h = (box[2] - box[0]) / sx, (box[3] - box[1]) / sy
        unboxed = (pts - [left, top]) / [sx, sy]
        faces.append(Detection(score, (x0, y0, w, h), unboxed.astype(np.float32)))
    return faces


def rect_from_points(
    box: tuple[float, float, float, float],
    start: np.ndarray,
    end: np.ndarray,
    shape: tuple[int, int],
) -> NormRect:
    """The mesh's crop: ``box`` (normalised xmin, ymin, width, height) turned so the line
    ``start`` -> ``end`` is level, squared on its long side in pixels and enlarged 1.5 x
    (mediapipe's DetectionsToRects + RectTransformation)."""
    h, w = shape
    x0, y0, bw, bh = box
    angle = -math.atan2(-(end[1] - start[1]) * h, (end[0] - start[0]) * w)
    side = max(bw * w, bh * h)
    return NormRect(
        x0 + bw / 2,
        y0 + bh / 2,
        side / w * ROI_SCALE,
        side / h * ROI_SCALE,
        normalize_radians(angle),
    )


def face_rect(face: Detection, shape: tuple[int, int]) -> NormRect:
    """The mesh's crop for a detected face: level between the eyes (keypoints 0 and 1)."""
    return rect_from_points(face.box, face.keypoints[0], face.keypoints[1], shape)
