"""The bundled ONNX models (one onnxruntime session each per process) and mediapipe's
image-to-tensor crop that feeds them."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

import cv2
import numpy as np


@functools.cache
def onnx_session(name: str) -> Any:
    """The session of ``assets/models/<name>.onnx``. ``run`` is thread-safe. One thread: the
    models take a few milliseconds and the renderer needs the other cores. Kept until
    :func:`release_sessions`."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    # No memory arena: a live process runs these once per character, and an arena would keep
    # the largest activations it ever needed (tens of MB) for the rest of the session.
    options.enable_cpu_mem_arena = False
    # From the file, not its bytes: a session made from bytes keeps them (a second copy).
    with resources.as_file(resources.files("openlpm") / "assets" / "models") as folder:
        return ort.InferenceSession(
            str(folder / f"{name}.onnx"), sess_options=options, providers=["CPUExecutionProvider"]
        )


def release_sessions() -> None:
    """Drop the face models' sessions (about 18 MB): a live session needs them only while a
    rig is built, and the next build loads them again (a tenth of a second)."""
    onnx_session.cache_clear()


@dataclass(frozen=True)
class NormRect:
    """A rotated rectangle in coordinates normalised by the image's width and height, as
    mediapipe's ``NormalizedRect``: centre, size, rotation in radians (clockwise on screen)."""

    x_center: float
    y_center: float
    width: float
    height: float
    rotation: float = 0.0


def normalize_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def crop_tensor(
    rgb: np.ndarray,
    rect: NormRect,
    side: int,
    value_range: tuple[float, float],
    border: int = cv2.BORDER_REPLICATE,
) -> np.ndarray:
    """(1, side, side, 3) float32: ``rect`` of ``rgb`` warped to a square, as mediapipe's
    ImageToTensorCalculator does on the CPU (perspective warp of the uint8 pixels, bilinear,
    then scaled to ``value_range``)."""
    h, w = rgb.shape[:2]
    box = (
        (rect.x_center * w, rect.y_center * h),
        (rect.width * w, rect.height * h),
        rect.rotation * 180 / math.pi,
    )
    src = cv2.boxPoints(box).astype(np.float32)  # bottom-left, top-left, top-right, bottom-right
    dst = np.float32([[0, side], [0, 0], [side, 0], [side, side]])
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(
        rgb, matrix, (side, side), flags=cv2.INTER_LINEAR, borderMode=border, borderValue=0
    )
    lo, hi = value_range
    return (warped.astype(np.float32) * ((hi - lo) / 255.0) + lo)[None]
